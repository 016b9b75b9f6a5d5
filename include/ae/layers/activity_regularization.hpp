#pragma once
// ActivityRegularization (Keras): the identity, y = x, adding a penalty on its input to the loss
//   penalty = (l1 · Σ|x| + l2 · Σx²) / batch
// Put it after a layer to regularize that layer's output (Keras' activity_regularizer), e.g.
// the sparse autoencoder's L1 on the codings.
//
// Reduction: tf.keras 2 divides an activity penalty by the batch size ("batch-agnostic"
// strength), for the standalone layer as for any layer's activity_regularizer; we do the same.
// Keras 3 adds the sum without dividing: to reproduce a Keras 3 model, multiply l1 and l2 by the
// batch size.
// The penalty is computed on every forward pass (training and inference, as Keras' evaluate
// includes it); extra_loss() returns the last one. Backward adds its gradient:
//   dx = dy + (l1 · sign(x) + 2 l2 · x) / batch       (sign(0) = 0)
#include <cmath>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class ActivityRegularization : public Layer<S> {
public:
    explicit ActivityRegularization(double l1 = 0.0, double l2 = 0.0) : l1_(l1), l2_(l2) {
        if (!(l1 >= 0) || !std::isfinite(l1) || !(l2 >= 0) || !std::isfinite(l2))
            throw ConfigError("ActivityRegularization: expected finite l1 >= 0 and l2 >= 0, got l1 = " +
                              std::to_string(l1) + " and l2 = " + std::to_string(l2));
    }

    std::string type() const override { return "ActivityRegularization"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, this->input_shape().size(), "input");
        x_ = &x;
        y = x;
        const double batch = double(std::max<Index>(x.cols(), 1));
        double p = 0;
        if (l1_ > 0) p += l1_ * double(x.array().abs().sum());
        if (l2_ > 0) p += l2_ * double(x.array().square().sum());
        penalty_ = S(p / batch);
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->input_shape().size(), "output gradient");
        if (!this->input_grad_needed_) return;
        const S batch = S(std::max<Index>(dy.cols(), 1));
        const S a = S(l1_) / batch, b = S(2 * l2_) / batch;
        ensure_size(dx, dy.rows(), dy.cols());
        auto X = x_->array();
        dx.array() = dy.array() + a * ((X > S(0)).template cast<S>() - (X < S(0)).template cast<S>()) + b * X;
    }

    S extra_loss() const override { return penalty_; }

    Config config() const override {
        Config c;
        c.set("l1", l1_).set("l2", l2_);
        return c;
    }

    static std::shared_ptr<ActivityRegularization> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "ActivityRegularization", 0, 0);
        return std::make_shared<ActivityRegularization>(a.config.get_double("l1"), a.config.get_double("l2"));
    }

    double l1() const { return l1_; }
    double l2() const { return l2_; }

protected:
    Shape do_build(const Shape& in, Rng&) override { return in; }

private:
    double l1_, l2_;
    S penalty_ = 0;
    const Matrix<S>* x_ = nullptr;
};

}  // namespace ae
