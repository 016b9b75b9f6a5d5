// The classic variational autoencoder on MNIST (Kingma & Welling 2014; Keras' VAE example):
// 784-[512]-L (L = 2 by default), relu, sigmoid output, Adam 1e-3; the loss is the negative
// ELBO in nats per image: BCE summed over the pixels + β · KL(q(z|x) ‖ N(0, I)), averaged over
// the batch. --warmup N ramps β from 0 over the first N epochs (KLWarmUp). 20 epochs by default;
// the Keras reference trains 50 (--epochs 50: validation loss about 150 nats per image).
// Prints per epoch the train/validation loss and the test set's reconstruction and KL terms
// (nats per image), then the final terms, and writes, under --out:
//   samples.png          100 digits decoded from z ~ N(0, I)
//   manifold.png         decodings of a 25×25 grid of z over [-3, 3]² (only when L = 2)
//   latent_scatter.png   the test set's means μ coloured by digit (first two dimensions)
//   interpolation.png    test digit a, 10 decodings along the line from μ(a) to μ(b), test digit b
//   loss.png             train/validation loss and validation reconstruction term per epoch
//   variational_autoencoder.aemodel (the trained model, reloadable with ae::load)
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ae/ae.hpp"
#include "example_args.hpp"

int main(int argc, char** argv) {
    const char* usage =
        "usage: variational_autoencoder [--data DIR] [--epochs N] [--batch-size N] [--threads N] [--seed N]\n"
        "                               [--latent N] [--beta X] [--warmup N] [--out DIR]\n"
        "  --latent N  latent dimensions (default 2)      --beta X    weight of the KL term (default 1)\n"
        "  --warmup N  ramp beta from 0 over the first N epochs (default 0: no warm-up)";
    ae_examples::Args args(argc, argv, usage);
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "variational_autoencoder", 20);
    const long latent = args.get_int("latent", 2);
    const double beta = args.get_double("beta", 1.0);
    const int warmup = int(args.get_int("warmup", 0));
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        std::printf("MNIST: %ld training and %ld test images\n", long(x_train.cols()), long(x_test.cols()));

        auto [encoder, decoder, vae] = ae::recipes::variational<float>(784, {512}, latent, beta, std::uint64_t(seed));
        std::printf("%s", vae->summary().c_str());

        // The test set's reconstruction and KL terms, printed after each epoch line.
        auto terms = std::make_shared<ae::VAELossReport<float>>(x_test, 256, true);
        std::vector<std::shared_ptr<ae::Callback<float>>> callbacks{terms};
        if (warmup > 0) callbacks.push_back(std::make_shared<ae::KLWarmUp<float>>(vae->sampling(), warmup, beta));
        auto history = vae->fit(x_train, x_train,
                                {.epochs = epochs, .batch_size = batch_size, .seed = std::uint64_t(seed),
                                 .validation_data = {x_test, x_test}},
                                callbacks);
        const ae::VAELossTerms t = vae->loss_terms(x_test);
        std::printf("test: loss %.3f nats/image = reconstruction %.3f + beta %.3g * KL %.3f (z = mu)\n", t.total(),
                    t.reconstruction, t.beta, t.kl);

        // Keras' Sampling layer samples z in evaluate too: the same loss with z ~ q(z|x), once.
        double sampled = 0;
        ae::Matrix<float> bx, by;
        for (ae::Index start = 0; start < x_test.cols(); start += 256) {
            bx = x_test.middleCols(start, std::min<ae::Index>(256, x_test.cols() - start));
            vae->forward(bx, by, ae::Mode::training);  // no dropout here: training mode only samples z
            sampled += double(vae->loss()->value(by, bx) + vae->extra_loss()) * double(bx.cols());
        }
        std::printf("test: loss %.3f nats/image with z sampled from q(z|x) (as Keras' evaluate)\n",
                    sampled / double(x_test.cols()));

        const ae::Shape image{28, 28, 1};
        ae::Rng rng{std::uint64_t(seed)};
        ae::io::save_image_mosaic(out + "/samples.png", vae->sample(100, rng), image, 10, 2);

        if (latent == 2) {  // row 0 at z[1] = +3, so "up" in the picture is up in the scatter
            const int n = 25;
            ae::Matrix<float> z(2, n * n);
            for (int r = 0; r < n; ++r)
                for (int c = 0; c < n; ++c)
                    z.col(r * n + c) << float(-3.0 + 6.0 * c / (n - 1)), float(3.0 - 6.0 * r / (n - 1));
            ae::io::save_image_mosaic(out + "/manifold.png", vae->decode(z), image, n, 1, 0);
        } else {
            std::printf("manifold.png skipped: the latent space has %ld dimensions, not 2\n", latent);
        }

        const auto dist = vae->encode_distribution(x_test);  // mu: L × 10000
        if (latent >= 2)
            ae::io::save_scatter(out + "/latent_scatter.png", ae::Matrix<float>(dist.mu.topRows(2)),
                                 mnist.test.labels, "MNIST test set: VAE latent means", "mu[0]", "mu[1]", 720, 560, 1);
        else
            std::printf("latent_scatter.png skipped: the latent space has 1 dimension\n");

        // From the first test digit to the first one of another class.
        const int a = 0;
        int b = 1;
        while (mnist.test.labels[b] == mnist.test.labels[a]) ++b;
        const int steps = 10;
        ae::Matrix<float> z_line(latent, steps);
        for (int k = 0; k < steps; ++k)
            z_line.col(k) = dist.mu.col(a) + float(k) / (steps - 1) * (dist.mu.col(b) - dist.mu.col(a));
        const ae::Matrix<float> decoded = vae->decode(z_line);
        ae::Matrix<float> strip(784, steps + 2);
        strip << x_test.col(a), decoded, x_test.col(b);
        const std::string label = std::to_string(mnist.test.labels[a]) + " to " + std::to_string(mnist.test.labels[b]);
        ae::io::save_image_grid(out + "/interpolation.png", {&strip}, image, steps + 2, 3, {label});

        ae::io::save_loss_curves(out + "/loss.png",
                                 {{"train loss", history["loss"]},
                                  {"validation loss", history["val_loss"]},
                                  {"validation reconstruction", terms->history()["reconstruction"]}},
                                 "MNIST VAE 784-[512]-" + std::to_string(latent), "epoch", "nats per image");
        ae::save(*vae, out + "/variational_autoencoder.aemodel");

        double seconds = 0;
        for (double s : history["seconds"]) seconds += s;
        std::printf("%.1f s per epoch; wrote %s/{samples.png, %slatent_scatter.png, interpolation.png, loss.png, "
                    "variational_autoencoder.aemodel}\n",
                    seconds / std::max(epochs, 1), out.c_str(), latent == 2 ? "manifold.png, " : "");
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
