#pragma once
// Conv2D: y = f(W ⊛ x + b), a 2-D convolution (cross-correlation, as Keras) with a fused
// activation, on HWC images (one sample per column).
//   x: (H·W·C) × batch, y: (OH·OW·F) × batch, sizes and padding as Keras (layers/padding.hpp).
//   W: F × (kh·kw·C), column (i·kw + j)·C + c = Keras' kernel[i, j, c, :]; b: F.
// Forward, through patches (detail/im2col.hpp): cols = im2col(x): (kh·kw·C) × (OH·OW·batch),
//   y viewed as F × (OH·OW·batch) = W cols + b, which is already the HWC batch layout.
// Backward, with dz = dy ⊙ f'(·) viewed as F × (OH·OW·batch):
//   dW += dz colsᵀ,  db += Σ_columns dz,  dx = col2im(Wᵀ dz).
// The patches are built block by block (a few hundred KB at a time) and rebuilt in backward
// rather than stored: streaming a whole batch's patches through memory costs more than the
// copy.
// With stride 1 and fewer filters than input channels, dx is computed instead as the
// convolution of dz with the flipped kernel (patches of kh·kw·F rows instead of kh·kw·C, and
// no scatter): dx[iy, ix, c] = Σ dz[iy − p' + i', ix − q' + j', f] W[f, (kh−1−i', kw−1−j', c)]
// with p' = kh − 1 − pad_top, q' = kw − 1 − pad_left.
// Stride-1 layers with long patch rows (kw·C ≥ 8) and few filters (F ≤ 16) skip the patches
// altogether: forward and the kernel gradient run as GEMMs over a zero-padded copy of the input
// (detail/implicit_conv.hpp), and dx is the flipped-kernel convolution, computed the same way
// when kw·F ≥ 8 and C ≤ 16. With more filters the patches are shared by more outputs and the
// padded grid's extra columns cost more than the copy (measured on conv_book's 32 and 64
// filters).
// Layers with 8 or 16 filters and short patches (kh·kw·C ≤ 32) that do not take that path, such
// as a first layer on one-channel images, run pixel by pixel (detail/direct_conv.hpp): forward,
// and the kernel gradient when no dx is needed; so does a flipped-kernel dx with 8 or 16
// outputs. There the patches and the GEMM's copy of them cost more than the arithmetic.
// set_method() forces one method (the tests compare them).
#include "ae/core/initializer.hpp"
#include "ae/core/gemm.hpp"
#include "ae/core/layer.hpp"
#include "ae/layers/detail/direct_conv.hpp"
#include "ae/layers/detail/im2col.hpp"
#include "ae/layers/detail/implicit_conv.hpp"
#include "ae/layers/padding.hpp"
#include "ae/models/registry.hpp"

namespace ae {

/// How Conv2D computes its products: through patch matrices (im2col); for stride 1, through
/// strided views of the zero-padded input; or pixel by pixel (direct). automatic picks the
/// padded input when a patch row has at least 8 scalars (kw·C ≥ 8) and there are at most 16
/// outputs per pixel, else direct when there are 8 or 16 filters and a patch of at most 32
/// scalars, else patches: where each measured fastest.
enum class ConvMethod { automatic, patches, padded_input, direct };

template <class S = float>
class Conv2D : public Layer<S> {
public:
    Conv2D(Index filters, Size2D kernel_size, Size2D strides = 1, Padding padding = Padding::valid,
           Activation activation = Activation::linear, Initializer kernel_initializer = Initializer::glorot_uniform)
        : filters_(filters),
          kernel_(kernel_size),
          strides_(strides),
          padding_(padding),
          activation_(activation),
          init_(kernel_initializer) {
        if (filters <= 0) throw ConfigError("Conv2D: expected filters > 0, got " + std::to_string(filters));
        if (!kernel_.positive()) throw ConfigError("Conv2D: expected a positive kernel size, got " + kernel_.str());
        if (!strides_.positive()) throw ConfigError("Conv2D: expected positive strides, got " + strides_.str());
    }

