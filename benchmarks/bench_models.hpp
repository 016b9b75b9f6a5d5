#pragma once
// The benchmark's models, shared by ae_bench.cpp (training and inference) and gemm_peak.cpp (the
// GEMM shapes of the dense models). torch_bench.py builds the same models in PyTorch.
//
//   vanilla    recipes::vanilla 784-[128,64]-32, relu, sigmoid output, Adam, BCE
//   sparse     recipes::sparse, the same + L1 activity penalty 1e-5 on the codings
//   tied       recipes::tied 784-[128,64]-32, decoder = transposes of the encoder's kernels
//   vae        recipes::variational 784-[512]-2, BCE summed over pixels + KL
//   stacked    the book's stacked autoencoder: Dense 100 selu → 30 selu | 100 selu → 784 sigmoid,
//              SGD(lr 1.5), BCE
//   conv       recipes::convolutional (28,28,1), filters [16,8,8], codings (4,4,8), Adam, BCE
//   conv_book  recipes::conv_book: Conv 16/32/64 selu + pooling, Conv2DTranspose 32/16/1
//   lstm       recipes::recurrent: LSTM(100, seq) → LSTM(30) | RepeatVector(28) → LSTM(100, seq)
//              → TimeDistributed(Dense(28, sigmoid)), MNIST rows as 28 steps of 28 pixels
//   gru        the same with GRU layers (Keras' reset_after)
// Every model trains with batch 256 (the benchmark's --batch-size) and Keras' Adam defaults
// (lr 1e-3, eps 1e-7) unless stated.
#include <memory>
#include <string>
#include <vector>

#include "ae/ae.hpp"

namespace bench {

using ae::Index;

inline const std::vector<std::string> model_names = {"vanilla", "sparse",    "tied", "vae", "stacked",
                                                     "conv",    "conv_book", "lstm", "gru"};

/// Models whose work is all Dense GEMMs: they get a FLOP count and a GEMM-peak fraction.
inline bool is_dense(const std::string& name) {
    return name == "vanilla" || name == "sparse" || name == "tied" || name == "vae" || name == "stacked";
}

/// The model, built and compiled; nullptr for an unknown name.
inline std::shared_ptr<ae::Sequential<float>> make_model(const std::string& name) {
    using namespace ae;
    if (name == "vanilla") return recipes::vanilla<float>(784, {128, 64}, 32).autoencoder;
    if (name == "sparse") return recipes::sparse<float>(784, {128, 64}, 32, 1e-5).autoencoder;
    if (name == "tied") return recipes::tied<float>(784, {128, 64}, 32).autoencoder;
    if (name == "vae") return recipes::variational<float>(784, {512}, 2).autoencoder;
    if (name == "stacked") {
        std::vector<LayerPtr<float>> enc{std::make_shared<Dense<float>>(100, Activation::selu),
                                         std::make_shared<Dense<float>>(30, Activation::selu)};
        std::vector<LayerPtr<float>> dec{std::make_shared<Dense<float>>(100, Activation::selu),
                                         std::make_shared<Dense<float>>(784, Activation::sigmoid)};
        auto parts = recipes::assemble<float>(Shape{784}, std::move(enc), std::move(dec), 42);
        parts.autoencoder->compile(std::make_shared<SGD<float>>(1.5), std::make_shared<BinaryCrossEntropy<float>>());
        return parts.autoencoder;
    }
    if (name == "conv") return recipes::convolutional<float>(Shape{28, 28, 1}, {16, 8, 8}, Shape{4, 4, 8}).autoencoder;
    if (name == "conv_book") return recipes::conv_book<float>().autoencoder;
    if (name == "lstm") return recipes::recurrent<float>().autoencoder;
    if (name == "gru") {
        std::vector<LayerPtr<float>> enc{std::make_shared<GRU<float>>(100, true), std::make_shared<GRU<float>>(30)};
        std::vector<LayerPtr<float>> dec{
            std::make_shared<RepeatVector<float>>(28), std::make_shared<GRU<float>>(100, true),
            std::make_shared<TimeDistributed<float>>(std::make_shared<Dense<float>>(28, Activation::sigmoid))};
        auto parts = recipes::assemble<float>(Shape{28, 28}, std::move(enc), std::move(dec), 42);
        parts.autoencoder->compile(std::make_shared<Adam<float>>(), std::make_shared<BinaryCrossEntropy<float>>());
        return parts.autoencoder;
    }
    return nullptr;
}

/// One fully connected product per sample: in → out features.
struct DenseShape {
    Index in = 0, out = 0;
};

/// The Dense and DenseTranspose layers of a model, in the order the forward pass runs them.
inline void collect_dense(const ae::Layer<float>& layer, std::vector<DenseShape>& out) {
    if (dynamic_cast<const ae::Dense<float>*>(&layer) || dynamic_cast<const ae::DenseTranspose<float>*>(&layer)) {
        out.push_back({layer.input_shape().size(), layer.output_shape().size()});
        return;
    }
    for (const auto& child : layer.children()) collect_dense(*child, out);
}

inline std::vector<DenseShape> dense_shapes(const ae::Layer<float>& model) {
    std::vector<DenseShape> shapes;
    collect_dense(model, shapes);
    return shapes;
}

/// Floating-point operations of one training sample, counted analytically over the Dense GEMMs
/// (a multiply-add is 2 FLOPs). For each Dense layer in → out:
///   forward   y  = W x      2·in·out
///   backward  dW += dz xᵀ   2·in·out
///             dx = Wᵀ dz    2·in·out, except for the first layer: fit never computes the gradient
///                           of the model's input (nor does PyTorch for an input without grad)
/// so per sample: Σ 6·in·out − 2·in₁·out₁. Biases, activations, the loss and the optimizer's
/// update are O(out) per sample or O(parameters) per batch and are not counted.
inline double training_flops_per_sample(const std::vector<DenseShape>& shapes) {
    double f = 0;
    for (const auto& s : shapes) f += 6.0 * double(s.in) * double(s.out);
    if (!shapes.empty()) f -= 2.0 * double(shapes.front().in) * double(shapes.front().out);
    return f;
}

}  // namespace bench
