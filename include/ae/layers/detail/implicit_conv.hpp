#pragma once
// Stride-1 convolution without a patch matrix ("implicit im2col"), used by Conv2D.
//
// Pad the input with zeros to the grid Hp × Wp = (OH + kh − 1) × (OW + kw − 1). Kernel row i of
// the patch of output pixel (oy, ox) is then the kw·C contiguous scalars that start at padded
// pixel (oy + i, ox), and the patches of consecutive grid pixels start C scalars apart. So, for
// each kernel row i, the patch rows of a whole block of samples form one matrix view with
// overlapping columns (kw·C rows, outer stride C) over the padded input, and
//   y_grid = Σ_i W_i · view_i        (W_i: F × kw·C, the kernel's columns for row i)
// is kh GEMMs that read the input where it lies. Nothing writes the kh·kw·C scalars per output
// pixel that im2col does, which dominated a conv epoch when a layer has few filters (the
// exercise's last Conv2D: 144 patch scalars for one output). The price is that the grid also
// computes outputs at its kw − 1 padding columns and kh − 1 padding rows, which are dropped.
//   grid column of (sample b, oy, ox) = b·Hp·Wp + oy·Wp + ox
// The kernel gradient is the same views transposed: dW_i += dz_grid · view_iᵀ, with dz placed on
// the grid and zero at the padding positions.
#include <algorithm>
#include <vector>

#include "ae/core/gemm.hpp"
#include "ae/core/matrix.hpp"
#include "ae/layers/detail/im2col.hpp"
#include "ae/layers/detail/short_copy.hpp"