    std::string type() const override { return "Conv2D"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, g_.in_size(), "input");
        x_ = &x;
        const Index B = x.cols(), F = filters_, K = g_.patch_size(), block = block_columns(B);
        const int nt = detail::conv_threads(B, B * g_.out_pixels() * K);
        ensure_size(y, F * g_.out_pixels(), B);
        if (direct(g_, F)) {
            detail::for_each_block(B, g_.out_pixels(), block, nt, [&](int, Index g0, Index n) {
                detail::direct_conv_forward(g_, F, W_.data(), b_.data(), x.data(), g0, n, y.data());
            });
            finish_forward(y);
            return;
        }
        if (padded_input(g_, filters_)) {
            detail::implicit_conv_forward(g_, W_, b_.data(), x.data(), B, y.data(), pad_, grid_);
            finish_forward(y);
            return;
        }
        detail::ensure_capacity(cols_, nt, K * block);
        detail::for_each_block(B, g_.out_pixels(), block, nt, [&](int t, Index g0, Index n) {
            Eigen::Map<Matrix<S>> cols(cols_[std::size_t(t)].data(), K, n);  // cols: K × n
            detail::im2col_block(g_, x.data(), g0, n, cols.data());
            Eigen::Map<Matrix<S>> yb(y.data() + g0 * F, F, n);  // yb: F × n
            gemm(yb, W_, cols, false);
            yb.colwise() += b_.col(0);
        });
        finish_forward(y);
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
        const Index B = dz.cols(), F = filters_, K = g_.patch_size(), P = g_.out_pixels(), block = block_columns(B);
        const int nt = detail::conv_threads(B, B * P * K);
        const bool need_dx = this->input_grad_needed_;
        if (need_dx) ensure_size(dx, g_.in_size(), B);
        detail::ensure_scratch(dW_t_, nt, F, K);
        detail::ensure_scratch(db_t_, nt, F, 1);
        for (int t = 0; t < nt; ++t) {
            dW_t_[std::size_t(t)].setZero();
            db_t_[std::size_t(t)].setZero();
        }
        if (direct(g_, F) && !need_dx) {  // (with dx: the patch path below computes both)
            detail::for_each_block(B, P, block, nt, [&](int t, Index g0, Index n) {
                detail::direct_conv_kernel_grad(g_, F, dz.data(), x_->data(), g0, n, dW_t_[std::size_t(t)].data(),
                                                db_t_[std::size_t(t)].data());
            });
            sum_thread_grads(nt);
            return;
        }
        if (padded_input(g_, filters_)) {
            detail::implicit_conv_kernel_grad(g_, dz.data(), x_->data(), B, dW_t_, db_t_, pad_, grid_, nt);
            sum_thread_grads(nt);
            if (need_dx) flipped_input_grad(dz, dx);
            return;
        }
        detail::ensure_capacity(cols_, nt, K * block);
        const bool flipped = need_dx && use_flipped_dx();
        detail::for_each_block(B, P, block, nt, [&](int t, Index g0, Index n) {
            Eigen::Map<Matrix<S>> cols(cols_[std::size_t(t)].data(), K, n);  // cols: K × n
            detail::im2col_block(g_, x_->data(), g0, n, cols.data());
            Eigen::Map<const Matrix<S>> dzb(dz.data() + g0 * F, F, n);  // dzb: F × n
            gemm(dW_t_[std::size_t(t)], dzb, cols.transpose(), true);  // F × K
            db_t_[std::size_t(t)] += dzb.rowwise().sum();
            if (!need_dx || flipped) return;
            // A thread's first block touching sample b starts at its first column: zero it then.
            for (Index b = (g0 + P - 1) / P; b * P < g0 + n; ++b) dx.col(b).setZero();
            gemm(cols, W_.transpose(), dzb, false);  // K × n
            detail::col2im_block(g_, cols.data(), g0, n, dx.data());
        });
        sum_thread_grads(nt);
        if (flipped) flipped_input_grad(dz, dx);
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

