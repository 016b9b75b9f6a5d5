#pragma once
// MaxPool2D: the maximum of each pool window, per channel, on HWC images.
//   x: (H·W·C) × batch, y: (OH·OW·C) × batch, sizes and padding as Keras (layers/padding.hpp);
//   same-padded windows ignore the padding (it never wins, as -inf in TensorFlow).
// Backward routes each output gradient to the input that won its window (the first one on a
// tie), stored by forward in training mode: dx[argmax] += dy.
#include <optional>
#include <vector>

#include "ae/core/layer.hpp"
#include "ae/core/parallel.hpp"
#include "ae/layers/detail/im2col.hpp"
#include "ae/layers/padding.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class MaxPool2D : public Layer<S> {
public:
    /// strides default to the pool size (Keras' strides=None).
    explicit MaxPool2D(Size2D pool_size = 2, std::optional<Size2D> strides = std::nullopt,
                       Padding padding = Padding::valid)
        : pool_(pool_size), strides_(strides.value_or(pool_size)), padding_(padding) {
        if (!pool_.positive()) throw ConfigError("MaxPool2D: expected a positive pool size, got " + pool_.str());
        if (!strides_.positive()) throw ConfigError("MaxPool2D: expected positive strides, got " + strides_.str());
    }

    std::string type() const override { return "MaxPool2D"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        this->check_rows(x, g_.in_size(), "input");
        const Index B = x.cols(), C = g_.in_c, out_size = g_.out_pixels() * C;
        ensure_size(y, out_size, B);
        const bool keep = mode == Mode::training;
        if (keep && argmax_.size() != std::size_t(out_size * B)) argmax_.resize(std::size_t(out_size * B));
        argmax_batch_ = keep ? B : 0;
        parallel_for(B, double(B * g_.in_size()), [&](Index b0, Index nb) {  // samples split across threads
            for (Index b = b0; b < b0 + nb; ++b) {
                const S* xs = x.data() + b * g_.in_size();
                S* ys = y.data() + b * out_size;
                Index* arg = keep ? argmax_.data() + b * out_size : nullptr;
                pool_sample(xs, ys, arg);
            }
        });
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->output_shape().size(), "output gradient");
        if (argmax_batch_ != dy.cols())
            throw ShapeError(this->describe() + ": backward needs a training-mode forward pass of the same batch (" +
                             std::to_string(dy.cols()) + " samples) first");
        if (!this->input_grad_needed_) return;
        const Index B = dy.cols(), out_size = dy.rows();
        ensure_size(dx, g_.in_size(), B);
        parallel_for(B, double(B * g_.in_size()), [&](Index b0, Index nb) {  // samples split across threads
            for (Index b = b0; b < b0 + nb; ++b) {
                S* dxs = dx.data() + b * g_.in_size();
                std::fill(dxs, dxs + g_.in_size(), S(0));
                const S* dys = dy.data() + b * out_size;
                const Index* arg = argmax_.data() + b * out_size;
                for (Index o = 0; o < out_size; ++o) dxs[arg[o]] += dys[o];
            }
        });
    }

    Config config() const override {
        Config c;
        c.set("pool_size", Shape{pool_.h, pool_.w})
            .set("strides", Shape{strides_.h, strides_.w})
            .set("padding", to_string(padding_));
        return c;
    }

    static std::shared_ptr<MaxPool2D> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "MaxPool2D", 0, 0);
        const Shape p = a.config.get_shape("pool_size"), s = a.config.get_shape("strides");
        if (p.rank() != 2 || s.rank() != 2)
            throw FormatError("MaxPool2D: expected pool_size and strides of two values, got " + p.str() + " and " +
                              s.str());
        return std::make_shared<MaxPool2D>(Size2D(p[0], p[1]), Size2D(s[0], s[1]),
                                           padding_from_string(a.config.get("padding")));
    }

    Size2D pool_size() const {
        return pool_;
    }
    Size2D strides() const {
        return strides_;
    }
    Padding padding() const {
        return padding_;
    }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (in.rank() != 3)
            throw ShapeError(this->describe() + ": expected an image input shape {H, W, C}, got " + in.str() +
                             " (add a Reshape layer before it)");
        g_.in_h = in[0];
        g_.in_w = in[1];
        g_.in_c = in[2];
        g_.k_h = pool_.h;
        g_.k_w = pool_.w;
        g_.s_h = strides_.h;
        g_.s_w = strides_.w;
        g_.out_h = conv_output_length(g_.in_h, g_.k_h, g_.s_h, padding_);
        g_.out_w = conv_output_length(g_.in_w, g_.k_w, g_.s_w, padding_);
        if (g_.out_h <= 0 || g_.out_w <= 0)
            throw ShapeError(this->describe() + ": pool " + pool_.str() + " is larger than its " + to_string(padding_) +
                             "-padded input " + in.str());
        g_.pad_top = conv_pad_before(g_.in_h, g_.k_h, g_.s_h, padding_);
        g_.pad_left = conv_pad_before(g_.in_w, g_.k_w, g_.s_w, padding_);
        return Shape{g_.out_h, g_.out_w, g_.in_c};
    }

private:
    // y, arg: OH·OW·C for one sample; the window is clipped to the image (padding never wins).
    void pool_sample(const S* x, S* y, Index* arg) const {
        if (arg)
            pool_sample_impl<true>(x, y, arg);
        else
            pool_sample_impl<false>(x, y, arg);
    }

    // The channel loops are branch-free (selects), so they vectorize; a strict > keeps the first
    // maximum on ties.
    template <bool keep_argmax>
    void pool_sample_impl(const S* x, S* y, Index* arg) const {
        const Index C = g_.in_c;
        for (Index oy = 0; oy < g_.out_h; ++oy) {
            const Index y0 = std::max<Index>(oy * g_.s_h - g_.pad_top, 0);
            const Index y1 = std::min(oy * g_.s_h - g_.pad_top + g_.k_h, g_.in_h);
            for (Index ox = 0; ox < g_.out_w; ++ox) {
                const Index x0 = std::max<Index>(ox * g_.s_w - g_.pad_left, 0);
                const Index x1 = std::min(ox * g_.s_w - g_.pad_left + g_.k_w, g_.in_w);
                S* out = y + (oy * g_.out_w + ox) * C;
                Index* a = keep_argmax ? arg + (oy * g_.out_w + ox) * C : nullptr;
                const Index first = (y0 * g_.in_w + x0) * C;
                for (Index c = 0; c < C; ++c) out[c] = x[first + c];
                if constexpr (keep_argmax)
                    for (Index c = 0; c < C; ++c) a[c] = first + c;
                for (Index iy = y0; iy < y1; ++iy)
                    for (Index ix = (iy == y0 ? x0 + 1 : x0); ix < x1; ++ix) {
                        const Index base = (iy * g_.in_w + ix) * C;
                        const S* v = x + base;
                        if constexpr (keep_argmax)
                            for (Index c = 0; c < C; ++c) {
                                const bool wins = v[c] > out[c];
                                a[c] = wins ? base + c : a[c];
                                out[c] = wins ? v[c] : out[c];
                            }
                        else
                            for (Index c = 0; c < C; ++c) out[c] = v[c] > out[c] ? v[c] : out[c];
                    }
            }
        }
    }

    Size2D pool_, strides_;
    Padding padding_;
    detail::ConvGeometry g_;
    std::vector<Index> argmax_;  // per output scalar: its winner's index within the sample
    Index argmax_batch_ = 0;     // batch size of the last training forward (0: none)
};

}  // namespace ae
