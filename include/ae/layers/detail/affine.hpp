#pragma once
// The forward pass shared by Dense (A = W) and DenseTranspose (A = Wᵀ):
//   y = f(A x + b), and z = A x + b when the loss wants the logits.
// Every sample (column) is independent, so each thread takes a range of columns and runs the
// GEMM, the bias and the activation on it in one go (core/parallel.hpp).
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

}  // namespace ae::detail
