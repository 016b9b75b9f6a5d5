#include "ae/analysis/anomaly.hpp"

#include <cmath>

#include "ae/models/recipes.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::anomaly;
using Catch::Matchers::Contains;

namespace {

/// AUC by its definition: over every (anomaly, normal) pair, 1 when the anomaly scores higher,
/// 1/2 on a tie. O(n₊ n₋): the reference for the rank formula.
double anomaly_test_pairwise_auc(const std::vector<double>& s, const std::vector<int>& l) {
    double wins = 0, pairs = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
        for (std::size_t j = 0; j < s.size(); ++j)
            if (l[i] == 1 && l[j] == 0) {
                pairs += 1;
                wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
            }
    return wins / pairs;
}

}  // namespace

TEST_CASE("anomaly: reconstruction errors per sample, by hand", "[anomaly]") {
    Matrix<double> x(2, 3), x_hat(2, 3);
    x << 0, 1, 0.5,  //
        1, 1, 0.5;
    x_hat << 0, 0.5, 0.5,  //
        0, 1, 0.25;
    // Column 0: errors 0, 1 → MSE 0.5, max 1; column 1: 0.25, 0 → MSE 0.125; column 2: 0, 0.0625.
    REQUIRE(reconstruction_errors(x, x_hat, Metric::mse) == std::vector<double>{0.5, 0.125, 0.03125});
    REQUIRE(reconstruction_errors(x, x_hat, Metric::max_squared) == std::vector<double>{1.0, 0.25, 0.0625});
    const std::vector<double> bce = reconstruction_errors(x, x_hat, Metric::bce);
    // Column 0: t = 0, p = 0 → −ln(1 − 1e-7); t = 1, p = 0 → −ln(1e-7) (p clipped as Keras does).
    REQUIRE(bce[0] == Approx((-std::log(1 - 1e-7) - std::log(1e-7)) / 2));
    // Column 1: t = 1, p = 0.5 → ln 2; t = 1, p = 1 → −ln(1 − 1e-7).
    REQUIRE(bce[1] == Approx((std::log(2.0) - std::log(1 - 1e-7)) / 2));
    // Column 2: t = 0.5: p = 0.5 → ln 2; p = 0.25 → −(0.5 ln 0.25 + 0.5 ln 0.75).
    REQUIRE(bce[2] == Approx((std::log(2.0) - 0.5 * std::log(0.25) - 0.5 * std::log(0.75)) / 2));
    AE_REQUIRE_THROWS(reconstruction_errors(x, Matrix<double>(2, 2), Metric::mse), ShapeError,
                      Contains("2 x 3 and 2 x 2"));
}

TEST_CASE("anomaly: reconstruction errors through a model equal those of its predictions", "[anomaly]") {
    auto parts = recipes::vanilla<float>(12, {6}, 3, 5);
    const Matrix<float> x = testing::manifold_data(12, 40, 3);
    const Matrix<float> x_hat = parts.autoencoder->predict(x);
    const std::vector<double> direct = reconstruction_errors(x, x_hat, Metric::bce);
    REQUIRE(reconstruction_errors(*parts.autoencoder, x, Metric::bce) == direct);
    // Another batch size changes only the float rounding of the products.
    const std::vector<double> batched = reconstruction_errors(*parts.autoencoder, x, Metric::bce, 7);
    REQUIRE(batched.size() == direct.size());
    for (std::size_t i = 0; i < direct.size(); ++i) REQUIRE(batched[i] == Approx(direct[i]).epsilon(1e-5));
}

TEST_CASE("anomaly: fit_threshold interpolates between order statistics", "[anomaly]") {
    const std::vector<double> s{5, 1, 4, 2, 3};  // sorted 1 2 3 4 5, positions 0..4
    REQUIRE(fit_threshold(s, 0) == 1.0);
    REQUIRE(fit_threshold(s, 100) == 5.0);
    REQUIRE(fit_threshold(s, 50) == 3.0);
    REQUIRE(fit_threshold(s, 90) == Approx(4.6));    // position 3.6
    REQUIRE(fit_threshold(s, 12.5) == Approx(1.5));  // position 0.5
    REQUIRE(fit_threshold({7}, 99) == 7.0);
    // 99th percentile of 0..999: position 989.01.
    std::vector<double> many(1000);
    for (int i = 0; i < 1000; ++i) many[std::size_t(i)] = i;
    REQUIRE(fit_threshold(many, 99) == Approx(989.01));
    AE_REQUIRE_THROWS(fit_threshold(s, 101), ConfigError, Contains("[0, 100], got 101"));
    AE_REQUIRE_THROWS(fit_threshold({}, 50), ConfigError, Contains("no scores"));
    AE_REQUIRE_THROWS(fit_threshold({1, NAN}, 50), ConfigError, Contains("score 1 is nan"));
}

