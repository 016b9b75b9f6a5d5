#pragma once
// ae's threading: one fork and one join per job, each thread on its own contiguous range.
//
// A training step is a chain of jobs (a layer's GEMM + bias + activation, a loss, an optimizer
// update). Each job splits its columns (or elements) into one contiguous range per thread and runs
// the whole job on every range, so GEMMs and element-wise work scale together: with only the
// GEMMs split, the element-wise remainder caps two threads at about 1.3×.
//
// Why not Eigen's own parallel GEMM: its threads meet several times inside one product and
// spin-wait for each other's packed blocks; when another process holds a core, a 1 s epoch
// becomes 20 s. Here a job's ranges are independent: no waiting until the final join.
//
// Jobs called from inside a job run serially on the calling thread (max_threads() is 1 there),
// so kernels can be composed freely. Small jobs (work below ~2 MFLOP) run on the calling thread:
// waking a second thread costs more than it saves.
//
// A model of dense layers goes one step further: its whole training step is one job, each thread
// on its own samples through every layer (core/sample_split.hpp, training/sample_parallel_step.hpp).
#include <algorithm>
#include <array>
#include <utility>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/matrix.hpp"

namespace ae {

/// Threads ae's kernels may use (set by ae::set_num_threads; OpenMP's maximum by default).
/// 1 inside a parallel region, so nested jobs run serially.
inline int max_threads() {
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

/// Threads a job of `work` FLOPs over `n` items gets: 1 for small jobs, never more threads than
/// ranges of at least `min_items`.
inline int threads_for(Index n, double work, Index min_items = 1) {
    if (work < 2e6) return 1;
    return int(std::max<Index>(1, std::min<Index>(max_threads(), n / std::max<Index>(min_items, 1))));
}

/// What threads_for counts for one value read or written by a memory-bound kernel (a copy, a
/// zeroing): a value from memory takes about as long as 10 FLOPs of a GEMM, or more.
inline constexpr double memory_cost = 10.0;

/// Where thread k of nt starts its range of [0, n) (k = nt: the end): an even split, rounded
/// down to a multiple of `align`. parallel_for, parallel_sum and ParamSchedule::run_split share it,
/// so the same items land on the same thread in all of them.
inline Index split_point(Index n, Index k, Index nt, Index align) {
    return k == nt ? n : std::min(n, (n * k / nt) / align * align);
}

/// Thread k of nt's range of a rows × cols parameter (or its gradient), in elements, column-major:
/// whole columns split as split_point splits them, when there are 16 columns per thread, else
/// multiples of 16 elements. The optimizers' update and the gradient reductions that precede it
/// both use it, so each thread updates the part of a gradient it has just summed.
inline std::pair<Index, Index> element_range(Index rows, Index cols, Index k, Index nt) {
    const bool by_columns = cols >= 16 * nt;
    const Index n = by_columns ? cols : rows * cols, unit = by_columns ? rows : 1;
    const Index begin = split_point(n, k, nt, 16), end = split_point(n, k + 1, nt, 16);
    return {begin * unit, std::max<Index>(0, end - begin) * unit};
}

/// Run fn(begin, count) on contiguous ranges covering [0, n), one range per thread, and return
/// when all are done. Ranges are split at multiples of `align` (e.g. 16 columns: whole SIMD
/// packets for element-wise kernels over columns of contiguous data).
template <class F>
void parallel_for(Index n, double work, F&& fn, Index align = 1) {
    const int threads = threads_for(n, work, std::max<Index>(align, 16));
    if (threads <= 1) {
        if (n > 0) fn(Index(0), n);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
        const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
        const Index begin = split_point(n, t, nt, align), end = split_point(n, t + 1, nt, align);
        if (end > begin) fn(begin, end - begin);
    }
#endif
}

/// Σ over ranges of fn(begin, count) → double, computed as parallel_for does. The partial sums are
/// added in range order, so the result depends on the thread count only, never on timing.
template <class F>
double parallel_sum(Index n, double work, F&& fn, Index align = 1) {
    const int threads = threads_for(n, work, std::max<Index>(align, 16));
    if (threads <= 1) return n > 0 ? fn(Index(0), n) : 0.0;
    std::array<double, 256> partial{};
    const int nt_max = std::min(threads, int(partial.size()));
#ifdef _OPENMP
#pragma omp parallel num_threads(nt_max)
    {
        const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
        const Index begin = split_point(n, t, nt, align), end = split_point(n, t + 1, nt, align);
        if (end > begin) partial[std::size_t(t)] = fn(begin, end - begin);
    }
#endif
    double total = 0;
    for (int t = 0; t < nt_max; ++t) total += partial[std::size_t(t)];
    return total;
}

namespace detail {
/// dst = src for two blocks of the same shape, columns split across ae's threads.
template <class Dst, class Src>
void parallel_copy(Dst&& dst, const Src& src) {
    parallel_for(src.cols(), memory_cost * double(src.size()),
                 [&](Index c, Index m) { dst.middleCols(c, m) = src.middleCols(c, m); });
}
}  // namespace detail

/// dst = src.middleCols(start, n), on ae's threads; dst is sized to src.rows() × n (no allocation
/// once it has that size).
template <class S>
void copy_columns(const Matrix<S>& src, Index start, Index n, Matrix<S>& dst) {
    ensure_size(dst, src.rows(), n);
    detail::parallel_copy(dst, src.middleCols(start, n));
}

/// dst.middleCols(start, src.cols()) = src, on ae's threads (dst already holds those columns).
template <class S>
void paste_columns(const Matrix<S>& src, Matrix<S>& dst, Index start) {
    detail::parallel_copy(dst.middleCols(start, src.cols()), src);
}

} // namespace ae
