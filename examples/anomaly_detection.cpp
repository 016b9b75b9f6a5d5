// Anomaly detection on MNIST: for each held-out digit d, train the classic dense autoencoder
// 784-[128,64]-32 (recipes::vanilla: relu, sigmoid output, Adam, BCE) on the training images of
// the nine other digits, then score every test image by its reconstruction error (ae::anomaly).
// The held-out digit plays the anomaly: the ROC AUC says how well the error ranks its test images
// above the nine known digits' (1 = perfectly, 0.5 = chance, below 0.5 = the "anomaly" is easier
// to reconstruct than normal data).
// The last --validation training images (never trained on) give the threshold: the --percentile
// of their errors; precision and recall are measured on the test set at that threshold.
// Prints a table (AUC by per-image MSE and BCE, threshold, precision, recall) and the mean AUC;
// writes, under --out:
//   extremes_<d>.png      the 12 most anomalous test images (top row) and the 12 least (bottom)
//   anomaly_extremes.png  the same two rows for every held-out digit, in one picture
//   loss_curves.png       the training loss of the runs, one curve per held-out digit
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ae/ae.hpp"
#include "ae/analysis/anomaly.hpp"
#include "example_args.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The columns of x whose label is not `digit` (with their labels), among columns [begin, end).
ae::Matrix<float> without_digit(const ae::Matrix<float>& x, const std::vector<int>& labels, int digit,
                                ae::Index begin, ae::Index end) {
    std::vector<ae::Index> keep;
    for (ae::Index i = begin; i < end; ++i)
        if (labels[std::size_t(i)] != digit) keep.push_back(i);
    ae::Matrix<float> out(x.rows(), ae::Index(keep.size()));
    for (std::size_t k = 0; k < keep.size(); ++k) out.col(ae::Index(k)) = x.col(keep[k]);
    return out;
}

