#pragma once
// Dense: y = f(W x + b), fully connected with a fused activation.
//   x: in × batch, W: out × in (PyTorch's layout; Keras' kernel is its transpose), b: out.
// Backward, with dz = dy ⊙ f'(·):
//   dW += dz xᵀ,  db += Σ_batch dz,  dx = Wᵀ dz.
#include "ae/core/initializer.hpp"
#include "ae/core/layer.hpp"
#include "ae/core/gemm.hpp"
#include "ae/layers/detail/affine.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Dense : public Layer<S> {
public:
    explicit Dense(Index units, Activation activation = Activation::linear,
                   Initializer kernel_initializer = Initializer::glorot_uniform)
        : units_(units), activation_(activation), init_(kernel_initializer) {
        if (units <= 0) throw ConfigError("Dense: expected units > 0, got " + std::to_string(units));
    }

    std::string type() const override { return "Dense"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, in_, "input");
        x_ = &x;
        ensure_size(y, units_, x.cols());
        if (this->keep_logits_) ensure_size(z_, units_, x.cols());
        detail::affine_forward(W_, b_, x, activation_, y, this->keep_logits_ ? &z_ : nullptr);  // y = f(W x + b)
        y_ = &y;
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, units_, "output gradient");
        backward_pass(dy, y_, dx);  // dz = dy ⊙ f'(y): out × batch
    }

    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override { backward_pass(dz, nullptr, dx); }

    std::vector<Param<S>> parameters() override {
        return {this->param("kernel", W_, dW_), this->param("bias", b_, db_)};
    }

    Config config() const override {
        Config c;
        c.set("units", units_).set("activation", to_string(activation_)).set("kernel_initializer",
                                                                              to_string(init_));
        return c;
    }

    static std::shared_ptr<Dense> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Dense", 0, 0);
        return std::make_shared<Dense>(Index(a.config.get_int("units")),
                                       activation_from_string(a.config.get("activation")),
                                       initializer_from_string(a.config.get("kernel_initializer")));
    }

    Activation output_activation() const override { return activation_; }
    const Matrix<S>* logits() const override { return this->keep_logits_ ? &z_ : nullptr; }

    Index units() const { return units_; }
    Activation activation() const { return activation_; }
    Matrix<S>& kernel() { return W_; }
    Matrix<S>& bias() { return b_; }
    Matrix<S>& kernel_grad() { return dW_; }
    const Matrix<S>& kernel() const { return W_; }
    /// The input of the last forward pass (used by tied partners).
    const Matrix<S>* last_input() const { return x_; }

protected:
    // dW += dz xᵀ: out × in, db += Σ dz, dx = Wᵀ dz: in × batch (see detail/affine.hpp)
    void backward_pass(const Matrix<S>& g, const Matrix<S>* y, Matrix<S>& dx) {
        Matrix<S>* dx_out = nullptr;
        if (this->input_grad_needed_) {
            ensure_size(dx, in_, g.cols());
            dx_out = &dx;
        }
        const Matrix<S>& x = *x_;
        detail::affine_backward(
            g, y, activation_, dz_,
            [&](auto& dst, const auto& dz, Index c, Index n, bool add) { gemm(dst, dz, x.middleCols(c, n).transpose(), add); },
            dW_, db_, W_.transpose(), dx_out, shares_);
    }

    Shape do_build(const Shape& in, Rng& rng) override {
        if (in.rank() != 1)
            throw ShapeError("Dense: expected a vector input shape {n}, got " + in.str() +
                             " (add a Flatten layer before it)");
        in_ = in[0];
        this->claim_parameters(double(units_) * double(in_));
        W_.resize(units_, in_);
        initialize(W_, init_, double(in_), double(units_), rng);
        b_ = Matrix<S>::Zero(units_, 1);
        dW_ = Matrix<S>::Zero(units_, in_);
        db_ = Matrix<S>::Zero(units_, 1);
        return Shape{units_};
    }

private:
    Index units_, in_ = 0;
    Activation activation_;
    Initializer init_;
    Matrix<S> W_, b_, dW_, db_;
    Matrix<S> z_, dz_;
    detail::GradientShares<S> shares_;
    const Matrix<S>* x_ = nullptr;
    const Matrix<S>* y_ = nullptr;
};

} // namespace ae
