#pragma once
// dst = lhs · rhs (or +=), with the columns of dst split across ae's threads (core/parallel.hpp):
// each thread runs an independent single-threaded GEMM (core/gemm.hpp) on its own columns.
#include "ae/core/gemm.hpp"
#include "ae/core/parallel.hpp"

namespace ae {

/// dst = lhs * rhs (accumulate = false) or dst += lhs * rhs (accumulate = true). dst must
/// already have the product's shape; lhs and rhs may be any Eigen expressions (transposes, blocks).
template <class Dst, class Lhs, class Rhs>
void parallel_product(Dst& dst, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    const double flops = 2.0 * double(dst.rows()) * double(dst.cols()) * double(lhs.cols());
    parallel_for(
        dst.cols(), flops,
        [&](Index begin, Index n) { gemm(dst.middleCols(begin, n), lhs, rhs.middleCols(begin, n), accumulate); },
        16);
}

} // namespace ae