/// The columns of x at the given indices, in that order.
ae::Matrix<float> columns(const ae::Matrix<float>& x, const std::vector<ae::Index>& idx) {
    ae::Matrix<float> out(x.rows(), ae::Index(idx.size()));
    for (std::size_t k = 0; k < idx.size(); ++k) out.col(ae::Index(k)) = x.col(idx[k]);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: anomaly_detection [--data DIR] [--epochs N] [--batch-size N] [--threads N] [--seed N]\n"
                           "                         [--digits LIST] [--validation N] [--percentile P] [--out DIR]\n"
                           "  --digits LIST    digits to hold out, one training each (default 0123456789)\n"
                           "  --validation N   last N training images kept out of training for the threshold (5000)\n"
                           "  --percentile P   threshold = this percentile of their errors (default 99)");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "anomaly_detection", 5);
    const std::string digits = args.get("digits", "0123456789");
    const long n_validation = args.get_int("validation", 5000);
    const double percentile = args.get_double("percentile", 99);
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_test = mnist.test.x;
        const ae::Index n_train = mnist.train.x.cols() - n_validation;
        if (n_validation < 100 || n_train < 1000)
            throw ae::ConfigError("--validation must leave at least 1000 training images and be >= 100, got " +
                                  std::to_string(n_validation));
        for (char c : digits)
            if (c < '0' || c > '9') throw ae::ConfigError("--digits expects digits 0-9, got '" + digits + "'");

        const ae::Shape image{28, 28, 1};
        struct Row {
            int digit;
            double auc_mse, auc_bce, threshold, precision, recall, seconds;
        };
        std::vector<Row> table;
        std::vector<ae::io::Run> runs;
        std::vector<ae::Matrix<float>> extremes;  // most, least, most, least, ... for the summary picture
        std::vector<std::string> extreme_labels;
        const auto t_all = std::chrono::steady_clock::now();
        for (char c : digits) {
            const int d = c - '0';
            const auto t0 = std::chrono::steady_clock::now();
            const ae::Matrix<float> x_normal = without_digit(mnist.train.x, mnist.train.labels, d, 0, n_train);
            const ae::Matrix<float> x_val =
                without_digit(mnist.train.x, mnist.train.labels, d, n_train, mnist.train.x.cols());
            auto parts = ae::recipes::vanilla<float>(784, {128, 64}, 32, std::uint64_t(seed));
            auto history = parts.autoencoder->fit(
                x_normal, x_normal,
                {.epochs = epochs, .batch_size = batch_size, .seed = std::uint64_t(seed), .verbose = 0});
            runs.push_back({"without " + std::to_string(d), history});

            using ae::anomaly::Metric;
            const std::vector<double> mse = ae::anomaly::reconstruction_errors(*parts.autoencoder, x_test, Metric::mse);
            const std::vector<double> bce = ae::anomaly::reconstruction_errors(*parts.autoencoder, x_test, Metric::bce);
            std::vector<int> is_anomaly(mnist.test.labels.size());
            for (std::size_t i = 0; i < is_anomaly.size(); ++i) is_anomaly[i] = mnist.test.labels[i] == d;

            const double threshold = ae::anomaly::fit_threshold(
                ae::anomaly::reconstruction_errors(*parts.autoencoder, x_val, Metric::mse), percentile);
            const ae::anomaly::DetectionCounts counts = ae::anomaly::detection_counts(mse, is_anomaly, threshold);
            table.push_back({d, ae::anomaly::roc_auc(mse, is_anomaly), ae::anomaly::roc_auc(bce, is_anomaly), threshold,
                             counts.precision(), counts.recall(), seconds_since(t0)});
            std::printf("held out %d: trained on %ld images, final loss %.4f, AUC %.3f (%.1f s)\n", d,
                        long(x_normal.cols()), history["loss"].back(), table.back().auc_mse, table.back().seconds);
            std::fflush(stdout);

            // Pictures: the 12 test images with the highest and the lowest MSE.
            const std::vector<ae::Index> order = ae::anomaly::rank_by_score(mse);
            const ae::Matrix<float> most = columns(x_test, {order.begin(), order.begin() + 12});
            const ae::Matrix<float> least = columns(x_test, {order.end() - 12, order.end()});
            ae::io::save_image_grid(out + "/extremes_" + std::to_string(d) + ".png", {&most, &least}, image, 12, 2,
                                    {"most anomalous", "least anomalous"});
            extremes.push_back(most);
            extremes.push_back(least);
            extreme_labels.push_back("no " + std::to_string(d) + ": most");
            extreme_labels.push_back("no " + std::to_string(d) + ": least");
        }

        std::printf("\nheld-out | ROC AUC | ROC AUC | threshold (%g%%) | precision | recall | seconds\n", percentile);
        std::printf("digit    | (MSE)   | (BCE)   | MSE            |           |        |\n");
        double mean_mse = 0, mean_bce = 0;
        for (const Row& r : table) {
            std::printf("%8d | %7.4f | %7.4f | %14.5f | %9.3f | %6.3f | %7.1f\n", r.digit, r.auc_mse, r.auc_bce,
                        r.threshold, r.precision, r.recall, r.seconds);
            mean_mse += r.auc_mse / double(table.size());
            mean_bce += r.auc_bce / double(table.size());
        }
        std::printf("mean ROC AUC over %zu held-out digits: %.4f (MSE), %.4f (BCE); %d epochs each, %.1f s in all\n",
                    table.size(), mean_mse, mean_bce, epochs, seconds_since(t_all));

        std::vector<const ae::Matrix<float>*> rows;
        for (const auto& m : extremes) rows.push_back(&m);
        ae::io::save_image_grid(out + "/anomaly_extremes.png", rows, image, 12, 1, extreme_labels);
        ae::io::save_runs(out + "/loss_curves.png", runs, "Training BCE, one run per held-out digit", "loss", false);
        std::printf("wrote %s/{extremes_<d>.png, anomaly_extremes.png, loss_curves.png}\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
