// Consumer through FetchContent: a small recurrent autoencoder on sequences of 5 steps x 3.
#include <ae/ae.hpp>

#include <cstdio>

int main() {
    auto parts = ae::recipes::recurrent<float>(/*steps=*/5, /*features=*/3, /*hidden=*/6, /*latent=*/2);
    ae::Matrix<float> x(15, 4);
    ae::Rng rng(5);
    rng.fill_uniform(x, 0.0, 1.0);
    const ae::Matrix<float> codings = parts.autoencoder->encode(x);
    const ae::Matrix<float> y = parts.autoencoder->reconstruct(x);
    if (codings.rows() != 2 || y.rows() != 15 || y.cols() != 4 || !y.allFinite()) {
        std::printf("fetch_content consumer: expected 2 codings and 15 x 4 outputs, got %ld and %ld x %ld\n",
                    long(codings.rows()), long(y.rows()), long(y.cols()));
        return 1;
    }
    std::printf("fetch_content consumer: ok, codings %ld x %ld\n", long(codings.rows()), long(codings.cols()));
    return 0;
}