    static std::shared_ptr<Conv2D> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Conv2D", 0, 0);
        const Shape k = a.config.get_shape("kernel_size"), s = a.config.get_shape("strides");
        if (k.rank() != 2 || s.rank() != 2)
            throw FormatError("Conv2D: expected kernel_size and strides of two values, got " + k.str() + " and " +
                              s.str());
        return std::make_shared<Conv2D>(Index(a.config.get_int("filters")), Size2D(k[0], k[1]), Size2D(s[0], s[1]),
                                        padding_from_string(a.config.get("padding")),
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
    /// F × (kh·kw·C); column (i·kw + j)·C + c is Keras' kernel[i, j, c, :].
    Matrix<S>& kernel() { return W_; }
    Matrix<S>& bias() { return b_; }
    const detail::ConvGeometry& geometry() const { return g_; }

    /// Patch columns per GEMM (0: about 256 KB of patches). A value ≥ OH·OW·batch gives one
    /// GEMM for the whole batch.
    void set_block_columns(Index n) { block_cols_ = n; }
    /// Allow the flipped-kernel input gradient (stride 1, filters < channels); on by default.
    /// Off also turns off the padded-input method, whose dx is always the flipped convolution.
    void set_flipped_input_grad(bool on) { flip_dx_ = on; }
    /// Force a method (ConvMethod::automatic by default); padded_input applies to stride 1 only,
    /// direct to 8 or 16 filters and patches of at most 32 scalars; elsewhere automatic's choice.
    void set_method(ConvMethod m) { method_ = m; }
    /// Whether forward and the kernel gradient run on the zero-padded input (no patches).
    bool uses_padded_input() const { return !direct(g_, filters_) && padded_input(g_, filters_); }
    /// Whether forward (and the kernel gradient, when no input gradient is needed) run pixel by
    /// pixel (no patches).
    bool uses_direct() const { return direct(g_, filters_); }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        if (in.rank() != 3)
            throw ShapeError(this->describe() + ": expected an image input shape {H, W, C}, got " + in.str() +
                             " (add a Reshape layer before it)");
        g_.in_h = in[0];
        g_.in_w = in[1];
        g_.in_c = in[2];
        g_.k_h = kernel_.h;
        g_.k_w = kernel_.w;
        g_.s_h = strides_.h;
        g_.s_w = strides_.w;
        g_.out_h = conv_output_length(g_.in_h, g_.k_h, g_.s_h, padding_);
        g_.out_w = conv_output_length(g_.in_w, g_.k_w, g_.s_w, padding_);
        if (g_.out_h <= 0 || g_.out_w <= 0)
            throw ShapeError(this->describe() + ": kernel " + kernel_.str() + " is larger than its " +
                             to_string(padding_) + "-padded input " + in.str());
        g_.pad_top = conv_pad_before(g_.in_h, g_.k_h, g_.s_h, padding_);
        g_.pad_left = conv_pad_before(g_.in_w, g_.k_w, g_.s_w, padding_);
        const Index K = g_.patch_size();
        this->claim_parameters(double(filters_) * double(K));
        W_.resize(filters_, K);
        initialize(W_, init_, double(K), double(kernel_.h * kernel_.w * filters_), rng);
        b_ = Matrix<S>::Zero(filters_, 1);
        dW_ = Matrix<S>::Zero(filters_, K);
        db_ = Matrix<S>::Zero(filters_, 1);
        return Shape{g_.out_h, g_.out_w, filters_};
    }

private:
    bool use_flipped_dx() const { return flip_dx_ && g_.s_h == 1 && g_.s_w == 1 && filters_ < g_.in_c; }

    // Whether a convolution of geometry g (this layer's, or its flipped input gradient's) runs on
    // the zero-padded input rather than on patches.
    bool padded_input(const detail::ConvGeometry& g, Index outputs) const {
        if (method_ == ConvMethod::patches || !flip_dx_ || !detail::implicit_conv_fits(g)) return false;
        return method_ == ConvMethod::padded_input || (g.k_w * g.in_c >= 8 && outputs <= 16);
    }
    // Whether it runs pixel by pixel: where it fits, when forced or when the padded input is not
    // used. Checked before padded_input.
    bool direct(const detail::ConvGeometry& g, Index outputs) const {
        if (!detail::direct_conv_fits(g, outputs) || method_ == ConvMethod::patches ||
            method_ == ConvMethod::padded_input)
            return false;
        return method_ == ConvMethod::direct || !padded_input(g, outputs);
    }

