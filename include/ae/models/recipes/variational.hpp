#pragma once
// The variational dense autoencoder (Kingma & Welling 2014; the classic chapter's VAE):
//   encoder: input → Dense(h, relu)… → Dense(2·latent, linear) = [μ; log σ²] → Sampling(beta)
//   decoder: latent → Dense(h, relu) in reverse… → Dense(input, sigmoid)
// compiled with Adam (Keras defaults) and binary cross-entropy summed over the pixels and
// averaged over the batch (Reduction::sum_over_features), plus the KL term that Sampling adds:
// the loss is the negative ELBO in nats per image. The one linear Dense(2·latent) is Keras' two
// linear heads for μ and log σ² on the same input (see layers/sampling.hpp).
//   auto [encoder, decoder, vae] = ae::recipes::variational(784, {512}, 2);
//   auto [z, mu, log_var] = vae->encode_distribution(x);
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "ae/layers/dense.hpp"
#include "ae/layers/sampling.hpp"
#include "ae/losses/binary_cross_entropy.hpp"
#include "ae/models/variational_autoencoder.hpp"
#include "ae/optimizers/adam.hpp"

namespace ae::recipes {

/// What recipes::variational returns; the three share their layers.
template <class S = float>
struct VariationalParts {
    std::shared_ptr<Sequential<S>> encoder;  // x → z
    std::shared_ptr<Sequential<S>> decoder;  // z → x̂
    std::shared_ptr<VariationalAutoencoder<S>> autoencoder;
};

template <class S = float>
VariationalParts<S> variational(Index input_dims, const std::vector<Index>& hidden_layers, Index latent_dims,
                                double beta = 1.0, std::uint64_t seed = 42) {
    if (input_dims <= 0 || latent_dims <= 0)
        throw ConfigError("recipes::variational: expected input_dims > 0 and latent_dims > 0, got " +
                          std::to_string(input_dims) + " and " + std::to_string(latent_dims));
    for (Index h : hidden_layers)
        if (h <= 0)
            throw ConfigError("recipes::variational: expected hidden layer sizes > 0, got " + std::to_string(h));
    std::vector<LayerPtr<S>> enc, dec;
    for (Index h : hidden_layers) enc.push_back(std::make_shared<Dense<S>>(h, Activation::relu));
    enc.push_back(std::make_shared<Dense<S>>(2 * latent_dims, Activation::linear));
    enc.push_back(std::make_shared<Sampling<S>>(beta));  // checks beta
    for (auto it = hidden_layers.rbegin(); it != hidden_layers.rend(); ++it)
        dec.push_back(std::make_shared<Dense<S>>(*it, Activation::relu));
    dec.push_back(std::make_shared<Dense<S>>(input_dims, Activation::sigmoid));

    auto encoder = std::make_shared<Sequential<S>>(std::move(enc));
    auto decoder = std::make_shared<Sequential<S>>(std::move(dec));
    encoder->set_name("encoder");
    decoder->set_name("decoder");
    Rng rng(seed);
    decoder->build(encoder->build(Shape{input_dims}, rng), rng);
    auto vae = std::make_shared<VariationalAutoencoder<S>>(encoder, decoder);
    vae->set_name("vae");
    vae->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>(Reduction::sum_over_features));
    return {encoder, decoder, vae};
}

}  // namespace ae::recipes
