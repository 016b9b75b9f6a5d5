#pragma once
// Per-sample shape: how one column is laid out.
//   vectors {n}; images {H, W, C} channels last (HWC); sequences {T, F} (step-major).
#include <initializer_list>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"

namespace ae {

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<Index> dims) : dims_(dims) { validate(); }
    explicit Shape(std::vector<Index> dims) : dims_(std::move(dims)) { validate(); }

    /// Number of scalars in one sample (the column height).
    Index size() const {
        Index n = 1;
        for (Index d : dims_) n *= d;
        return dims_.empty() ? 0 : n;
    }
    std::size_t rank() const { return dims_.size(); }
    bool empty() const { return dims_.empty(); }
    Index operator[](std::size_t i) const { return dims_.at(i); }
    const std::vector<Index>& dims() const { return dims_; }

    bool operator==(const Shape&) const = default;

    /// "{28, 28, 1}"
    std::string str() const {
        std::string s = "{";
        for (std::size_t i = 0; i < dims_.size(); ++i) {
            if (i) s += ", ";
            s += std::to_string(dims_[i]);
        }
        return s + "}";
    }

private:
    void validate() const {
        for (Index d : dims_)
            if (d <= 0) throw ShapeError("Shape: every dimension must be positive, got " + str());
    }
    std::vector<Index> dims_;
};

} // namespace ae
