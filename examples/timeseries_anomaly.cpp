// Time-series anomaly detection with an LSTM autoencoder.
// Trained on normal windows only: noisy sine waves of random phase, frequency and amplitude.
//   encoder: {T, 1} → LSTM(hidden) → Dense(latent, tanh)
//   decoder: RepeatVector(T) → LSTM(hidden, return_sequences) → TimeDistributed(Dense(1))
// Adam + MSE. A window is flagged when its reconstruction error (the largest squared error
// over its steps) exceeds a threshold: the --percentile of the errors on held-out normal windows.
// The test set mixes normal windows with windows carrying one injected anomaly — a spike, a
// level shift, or a frequency change — and the program prints precision and recall, overall
// and per kind, and writes under --out one plot per kind (a test window and its
// reconstruction: normal.png, spike.png, level_shift.png, frequency_change.png) and loss.png.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <vector>

#include "ae/ae.hpp"
#include "ae/analysis/anomaly.hpp"
#include "ae/layers/lstm.hpp"
#include "ae/layers/repeat_vector.hpp"
#include "ae/layers/time_distributed.hpp"
#include "example_args.hpp"

namespace {

enum class Kind { normal, spike, level_shift, frequency_change };
const char* name(Kind k) {
    switch (k) {
        case Kind::normal: return "normal";
        case Kind::spike: return "spike";
        case Kind::level_shift: return "level shift";
        case Kind::frequency_change: return "frequency change";
    }
    return "?";
}

/// One window of T steps (F = 1): a noisy sine, with the anomaly `kind` injected.
void make_window(ae::Rng& rng, Kind kind, Eigen::Ref<ae::Matrix<float>> out) {
    const ae::Index T = out.rows();
    const double two_pi = 2 * std::numbers::pi;
    const double freq = rng.uniform(0.03, 0.08);  // cycles per step: periods of 12–33 steps
    const double amp = rng.uniform(0.8, 1.2);
    double phase = rng.uniform(0, two_pi);
    ae::Index start = T;  // where a level shift or frequency change begins
    double shift = 0, new_freq = freq;
    if (kind == Kind::level_shift) {
        start = ae::Index(rng.uniform(4, double(T - 8)));
        shift = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.8, 1.5);
    } else if (kind == Kind::frequency_change) {
        start = ae::Index(rng.uniform(4, double(T - 12)));
        new_freq = freq * rng.uniform(2.5, 4.0);
    }
    for (ae::Index t = 0; t < T; ++t) {
        out(t, 0) = float(amp * std::sin(phase) + (t >= start ? shift : 0.0) + 0.05 * rng.normal());
        phase += two_pi * (t >= start ? new_freq : freq);  // phase-continuous frequency change
    }
    if (kind == Kind::spike) {
        const ae::Index at = ae::Index(rng.uniform(2, double(T - 2)));
        out(at, 0) += float((rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(1.5, 3.0));
    }
}

ae::Matrix<float> make_windows(ae::Rng& rng, const std::vector<Kind>& kinds, ae::Index T) {
    ae::Matrix<float> x(T, ae::Index(kinds.size()));  // x: T × n, each column a {T, 1} sample
    for (ae::Index i = 0; i < x.cols(); ++i) make_window(rng, kinds[i], x.col(i));
    return x;
}

/// Largest squared error over the steps of each window (column): a one-step spike counts as
/// much as a long deviation, where the mean over 32 steps would dilute it.
std::vector<double> window_errors(ae::Sequential<float>& model, const ae::Matrix<float>& x) {
    return ae::anomaly::reconstruction_errors(model, x, ae::anomaly::Metric::max_squared);
}

}  // namespace

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: timeseries_anomaly [--steps N] [--train N] [--epochs N] [--hidden N] [--latent N]\n"
                           "                          [--percentile P] [--threads N] [--seed N] [--out DIR]");
    const ae::Index T = args.get_int("steps", 32);
    const ae::Index n_train = args.get_int("train", 4000);
    const int epochs = int(args.get_int("epochs", 60));
    const ae::Index hidden = args.get_int("hidden", 64);
    const ae::Index latent = args.get_int("latent", 16);
    const double percentile = double(args.get_int("percentile", 99));
    const int threads = int(args.get_int("threads", 2));
    const long seed = args.get_int("seed", 42);
    const std::string out = args.get("out", "out/timeseries_anomaly");
    args.done();

    try {
        if (T < 16 || n_train < 64 || percentile <= 0 || percentile >= 100)
            throw ae::ConfigError("expected --steps >= 16, --train >= 64 and 0 < --percentile < 100");
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        ae::Rng rng(std::uint64_t(seed) + 1);
        const ae::Matrix<float> x_train = make_windows(rng, std::vector<Kind>(n_train, Kind::normal), T);
        const ae::Matrix<float> x_val = make_windows(rng, std::vector<Kind>(1000, Kind::normal), T);
        std::vector<Kind> test_kinds;
        for (Kind k : {Kind::normal, Kind::spike, Kind::level_shift, Kind::frequency_change})
            test_kinds.insert(test_kinds.end(), k == Kind::normal ? 600 : 200, k);
        const ae::Matrix<float> x_test = make_windows(rng, test_kinds, T);

        std::vector<ae::LayerPtr<float>> encoder{std::make_shared<ae::LSTM<float>>(hidden),
                                                 std::make_shared<ae::Dense<float>>(latent, ae::Activation::tanh)};
        std::vector<ae::LayerPtr<float>> decoder{
            std::make_shared<ae::RepeatVector<float>>(T), std::make_shared<ae::LSTM<float>>(hidden, true),
            std::make_shared<ae::TimeDistributed<float>>(std::make_shared<ae::Dense<float>>(1))};
        auto model = ae::recipes::assemble<float>(ae::Shape{T, 1}, encoder, decoder, std::uint64_t(seed)).autoencoder;
        model->compile(std::make_shared<ae::Adam<float>>(0.0005), std::make_shared<ae::MSE<float>>());
        std::printf("%s", model->summary().c_str());
        auto history = model->fit(x_train, x_train,
                                  {.epochs = epochs, .batch_size = 64, .seed = std::uint64_t(seed),
                                   .validation_data = {x_val, x_val}});

        // Threshold: the percentile of the normal validation windows' errors.
        const std::vector<double> val_err = window_errors(*model, x_val);
        const double threshold = ae::anomaly::fit_threshold(val_err, percentile);
        std::printf("threshold (%.0fth percentile of %zu normal validation errors): %.5f\n", percentile,
                    val_err.size(), threshold);

        const std::vector<double> err = window_errors(*model, x_test);
        for (Kind k : {Kind::spike, Kind::level_shift, Kind::frequency_change}) {
            long found = 0, total = 0;
            for (std::size_t i = 0; i < err.size(); ++i)
                if (test_kinds[i] == k) {
                    ++total;
                    found += err[i] > threshold;
                }
            std::printf("  %-17s recall %.3f (%ld of %ld)\n", name(k), double(found) / double(total), found, total);
        }
        std::vector<int> anomalous(err.size());
        for (std::size_t i = 0; i < err.size(); ++i) anomalous[i] = test_kinds[i] != Kind::normal;
        const ae::anomaly::DetectionCounts c = ae::anomaly::detection_counts(err, anomalous, threshold);
        std::printf("test: %zu windows (%zu anomalous): precision %.3f, recall %.3f (false alarms %zu); ROC AUC %.4f\n",
                    err.size(), c.true_positives + c.false_negatives, c.precision(), c.recall(), c.false_positives,
                    ae::anomaly::roc_auc(err, anomalous));

        // Pictures: the first test window of each kind with its reconstruction.
        const char* files[] = {"normal.png", "spike.png", "level_shift.png", "frequency_change.png"};
        for (int k = 0; k < 4; ++k) {
            const ae::Index i = k == 0 ? 0 : 600 + (k - 1) * 200;
            const ae::Matrix<float> w = x_test.col(i);
            const ae::Matrix<float> r = model->predict(w);
            ae::io::save_loss_curves(out + "/" + files[k],
                                     {{"window", std::vector<double>(w.data(), w.data() + T)},
                                      {"reconstruction", std::vector<double>(r.data(), r.data() + T)}},
                                     std::string(name(test_kinds[i])) + ": error " + std::to_string(err[i]) +
                                         (err[i] > threshold ? " (flagged)" : " (not flagged)"),
                                     "step", "value");
        }
        ae::io::save_loss_curves(out + "/loss.png", {{"train MSE", history["loss"]}, {"validation MSE", history["val_loss"]}},
                                 "LSTM autoencoder on sine windows");
        std::printf("wrote %s/{normal,spike,level_shift,frequency_change,loss}.png\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
