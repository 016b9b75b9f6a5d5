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
class DenseTranspose : public Layer<S>, public SampleSplit<S> {
public:
    explicit DenseTranspose(std::shared_ptr<Dense<S>> partner, Activation activation = Activation::linear)
        : partner_(std::move(partner)), activation_(activation) {
        if (!partner_) throw ConfigError("DenseTranspose: the partner Dense is null");
    }

    std::string type() const override { return "DenseTranspose"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override { split_forward<S>(*this, x, y); }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override { split_backward<S>(*this, dy, dx, false); }
    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override { split_backward<S>(*this, dz, dx, true); }

    // ---- SampleSplit: the passes in pieces (see core/sample_split.hpp, layers/detail/affine.hpp)
    SampleSplit<S>* sample_split() override { return this; }
    double forward_prepare(const Matrix<S>& x, Matrix<S>& y) override {
        this->check_rows(x, partner_->units(), "input");
        check_partner_unchanged();
        return passes_.forward_prepare(x, y, units_, activation_, this->keep_logits_);
    }
    // y = f(Wᵀ x + b): in × batch
    void forward_columns(Index c, Index n) override {
        passes_.forward_columns(partner_->kernel().transpose(), b_, activation_, c, n);
    }
    double backward_prepare(const Matrix<S>& g, Matrix<S>& dx, bool from_logits, int threads) override {
        this->check_rows(g, units_, from_logits ? "logits gradient" : "output gradient");
        return passes_.backward_prepare(g, from_logits, this->input_grad_needed_ ? &dx : nullptr, partner_->units(),
                                        partner_->kernel_grad(), db_, activation_, threads);
    }
    // dz = dy ⊙ f'(y), dW += x dzᵀ into the partner's kernel gradient (out × in), db += Σ dz,
    // dx = W dz: out × batch
    void backward_samples(Index t, Index nt) override {
        const Matrix<S>& x = *passes_.input();
        passes_.backward_samples(
            [&](auto& dst, const auto& dz, Index c, Index n, bool add) { gemm(dst, x.middleCols(c, n), dz.transpose(), add); },
            partner_->kernel_grad(), db_, partner_->kernel(), activation_, t, nt);
    }
    void add_shares(Index t, Index nt) override { passes_.add_shares(partner_->kernel_grad(), db_, t, nt); }

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
    const Matrix<S>* logits() const override { return passes_.logits(); }

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
    detail::AffinePasses<S> passes_;  // with per-thread shares of the partner's kernel gradient, and of db
};

}  // namespace ae
