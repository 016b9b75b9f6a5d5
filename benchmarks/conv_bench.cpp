// ae side of the convolutional benchmark (torch_conv.py is PyTorch's side): the exercise's conv
// autoencoder (28x28x1, filters [16, 8, 8], codings 4x4x8), Adam, binary cross-entropy,
// batch 256, on random MNIST-shaped data (60000 images in [0, 1]). One warm-up epoch, then
// --epochs timed epochs; prints the median seconds per epoch.
//   build/release/benchmarks/conv_bench --threads 2
//   build/release/benchmarks/conv_bench --block-columns 1000000   (one GEMM per layer per batch)
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "ae/ae.hpp"
#include "ae/models/recipes/convolutional.hpp"

int main(int argc, char** argv) {
    int epochs = 3, threads = 2;
    long batch = 256, samples = 60000, block_columns = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--epochs")
            epochs = std::stoi(v);
        else if (k == "--threads")
            threads = std::stoi(v);
        else if (k == "--batch-size")
            batch = std::stol(v);
        else if (k == "--samples")
            samples = std::stol(v);
        else if (k == "--block-columns")
            block_columns = std::stol(v);
        else {
            std::fprintf(stderr, "unknown flag %s\n", k.c_str());
            return 2;
        }
    }
    try {
        ae::set_num_threads(threads);
        ae::Matrix<float> x(784, samples);
        ae::Rng rng(0);
        rng.fill_uniform(x, 0.0, 1.0);
        auto parts = ae::recipes::convolutional<float>(ae::Shape{28, 28, 1}, {16, 8, 8}, ae::Shape{4, 4, 8});
        auto& model = *parts.autoencoder;
        for (auto& part : {parts.encoder, parts.decoder})
            for (auto& layer : part->layers())
                if (auto conv = std::dynamic_pointer_cast<ae::Conv2D<float>>(layer))
                    conv->set_block_columns(block_columns);
        std::vector<double> times;
        for (int e = 0; e <= epochs; ++e) {
            auto h = model.fit(x, x, {.epochs = 1, .batch_size = batch, .seed = std::uint64_t(e), .verbose = 0});
            const double s = h["seconds"][0];
            std::printf("%s: %.3f s, loss %.4f\n", e == 0 ? "warm-up" : ("epoch " + std::to_string(e)).c_str(), s,
                        h["loss"][0]);
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
