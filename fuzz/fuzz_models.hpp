#pragma once
// The small fixed models of the checkpoint and safetensors targets. make_seeds.cpp saves its
// seeds from these same models, so seed inputs load and the fuzzer starts past the shape checks.
#include <memory>

#include "ae/ae.hpp"

namespace ae_fuzz {

/// recipes::vanilla 12-[6]-3, compiled with Adam and binary cross-entropy.
template <class S = float>
std::shared_ptr<ae::Sequential<S>> vanilla_model() {
    return ae::recipes::vanilla<S>(12, {6}, 3).autoencoder;
}

/// A denoising model with two layer Rngs (GaussianNoise, Dropout), compiled.
inline std::shared_ptr<ae::Sequential<float>> noisy_model() {
    using namespace ae;
    auto model = std::make_shared<Sequential<float>>(
        Shape{12}, std::vector<LayerPtr<float>>{std::make_shared<GaussianNoise<float>>(0.2),
                                                std::make_shared<Dense<float>>(8, Activation::relu),
                                                std::make_shared<Dropout<float>>(0.3),
                                                std::make_shared<Dense<float>>(12, Activation::sigmoid)},
        3);
    model->compile(std::make_shared<Adam<float>>(0.01), std::make_shared<BinaryCrossEntropy<float>>());
    return model;
}

/// Two GRUs on {3, 2} sequences.
inline std::shared_ptr<ae::Sequential<float>> gru_model() {
    using namespace ae;
    return std::make_shared<Sequential<float>>(
        Shape{3, 2}, std::vector<LayerPtr<float>>{std::make_shared<GRU<float>>(3, true), std::make_shared<GRU<float>>(2)});
}

/// Conv2D → Conv2DTranspose → Flatten → Dense on {4, 4, 1}.
inline std::shared_ptr<ae::Sequential<float>> conv_transpose_model() {
    using namespace ae;
    return std::make_shared<Sequential<float>>(
        Shape{4, 4, 1},
        std::vector<LayerPtr<float>>{std::make_shared<Conv2D<float>>(2, 3, 1, Padding::same, Activation::relu),
                                     std::make_shared<Conv2DTranspose<float>>(1, 3, 1, Padding::same),
                                     std::make_shared<Flatten<float>>(),
                                     std::make_shared<Dense<float>>(4, Activation::tanh)});
}

}  // namespace ae_fuzz
