#pragma once
// fit's training step for a model made only of SampleSplit layers (Dense, DenseTranspose; see
// core/sample_split.hpp) and a loss that splits samples too (BCE from logits, MSE):
//
//   one parallel region, each thread on its own samples (sample_range):
//     gather its samples → zero its part of the gradients → forward through every layer → loss
//     ── barrier (every gradient zeroed before any thread adds its share) ──
//     backward through every layer (dz, dx, its share of the parameter gradients)
//     ── barrier (every share complete) ──
//     add the shares, each thread over its part of each gradient (element_range)
//   then fit's optimizer step, which updates each part on the thread that summed it.
// (Running the update inside the region too made no difference I could measure: within ±2%.)
//
// No layer needs another thread's samples, so the threads meet twice per step instead of at every
// layer's job (about 15 times for the vanilla model); every meeting waits for the slower thread.
// Measured on the vanilla MNIST model, the layer-by-layer and this step's builds run in turn, 3
// times each (median of 5 one-epoch fits per thread count): the 2-thread epoch 0.440 → 0.426 s,
// the 1 → 2 thread speed-up 1.47 → 1.55.
//
// The arithmetic is the layers' own pieces, split at the same samples, so this step gives the
// layer-by-layer step's weights bit for bit on one thread, and on more threads whenever each
// layer's backward job there was large enough to be split (the vanilla model at batch 256). A
// layer whose job was too small to split (threads_for) has its gradient summed from per-thread
// shares here: then the last bits differ.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/param_schedule.hpp"
#include "ae/core/sample_split.hpp"
#include "ae/losses/loss.hpp"

namespace ae {
template <class S>
class Sequential;

namespace detail {

template <class S>
class SampleParallelStep {
public:
    /// The step for `model` trained with `loss` (from the logits when from_logits), or nullptr
    /// when a layer or the loss cannot split samples, or a container is not a plain Sequential
    /// (or Autoencoder), whose forward and backward are the chain of its children's.
    static std::unique_ptr<SampleParallelStep> plan(Layer<S>& model, const Loss<S>& loss, bool from_logits) {
        std::unique_ptr<SampleParallelStep> step(new SampleParallelStep);
        if (!loss.splits_samples(from_logits) || !step->collect(model) || step->layers_.empty()) return nullptr;
        step->loss_ = &loss;
        step->from_logits_ = from_logits;
        const std::size_t n = step->layers_.size();
        step->acts_.resize(n + 1);
        step->grads_.resize(n + 1);
        return step;
    }

    /// One step on the samples order[start, start + nb) of x, with targets y (x itself when y is
    /// null): the gradients of `schedule`'s parameters are zeroed, then set. Returns the batch's
    /// loss (the layers here add no extra losses).
    S run(const Matrix<S>& x, const Matrix<S>* y, const std::vector<Index>& order, Index start, Index nb,
          const ParamSchedule<S>& schedule, const std::vector<Param<S>>& params) {
        const std::size_t n = layers_.size();
        Matrix<S>& xb = acts_[0];
        ensure_size(xb, x.rows(), nb);
        if (y) ensure_size(yb_, y->rows(), nb);
        const Matrix<S>& target = y ? yb_ : xb;

        // Prepare every pass on this thread: shapes checked, buffers sized (nothing allocates
        // once they have their sizes), work counted to choose the thread count.
        double work = memory_cost * double(x.rows() + (y ? y->rows() : 0)) * double(nb);
        for (std::size_t l = 0; l < n; ++l) work += layers_[l]->forward_prepare(acts_[l], acts_[l + 1]);
        const Matrix<S>& out = acts_[n];  // fit has checked that targets have the output's shape
        ensure_size(grads_[n], out.rows(), nb);
        const int threads = max_threads();
        for (std::size_t l = n; l-- > 0;)
            work += layers_[l]->backward_prepare(grads_[l + 1], grads_[l], from_logits_ && l + 1 == n, threads);
        const Matrix<S>* z = from_logits_ ? last_->logits() : nullptr;
        if (from_logits_ && !z) throw Error(last_->describe() + ": expected its logits to be kept for the loss");

        std::array<double, 256> partial{};
        auto samples_forward = [&](Index t, Index nt) {
            const auto [c, m] = sample_range(nb, t, nt);
            for (Index j = c; j < c + m; ++j) xb.col(j) = x.col(order[std::size_t(start + j)]);
            if (y)
                for (Index j = c; j < c + m; ++j) yb_.col(j) = y->col(order[std::size_t(start + j)]);
            schedule.run_thread(t, nt, [&](std::size_t i, Index begin, Index count) {
                params[i].grad->reshaped().segment(begin, count).setZero();
            });
            if (m > 0) {
                for (std::size_t l = 0; l < n; ++l) layers_[l]->forward_columns(c, m);
                partial[std::size_t(t)] = loss_->sum_and_gradient_columns(z, out, target, grads_[n], c, m);
            }
        };
        auto samples_backward = [&](Index t, Index nt) {
            for (std::size_t l = n; l-- > 0;) layers_[l]->backward_samples(t, nt);
        };
        const int used = std::min(threads_for(nb, work, 16), int(partial.size()));
        if (used <= 1) {
            samples_forward(0, 1);
            samples_backward(0, 1);
        } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(used)
            {
                const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
                samples_forward(t, nt);
#pragma omp barrier
                samples_backward(t, nt);
#pragma omp barrier
                for (auto* layer : layers_) layer->add_shares(t, nt);
            }
#endif
        }
        double sum = 0;  // in thread order: the loss depends on the thread count only
        for (int t = 0; t < std::max(used, 1); ++t) sum += partial[std::size_t(t)];
        return loss_->reduce(sum, out);
    }

private:
    SampleParallelStep() = default;

    bool collect(Layer<S>& layer) {
        if (auto* split = layer.sample_split()) {
            // A layer used twice in the chain keeps one pass's state: leave it to the layer-by-layer step.
            if (std::find(layers_.begin(), layers_.end(), split) != layers_.end()) return false;
            layers_.push_back(split);
            last_ = &layer;
            return true;
        }
        const std::string type = layer.type();
        if (!dynamic_cast<Sequential<S>*>(&layer) || (type != "Sequential" && type != "Autoencoder")) return false;
        for (auto& child : layer.children())
            if (!collect(*child)) return false;
        return true;
    }

    std::vector<SampleSplit<S>*> layers_;  // the model's layers, in order (containers flattened)
    Layer<S>* last_ = nullptr;
    const Loss<S>* loss_ = nullptr;
    bool from_logits_ = false;
    std::vector<Matrix<S>> acts_, grads_;  // acts_[0]: the batch; acts_[l + 1], grads_[l + 1]: layer l's
    Matrix<S> yb_;
};

}  // namespace detail
}  // namespace ae
