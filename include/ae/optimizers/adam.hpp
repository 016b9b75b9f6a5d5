#pragma once
// Adam (Kingma & Ba, 2015, "Adam: A Method for Stochastic Optimization"), as Keras computes it:
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   α_t = lr · √(1 − β2^t) / (1 − β1^t)
//   w ← w − α_t · m / (√v + ε)
// Defaults (Keras): lr 0.001, β1 0.9, β2 0.999, ε 1e-7.
#include <cmath>

#include "ae/optimizers/optimizer.hpp"

namespace ae {

template <class S = float>
class Adam : public Optimizer<S> {
public:
    explicit Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7)
        : Optimizer<S>(learning_rate), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {
        this->check_range("beta_1", beta_1, 0.0, 1.0);
        this->check_range("beta_2", beta_2, 0.0, 1.0);
        this->check_positive("epsilon", epsilon);
    }
    std::string name() const override { return "Adam"; }

protected:
    std::size_t slots_per_param() const override { return 2; }
    // α_t is the same for every parameter and range: computed once per step.
    void begin_step() override {
        const double t = double(this->iterations());
        alpha_ = S(this->lr_ * std::sqrt(1.0 - std::pow(beta_2_, t)) / (1.0 - std::pow(beta_1_, t)));
    }
    void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) override {
        auto m = slots[0];
        auto v = slots[1];
        m = S(beta_1_) * m + S(1 - beta_1_) * g;
        v = S(beta_2_) * v + S(1 - beta_2_) * g.square();
        w -= alpha_ * m / (v.sqrt() + S(epsilon_));
    }

private:
    double beta_1_, beta_2_, epsilon_;
    S alpha_ = 0;  // this step's α_t (begin_step)
};

} // namespace ae
