#pragma once
// Thread control. Eigen's GEMM runs on OpenMP when built with -fopenmp.
#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/error.hpp"

namespace ae {

/// Number of threads used by ae's products and parallel loops (OpenMP's thread count).
inline void set_num_threads(int n) {
    if (n < 1) throw ConfigError("set_num_threads: expected n >= 1, got " + std::to_string(n));
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    // ae splits its products across threads itself (core/parallel_product.hpp); Eigen's own
    // parallel GEMM spin-waits between phases and collapses when another process holds a core.
    // The CMake target defines EIGEN_DONT_PARALLELIZE; this covers builds without it.
    Eigen::setNbThreads(1);
}

inline int num_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

} // namespace ae
