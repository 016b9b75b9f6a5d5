#pragma once
// UpSampling2D: nearest-neighbour upsampling of HWC images by (sh, sw), as Keras:
//   y[oy, ox, c] = x[oy / sh, ox / sw, c];   backward: dx[iy, ix, c] = Σ of its sh·sw copies' dy.
#include "ae/core/layer.hpp"
#include "ae/core/parallel.hpp"
#include "ae/layers/detail/short_copy.hpp"
#include "ae/layers/padding.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class UpSampling2D : public Layer<S> {
public:
    explicit UpSampling2D(Size2D size = 2) : size_(size) {
        if (!size_.positive()) throw ConfigError("UpSampling2D: expected a positive size, got " + size_.str());
    }

    std::string type() const override { return "UpSampling2D"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, in_size(), "input");
        const Index B = x.cols(), C = c_, OW = w_ * size_.w, out = in_size() * size_.h * size_.w;
        ensure_size(y, out, B);
        parallel_for(B, double(B * in_size() * size_.h * size_.w), [&](Index b0, Index nb) {  // samples split across threads
            for (Index b = b0; b < b0 + nb; ++b) {
                const S* xs = x.data() + b * in_size();
                S* ys = y.data() + b * out;
                for (Index oy = 0; oy < h_ * size_.h; ++oy) {
                    const S* row = xs + (oy / size_.h) * w_ * C;
                    S* dst = ys + oy * OW * C;
                    for (Index ox = 0; ox < OW; ++ox) {
                        const S* src = row + (ox / size_.w) * C;
                        detail::copy_short(dst + ox * C, src, C);
                    }
                }
            }
        });
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->output_shape().size(), "output gradient");
        if (!this->input_grad_needed_) return;
        const Index B = dy.cols(), C = c_, OW = w_ * size_.w, out = dy.rows();
        ensure_size(dx, in_size(), B);
        parallel_for(B, double(B * in_size() * size_.h * size_.w), [&](Index b0, Index nb) {  // samples split across threads
            for (Index b = b0; b < b0 + nb; ++b) {
                S* dxs = dx.data() + b * in_size();
                std::fill(dxs, dxs + in_size(), S(0));
                const S* dys = dy.data() + b * out;
                for (Index oy = 0; oy < h_ * size_.h; ++oy) {
                    S* row = dxs + (oy / size_.h) * w_ * C;
                    const S* src = dys + oy * OW * C;
                    for (Index ox = 0; ox < OW; ++ox) {
                        S* d = row + (ox / size_.w) * C;
                        detail::add_short(d, src + ox * C, C);
                    }
                }
            }
        });
    }

    Config config() const override {
        Config c;
        c.set("size", Shape{size_.h, size_.w});
        return c;
    }

    static std::shared_ptr<UpSampling2D> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "UpSampling2D", 0, 0);
        const Shape s = a.config.get_shape("size");
        if (s.rank() != 2) throw FormatError("UpSampling2D: expected a size of two values, got " + s.str());
        return std::make_shared<UpSampling2D>(Size2D(s[0], s[1]));
    }

    Size2D size() const {
        return size_;
    }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (in.rank() != 3)
            throw ShapeError(this->describe() + ": expected an image input shape {H, W, C}, got " + in.str() +
                             " (add a Reshape layer before it)");
        h_ = in[0];
        w_ = in[1];
        c_ = in[2];
        return Shape{h_ * size_.h, w_ * size_.w, c_};
    }

private:
    Index in_size() const {
        return h_ * w_ * c_;
    }
    Size2D size_;
    Index h_ = 0, w_ = 0, c_ = 0;
};

}  // namespace ae
