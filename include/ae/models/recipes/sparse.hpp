#pragma once
// The sparse dense autoencoder: recipes::vanilla plus an L1 activity penalty (lambtha) on the
// codings, as Keras' Dense(latent, activation="relu", activity_regularizer=l1(lambtha)):
//   encoder: input → Dense(h, relu)… → Dense(latent, relu) → ActivityRegularization(l1 = lambtha)
//   decoder: latent → Dense(h, relu) in reverse… → Dense(input, sigmoid)
// compiled with Adam (Keras defaults) and binary cross-entropy. The penalty is divided by the
// batch size, as tf.keras 2 does (see layers/activity_regularization.hpp).
//   auto [encoder, decoder, autoencoder] = ae::recipes::sparse(784, {128, 64}, 32, 1e-5);
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "ae/layers/activity_regularization.hpp"
#include "ae/layers/dense.hpp"
#include "ae/models/recipes/vanilla.hpp"

namespace ae::recipes {

template <class S = float>
AutoencoderParts<S> sparse(Index input_dims, const std::vector<Index>& hidden_layers, Index latent_dims, double lambtha,
                           std::uint64_t seed = 42) {
    if (input_dims <= 0 || latent_dims <= 0)
        throw ConfigError("recipes::sparse: expected input_dims > 0 and latent_dims > 0, got " +
                          std::to_string(input_dims) + " and " + std::to_string(latent_dims));
    if (!(lambtha >= 0) || !std::isfinite(lambtha))
        throw ConfigError("recipes::sparse: expected a finite lambtha >= 0, got " + std::to_string(lambtha));
    std::vector<LayerPtr<S>> enc, dec;
    for (Index h : hidden_layers) enc.push_back(std::make_shared<Dense<S>>(h, Activation::relu));
    enc.push_back(std::make_shared<Dense<S>>(latent_dims, Activation::relu));
    enc.push_back(std::make_shared<ActivityRegularization<S>>(lambtha, 0.0));
    for (auto it = hidden_layers.rbegin(); it != hidden_layers.rend(); ++it)
        dec.push_back(std::make_shared<Dense<S>>(*it, Activation::relu));
    dec.push_back(std::make_shared<Dense<S>>(input_dims, Activation::sigmoid));
    auto parts = assemble<S>(Shape{input_dims}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

}  // namespace ae::recipes
