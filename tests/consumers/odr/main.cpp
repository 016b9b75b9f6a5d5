// ODR check, first translation unit: builds the same model as second.cpp and compares.
#include <ae/ae.hpp>

#include <cstdio>

ae::Matrix<float> odr_second_unit_prediction(const ae::Matrix<float>& x);  // second.cpp

int main() {
    ae::Matrix<float> x(10, 3);
    ae::Rng rng(9);
    rng.fill_uniform(x, 0.0, 1.0);
    auto parts = ae::recipes::vanilla<float>(10, {7}, 4, /*seed=*/21);
    const ae::Matrix<float> here = parts.autoencoder->predict(x);
    const ae::Matrix<float> there = odr_second_unit_prediction(x);
    if (here != there) {
        std::puts("odr consumer: the two translation units predict differently with the same seed");
        return 1;
    }
    std::printf("odr consumer: ok, two translation units link and agree (%ld x %ld)\n", long(here.rows()),
                long(here.cols()));
    return 0;
}
