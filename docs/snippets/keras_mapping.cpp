// docs/from_keras.md: every autoencoder of the classic chapter (Hands-On ML, ch. 17) in ae.
// Each function builds one model the way the chapter's Keras code does, trains it for one
// epoch on tiny synthetic data, and checks something about it, so the program runs in seconds.
// The sizes are shrunk (8×8 "images" instead of 28×28) except for the convolutional model.
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "ae/ae.hpp"

namespace {

using ae::Activation;
using Layers = std::vector<ae::LayerPtr<float>>;

int failures = 0;

void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++failures;
}

// n samples of `features` values in [0, 1], standing in for pixels.
ae::Matrix<float> pixels(ae::Index features, ae::Index n, std::uint64_t seed) {
    ae::Rng rng(seed);
    ae::Matrix<float> x(features, n);
    rng.fill_uniform(x, 0.0, 1.0);
    return x;
}

bool one_finite_epoch(const ae::History& h) { return h.epochs() == 1 && std::isfinite(h["loss"].back()); }

// ---------------------------------------------------------------- linear autoencoder = PCA
void pca_linear() {
    // 3-D points near a plane: 2 linear codings recover the plane, as PCA would.
    ae::Rng rng(1);
    ae::Matrix<float> codes(2, 200), mix(3, 2), noise(3, 200);
    rng.fill_normal(codes, 0.0, 1.0);
    rng.fill_normal(mix, 0.0, 1.0);
    rng.fill_normal(noise, 0.0, 0.05);
    const ae::Matrix<float> x = mix * codes + noise;  // x: 3 × 200

    auto encoder = std::make_shared<ae::Sequential<float>>(ae::Shape{3}, Layers{std::make_shared<ae::Dense<float>>(2)});
    auto decoder = std::make_shared<ae::Sequential<float>>(ae::Shape{2}, Layers{std::make_shared<ae::Dense<float>>(3)});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::SGD<float>>(0.1), std::make_shared<ae::MSE<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});
    const ae::Matrix<float> codings = encoder->predict(x);  // 2 × 200

    check(one_finite_epoch(history) && codings.rows() == 2 && codings.cols() == 200, "linear PCA autoencoder");
}

// ---------------------------------------------------------------- stacked autoencoder
void stacked() {
    const ae::Matrix<float> x = pixels(64, 128, 2);  // 128 images of 8×8, one per column

    auto encoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{8, 8}, Layers{std::make_shared<ae::Flatten<float>>(),
                                std::make_shared<ae::Dense<float>>(32, Activation::selu),
                                std::make_shared<ae::Dense<float>>(8, Activation::selu)});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{8}, Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
                             std::make_shared<ae::Dense<float>>(64, Activation::sigmoid),
                             std::make_shared<ae::Reshape<float>>(ae::Shape{8, 8})});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Nadam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});

    // The same architecture with relu layers, ready-made:
    auto parts = ae::recipes::vanilla<float>(64, {32}, 8);

    check(one_finite_epoch(history) && autoencoder->output_shape() == ae::Shape{8, 8} &&
              parts.autoencoder->count_params() == autoencoder->count_params(),
          "stacked autoencoder");
}

// ---------------------------------------------------------------- tied weights
void tied() {
    const ae::Matrix<float> x = pixels(64, 128, 3);

    auto dense_1 = std::make_shared<ae::Dense<float>>(32, Activation::selu);
    auto dense_2 = std::make_shared<ae::Dense<float>>(8, Activation::selu);
    auto encoder = std::make_shared<ae::Sequential<float>>(ae::Shape{64}, Layers{dense_1, dense_2});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{8}, Layers{std::make_shared<ae::DenseTranspose<float>>(dense_2, Activation::selu),
                             std::make_shared<ae::DenseTranspose<float>>(dense_1, Activation::sigmoid)});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Adam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});

    // The decoder owns only its biases (32 + 64): the kernels are the encoder's.
    check(one_finite_epoch(history) && decoder->count_params() == 32 + 64 &&
              ae::recipes::tied<float>(64, {32}, 8).autoencoder->count_params() == autoencoder->count_params(),
          "tied-weights autoencoder");
}

