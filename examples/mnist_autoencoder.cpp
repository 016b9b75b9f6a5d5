// The classic dense autoencoder on MNIST: 784-[128,64]-32, relu, sigmoid output, Adam, BCE.
// Prints one line per epoch and writes, under --out:
//   reconstructions.png  (originals over reconstructions), loss.png (train/validation),
//   mnist_autoencoder.aemodel (the trained model, reloadable with ae::load).
#include <cstdio>
#include <filesystem>

#include "ae/ae.hpp"
#include "example_args.hpp"

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: mnist_autoencoder [--data DIR] [--epochs N] [--batch-size N] [--threads N]\n"
                           "                         [--seed N] [--out DIR]");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "mnist_autoencoder", 10);
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        std::printf("MNIST: %ld training and %ld test images\n", long(mnist.train.x.cols()), long(mnist.test.x.cols()));

        auto [encoder, decoder, autoencoder] = ae::recipes::vanilla<float>(784, {128, 64}, 32, std::uint64_t(seed));
        std::printf("%s", autoencoder->summary().c_str());

        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        auto history = autoencoder->fit(x_train, x_train,
                                        {.epochs = epochs, .batch_size = batch_size, .seed = std::uint64_t(seed),
                                         .validation_data = {x_test, x_test}});

        ae::Matrix<float> originals = x_test.leftCols(10);
        ae::Matrix<float> reconstructions = autoencoder->reconstruct(originals);
        ae::io::save_image_grid(out + "/reconstructions.png", {&originals, &reconstructions}, ae::Shape{28, 28, 1}, 10, 3);
        ae::io::save_loss_curves(out + "/loss.png",
                                 {{"train BCE", history["loss"]}, {"validation BCE", history["val_loss"]}},
                                 "MNIST autoencoder 784-[128,64]-32");
        ae::save(*autoencoder, out + "/mnist_autoencoder.aemodel");
        std::printf("final validation BCE %.4f; wrote %s/{reconstructions.png, loss.png, mnist_autoencoder.aemodel}\n",
                    history["val_loss"].back(), out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
