#pragma once
// The contractive dense autoencoder: recipes::vanilla with a sigmoid coding layer that adds
// λ‖J(x)‖²_F, the Jacobian of the codings with respect to that layer's input (see
// layers/contractive.hpp):
//   encoder: input → Dense(h, relu)… → ContractiveDense(latent, sigmoid, lambda)
//   decoder: latent → Dense(h, relu) in reverse… → Dense(input, sigmoid)
// compiled with Adam (Keras defaults) and binary cross-entropy. Sigmoid codings, as in the
// contractive autoencoder's paper: the penalty needs a smooth, saturating coding activation.
//   auto [encoder, decoder, autoencoder] = ae::recipes::contractive(784, {128, 64}, 32, 1e-4);
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "ae/layers/contractive.hpp"
#include "ae/layers/dense.hpp"
#include "ae/models/recipes/vanilla.hpp"

namespace ae::recipes {

template <class S = float>
AutoencoderParts<S> contractive(Index input_dims, const std::vector<Index>& hidden_layers, Index latent_dims,
                                double lambda, std::uint64_t seed = 42) {
    if (input_dims <= 0 || latent_dims <= 0)
        throw ConfigError("recipes::contractive: expected input_dims > 0 and latent_dims > 0, got " +
                          std::to_string(input_dims) + " and " + std::to_string(latent_dims));
    if (!(lambda >= 0) || !std::isfinite(lambda))
        throw ConfigError("recipes::contractive: expected a finite lambda >= 0, got " + std::to_string(lambda));
    std::vector<LayerPtr<S>> enc, dec;
    for (Index h : hidden_layers) enc.push_back(std::make_shared<Dense<S>>(h, Activation::relu));
    enc.push_back(std::make_shared<ContractiveDense<S>>(latent_dims, Activation::sigmoid, lambda));
    for (auto it = hidden_layers.rbegin(); it != hidden_layers.rend(); ++it)
        dec.push_back(std::make_shared<Dense<S>>(*it, Activation::relu));
    dec.push_back(std::make_shared<Dense<S>>(input_dims, Activation::sigmoid));
    auto parts = assemble<S>(Shape{input_dims}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

}  // namespace ae::recipes
