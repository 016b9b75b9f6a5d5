// The contractive autoencoder on MNIST (recipes::contractive): 784-[--hidden]-(--latent), by
// default 784-[128]-32, relu hidden layer, sigmoid codings that add the penalty λ‖J‖²_F
// (J = ∂codings/∂(the coding layer's input), λ = --lambda), sigmoid output, Adam, binary
// cross-entropy. For comparison, the same model with λ = 0 is trained too (--compare 0 skips
// it). After every epoch, prints the train loss (BCE + penalty) and, on the 10k test images, the
// reconstruction BCE, the penalty λ‖J‖²_F and the unweighted ‖J‖²_F (means over the images).
// Writes under --out: reconstructions.png (originals / contractive / λ = 0), loss.png.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ae/ae.hpp"
#include "example_args.hpp"

namespace {
struct Terms {
    double bce = 0, penalty = 0, jacobian = 0;  // means over the images
};

// Reconstruction BCE and the coding layer's penalty over x, 1000 images per forward pass.
Terms measure(ae::recipes::AutoencoderParts<float>& m, const ae::Matrix<float>& x) {
    auto coding = std::dynamic_pointer_cast<ae::ContractiveDense<float>>(m.encoder->layers().back());
    const ae::BinaryCrossEntropy<float> bce;
    Terms t;
    for (ae::Index start = 0; start < x.cols(); start += 1000) {
        const ae::Index n = std::min<ae::Index>(1000, x.cols() - start);
        const ae::Matrix<float> batch = x.middleCols(start, n);
        const ae::Matrix<float> recon = m.autoencoder->predict(batch, n);  // one forward pass
        const double w = double(n) / double(x.cols());
        t.bce += w * bce.value(recon, batch);
        t.penalty += w * coding->extra_loss();
        t.jacobian += w * coding->jacobian_norm2();
    }
    return t;
}
}  // namespace

int main(int argc, char** argv) {
    ae_examples::Args args(
        argc, argv,
        "usage: contractive_autoencoder [--data DIR] [--epochs N] [--lambda X] [--hidden N (0: none)]\n"
        "                               [--latent N] [--compare 0|1] [--batch-size N] [--threads N]\n"
        "                               [--seed N] [--out DIR]");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "contractive_autoencoder", 20);
    const double lambda = args.get_double("lambda", 0.01);
    const long hidden = args.get_int("hidden", 128), latent = args.get_int("latent", 32);
    const bool compare = args.get_int("compare", 1) != 0;
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        std::vector<ae::Index> hidden_layers;
        if (hidden > 0) hidden_layers.push_back(hidden);
        ae::Matrix<float> originals = x_test.leftCols(10);
        std::vector<ae::Matrix<float>> recon;
        std::vector<ae::io::Series> curves;

        for (double lam : compare ? std::vector<double>{lambda, 0.0} : std::vector<double>{lambda}) {
            auto model = ae::recipes::contractive<float>(784, hidden_layers, latent, lam, seed);
            std::printf("lambda = %g\n%-6s %12s %12s %14s %12s\n", lam, "epoch", "train loss", "test BCE",
                        "test penalty", "test |J|^2");
            std::vector<double> train, val_bce;
            for (int e = 0; e < epochs; ++e) {  // one epoch at a time, to measure both terms after each
                auto h = model.autoencoder->fit(
                    x_train, x_train,
                    {.epochs = 1, .batch_size = batch_size, .seed = seed + std::uint64_t(e), .verbose = 0});
                const Terms t = measure(model, x_test);
                std::printf("%-6d %12.4f %12.4f %14.5f %12.3f\n", e + 1, h["loss"][0], t.bce, t.penalty, t.jacobian);
                train.push_back(h["loss"][0]);
                val_bce.push_back(t.bce);
            }
            char name[64];
            std::snprintf(name, sizeof name, "lambda=%g", lam);  // the plot font is ASCII
            curves.push_back({std::string(name) + (lam > 0 ? " train BCE+penalty" : " train BCE"), train});
            curves.push_back({std::string(name) + " test BCE", val_bce});
            recon.push_back(model.autoencoder->reconstruct(originals));
        }

        std::vector<const ae::Matrix<float>*> rows{&originals};
        std::vector<std::string> labels{"input", "contractive"};
        for (auto& r : recon) rows.push_back(&r);
        if (compare) labels.push_back("lambda 0");
        ae::io::save_image_grid(out + "/reconstructions.png", rows, ae::Shape{28, 28, 1}, 10, 2, labels);
        const std::string arch =
            "784-" + (hidden > 0 ? "[" + std::to_string(hidden) + "]-" : "") + std::to_string(latent);
        ae::io::save_loss_curves(out + "/loss.png", curves, "Contractive autoencoder " + arch, "epoch", "loss");
        std::printf("wrote %s/{reconstructions.png, loss.png}\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
