#pragma once
// The passes shared by Dense (A = W) and DenseTranspose (A = Wᵀ):
//   forward:  y = f(A x + b), and z = A x + b when the loss wants the logits;
//   backward: dz = dy ⊙ f'(y), the kernel gradient (dz xᵀ, or x dzᵀ in the partner's layout),
//             db = Σ_batch dz, dx = Aᵀ dz.
// Both split the batch: each thread takes one range of samples (columns), the same range in both
// passes, and runs the whole pass on it in one parallel region, so a thread reads only what its
// own cache wrote. The kernel gradient sums over the batch, so in backward each thread first
// computes its samples' share, and after one barrier the threads add the shares up, each over the
// part of the kernel the optimizer then updates on that thread (element_range). Splitting the
// gradient's columns instead (one GEMM per thread over the whole batch) made every thread read
// the other's half of x and dz: small layers then ran no faster on 2 threads than on 1.
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/activation.hpp"
#include "ae/core/gemm.hpp"
#include "ae/core/parallel.hpp"

namespace ae::detail {

/// y = f(a x + b); z (when non-null) receives a x + b. y and z must already be sized.
template <class S, class A>
void affine_forward(const A& a, const Matrix<S>& b, const Matrix<S>& x, Activation f, Matrix<S>& y, Matrix<S>* z) {
    const double work = double(y.rows()) * double(x.cols()) * (2.0 * double(x.rows()) + 1 + activation_cost(f));
    parallel_for(x.cols(), work, [&](Index c, Index n) {
        auto yb = y.middleCols(c, n);
        // Start from the bias and let the GEMM add A x to it: the GEMM would otherwise zero y
        // first, and adding b would be a second pass over y.
        yb.colwise() = b.col(0);
        gemm(yb, a, x.middleCols(c, n), true);
        if (z) z->middleCols(c, n) = yb;
        activate_block<S>(f, yb);
    }, 16);
}

/// The per-thread shares of one layer's kernel and bias gradients (thread 0 adds its share
/// straight into the gradients); kept by the layer so that a step allocates nothing.
template <class S>
struct GradientShares {
    std::vector<Matrix<S>> kernel, bias;
};

/// The backward pass. With y given, g is dy and dz = dy ⊙ f'(y) is written into dz_buffer;
/// without, g already is dz (a loss fused with f). kernel_share(dst, dz, c, n, accumulate) writes
/// (or adds) the kernel gradient of samples [c, c + n) into dst, with dz those samples' columns.
/// dx (when non-null) is sized by the caller; at is the Aᵀ of dx = Aᵀ dz.
template <class S, class At, class KernelShare>
void affine_backward(const Matrix<S>& g, const Matrix<S>* y, Activation f, Matrix<S>& dz_buffer,
                     KernelShare&& kernel_share, Matrix<S>& kernel_grad, Matrix<S>& bias_grad, const At& at,
                     Matrix<S>* dx, GradientShares<S>& shares) {
    using Vector = Eigen::Array<S, Eigen::Dynamic, 1>;
    const Index batch = g.cols();
    if (y) ensure_size(dz_buffer, g.rows(), batch);
    const Matrix<S>& dz = y ? dz_buffer : g;
    const double work = double(batch) * (double(g.rows()) * (2 + activation_cost(f)) +
                                         2.0 * double(kernel_grad.size()) * (dx ? 2.0 : 1.0));
    auto samples = [&](Index t, Index nt) {  // thread t's samples: everything but the sum of shares
        const Index c = split_point(batch, t, nt, 16), n = split_point(batch, t + 1, nt, 16) - c;
        auto& kernel = t == 0 ? kernel_grad : shares.kernel[std::size_t(t)];
        auto& bias = t == 0 ? bias_grad : shares.bias[std::size_t(t)];
        if (n <= 0) {
            if (t > 0) kernel.setZero(), bias.setZero();
            return;
        }
        if (y) activation_backward_block<S>(f, y->middleCols(c, n), g.middleCols(c, n), dz_buffer.middleCols(c, n));
        const auto dzb = dz.middleCols(c, n);
        kernel_share(kernel, dzb, c, n, t == 0);  // thread 0 adds, the others overwrite their share
        if (t == 0) bias.col(0) += dzb.rowwise().sum();
        else bias.col(0) = dzb.rowwise().sum();
        if (dx) gemm(dx->middleCols(c, n), at, dzb, false);
    };
    const int threads = threads_for(batch, work, 16);
    if (threads <= 1) {
        samples(0, 1);
        return;
    }
    for (auto* v : {&shares.kernel, &shares.bias})
        if (v->size() < std::size_t(threads)) v->resize(std::size_t(threads));
    for (std::size_t t = 1; t < std::size_t(threads); ++t) {
        ensure_size(shares.kernel[t], kernel_grad.rows(), kernel_grad.cols());
        ensure_size(shares.bias[t], bias_grad.rows(), 1);
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
        const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
        samples(t, nt);
#pragma omp barrier
        // Add the other threads' shares into this thread's part of each gradient.
        auto add_shares = [&](Matrix<S>& grad, std::vector<Matrix<S>>& share) {
            const auto [begin, count] = element_range(grad.rows(), grad.cols(), t, nt);
            if (count <= 0) return;
            Eigen::Map<Vector> part(grad.data() + begin, count);
            for (Index k = 1; k < nt; ++k) part += Eigen::Map<const Vector>(share[std::size_t(k)].data() + begin, count);
        };
        add_shares(kernel_grad, shares.kernel);
        add_shares(bias_grad, shares.bias);
    }
#endif
}

}  // namespace ae::detail