// ---------------------------------------------------------------- greedy layer-wise training
void greedy() {
    const ae::Matrix<float> x = pixels(64, 128, 4);

    ae::GreedyOptions<float> options;
    options.units = {32, 8};                  // level 1: 64 → 32 → 64, level 2: 32 → 8 → 32
    options.activations = {Activation::selu};
    options.epochs = {1};
    ae::GreedyReport<float> report;
    auto [encoder, decoder, autoencoder] = ae::train_greedy(x, options, &report);
    // Optional fine-tuning of the whole stack (train_greedy compiled it):
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});

    check(report.histories.size() == 2 && one_finite_epoch(history) && encoder->output_shape() == ae::Shape{8},
          "greedy layer-wise training");
}

// ---------------------------------------------------------------- convolutional autoencoder
void convolutional() {
    const ae::Matrix<float> x = pixels(28 * 28, 16, 5);  // 16 images of 28×28×1

    Layers encoder_layers, decoder_layers;
    for (ae::Index filters : {16, 32, 64}) {
        encoder_layers.push_back(std::make_shared<ae::Conv2D<float>>(filters, 3, 1, ae::Padding::same, Activation::selu));
        encoder_layers.push_back(std::make_shared<ae::MaxPool2D<float>>(2));
    }  // 28×28×1 → 14×14×16 → 7×7×32 → 3×3×64
    decoder_layers = {
        std::make_shared<ae::Conv2DTranspose<float>>(32, 3, 2, ae::Padding::valid, Activation::selu),    // 7×7×32
        std::make_shared<ae::Conv2DTranspose<float>>(16, 3, 2, ae::Padding::same, Activation::selu),     // 14×14×16
        std::make_shared<ae::Conv2DTranspose<float>>(1, 3, 2, ae::Padding::same, Activation::sigmoid)};  // 28×28×1
    auto encoder = std::make_shared<ae::Sequential<float>>(ae::Shape{28, 28, 1}, encoder_layers);
    auto decoder = std::make_shared<ae::Sequential<float>>(encoder->output_shape(), decoder_layers);
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Nadam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0});

    check(one_finite_epoch(history) && encoder->output_shape() == ae::Shape{3, 3, 64} &&
              autoencoder->output_shape() == ae::Shape{28, 28, 1} &&
              ae::recipes::conv_book<float>().autoencoder->count_params() == autoencoder->count_params(),
          "convolutional autoencoder");
}

// ---------------------------------------------------------------- recurrent autoencoder
void recurrent() {
    const ae::Index steps = 8, features = 8;          // an 8×8 image read row by row
    const ae::Matrix<float> x = pixels(steps * features, 64, 6);

    auto encoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{steps, features}, Layers{std::make_shared<ae::LSTM<float>>(16, /*return_sequences=*/true),
                                           std::make_shared<ae::LSTM<float>>(4)});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{4}, Layers{std::make_shared<ae::RepeatVector<float>>(steps),
                             std::make_shared<ae::LSTM<float>>(16, /*return_sequences=*/true),
                             std::make_shared<ae::TimeDistributed<float>>(
                                 std::make_shared<ae::Dense<float>>(features, Activation::sigmoid))});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Nadam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});

    check(one_finite_epoch(history) && autoencoder->output_shape() == ae::Shape{steps, features} &&
              ae::recipes::recurrent<float>(steps, features, 16, 4).autoencoder->count_params() ==
                  autoencoder->count_params(),
          "recurrent autoencoder");
}

// ---------------------------------------------------------------- denoising autoencoders
// `noise` corrupts the inputs during fit only: GaussianNoise or Dropout.
void denoising(ae::LayerPtr<float> noise, const char* what) {
    const ae::Matrix<float> x = pixels(64, 128, 7);

    auto encoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{64}, Layers{noise, std::make_shared<ae::Dense<float>>(32, Activation::selu),
                              std::make_shared<ae::Dense<float>>(8, Activation::selu)});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{8}, Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
                             std::make_shared<ae::Dense<float>>(64, Activation::sigmoid)});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Nadam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});

    // predict runs in inference mode: no noise, so two calls agree exactly.
    check(one_finite_epoch(history) && autoencoder->predict(x) == autoencoder->predict(x), what);
}

