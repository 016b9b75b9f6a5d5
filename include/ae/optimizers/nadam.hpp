#pragma once
// Nadam: Adam with Nesterov momentum (Dozat, 2016, "Incorporating Nesterov Momentum into Adam",
// ICLR workshop), as Keras 2.11+ and Keras 3 compute it. At step t (t = 1, 2, …):
//   u_t = β1 · (1 − ½ · 0.96^(ψ·t))          momentum schedule (warms up towards β1)
//   P_t = u_1 · u_2 · … · u_t                 running product, kept as state (P_0 = 1)
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   m̂ = u_{t+1} · m / (1 − P_t · u_{t+1}) + (1 − u_t) · g / (1 − P_t)
//   v̂ = v / (1 − β2^t)
//   w ← w − lr · m̂ / (√v̂ + ε)
// ψ (schedule_decay) is 1 in Keras 2.11+ and Keras 3, whose schedule is 0.96^t. Dozat's paper
// and the legacy Keras Nadam use ψ = 0.004 (0.96^(t/250)), a much slower warm-up: pass
// schedule_decay = 0.004 to get that form.
// P_t is one number shared by all parameters and advanced once per step. It is a function of t
// alone, so after reset() or set_iterations() (a restored checkpoint) it is rebuilt from the
// step count: no extra state has to be saved.
// Defaults (Keras): lr 0.001, β1 0.9, β2 0.999, ε 1e-7.
#include <cmath>

#include "ae/optimizers/optimizer.hpp"

namespace ae {

template <class S = float>
class Nadam : public Optimizer<S> {
public:
    explicit Nadam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                   double schedule_decay = 1.0)
        : Optimizer<S>(learning_rate),
          beta_1_(beta_1),
          beta_2_(beta_2),
          epsilon_(epsilon),
          schedule_decay_(schedule_decay) {
        this->check_range("beta_1", beta_1, 0.0, 1.0);
        this->check_range("beta_2", beta_2, 0.0, 1.0);
        this->check_positive("epsilon", epsilon);
        this->check_positive("schedule_decay", schedule_decay);
        if (!std::isfinite(schedule_decay))
            throw ConfigError("optimizer: expected a finite schedule_decay, got " + std::to_string(schedule_decay));
    }
    std::string name() const override { return "Nadam"; }

    double beta_1() const { return beta_1_; }
    double beta_2() const { return beta_2_; }
    double epsilon() const { return epsilon_; }
    double schedule_decay() const { return schedule_decay_; }

    /// u_t, the momentum coefficient of step t.
    double momentum_at(long long t) const {
        return beta_1_ * (1.0 - 0.5 * std::pow(0.96, schedule_decay_ * double(t)));
    }

    /// P_t = u_1 ⋯ u_t, advanced by one factor per step; rebuilt from 1 when t went backwards.
    double u_product(long long t) {
        if (u_product_t_ > t) {
            u_product_ = 1.0;
            u_product_t_ = 0;
        }
        while (u_product_t_ < t) u_product_ *= momentum_at(++u_product_t_);
        return u_product_;
    }

protected:
    std::size_t slots_per_param() const override { return 2; }
    void begin_step() override {
        const long long t = this->iterations();
        const double u_t = momentum_at(t);
        const double u_next = momentum_at(t + 1);
        const double p_t = u_product(t);
        const double p_next = p_t * u_next;
        // lr folded into the two coefficients of m̂.
        c_m_ = S(this->lr_ * u_next / (1.0 - p_next));
        c_g_ = S(this->lr_ * (1.0 - u_t) / (1.0 - p_t));
        v_scale_ = S(1.0 / (1.0 - std::pow(beta_2_, double(t))));
    }
    void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) override {
        auto m = slots[0];  // both slots: the same range as w
        auto v = slots[1];
        m = S(beta_1_) * m + S(1 - beta_1_) * g;
        v = S(beta_2_) * v + S(1 - beta_2_) * g.square();
        w -= (c_m_ * m + c_g_ * g) / ((v_scale_ * v).sqrt() + S(epsilon_));
    }

private:
    double beta_1_, beta_2_, epsilon_, schedule_decay_;
    double u_product_ = 1.0;  // P at step u_product_t_
    long long u_product_t_ = 0;
    S c_m_ = 0, c_g_ = 0, v_scale_ = 0;  // this step's coefficients (begin_step)
};

} // namespace ae
