// Greedy layer-wise training (ae::train_greedy) against end-to-end training of the same deep
// autoencoder on MNIST: 784-[128,64]-32, --activation codings (selu by default; relu gives the
// architecture of recipes::vanilla), sigmoid output, Adam, binary cross-entropy.
//   greedy:     one shallow autoencoder per level (784-128-784, 128-64-128, 64-32-64), --epochs
//               each, then --fine-tune epochs of the assembled deep model;
//   end to end: the same architecture, freshly initialised, trained levels × epochs + fine-tune
//               epochs, so both get the same total number of epochs.
// Prints the validation BCE on the 10k test images (the same evaluate for both) and wall times,
// and writes under --out:
//   reconstructions.png (originals / greedy / greedy + fine-tuning / end to end), loss.png.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "ae/ae.hpp"
#include "example_args.hpp"

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
    ae_examples::Args args(
        argc, argv,
        "usage: greedy_autoencoder [--data DIR] [--epochs N per level] [--fine-tune N]\n"
        "                          [--activation selu|relu|...] [--batch-size N] [--threads N] [--seed N]\n"
        "                          [--out DIR]");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "greedy_autoencoder", 5);
    const int fine_tune = int(args.get_int("fine-tune", 5));
    const std::string activation_name = args.get("activation", "selu");
    args.done();

    try {
        const ae::Activation act = ae::activation_from_string(activation_name);
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        const std::vector<ae::Index> units = {128, 64, 32};
        const int levels = int(units.size());
        const int total = levels * epochs + fine_tune;
        std::printf("MNIST: %ld training, %ld test images; 784-[128,64]-32 %s, %d epochs for each model\n",
                    long(x_train.cols()), long(x_test.cols()), activation_name.c_str(), total);

        // ---- greedy: one level at a time, then fine-tuning of the assembled model
        ae::GreedyOptions<float> opt;
        opt.units = units;
        opt.activations = {act};
        opt.epochs = {epochs};
        opt.batch_size = {batch_size};
        opt.seed = seed;
        ae::GreedyReport<float> report;
        auto t0 = std::chrono::steady_clock::now();
        auto greedy = ae::train_greedy(x_train, opt, &report);
        const double greedy_seconds = seconds_since(t0);
        const double greedy_val = greedy.autoencoder->evaluate(x_test, x_test);
        for (int k = 0; k < levels; ++k)
            std::printf("greedy level %d: final train loss %.4f (%s)\n", k + 1, report.histories[k]["loss"].back(),
                        k == 0 ? "BCE on pixels" : "MSE on codings");
        std::printf("greedy, assembled:    validation BCE %.4f after %d level-epochs, %.1f s\n", greedy_val,
                    levels * epochs, greedy_seconds);
        ae::Matrix<float> originals = x_test.leftCols(10);
        ae::Matrix<float> greedy_recon = greedy.autoencoder->reconstruct(originals);

        t0 = std::chrono::steady_clock::now();
        auto tuned = greedy.autoencoder->fit(x_train, x_train,
                                             {.epochs = fine_tune,
                                              .batch_size = batch_size,
                                              .seed = seed,
                                              .validation_data = {x_test, x_test},
                                              .verbose = 0});
        const double tune_seconds = seconds_since(t0);
        const double tuned_val = greedy.autoencoder->evaluate(x_test, x_test);
        std::printf("greedy + fine-tuning: validation BCE %.4f after %d more epochs, %.1f s (%.1f s in all)\n",
                    tuned_val, fine_tune, tune_seconds, greedy_seconds + tune_seconds);
        ae::Matrix<float> tuned_recon = greedy.autoencoder->reconstruct(originals);

        // ---- end to end: the same architecture, the same number of epochs
        std::vector<ae::LayerPtr<float>> enc, dec;
        for (ae::Index u : units) enc.push_back(std::make_shared<ae::Dense<float>>(u, act));
        for (auto u = units.rbegin() + 1; u != units.rend(); ++u)
            dec.push_back(std::make_shared<ae::Dense<float>>(*u, act));
        dec.push_back(std::make_shared<ae::Dense<float>>(784, ae::Activation::sigmoid));
        auto e2e = ae::recipes::assemble<float>(ae::Shape{784}, enc, dec, seed);
        e2e.autoencoder->compile(std::make_shared<ae::Adam<float>>(),
                                 std::make_shared<ae::BinaryCrossEntropy<float>>());
        t0 = std::chrono::steady_clock::now();
        auto history = e2e.autoencoder->fit(x_train, x_train,
                                            {.epochs = total,
                                             .batch_size = batch_size,
                                             .seed = seed,
                                             .validation_data = {x_test, x_test},
                                             .verbose = 0});
        const double e2e_seconds = seconds_since(t0);
        const double e2e_val = e2e.autoencoder->evaluate(x_test, x_test);
        std::printf("end to end:           validation BCE %.4f after %d epochs, %.1f s\n", e2e_val, total, e2e_seconds);
        ae::Matrix<float> e2e_recon = e2e.autoencoder->reconstruct(originals);

        // ---- pictures
        ae::io::save_image_grid(out + "/reconstructions.png", {&originals, &greedy_recon, &tuned_recon, &e2e_recon},
                                ae::Shape{28, 28, 1}, 10, 2, {"input", "greedy", "greedy+ft", "end to end"});
        // On one epoch axis: level 1's train BCE during its epochs, the assembled greedy model's
        // validation BCE when assembled and while fine-tuned, and the end-to-end curves.
        const double nan = std::nan("");
        std::vector<double> level1(total, nan), greedy_curve(total, nan);
        for (int e = 0; e < epochs; ++e) level1[e] = report.histories[0]["loss"][e];
        if (levels * epochs > 0) greedy_curve[levels * epochs - 1] = greedy_val;
        for (int e = 0; e < fine_tune; ++e) greedy_curve[levels * epochs + e] = tuned["val_loss"][e];
        ae::io::save_loss_curves(out + "/loss.png",
                                 {{"end to end, train", history["loss"]},
                                  {"end to end, validation", history["val_loss"]},
                                  {"greedy level 1 (784-128-784), train", level1},
                                  {"greedy deep model, validation", greedy_curve}},
                                 "Greedy vs end to end, 784-[128,64]-32 " + activation_name, "epoch", "BCE");
        std::printf("wrote %s/{reconstructions.png, loss.png}\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
