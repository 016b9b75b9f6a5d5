// docs/anomaly.md: score samples by reconstruction error, fit a threshold on normal data,
// measure ROC AUC, precision and recall.
#include <cstdio>
#include <vector>

#include "ae/ae.hpp"
#include "ae/analysis/anomaly.hpp"

int main() {
    // Normal data lies near a 2-D manifold in 20-D; anomalies are uniform noise.
    ae::Rng rng(5);
    ae::Matrix<float> mix(20, 2);
    rng.fill_uniform(mix, 0.0, 0.5);
    auto normal = [&](ae::Index n) {
        ae::Matrix<float> codes(2, n);
        rng.fill_uniform(codes, 0.0, 1.0);
        return ae::Matrix<float>(mix * codes);
    };
    const ae::Matrix<float> x_train = normal(2000), x_val = normal(500);
    ae::Matrix<float> noise(20, 100), x_test(20, 400);
    rng.fill_uniform(noise, 0.0, 1.0);
    x_test << normal(300), noise;  // 300 normal columns, then 100 anomalies
    std::vector<int> is_anomaly(400, 0);
    for (int i = 300; i < 400; ++i) is_anomaly[i] = 1;

    namespace an = ae::anomaly;
    auto [encoder, decoder, model] = ae::recipes::vanilla<float>(20, {16}, 2, 42);
    model->fit(x_train, x_train, {.epochs = 20, .batch_size = 64, .verbose = 0});  // normal data only

    const std::vector<double> scores = an::reconstruction_errors(*model, x_test, an::Metric::mse);
    const double threshold = an::fit_threshold(an::reconstruction_errors(*model, x_val), 99);
    const an::DetectionCounts c = an::detection_counts(scores, is_anomaly, threshold);
    std::printf("ROC AUC %.3f, precision %.3f, recall %.3f\n",
                an::roc_auc(scores, is_anomaly), c.precision(), c.recall());
    const std::vector<ae::Index> order = an::rank_by_score(scores);  // most anomalous first
    std::printf("most anomalous sample: %ld\n", long(order.front()));

    // The noise columns are far from the manifold: they must rank first and be flagged.
    const bool ok = an::roc_auc(scores, is_anomaly) > 0.95 && c.recall() > 0.9 && c.precision() > 0.8 &&
                    is_anomaly[std::size_t(order.front())] == 1;
    std::printf("%s anomalies separated\n", ok ? "ok  " : "FAIL");
    return ok ? 0 : 1;
}
