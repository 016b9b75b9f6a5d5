#pragma once
// The book's recurrent autoencoder on MNIST rows (each image = 28 steps of 28 pixels):
//   encoder: {28, 28} → LSTM(100, return_sequences) → LSTM(30)
//   decoder: {30} → RepeatVector(28) → LSTM(100, return_sequences) → TimeDistributed(Dense(28, sigmoid))
// compiled with Adam (Keras defaults) and binary cross-entropy (fused with the sigmoid).
// MNIST columns from ae::data::load_mnist are already in the {28, 28} sequence layout
// (a 784 column is 28 rows of 28 pixels, row-major), so they are fed as they are:
//   auto [encoder, decoder, autoencoder] = ae::recipes::recurrent();
//   autoencoder->fit(mnist.train.x, mnist.train.x, {...});
#include <cstdint>

#include "ae/layers/dense.hpp"
#include "ae/layers/lstm.hpp"
#include "ae/layers/repeat_vector.hpp"
#include "ae/layers/time_distributed.hpp"
#include "ae/models/recipes/vanilla.hpp"

namespace ae::recipes {

/// steps × features per sample, `hidden` units in the outer LSTMs, `latent` codings.
template <class S = float>
AutoencoderParts<S> recurrent(Index steps = 28, Index features = 28, Index hidden = 100, Index latent = 30,
                              std::uint64_t seed = 42) {
    if (steps <= 0 || features <= 0 || hidden <= 0 || latent <= 0)
        throw ConfigError("recipes::recurrent: expected positive steps, features, hidden and latent, got " +
                          std::to_string(steps) + ", " + std::to_string(features) + ", " + std::to_string(hidden) +
                          ", " + std::to_string(latent));
    std::vector<LayerPtr<S>> enc{std::make_shared<LSTM<S>>(hidden, true), std::make_shared<LSTM<S>>(latent)};
    std::vector<LayerPtr<S>> dec{
        std::make_shared<RepeatVector<S>>(steps), std::make_shared<LSTM<S>>(hidden, true),
        std::make_shared<TimeDistributed<S>>(std::make_shared<Dense<S>>(features, Activation::sigmoid))};
    auto parts = assemble<S>(Shape{steps, features}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

}  // namespace ae::recipes
