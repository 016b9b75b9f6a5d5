#pragma once
// Conv2DTranspose: y = f(Conv2Dᵀ x + b), the adjoint (input gradient) of a Conv2D, as
// TensorFlow's conv2d_transpose, with a fused activation, on HWC images.
//   x: (H·W·C) × batch, y: (OH·OW·F) × batch with Keras' sizes: valid OH = H·s + max(k − s, 0),
//   same OH = H·s; the cropping is the padding of the Conv2D from OH×OW×F back to H×W×C.
//   W: C × (kh·kw·F), column (i·kw + j)·F + f = Keras' kernel[i, j, f, :] (kernel shape
//   (kh, kw, filters, in_channels)); b: F.
// With that Conv2D's geometry (detail/im2col.hpp), x viewed as C × (H·W·batch):
//   forward:  y = col2im(Wᵀ x) + b            (patches scattered into the output)
//   backward: cols = im2col(dz): (kh·kw·F) × (H·W·batch),
//             dW += x colsᵀ,  db += Σ_pixels dz,  dx = W cols.
#include "ae/core/initializer.hpp"
#include "ae/core/gemm.hpp"
#include "ae/core/layer.hpp"
#include "ae/layers/detail/im2col.hpp"
#include "ae/layers/padding.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Conv2DTranspose : public Layer<S> {
public:
    Conv2DTranspose(Index filters, Size2D kernel_size, Size2D strides = 1, Padding padding = Padding::valid,
                    Activation activation = Activation::linear,
                    Initializer kernel_initializer = Initializer::glorot_uniform)
        : filters_(filters),
          kernel_(kernel_size),
          strides_(strides),
          padding_(padding),
          activation_(activation),
          init_(kernel_initializer) {
        if (filters <= 0) throw ConfigError("Conv2DTranspose: expected filters > 0, got " + std::to_string(filters));
        if (!kernel_.positive())
            throw ConfigError("Conv2DTranspose: expected a positive kernel size, got " + kernel_.str());
        if (!strides_.positive())
            throw ConfigError("Conv2DTranspose: expected positive strides, got " + strides_.str());
    }

    std::string type() const override { return "Conv2DTranspose"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, in_size(), "input");
        x_ = &x;
        const Index B = x.cols(), C = g_.out_c(), K = g_.g.patch_size(), P = g_.g.out_pixels();
        const Index block = block_columns(B);
        const int nt = detail::conv_threads(B, B * P * K);
        ensure_size(y, g_.g.in_size(), B);
        detail::ensure_capacity(cols_, nt, K * block);
        detail::for_each_block(B, P, block, nt, [&](int t, Index g0, Index n) {
            for (Index b = (g0 + P - 1) / P; b * P < g0 + n; ++b) y.col(b).setZero();
            Eigen::Map<Matrix<S>> cols(cols_[std::size_t(t)].data(), K, n);  // cols: K × n
            Eigen::Map<const Matrix<S>> xb(x.data() + g0 * C, C, n);         // xb: C × n
            gemm(cols, W_.transpose(), xb, false);
            detail::col2im_block(g_.g, cols.data(), g0, n, y.data());
        });
        Eigen::Map<Matrix<S>> yf(y.data(), filters_, y.size() / filters_);  // yf: F × (OH·OW·batch)
        yf.colwise() += b_.col(0);
        if (this->keep_logits_) z_ = y;
        activate_inplace(activation_, y);
        y_ = &y;
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->output_shape().size(), "output gradient");
        activation_backward(activation_, *y_, dy, dz_);  // dz: (OH·OW·F) × batch
        backward_from_logits(dz_, dx);
    }

    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override {
        this->check_rows(dz, this->output_shape().size(), "output gradient");
        if (!x_ || x_->cols() != dz.cols())
            throw ShapeError(this->describe() + ": backward needs the forward pass of the same batch first");
        const Index B = dz.cols(), C = g_.out_c(), K = g_.g.patch_size(), P = g_.g.out_pixels();
        const Index block = block_columns(B);
        const int nt = detail::conv_threads(B, B * P * K);
        const bool need_dx = this->input_grad_needed_;
        if (need_dx) ensure_size(dx, in_size(), B);
        detail::ensure_capacity(cols_, nt, K * block);
        detail::ensure_scratch(dW_t_, nt, C, K);
        for (int t = 0; t < nt; ++t) dW_t_[std::size_t(t)].setZero();
        detail::for_each_block(B, P, block, nt, [&](int t, Index g0, Index n) {
            Eigen::Map<Matrix<S>> cols(cols_[std::size_t(t)].data(), K, n);  // cols: K × n
            detail::im2col_block(g_.g, dz.data(), g0, n, cols.data());
            Eigen::Map<const Matrix<S>> xb(x_->data() + g0 * C, C, n);  // xb: C × n
            gemm(dW_t_[std::size_t(t)], xb, cols.transpose(), true);   // C × K
            if (!need_dx) return;
            Eigen::Map<Matrix<S>> dxb(dx.data() + g0 * C, C, n);  // dxb: C × n
            gemm(dxb, W_, cols, false);
        });
        for (int t = 0; t < nt; ++t) dW_ += dW_t_[std::size_t(t)];
        Eigen::Map<const Matrix<S>> dzf(dz.data(), filters_, dz.size() / filters_);  // F × (OH·OW·batch)
        db_.col(0) += dzf.rowwise().sum();
    }

    std::vector<Param<S>> parameters() override {
        return {this->param("kernel", W_, dW_), this->param("bias", b_, db_)};
    }

    Config config() const override {
        Config c;
        c.set("filters", filters_)
            .set("kernel_size", Shape{kernel_.h, kernel_.w})
            .set("strides", Shape{strides_.h, strides_.w})
            .set("padding", to_string(padding_))
            .set("activation", to_string(activation_))
            .set("kernel_initializer", to_string(init_));
        return c;
    }

    static std::shared_ptr<Conv2DTranspose> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Conv2DTranspose", 0, 0);
        const Shape k = a.config.get_shape("kernel_size"), s = a.config.get_shape("strides");
        if (k.rank() != 2 || s.rank() != 2)
            throw FormatError("Conv2DTranspose: expected kernel_size and strides of two values, got " + k.str() +
                              " and " + s.str());
        return std::make_shared<Conv2DTranspose>(Index(a.config.get_int("filters")), Size2D(k[0], k[1]),
                                                 Size2D(s[0], s[1]), padding_from_string(a.config.get("padding")),
                                                 activation_from_string(a.config.get("activation")),
                                                 initializer_from_string(a.config.get("kernel_initializer")));
    }

    Activation output_activation() const override { return activation_; }
    const Matrix<S>* logits() const override { return this->keep_logits_ ? &z_ : nullptr; }

    Index filters() const { return filters_; }
    Size2D kernel_size() const { return kernel_; }
    Size2D strides() const { return strides_; }
    Padding padding() const { return padding_; }
    Activation activation() const { return activation_; }
    /// C_in × (kh·kw·F); column (i·kw + j)·F + f is Keras' kernel[i, j, f, :].
    Matrix<S>& kernel() { return W_; }
    Matrix<S>& bias() { return b_; }
    /// The geometry of the Conv2D this layer is the adjoint of (its input is our output).
    const detail::ConvGeometry& geometry() const { return g_.g; }

    /// Patch columns per GEMM (0: about 256 KB of patches).
    void set_block_columns(Index n) { block_cols_ = n; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        if (in.rank() != 3)
            throw ShapeError(this->describe() + ": expected an image input shape {H, W, C}, got " + in.str() +
                             " (add a Reshape layer before it)");
        detail::ConvGeometry& g = g_.g;
        g.out_h = in[0];
        g.out_w = in[1];
        g_.c = in[2];
        g.in_h = conv_transpose_output_length(in[0], kernel_.h, strides_.h, padding_);
        g.in_w = conv_transpose_output_length(in[1], kernel_.w, strides_.w, padding_);
        g.in_c = filters_;
        g.k_h = kernel_.h;
        g.k_w = kernel_.w;
        g.s_h = strides_.h;
        g.s_w = strides_.w;
        g.pad_top = conv_pad_before(g.in_h, g.k_h, g.s_h, padding_);
        g.pad_left = conv_pad_before(g.in_w, g.k_w, g.s_w, padding_);
        this->claim_parameters(double(g_.c) * double(kernel_.h) * double(kernel_.w) * double(filters_));
        const Index K = g.patch_size();
        W_.resize(g_.c, K);
        // Keras' fans for a (kh, kw, filters, in_channels) kernel.
        initialize(W_, init_, double(kernel_.h * kernel_.w * filters_), double(kernel_.h * kernel_.w * g_.c), rng);
        b_ = Matrix<S>::Zero(filters_, 1);
        dW_ = Matrix<S>::Zero(g_.c, K);
        db_ = Matrix<S>::Zero(filters_, 1);
        return Shape{g.in_h, g.in_w, filters_};
    }

private:
    // The adjoint Conv2D's geometry plus our input channels (that Conv2D's filters).
    struct Geometry {
        detail::ConvGeometry g;
        Index c = 0;
        Index out_c() const { return c; }
    };
    Index in_size() const { return g_.g.out_pixels() * g_.c; }
    // Patch columns per GEMM for a batch of B samples (never more than the batch has).
    Index block_columns(Index B) const {
        const Index b = block_cols_ > 0 ? block_cols_ : detail::default_block_columns(g_.g.patch_size(), sizeof(S));
        return std::max<Index>(1, std::min(b, B * g_.g.out_pixels()));
    }

    Index filters_;
    Size2D kernel_, strides_;
    Padding padding_;
    Activation activation_;
    Initializer init_;
    Geometry g_;
    Index block_cols_ = 0;
    Matrix<S> W_, b_, dW_, db_;
    Matrix<S> z_, dz_;
    std::vector<Matrix<S>> cols_, dW_t_;  // per-thread scratch
    const Matrix<S>* x_ = nullptr;
    const Matrix<S>* y_ = nullptr;
};

}  // namespace ae
