#pragma once
// The one data type: a column-major Eigen matrix, one sample per column (features x batch).
#include <Eigen/Core>

namespace ae {

using Index = Eigen::Index;

template <class S = float>
using Matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

template <class S = float>
using Vector = Eigen::Matrix<S, Eigen::Dynamic, 1>;

/// Resize only when the shape changes, so steady-state batches allocate nothing.
template <class S>
inline void ensure_size(Matrix<S>& m, Index rows, Index cols) {
    if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
}

} // namespace ae
