#pragma once
// KLSparsity: the sparse autoencoder's KL-divergence sparsity penalty, as a layer that is the
// identity (y = x) and adds to the loss
//   penalty = β · Σⱼ KL(p ‖ q̂ⱼ),   KL(p ‖ q) = p log(p/q) + (1 − p) log((1 − p)/(1 − q))
// where q̂ⱼ = mean over the batch of unit j's activation (put it after a sigmoid coding layer so
// activations are in (0, 1)), clamped to [1e-7, 1 − 1e-7] so the logs stay finite.
// The penalty is of batch means, so it is not divided by the batch size again.
// Exact gradient through q̂ (zero where the clamp is active):
//   ∂penalty/∂x_jb = β · (−p/q̂ⱼ + (1 − p)/(1 − q̂ⱼ)) / batch,   dx = dy + that
// Computed on every forward pass (training and inference); extra_loss() returns the last one.
#include <algorithm>
#include <cmath>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class KLSparsity : public Layer<S> {
public:
    static constexpr double clamp_eps = 1e-7;

    /// target: the desired mean activation p, in (0, 1); weight: β >= 0.
    explicit KLSparsity(double target = 0.1, double weight = 1.0) : p_(target), beta_(weight) {
        if (!(target > 0 && target < 1))
            throw ConfigError("KLSparsity: expected a target sparsity in (0, 1), got " + std::to_string(target));
        if (!(weight >= 0) || !std::isfinite(weight))
            throw ConfigError("KLSparsity: expected a finite weight >= 0, got " + std::to_string(weight));
    }

    std::string type() const override { return "KLSparsity"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, this->input_shape().size(), "input");
        y = x;
        const double batch = double(std::max<Index>(x.cols(), 1));
        ensure_size(q_, x.rows(), 1);
        q_.col(0) = x.rowwise().sum() / S(batch);  // q: units × 1
        double total = 0;
        for (Index j = 0; j < q_.rows(); ++j) {
            const double q = std::clamp(double(q_(j, 0)), clamp_eps, 1 - clamp_eps);
            total += p_ * std::log(p_ / q) + (1 - p_) * std::log((1 - p_) / (1 - q));
        }
        penalty_ = S(beta_ * total);
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->input_shape().size(), "output gradient");
        if (!this->input_grad_needed_) return;
        const double batch = double(std::max<Index>(dy.cols(), 1));
        ensure_size(g_, dy.rows(), 1);
        for (Index j = 0; j < q_.rows(); ++j) {
            const double q = double(q_(j, 0));
            const bool clamped = q < clamp_eps || q > 1 - clamp_eps;
            g_(j, 0) = clamped ? S(0) : S(beta_ * (-p_ / q + (1 - p_) / (1 - q)) / batch);
        }
        ensure_size(dx, dy.rows(), dy.cols());
        dx = dy;
        dx.colwise() += g_.col(0);  // dx: units × batch
    }

    S extra_loss() const override { return penalty_; }

    Config config() const override {
        Config c;
        c.set("target", p_).set("weight", beta_);
        return c;
    }

    static std::shared_ptr<KLSparsity> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "KLSparsity", 0, 0);
        return std::make_shared<KLSparsity>(a.config.get_double("target"), a.config.get_double("weight"));
    }

    double target() const { return p_; }
    double weight() const { return beta_; }
    /// Each unit's mean activation over the last forward's batch (unclamped): units × 1.
    const Matrix<S>& mean_activations() const { return q_; }

protected:
    Shape do_build(const Shape& in, Rng&) override { return in; }

private:
    double p_, beta_;
    S penalty_ = 0;
    Matrix<S> q_, g_;
};

}  // namespace ae
