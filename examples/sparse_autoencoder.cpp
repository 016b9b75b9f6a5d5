// Sparse autoencoders on MNIST, two kinds (--model):
//   sparse        recipes::sparse: 784-[128,64]-32 relu, L1 activity penalty (--l1, 1e-5) on the codings
//   overcomplete  784 → Dense(1000, sigmoid) → KLSparsity → Dense(784, sigmoid): more coding units
//                 (--units) than pixels, kept from copying the input by a KL target (--kl-target, 0.05)
//                 on each unit's mean activation, weighted by --kl-weight (0.003: small, because the
//                 KL is summed over all 1000 units while BCE is a mean over the 784 pixels)
// Both use Adam (1e-3) and binary cross-entropy. Prints one line per epoch, then the test BCE,
// the mean coding activation and the fraction of near-zero codings. Writes, under --out:
//   reconstructions.png (test originals over reconstructions), loss.png (train/validation),
//   activations.png (each coding unit's mean activation on the test set, sorted),
//   codes.png (the codings of the same 10 test digits as small images, scaled to their maximum),
//   <model>.aemodel (the trained model, reloadable with ae::load).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "ae/ae.hpp"
#include "example_args.hpp"

// 784 → Dense(units, sigmoid) → KLSparsity(target, weight) → Dense(784, sigmoid), Adam + BCE.
static ae::recipes::AutoencoderParts<float> overcomplete(ae::Index units, double target, double weight,
                                                         std::uint64_t seed) {
    using namespace ae;
    std::vector<LayerPtr<float>> enc{std::make_shared<Dense<float>>(units, Activation::sigmoid),
                                     std::make_shared<KLSparsity<float>>(target, weight)};
    std::vector<LayerPtr<float>> dec{std::make_shared<Dense<float>>(784, Activation::sigmoid)};
    auto parts = recipes::assemble<float>(Shape{784}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<float>>(1e-3), std::make_shared<BinaryCrossEntropy<float>>());
    return parts;
}

// The h x w picture shape for n values with h the largest divisor of n not above sqrt(n) (32 → 4x8).
static ae::Shape code_shape(ae::Index n) {
    ae::Index h = ae::Index(std::sqrt(double(n)));
    while (n % h != 0) --h;
    return ae::Shape{h, n / h, 1};
}

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: sparse_autoencoder [--model sparse|overcomplete] [--l1 X] [--kl-target P]\n"
                           "                          [--kl-weight BETA] [--units N] [--data DIR] [--epochs N]\n"
                           "                          [--batch-size N] [--threads N] [--seed N] [--out DIR]");
    const std::string model = args.get("model", "sparse");
    const double l1 = args.get_double("l1", 1e-5);
    const double kl_target = args.get_double("kl-target", 0.05);
    const double kl_weight = args.get_double("kl-weight", 0.003);
    const ae::Index units = args.get_int("units", 1000);
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "sparse_autoencoder", 10);
    args.done();
    if (model != "sparse" && model != "overcomplete") {
        std::fprintf(stderr, "error: --model expects sparse or overcomplete, got '%s'\n", model.c_str());
        return 2;
    }

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        std::printf("MNIST: %ld training and %ld test images\n", long(x_train.cols()), long(x_test.cols()));

        auto [encoder, decoder, autoencoder] = model == "sparse"
                                                   ? ae::recipes::sparse<float>(784, {128, 64}, 32, l1, seed)
                                                   : overcomplete(units, kl_target, kl_weight, seed);
        std::printf("%s", autoencoder->summary().c_str());
        auto history = autoencoder->fit(
            x_train, x_train,
            {.epochs = epochs, .batch_size = batch_size, .seed = seed, .validation_data = {x_test, x_test}});

        // Test set: reconstruction BCE alone (val_loss also holds the sparsity penalty) and codings.
        ae::Matrix<float> codings = encoder->predict(x_test);           // units × 10000
        ae::Matrix<float> reconstructions = decoder->predict(codings);  // 784 × 10000
        const double bce = ae::BinaryCrossEntropy<float>().value(reconstructions, x_test);
        const double near_zero = 0.01;
        const double mean_act = codings.mean();
        const double frac_zero = (codings.array().abs() < float(near_zero)).cast<double>().mean();
        std::vector<double> unit_means(std::size_t(codings.rows()));
        for (ae::Index j = 0; j < codings.rows(); ++j) unit_means[std::size_t(j)] = codings.row(j).mean();
        std::sort(unit_means.begin(), unit_means.end(), std::greater<>());
        const long dead = std::count_if(unit_means.begin(), unit_means.end(), [&](double m) { return m < near_zero; });
        std::printf("test: reconstruction BCE %.5f, val_loss (BCE + penalty) %.5f\n", bce, history["val_loss"].back());
        std::printf(
            "codings: %ld units, mean activation %.4f, %.1f%% of codings below %.2f, %ld units with mean below it\n",
            long(codings.rows()), mean_act, 100 * frac_zero, near_zero, dead);

        const std::string title = model == "sparse" ? "sparse AE 784-[128,64]-32, L1 on codings"
                                                    : "overcomplete AE 784-" + std::to_string(units) + "-784, KL";
        ae::Matrix<float> originals = x_test.leftCols(10), recon = reconstructions.leftCols(10);
        ae::io::save_image_grid(out + "/reconstructions.png", {&originals, &recon}, ae::Shape{28, 28, 1}, 10, 3);
        ae::io::save_loss_curves(
            out + "/loss.png",
            {{"train (BCE + penalty)", history["loss"]}, {"validation (BCE + penalty)", history["val_loss"]}}, title);
        ae::io::save_loss_curves(out + "/activations.png", {{"mean activation", unit_means}},
                                 "coding units by mean test activation", "unit (sorted)", "mean activation");
        ae::Matrix<float> codes = codings.leftCols(10);
        codes /= std::max(codes.maxCoeff(), 1e-12f);  // brightest coding = white
        const ae::Shape cs = code_shape(codes.rows());
        ae::io::save_image_mosaic(out + "/codes.png", codes, cs, 10, int(std::clamp<ae::Index>(120 / cs[1], 2, 12)), 2);
        ae::save(*autoencoder, out + "/" + model + ".aemodel");
        std::printf("wrote %s/{reconstructions.png, loss.png, activations.png, codes.png, %s.aemodel}\n", out.c_str(),
                    model.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