// ---------------------------------------------------------------- sparse autoencoders
void sparse_l1() {
    const ae::Matrix<float> x = pixels(64, 128, 9);

    auto encoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{64}, Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
                              std::make_shared<ae::Dense<float>>(96, Activation::sigmoid),
                              std::make_shared<ae::ActivityRegularization<float>>(/*l1=*/1e-3)});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{96}, Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
                              std::make_shared<ae::Dense<float>>(64, Activation::sigmoid)});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Nadam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});
    const double loss_with_penalty = autoencoder->evaluate(x, x);  // BCE + the L1 term
    const double penalty = autoencoder->extra_loss();              // the L1 term of that pass

    check(one_finite_epoch(history) && penalty > 0 && penalty < loss_with_penalty, "sparse autoencoder (L1)");
}

void sparse_kl() {
    const ae::Matrix<float> x = pixels(64, 128, 10);

    auto kl = std::make_shared<ae::KLSparsity<float>>(/*target=*/0.1, /*weight=*/0.05);
    auto encoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{64}, Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
                              std::make_shared<ae::Dense<float>>(96, Activation::sigmoid), kl});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{96}, Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
                              std::make_shared<ae::Dense<float>>(64, Activation::sigmoid)});
    auto autoencoder = std::make_shared<ae::Autoencoder<float>>(encoder, decoder);
    autoencoder->compile(std::make_shared<ae::Nadam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = autoencoder->fit(x, x, {.epochs = 1, .verbose = 0});
    autoencoder->evaluate(x, x);
    const ae::Matrix<float>& mean_activity = kl->mean_activations();  // 96 × 1, over the last batch

    check(one_finite_epoch(history) && mean_activity.rows() == 96 && kl->extra_loss() > 0,
          "sparse autoencoder (KL divergence)");
}

// ---------------------------------------------------------------- variational autoencoder
void variational() {
    const ae::Index inputs = 64, codings_size = 2;
    const ae::Matrix<float> x = pixels(inputs, 128, 11);

    auto encoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{inputs},
        Layers{std::make_shared<ae::Dense<float>>(32, Activation::selu),
               std::make_shared<ae::Dense<float>>(16, Activation::selu),
               std::make_shared<ae::Dense<float>>(2 * codings_size),  // [μ; log σ²], linear
               std::make_shared<ae::Sampling<float>>(/*beta=*/1.0 / double(inputs))});
    auto decoder = std::make_shared<ae::Sequential<float>>(
        ae::Shape{codings_size}, Layers{std::make_shared<ae::Dense<float>>(16, Activation::selu),
                                        std::make_shared<ae::Dense<float>>(32, Activation::selu),
                                        std::make_shared<ae::Dense<float>>(inputs, Activation::sigmoid)});
    auto vae = std::make_shared<ae::VariationalAutoencoder<float>>(encoder, decoder);
    vae->compile(std::make_shared<ae::RMSprop<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
    const ae::History history = vae->fit(x, x, {.epochs = 1, .verbose = 0});

    const ae::LatentDistribution<float> q = vae->encode_distribution(x);  // z, mu, log_var: 2 × 128
    ae::Rng rng(12);
    const ae::Matrix<float> generated = vae->sample(10, rng);  // 64 × 10, decoded from N(0, I)

    check(one_finite_epoch(history) && q.mu.rows() == codings_size && q.log_var.cols() == x.cols() &&
              generated.rows() == inputs && generated.cols() == 10,
          "variational autoencoder");
}

}  // namespace

int main() {
    ae::set_num_threads(1);
    pca_linear();
    stacked();
    tied();
    greedy();
    convolutional();
    recurrent();
    denoising(std::make_shared<ae::GaussianNoise<float>>(0.2), "denoising autoencoder (GaussianNoise)");
    denoising(std::make_shared<ae::Dropout<float>>(0.5), "denoising autoencoder (Dropout)");
    sparse_l1();
    sparse_kl();
    variational();
    std::printf("%d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
