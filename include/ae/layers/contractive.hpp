#pragma once
// ContractiveDense: a Dense layer h = σ(W x + b) that adds the contractive penalty
//   λ ‖J(x)‖²_F,  J = ∂h/∂x = diag(σ'(z)) W,  z = W x + b,
// averaged over the batch, through extra_loss() (Rifai et al. 2011, the contractive autoencoder):
//   P = λ/B Σ_b Σ_j s_jb² q_j,   s = σ'(z): out × batch,   q_j = Σ_i W_ji²
// Use it as the coding layer of an autoencoder (recipes::contractive).
//
// Why a Dense subclass rather than an identity layer placed after a Dense: the penalty needs the
// Dense's kernel, its pre-activation and a gradient term that goes straight into the kernel's
// gradient; one layer owns all three, stays a plain link in a Sequential chain, keeps its
// parameters under the usual "kernel"/"bias" names, and saves/loads with one config.
//
// Exact gradient, with g = σ''(z) / σ'(z) computed from h:
//   sigmoid: s = h (1 − h), g = 1 − 2h;   tanh: s = 1 − h², g = −2h;   linear: s = 1, g = 0.
//   ∂P/∂z_jb = 2λ/B · s_jb² g_jb q_j      (added to the loss's dz, then through W, b and x)
//   ∂P/∂W_ji += 2λ/B · W_ji Σ_b s_jb²     (the direct dependence through q_j)
// Only sigmoid, tanh and linear activations are accepted: the penalty needs σ'' (relu's is zero
// almost everywhere, so its penalty would not depend on the codings' curvature at all).
// The penalty is computed on every forward pass (training and inference, as Keras' evaluate).
#include <cmath>

#include "ae/layers/dense.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class ContractiveDense : public Dense<S> {
public:
    explicit ContractiveDense(Index units, Activation activation = Activation::sigmoid, double lambda = 1e-4,
                              Initializer kernel_initializer = Initializer::glorot_uniform)
        : Dense<S>(units, activation, kernel_initializer), lambda_(lambda) {
        if (activation != Activation::sigmoid && activation != Activation::tanh && activation != Activation::linear)
            throw ConfigError("ContractiveDense: expected a sigmoid, tanh or linear activation, got " +
                              to_string(activation));
        if (!(lambda >= 0) || !std::isfinite(lambda))
            throw ConfigError("ContractiveDense: expected a finite lambda >= 0, got " + std::to_string(lambda));
    }

    std::string type() const override { return "ContractiveDense"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        Dense<S>::forward(x, y, mode);
        y_ = &y;
        const Index B = y.cols();
        auto H = y.array();  // h: out × batch
        ensure_size(s2_, y.rows(), B);
        ensure_size(g_, y.rows(), B);
        switch (this->activation()) {
            case Activation::sigmoid:
                s2_.array() = (H * (S(1) - H)).square();
                g_.array() = S(1) - S(2) * H;
                break;
            case Activation::tanh:
                s2_.array() = (S(1) - H.square()).square();
                g_.array() = S(-2) * H;
                break;
            default:  // linear
                s2_.setOnes();
                g_.setZero();
                break;
        }
        q_ = this->kernel().rowwise().squaredNorm();  // q: out × 1
        s2_sum_ = s2_.rowwise().sum();                  // Σ_batch s2: out × 1
        const double sum = double((s2_sum_.array() * q_.array()).sum());
        jac2_ = S(sum / double(std::max<Index>(B, 1)));
        penalty_ = S(lambda_ * sum / double(std::max<Index>(B, 1)));
    }

    // Through the activation first; the penalty's gradient joins dz in backward_from_logits.
    // (Dense's own backward fuses the two steps and would skip the penalty.)
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->units(), "output gradient");
        activation_backward(this->activation(), *y_, dy, dz_act_);
        backward_from_logits(dz_act_, dx);
    }

    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override {
        const Index B = dz.cols();
        const S k = S(2 * lambda_) / S(std::max<Index>(B, 1));
        ensure_size(dz_total_, dz.rows(), B);
        // dz_total: out × batch, the loss's dz plus the penalty's through σ'(z).
        // (Column vectors are scaled into members first: Eigen would copy an expression it
        // broadcasts into a temporary, and training steps allocate nothing.)
        kq_ = k * q_;
        dz_total_.array() = s2_.array() * g_.array();
        dz_total_.array().colwise() *= kq_.col(0).array();
        dz_total_ += dz;
        Dense<S>::backward_from_logits(dz_total_, dx);
        // The penalty's direct dependence on W through q: out × in.
        ks2_sum_ = k * s2_sum_;
        this->kernel_grad().array() += this->kernel().array().colwise() * ks2_sum_.col(0).array();
    }

    S extra_loss() const override { return penalty_; }
    /// None: the penalty needs the whole batch (its sums over samples) between the pieces.
    SampleSplit<S>* sample_split() override { return nullptr; }

    Config config() const override {
        Config c = Dense<S>::config();
        c.set("lambda", lambda_);
        return c;
    }

    static std::shared_ptr<ContractiveDense> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "ContractiveDense", 0, 0);
        return std::make_shared<ContractiveDense>(
            Index(a.config.get_int("units")), activation_from_string(a.config.get("activation")),
            a.config.get_double("lambda"), initializer_from_string(a.config.get("kernel_initializer")));
    }

    double lambda() const { return lambda_; }
    /// The unweighted ‖J‖²_F of the last forward pass, averaged over the batch.
    S jacobian_norm2() const { return jac2_; }

private:
    double lambda_;
    Matrix<S> s2_, g_, q_, dz_act_, dz_total_;
    const Matrix<S>* y_ = nullptr;  // the output of the last forward pass
    Matrix<S> s2_sum_, kq_, ks2_sum_;  // out × 1 each
    S penalty_ = 0, jac2_ = 0;
};

}  // namespace ae
