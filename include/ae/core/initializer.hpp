#pragma once
// Weight initialisers with Keras' definitions. fan_in/fan_out are per output unit
// (Dense: in, out; Conv2D: k*k*C_in, k*k*filters).
//   glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))      (Keras' default)
//   glorot_normal   truncated N(0, s), s = sqrt(2 / (fan_in + fan_out))
//   he_uniform      l = sqrt(6 / fan_in);   he_normal     s = sqrt(2 / fan_in)
//   lecun_uniform   l = sqrt(3 / fan_in);   lecun_normal  s = sqrt(1 / fan_in)
//   orthogonal      Q of the QR of a standard normal matrix (sign-corrected)
// Truncated normals are cut at 2 stddevs and rescaled by 0.8796256610342398 as Keras does,
// so the final stddev is s.
#include <Eigen/QR>
#include <cmath>
#include <string>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/rng.hpp"

namespace ae {

enum class Initializer {
    glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal, zeros
};

inline std::string to_string(Initializer i) {
    switch (i) {
        case Initializer::glorot_uniform: return "glorot_uniform";
        case Initializer::glorot_normal: return "glorot_normal";
        case Initializer::he_uniform: return "he_uniform";
        case Initializer::he_normal: return "he_normal";
        case Initializer::lecun_uniform: return "lecun_uniform";
        case Initializer::lecun_normal: return "lecun_normal";
        case Initializer::orthogonal: return "orthogonal";
        case Initializer::zeros: return "zeros";
    }
    return "?";
}

inline Initializer initializer_from_string(const std::string& s) {
    for (Initializer i : {Initializer::glorot_uniform, Initializer::glorot_normal, Initializer::he_uniform,
                          Initializer::he_normal, Initializer::lecun_uniform, Initializer::lecun_normal,
                          Initializer::orthogonal, Initializer::zeros})
        if (to_string(i) == s) return i;
    throw ConfigError("unknown initializer '" + s + "'");
}

namespace detail {
inline double truncated_normal(Rng& rng, double stddev) {
    const double s = stddev / 0.87962566103423978;
    for (;;) {
        const double v = rng.normal();
        if (std::abs(v) <= 2.0) return v * s;
    }
}
}  // namespace detail

/// Fill w (any shape) according to `init`.
template <class S>
void initialize(Matrix<S>& w, Initializer init, double fan_in, double fan_out, Rng& rng) {
    auto uniform = [&](double limit) { rng.fill_uniform(w, -limit, limit); };
    auto normal = [&](double stddev) {
        for (Index i = 0; i < w.size(); ++i) w.data()[i] = S(detail::truncated_normal(rng, stddev));
    };
    switch (init) {
        case Initializer::glorot_uniform: uniform(std::sqrt(6.0 / (fan_in + fan_out))); break;
        case Initializer::glorot_normal: normal(std::sqrt(2.0 / (fan_in + fan_out))); break;
        case Initializer::he_uniform: uniform(std::sqrt(6.0 / fan_in)); break;
        case Initializer::he_normal: normal(std::sqrt(2.0 / fan_in)); break;
        case Initializer::lecun_uniform: uniform(std::sqrt(3.0 / fan_in)); break;
        case Initializer::lecun_normal: normal(std::sqrt(1.0 / fan_in)); break;
        case Initializer::zeros: w.setZero(); break;
        case Initializer::orthogonal: {
            // QR of a tall normal matrix; Q's columns (or rows) are orthonormal.
            const bool tall = w.rows() >= w.cols();
            Eigen::MatrixXd a(tall ? w.rows() : w.cols(), tall ? w.cols() : w.rows());
            for (Index i = 0; i < a.size(); ++i) a.data()[i] = rng.normal();
            Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
            Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(a.rows(), a.cols());
            Eigen::VectorXd d = qr.matrixQR().diagonal();
            for (Index j = 0; j < q.cols(); ++j)
                if (d(j) < 0) q.col(j) = -q.col(j);
            if (tall) w = q.cast<S>();
            else w = q.transpose().cast<S>();
            break;
        }
    }
}

} // namespace ae
