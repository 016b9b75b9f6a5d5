#pragma once
// gemm(dst, lhs, rhs, accumulate): dst = lhs · rhs, or dst += lhs · rhs, on the calling thread,
// through Eigen's own GEMM kernel, with packing buffers that persist per thread.
//
// Why not `dst.noalias() = lhs * rhs`: Eigen packs blocks of both operands before its kernel runs
// and allocates those packing buffers on the heap for every product whose blocks exceed 128 KB
// (EIGEN_STACK_ALLOCATION_LIMIT), i.e. for every large layer of every training step. ae promises
// a training step that allocates nothing once warmed up (tests/allocation_test.cpp), so the
// buffers are kept per thread and grown only when a larger product comes. The blocking sizes,
// packing and kernel are Eigen's, so results are the same as Eigen's product.
//
// Uses Eigen 3.4's internal entry point internal::general_matrix_matrix_product::run (the one
// Eigen's product expression calls). Operands must have direct access with unit inner stride:
// matrices, column blocks, maps, and their transposes.
#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"

namespace ae {
namespace detail {

template <class S>
class GemmBuffers {
public:
    GemmBuffers() = default;
    GemmBuffers(const GemmBuffers&) = delete;
    GemmBuffers& operator=(const GemmBuffers&) = delete;
    ~GemmBuffers() {
        Eigen::internal::aligned_free(a_);
        Eigen::internal::aligned_free(b_);
    }
    S* a(std::size_t n) { return grow(a_, size_a_, n); }
    S* b(std::size_t n) { return grow(b_, size_b_, n); }

private:
    static S* grow(S*& p, std::size_t& size, std::size_t n) {
        if (n > size) {
            Eigen::internal::aligned_free(p);
            p = static_cast<S*>(Eigen::internal::aligned_malloc(n * sizeof(S)));
            size = n;
        }
        return p;
    }
    S* a_ = nullptr;
    S* b_ = nullptr;
    std::size_t size_a_ = 0, size_b_ = 0;
};

/// This thread's packing buffers (OpenMP's worker threads persist, so do their buffers).
template <class S>
GemmBuffers<S>& gemm_buffers() {
    thread_local GemmBuffers<S> buffers;
    return buffers;
}

/// Eigen's cache blocking for one product, pointing at this thread's persistent buffers.
template <class S>
class PersistentBlocking : public Eigen::internal::level3_blocking<S, S> {
public:
    PersistentBlocking(Index rows, Index cols, Index depth) {
        this->m_mc = rows;
        this->m_nc = cols;
        this->m_kc = depth;
        Eigen::internal::computeProductBlockingSizes<S, S, 1, Index>(this->m_kc, this->m_mc, this->m_nc, Index(1));
        GemmBuffers<S>& buffers = gemm_buffers<S>();
        this->m_blockA = buffers.a(std::size_t(this->m_mc * this->m_kc));
        this->m_blockB = buffers.b(std::size_t(this->m_kc * this->m_nc));
    }
};

template <class E>
constexpr int storage_order() {
    return (int(E::Flags) & Eigen::RowMajorBit) ? Eigen::RowMajor : Eigen::ColMajor;
}

template <class E>
constexpr void check_gemm_operand() {
    static_assert(int(E::Flags) & Eigen::DirectAccessBit,
                  "ae::gemm: operands must be matrices, column blocks or maps (direct access), or their transposes");
    static_assert(E::InnerStrideAtCompileTime == 1, "ae::gemm: operands need a unit inner stride");
}

}  // namespace detail

/// dst = lhs · rhs (accumulate = false) or dst += lhs · rhs (accumulate = true), single-threaded.
/// dst must already have the product's shape (column-major, e.g. a Matrix or middleCols of one).
template <class Dst, class Lhs, class Rhs>
void gemm(Dst&& dst, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    using D = std::remove_reference_t<Dst>;
    using S = typename D::Scalar;
    detail::check_gemm_operand<Lhs>();
    detail::check_gemm_operand<Rhs>();
    static_assert(detail::storage_order<D>() == Eigen::ColMajor && D::InnerStrideAtCompileTime == 1,
                  "ae::gemm: the destination must be column-major with unit inner stride");
    // Like Eigen's `dst.noalias() = lhs * rhs`, a plain matrix is resized to the product's shape.
    if constexpr (std::is_base_of_v<Eigen::PlainObjectBase<D>, D>)
        if (!accumulate) ensure_size(dst, lhs.rows(), rhs.cols());
    if (dst.rows() != lhs.rows() || dst.cols() != rhs.cols() || lhs.cols() != rhs.rows())
        throw ShapeError("gemm: cannot put a " + std::to_string(lhs.rows()) + "×" + std::to_string(lhs.cols()) +
                         " by " + std::to_string(rhs.rows()) + "×" + std::to_string(rhs.cols()) + " product into a " +
                         std::to_string(dst.rows()) + "×" + std::to_string(dst.cols()) + " destination");
    const Index rows = dst.rows(), cols = dst.cols(), depth = lhs.cols();
    // Tiny products: Eigen's own product, which evaluates them coefficient-wise without
    // allocating (and with the same rounding as its kernel, so results do not depend on which
    // side of this threshold a batch falls).
    // One-row products (a Conv2D with one filter, a Dense with one unit) too: Eigen turns them
    // into a matrix-vector product that reads rhs in place, where the GEMM kernel would first
    // copy (pack) all of rhs to use it once. No heap: the vector temporaries are on the stack.
    if (rows + cols + depth < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD || rows == 1) {
        if (accumulate) dst.noalias() += lhs * rhs;
        else dst.noalias() = lhs * rhs;
        return;
    }
    if (!accumulate) dst.setZero();  // Eigen's kernel accumulates
    if (rows == 0 || cols == 0 || depth == 0) return;
    detail::PersistentBlocking<S> blocking(rows, cols, depth);
    Eigen::internal::general_matrix_matrix_product<Index, S, detail::storage_order<Lhs>(), false, S,
                                                   detail::storage_order<Rhs>(), false, Eigen::ColMajor,
                                                   1>::run(rows, cols, depth, lhs.data(), lhs.outerStride(),
                                                           rhs.data(), rhs.outerStride(), dst.data(), 1,
                                                           dst.outerStride(), S(1), blocking, nullptr);
}

} // namespace ae
