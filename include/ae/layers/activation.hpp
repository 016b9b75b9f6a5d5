#pragma once
// ActivationLayer: an activation on its own (Keras' layers.Activation). Dense and Conv2D
// fuse theirs; use this one after layers that have none.
//   y = f(x);  dx = dy ⊙ f'(x), computed from y (see core/activation.hpp).
#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class ActivationLayer : public Layer<S> {
public:
    explicit ActivationLayer(Activation activation) : activation_(activation) {}
    std::string type() const override { return "ActivationLayer"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, this->input_shape().size(), "input");
        if (keep_logits_) z_ = x;
        y = x;
        activate_inplace(activation_, y);
        y_ = &y;
    }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->output_shape().size(), "output gradient");
        activation_backward(activation_, *y_, dy, dx);
    }
    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override { dx = dz; }

    Activation output_activation() const override { return activation_; }
    const Matrix<S>* logits() const override { return keep_logits_ ? &z_ : nullptr; }

    Config config() const override { return Config().set("activation", to_string(activation_)); }
    static std::shared_ptr<ActivationLayer> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "ActivationLayer", 0, 0);
        return std::make_shared<ActivationLayer>(activation_from_string(a.config.get("activation")));
    }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (activation_ == Activation::softmax && in.rank() != 1)
            throw ShapeError("ActivationLayer(softmax): expected a vector input {n}, got " + in.str());
        return in;
    }

private:
    using Layer<S>::keep_logits_;
    Activation activation_;
    Matrix<S> z_;
    const Matrix<S>* y_ = nullptr;
};

} // namespace ae
