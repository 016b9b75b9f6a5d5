#pragma once
// SGD: stochastic gradient descent, optionally with momentum (Polyak, 1964, "Some methods of
// speeding up the convergence of iteration methods") or Nesterov momentum (Nesterov, 1983; in
// the form of Sutskever, Martens, Dahl & Hinton, 2013, "On the importance of initialization and
// momentum in deep learning"), as Keras computes it:
//   momentum = 0:   w ← w − lr · g
//   momentum > 0:   v ← μ v − lr · g
//                   w ← w + v                    (plain)
//                   w ← w + μ v − lr · g         (Nesterov: look ahead along the new velocity)
// Defaults (Keras): lr 0.01, momentum 0, nesterov false. The velocity v starts at zero.
// With momentum 0 there is no state (Nesterov then equals plain SGD, as in Keras).
#include "ae/optimizers/optimizer.hpp"

namespace ae {

template <class S = float>
class SGD : public Optimizer<S> {
public:
    /// momentum μ in [0, 1): 0 is plain gradient descent; μ = 1 would never forget a gradient.
    explicit SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false)
        : Optimizer<S>(learning_rate), momentum_(momentum), nesterov_(nesterov) {
        this->check_range("momentum", momentum, 0.0, 1.0);
    }
    std::string name() const override { return "SGD"; }

    double momentum() const { return momentum_; }
    bool nesterov() const { return nesterov_; }

protected:
    std::size_t slots_per_param() const override { return momentum_ != 0.0 ? 1 : 0; }
    void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) override {
        const S lr = S(this->lr_);
        if (momentum_ == 0.0) {
            w -= lr * g;
            return;
        }
        const S mu = S(momentum_);
        auto v = slots[0];  // velocity: the same range as w
        v = mu * v - lr * g;
        if (nesterov_)
            w += mu * v - lr * g;
        else
            w += v;
    }

private:
    double momentum_;
    bool nesterov_;
};

} // namespace ae
