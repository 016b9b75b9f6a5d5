// ODR check, first translation unit: a small autoencoder's prediction, on an input that
// second.cpp (the other unit including ae/ae.hpp) fills from the same seed.
#include <ae/ae.hpp>

#include <cstdio>

ae::Matrix<float> odr_second_unit_input();  // second.cpp

int main() {
    ae::Matrix<float> x(10, 3);
    ae::Rng rng(9);
    rng.fill_uniform(x, 0.0, 1.0);
    auto parts = ae::recipes::vanilla<float>(10, {7}, 4, /*seed=*/21);
    if (odr_second_unit_input() != x) {
        std::puts("odr consumer: the two translation units draw different numbers from the same seed");
        return 1;
    }
    const ae::Matrix<float> here = parts.autoencoder->predict(x);
    if (here.rows() != 10 || here.cols() != 3 || !here.allFinite()) {
        std::printf("odr consumer: expected 10 x 3 finite predictions, got %ld x %ld\n", long(here.rows()),
                    long(here.cols()));
        return 1;
    }
    std::printf("odr consumer: ok, two translation units link and agree (%ld x %ld)\n", long(here.rows()),
                long(here.cols()));
    return 0;
}
