#pragma once
// TimeDistributed(inner): applies `inner` to every step of a {T, F} sequence with shared
// weights (Keras' TimeDistributed). The (T·F × B) batch is, in memory, an F × (T·B) batch of
// steps (column b·T + t), so the inner layer runs ONCE over all steps: a Dense inside does a
// single GEMM. Output {T, inner's output dims...}.
// The views are copied into owned matrices (the inner layer's API takes a Matrix, and it keeps
// pointers to its input/output until backward); each copy is O(T·F·B), small next to the GEMM.
// The inner layer's fused output activation and logits are forwarded, so BCE fuses with a
// sigmoid Dense inside.
#include <string>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class TimeDistributed : public Layer<S> {
public:
    explicit TimeDistributed(LayerPtr<S> inner) : inner_(std::move(inner)) {
        if (!inner_) throw ConfigError("TimeDistributed: null inner layer");
    }

    std::string type() const override { return "TimeDistributed"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        this->check_rows(x, T_ * F_, "input");
        const Index B = x.cols();
        ensure_size(steps_x_, F_, T_ * B);
        steps_x_ = reshaped(x, F_);  // F × (T·B)
        {
            inner_->forward(steps_x_, steps_y_, mode);  // O × (T·B)
        }
        ensure_size(y, T_ * O_, B);
        reshaped(y, O_) = steps_y_;
        if (this->keep_logits_) {
            const Matrix<S>* z = inner_->logits();
            if (!z) throw Error(this->describe() + ": the inner layer kept no logits");
            ensure_size(z_, T_ * O_, B);
            reshaped(z_, O_) = *z;
        }
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, T_ * O_, "output gradient");
        to_steps(dy);
        inner_->backward(steps_dy_, steps_dx_);
        from_steps(dx, dy.cols());
    }

    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override {
        this->check_rows(dz, T_ * O_, "logit gradient");
        to_steps(dz);
        inner_->backward_from_logits(steps_dy_, steps_dx_);
        from_steps(dx, dz.cols());
    }

    Activation output_activation() const override { return inner_->output_activation(); }
    const Matrix<S>* logits() const override { return this->keep_logits_ ? &z_ : nullptr; }
    void set_keep_logits(bool keep) override {
        Layer<S>::set_keep_logits(keep);
        inner_->set_keep_logits(keep);
    }
    void set_input_grad_needed(bool needed) override {
        Layer<S>::set_input_grad_needed(needed);
        inner_->set_input_grad_needed(needed);
    }

    std::vector<Param<S>> parameters() override {
        auto ps = inner_->parameters();
        if (!this->name().empty())
            for (auto& p : ps) p.name = this->name() + "/" + p.name;
        if (!this->trainable())
            for (auto& p : ps) p.trainable = false;
        return ps;
    }
    S extra_loss() const override { return inner_->extra_loss(); }
    std::vector<LayerPtr<S>> children() const override { return {inner_}; }

    static std::shared_ptr<TimeDistributed> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "TimeDistributed", 1, 0);
        return std::make_shared<TimeDistributed>(a.children[0]);
    }

    const LayerPtr<S>& inner() const { return inner_; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        if (in.rank() < 2)
            throw ShapeError("TimeDistributed: expected a sequence input shape {T, F...} (steps first), got " +
                             in.str());
        T_ = in[0];
        std::vector<Index> step_dims(in.dims().begin() + 1, in.dims().end());
        const Shape step(step_dims);
        F_ = step.size();
        const Shape out = inner_->build(step, rng);
        O_ = out.size();
        std::vector<Index> dims{T_};
        dims.insert(dims.end(), out.dims().begin(), out.dims().end());
        return Shape(std::move(dims));
    }

private:
    static Eigen::Map<const Matrix<S>> reshaped(const Matrix<S>& m, Index rows) {
        return Eigen::Map<const Matrix<S>>(m.data(), rows, m.size() / rows);
    }
    static Eigen::Map<Matrix<S>> reshaped(Matrix<S>& m, Index rows) {
        return Eigen::Map<Matrix<S>>(m.data(), rows, m.size() / rows);
    }
    void to_steps(const Matrix<S>& d) {
        ensure_size(steps_dy_, O_, T_ * d.cols());
        steps_dy_ = reshaped(d, O_);
    }
    void from_steps(Matrix<S>& dx, Index B) {
        if (!this->input_grad_needed_) return;
        ensure_size(dx, T_ * F_, B);
        reshaped(dx, F_) = steps_dx_;
    }

    LayerPtr<S> inner_;
    Index T_ = 0, F_ = 0, O_ = 0;
    Matrix<S> steps_x_, steps_y_, steps_dy_, steps_dx_, z_;
};

}  // namespace ae
