#pragma once
// Optimizer<S>: updates a model's parameter list in place, step(params).
// State (moments, accumulators) is sized on the first step and kept per parameter, in order:
// slot i belongs to params[i]. Frozen (non-trainable) parameters keep their slot and are
// skipped, so freezing and unfreezing does not shift the state.
// Every update is element-wise: a step hands each thread the same range of elements of a
// parameter, its gradient and its slots (core/param_schedule.hpp, run_split).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/param.hpp"
#include "ae/core/param_schedule.hpp"

namespace ae {

/// A range of a parameter's elements (or of its gradient's) as an array: what an optimizer's
/// element-wise update works on.
template <class S>
using ParamPart = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>;
template <class S>
using ConstParamPart = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, 1>>;

/// The same range of a parameter's optimizer slots: slots[k] is slot k's part.
template <class S>
class SlotParts {
public:
    SlotParts(std::vector<Matrix<S>>& slots, Index begin, Index count) : slots_(slots), begin_(begin), count_(count) {}
    ParamPart<S> operator[](std::size_t k) const { return ParamPart<S>(slots_[k].data() + begin_, count_); }

private:
    std::vector<Matrix<S>>& slots_;
    Index begin_, count_;
};

template <class S = float>
class Optimizer {
public:
    explicit Optimizer(double learning_rate) : lr_(learning_rate) { check_positive("learning_rate", learning_rate); }
    virtual ~Optimizer() = default;
    virtual std::string name() const = 0;

    /// Apply one update to every trainable parameter, from its accumulated gradient.
    void step(std::vector<Param<S>>& params) {
        if (state_.empty()) {
            state_.resize(params.size());
            for (std::size_t i = 0; i < params.size(); ++i) {
                state_[i].resize(slots_per_param());
                for (auto& m : state_[i]) m = Matrix<S>::Zero(params[i].value->rows(), params[i].value->cols());
                init_slots(state_[i]);
            }
        }
        if (state_.size() != params.size())
            throw ConfigError(name() + ": state was sized for " + std::to_string(state_.size()) +
                              " parameters, got " + std::to_string(params.size()) + " (call reset())");
        // Check every shape before changing anything, so a bad list leaves weights and state intact.
        for (std::size_t i = 0; i < params.size(); ++i) {
            const Param<S>& p = params[i];
            if (p.value->rows() != p.grad->rows() || p.value->cols() != p.grad->cols() ||
                (!state_[i].empty() && state_[i][0].size() != p.value->size()))
                throw ShapeError(name() + ": parameter '" + p.name + "' changed shape since the first step");
        }
        ++iterations_;
        begin_step();
        // Element-wise updates: each thread takes its range of every parameter (the same split
        // on every step), and the result does not depend on the split.
        if (!schedule_.planned_for(params)) schedule_.plan(params);
        schedule_.run_split(10.0, [&](std::size_t i, Index begin, Index count) {
            if (params[i].trainable)
                update(ParamPart<S>(params[i].value->data() + begin, count),
                       ConstParamPart<S>(params[i].grad->data() + begin, count), SlotParts<S>(state_[i], begin, count));
        });
    }

    double learning_rate() const { return lr_; }
    void set_learning_rate(double lr) {
        check_positive("learning_rate", lr);
        lr_ = lr;
    }
    /// Number of steps taken (Keras' `iterations`), the t in bias corrections.
    long long iterations() const { return iterations_; }

    /// Forget all state (moments, step count).
    void reset() {
        state_.clear();
        schedule_ = {};
        iterations_ = 0;
    }

    /// State access for checkpoints: slot matrices per parameter, and the step count.
    std::vector<std::vector<Matrix<S>>>& state() { return state_; }
    /// Number of state matrices kept per parameter (Adam: 2), so a restored state can be checked.
    std::size_t state_slots() const { return slots_per_param(); }
    void set_iterations(long long t) {
        if (t < 0) throw ConfigError(name() + ": expected iterations >= 0, got " + std::to_string(t));
        iterations_ = t;
    }

protected:
    /// Matrices of state per parameter (Adam: 2, SGD with momentum: 1, plain SGD: 0).
    virtual std::size_t slots_per_param() const = 0;
    /// Initial values of the slots (zeros unless overridden, e.g. Adagrad's accumulator).
    virtual void init_slots(std::vector<Matrix<S>>& /*slots*/) const {}
    /// Called once per step, before the updates (which may run in parallel): per-step values
    /// shared by all parameters are computed here. iterations() is already the new t.
    virtual void begin_step() {}
    /// Update a range of one parameter's elements w from the same range of its gradient g and of
    /// its slots; iterations() is already the new t. Element-wise, and touching only w and slots:
    /// other threads update the other ranges at the same time.
    virtual void update(ParamPart<S> w, ConstParamPart<S> g, SlotParts<S> slots) = 0;

    void check_positive(const char* what, double v) const {
        if (!(v > 0.0) || !std::isfinite(v))
            throw ConfigError(std::string("optimizer: expected ") + what + " > 0, got " + std::to_string(v));
    }
    void check_range(const char* what, double v, double lo, double hi) const {
        if (!(v >= lo && v < hi))
            throw ConfigError(std::string("optimizer: expected ") + what + " in [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "), got " + std::to_string(v));
    }

    double lr_;

private:
    long long iterations_ = 0;
    std::vector<std::vector<Matrix<S>>> state_;
    ParamSchedule<S> schedule_;  // planned on the first step
};

} // namespace ae
