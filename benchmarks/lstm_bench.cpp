// ae side of the recurrent benchmark: the book's recurrent autoencoder (recipes::recurrent,
// LSTM(100, seq) → LSTM(30) → RepeatVector(28) → LSTM(100, seq) → TimeDistributed(Dense(28,
// sigmoid)), Adam, BCE fused with the sigmoid) on MNIST rows, batch 256, as torch_lstm.py.
// One warm-up pass, then --epochs timed passes; prints the median seconds per epoch.
// --batches N times only the first N batches of each pass and scales to a full 60000-image
// epoch (an epoch of this model takes tens of seconds on 2 threads).
//   build/release/benchmarks/lstm_bench --data data/mnist --threads 2 --batches 60
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "ae/ae.hpp"
#include "ae/models/recipes/recurrent.hpp"

int main(int argc, char** argv) {
    std::string data = "data/mnist";
    int epochs = 2, threads = 2;
    long batch = 256, batches = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--data") data = v;
        else if (k == "--epochs") epochs = std::stoi(v);
        else if (k == "--threads") threads = std::stoi(v);
        else if (k == "--batch-size") batch = std::stol(v);
        else if (k == "--batches") batches = std::stol(v);
        else {
            std::fprintf(stderr, "unknown flag %s\n", k.c_str());
            return 2;
        }
    }
    try {
        ae::set_num_threads(threads);
        auto mnist = ae::data::load_mnist<float>(data);
        const ae::Index full = mnist.train.x.cols();
        const ae::Index n = batches > 0 ? std::min<ae::Index>(full, batches * batch) : full;
        const ae::Matrix<float> x = mnist.train.x.leftCols(n);  // x: 784 × n, 28 steps of 28 pixels
        const double scale = double(full) / double(n);
        auto parts = ae::recipes::recurrent<float>();
        auto& model = *parts.autoencoder;
        std::vector<double> times;
        for (int e = 0; e <= epochs; ++e) {
            auto h = model.fit(x, x, {.epochs = 1, .batch_size = batch, .seed = std::uint64_t(e), .verbose = 0});
            const double s = h["seconds"][0] * scale;
            std::printf("%s: %.3f s/epoch (%ld images timed), loss %.4f\n",
                        e == 0 ? "warm-up" : ("epoch " + std::to_string(e)).c_str(), s, long(n), h["loss"][0]);
            std::fflush(stdout);
            if (e > 0) times.push_back(s);
        }
        std::sort(times.begin(), times.end());
        std::printf("median_seconds_per_epoch %.4f\n", times[times.size() / 2]);
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
