#pragma once
// Activation functions, applied in place to a pre-activation z (so y = f(z)), and their
// backward pass written in terms of the output y alone, so layers need not keep z:
//   relu'      = [y > 0]             leaky_relu' = y > 0 ? 1 : alpha
//   elu'       = y > 0 ? 1 : y + a   selu'       = y > 0 ? l : y + l*a
//   sigmoid'   = y (1 - y)           tanh'       = 1 - y^2
//   softplus'  = sigmoid(z) = 1 - exp(-y)
//   softmax:     dz = y * (dy - sum_k dy_k y_k)   (per column)
#include <string>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/parallel.hpp"

namespace ae {

enum class Activation { linear, relu, leaky_relu, elu, selu, sigmoid, tanh, softplus, softmax };

namespace activation_constants {
inline constexpr double leaky_relu_alpha = 0.2;  // as Keras' activation="leaky_relu"
inline constexpr double elu_alpha = 1.0;
inline constexpr double selu_alpha = 1.6732632423543772848170429916717;
inline constexpr double selu_scale = 1.0507009873554804934193349852946;
}  // namespace activation_constants

inline std::string to_string(Activation a) {
    switch (a) {
        case Activation::linear: return "linear";
        case Activation::relu: return "relu";
        case Activation::leaky_relu: return "leaky_relu";
        case Activation::elu: return "elu";
        case Activation::selu: return "selu";
        case Activation::sigmoid: return "sigmoid";
        case Activation::tanh: return "tanh";
        case Activation::softplus: return "softplus";
        case Activation::softmax: return "softmax";
    }
    return "?";
}

inline Activation activation_from_string(const std::string& s) {
    for (Activation a : {Activation::linear, Activation::relu, Activation::leaky_relu, Activation::elu,
                         Activation::selu, Activation::sigmoid, Activation::tanh, Activation::softplus,
                         Activation::softmax})
        if (to_string(a) == s) return a;
    throw ConfigError("unknown activation '" + s +
                      "', expected one of linear, relu, leaky_relu, elu, selu, sigmoid, tanh, softplus, softmax");
}

/// Rough cost per element in FLOPs (a transcendental ≈ 20), for deciding when to split a job.
inline double activation_cost(Activation a) {
    switch (a) {
        case Activation::linear: return 0;
        case Activation::relu:
        case Activation::leaky_relu: return 1;
        default: return 20;
    }
}

/// y <- f(y), in place, on a block of columns (y holds z on entry), on the calling thread.
/// Columns are samples (softmax is per column).
template <class S>
void activate_block(Activation a, Eigen::Ref<Matrix<S>> y) {
    namespace c = activation_constants;
    auto v = y.array();
    switch (a) {
        case Activation::linear: break;
        case Activation::relu: v = v.cwiseMax(S(0)); break;
        case Activation::leaky_relu: v = (v > S(0)).select(v, S(c::leaky_relu_alpha) * v); break;
        case Activation::elu: v = (v > S(0)).select(v, S(c::elu_alpha) * (v.exp() - S(1))); break;
        case Activation::selu:
            v = S(c::selu_scale) * (v > S(0)).select(v, S(c::selu_alpha) * (v.exp() - S(1)));
            break;
        case Activation::sigmoid: v = S(1) / (S(1) + (-v).exp()); break;
        case Activation::tanh: v = v.tanh(); break;
        case Activation::softplus: v = v.cwiseMax(S(0)) + (-v.abs()).exp().log1p(); break;
        case Activation::softmax:
            for (Index j = 0; j < y.cols(); ++j) {
                auto col = y.col(j).array();
                col = (col - col.maxCoeff()).exp();
                col /= col.sum();
            }
            break;
    }
}

/// y <- f(y), in place (y holds z on entry), with the columns split across ae's threads.
template <class S>
void activate_inplace(Activation a, Matrix<S>& y) {
    if (a == Activation::linear) return;
    parallel_for(y.cols(), activation_cost(a) * double(y.size()),
                 [&](Index c, Index n) { activate_block<S>(a, y.middleCols(c, n)); });
}

/// dz = dy * f'(z) on a block of columns, computed from y = f(z), on the calling thread.
/// dz has dy's shape and may alias dy.
template <class S>
void activation_backward_block(Activation a, Eigen::Ref<const Matrix<S>> y, Eigen::Ref<const Matrix<S>> dy,
                               Eigen::Ref<Matrix<S>> dz) {
    namespace c = activation_constants;
    auto Y = y.array();
    auto D = dy.array();
    auto out = dz.array();
    switch (a) {
        case Activation::linear:
            if (dz.data() != dy.data()) dz = dy;
            break;
        case Activation::relu: out = (Y > S(0)).select(D, S(0)); break;
        case Activation::leaky_relu: out = (Y > S(0)).select(D, S(c::leaky_relu_alpha) * D); break;
        case Activation::elu: out = (Y > S(0)).select(D, D * (Y + S(c::elu_alpha))); break;
        case Activation::selu:
            out = (Y > S(0)).select(S(c::selu_scale) * D, D * (Y + S(c::selu_scale * c::selu_alpha)));
            break;
        case Activation::sigmoid: out = D * Y * (S(1) - Y); break;
        case Activation::tanh: out = D * (S(1) - Y.square()); break;
        case Activation::softplus: out = D * (S(1) - (-Y).exp()); break;
        case Activation::softmax:
            for (Index j = 0; j < y.cols(); ++j) {
                const S dot = dy.col(j).dot(y.col(j));
                dz.col(j).array() = y.col(j).array() * (dy.col(j).array() - dot);
            }
            break;
    }
}

/// dz = dy * f'(z), computed from y = f(z), with the columns split across ae's threads.
/// dz is resized to dy's shape and may alias dy.
template <class S>
void activation_backward(Activation a, const Matrix<S>& y, const Matrix<S>& dy, Matrix<S>& dz) {
    ensure_size(dz, dy.rows(), dy.cols());
    parallel_for(dy.cols(), (1 + activation_cost(a)) * double(dy.size()), [&](Index c, Index n) {
        activation_backward_block<S>(a, y.middleCols(c, n), dy.middleCols(c, n), dz.middleCols(c, n));
    });
}

} // namespace ae
