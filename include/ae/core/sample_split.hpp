#pragma once
// SampleSplit: layers whose passes treat every sample (column) on its own, except that parameter
// gradients are summed over the batch (Dense, DenseTranspose). Each pass comes in pieces:
//   prepare (shapes, buffers; on one thread) → columns (one range of samples per thread)
//   → in backward, after all threads' columns: add_shares (each thread sums the threads'
//     gradient shares over its own part of each gradient, element_range).
// A layer's own forward and backward run the pieces as one parallel job (split_forward and
// split_backward below). fit runs the pieces of ALL layers of a model made only of such layers in
// one parallel region per training step (training/sample_parallel_step.hpp): each thread carries
// its samples through every layer, forward and back, and the threads meet twice per step instead
// of at every layer, since no layer needs another thread's samples.
#include <utility>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/matrix.hpp"
#include "ae/core/parallel.hpp"

namespace ae {

/// Thread t of nt's samples of a batch: [begin, begin + count), whole SIMD packets of columns.
/// Forward and backward use the same split, so a thread reads back only what it wrote.
inline std::pair<Index, Index> sample_range(Index batch, Index t, Index nt) {
    const Index begin = split_point(batch, t, nt, 16);
    return {begin, split_point(batch, t + 1, nt, 16) - begin};
}

template <class S>
class SampleSplit {
public:
    virtual ~SampleSplit() = default;

    /// Check x, size y (and the layer's buffers) for its batch, and remember both until backward.
    /// Returns the pass's work in FLOPs (as threads_for counts them).
    virtual double forward_prepare(const Matrix<S>& x, Matrix<S>& y) = 0;
    /// The prepared forward pass on samples [c, c + n), on the calling thread.
    virtual void forward_columns(Index c, Index n) = 0;

    /// Check g (dy, or dz when from_logits: the loss fused with the layer's activation), size dx
    /// (untouched when the layer's input gradient is not needed) and the gradient shares of up to
    /// `threads` threads. Returns the pass's work in FLOPs.
    virtual double backward_prepare(const Matrix<S>& g, Matrix<S>& dx, bool from_logits, int threads) = 0;
    /// Thread t of nt: its samples' dz and dx, and its share of the parameter gradients (thread 0
    /// adds its share into the gradients themselves, the others keep theirs apart).
    virtual void backward_samples(Index t, Index nt) = 0;
    /// After every thread's backward_samples: thread t adds the other threads' shares into its
    /// part (element_range) of each parameter gradient.
    virtual void add_shares(Index t, Index nt) = 0;
};

/// A layer's whole forward pass as one parallel job.
template <class S>
void split_forward(SampleSplit<S>& layer, const Matrix<S>& x, Matrix<S>& y) {
    const double work = layer.forward_prepare(x, y);
    parallel_for(x.cols(), work, [&](Index c, Index n) { layer.forward_columns(c, n); }, 16);
}

/// A layer's whole backward pass as one parallel job: the samples, one barrier, the shares' sum.
template <class S>
void split_backward(SampleSplit<S>& layer, const Matrix<S>& g, Matrix<S>& dx, bool from_logits) {
    const double work = layer.backward_prepare(g, dx, from_logits, max_threads());
    const int threads = threads_for(g.cols(), work, 16);
    if (threads <= 1) {
        layer.backward_samples(0, 1);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
        const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
        layer.backward_samples(t, nt);
#pragma omp barrier
        layer.add_shares(t, nt);
    }
#endif
}

}  // namespace ae
