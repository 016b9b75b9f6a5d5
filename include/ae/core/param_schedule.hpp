#pragma once
// Work over a model's parameters, one parameter per task, on ae's threads: the optimizer's
// update, fit's zeroing of the gradients, TerminateOnNaN's snapshot.
//
// A model's parameters differ in size by 1000× (a kernel and its bias), so an even split of the
// list would leave one thread with both big kernels. Tasks run largest first and are handed out
// dynamically: each thread starts on a big kernel at once and the small ones fill in.
#include <algorithm>
#include <cstddef>
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

    /// Order the parameters largest first, and count their elements.
    void plan(const std::vector<Param<S>>& params) {
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

private:
    std::vector<std::size_t> order_;
    double elements_ = 0;
};

}  // namespace ae
