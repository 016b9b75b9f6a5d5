#pragma once
// Copies, additions and fills of short runs of scalars (a pixel's channels, a patch row: 3..100
// scalars), written as loops of fixed 8-scalar packets. std::copy and std::fill become calls to
// memmove and memset, and for runs this short the call costs more than the copy: in a conv
// epoch's profile they took 14% of the time before these replaced them.
#include "ae/core/matrix.hpp"

namespace ae::detail {

template <class S>
inline void copy_short(S* dst, const S* src, Index n) {
    using Packet = Eigen::Matrix<S, 8, 1>;
    Index k = 0;
    for (; k + 8 <= n; k += 8) Eigen::Map<Packet>(dst + k) = Eigen::Map<const Packet>(src + k);
    for (; k < n; ++k) dst[k] = src[k];
}

template <class S>
inline void add_short(S* dst, const S* src, Index n) {
    using Packet = Eigen::Matrix<S, 8, 1>;
    Index k = 0;
    for (; k + 8 <= n; k += 8) Eigen::Map<Packet>(dst + k) += Eigen::Map<const Packet>(src + k);
    for (; k < n; ++k) dst[k] += src[k];
}

template <class S>
inline void zero_short(S* dst, Index n) {
    using Packet = Eigen::Matrix<S, 8, 1>;
    Index k = 0;
    for (; k + 8 <= n; k += 8) Eigen::Map<Packet>(dst + k).setZero();
    for (; k < n; ++k) dst[k] = S(0);
}

}  // namespace ae::detail
