#pragma once
// Shared pieces of the recurrent layers (LSTM, GRU).
//
// Memory layout. A batch column holds step 0's features, then step 1's, … so the batch
// (T·F × B) is, in memory, an F × (T·B) matrix whose column b·T + t is sample b's step t.
// The recurrent layers keep every per-step buffer (gates, h, c) in that same "sample-major"
// layout: one GEMM projects every step at once with no copy of x, and step t of the batch is a
// strided view (B columns, stride T) whose columns are each contiguous — Eigen's GEMM packs
// strided operands anyway, and the fused element-wise gate code runs over contiguous 4U- or
// U-long runs. Step-major buffers would make step t one block but need transposing copies of
// x, y, dy and dx.
//
// Threads. Work is split over the batch: each thread runs everything for its own slice of
// samples (contiguous columns b0·T … (b0+nb)·T of the sample-major buffers): the input
// projection, ALL steps of the recurrence, dx, and partial parameter gradients that are summed
// afterwards. Its GEMMs run single-threaded inside the parallel region. That is one
// synchronisation per pass instead of one per GEMM: Eigen's threaded GEMM spin-waits between
// its threads, which on a busy machine (a descheduled thread) made training ~10× slower.
#include <algorithm>
#include <string>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/shape.hpp"

namespace ae::detail {

template <class S>
using StridedMap = Eigen::Map<Matrix<S>, 0, Eigen::OuterStride<>>;
template <class S>
using ConstStridedMap = Eigen::Map<const Matrix<S>, 0, Eigen::OuterStride<>>;

/// Step t of samples [b0, b0 + nb) of a sample-major buffer with `rows` per step and T steps.
template <class S>
StridedMap<S> step_view(Matrix<S>& m, Index rows, Index T, Index t, Index b0, Index nb) {
    return StridedMap<S>(m.data() + (b0 * T + t) * rows, rows, nb, Eigen::OuterStride<>(rows * T));
}
template <class S>
ConstStridedMap<S> step_view(const Matrix<S>& m, Index rows, Index T, Index t, Index b0, Index nb) {
    return ConstStridedMap<S>(m.data() + (b0 * T + t) * rows, rows, nb, Eigen::OuterStride<>(rows * T));
}

/// A (T·F × B) batch seen as F × (T·B): column b·T + t is sample b's step t.
template <class S>
Eigen::Map<const Matrix<S>> steps_as_columns(const Matrix<S>& x, Index F) {
    return Eigen::Map<const Matrix<S>>(x.data(), F, x.size() / F);
}
template <class S>
Eigen::Map<Matrix<S>> steps_as_columns(Matrix<S>& x, Index F) {
    return Eigen::Map<Matrix<S>>(x.data(), F, x.size() / F);
}

/// σ(v) = (1 + tanh(v/2)) / 2: one vectorised tanh instead of exp + divide.
template <class A>
auto sigmoid_expr(const A& v) {
    using S = typename A::Scalar;
    return S(0.5) + S(0.5) * (S(0.5) * v).tanh();
}

/// How many batch slices (threads) the recurrence of a B-sample batch uses.
inline Index batch_slices(Index B) {
#ifdef _OPENMP
    return std::max<Index>(1, std::min<Index>(omp_get_max_threads(), B / 16));
#else
    (void)B;
    return 1;
#endif
}

/// Run f(slice, b0, nb) over batch_slices(B) slices of the batch's B samples, one per thread.
/// GEMMs inside f run single-threaded (Eigen does not nest inside a parallel region).
template <class F>
void for_each_batch_slice(Index B, F&& f) {
    const Index slices = batch_slices(B);
    if (slices == 1) {
        f(Index(0), Index(0), B);
        return;
    }
#pragma omp parallel for num_threads(int(slices)) schedule(static, 1)
    for (Index s = 0; s < slices; ++s) {
        const Index b0 = B * s / slices, b1 = B * (s + 1) / slices;
        f(s, b0, b1 - b0);
    }
}

/// Recurrent layers take {T, F}; say so clearly for anything else.
inline void expect_sequence_shape(const std::string& layer, const Shape& in) {
    if (in.rank() != 2)
        throw ShapeError(layer + ": expected a sequence input shape {T, F} (steps, features), got " + in.str() +
                         (in.rank() == 1 ? " (add a RepeatVector or Reshape layer before it)" : ""));
}

}  // namespace ae::detail
