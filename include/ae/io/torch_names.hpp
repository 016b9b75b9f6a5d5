#pragma once
// How an ae model's parameters map to a PyTorch state_dict: names, shapes and element order
// (docs/interop.md has the full table). Used by io/safetensors.hpp.
//
// Names. A container (Sequential, Autoencoder) numbers its children 0, 1, 2, ... and a child's
// tensors are named "<path of indices>.<PyTorch parameter name>", as nn.Sequential's state_dict:
// an Autoencoder whose decoder's first Dense is child 0 of child 1 gives "1.0.weight". With
// TorchNaming::activations_as_modules (the default), a layer with parameters and a fused
// activation takes two indices, because PyTorch writes that activation as its own module:
//   ae:      Dense(128, relu), Dense(32, relu)          → 0.weight, 2.weight
//   PyTorch: nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU()
// TimeDistributed is transparent (nn.Linear applies to the last axis of (batch, T, F) as is).
// A layer listed twice in the tree (shared) is named once, at its first appearance.
//
// Layout (PyTorch tensors are row-major, ae matrices column-major; values are converted):
//   Dense           ↔ nn.Linear           weight [out, in] = W,                bias [out]
//   Conv2D          ↔ nn.Conv2d           weight [F, C, kh, kw]: W(f, (i·kw + j)·C + c), bias [F]
//   Conv2DTranspose ↔ nn.ConvTranspose2d  weight [C_in, F, kh, kw]: W(c, (i·kw + j)·F + f), bias [F]
//   LSTM            ↔ nn.LSTM (1 layer, batch_first)  weight_ih_l0 [4U, F], weight_hh_l0 [4U, U],
//                     bias_ih_l0 [4U], bias_hh_l0 [4U]; gate order i, f, g, o in both. ae has one
//                     bias: loading sums the two, saving writes it as bias_ih_l0 and zeros.
//   GRU             ↔ nn.GRU (1 layer, batch_first)   weight_ih_l0 [3U, F], weight_hh_l0 [3U, U],
//                     bias_ih_l0 [3U], bias_hh_l0 [3U]; PyTorch's gate blocks are r, z, n and
//                     ae's z, r, h (Keras'), so the first two blocks swap. Both apply the reset
//                     gate after the recurrent matmul (Keras' reset_after=True), so the math is
//                     the same; ae's bias columns are PyTorch's bias_ih and bias_hh.
//   any other layer with parameters (DenseTranspose's bias, user layers): "<path>.<ae name>"
//                     ("kernel", "bias", ...), shape [rows, cols] ([rows] when cols is 1), row-major.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/layer.hpp"
#include "ae/layers/conv2d.hpp"
#include "ae/layers/conv2d_transpose.hpp"
#include "ae/layers/dense.hpp"
#include "ae/layers/gru.hpp"
#include "ae/layers/lstm.hpp"

