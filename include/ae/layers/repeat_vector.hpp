#pragma once
// RepeatVector(n): {F} → {n, F}, the same vector at every step (Keras' RepeatVector).
//   y.middleRows(t·F, F) = x for t < n;   backward: dx = Σ_t dy.middleRows(t·F, F).
#include <string>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class RepeatVector : public Layer<S> {
public:
    explicit RepeatVector(Index n) : n_(n) {
        if (n <= 0) throw ConfigError("RepeatVector: expected n > 0, got " + std::to_string(n));
    }

    std::string type() const override { return "RepeatVector"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, F_, "input");
        ensure_size(y, n_ * F_, x.cols());
        for (Index t = 0; t < n_; ++t) y.middleRows(t * F_, F_) = x;  // F × batch each
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, n_ * F_, "output gradient");
        if (!this->input_grad_needed_) return;
        ensure_size(dx, F_, dy.cols());
        dx = dy.topRows(F_);
        for (Index t = 1; t < n_; ++t) dx += dy.middleRows(t * F_, F_);
    }

    Config config() const override {
        Config c;
        c.set("n", n_);
        return c;
    }

    static std::shared_ptr<RepeatVector> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "RepeatVector", 0, 0);
        return std::make_shared<RepeatVector>(Index(a.config.get_int("n")));
    }

    Index n() const { return n_; }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (in.rank() != 1)
            throw ShapeError("RepeatVector: expected a vector input shape {F}, got " + in.str() +
                             " (add a Flatten layer before it)");
        F_ = in[0];
        return Shape{n_, F_};
    }

private:
    Index n_, F_ = 0;
};

}  // namespace ae
