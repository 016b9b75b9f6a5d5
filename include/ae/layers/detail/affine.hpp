#pragma once
// The passes shared by Dense (A = W) and DenseTranspose (A = Wᵀ), in SampleSplit's pieces
// (core/sample_split.hpp):
//   forward:  y = f(A x + b), and z = A x + b when the loss wants the logits;
//   backward: dz = dy ⊙ f'(y), the kernel gradient (dz xᵀ, or x dzᵀ in the partner's layout),
//             db = Σ_batch dz, dx = Aᵀ dz.
// Each thread takes one range of samples (columns), the same range in both passes, so it reads
// only what its own cache wrote. The kernel gradient sums over the batch, so in backward each
// thread first computes its samples' share, and after a barrier the threads add the shares up,
// each over the part of the kernel the optimizer then updates on that thread (element_range).
// Splitting the gradient's columns instead (one GEMM per thread over the whole batch) made every
// thread read the other's half of x and dz: small layers then ran no faster on 2 threads than on 1.
// The layer passes its operands (A, Aᵀ, the kernel-share product) to each call; this object
// keeps what a pass needs between its prepare step and the column jobs.
#include <vector>

#include "ae/core/activation.hpp"
#include "ae/core/gemm.hpp"
#include "ae/core/parallel.hpp"
#include "ae/core/sample_split.hpp"

namespace ae::detail {

template <class S>
class AffinePasses {
public:
    /// Size y (and z when the logits are kept) for the batch x; returns the pass's FLOPs.
    double forward_prepare(const Matrix<S>& x, Matrix<S>& y, Index units, Activation f, bool keep_logits) {
        x_ = &x;
        y_ = &y;
        ensure_size(y, units, x.cols());
        if (keep_logits) ensure_size(z_, units, x.cols());
        keep_logits_ = keep_logits;
        return double(units) * double(x.cols()) * (2.0 * double(x.rows()) + 1 + activation_cost(f));
    }

    /// y = f(a x + b) on samples [c, c + n).
    template <class A>
    void forward_columns(const A& a, const Matrix<S>& b, Activation f, Index c, Index n) {
        auto yb = y_->middleCols(c, n);
        // Start from the bias and let the GEMM add A x to it: the GEMM would otherwise zero y
        // first, and adding b would be a second pass over y.
        yb.colwise() = b.col(0);
        gemm(yb, a, x_->middleCols(c, n), true);
        if (keep_logits_) z_.middleCols(c, n) = yb;
        activate_block<S>(f, yb);
    }

    /// g is dy (dz = dy ⊙ f'(y) goes to a buffer), or dz itself when from_logits. dx (when
    /// non-null) is sized dx_rows × batch. The shares of threads 1.. are sized like the gradients.
    double backward_prepare(const Matrix<S>& g, bool from_logits, Matrix<S>* dx, Index dx_rows,
                            const Matrix<S>& kernel_grad, const Matrix<S>& bias_grad, Activation f, int threads) {
        g_ = &g;
        from_logits_ = from_logits;
        dx_ = dx;
        if (dx) ensure_size(*dx, dx_rows, g.cols());
        if (!from_logits) ensure_size(dz_buffer_, g.rows(), g.cols());
        if (kernel_shares_.size() < std::size_t(threads)) kernel_shares_.resize(std::size_t(threads));
        if (bias_shares_.size() < std::size_t(threads)) bias_shares_.resize(std::size_t(threads));
        for (std::size_t t = 1; t < std::size_t(threads); ++t) {
            ensure_size(kernel_shares_[t], kernel_grad.rows(), kernel_grad.cols());
            ensure_size(bias_shares_[t], bias_grad.rows(), 1);
        }
        return double(g.cols()) * (double(g.rows()) * (2 + activation_cost(f)) +
                                   2.0 * double(kernel_grad.size()) * (dx ? 2.0 : 1.0));
    }

    /// Thread t of nt's samples. kernel_share(dst, dz, c, n, accumulate) writes (or adds) the
    /// kernel gradient of samples [c, c + n) into dst, with dz those samples' columns; at is the
    /// Aᵀ of dx = Aᵀ dz.
    template <class At, class KernelShare>
    void backward_samples(KernelShare&& kernel_share, Matrix<S>& kernel_grad, Matrix<S>& bias_grad, const At& at,
                          Activation f, Index t, Index nt) {
        const auto [c, n] = sample_range(g_->cols(), t, nt);
        auto& kernel = t == 0 ? kernel_grad : kernel_shares_[std::size_t(t)];
        auto& bias = t == 0 ? bias_grad : bias_shares_[std::size_t(t)];
        if (n <= 0) {
            if (t > 0) kernel.setZero(), bias.setZero();
            return;
        }
        if (!from_logits_)
            activation_backward_block<S>(f, y_->middleCols(c, n), g_->middleCols(c, n), dz_buffer_.middleCols(c, n));
        const auto dzb = (from_logits_ ? *g_ : dz_buffer_).middleCols(c, n);
        kernel_share(kernel, dzb, c, n, t == 0);  // thread 0 adds, the others overwrite their share
        if (t == 0) bias.col(0) += dzb.rowwise().sum();
        else bias.col(0) = dzb.rowwise().sum();
        if (dx_) gemm(dx_->middleCols(c, n), at, dzb, false);
    }

    /// Add the other threads' shares into thread t's part of each gradient.
    void add_shares(Matrix<S>& kernel_grad, Matrix<S>& bias_grad, Index t, Index nt) {
        add(kernel_grad, kernel_shares_, t, nt);
        add(bias_grad, bias_shares_, t, nt);
    }

    /// The input of the last forward pass (nullptr before the first).
    const Matrix<S>* input() const { return x_; }
    const Matrix<S>* logits() const { return keep_logits_ ? &z_ : nullptr; }

private:
    static void add(Matrix<S>& grad, const std::vector<Matrix<S>>& shares, Index t, Index nt) {
        using Vector = Eigen::Array<S, Eigen::Dynamic, 1>;
        const auto [begin, count] = element_range(grad.rows(), grad.cols(), t, nt);
        if (count <= 0) return;
        Eigen::Map<Vector> part(grad.data() + begin, count);
        for (Index k = 1; k < nt; ++k) part += Eigen::Map<const Vector>(shares[std::size_t(k)].data() + begin, count);
    }

    const Matrix<S>* x_ = nullptr;
    Matrix<S>* y_ = nullptr;
    Matrix<S> z_;
    bool keep_logits_ = false;
    const Matrix<S>* g_ = nullptr;
    bool from_logits_ = false;
    Matrix<S>* dx_ = nullptr;
    Matrix<S> dz_buffer_;
    std::vector<Matrix<S>> kernel_shares_, bias_shares_;  // threads 1..: kept so a step allocates nothing
};

}  // namespace ae::detail
