#pragma once
// Loss<S>: value(pred, target) and its gradient with respect to pred.
// A loss may also work from the logits z of a fused output activation (BCE after sigmoid,
// categorical cross-entropy after softmax): then value and gradient are computed from z,
// which is exact for saturated outputs and skips the activation's derivative.
#include <string>

#include "ae/core/activation.hpp"
#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"

namespace ae {

/// How element losses are reduced to one number.
///   mean:              mean over features and batch (Keras' default for MSE and BCE);
///   sum_over_features: sum over features, mean over the batch (per-image totals, as VAEs use).
enum class Reduction { mean, sum_over_features };

template <class S = float>
class Loss {
public:
    virtual ~Loss() = default;
    virtual std::string name() const = 0;

    virtual S value(const Matrix<S>& pred, const Matrix<S>& target) const = 0;
    /// dpred = d value / d pred (same shape as pred).
    virtual void gradient(const Matrix<S>& pred, const Matrix<S>& target, Matrix<S>& dpred) const = 0;

    /// True when value_from_logits/gradient_from_logits apply after activation `a`.
    virtual bool fuses_with(Activation /*a*/) const { return false; }
    /// Loss given the logits z and pred = f(z).
    virtual S value_from_logits(const Matrix<S>& /*z*/, const Matrix<S>& pred, const Matrix<S>& target) const {
        return value(pred, target);
    }
    /// dz = d value / d z, given pred = f(z).
    virtual void gradient_from_logits(const Matrix<S>& /*z*/, const Matrix<S>& /*pred*/, const Matrix<S>& /*target*/,
                                      Matrix<S>& /*dz*/) const {
        throw Error(name() + ": gradient_from_logits is not supported");
    }
    /// value_from_logits and gradient_from_logits at once (what a training step needs); a loss may
    /// override it to read z, pred and target in one pass.
    virtual S value_and_gradient_from_logits(const Matrix<S>& z, const Matrix<S>& pred, const Matrix<S>& target,
                                             Matrix<S>& dz) const {
        const S v = value_from_logits(z, pred, target);
        gradient_from_logits(z, pred, target, dz);
        return v;
    }

    // --- The sample-parallel training step (training/sample_parallel_step.hpp), where each
    // thread takes the loss of its own samples.
    /// True when sum_and_gradient_columns applies: from the logits z when from_logits, else from pred.
    virtual bool splits_samples(bool /*from_logits*/) const { return false; }
    /// For samples [c, c + n) of a batch: write their columns of the gradient (with respect to z
    /// when z is given, else to pred), scaled for the whole batch as gradient() scales it, and
    /// return the sum of their element losses, not yet reduced (reduce() turns the batch's total
    /// into the loss).
    virtual double sum_and_gradient_columns(const Matrix<S>* /*z*/, const Matrix<S>& /*pred*/,
                                            const Matrix<S>& /*target*/, Matrix<S>& /*grad*/, Index /*c*/,
                                            Index /*n*/) const {
        throw Error(name() + ": sum_and_gradient_columns is not supported");
    }
    /// The loss of a batch with predictions pred, from the sum of its element losses.
    virtual S reduce(double /*sum*/, const Matrix<S>& /*pred*/) const {
        throw Error(name() + ": reduce is not supported");
    }

    /// Throw ConfigError when targets hold values the loss is not defined for (the
    /// cross-entropies need probabilities in [0, 1]); `where` starts the message. fit and
    /// evaluate call it once on all targets. Accepts everything by default.
    virtual void check_targets(const Matrix<S>& /*target*/, const std::string& /*where*/) const {}

protected:
    /// check_targets for losses on probabilities: every target in [0, 1] (NaN fails too).
    void check_probabilities(const Matrix<S>& target, const std::string& where) const {
        for (Index j = 0; j < target.cols(); ++j)
            for (Index i = 0; i < target.rows(); ++i) {
                const S v = target(i, j);
                if (!(v >= S(0) && v <= S(1)))
                    throw ConfigError(where + ": " + name() + " expects targets in [0, 1], but the target of sample " +
                                      std::to_string(j) + ", feature " + std::to_string(i) + " is " +
                                      std::to_string(double(v)));
            }
    }

    void check_same_shape(const Matrix<S>& pred, const Matrix<S>& target) const {
        if (pred.rows() != target.rows() || pred.cols() != target.cols())
            throw ShapeError(name() + ": prediction is " + std::to_string(pred.rows()) + "×" +
                             std::to_string(pred.cols()) + " but target is " + std::to_string(target.rows()) +
                             "×" + std::to_string(target.cols()) + " (features × batch)");
    }
    /// The divisor that turns a sum of element losses into the reduced loss.
    static S divisor(Reduction r, const Matrix<S>& pred) {
        return r == Reduction::mean ? S(pred.size()) : S(pred.cols());
    }
};

} // namespace ae