namespace ae::io {

/// Options of the PyTorch naming scheme (see the top of this file).
struct TorchNaming {
    /// A fused activation (Dense(128, relu)) takes its own index, as nn.ReLU() does after nn.Linear.
    bool activations_as_modules = true;
};

/// One tensor of the PyTorch side: its state_dict name and shape.
struct TorchTensorSpec {
    std::string name;
    std::vector<std::uint64_t> shape;
};

/// The PyTorch tensors of one ae layer, with the conversions both ways. Values are row-major
/// (PyTorch's element order), in double so that float and double models convert exactly.
template <class S>
struct TorchTensorGroup {
    std::string layer;   // the layer's describe(), for messages
    std::string module;  // the PyTorch module it corresponds to ("Linear", "Conv2d", ...)
    std::vector<TorchTensorSpec> tensors;
    std::function<std::vector<std::vector<double>>()> values;                     // ae → PyTorch
    std::function<void(const std::vector<const std::vector<double>*>&)> assign;  // PyTorch → ae
};

namespace detail {

inline std::string torch_join(const std::string& prefix, const std::string& part) {
    return prefix.empty() ? part : prefix + "." + part;
}

// m (r × c) ↔ row-major values.
template <class S>
std::vector<double> torch_row_major(const Matrix<S>& m) {
    std::vector<double> v(std::size_t(m.size()));
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(v.data(), m.rows(), m.cols()) =
        m.template cast<double>();
    return v;
}
template <class S>
void torch_from_row_major(Matrix<S>& m, const std::vector<double>& v) {
    m = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(v.data(), m.rows(),
                                                                                               m.cols())
            .template cast<S>();
}

// Convolution kernels: ae's M (A × (kh·kw·B)), column (i·kw + j)·B + b, is PyTorch's
// [A, B, kh, kw] (Conv2d: A = filters, B = input channels; ConvTranspose2d: A = input
// channels, B = filters).
template <class S>
std::vector<double> torch_conv_kernel(const Matrix<S>& m, Index kh, Index kw) {
    const Index A = m.rows(), B = m.cols() / (kh * kw);
    std::vector<double> v(std::size_t(m.size()));
    for (Index a = 0; a < A; ++a)
        for (Index b = 0; b < B; ++b)
            for (Index i = 0; i < kh; ++i)
                for (Index j = 0; j < kw; ++j) v[std::size_t(((a * B + b) * kh + i) * kw + j)] = double(m(a, (i * kw + j) * B + b));
    return v;
}
template <class S>
void torch_to_conv_kernel(Matrix<S>& m, const std::vector<double>& v, Index kh, Index kw) {
    const Index A = m.rows(), B = m.cols() / (kh * kw);
    for (Index a = 0; a < A; ++a)
        for (Index b = 0; b < B; ++b)
            for (Index i = 0; i < kh; ++i)
                for (Index j = 0; j < kw; ++j) m(a, (i * kw + j) * B + b) = S(v[std::size_t(((a * B + b) * kh + i) * kw + j)]);
}

// GRU gate blocks: PyTorch r, z, n ↔ ae z, r, h. Swapping the first two blocks of U rows is its
// own inverse, so one function converts both ways (on row-major values of rows × cols).
inline std::vector<double> torch_swap_gru_rz(std::vector<double> v, Index U, Index cols) {
    const std::size_t block = std::size_t(U * cols);
    std::swap_ranges(v.begin(), v.begin() + std::ptrdiff_t(block), v.begin() + std::ptrdiff_t(block));
    return v;
}

inline std::vector<std::uint64_t> torch_shape(std::initializer_list<Index> dims) {
    std::vector<std::uint64_t> s;
    for (Index d : dims) s.push_back(std::uint64_t(d));
    return s;
}

// Conv2D and Conv2DTranspose: kernel A × (kh·kw·B) ↔ weight [A, B, kh, kw], bias [filters].
template <class S, class Conv>
void torch_conv_tensors(TorchTensorGroup<S>& g, Conv* conv, const std::string& prefix, Index A, Index B) {
    const Index kh = conv->kernel_size().h, kw = conv->kernel_size().w;
    g.tensors.push_back({torch_join(prefix, "weight"), torch_shape({A, B, kh, kw})});
    g.tensors.push_back({torch_join(prefix, "bias"), torch_shape({conv->filters()})});
    g.values = [conv, kh, kw] {
        return std::vector<std::vector<double>>{torch_conv_kernel(conv->kernel(), kh, kw), torch_row_major(conv->bias())};
    };
    g.assign = [conv, kh, kw](const auto& v) {
        torch_to_conv_kernel(conv->kernel(), *v[0], kh, kw);
        torch_from_row_major(conv->bias(), *v[1]);
    };
}

// A one-layer nn.LSTM / nn.GRU: `rows` = gates × U.
template <class S>
void torch_rnn_specs(TorchTensorGroup<S>& g, const std::string& prefix, Index rows, Index F, Index U) {
    g.tensors.push_back({torch_join(prefix, "weight_ih_l0"), torch_shape({rows, F})});
    g.tensors.push_back({torch_join(prefix, "weight_hh_l0"), torch_shape({rows, U})});
    g.tensors.push_back({torch_join(prefix, "bias_ih_l0"), torch_shape({rows})});
    g.tensors.push_back({torch_join(prefix, "bias_hh_l0"), torch_shape({rows})});
}

template <class S>
TorchTensorGroup<S> torch_group_for(Layer<S>& layer, const std::string& prefix) {
    TorchTensorGroup<S> g;
    g.layer = layer.describe();
    auto spec = [&](const char* what, std::vector<std::uint64_t> shape) {
        g.tensors.push_back({torch_join(prefix, what), std::move(shape)});
    };
    if (auto* d = dynamic_cast<Dense<S>*>(&layer)) {
        g.module = "Linear";
        spec("weight", torch_shape({d->kernel().rows(), d->kernel().cols()}));
        spec("bias", torch_shape({d->bias().rows()}));
        g.values = [d] { return std::vector<std::vector<double>>{torch_row_major(d->kernel()), torch_row_major(d->bias())}; };
        g.assign = [d](const auto& v) {
            torch_from_row_major(d->kernel(), *v[0]);
            torch_from_row_major(d->bias(), *v[1]);
        };
    } else if (auto* c = dynamic_cast<Conv2D<S>*>(&layer)) {
        g.module = "Conv2d";
        torch_conv_tensors(g, c, prefix, c->filters(), c->geometry().in_c);
    } else if (auto* t = dynamic_cast<Conv2DTranspose<S>*>(&layer)) {
        g.module = "ConvTranspose2d";
        torch_conv_tensors(g, t, prefix, t->kernel().rows(), t->filters());
    } else if (auto* l = dynamic_cast<LSTM<S>*>(&layer)) {
        g.module = "LSTM";
        const Index U = l->units(), F = l->kernel().cols();
        torch_rnn_specs(g, prefix, 4 * U, F, U);
        g.values = [l, U] {
            return std::vector<std::vector<double>>{torch_row_major(l->kernel()), torch_row_major(l->recurrent_kernel()),
                                                    torch_row_major(l->bias()), std::vector<double>(std::size_t(4 * U), 0.0)};
        };
        g.assign = [l](const auto& v) {
            torch_from_row_major(l->kernel(), *v[0]);
            torch_from_row_major(l->recurrent_kernel(), *v[1]);
            std::vector<double> b(*v[2]);
            for (std::size_t i = 0; i < b.size(); ++i) b[i] += (*v[3])[i];  // one bias: b_ih + b_hh
            torch_from_row_major(l->bias(), b);
        };
    } else if (auto* r = dynamic_cast<GRU<S>*>(&layer)) {
        g.module = "GRU";
        const Index U = r->units(), F = r->kernel().cols();
        torch_rnn_specs(g, prefix, 3 * U, F, U);
        g.values = [r, U, F] {
            const Matrix<S> b_in = r->bias().col(0), b_rec = r->bias().col(1);
            return std::vector<std::vector<double>>{torch_swap_gru_rz(torch_row_major(r->kernel()), U, F),
                                                    torch_swap_gru_rz(torch_row_major(r->recurrent_kernel()), U, U),
                                                    torch_swap_gru_rz(torch_row_major(b_in), U, 1),
                                                    torch_swap_gru_rz(torch_row_major(b_rec), U, 1)};
        };
        g.assign = [r, U, F](const auto& v) {
            torch_from_row_major(r->kernel(), torch_swap_gru_rz(*v[0], U, F));
            torch_from_row_major(r->recurrent_kernel(), torch_swap_gru_rz(*v[1], U, U));
            Matrix<S> b_in(3 * U, 1), b_rec(3 * U, 1);
            torch_from_row_major(b_in, torch_swap_gru_rz(*v[2], U, 1));
            torch_from_row_major(b_rec, torch_swap_gru_rz(*v[3], U, 1));
            r->bias().col(0) = b_in;
            r->bias().col(1) = b_rec;
        };
    } else {
        // No PyTorch counterpart: each parameter as it is, under its ae name, row-major.
        g.module = layer.type();
        std::vector<Param<S>> params = layer.parameters();
        for (const auto& p : params) {
            const std::string what = p.name.substr(p.name.rfind('/') + 1);
            spec(what.c_str(), p.value->cols() == 1 ? torch_shape({p.value->rows()})
                                                    : torch_shape({p.value->rows(), p.value->cols()}));
        }
        g.values = [params] {
            std::vector<std::vector<double>> out;
            for (const auto& p : params) out.push_back(torch_row_major(*p.value));
            return out;
        };
        g.assign = [params](const auto& v) {
            for (std::size_t i = 0; i < params.size(); ++i) torch_from_row_major(*params[i].value, *v[i]);
        };
    }
    return g;
}

// Walk the layer tree depth-first, giving every layer with parameters its group.
template <class S>
void torch_walk(Layer<S>& layer, const std::string& prefix, const TorchNaming& naming,
                std::set<const Layer<S>*>& seen, std::vector<TorchTensorGroup<S>>& out) {
    if (!seen.insert(&layer).second) return;  // shared: named where it first appears
    auto children = layer.children();
    if (layer.type() == "TimeDistributed" && children.size() == 1) {
        torch_walk(*children[0], prefix, naming, seen, out);
        return;
    }
    if (!children.empty()) {
        Index slot = 0;
        for (auto& child : children) {
            torch_walk(*child, torch_join(prefix, std::to_string(slot)), naming, seen, out);
            slot += 1;
            // The fused activation of a leaf (seen through a TimeDistributed) is its own module.
            Layer<S>* leaf = child.get();
            while (leaf->type() == "TimeDistributed" && leaf->children().size() == 1) leaf = leaf->children()[0].get();
            if (naming.activations_as_modules && leaf->children().empty() && !leaf->parameters().empty() &&
                leaf->output_activation() != Activation::linear)
                slot += 1;
        }
        return;
    }
    if (!layer.parameters().empty()) out.push_back(torch_group_for(layer, prefix));
}

}  // namespace detail

/// The PyTorch tensors of every layer of a built model, in model order.
template <class S>
std::vector<TorchTensorGroup<S>> torch_tensor_groups(Layer<S>& model, const TorchNaming& naming = {}) {
    if (!model.built())
        throw ConfigError("torch_tensor_groups: " + model.describe() + " is not built (give it an input shape first)");
    std::vector<TorchTensorGroup<S>> out;
    std::set<const Layer<S>*> seen;
    detail::torch_walk(model, "", naming, seen, out);
    return out;
}

/// Every state_dict name the model maps to, in order: e.g. {"0.weight", "0.bias", "2.weight", ...}.
template <class S>
std::vector<std::string> torch_names(Layer<S>& model, const TorchNaming& naming = {}) {
    std::vector<std::string> names;
    for (const auto& g : torch_tensor_groups(model, naming))
        for (const auto& t : g.tensors) names.push_back(t.name);
    return names;
}

}  // namespace ae::io
