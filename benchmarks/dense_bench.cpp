// ae side of the dense benchmarks: trains a model on MNIST for one warm-up epoch plus
// --epochs timed epochs and prints the median seconds per epoch, as torch_models.py does.
//   build/release/benchmarks/dense_bench vanilla --data data/mnist --threads 2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "ae/ae.hpp"

int main(int argc, char** argv) {
    std::string model_name = argc > 1 ? argv[1] : "vanilla";
    std::string data = "data/mnist";
    int epochs = 3, threads = 2;
    long batch = 256;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--data") data = v;
        else if (k == "--epochs") epochs = std::stoi(v);
        else if (k == "--threads") threads = std::stoi(v);
        else if (k == "--batch-size") batch = std::stol(v);
        else {
            std::fprintf(stderr, "unknown flag %s\n", k.c_str());
            return 2;
        }
    }
    try {
        ae::set_num_threads(threads);
        auto mnist = ae::data::load_mnist<float>(data);
        if (model_name != "vanilla") {
            std::fprintf(stderr, "unknown model %s (known: vanilla)\n", model_name.c_str());
            return 2;
        }
        auto parts = ae::recipes::vanilla<float>(784, {128, 64}, 32);
        auto& model = *parts.autoencoder;
        std::vector<double> times;
        for (int e = 0; e <= epochs; ++e) {
            auto h = model.fit(mnist.train.x, mnist.train.x,
                               {.epochs = 1, .batch_size = batch, .seed = std::uint64_t(e), .verbose = 0});
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
