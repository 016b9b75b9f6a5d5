#pragma once
// Patch extraction shared by Conv2D (im2col forward, col2im backward) and Conv2DTranspose
// (the adjoint: col2im forward, im2col backward), so the index arithmetic lives in one place.
//
// Geometry of a convolution from an H×W×C input (HWC columns, one sample per column) to an
// OH×OW output with a kh×kw window, strides sh, sw and padding pad_top, pad_left.
//   cols: (kh·kw·C) × (OH·OW·B); column g = p + b·OH·OW for output pixel p = oy·OW + ox of
//         sample b; row (i·kw + j)·C + c holds x[oy·sh − pad_top + i, ox·sw − pad_left + j, c]
//         of that sample, or 0 outside the image.
// With C contiguous per pixel, one kernel row of a patch is kw·C contiguous input scalars.
//
// The batch is processed in blocks of output columns so that a block's patches stay in the
// L2 cache (a whole batch's patches can exceed 100 MB); each thread owns whole samples, so
// col2im's scatter-adds never race.
#include <algorithm>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/matrix.hpp"
#include "ae/layers/detail/short_copy.hpp"

namespace ae::detail {

struct ConvGeometry {
    Index in_h = 0, in_w = 0, in_c = 0;
    Index k_h = 0, k_w = 0, s_h = 1, s_w = 1;
    Index pad_top = 0, pad_left = 0;
    Index out_h = 0, out_w = 0;

    Index in_size() const { return in_h * in_w * in_c; }
    Index out_pixels() const { return out_h * out_w; }
    Index patch_size() const { return k_h * k_w * in_c; }
};

/// Walks output columns g0, g0 + 1, ... of a batch in order, keeping the sample and output pixel
/// without a division per column.
struct PatchCursor {
    const ConvGeometry& g;
    Index b, oy, ox;
    PatchCursor(const ConvGeometry& geometry, Index g0)
        : g(geometry), b(g0 / geometry.out_pixels()), oy(g0 % geometry.out_pixels() / geometry.out_w),
          ox(g0 % geometry.out_w) {}
    Index y0() const { return oy * g.s_h - g.pad_top; }  // the window's top input row
    Index x0() const { return ox * g.s_w - g.pad_left; }  // the window's left input column
    void next() {
        if (++ox < g.out_w) return;
        ox = 0;
        if (++oy < g.out_h) return;
        oy = 0;
        ++b;
    }
};

/// cols(:, 0..n) = patches of output columns [g0, g0 + n) of the batch x (in_size × B).
template <class S>
void im2col_block(const ConvGeometry& g, const S* x, Index g0, Index n, S* cols) {
    const Index K = g.patch_size(), C = g.in_c, row = g.k_w * C;
    PatchCursor at(g, g0);
    for (Index q = 0; q < n; ++q, at.next()) {
        const Index y0 = at.y0(), x0 = at.x0();
        const Index j_lo = std::max<Index>(0, -x0), j_hi = std::min(g.k_w, g.in_w - x0);  // kernel columns inside
        const S* xs = x + at.b * g.in_size();
        S* out = cols + q * K;
        for (Index i = 0; i < g.k_h; ++i, out += row) {
            const Index iy = y0 + i;
            if (iy < 0 || iy >= g.in_h || j_lo >= j_hi) {
                zero_short(out, row);
                continue;
            }
            zero_short(out, j_lo * C);
            copy_short(out + j_lo * C, xs + (iy * g.in_w + x0 + j_lo) * C, (j_hi - j_lo) * C);
            zero_short(out + j_hi * C, (g.k_w - j_hi) * C);
        }
    }
}

/// The adjoint of im2col_block: dx += scatter of cols(:, 0..n) into the batch dx (in_size × B).
template <class S>
void col2im_block(const ConvGeometry& g, const S* cols, Index g0, Index n, S* dx) {
    const Index K = g.patch_size(), C = g.in_c, row = g.k_w * C;
    PatchCursor at(g, g0);
    for (Index q = 0; q < n; ++q, at.next()) {
        const Index y0 = at.y0(), x0 = at.x0();
        const Index j_lo = std::max<Index>(0, -x0), j_hi = std::min(g.k_w, g.in_w - x0);
        if (j_lo >= j_hi) continue;
        S* xs = dx + at.b * g.in_size();
        const S* in = cols + q * K;
        for (Index i = 0; i < g.k_h; ++i, in += row) {
            const Index iy = y0 + i;
            if (iy < 0 || iy >= g.in_h) continue;
            add_short(xs + (iy * g.in_w + x0 + j_lo) * C, in + j_lo * C, (j_hi - j_lo) * C);
        }
    }
}

/// Number of threads for a batch of `samples` whose pass touches about `work` scalars: at most
/// one per sample, and one when the pass is too small to repay waking a thread.
inline int conv_threads(Index samples, Index work = Index(1) << 30) {
#ifdef _OPENMP
    if (work < (Index(1) << 17)) return 1;
    return int(std::max<Index>(1, std::min<Index>(omp_get_max_threads(), samples)));
#else
    (void)samples;
    (void)work;
    return 1;
#endif
}

inline int conv_thread_id() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/// Default block width (columns of patches per GEMM): about 256 KB of patches, at least 64.
inline Index default_block_columns(Index patch_size, std::size_t scalar_bytes) {
    const Index target = Index((256 * 1024) / scalar_bytes);
    return std::max<Index>(64, target / std::max<Index>(patch_size, 1));
}

/// Run fn(thread, g0, n) over blocks of at most `block` output columns of a batch of `samples`
/// samples with `pixels` columns each. Thread t owns the samples [t·B/T, (t+1)·B/T) and walks
/// its blocks in order, so writes into per-sample storage never race.
template <class Fn>
void for_each_block(Index samples, Index pixels, Index block, int threads, Fn&& fn) {
    auto run = [&](int t, int nt) {
        const Index lo = samples * t / nt, hi = samples * (t + 1) / nt;
        for (Index g0 = lo * pixels, end = hi * pixels; g0 < end; g0 += block) fn(t, g0, std::min(block, end - g0));
    };
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        run(omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    (void)threads;
    run(0, 1);
}

/// Per-thread scratch matrices, grown only when the thread count or size changes.
template <class S>
void ensure_scratch(std::vector<Matrix<S>>& v, int threads, Index rows, Index cols) {
    if (v.size() < std::size_t(threads)) v.resize(std::size_t(threads));
    for (auto& m : v) ensure_size(m, rows, cols);
}

/// Per-thread flat buffers of at least `size` scalars (viewed through Maps), grown only.
template <class S>
void ensure_capacity(std::vector<Matrix<S>>& v, int threads, Index size) {
    if (v.size() < std::size_t(threads)) v.resize(std::size_t(threads));
    for (auto& m : v)
        if (m.size() < size) m.resize(size, 1);
}

}  // namespace ae::detail
