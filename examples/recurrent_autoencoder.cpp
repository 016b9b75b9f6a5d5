// The book's recurrent autoencoder on MNIST rows: each 28×28 image is a sequence of 28 steps of
// 28 pixels. ae's MNIST columns are already in that {28, 28} layout (28 rows, row-major), so
// the images are fed as they are.
//   encoder: LSTM(100, return_sequences) → LSTM(30)
//   decoder: RepeatVector(28) → LSTM(100, return_sequences) → TimeDistributed(Dense(28, sigmoid))
// Adam + BCE, batch 32 by default (Keras' default, as in the book): the LSTMs need the updates.
// Batch 256 gives 8× fewer steps per epoch and stalls near the mean image (val BCE 0.17 after 10
// epochs, against 0.15 after 2 at batch 32). Prints one line per epoch and writes, under --out:
//   reconstructions.png (originals over reconstructions), loss.png (train/validation).
#include <cstdio>
#include <filesystem>

#include "ae/ae.hpp"
#include "ae/models/recipes/recurrent.hpp"
#include "example_args.hpp"

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: recurrent_autoencoder [--data DIR] [--epochs N] [--batch-size N] [--threads N]\n"
                           "                             [--train N] [--seed N] [--out DIR]\n"
                           "  --train N  use only the first N training images (0: all 60000)");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "recurrent_autoencoder", 2, 32);
    const long train = args.get_int("train", 0);
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const ae::Index n = train > 0 ? std::min<ae::Index>(train, mnist.train.x.cols()) : mnist.train.x.cols();
        const ae::Matrix<float> x_train = mnist.train.x.leftCols(n);  // 784 × n = 28 steps of 28 pixels
        const auto& x_test = mnist.test.x;
        std::printf("MNIST rows: %ld training and %ld test sequences of 28 steps × 28 pixels\n", long(n),
                    long(x_test.cols()));

        auto [encoder, decoder, autoencoder] = ae::recipes::recurrent<float>(28, 28, 100, 30, std::uint64_t(seed));
        std::printf("%s", autoencoder->summary().c_str());
        auto history = autoencoder->fit(x_train, x_train,
                                        {.epochs = epochs, .batch_size = batch_size, .seed = std::uint64_t(seed),
                                         .validation_data = {x_test, x_test}});

        ae::Matrix<float> originals = x_test.leftCols(10);
        ae::Matrix<float> reconstructions = autoencoder->reconstruct(originals);
        ae::io::save_image_grid(out + "/reconstructions.png", {&originals, &reconstructions}, ae::Shape{28, 28, 1},
                                10, 3);
        ae::io::save_loss_curves(out + "/loss.png",
                                 {{"train BCE", history["loss"]}, {"validation BCE", history["val_loss"]}},
                                 "MNIST recurrent autoencoder (LSTM 100-30-100)");
        std::printf("final validation BCE %.4f; wrote %s/{reconstructions.png, loss.png}\n",
                    history["val_loss"].back(), out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
