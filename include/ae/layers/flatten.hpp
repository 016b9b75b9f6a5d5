#pragma once
// Flatten: any per-sample shape → {size}. A column is already the sample in row-major (HWC)
// order, Keras' flattening order, so the data passes through unchanged.
#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Flatten : public Layer<S> {
public:
    Flatten() = default;
    std::string type() const override { return "Flatten"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, this->input_shape().size(), "input");
        ensure_size(y, x.rows(), x.cols());
        y = x;
    }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->output_shape().size(), "output gradient");
        if (!this->input_grad_needed_) return;
        ensure_size(dx, dy.rows(), dy.cols());
        dx = dy;
    }

    static std::shared_ptr<Flatten> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Flatten", 0, 0);
        return std::make_shared<Flatten>();
    }

protected:
    Shape do_build(const Shape& in, Rng&) override { return Shape{in.size()}; }
};

}  // namespace ae
