#pragma once
// Categorical cross-entropy on one-hot (or soft) targets, one class distribution per column:
//   L = -(1/B) Σ_samples Σ_classes t log p          (mean over the batch, as Keras)
//  - From probabilities: p clipped to [1e-7, 1 - 1e-7]; dL/dp = -t / (B p).
//  - From logits (fused after softmax): log p = z - logsumexp(z), dL/dz = (p - t) / B,
//    in general dL/dz_k = (p_k Σ_c t_c - t_k) / B.
#include "ae/losses/loss.hpp"

namespace ae {

template <class S = float>
class CategoricalCrossEntropy : public Loss<S> {
public:
    std::string name() const override { return "CategoricalCrossEntropy"; }

    S value(const Matrix<S>& pred, const Matrix<S>& target) const override {
        this->check_same_shape(pred, target);
        auto p = pred.array().cwiseMax(S(eps)).cwiseMin(S(1 - eps));
        return -(target.array() * p.log()).sum() / S(pred.cols());
    }
    void gradient(const Matrix<S>& pred, const Matrix<S>& target, Matrix<S>& dpred) const override {
        this->check_same_shape(pred, target);
        ensure_size(dpred, pred.rows(), pred.cols());
        auto inside = (pred.array() > S(eps)) && (pred.array() < S(1 - eps));
        dpred.array() = inside.select(-target.array() / (S(pred.cols()) * pred.array()), S(0));
    }

    /// Targets are probabilities: every value in [0, 1] (one-hot labels, or soft ones).
    void check_targets(const Matrix<S>& target, const std::string& where) const override {
        this->check_probabilities(target, where);
    }
    bool fuses_with(Activation a) const override { return a == Activation::softmax; }
    S value_from_logits(const Matrix<S>& z, const Matrix<S>&, const Matrix<S>& target) const override {
        this->check_same_shape(z, target);
        S total = 0;
        for (Index j = 0; j < z.cols(); ++j) {
            const S m = z.col(j).maxCoeff();
            const S lse = m + std::log((z.col(j).array() - m).exp().sum());
            total -= (target.col(j).array() * (z.col(j).array() - lse)).sum();
        }
        return total / S(z.cols());
    }
    void gradient_from_logits(const Matrix<S>&, const Matrix<S>& pred, const Matrix<S>& target,
                              Matrix<S>& dz) const override {
        this->check_same_shape(pred, target);
        ensure_size(dz, pred.rows(), pred.cols());
        // dL/dz_k = (p_k Σ_c t_c - t_k) / B, which is (p - t) / B for one-hot targets.
        dz.array() = (pred.array().rowwise() * target.colwise().sum().array() - target.array()) / S(pred.cols());
    }

private:
    static constexpr double eps = 1e-7;
};

} // namespace ae
