#pragma once
// Adagrad (Duchi, Hazan & Singer, 2011, "Adaptive Subgradient Methods for Online Learning and
// Stochastic Optimization", JMLR 12), as Keras (2.11+ and 3) computes it:
//   a ← a + g²                       (a starts at initial_accumulator_value)
//   w ← w − lr · g / √(a + ε)
// Note ε sits inside the square root, as in Keras' current optimizer (legacy tf.keras and
// PyTorch use √a + ε; the two differ only while a is of the order of ε).
// Defaults (Keras): lr 0.001, initial_accumulator_value 0.1, ε 1e-7. Adagrad usually wants a
// larger learning rate than this (the paper's form is lr = 1).
#include <cmath>

#include "ae/optimizers/optimizer.hpp"

namespace ae {

template <class S = float>
class Adagrad : public Optimizer<S> {
public:
    explicit Adagrad(double learning_rate = 0.001, double initial_accumulator_value = 0.1, double epsilon = 1e-7)
        : Optimizer<S>(learning_rate), initial_accumulator_value_(initial_accumulator_value), epsilon_(epsilon) {
        if (!(initial_accumulator_value >= 0.0 && std::isfinite(initial_accumulator_value)))
            throw ConfigError("optimizer: expected initial_accumulator_value >= 0, got " +
                              std::to_string(initial_accumulator_value));
        this->check_positive("epsilon", epsilon);
    }
    std::string name() const override { return "Adagrad"; }

    double initial_accumulator_value() const { return initial_accumulator_value_; }
    double epsilon() const { return epsilon_; }

protected:
    std::size_t slots_per_param() const override { return 1; }
    void init_slots(std::vector<Matrix<S>>& slots) const override {
        slots[0].setConstant(S(initial_accumulator_value_));
    }
    void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) override {
        auto a = slots[0];  // accumulator: the same range as w
        a += g.square();
        w -= S(this->lr_) * g / (a + S(epsilon_)).sqrt();
    }

private:
    double initial_accumulator_value_, epsilon_;
};

} // namespace ae
