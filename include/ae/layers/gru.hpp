#pragma once
// GRU: Keras' gated recurrent unit with reset_after=True (Keras 2+ default, cuDNN-compatible).
//   input {T, F} → output {U} (last h) or {T, U} with return_sequences.
// Gate order z (update), r (reset), h (candidate). Per step, with x-part p = W x_t + b_in and
// recurrent part q = R h_{t-1} + b_rec (3U rows each):
//   z = σ(p_z + q_z),  r = σ(p_r + q_r),  ĥ = tanh(p_h + r ⊙ q_h)
//   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ ĥ,   h_{-1} = 0.
// Backward through time (dh = dy_t + dh from step t + 1):
//   dp_z = dq_z = dh ⊙ (h_{t-1} − ĥ) ⊙ z(1−z)
//   dp_h = dh ⊙ (1−z) ⊙ (1−ĥ²),   dq_h = dp_h ⊙ r
//   dp_r = dq_r = dp_h ⊙ q_h ⊙ r(1−r)
//   dh_{t-1} = dh ⊙ z + Rᵀ dq
//   dW += dp xᵀ, dR += dq h_{t-1}ᵀ, db_in += Σ dp, db_rec += Σ dq, dx = Wᵀ dp.
// Parameters (PyTorch's layout; Keras' kernels are their transposes): kernel W: 3U × F (Glorot
// uniform), recurrent_kernel R: 3U × U (orthogonal), bias: 3U × 2 = [b_in, b_rec] (zeros;
// Keras' bias of shape (2, 3U) transposed).
// Memory layout and threading: see layers/detail/recurrent.hpp.
#include <string>
#include <vector>

#include "ae/core/initializer.hpp"
#include "ae/core/gemm.hpp"
#include "ae/core/layer.hpp"
#include "ae/layers/detail/recurrent.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class GRU : public Layer<S> {
public:
    explicit GRU(Index units, bool return_sequences = false) : units_(units), return_sequences_(return_sequences) {
        if (units <= 0) throw ConfigError("GRU: expected units > 0, got " + std::to_string(units));
    }

    std::string type() const override { return "GRU"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, T_ * F_, "input");
        x_ = &x;
        const Index U = units_, T = T_, B = x.cols();
        ensure_size(gates_, 3 * U, T * B);
        ensure_size(rec_, 3 * U, T * B);
        ensure_size(h_, U, T * B);
        ensure_size(hprev_, U, T * B);
        detail::for_each_batch_slice(B, [&](Index, Index b0, Index nb) { forward_slice(x, b0, nb); });
        if (return_sequences_) {
            ensure_size(y, T * U, B);
            detail::steps_as_columns(y, U) = h_;  // same memory layout
        } else {
            ensure_size(y, U, B);
            y = detail::step_view(h_, U, T, T - 1, 0, B);
        }
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, return_sequences_ ? T_ * units_ : units_, "output gradient");
        const Index U = units_, T = T_, B = dy.cols();
        if (B * T != gates_.cols())
            throw ShapeError(this->describe() + ": backward batch of " + std::to_string(B) +
                             " does not match the forward batch of " + std::to_string(gates_.cols() / T));
        ensure_size(dp_, 3 * U, T * B);
        ensure_size(dq_, 3 * U, T * B);
        ensure_size(dh_, U, B);
        ensure_size(dhn_, U, B);
        if (this->input_grad_needed_) ensure_size(dx, T * F_, B);
        const Index slices = detail::batch_slices(B);
        if (Index(part_dW_.size()) < slices) {
            part_dW_.resize(slices);
            part_dR_.resize(slices);
            part_db_.resize(slices);
        }
        detail::for_each_batch_slice(B, [&](Index s, Index b0, Index nb) { backward_slice(dy, dx, s, b0, nb); });
        for (Index s = 0; s < slices; ++s) {
            dW_ += part_dW_[s];
            dR_ += part_dR_[s];
            db_ += part_db_[s];
        }
    }

    std::vector<Param<S>> parameters() override {
        return {this->param("kernel", W_, dW_), this->param("recurrent_kernel", R_, dR_),
                this->param("bias", b_, db_)};
    }

    Config config() const override {
        Config c;
        c.set("units", units_).set("return_sequences", return_sequences_);
        return c;
    }

    static std::shared_ptr<GRU> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "GRU", 0, 0);
        return std::make_shared<GRU>(Index(a.config.get_int("units")), a.config.get_bool("return_sequences"));
    }

    Index units() const { return units_; }
    bool return_sequences() const { return return_sequences_; }
    Matrix<S>& kernel() { return W_; }
    Matrix<S>& recurrent_kernel() { return R_; }
    Matrix<S>& bias() { return b_; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        detail::expect_sequence_shape("GRU", in);
        T_ = in[0];
        F_ = in[1];
        const Index U = units_;
        this->claim_parameters(3.0 * double(U) * (double(F_) + double(U)));  // W and R
        W_.resize(3 * U, F_);
        initialize(W_, Initializer::glorot_uniform, double(F_), double(3 * U), rng);
        R_.resize(3 * U, U);
        initialize(R_, Initializer::orthogonal, double(U), double(3 * U), rng);
        b_ = Matrix<S>::Zero(3 * U, 2);
        dW_ = Matrix<S>::Zero(3 * U, F_);
        dR_ = Matrix<S>::Zero(3 * U, U);
        db_ = Matrix<S>::Zero(3 * U, 2);
        return return_sequences_ ? Shape{T_, U} : Shape{U};
    }

