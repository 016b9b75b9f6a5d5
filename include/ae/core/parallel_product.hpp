#pragma once
// dst = lhs · rhs (or +=), with the columns of dst split across ae's threads.
//
// Why not Eigen's own parallel GEMM: its threads meet several times inside one product and
// spin-wait for each other's packed blocks. When another process holds one of the cores, the
// spinning thread burns its whole time slice waiting for a descheduled partner, and a 1 s epoch
// becomes 20 s. Splitting the output's columns gives each thread an independent single-threaded
// GEMM: one fork and one join per product, no waiting in between. Small products run on one thread.
#include <algorithm>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/matrix.hpp"

namespace ae {

/// Threads ae's kernels may use (set by ae::set_num_threads; OpenMP's maximum by default).
inline int max_threads() {
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

/// dst = lhs * rhs (accumulate = false) or dst += lhs * rhs (accumulate = true). dst must
/// already have the product's shape; lhs and rhs may be any Eigen expressions (transposes, blocks).
template <class Dst, class Lhs, class Rhs>
void parallel_product(Dst& dst, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    const Index cols = dst.cols();
    const double flops = 2.0 * double(dst.rows()) * double(cols) * double(lhs.cols());
    const int threads = flops < 2e6 ? 1 : int(std::min<Index>(max_threads(), cols / 32));
    auto block = [&](Index begin, Index n) {
        auto d = dst.middleCols(begin, n);
        if (accumulate) d.noalias() += lhs * rhs.middleCols(begin, n);
        else d.noalias() = lhs * rhs.middleCols(begin, n);
    };
    if (threads <= 1) {
        block(0, cols);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
        // Inside a parallel region Eigen runs each product on the calling thread alone.
        const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
        const Index begin = cols * t / nt, end = cols * (t + 1) / nt;
        if (end > begin) block(begin, end - begin);
    }
#endif
}

} // namespace ae
