// Consumer through pkg-config (no CMake): compiled by run_consumer.sh as
//   c++ -std=c++20 main.cpp $(pkg-config --cflags --libs ae)
// Trains a tiny dense autoencoder for a few epochs; the loss must go down.
#include <ae/ae.hpp>

#include <cstdio>

int main() {
    auto parts = ae::recipes::vanilla<float>(6, {}, 2, /*seed=*/11);
    ae::Matrix<float> x(6, 64);
    ae::Rng rng(2);
    rng.fill_uniform(x, 0.0, 1.0);
    const ae::History h = parts.autoencoder->fit(x, x, {.epochs = 20, .batch_size = 16, .verbose = 0});
    const double first = h["loss"].front(), last = h["loss"].back();
    if (!(last < first)) {
        std::printf("pkg_config consumer: expected the loss to decrease over 20 epochs, got %g -> %g\n", first, last);
        return 1;
    }
    std::printf("pkg_config consumer: ok, loss %.4f -> %.4f\n", first, last);
    return 0;
}
