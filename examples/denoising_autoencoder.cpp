// A denoising autoencoder on MNIST: the 784-[128,64]-32 relu autoencoder (sigmoid output, Adam,
// BCE) with a noise layer in front of the encoder, active only in training, so it learns to map
// corrupted digits to clean ones:
//   --noise gaussian   GaussianNoise(--stddev, 0.3): every pixel plus N(0, stddev²)
//   --noise dropout    Dropout(--rate, 0.5): every pixel zeroed with probability rate (kept ones scaled
//                      by 1/(1 − rate), as Keras does)
// At inference the layer is the identity, so for the pictures the example corrupts test digits
// itself, the same way, with its own seeded ae::Rng. Prints one line per epoch, then the test losses
// on clean and on noisy inputs and the mean squared error to the clean digits before and after
// denoising. Writes, under --out:
//   denoising.png (rows: noisy inputs / denoised outputs / clean originals), loss.png,
//   denoising_<noise>.aemodel (the trained model, reloadable with ae::load).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ae/ae.hpp"
#include "example_args.hpp"

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: denoising_autoencoder [--noise gaussian|dropout] [--stddev X] [--rate X]\n"
                           "                             [--data DIR] [--epochs N] [--batch-size N] [--threads N]\n"
                           "                             [--seed N] [--out DIR]");
    const std::string noise = args.get("noise", "gaussian");
    const double stddev = args.get_double("stddev", 0.3);
    const double rate = args.get_double("rate", 0.5);
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "denoising_autoencoder", 10);
    args.done();
    if (noise != "gaussian" && noise != "dropout") {
        std::fprintf(stderr, "error: --noise expects gaussian or dropout, got '%s'\n", noise.c_str());
        return 2;
    }

    try {
        using namespace ae;
        set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        std::printf("MNIST: %ld training and %ld test images\n", long(x_train.cols()), long(x_test.cols()));

        LayerPtr<float> corrupt = noise == "gaussian" ? LayerPtr<float>(std::make_shared<GaussianNoise<float>>(stddev))
                                                      : LayerPtr<float>(std::make_shared<Dropout<float>>(rate));
        std::vector<LayerPtr<float>> enc{corrupt, std::make_shared<Dense<float>>(128, Activation::relu),
                                         std::make_shared<Dense<float>>(64, Activation::relu),
                                         std::make_shared<Dense<float>>(32, Activation::relu)};
        std::vector<LayerPtr<float>> dec{std::make_shared<Dense<float>>(64, Activation::relu),
                                         std::make_shared<Dense<float>>(128, Activation::relu),
                                         std::make_shared<Dense<float>>(784, Activation::sigmoid)};
        auto [encoder, decoder, autoencoder] = recipes::assemble<float>(Shape{784}, enc, dec, seed);
        autoencoder->compile(std::make_shared<Adam<float>>(1e-3), std::make_shared<BinaryCrossEntropy<float>>());
        std::printf("%s", autoencoder->summary().c_str());
        // fit(x, x): the noise layer corrupts the inputs inside the model; the targets stay clean.
        auto history = autoencoder->fit(
            x_train, x_train,
            {.epochs = epochs, .batch_size = batch_size, .seed = seed, .validation_data = {x_test, x_test}});

        // Corrupt the test digits as the layer does in training.
        Rng rng(seed + 1);
        Matrix<float> noisy = x_test;  // 784 × 10000
        for (Index i = 0; i < noisy.size(); ++i) {
            float& v = noisy.data()[i];
            if (noise == "gaussian")
                v += float(stddev * rng.normal());
            else
                v = rng.uniform() < rate ? 0.f : v / float(1 - rate);
        }
        Matrix<float> denoised = autoencoder->reconstruct(noisy);
        Matrix<float> seen = noisy.cwiseMax(0.f).cwiseMin(1.f);  // the noisy digits as pictured
        const double noisy_bce = BinaryCrossEntropy<float>().value(denoised, x_test);
        const double mse_before = MSE<float>().value(seen, x_test), mse_after = MSE<float>().value(denoised, x_test);
        std::printf("test BCE: clean inputs %.4f, noisy inputs %.4f\n", history["val_loss"].back(), noisy_bce);
        std::printf("MSE to the clean digits: noisy %.4f, denoised %.4f\n", mse_before, mse_after);

        Matrix<float> n10 = seen.leftCols(10), d10 = denoised.leftCols(10), c10 = x_test.leftCols(10);
        io::save_image_grid(out + "/denoising.png", {&n10, &d10, &c10}, Shape{28, 28, 1}, 10, 3,
                            {"noisy", "denoised", "clean"});
        io::save_loss_curves(
            out + "/loss.png",
            {{"train BCE (noisy inputs)", history["loss"]}, {"validation BCE (clean inputs)", history["val_loss"]}},
            "denoising AE 784-[128,64]-32, " + noise + " noise");
        save(*autoencoder, out + "/denoising_" + noise + ".aemodel");
        std::printf("wrote %s/{denoising.png, loss.png, denoising_%s.aemodel}\n", out.c_str(), noise.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
