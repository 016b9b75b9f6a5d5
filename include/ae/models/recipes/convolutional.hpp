#pragma once
// Convolutional autoencoders of the classic chapter.
//
// convolutional(input_dims, filters, latent_dims), the exercise's model:
//   encoder: for each f in filters: Conv2D(f, 3×3, same, relu) → MaxPool2D(2×2, same)
//   decoder: for each f in reversed(filters) but the last: Conv2D(f, 3×3, same, relu) → UpSampling2D(2)
//            last f: Conv2D(f, 3×3, valid, relu) → UpSampling2D(2)
//            Conv2D(input channels, 3×3, same, sigmoid)
//   For (28,28,1), [16,8,8], (4,4,8): encoder 28→14→7→4 (same pooling rounds 7/2 up),
//   decoder 4→8→16→14 (valid)→28.
// conv_book(), the book's variant: Conv2D 16/32/64 (3×3, same, selu) each → MaxPool2D(2) gives
//   3×3×64; decoder Conv2DTranspose 32 (stride 2, valid) → 16 (stride 2, same) →
//   1 (stride 2, same, sigmoid): 3→7→14→28.
// Both compiled with Adam (Keras defaults) and binary cross-entropy.
//   auto [encoder, decoder, autoencoder] = ae::recipes::convolutional(Shape{28, 28, 1}, {16, 8, 8}, Shape{4, 4, 8});
#include <cstdint>
#include <memory>
#include <vector>

#include "ae/layers/conv2d.hpp"
#include "ae/layers/conv2d_transpose.hpp"
#include "ae/layers/max_pool2d.hpp"
#include "ae/layers/up_sampling2d.hpp"
#include "ae/losses/binary_cross_entropy.hpp"
#include "ae/models/autoencoder.hpp"
#include "ae/models/recipes/vanilla.hpp"
#include "ae/optimizers/adam.hpp"

namespace ae::recipes {

template <class S = float>
AutoencoderParts<S> convolutional(const Shape& input_dims, const std::vector<Index>& filters, const Shape& latent_dims,
                                  std::uint64_t seed = 42) {
    if (input_dims.rank() != 3)
        throw ShapeError("recipes::convolutional: expected input_dims {H, W, C}, got " + input_dims.str());
    if (latent_dims.rank() != 3)
        throw ShapeError("recipes::convolutional: expected latent_dims {H, W, C}, got " + latent_dims.str());
    if (filters.empty()) throw ConfigError("recipes::convolutional: expected at least one filter count");
    for (Index f : filters)
        if (f <= 0) throw ConfigError("recipes::convolutional: expected filter counts > 0, got " + std::to_string(f));

    std::vector<LayerPtr<S>> enc, dec;
    for (Index f : filters) {
        enc.push_back(std::make_shared<Conv2D<S>>(f, 3, 1, Padding::same, Activation::relu));
        enc.push_back(std::make_shared<MaxPool2D<S>>(2, std::nullopt, Padding::same));
    }
    for (std::size_t i = filters.size(); i-- > 0;) {
        const Padding p = i == 0 ? Padding::valid : Padding::same;  // the second-to-last conv is valid
        dec.push_back(std::make_shared<Conv2D<S>>(filters[i], 3, 1, p, Activation::relu));
        dec.push_back(std::make_shared<UpSampling2D<S>>(2));
    }
    dec.push_back(std::make_shared<Conv2D<S>>(input_dims[2], 3, 1, Padding::same, Activation::sigmoid));

    auto parts = assemble<S>(input_dims, std::move(enc), std::move(dec), seed);
    if (parts.encoder->output_shape() != latent_dims)
        throw ShapeError("recipes::convolutional: the encoder maps " + input_dims.str() + " to " +
                         parts.encoder->output_shape().str() + ", not the requested latent_dims " + latent_dims.str());
    if (parts.decoder->output_shape() != input_dims)
        throw ShapeError("recipes::convolutional: the decoder maps " + latent_dims.str() + " to " +
                         parts.decoder->output_shape().str() + ", not back to input_dims " + input_dims.str());
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

template <class S = float>
AutoencoderParts<S> conv_book(std::uint64_t seed = 42) {
    std::vector<LayerPtr<S>> enc, dec;
    for (Index f : {16, 32, 64}) {
        enc.push_back(std::make_shared<Conv2D<S>>(f, 3, 1, Padding::same, Activation::selu));
        enc.push_back(std::make_shared<MaxPool2D<S>>(2));
    }
    dec.push_back(std::make_shared<Conv2DTranspose<S>>(32, 3, 2, Padding::valid, Activation::selu));
    dec.push_back(std::make_shared<Conv2DTranspose<S>>(16, 3, 2, Padding::same, Activation::selu));
    dec.push_back(std::make_shared<Conv2DTranspose<S>>(1, 3, 2, Padding::same, Activation::sigmoid));
    auto parts = assemble<S>(Shape{28, 28, 1}, std::move(enc), std::move(dec), seed);
    parts.autoencoder->compile(std::make_shared<Adam<S>>(), std::make_shared<BinaryCrossEntropy<S>>());
    return parts;
}

}  // namespace ae::recipes
