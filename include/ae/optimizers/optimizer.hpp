#pragma once
// Optimizer<S>: updates a model's parameter list in place, step(params).
// State (moments, accumulators) is sized on the first step and kept per parameter, in order:
// slot i belongs to params[i]. Frozen (non-trainable) parameters keep their slot and are
// skipped, so freezing and unfreezing does not shift the state.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/param.hpp"
#include "ae/core/param_schedule.hpp"

namespace ae {

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
        // Parameters are independent (core/param_schedule.hpp); each update is the same on any thread.
        if (!schedule_.planned_for(params)) schedule_.plan(params);
        schedule_.run(10.0, [&](std::size_t i) {
            if (params[i].trainable) update(*params[i].value, *params[i].grad, state_[i]);
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
    /// Update one parameter w from its gradient g; iterations() is already the new t. Must touch
    /// only w, g and slots: steps update several parameters at once on different threads.
    virtual void update(Matrix<S>& w, const Matrix<S>& g, std::vector<Matrix<S>>& slots) = 0;

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
