#pragma once
// Reshape: the per-sample shape becomes `target_shape` (same number of scalars). Columns are
// row-major (HWC) like Keras' tensors, so the data passes through unchanged.
#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Reshape : public Layer<S> {
public:
    explicit Reshape(Shape target_shape) : target_(std::move(target_shape)) {
        if (target_.empty()) throw ConfigError("Reshape: expected a non-empty target shape");
    }
    std::string type() const override { return "Reshape"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, target_.size(), "input");
        ensure_size(y, x.rows(), x.cols());
        y = x;
    }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, target_.size(), "output gradient");
        if (!this->input_grad_needed_) return;
        ensure_size(dx, dy.rows(), dy.cols());
        dx = dy;
    }

    Config config() const override {
        Config c;
        c.set("target_shape", target_);
        return c;
    }
    static std::shared_ptr<Reshape> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Reshape", 0, 0);
        return std::make_shared<Reshape>(a.config.get_shape("target_shape"));
    }

    const Shape& target_shape() const { return target_; }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (in.size() != target_.size())
            throw ShapeError(this->describe() + ": cannot reshape " + in.str() + " (" + std::to_string(in.size()) +
                             " values) to " + target_.str() + " (" + std::to_string(target_.size()) + " values)");
        return target_;
    }

private:
    Shape target_;
};

}  // namespace ae
