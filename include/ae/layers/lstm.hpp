#pragma once
// LSTM: Keras' long short-term memory layer (gate order i, f, g, o; tanh / sigmoid).
//   input {T, F} → output {U} (last h) or {T, U} with return_sequences.
// Per step, with z = W x_t + R h_{t-1} + b (4U rows, i f g o blocks of U):
//   i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
//   c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t),   h_{-1} = c_{-1} = 0.
// Backward through time (dh from the output plus R^T dz_{t+1}, dc carried by f):
//   dc  = dc_next + dh ⊙ o ⊙ (1 − tanh²c_t)
//   dz_o = dh ⊙ tanh c_t ⊙ o(1−o),  dz_i = dc ⊙ g ⊙ i(1−i)
//   dz_g = dc ⊙ i ⊙ (1−g²),          dz_f = dc ⊙ c_{t-1} ⊙ f(1−f)
//   dc_next = dc ⊙ f,  dh_next = Rᵀ dz_t
//   dW += dz xᵀ, dR += dz h_{t-1}ᵀ, db += Σ dz, dx = Wᵀ dz   (each one GEMM over all steps)
// Parameters (PyTorch's layout, Keras' kernels are their transposes):
//   kernel W: 4U × F (Glorot uniform, fan_in F, fan_out 4U), recurrent_kernel R: 4U × U
//   (orthogonal), bias b: 4U (zero, forget block 1 as Keras' unit_forget_bias).
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
class LSTM : public Layer<S> {
public:
    explicit LSTM(Index units, bool return_sequences = false) : units_(units), return_sequences_(return_sequences) {
        if (units <= 0) throw ConfigError("LSTM: expected units > 0, got " + std::to_string(units));
    }

    std::string type() const override { return "LSTM"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        this->check_rows(x, T_ * F_, "input");
        x_ = &x;
        const Index U = units_, T = T_, B = x.cols();
        ensure_size(gates_, 4 * U, T * B);
        ensure_size(h_, U, T * B);
        ensure_size(hprev_, U, T * B);
        ensure_size(c_, U, T * B);
        ensure_size(tanh_c_, U, T * B);
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
        ensure_size(dgates_, 4 * U, T * B);
        ensure_size(dh_, U, B);
        ensure_size(dc_, U, B);
        ensure_size(dcur_, U, B);
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

    static std::shared_ptr<LSTM> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "LSTM", 0, 0);
        return std::make_shared<LSTM>(Index(a.config.get_int("units")), a.config.get_bool("return_sequences"));
    }

    Index units() const { return units_; }
    bool return_sequences() const { return return_sequences_; }
    Matrix<S>& kernel() { return W_; }
    Matrix<S>& recurrent_kernel() { return R_; }
    Matrix<S>& bias() { return b_; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        detail::expect_sequence_shape("LSTM", in);
        T_ = in[0];
        F_ = in[1];
        const Index U = units_;
        this->claim_parameters(4.0 * double(U) * (double(F_) + double(U)));  // W and R
        W_.resize(4 * U, F_);
        initialize(W_, Initializer::glorot_uniform, double(F_), double(4 * U), rng);
        R_.resize(4 * U, U);
        initialize(R_, Initializer::orthogonal, double(U), double(4 * U), rng);
        b_ = Matrix<S>::Zero(4 * U, 1);
        b_.middleRows(U, U).setOnes();  // unit_forget_bias
        dW_ = Matrix<S>::Zero(4 * U, F_);
        dR_ = Matrix<S>::Zero(4 * U, U);
        db_ = Matrix<S>::Zero(4 * U, 1);
        return return_sequences_ ? Shape{T_, U} : Shape{U};
    }

