#pragma once
// ae::Layer<S>: the base of every layer and of Sequential (which nests).
//
// Contract (DESIGN.md §2):
//  - build(in, rng) infers and checks shapes once and initialises parameters from rng;
//    building again with the same input shape is a no-op (shared layers keep their weights).
//  - forward(x, y, mode) writes y (resized only when the batch size changes) and may keep
//    references to x and y until backward: callers keep both alive (Sequential does).
//  - backward(dy, dx) writes dx and ADDS (+=) into parameter gradients.
//  - parameters() are views into storage the layer owns.
#include <memory>
#include <string>
#include <vector>

#include "ae/core/activation.hpp"
#include "ae/core/config.hpp"
#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/param.hpp"
#include "ae/core/parameter_budget.hpp"
#include "ae/core/rng.hpp"
#include "ae/core/sample_split.hpp"
#include "ae/core/shape.hpp"

namespace ae {

enum class Mode { inference, training };

template <class S = float>
class Layer {
public:
    using Scalar = S;
    virtual ~Layer() = default;

    /// Keras' class name: "Dense", "Conv2D", ...
    virtual std::string type() const = 0;

    /// Infer and check shapes, initialise parameters. Returns the output shape.
    Shape build(const Shape& in, Rng& rng) {
        if (built_) {
            if (in != input_shape_)
                throw ShapeError(describe() + ": already built for input " + input_shape_.str() +
                                 ", cannot be reused with input " + in.str());
            return output_shape_;
        }
        if (in.empty()) throw ShapeError(type() + ": build needs a non-empty input shape");
        output_shape_ = do_build(in, rng);
        input_shape_ = in;
        built_ = true;
        return output_shape_;
    }
    bool built() const { return built_; }
    const Shape& input_shape() const { return input_shape_; }
    const Shape& output_shape() const { return output_shape_; }

    virtual void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) = 0;
    virtual void backward(const Matrix<S>& dy, Matrix<S>& dx) = 0;

    /// Trainable tensors (none by default). Containers return their children's.
    virtual std::vector<Param<S>> parameters() { return {}; }

    /// A loss term this layer adds (activity penalties, KL), as Keras' add_loss. Zero by default.
    virtual S extra_loss() const { return S(0); }

    /// Hyperparameters, enough for the layer registry to rebuild the layer.
    virtual Config config() const { return {}; }

    /// Sub-layers, for containers (Sequential). Used to walk a model (save, names, flags).
    virtual std::vector<std::shared_ptr<Layer<S>>> children() const { return {}; }

    /// Layers this one refers to without owning them (DenseTranspose's tied Dense). Model
    /// files store these as indices into the model's layer tree, so ties survive save/load.
    virtual std::vector<std::shared_ptr<Layer<S>>> links() const { return {}; }

    /// The layer's own random stream (noise, dropout masks, sampling), or nullptr when it draws
    /// none. Checkpoints save and restore it so a resumed run draws what the original would have.
    virtual Rng* rng() { return nullptr; }

    // --- Fused output activation, so a loss can work from logits (sigmoid+BCE, softmax+CCE).
    /// The activation applied last inside this layer (linear when none).
    virtual Activation output_activation() const { return Activation::linear; }
    /// The pre-activation of the last forward pass, when the layer kept it (else nullptr).
    virtual const Matrix<S>* logits() const { return nullptr; }
    /// backward() given the gradient with respect to the logits instead of the output.
    virtual void backward_from_logits(const Matrix<S>& /*dz*/, Matrix<S>& /*dx*/) {
        throw Error(describe() + ": backward_from_logits is not supported by this layer");
    }
    /// Ask the layer to keep its logits on forward (set by the trainer when a loss fuses).
    virtual void set_keep_logits(bool keep) { keep_logits_ = keep; }

    /// When false, backward may skip computing dx (the first layer of a trained model).
    virtual void set_input_grad_needed(bool needed) { input_grad_needed_ = needed; }
    bool input_grad_needed() const { return input_grad_needed_; }

    /// The layer's passes in per-sample pieces (core/sample_split.hpp), or nullptr when it has
    /// none. fit runs a model whose layers all have them in one parallel region per step, through
    /// the pieces and not forward/backward: a subclass that changes its base's forward or backward
    /// (ContractiveDense) returns nullptr here.
    virtual SampleSplit<S>* sample_split() { return nullptr; }

    /// trainable(false) freezes the layer: its parameters are marked non-trainable and the
    /// optimizer skips them. Gradients still flow through it to earlier layers.
    void set_trainable(bool t) { trainable_ = t; }
    bool trainable() const { return trainable_; }

    const std::string& name() const { return name_; }
    void set_name(std::string n) { name_ = std::move(n); }

    /// "Dense 64→32" once built, "Dense" before.
    std::string describe() const {
        std::string d = name_.empty() ? type() : type() + " '" + name_ + "'";
        if (built_) d += " " + shape_text(input_shape_) + "→" + shape_text(output_shape_);
        return d;
    }

protected:
    virtual Shape do_build(const Shape& in, Rng& rng) = 0;
    /// For containers that grow after being built (Sequential::add).
    void set_output_shape(const Shape& s) { output_shape_ = s; }

    /// A Param view named "<layer name>/<what>", marked with this layer's trainability.
    Param<S> param(const std::string& what, Matrix<S>& value, Matrix<S>& grad) const {
        return Param<S>{name_.empty() ? what : name_ + "/" + what, &value, &grad, trainable_};
    }

    /// Call in do_build before allocating a kernel of `scalars` values (pass a double product,
    /// e.g. double(units) * double(in), which cannot overflow): a model loader's ParameterBudget
    /// refuses sizes the file cannot hold (core/parameter_budget.hpp).
    void claim_parameters(double scalars) const { ParameterBudget::claim(scalars, describe()); }

    /// Shape check used by forward/backward: names the layer, expected and found sizes.
    void check_rows(const Matrix<S>& x, Index expected, const char* what) const {
        if (x.rows() != expected)
            throw ShapeError(describe() + ": expected " + what + " of " + std::to_string(expected) +
                             " features per sample, got " + std::to_string(x.rows()));
    }

    bool keep_logits_ = false;
    bool input_grad_needed_ = true;

private:
    static std::string shape_text(const Shape& s) {
        return s.rank() == 1 ? std::to_string(s[0]) : s.str();
    }
    bool built_ = false;
    bool trainable_ = true;
    std::string name_;
    Shape input_shape_, output_shape_;
};

template <class S>
using LayerPtr = std::shared_ptr<Layer<S>>;

} // namespace ae