private:
    /// Forward for samples [b0, b0 + nb), i.e. columns b0·T … (b0+nb)·T of the buffers.
    void forward_slice(const Matrix<S>& x, Index b0, Index nb) {
        const Index U = units_, T = T_;
        // x-part of every step in one GEMM: 3U × (T·nb)
        auto gates = gates_.middleCols(b0 * T, nb * T);
        gemm(gates, W_, detail::steps_as_columns(x, F_).middleCols(b0 * T, nb * T), false);
        gates.colwise() += b_.col(0);
        for (Index t = 0; t < T; ++t) {
            auto g = detail::step_view(gates_, 3 * U, T, t, b0, nb);  // 3U × nb: p, then z r ĥ
            auto q = detail::step_view(rec_, 3 * U, T, t, b0, nb);    // 3U × nb
            auto hp = detail::step_view(hprev_, U, T, t, b0, nb);     // U × nb: h_{t-1}
            auto h = detail::step_view(h_, U, T, t, b0, nb);
            if (t == 0) {
                hp.setZero();
                q.colwise() = b_.col(1);
            } else {
                hp = detail::step_view(h_, U, T, t - 1, b0, nb);
                gemm(q, R_, hp, false);  // 3U × nb
                q.colwise() += b_.col(1);
            }
            g.topRows(2 * U).array() = detail::sigmoid_expr(g.topRows(2 * U).array() + q.topRows(2 * U).array());
            g.bottomRows(U).array() =
                (g.bottomRows(U).array() + g.middleRows(U, U).array() * q.bottomRows(U).array()).tanh();
            auto z = g.topRows(U).array();
            h.array() = z * hp.array() + (S(1) - z) * g.bottomRows(U).array();
        }
    }

    /// Backpropagation through time for samples [b0, b0 + nb); parameter gradients of the
    /// slice go to part_*[s] (summed by the caller), dx of the slice straight into dx.
    void backward_slice(const Matrix<S>& dy, Matrix<S>& dx, Index s, Index b0, Index nb) {
        const Index U = units_, T = T_;
        auto dh_s = dh_.middleCols(b0, nb);  // U × nb: dL/dh_t
        auto dhn = dhn_.middleCols(b0, nb);
        dh_s.setZero();
        for (Index t = T - 1; t >= 0; --t) {
            if (return_sequences_)
                dh_s += detail::step_view(dy, U, T, t, b0, nb);
            else if (t == T - 1)
                dh_s += dy.middleCols(b0, nb);
            auto g = detail::step_view(gates_, 3 * U, T, t, b0, nb);
            auto q = detail::step_view(rec_, 3 * U, T, t, b0, nb);
            auto dp = detail::step_view(dp_, 3 * U, T, t, b0, nb);
            auto dq = detail::step_view(dq_, 3 * U, T, t, b0, nb);
            auto hp = detail::step_view(hprev_, U, T, t, b0, nb).array();
            auto z = g.topRows(U).array();
            auto r = g.middleRows(U, U).array();
            auto hh = g.bottomRows(U).array();
            auto dh = dh_s.array();
            dp.topRows(U).array() = dh * (hp - hh) * z * (S(1) - z);
            dp.bottomRows(U).array() = dh * (S(1) - z) * (S(1) - hh.square());
            dp.middleRows(U, U).array() = dp.bottomRows(U).array() * q.bottomRows(U).array() * r * (S(1) - r);
            dq.topRows(2 * U) = dp.topRows(2 * U);
            dq.bottomRows(U).array() = dp.bottomRows(U).array() * r;
            if (t > 0) {
                dhn.array() = dh * z;
                gemm(dhn, R_.transpose(), dq, true);  // U × nb
                dh_s = dhn;
            }
        }
        // One GEMM each over all steps of the slice (columns b0·T … (b0+nb)·T).
        const Index c0 = b0 * T, nc = nb * T;
        auto dp = dp_.middleCols(c0, nc);  // 3U × (T·nb)
        auto dq = dq_.middleCols(c0, nc);
        gemm(part_dW_[s], dp, detail::steps_as_columns(*x_, F_).middleCols(c0, nc).transpose(), false);  // 3U × F
        gemm(part_dR_[s], dq, hprev_.middleCols(c0, nc).transpose(), false);                              // 3U × U
        part_db_[s].resize(3 * U, 2);
        part_db_[s].col(0) = dp.rowwise().sum();
        part_db_[s].col(1) = dq.rowwise().sum();
        if (this->input_grad_needed_)
            gemm(detail::steps_as_columns(dx, F_).middleCols(c0, nc), W_.transpose(), dp, false);  // F × (T·nb)
    }

    Index units_;
    bool return_sequences_;
    Index T_ = 0, F_ = 0;
    Matrix<S> W_, R_, b_, dW_, dR_, db_;
    // Forward state, sample-major (column b·T + t): z r ĥ, R h_{t-1} + b_rec, h_t, h_{t-1}.
    Matrix<S> gates_, rec_, h_, hprev_;
    Matrix<S> dp_, dq_, dh_, dhn_;
    std::vector<Matrix<S>> part_dW_, part_dR_, part_db_;  // per batch slice
    const Matrix<S>* x_ = nullptr;
};

}  // namespace ae
