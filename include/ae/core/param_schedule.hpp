#pragma once
// Work over a model's parameters on ae's threads, in one of two ways:
//  - run(): one parameter per task (TerminateOnNaN's snapshot, which judges a parameter whole).
//    Parameters differ in size by 1000× (a kernel and its bias), so an even split of the list
//    would leave one thread with both big kernels. Tasks run largest first and are handed out
//    dynamically: each thread starts on a big kernel at once and the small ones fill in.
//  - run_split(): every parameter split into one contiguous range of elements per thread
//    (element-wise work: the optimizer's update, fit's zeroing of the gradients). A kernel is split
//    at the same columns (element_range) at which the dense layers sum their per-thread gradient
//    shares (layers/detail/affine.hpp), so each thread updates the part of the gradient its own
//    cache has just summed; a single kernel per thread made the other half cross between the
//    cores, and the update ran slower on 2 threads than on 1.
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

    /// Order the parameters largest first, note their shapes, and count their elements.
    void plan(const std::vector<Param<S>>& params) {
        shapes_.resize(params.size());
        for (std::size_t i = 0; i < params.size(); ++i) shapes_[i] = {params[i].value->rows(), params[i].value->cols()};
        order_.resize(params.size());
        for (std::size_t i = 0; i < params.size(); ++i) order_[i] = i;
        std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
            return params[a].value->size() > params[b].value->size();
        });
        elements_ = 0;
        for (const auto& p : params) elements_ += double(p.value->size());
    }
    /// Whether plan() saw a list of this length (a model's list does not change during fit).
    bool planned_for(const std::vector<Param<S>>& params) const { return order_.size() == params.size(); }

    /// fn(i) for every parameter index i, each on one thread. `cost_per_element` (in FLOPs, as
    /// threads_for counts them) decides whether a second thread is worth waking.
    template <class F>
    void run(double cost_per_element, F&& fn) const {
        const int threads = threads_for(Index(order_.size()), cost_per_element * elements_);
        if (threads <= 1) {  // no OpenMP region at all: even a serial one allocates in libgomp
            for (std::size_t i : order_) fn(i);
            return;
        }
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (std::size_t k = 0; k < order_.size(); ++k) fn(order_[k]);
#endif
    }

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
    std::vector<std::size_t> order_;
    double elements_ = 0;
};

}  // namespace ae
