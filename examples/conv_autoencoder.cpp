// Convolutional autoencoders of the classic chapter, on MNIST or Fashion-MNIST.
//   --model exercise (default): ae::recipes::convolutional({28,28,1}, {16,8,8}, {4,4,8})
//       encoder Conv2D(3×3, same, relu) + MaxPool2D(2) ×3: 28→14→7→4, codings 4×4×8
//       decoder Conv2D + UpSampling2D: 4→8→16→14 (valid)→28, last Conv2D(1, sigmoid)
//   --model book: Conv2D 16/32/64 (selu) + MaxPool2D → 3×3×64, then Conv2DTranspose back to 28×28
// Adam + BCE. Prints one line per epoch and writes, under --out:
//   reconstructions.png (originals over reconstructions), loss.png (train/validation),
//   conv_autoencoder.aemodel (the trained model, reloadable with ae::load).
#include <cstdio>
#include <filesystem>

#include "ae/ae.hpp"
#include "ae/models/recipes/convolutional.hpp"
#include "example_args.hpp"

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: conv_autoencoder [--dataset mnist|fashion] [--data DIR] [--model exercise|book]\n"
                           "                        [--epochs N] [--batch-size N] [--threads N] [--seed N] [--out DIR]\n"
                           "  --data DIR  default: data/mnist, or Debian's /usr/share/datasets/fashion-mnist");
    const std::string dataset = args.get("dataset", "mnist");
    const std::string data_dir =
        args.get("data", dataset == "fashion" ? "/usr/share/datasets/fashion-mnist" : "data/mnist");
    const std::string model = args.get("model", "exercise");
    const int epochs = int(args.get_int("epochs", 5));
    const long batch_size = args.get_int("batch-size", 256);
    const int threads = int(args.get_int("threads", 2));
    const long seed = args.get_int("seed", 42);
    const std::string out = args.get("out", "out/conv_autoencoder");
    args.done();
    if (dataset != "mnist" && dataset != "fashion") {
        std::fprintf(stderr, "error: --dataset expects mnist or fashion, got '%s'\n", dataset.c_str());
        return 2;
    }
    if (model != "exercise" && model != "book") {
        std::fprintf(stderr, "error: --model expects exercise or book, got '%s'\n", model.c_str());
        return 2;
    }

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto data = dataset == "fashion" ? ae::data::load_fashion_mnist<float>(data_dir)
                                         : ae::data::load_mnist<float>(data_dir);
        std::printf("%s: %ld training and %ld test images\n", dataset == "fashion" ? "Fashion-MNIST" : "MNIST",
                    long(data.train.x.cols()), long(data.test.x.cols()));

        // A column is a 28×28 image row-major, which is HWC with C = 1: what Conv2D expects.
        const ae::Shape image{28, 28, 1};
        auto [encoder, decoder, autoencoder] =
            model == "book" ? ae::recipes::conv_book<float>(std::uint64_t(seed))
                            : ae::recipes::convolutional<float>(image, {16, 8, 8}, ae::Shape{4, 4, 8}, std::uint64_t(seed));
        std::printf("%s", autoencoder->summary().c_str());

        const auto& x_train = data.train.x;
        const auto& x_test = data.test.x;
        auto history = autoencoder->fit(x_train, x_train,
                                        {.epochs = epochs, .batch_size = batch_size, .seed = std::uint64_t(seed),
                                         .validation_data = {x_test, x_test}});

        ae::Matrix<float> originals = x_test.leftCols(10);
        ae::Matrix<float> reconstructions = autoencoder->reconstruct(originals);
        ae::io::save_image_grid(out + "/reconstructions.png", {&originals, &reconstructions}, image, 10, 3);
        ae::io::save_loss_curves(out + "/loss.png",
                                 {{"train BCE", history["loss"]}, {"validation BCE", history["val_loss"]}},
                                 "Convolutional autoencoder (" + model + ", " + dataset + ")");
        ae::save(*autoencoder, out + "/conv_autoencoder.aemodel");
        std::printf("final validation BCE %.4f; wrote %s/{reconstructions.png, loss.png, conv_autoencoder.aemodel}\n",
                    history["val_loss"].back(), out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
