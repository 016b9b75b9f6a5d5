#pragma once
// The vanilla dense autoencoder with tied weights: the decoder reuses the transposes of the
// encoder's kernels (DenseTranspose) and owns only its biases, so it has about half the
// parameters of recipes::vanilla.
//   encoder: input → Dense(h, relu) for each hidden layer → Dense(latent, relu)
//   decoder: DenseTranspose of each encoder Dense in reverse order, relu, then sigmoid last
// compiled with Adam (Keras defaults) and binary cross-entropy.
//   auto [encoder, decoder, autoencoder] = ae::recipes::tied(784, {128, 64}, 32);
#include <cstdint>
#include <memory>
#include <vector>

#include "ae/layers/dense.hpp"
#include "ae/layers/dense_transpose.hpp"
#include "ae/models/recipes/vanilla.hpp"

namespace ae::recipes {

template <class S = float>
AutoencoderParts<S> tied(Index input_dims, const std::vector<Index>& hidden_layers, Index latent_dims,
                         std::uint64_t seed = 42) {
    if (input_dims <= 0 || latent_dims <= 0)
        throw ConfigError("recipes::tied: expected input_dims > 0 and latent_dims > 0, got " +
                          std::to_string(input_dims) + " and " + std::to_string(latent_dims));
    std::vector<std::shared_ptr<Dense<S>>> dense;
    for (Index h : hidden_layers) dense.push_back(std::make_shared<Dense<S>>(h, Activation::relu));
    dense.push_back(std::make_shared<Dense<S>>(latent_dims, Activation::relu));
    std::vector<LayerPtr<S>> enc(dense.begin(), dense.end()), dec;
    // The decoder mirrors the encoder: the first Dense's transpose is the output layer.
    for (std::size_t i = dense.size(); i-- > 0;)
        dec.push_back(std::make_shared<DenseTranspose<S>>(dense[i], i == 0 ? Activation::sigmoid : Activation::relu));
    auto parts = assemble<S>(Shape{input_dims}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

}  // namespace ae::recipes
