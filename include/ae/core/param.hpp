#pragma once
// A named view of one trainable tensor and its gradient, owned by a layer.
#include <string>

#include "ae/core/matrix.hpp"

namespace ae {

template <class S>
struct Param {
    std::string name;        // "dense_1/kernel"
    Matrix<S>* value;        // storage owned by the layer
    Matrix<S>* grad;         // same shape; layers add (+=) into it
    bool trainable = true;   // false: the optimizer leaves it alone
};

} // namespace ae
