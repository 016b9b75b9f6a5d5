#pragma once
// Element-wise work over a model's parameters on ae's threads (the optimizer's update, fit's
// zeroing of the gradients, TerminateOnNaN's snapshot): run_split hands each thread one contiguous
// range of elements of every parameter. A kernel is split at the same columns (element_range) at
// which the dense layers sum their per-thread gradient shares (layers/detail/affine.hpp), so each
// thread updates the part of the gradient its own cache has just summed, and the snapshot copies
// the part its own cache has just updated. A single kernel per thread made the other half cross
// between the cores, and the update ran slower on 2 threads than on 1.
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/parallel.hpp"
#include "ae/core/param.hpp"

namespace ae {

template <class S>
class ParamSchedule {
public:
    ParamSchedule() = default;
    explicit ParamSchedule(const std::vector<Param<S>>& params) { plan(params); }

    /// Note the parameters' shapes and count their elements.
    void plan(const std::vector<Param<S>>& params) {
        shapes_.resize(params.size());
        elements_ = 0;
        for (std::size_t i = 0; i < params.size(); ++i) {
            shapes_[i] = {params[i].value->rows(), params[i].value->cols()};
            elements_ += double(params[i].value->size());
        }
    }
    /// Whether plan() saw a list of this length (a model's list does not change during fit).
    bool planned_for(const std::vector<Param<S>>& params) const { return shapes_.size() == params.size(); }

    /// fn(i, begin, count) for every parameter index i, once per thread, on that thread's range
    /// [begin, begin + count) of the parameter's elements (column-major, as its data() holds them).
    /// Ranges are element_range's (core/parallel.hpp). Empty ranges are skipped.
    template <class F>
    void run_split(double cost_per_element, F&& fn) const {
        const int threads = threads_for(Index(elements_), cost_per_element * elements_, 16);
        if (threads <= 1) {
            for (std::size_t i = 0; i < shapes_.size(); ++i) {
                const Index size = shapes_[i].first * shapes_[i].second;
                if (size > 0) fn(i, Index(0), size);
            }
            return;
        }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
        run_thread(omp_get_thread_num(), omp_get_num_threads(), fn);
#endif
    }

    /// Thread t of nt's part of run_split, for a caller already inside a parallel region.
    template <class F>
    void run_thread(Index t, Index nt, F&& fn) const {
        for (std::size_t i = 0; i < shapes_.size(); ++i) {
            const auto [begin, count] = element_range(shapes_[i].first, shapes_[i].second, t, nt);
            if (count > 0) fn(i, begin, count);
        }
    }

private:
    std::vector<std::pair<Index, Index>> shapes_;  // rows, columns
    double elements_ = 0;
};

}  // namespace ae
