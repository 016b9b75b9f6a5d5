#pragma once
// RMSprop (Hinton, Srivastava & Swersky, 2012, "Neural Networks for Machine Learning", lecture
// 6e; the centered form is from Graves, 2013, "Generating Sequences With Recurrent Neural
// Networks"), as Keras (2.11+ and 3) computes it:
//   v ← ρ v + (1 − ρ) g²
//   d = v + ε                          (plain)
//   mg ← ρ mg + (1 − ρ) g;  d = v − mg² + ε   (centered: normalise by a variance estimate)
//   momentum = 0:  w ← w − lr · g / √d
//   momentum > 0:  m ← momentum · m + lr · g / √d;  w ← w − m
// ε sits inside the square root, as in Keras' current optimizer (legacy tf.keras and PyTorch
// use √v + ε; the two differ only while v is of the order of ε).
// Centered: v − mg² ≥ 0 in exact arithmetic (Jensen), but rounding can make it slightly
// negative for large gradients, which would give √(negative) = NaN; it is clamped at 0, which
// changes nothing whenever Keras' value is a number.
// Defaults (Keras): lr 0.001, ρ 0.9, momentum 0, ε 1e-7, centered false. All slots start at 0.
#include "ae/optimizers/optimizer.hpp"

namespace ae {

template <class S = float>
class RMSprop : public Optimizer<S> {
public:
    explicit RMSprop(double learning_rate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7,
                     bool centered = false)
        : Optimizer<S>(learning_rate), rho_(rho), momentum_(momentum), epsilon_(epsilon), centered_(centered) {
        this->check_range("rho", rho, 0.0, 1.0);
        this->check_range("momentum", momentum, 0.0, 1.0);
        this->check_positive("epsilon", epsilon);
    }
    std::string name() const override { return "RMSprop"; }

    double rho() const { return rho_; }
    double momentum() const { return momentum_; }
    double epsilon() const { return epsilon_; }
    bool centered() const { return centered_; }

protected:
    // Slots, in order: velocity v; then momentum m if momentum > 0; then mg if centered.
    std::size_t slots_per_param() const override { return 1 + (momentum_ > 0.0 ? 1 : 0) + (centered_ ? 1 : 0); }
    void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) override {
        const S rho = S(rho_), lr = S(this->lr_), eps = S(epsilon_);
        auto v = slots[0];  // every slot: the same range as w
        v = rho * v + (S(1) - rho) * g.square();
        if (momentum_ > 0.0) {
            auto m = slots[1];
            if (centered_) {
                auto mg = slots[2];
                mg = rho * mg + (S(1) - rho) * g;
                m = S(momentum_) * m + lr * g / ((v - mg.square()).max(S(0)) + eps).sqrt();
            } else {
                m = S(momentum_) * m + lr * g / (v + eps).sqrt();
            }
            w -= m;
        } else if (centered_) {
            auto mg = slots[1];
            mg = rho * mg + (S(1) - rho) * g;
            w -= lr * g / ((v - mg.square()).max(S(0)) + eps).sqrt();
        } else {
            w -= lr * g / (v + eps).sqrt();
        }
    }

private:
    double rho_, momentum_, epsilon_;
    bool centered_;
};

} // namespace ae
