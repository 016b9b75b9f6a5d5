#pragma once
// Dense: y = f(W x + b), fully connected with a fused activation.
//   x: in × batch, W: out × in (PyTorch's layout; Keras' kernel is its transpose), b: out.
// Backward, with dz = dy ⊙ f'(·):
//   dW += dz xᵀ,  db += Σ_batch dz,  dx = Wᵀ dz.
// Its passes split the batch by samples (SampleSplit), so fit can run a model of Dense layers in
// one parallel region per step.
#include "ae/core/initializer.hpp"
#include "ae/core/layer.hpp"
#include "ae/core/gemm.hpp"
#include "ae/layers/detail/affine.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Dense : public Layer<S>, public SampleSplit<S> {
public:
    explicit Dense(Index units, Activation activation = Activation::linear,
                   Initializer kernel_initializer = Initializer::glorot_uniform)
        : units_(units), activation_(activation), init_(kernel_initializer) {
        if (units <= 0) throw ConfigError("Dense: expected units > 0, got " + std::to_string(units));
    }

    std::string type() const override { return "Dense"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override { split_forward<S>(*this, x, y); }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override { split_backward<S>(*this, dy, dx, false); }
    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override { split_backward<S>(*this, dz, dx, true); }

    // ---- SampleSplit: the passes in pieces (see core/sample_split.hpp, layers/detail/affine.hpp)
    SampleSplit<S>* sample_split() override { return this; }
    double forward_prepare(const Matrix<S>& x, Matrix<S>& y) override {
        this->check_rows(x, in_, "input");
        return passes_.forward_prepare(x, y, units_, activation_, this->keep_logits_);
    }
    void forward_columns(Index c, Index n) override { passes_.forward_columns(W_, b_, activation_, c, n); }  // y = f(W x + b)
    double backward_prepare(const Matrix<S>& g, Matrix<S>& dx, bool from_logits, int threads) override {
        this->check_rows(g, units_, from_logits ? "logits gradient" : "output gradient");
        return passes_.backward_prepare(g, from_logits, this->input_grad_needed_ ? &dx : nullptr, in_, dW_, db_,
                                        activation_, threads);
    }
    // dz = dy ⊙ f'(y), dW += dz xᵀ: out × in, db += Σ dz, dx = Wᵀ dz: in × batch
    void backward_samples(Index t, Index nt) override {
        const Matrix<S>& x = *passes_.input();
        passes_.backward_samples(
            [&](auto& dst, const auto& dz, Index c, Index n, bool add) { gemm(dst, dz, x.middleCols(c, n).transpose(), add); },
            dW_, db_, W_.transpose(), activation_, t, nt);
    }
    void add_shares(Index t, Index nt) override { passes_.add_shares(dW_, db_, t, nt); }

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
    const Matrix<S>* logits() const override { return passes_.logits(); }

    Index units() const { return units_; }
    Activation activation() const { return activation_; }
    Matrix<S>& kernel() { return W_; }
    Matrix<S>& bias() { return b_; }
    Matrix<S>& kernel_grad() { return dW_; }
    const Matrix<S>& kernel() const { return W_; }
    /// The input of the last forward pass (used by tied partners).
    const Matrix<S>* last_input() const { return passes_.input(); }

protected:
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
    detail::AffinePasses<S> passes_;
};

} // namespace ae
