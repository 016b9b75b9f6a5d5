#pragma once
// Rebuilding layers by type name, as model files need: create_layer<S>(type, args).
// The library's own layer types are registered here, once per scalar type, on the first call.
// Keeping that list out of the layer headers matters: registering a layer instantiates all of
// its code for float and double, which would make every translation unit that includes ae.hpp
// compile every layer twice, whether it loads models or not.
#include <string>

#include "ae/layers/activation.hpp"
#include "ae/layers/activity_regularization.hpp"
#include "ae/layers/contractive.hpp"
#include "ae/layers/conv2d.hpp"
#include "ae/layers/conv2d_transpose.hpp"
#include "ae/layers/dense.hpp"
#include "ae/layers/dense_transpose.hpp"
#include "ae/layers/dropout.hpp"
#include "ae/layers/flatten.hpp"
#include "ae/layers/gaussian_noise.hpp"
#include "ae/layers/gru.hpp"
#include "ae/layers/kl_sparsity.hpp"
#include "ae/layers/lstm.hpp"
#include "ae/layers/max_pool2d.hpp"
#include "ae/layers/repeat_vector.hpp"
#include "ae/layers/reshape.hpp"
#include "ae/layers/sampling.hpp"
#include "ae/layers/time_distributed.hpp"
#include "ae/layers/up_sampling2d.hpp"
#include "ae/models/autoencoder.hpp"
#include "ae/models/registry.hpp"
#include "ae/models/sequential.hpp"
#include "ae/models/variational_autoencoder.hpp"

namespace ae {

namespace detail {
template <class S, template <class> class L>
void register_builtin(const char* type) {
    // try_emplace: a user's own factory registered under the same name stays in place.
    layer_registry<S>().try_emplace(type, [](const LayerArgs<S>& a) -> LayerPtr<S> { return L<S>::from_config(a); });
}

template <class S>
bool register_builtin_layers() {
    register_builtin<S, ActivationLayer>("ActivationLayer");
    register_builtin<S, ActivityRegularization>("ActivityRegularization");
    register_builtin<S, Autoencoder>("Autoencoder");
    register_builtin<S, ContractiveDense>("ContractiveDense");
    register_builtin<S, Conv2D>("Conv2D");
    register_builtin<S, Conv2DTranspose>("Conv2DTranspose");
    register_builtin<S, Dense>("Dense");
    register_builtin<S, DenseTranspose>("DenseTranspose");
    register_builtin<S, Dropout>("Dropout");
    register_builtin<S, Flatten>("Flatten");
    register_builtin<S, GaussianNoise>("GaussianNoise");
    register_builtin<S, GRU>("GRU");
    register_builtin<S, KLSparsity>("KLSparsity");
    register_builtin<S, LSTM>("LSTM");
    register_builtin<S, MaxPool2D>("MaxPool2D");
    register_builtin<S, RepeatVector>("RepeatVector");
    register_builtin<S, Reshape>("Reshape");
    register_builtin<S, Sampling>("Sampling");
    register_builtin<S, Sequential>("Sequential");
    register_builtin<S, TimeDistributed>("TimeDistributed");
    register_builtin<S, UpSampling2D>("UpSampling2D");
    register_builtin<S, VariationalAutoencoder>("VariationalAutoencoder");
    return true;
}
}  // namespace detail

/// Rebuild a layer by type name; FormatError for an unknown type, listing the known ones.
template <class S>
LayerPtr<S> create_layer(const std::string& type, const LayerArgs<S>& args) {
    static const bool builtins = detail::register_builtin_layers<S>();  // thread-safe, once
    (void)builtins;
    auto& reg = layer_registry<S>();
    auto it = reg.find(type);
    if (it == reg.end()) {
        std::string known;
        for (auto& kv : reg) known += (known.empty() ? "" : ", ") + kv.first;
        throw FormatError("unknown layer type '" + type + "' (known: " + known +
                          "; register your own layer types with ae::register_layer)");
    }
    return it->second(args);
}

}  // namespace ae
