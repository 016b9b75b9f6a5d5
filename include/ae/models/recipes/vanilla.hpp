#pragma once
// The classic exercise's dense autoencoder:
//   encoder: input → Dense(h, relu) for each hidden layer → Dense(latent, relu)
//   decoder: latent → Dense(h, relu) for each hidden layer in reverse → Dense(input, sigmoid)
// compiled with Adam (Keras defaults) and binary cross-entropy.
//   auto [encoder, decoder, autoencoder] = ae::recipes::vanilla(784, {128, 64}, 32);
#include <cstdint>
#include <memory>
#include <vector>

#include "ae/layers/dense.hpp"
#include "ae/losses/binary_cross_entropy.hpp"
#include "ae/models/autoencoder.hpp"
#include "ae/optimizers/adam.hpp"

namespace ae::recipes {

/// What every autoencoder recipe returns. The three share their layers.
template <class S = float>
struct AutoencoderParts {
    std::shared_ptr<Sequential<S>> encoder;
    std::shared_ptr<Sequential<S>> decoder;
    std::shared_ptr<Autoencoder<S>> autoencoder;
};

/// Wrap encoder and decoder layer lists into named, built models sharing their layers.
template <class S>
AutoencoderParts<S> assemble(const Shape& input, std::vector<LayerPtr<S>> encoder_layers,
                             std::vector<LayerPtr<S>> decoder_layers, std::uint64_t seed) {
    auto encoder = std::make_shared<Sequential<S>>(std::move(encoder_layers));
    auto decoder = std::make_shared<Sequential<S>>(std::move(decoder_layers));
    encoder->set_name("encoder");
    decoder->set_name("decoder");
    Rng rng(seed);
    const Shape latent = encoder->build(input, rng);
    decoder->build(latent, rng);
    auto autoencoder = std::make_shared<Autoencoder<S>>(encoder, decoder);
    autoencoder->set_name("autoencoder");
    return {encoder, decoder, autoencoder};
}

template <class S = float>
AutoencoderParts<S> vanilla(Index input_dims, const std::vector<Index>& hidden_layers, Index latent_dims,
                            std::uint64_t seed = 42) {
    if (input_dims <= 0 || latent_dims <= 0)
        throw ConfigError("recipes::vanilla: expected input_dims > 0 and latent_dims > 0, got " +
                          std::to_string(input_dims) + " and " + std::to_string(latent_dims));
    std::vector<LayerPtr<S>> enc, dec;
    for (Index h : hidden_layers) enc.push_back(std::make_shared<Dense<S>>(h, Activation::relu));
    enc.push_back(std::make_shared<Dense<S>>(latent_dims, Activation::relu));
    for (auto it = hidden_layers.rbegin(); it != hidden_layers.rend(); ++it)
        dec.push_back(std::make_shared<Dense<S>>(*it, Activation::relu));
    dec.push_back(std::make_shared<Dense<S>>(input_dims, Activation::sigmoid));
    auto parts = assemble<S>(Shape{input_dims}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

} // namespace ae::recipes
