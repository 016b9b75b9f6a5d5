// Tied against untied weights on MNIST: recipes::tied (the decoder's DenseTranspose layers reuse
// the encoder's kernels, transposed) against recipes::vanilla, both 784-[128,64]-32 with relu,
// a sigmoid output, Adam and binary cross-entropy, trained for the same --epochs.
// Prints both parameter counts, validation BCE (10k test images) and wall time; saves the tied
// model, reloads it, and checks that the tie survived (every reloaded DenseTranspose holds the
// reloaded encoder's Dense, and the reloaded model reconstructs exactly as the original).
// Writes under --out: reconstructions.png (originals / tied / untied), loss.png,
//   tied_autoencoder.aemodel.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "ae/ae.hpp"
#include "example_args.hpp"

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: tied_autoencoder [--data DIR] [--epochs N] [--batch-size N] [--threads N]\n"
                           "                        [--seed N] [--out DIR]");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "tied_autoencoder", 10);
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;

        auto tied = ae::recipes::tied<float>(784, {128, 64}, 32, seed);
        auto untied = ae::recipes::vanilla<float>(784, {128, 64}, 32, seed);
        std::printf("tied:\n%suntied:\n%s", tied.autoencoder->summary().c_str(), untied.autoencoder->summary().c_str());

        ae::History history[2];
        double seconds[2];
        for (int i = 0; i < 2; ++i) {
            auto& model = i == 0 ? tied.autoencoder : untied.autoencoder;
            const auto t0 = std::chrono::steady_clock::now();
            history[i] = model->fit(x_train, x_train,
                                    {.epochs = epochs,
                                     .batch_size = batch_size,
                                     .seed = seed,
                                     .validation_data = {x_test, x_test},
                                     .verbose = 0});
            seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        std::printf("\n%-8s %10s %16s %10s\n", "model", "params", "validation BCE", "seconds");
        for (int i = 0; i < 2; ++i) {
            auto& model = i == 0 ? tied.autoencoder : untied.autoencoder;
            std::printf("%-8s %10ld %16.4f %10.1f\n", i == 0 ? "tied" : "untied", long(model->count_params()),
                        history[i]["val_loss"].back(), seconds[i]);
        }

        // ---- save, reload, check the tie
        const std::string path = out + "/tied_autoencoder.aemodel";
        ae::save(*tied.autoencoder, path);
        auto reloaded = ae::load_as<float, ae::Autoencoder<float>>(path);
        const auto& enc = reloaded->encoder()->layers();
        const auto& dec = reloaded->decoder()->layers();
        bool tie_ok = enc.size() == dec.size();
        for (std::size_t i = 0; tie_ok && i < dec.size(); ++i) {
            auto t = std::dynamic_pointer_cast<ae::DenseTranspose<float>>(dec[i]);
            tie_ok = t && t->partner() == enc[enc.size() - 1 - i];  // the same object, not a copy
        }
        const ae::Matrix<float> before = tied.autoencoder->reconstruct(x_test);
        const ae::Matrix<float> after = reloaded->reconstruct(x_test);
        const double max_diff = (before - after).cwiseAbs().maxCoeff();
        std::printf(
            "\nreloaded %s: %ld params, decoder tied to the reloaded encoder: %s, "
            "max |reconstruction difference| over the test set: %g\n",
            path.c_str(), long(reloaded->count_params()), tie_ok ? "yes" : "NO", max_diff);
        if (!tie_ok || max_diff != 0 || reloaded->count_params() != tied.autoencoder->count_params()) {
            std::fprintf(stderr, "error: the tie did not survive save/load\n");
            return 1;
        }

        // ---- pictures
        ae::Matrix<float> originals = x_test.leftCols(10);
        ae::Matrix<float> tied_recon = before.leftCols(10);
        ae::Matrix<float> untied_recon = untied.autoencoder->reconstruct(originals);
        ae::io::save_image_grid(out + "/reconstructions.png", {&originals, &tied_recon, &untied_recon},
                                ae::Shape{28, 28, 1}, 10, 2, {"input", "tied", "untied"});
        ae::io::save_loss_curves(out + "/loss.png",
                                 {{"tied, train", history[0]["loss"]},
                                  {"tied, validation", history[0]["val_loss"]},
                                  {"untied, train", history[1]["loss"]},
                                  {"untied, validation", history[1]["val_loss"]}},
                                 "Tied vs untied weights, 784-[128,64]-32", "epoch", "BCE");
        std::printf("wrote %s/{reconstructions.png, loss.png, tied_autoencoder.aemodel}\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