private:
    /// Forward for samples [b0, b0 + nb), i.e. columns b0·T … (b0+nb)·T of the buffers.
    void forward_slice(const Matrix<S>& x, Index b0, Index nb) {
        const Index U = units_, T = T_;
        // Input projection of every step in one GEMM: 4U × (T·nb)
        auto gates = gates_.middleCols(b0 * T, nb * T);
        gemm(gates, W_, detail::steps_as_columns(x, F_).middleCols(b0 * T, nb * T), false);
        gates.colwise() += b_.col(0);
        for (Index t = 0; t < T; ++t) {
            auto z = detail::step_view(gates_, 4 * U, T, t, b0, nb);  // 4U × nb
            auto hp = detail::step_view(hprev_, U, T, t, b0, nb);     // U × nb: h_{t-1}
            auto c = detail::step_view(c_, U, T, t, b0, nb);          // U × nb
            auto tc = detail::step_view(tanh_c_, U, T, t, b0, nb);
            auto h = detail::step_view(h_, U, T, t, b0, nb);
            if (t == 0) {
                hp.setZero();
            } else {
                hp = detail::step_view(h_, U, T, t - 1, b0, nb);
                gemm(z, R_, hp, true);  // 4U × nb
            }
            z.topRows(2 * U).array() = detail::sigmoid_expr(z.topRows(2 * U).array());  // i, f
            z.middleRows(2 * U, U).array() = z.middleRows(2 * U, U).array().tanh();       // g
            z.bottomRows(U).array() = detail::sigmoid_expr(z.bottomRows(U).array());      // o
            if (t == 0)
                c.array() = z.topRows(U).array() * z.middleRows(2 * U, U).array();
            else
                c.array() = z.middleRows(U, U).array() * detail::step_view(c_, U, T, t - 1, b0, nb).array() +
                            z.topRows(U).array() * z.middleRows(2 * U, U).array();
            tc.array() = c.array().tanh();
            h.array() = z.bottomRows(U).array() * tc.array();
        }
    }

    /// Backpropagation through time for samples [b0, b0 + nb); parameter gradients of the
    /// slice go to part_*[s] (summed by the caller), dx of the slice straight into dx.
    void backward_slice(const Matrix<S>& dy, Matrix<S>& dx, Index s, Index b0, Index nb) {
        const Index U = units_, T = T_;
        auto dh_s = dh_.middleCols(b0, nb);  // U × nb: dL/dh_t
        auto dc_s = dc_.middleCols(b0, nb);  // U × nb: dL/dc_t carried from t + 1
        auto dcur = dcur_.middleCols(b0, nb);
        dh_s.setZero();
        dc_s.setZero();
        for (Index t = T - 1; t >= 0; --t) {
            // dh = dy_t + Rᵀ dz_{t+1} (dh_s holds the latter from the previous iteration)
            if (return_sequences_)
                dh_s += detail::step_view(dy, U, T, t, b0, nb);
            else if (t == T - 1)
                dh_s += dy.middleCols(b0, nb);
            auto g = detail::step_view(gates_, 4 * U, T, t, b0, nb);
            auto dz = detail::step_view(dgates_, 4 * U, T, t, b0, nb);
            auto tc = detail::step_view(tanh_c_, U, T, t, b0, nb).array();
            auto i = g.topRows(U).array();
            auto f = g.middleRows(U, U).array();
            auto gg = g.middleRows(2 * U, U).array();
            auto o = g.bottomRows(U).array();
            auto dh = dh_s.array();
            dcur.array() = dc_s.array() + dh * o * (S(1) - tc.square());
            auto dc = dcur.array();
            dz.bottomRows(U).array() = dh * tc * o * (S(1) - o);
            dz.topRows(U).array() = dc * gg * i * (S(1) - i);
            dz.middleRows(2 * U, U).array() = dc * i * (S(1) - gg.square());
            if (t > 0)
                dz.middleRows(U, U).array() =
                    dc * detail::step_view(c_, U, T, t - 1, b0, nb).array() * f * (S(1) - f);
            else
                dz.middleRows(U, U).setZero();
            dc_s.array() = dc * f;
            if (t > 0) gemm(dh_s, R_.transpose(), dz, false);  // U × nb
        }
        // One GEMM each over all steps of the slice (columns b0·T … (b0+nb)·T).
        const Index c0 = b0 * T, nc = nb * T;
        auto dg = dgates_.middleCols(c0, nc);                                                     // 4U × (T·nb)
        gemm(part_dW_[s], dg, detail::steps_as_columns(*x_, F_).middleCols(c0, nc).transpose(), false);  // 4U × F
        gemm(part_dR_[s], dg, hprev_.middleCols(c0, nc).transpose(), false);                              // 4U × U
        part_db_[s] = dg.rowwise().sum();
        if (this->input_grad_needed_)
            gemm(detail::steps_as_columns(dx, F_).middleCols(c0, nc), W_.transpose(), dg, false);  // F × (T·nb)
    }

    Index units_;
    bool return_sequences_;
    Index T_ = 0, F_ = 0;
    Matrix<S> W_, R_, b_, dW_, dR_, db_;
    // Forward state, sample-major (column b·T + t): activated gates, h_t, h_{t-1}, c_t, tanh c_t.
    Matrix<S> gates_, h_, hprev_, c_, tanh_c_;
    Matrix<S> dgates_, dh_, dc_, dcur_;
    std::vector<Matrix<S>> part_dW_, part_dR_, part_db_;  // per batch slice
    const Matrix<S>* x_ = nullptr;
};

}  // namespace ae
