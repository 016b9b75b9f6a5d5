#pragma once
// Thread control. Eigen's GEMM runs on OpenMP when built with -fopenmp.
#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/error.hpp"

namespace ae {

/// Number of threads used by ae's GEMMs and parallel loops.
inline void set_num_threads(int n) {
    if (n < 1) throw ConfigError("set_num_threads: expected n >= 1, got " + std::to_string(n));
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    Eigen::setNbThreads(n);
}

inline int num_threads() { return Eigen::nbThreads(); }

} // namespace ae
