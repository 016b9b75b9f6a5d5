#pragma once
// Convolution one output pixel at a time, for Conv2D layers with a short patch (kh·kw·C ≤ 32
// scalars, e.g. 9 for a 3×3 kernel on a one-channel image) and 8 or 16 filters.
//
// Through patches (im2col.hpp), such a layer writes K = kh·kw·C scalars per output pixel, the
// GEMM copies (packs) them once more, and then multiplies them by a matrix of only 8 or 16 rows:
// the copies cost more than the arithmetic (a fifth of the conv exercise's epoch went to the
// first layer's patches). Here the F outputs of a pixel are one fixed-size vector, a SIMD
// register or two, and nothing is copied:
//   y(:, p) = b + Σ_k W(:, k) · x_k(p)        x_k(p): patch scalar k of pixel p (0 outside)
// The kernel gradient is the same walk:  dW(:, k) += dz(:, p) · x_k(p),  db += dz(:, p).
// The walk over columns (PatchCursor) and the layouts are im2col's, so the results match the
// patch path up to rounding (tests/conv2d_test.cpp compares them).
#include <Eigen/Core>

#include "ae/layers/detail/im2col.hpp"

namespace ae::detail {

inline constexpr Index direct_conv_max_patch = 32;

/// Whether the direct kernels apply: 8 or 16 outputs per pixel, a patch of at most 32 scalars.
inline bool direct_conv_fits(const ConvGeometry& g, Index outputs) {
    return (outputs == 8 || outputs == 16) && g.patch_size() <= direct_conv_max_patch;
}

/// Calls fn(k0, xr, len) for each kernel row of the patch of output column `at` that overlaps
/// the image: patch scalars k0 .. k0 + len are the input scalars xr[0 .. len) (contiguous, as a
/// kernel row's part inside the image is, in HWC).
template <class S, class Fn>
void for_each_patch_row(const ConvGeometry& g, const PatchCursor& at, const S* x, Fn&& fn) {
    const Index C = g.in_c, y0 = at.y0(), x0 = at.x0();
    const Index j_lo = std::max<Index>(0, -x0), j_hi = std::min(g.k_w, g.in_w - x0);  // kernel columns inside
    if (j_lo >= j_hi) return;
    const S* xs = x + at.b * g.in_size();
    for (Index i = 0; i < g.k_h; ++i) {
        const Index iy = y0 + i;
        if (iy < 0 || iy >= g.in_h) continue;
        fn((i * g.k_w + j_lo) * C, xs + (iy * g.in_w + x0 + j_lo) * C, (j_hi - j_lo) * C);
    }
}

/// y(:, g0 .. g0 + n) = b + W · patches (the columns of the batch's output, F × OH·OW·B);
/// W: F × K, b: F scalars or null (no bias).
template <int F, class S>
void direct_conv_forward_block(const ConvGeometry& g, const S* w, const S* b, const S* x, Index g0, Index n, S* y) {
    using Vec = Eigen::Matrix<S, F, 1>;
    const Vec bias = b ? Vec(Eigen::Map<const Vec>(b)) : Vec::Zero();
    PatchCursor at(g, g0);
    for (Index q = 0; q < n; ++q, at.next()) {
        Vec acc = bias;  // a register: each row's loop below runs on it, not on memory
        for_each_patch_row(g, at, x, [&](Index k0, const S* xr, Index len) {
            Vec row = Vec::Zero();
            const S* wk = w + k0 * F;
            for (Index e = 0; e < len; ++e) row.noalias() += Eigen::Map<const Vec>(wk + e * F) * xr[e];
            acc += row;
        });
        Eigen::Map<Vec>(y + (g0 + q) * F) = acc;
    }
}

/// dW += dz · patchesᵀ and db += row sums of dz over output columns [g0, g0 + n); dW: F × K.
template <int F, class S>
void direct_conv_kernel_grad_block(const ConvGeometry& g, const S* dz, const S* x, Index g0, Index n, S* dw, S* db) {
    using Vec = Eigen::Matrix<S, F, 1>;
    Vec dbias = Eigen::Map<Vec>(db);
    PatchCursor at(g, g0);
    for (Index q = 0; q < n; ++q, at.next()) {
        const Vec d = Eigen::Map<const Vec>(dz + (g0 + q) * F);
        dbias += d;
        for_each_patch_row(g, at, x, [&](Index k0, const S* xr, Index len) {
            S* wk = dw + k0 * F;
            for (Index e = 0; e < len; ++e) Eigen::Map<Vec>(wk + e * F) += d * xr[e];
        });
    }
    Eigen::Map<Vec>{db} = dbias;
}

/// The two kernels above for a runtime F (8 or 16: see direct_conv_fits).
template <class S>
void direct_conv_forward(const ConvGeometry& g, Index F, const S* w, const S* b, const S* x, Index g0, Index n, S* y) {
    if (F == 16) direct_conv_forward_block<16>(g, w, b, x, g0, n, y);
    else direct_conv_forward_block<8>(g, w, b, x, g0, n, y);
}
template <class S>
void direct_conv_kernel_grad(const ConvGeometry& g, Index F, const S* dz, const S* x, Index g0, Index n, S* dw, S* db) {
    if (F == 16) direct_conv_kernel_grad_block<16>(g, dz, x, g0, n, dw, db);
    else direct_conv_kernel_grad_block<8>(g, dz, x, g0, n, dw, db);
}

}  // namespace ae::detail