namespace ae::detail {

inline Index grid_h(const ConvGeometry& g) { return g.out_h + g.k_h - 1; }
inline Index grid_w(const ConvGeometry& g) { return g.out_w + g.k_w - 1; }
inline Index grid_pixels(const ConvGeometry& g) { return grid_h(g) * grid_w(g); }

/// Grid columns that a block of nb samples computes: up to the last real output pixel.
inline Index grid_columns(const ConvGeometry& g, Index nb) {
    return (nb - 1) * grid_pixels(g) + (g.out_h - 1) * grid_w(g) + g.out_w;
}

/// Whether the geometry can run on the padded grid: stride 1, and the image fits in the grid
/// with its padding before (true for Keras' valid and same padding).
inline bool implicit_conv_fits(const ConvGeometry& g) {
    return g.s_h == 1 && g.s_w == 1 && g.pad_top >= 0 && g.pad_left >= 0 && g.pad_top + g.in_h <= grid_h(g) &&
           g.pad_left + g.in_w <= grid_w(g);
}

/// Samples per block: about 256 KB of padded input, at least one sample.
inline Index implicit_block_samples(const ConvGeometry& g, std::size_t scalar_bytes) {
    const Index per_sample = grid_pixels(g) * g.in_c * Index(scalar_bytes);
    return std::max<Index>(1, (Index(256) * 1024) / std::max<Index>(per_sample, 1));
}

/// xpad = samples [b0, b0 + nb) of x (in_size × B) on the zero-padded grid, Hp·Wp·C each.
template <class S>
void pad_samples(const ConvGeometry& g, const S* x, Index b0, Index nb, S* xpad) {
    const Index C = g.in_c, wp = grid_w(g), grid_row = wp * C, image_row = g.in_w * C;
    const Index right = (wp - g.pad_left - g.in_w) * C;
    for (Index b = 0; b < nb; ++b) {
        const S* xs = x + (b0 + b) * g.in_size();
        S* p = xpad + b * grid_pixels(g) * C;
        std::fill(p, p + g.pad_top * grid_row, S(0));
        for (Index iy = 0; iy < g.in_h; ++iy) {
            S* row = p + (g.pad_top + iy) * grid_row;
            zero_short(row, g.pad_left * C);
            copy_short(row + g.pad_left * C, xs + iy * image_row, image_row);
            zero_short(row + g.pad_left * C + image_row, right);
        }
        std::fill(p + (g.pad_top + g.in_h) * grid_row, p + grid_h(g) * grid_row, S(0));
    }
}

/// The patch rows of kernel row i for nb padded samples: kw·C × grid_columns, outer stride C.
template <class S>
Eigen::Map<const Matrix<S>, 0, Eigen::OuterStride<>> grid_patch_rows(const ConvGeometry& g, const S* xpad, Index i,
                                                                      Index nb) {
    return {xpad + i * grid_w(g) * g.in_c, g.k_w * g.in_c, grid_columns(g, nb), Eigen::OuterStride<>(g.in_c)};
}

/// y (F × out_pixels per sample, HWC columns) = W ⊛ x (+ bias when not null) for a batch of B
/// samples; thread t owns a contiguous range of samples. pad and grid are per-thread scratch.
template <class S>
void implicit_conv_forward(const ConvGeometry& g, const Matrix<S>& W, const S* bias, const S* x, Index B, S* y,
                           std::vector<Matrix<S>>& pad, std::vector<Matrix<S>>& grid) {
    const Index F = W.rows(), row = g.k_w * g.in_c, P = g.out_pixels(), wp = grid_w(g);
    const Index block = std::min(implicit_block_samples(g, sizeof(S)), B);
    const int nt = conv_threads(B, B * P * g.patch_size());
    ensure_capacity(pad, nt, block * grid_pixels(g) * g.in_c);
    ensure_capacity(grid, nt, F * grid_columns(g, block));
    for_each_block(B, 1, block, nt, [&](int t, Index b0, Index nb) {
        S* xpad = pad[std::size_t(t)].data();
        pad_samples(g, x, b0, nb, xpad);
        Eigen::Map<Matrix<S>> yg(grid[std::size_t(t)].data(), F, grid_columns(g, nb));  // F × grid columns
        for (Index i = 0; i < g.k_h; ++i) gemm(yg, W.middleCols(i * row, row), grid_patch_rows(g, xpad, i, nb), i > 0);
        for (Index b = 0; b < nb; ++b)  // keep the real pixels: one output row (F·OW scalars) at a time
            for (Index oy = 0; oy < g.out_h; ++oy)
                copy_short(y + ((b0 + b) * P + oy * g.out_w) * F, yg.data() + (b * grid_pixels(g) + oy * wp) * F,
                           g.out_w * F);
        if (bias) Eigen::Map<Matrix<S>>(y + b0 * P * F, F, nb * P).colwise() += Eigen::Map<const Vector<S>>(bias, F);
    });
}

/// dW_t[t] += dz ⊛ x for thread t's samples (the kernel gradient, F × kh·kw·C) and
/// db_t[t] += Σ dz; dz is F × out_pixels per sample. The caller zeroes and sums the per-thread
/// parts.
template <class S>
void implicit_conv_kernel_grad(const ConvGeometry& g, const S* dz, const S* x, Index B, std::vector<Matrix<S>>& dW_t,
                               std::vector<Matrix<S>>& db_t, std::vector<Matrix<S>>& pad,
                               std::vector<Matrix<S>>& grid, int nt) {
    const Index F = dW_t[0].rows(), row = g.k_w * g.in_c, P = g.out_pixels(), wp = grid_w(g);
    const Index block = std::min(implicit_block_samples(g, sizeof(S)), B);
    ensure_capacity(pad, nt, block * grid_pixels(g) * g.in_c);
    ensure_capacity(grid, nt, F * grid_columns(g, block));
    for_each_block(B, 1, block, nt, [&](int t, Index b0, Index nb) {
        S* xpad = pad[std::size_t(t)].data();
        pad_samples(g, x, b0, nb, xpad);
        Eigen::Map<Matrix<S>> dg(grid[std::size_t(t)].data(), F, grid_columns(g, nb));  // dz on the grid
        dg.setZero();
        for (Index b = 0; b < nb; ++b)
            for (Index oy = 0; oy < g.out_h; ++oy)
                copy_short(dg.data() + (b * grid_pixels(g) + oy * wp) * F, dz + ((b0 + b) * P + oy * g.out_w) * F,
                           g.out_w * F);
        Matrix<S>& dW = dW_t[std::size_t(t)];
        for (Index i = 0; i < g.k_h; ++i)
            gemm(dW.middleCols(i * row, row), dg, grid_patch_rows(g, xpad, i, nb).transpose(), true);
        db_t[std::size_t(t)] += Eigen::Map<const Matrix<S>>(dz + b0 * P * F, F, nb * P).rowwise().sum();
    });
}

}  // namespace ae::detail
