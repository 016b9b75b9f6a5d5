#pragma once
// Mean squared error: L = (1/N) Σ (p - t)²,  dL/dp = 2 (p - t) / N,
// N = features × batch (Reduction::mean, Keras) or batch (Reduction::sum_over_features).
#include "ae/losses/loss.hpp"

namespace ae {

template <class S = float>
class MSE : public Loss<S> {
public:
    explicit MSE(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
    std::string name() const override { return "MSE"; }

    S value(const Matrix<S>& pred, const Matrix<S>& target) const override {
        this->check_same_shape(pred, target);
        return (pred - target).squaredNorm() / this->divisor(reduction_, pred);
    }
    void gradient(const Matrix<S>& pred, const Matrix<S>& target, Matrix<S>& dpred) const override {
        this->check_same_shape(pred, target);
        ensure_size(dpred, pred.rows(), pred.cols());
        dpred.noalias() = (S(2) / this->divisor(reduction_, pred)) * (pred - target);
    }

    /// From pred (MSE fuses with no activation): grad = 2 (p - t) / N.
    bool splits_samples(bool from_logits) const override { return !from_logits; }
    double sum_and_gradient_columns(const Matrix<S>*, const Matrix<S>& pred, const Matrix<S>& target, Matrix<S>& grad,
                                    Index c, Index n) const override {
        auto d = grad.middleCols(c, n);
        d.noalias() = pred.middleCols(c, n) - target.middleCols(c, n);
        const double sum = double(d.squaredNorm());
        d *= S(2) / this->divisor(reduction_, pred);
        return sum;
    }
    S reduce(double sum, const Matrix<S>& pred) const override {
        return S(sum / double(this->divisor(reduction_, pred)));
    }

private:
    Reduction reduction_;
};

} // namespace ae