TEST_CASE("anomaly: roc_auc of hand-computed cases, ties counting one half", "[anomaly]") {
    // Perfect ranking, reversed ranking.
    REQUIRE(roc_auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}) == 1.0);
    REQUIRE(roc_auc({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}) == 0.0);
    // One anomaly (0.5) above 1 of 2 normals (0.3, 0.7): 1/2.
    REQUIRE(roc_auc({0.3, 0.5, 0.7}, {0, 1, 0}) == 0.5);
    // Every score equal: every pair a tie → 1/2.
    REQUIRE(roc_auc({2, 2, 2, 2}, {0, 1, 0, 1}) == 0.5);
    // Anomalies 0.4, 0.8 vs normals 0.4, 0.2, 0.6: pairs (0.4 vs 0.4) tie 1/2, (0.4 vs 0.2) 1,
    // (0.4 vs 0.6) 0, (0.8 vs each) 3 → 4.5 / 6 = 0.75.
    REQUIRE(roc_auc({0.4, 0.8, 0.4, 0.2, 0.6}, {1, 1, 0, 0, 0}) == 0.75);
    // Labels and scores must agree in size and kind; both classes must be present.
    AE_REQUIRE_THROWS(roc_auc({1, 2}, {0}), ShapeError, Contains("one label per score (2), got 1"));
    AE_REQUIRE_THROWS(roc_auc({1, 2}, {0, 2}), ConfigError, Contains("label 1 is 2"));
    AE_REQUIRE_THROWS(roc_auc({1, 2}, {0, 0}), ConfigError, Contains("got 0 anomalies among 2"));
    AE_REQUIRE_THROWS(roc_auc({1, 2}, {1, 1}), ConfigError, Contains("got 2 anomalies among 2"));
}

TEST_CASE("anomaly: roc_auc equals the pairwise definition and the trapezoid under roc_curve", "[anomaly]") {
    Rng rng(17);
    for (int trial = 0; trial < 50; ++trial) {
        const std::size_t n = 2 + rng.uniform_index(60);
        std::vector<double> s(n);
        std::vector<int> l(n);
        for (std::size_t i = 0; i < n; ++i) {
            s[i] = double(rng.uniform_index(8));  // few distinct values: many ties
            l[i] = int(rng.uniform_index(2));
        }
        l[0] = 0, l[1] = 1;
        INFO("trial " << trial << ", " << n << " scores");
        const double auc = roc_auc(s, l);
        REQUIRE(auc == Approx(anomaly_test_pairwise_auc(s, l)).margin(1e-12));
        const std::vector<RocPoint> curve = roc_curve(s, l);
        REQUIRE(area_under(curve) == Approx(auc).margin(1e-12));
        REQUIRE(curve.front().false_positive_rate == 0.0);
        REQUIRE(curve.back().false_positive_rate == 1.0);
        REQUIRE(curve.back().true_positive_rate == 1.0);
        for (std::size_t k = 1; k < curve.size(); ++k) {
            REQUIRE(curve[k].threshold < curve[k - 1].threshold);
            REQUIRE(curve[k].false_positive_rate >= curve[k - 1].false_positive_rate);
            REQUIRE(curve[k].true_positive_rate >= curve[k - 1].true_positive_rate);
        }
    }
}

TEST_CASE("anomaly: separated scores give AUC 1, reversed 0, random about 1/2", "[anomaly]") {
    Rng rng(3);
    const std::size_t n = 4000;
    std::vector<double> separated(n), random(n);
    std::vector<int> labels(n);
    for (std::size_t i = 0; i < n; ++i) {
        labels[i] = int(rng.uniform_index(5) == 0);  // about 20% anomalies
        separated[i] = labels[i] ? rng.uniform(1.0, 2.0) : rng.uniform(0.0, 0.999);
        random[i] = rng.uniform();
    }
    REQUIRE(roc_auc(separated, labels) == 1.0);
    std::vector<double> reversed(n);
    for (std::size_t i = 0; i < n; ++i) reversed[i] = -separated[i];
    REQUIRE(roc_auc(reversed, labels) == 0.0);
    // The AUC of random scores has standard deviation about sqrt((n₊ + n₋ + 1) / (12 n₊ n₋)) ≈ 0.011.
    REQUIRE(std::abs(roc_auc(random, labels) - 0.5) < 0.04);
    // A monotone transform of the scores changes nothing; flipping the labels gives 1 − AUC.
    std::vector<double> cubed(n);
    std::vector<int> flipped(n);
    for (std::size_t i = 0; i < n; ++i) cubed[i] = std::pow(random[i], 3), flipped[i] = 1 - labels[i];
    REQUIRE(roc_auc(cubed, labels) == roc_auc(random, labels));
    REQUIRE(roc_auc(random, flipped) == Approx(1 - roc_auc(random, labels)).margin(1e-12));
}

TEST_CASE("anomaly: detection counts, precision and recall at a threshold", "[anomaly]") {
    const std::vector<double> s{0.9, 0.8, 0.3, 0.6, 0.1, 0.5};
    const std::vector<int> l{1, 0, 1, 1, 0, 0};
    // Flagged (> 0.55): 0.9 (anomaly), 0.8 (normal), 0.6 (anomaly).
    const DetectionCounts c = detection_counts(s, l, 0.55);
    REQUIRE(c.true_positives == 2);
    REQUIRE(c.false_positives == 1);
    REQUIRE(c.false_negatives == 1);
    REQUIRE(c.true_negatives == 2);
    REQUIRE(c.precision() == Approx(2.0 / 3));
    REQUIRE(c.recall() == Approx(2.0 / 3));
    REQUIRE(c.f1() == Approx(2.0 / 3));
    REQUIRE(c.false_positive_rate() == Approx(1.0 / 3));
    // A score equal to the threshold is not flagged; nothing flagged gives precision 0.
    REQUIRE(detection_counts(s, l, 0.9).true_positives == 0);
    REQUIRE(detection_counts(s, l, 0.9).precision() == 0.0);
    REQUIRE(rank_by_score(s) == std::vector<Index>{0, 1, 3, 5, 2, 4});
    REQUIRE(rank_by_score({1, 2, 2, 1}) == std::vector<Index>{1, 2, 0, 3});  // ties keep their order
}
