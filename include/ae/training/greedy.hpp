#pragma once
// Greedy layer-wise training of a stacked (deep) dense autoencoder (Bengio et al. 2007;
// Géron's "training one autoencoder at a time"):
//   level 1: x  → Dense(u1, a1) → Dense(input, output_activation),  trained on x with first_loss
//   level 2: h1 → Dense(u2, a2) → Dense(u1, a1),                     trained on h1 = enc1(x), inner_loss
//   level k: h(k−1) → Dense(uk, ak) → Dense(u(k−1), a(k−1)),         trained on h(k−1)
// then the deep autoencoder is assembled from the very same layer objects:
//   encoder: enc1, enc2, …, encK        decoder: decK, …, dec2, dec1
// and compiled (a fresh optimizer from the factory, first_loss) for optional end-to-end
// fine-tuning with fit.
//
// Inner levels reconstruct codings, not pixels, so their default loss is MSE, and their output
// layer uses the activation of the codings they reconstruct ("matching": dec_k ends with a(k−1)).
// Matching keeps every intermediate representation of the deep decoder in the range the next
// decoder layer was trained on, and with relu levels and a sigmoid output it yields exactly the
// architecture of recipes::vanilla. Set inner_output_activation to override it (e.g. linear).
//   ae::GreedyOptions<float> opt;
//   opt.units = {128, 64, 32};
//   opt.epochs = {5};
//   auto [encoder, decoder, autoencoder] = ae::train_greedy(x_train, opt);
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ae/layers/dense.hpp"
#include "ae/losses/binary_cross_entropy.hpp"
#include "ae/losses/mse.hpp"
#include "ae/models/recipes/vanilla.hpp"
#include "ae/optimizers/adam.hpp"
#include "ae/training/fit.hpp"

