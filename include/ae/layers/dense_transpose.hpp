#pragma once
// DenseTranspose: the tied decoder layer, y = f(Wᵀ x + b), with W the kernel of a partner Dense.
//   partner: Dense in → out, W: out × in.  DenseTranspose: out → in, x: out × batch, y: in × batch.
// It owns only its bias b (in); the kernel is the partner's, listed once by the partner, so a
// tied autoencoder has about half the parameters of the untied one.
// Backward, with dz = dy ⊙ f'(·):
//   dW += x dzᵀ (into the partner's kernel gradient: both uses add into the one tensor),
//   db += Σ_batch dz,  dx = W dz.
//   auto enc = std::make_shared<Dense<>>(32, Activation::relu);
//   auto dec = std::make_shared<DenseTranspose<>>(enc, Activation::sigmoid);
// The partner must be built before this layer (put it earlier in the model). Model files store
// the tie through links(), so it survives save/load.
#include <memory>

#include "ae/core/layer.hpp"
#include "ae/core/gemm.hpp"
#include "ae/layers/detail/affine.hpp"
#include "ae/layers/dense.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class DenseTranspose : public Layer<S> {
public:
    explicit DenseTranspose(std::shared_ptr<Dense<S>> partner, Activation activation = Activation::linear)
        : partner_(std::move(partner)), activation_(activation) {
        if (!partner_) throw ConfigError("DenseTranspose: the partner Dense is null");
    }

    std::string type() const override { return "DenseTranspose"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, partner_->units(), "input");
        check_partner_unchanged();
        x_ = &x;
        ensure_size(y, units_, x.cols());
        if (this->keep_logits_) ensure_size(z_, units_, x.cols());
        // y = f(Wᵀ x + b): in × batch
        detail::affine_forward(partner_->kernel().transpose(), b_, x, activation_, y,
                               this->keep_logits_ ? &z_ : nullptr);
        y_ = &y;
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, units_, "output gradient");
        backward_pass(dy, y_, dx);  // dz = dy ⊙ f'(y): in × batch
    }

    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override { backward_pass(dz, nullptr, dx); }

    /// Only the bias: the kernel belongs to the partner.
    std::vector<Param<S>> parameters() override { return {this->param("bias", b_, db_)}; }

    std::vector<LayerPtr<S>> links() const override { return {partner_}; }

    Config config() const override {
        Config c;
        c.set("activation", to_string(activation_));
        return c;
    }

    static std::shared_ptr<DenseTranspose> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "DenseTranspose", 0, 1);
        auto partner = std::dynamic_pointer_cast<Dense<S>>(a.links[0]);
        if (!partner)
            throw FormatError("DenseTranspose: expected its link to be a Dense, got " +
                              (a.links[0] ? a.links[0]->type() : std::string("null")));
        return std::make_shared<DenseTranspose>(partner, activation_from_string(a.config.get("activation")));
    }

    Activation output_activation() const override { return activation_; }
    const Matrix<S>* logits() const override { return this->keep_logits_ ? &z_ : nullptr; }

    const std::shared_ptr<Dense<S>>& partner() const { return partner_; }
    Activation activation() const { return activation_; }
    Index units() const { return units_; }
    Matrix<S>& bias() { return b_; }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (!partner_->built())
            throw ShapeError("DenseTranspose: its partner " + partner_->describe() +
                             " is not built yet (place the partner Dense earlier in the model)");
        if (in != Shape{partner_->units()})
            throw ShapeError("DenseTranspose: expected input shape {" + std::to_string(partner_->units()) +
                             "} (the partner " + partner_->describe() + "'s output), got " + in.str());
        units_ = partner_->kernel().cols();
        b_ = Matrix<S>::Zero(units_, 1);
        db_ = Matrix<S>::Zero(units_, 1);
        return Shape{units_};
    }

private:
    // dW += x dzᵀ into the partner's kernel gradient (out × in), db += Σ dz, dx = W dz: out × batch
    void backward_pass(const Matrix<S>& g, const Matrix<S>* y, Matrix<S>& dx) {
        Matrix<S>* dx_out = nullptr;
        if (this->input_grad_needed_) {
            ensure_size(dx, partner_->units(), g.cols());
            dx_out = &dx;
        }
        const Matrix<S>& x = *x_;
        detail::affine_backward(
            g, y, activation_, dz_,
            [&](auto& dst, const auto& dz, Index c, Index n, bool add) { gemm(dst, x.middleCols(c, n), dz.transpose(), add); },
            partner_->kernel_grad(), db_, partner_->kernel(), dx_out, shares_);
    }

    // A partner rebuilt with another input size would silently break the tie's shapes.
    void check_partner_unchanged() const {
        if (partner_->kernel().cols() != units_)
            throw ShapeError(this->describe() + ": the partner's kernel has " +
                             std::to_string(partner_->kernel().cols()) + " inputs, expected " + std::to_string(units_));
    }

    std::shared_ptr<Dense<S>> partner_;
    Activation activation_;
    Index units_ = 0;
    Matrix<S> b_, db_;
    Matrix<S> z_, dz_;
    detail::GradientShares<S> shares_;  // per-thread shares of the partner's kernel gradient, and of db
    const Matrix<S>* x_ = nullptr;
    const Matrix<S>* y_ = nullptr;
};

}  // namespace ae
