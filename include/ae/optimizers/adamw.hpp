#pragma once
// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019, "Decoupled Weight Decay
// Regularization", ICLR), as Keras computes it: first the decay, from the current weights,
//   w ← w − lr · wd · w
// then the ordinary Adam update of adam.hpp (Kingma & Ba, 2015) from the gradient g, which
// does not contain the decay: that is what "decoupled" means, as opposed to adding wd·w to g
// (L2 regularisation), which Adam's per-weight scaling would distort.
// Like Keras, the decay applies to every trainable parameter, biases included.
// Defaults (Keras): lr 0.001, weight_decay 0.004, β1 0.9, β2 0.999, ε 1e-7.
#include <cmath>

#include "ae/optimizers/adam.hpp"

namespace ae {

template <class S = float>
class AdamW : public Adam<S> {
public:
    /// weight_decay ≥ 0 (0 gives plain Adam).
    explicit AdamW(double learning_rate = 0.001, double weight_decay = 0.004, double beta_1 = 0.9,
                   double beta_2 = 0.999, double epsilon = 1e-7)
        : Adam<S>(learning_rate, beta_1, beta_2, epsilon), weight_decay_(weight_decay) {
        if (!(weight_decay >= 0.0 && std::isfinite(weight_decay)))
            throw ConfigError("optimizer: expected weight_decay >= 0, got " + std::to_string(weight_decay));
    }
    std::string name() const override { return "AdamW"; }

    double weight_decay() const { return weight_decay_; }

protected:
    void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) override {
        w -= S(this->lr_ * weight_decay_) * w;  // w: in place, element-wise
        Adam<S>::update(w, g, slots);
    }

private:
    double weight_decay_;
};

} // namespace ae
