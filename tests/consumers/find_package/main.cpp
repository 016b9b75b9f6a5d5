// Consumer of an installed ae (find_package): a small dense autoencoder, saved to a model file
// and loaded back; the reloaded model must predict exactly what the original did.
#include <ae/ae.hpp>

#include <cstdio>

int main() {
    auto parts = ae::recipes::vanilla<float>(12, {8}, 3, /*seed=*/7);
    ae::Matrix<float> x(12, 5);
    ae::Rng rng(1);
    rng.fill_uniform(x, 0.0, 1.0);
    const ae::Matrix<float> y = parts.autoencoder->predict(x);

    ae::save(*parts.autoencoder, "consumer.aem");
    auto reloaded = ae::load<float>("consumer.aem");
    auto* model = dynamic_cast<ae::Sequential<float>*>(reloaded.get());
    if (!model) {
        std::puts("find_package consumer: the reloaded model is not a Sequential");
        return 1;
    }
    const ae::Matrix<float> y2 = model->predict(x);
    if (y.rows() != 12 || y.cols() != 5 || y2 != y) {
        std::printf("find_package consumer: expected equal 12 x 5 predictions, got %ld x %ld, max diff %g\n",
                    long(y2.rows()), long(y2.cols()), y2.rows() == y.rows() ? double((y2 - y).cwiseAbs().maxCoeff()) : -1.0);
        return 1;
    }
    std::printf("find_package consumer: ok, %ld parameters, reloaded predictions identical\n",
                long(parts.autoencoder->count_params()));
    return 0;
}