namespace ae {

template <class S = float>
struct GreedyOptions {
    /// Units of each level's coding layer, outermost first, e.g. {128, 64, 32}.
    std::vector<Index> units;
    /// Coding activation of each level: empty → relu for all, one value → the same for all.
    std::vector<Activation> activations;
    /// The first level's reconstruction activation (sigmoid for data in [0, 1]).
    Activation output_activation = Activation::sigmoid;
    /// Inner levels' reconstruction activation; unset → the activation of the codings they
    /// reconstruct (see above).
    std::optional<Activation> inner_output_activation;
    /// Makes a fresh optimizer for each level and for the assembled model (default: Adam()).
    std::function<std::shared_ptr<Optimizer<S>>()> optimizer;
    /// Loss of the first level and of the assembled model (default: binary cross-entropy).
    std::shared_ptr<Loss<S>> first_loss;
    /// Loss of the inner levels (default: MSE).
    std::shared_ptr<Loss<S>> inner_loss;
    /// Epochs per level: one value → the same for all.
    std::vector<int> epochs = {10};
    /// Batch size per level: one value → the same for all.
    std::vector<Index> batch_size = {32};
    std::uint64_t seed = 42;  // initialisation (level k uses seed + k) and shuffling
    int verbose = 0;
};

/// What train_greedy can report besides the assembled model.
template <class S = float>
struct GreedyReport {
    std::vector<std::shared_ptr<Sequential<S>>> shallow;  // level k's shallow autoencoder
    std::vector<History> histories;                       // level k's training history
};

namespace detail {
// The per-level value of an option given as one value or one per level.
template <class T>
T per_level(const std::vector<T>& v, std::size_t level, std::size_t levels, const char* what) {
    if (v.size() != 1 && v.size() != levels)
        throw ConfigError(std::string("train_greedy: expected ") + what + " to hold 1 or " + std::to_string(levels) +
                          " values (one per level), got " + std::to_string(v.size()));
    return v.size() == 1 ? v[0] : v[level];
}
}  // namespace detail

/// Train a deep autoencoder one shallow autoencoder at a time on x (features × samples) and
/// assemble it. Encoder, decoder and autoencoder share the trained layers.
template <class S = float>
recipes::AutoencoderParts<S> train_greedy(const Matrix<S>& x, const GreedyOptions<S>& opt,
                                          GreedyReport<S>* report = nullptr) {
    const std::size_t levels = opt.units.size();
    // ---- checks, before any training
    if (levels == 0) throw ConfigError("train_greedy: expected at least one level in units, got none");
    for (Index u : opt.units)
        if (u <= 0) throw ConfigError("train_greedy: expected units > 0, got " + std::to_string(u));
    if (!opt.activations.empty() && opt.activations.size() != 1 && opt.activations.size() != levels)
        throw ConfigError("train_greedy: expected activations to hold 0, 1 or " + std::to_string(levels) +
                          " values, got " + std::to_string(opt.activations.size()));
    for (std::size_t k = 0; k < levels; ++k) {
        const int e = detail::per_level(opt.epochs, k, levels, "epochs");
        const Index b = detail::per_level(opt.batch_size, k, levels, "batch_size");
        if (e < 0) throw ConfigError("train_greedy: expected epochs >= 0, got " + std::to_string(e));
        if (b <= 0) throw ConfigError("train_greedy: expected batch_size > 0, got " + std::to_string(b));
    }
    if (x.rows() == 0 || x.cols() == 0)
        throw ShapeError("train_greedy: expected non-empty data, got " + std::to_string(x.rows()) + " × " +
                         std::to_string(x.cols()));
    auto activation = [&](std::size_t k) {
        return opt.activations.empty() ? Activation::relu
                                       : detail::per_level(opt.activations, k, levels, "activations");
    };
    auto make_optimizer = [&]() -> std::shared_ptr<Optimizer<S>> {
        auto o = opt.optimizer ? opt.optimizer() : std::make_shared<Adam<S>>();
        if (!o) throw ConfigError("train_greedy: the optimizer factory returned null");
        return o;
    };
    auto first_loss = opt.first_loss ? opt.first_loss : std::make_shared<BinaryCrossEntropy<S>>();
    auto inner_loss = opt.inner_loss ? opt.inner_loss : std::make_shared<MSE<S>>();

    // ---- one shallow autoencoder per level
    std::vector<LayerPtr<S>> encoders, decoders;
    if (report) *report = {};
    Matrix<S> codings;  // h(k−1): the data level k trains on (level 0: x itself)
    for (std::size_t k = 0; k < levels; ++k) {
        const Matrix<S>& data = k == 0 ? x : codings;
        const Index in = data.rows();
        const Activation out_act =
            k == 0 ? opt.output_activation : opt.inner_output_activation.value_or(activation(k - 1));
        auto enc = std::make_shared<Dense<S>>(opt.units[k], activation(k));
        auto dec = std::make_shared<Dense<S>>(in, out_act);
        // Names unique across levels, so the assembled model's parameter names are too.
        enc->set_name("greedy_encoder_" + std::to_string(k + 1));
        dec->set_name("greedy_decoder_" + std::to_string(k + 1));
        auto shallow = std::make_shared<Sequential<S>>(Shape{in}, std::vector<LayerPtr<S>>{enc, dec}, opt.seed + k);
        shallow->set_name("greedy_level_" + std::to_string(k + 1));
        shallow->compile(make_optimizer(), k == 0 ? first_loss : inner_loss);
        FitOptions<S> fo;
        fo.epochs = detail::per_level(opt.epochs, k, levels, "epochs");
        fo.batch_size = detail::per_level(opt.batch_size, k, levels, "batch_size");
        fo.seed = opt.seed + k;
        fo.verbose = opt.verbose;
        History h = shallow->fit(data, data, fo);
        if (report) {
            report->shallow.push_back(shallow);
            report->histories.push_back(std::move(h));
        }
        if (k + 1 < levels) {
            // The next level's data: this level's codings (inference mode).
            Sequential<S> encoder_only(std::vector<LayerPtr<S>>{enc});
            Rng rng(opt.seed);
            encoder_only.build(Shape{in}, rng);  // enc is built: a no-op
            codings = encoder_only.predict(data);
        }
        encoders.push_back(enc);
        decoders.push_back(dec);
    }

    // ---- the deep autoencoder from the same layers: decoders in reverse
    std::vector<LayerPtr<S>> dec_reversed(decoders.rbegin(), decoders.rend());
    auto parts = recipes::assemble<S>(Shape{x.rows()}, std::move(encoders), std::move(dec_reversed), opt.seed);
    parts.autoencoder->compile(make_optimizer(), first_loss);
    return parts;
}

}  // namespace ae
