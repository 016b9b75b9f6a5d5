// The README's usage snippet, compiled with the examples so it cannot go stale.
#include <ae/ae.hpp>

int main() {
    auto mnist = ae::data::load_mnist<float>("data/mnist");  // 784 × 60000 floats in [0, 1]
    const ae::Matrix<float>& x_train = mnist.train.x;
    const ae::Matrix<float>& x_test = mnist.test.x;

    // 784 → 128 → 64 → 32 → 64 → 128 → 784, relu, sigmoid output, Adam + binary cross-entropy.
    auto [encoder, decoder, autoencoder] = ae::recipes::vanilla<float>(784, {128, 64}, 32);

    ae::History history = autoencoder->fit(x_train, x_train,
        {.epochs = 5, .batch_size = 256, .validation_data = {x_test, x_test}});

    ae::Matrix<float> codings = encoder->predict(x_test);          // 32 × 10000
    ae::Matrix<float> reconstructions = decoder->predict(codings);  // 784 × 10000

    ae::Matrix<float> first = x_test.leftCols(10), recon = reconstructions.leftCols(10);
    ae::io::save_image_grid("reconstructions.png", {&first, &recon}, ae::Shape{28, 28, 1});
    ae::io::save_loss_curves("loss.png", history, "MNIST autoencoder");
    ae::save(*autoencoder, "autoencoder.aemodel");  // reload with ae::load<float>(path)
    return 0;
}