    void finish_forward(Matrix<S>& y) {
        if (this->keep_logits_) z_ = y;
        activate_inplace(activation_, y);
        y_ = &y;
    }

    void sum_thread_grads(int nt) {
        for (int t = 0; t < nt; ++t) {
            dW_ += dW_t_[std::size_t(t)];
            db_ += db_t_[std::size_t(t)];
        }
    }

    // dx = flipped-kernel convolution of dz (stride 1): one GEMM per block straight into dx.
    void flipped_input_grad(const Matrix<S>& dz, Matrix<S>& dx) {
        const Index C = g_.in_c, F = filters_, kh = g_.k_h, kw = g_.k_w, K = kh * kw * F;
        detail::ConvGeometry f;
        f.in_h = g_.out_h;
        f.in_w = g_.out_w;
        f.in_c = F;
        f.k_h = kh;
        f.k_w = kw;
        f.pad_top = kh - 1 - g_.pad_top;
        f.pad_left = kw - 1 - g_.pad_left;
        f.out_h = g_.in_h;
        f.out_w = g_.in_w;
        ensure_size(W_flip_, C, K);  // W_flip(c, (i'·kw + j')·F + f) = W(f, ((kh−1−i')·kw + kw−1−j')·C + c)
        for (Index i = 0; i < kh; ++i)
            for (Index j = 0; j < kw; ++j)
                W_flip_.middleCols((i * kw + j) * F, F) =
                    W_.middleCols(((kh - 1 - i) * kw + (kw - 1 - j)) * C, C).transpose();
        const Index B = dz.cols();
        if (direct(f, C)) {  // dx = W_flip ⊛ dz pixel by pixel, no patches
            const int nt = detail::conv_threads(B, B * f.out_pixels() * K);
            detail::for_each_block(B, f.out_pixels(), B * f.out_pixels(), nt, [&](int, Index g0, Index n) {
                detail::direct_conv_forward(f, C, W_flip_.data(), static_cast<const S*>(nullptr), dz.data(), g0, n,
                                            dx.data());
            });
            return;
        }
        if (padded_input(f, C)) {  // dx = W_flip ⊛ dz on the padded dz, no patches
            detail::implicit_conv_forward(f, W_flip_, static_cast<const S*>(nullptr), dz.data(), dz.cols(), dx.data(),
                                          pad_, grid_);
            return;
        }
        const Index block = std::min(detail::default_block_columns(K, sizeof(S)), B * f.out_pixels());
        const int nt = detail::conv_threads(B, B * f.out_pixels() * K);
        detail::ensure_capacity(cols_, nt, K * block);
        detail::for_each_block(B, f.out_pixels(), block, nt, [&](int t, Index g0, Index n) {
            Eigen::Map<Matrix<S>> cols(cols_[std::size_t(t)].data(), K, n);  // cols: kh·kw·F × n
            detail::im2col_block(f, dz.data(), g0, n, cols.data());
            Eigen::Map<Matrix<S>> dxb(dx.data() + g0 * C, C, n);  // dxb: C × n
            gemm(dxb, W_flip_, cols, false);
        });
    }

    // Patch columns per GEMM for a batch of B samples (never more than the batch has).
    Index block_columns(Index B) const {
        const Index b = block_cols_ > 0 ? block_cols_ : detail::default_block_columns(g_.patch_size(), sizeof(S));
        return std::max<Index>(1, std::min(b, B * g_.out_pixels()));
    }

    Index filters_;
    Size2D kernel_, strides_;
    Padding padding_;
    Activation activation_;
    Initializer init_;
    detail::ConvGeometry g_;
    Index block_cols_ = 0;
    bool flip_dx_ = true;
    ConvMethod method_ = ConvMethod::automatic;
    Matrix<S> W_, b_, dW_, db_, W_flip_;
    Matrix<S> z_, dz_;
    std::vector<Matrix<S>> cols_, dW_t_, db_t_, pad_, grid_;  // per-thread scratch
    const Matrix<S>* x_ = nullptr;
    const Matrix<S>* y_ = nullptr;
};

}  // namespace ae
