#pragma once
// Sequential: a chain of layers, itself a Layer (so models nest), sharing layers by reference.
//   Sequential<float> model(Shape{784}, {std::make_shared<Dense<>>(128, Activation::relu), ...});
// Shapes are inferred and checked at construction when the input shape is given; a
// Sequential without one is built when its parent builds it.
// Training (compile, fit, evaluate) lives in training/fit.hpp, read top to bottom there.
//
// Threads. Layers keep per-call state (activations for backward, reused buffers), so a forward
// pass is not reentrant. predict() and evaluate() therefore take a mutex of this model: any
// number of threads may call them on one shared model at the same time, and each gets exactly
// the result a single-threaded call gives (the calls run one after another; the parallelism is
// inside each call, in ae's OpenMP products). Not covered: a model used concurrently through
// another model that shares its layers (an Autoencoder's predict and its encoder's predict in
// two threads use the same layers under two different mutexes), forward/backward called
// directly, and fit or any change to the model while another thread predicts. Give each thread
// its own copy (save/load) for those.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ae/core/layer.hpp"
#include "ae/losses/loss.hpp"
#include "ae/models/registry.hpp"
#include "ae/optimizers/optimizer.hpp"
#include "ae/training/callbacks.hpp"
#include "ae/training/fit_options.hpp"
#include "ae/training/history.hpp"

namespace ae {

template <class S = float>
class Sequential : public Layer<S> {
public:
    /// Unbuilt: built later by a parent, or by build(input_shape, rng).
    explicit Sequential(std::vector<LayerPtr<S>> layers = {}) : layers_(std::move(layers)) { check_not_null(); }

    /// Built now: weights initialised from Rng(seed).
    Sequential(const Shape& input_shape, std::vector<LayerPtr<S>> layers, std::uint64_t seed = 42)
        : layers_(std::move(layers)) {
        check_not_null();
        Rng rng(seed);
        this->build(input_shape, rng);
    }

    std::string type() const override { return "Sequential"; }

    /// Append a layer; built at once when this model is built.
    Sequential& add(LayerPtr<S> layer, std::uint64_t seed = 0) {
        if (!layer) throw ConfigError("Sequential::add: null layer");
        layers_.push_back(std::move(layer));
        if (this->built()) {
            Rng rng(seed ? seed : 42 + layers_.size());
            this->build_tail(rng);
        }
        return *this;
    }

    std::size_t size() const { return layers_.size(); }
    const LayerPtr<S>& layer(std::size_t i) const {
        if (i >= layers_.size())
            throw ConfigError("Sequential: layer index " + std::to_string(i) + " out of range (model has " +
                              std::to_string(layers_.size()) + " layers)");
        return layers_[i];
    }
    const std::vector<LayerPtr<S>>& layers() const { return layers_; }
    std::vector<LayerPtr<S>> children() const override { return layers_; }

    // ---------------------------------------------------------------- forward / backward
    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        check_built("forward");
        if (x.rows() != this->input_shape().size())
            throw ShapeError(this->describe() + ": expected input of " + std::to_string(this->input_shape().size()) +
                             " features per sample (shape " + this->input_shape().str() + "), got " +
                             std::to_string(x.rows()));
        const std::size_t n = layers_.size();
        if (n == 0) {
            y = x;
            return;
        }
        acts_.resize(n);
        const Matrix<S>* in = &x;
        for (std::size_t i = 0; i + 1 < n; ++i) {
            layers_[i]->forward(*in, acts_[i], mode);
            in = &acts_[i];
        }
        layers_[n - 1]->forward(*in, y, mode);
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        check_built("backward");
        if (layers_.empty()) {
            dx = dy;
            return;
        }
        layers_.back()->backward(dy, chain_grad(layers_.size() - 1, dx));
        backward_rest(dx);
    }

    void backward_from_logits(const Matrix<S>& dz, Matrix<S>& dx) override {
        check_built("backward");
        if (layers_.empty()) throw Error("Sequential: empty model has no logits");
        layers_.back()->backward_from_logits(dz, chain_grad(layers_.size() - 1, dx));
        backward_rest(dx);
    }

    // The fused output activation is the last layer's.
    Activation output_activation() const override {
        return layers_.empty() ? Activation::linear : layers_.back()->output_activation();
    }
    const Matrix<S>* logits() const override { return layers_.empty() ? nullptr : layers_.back()->logits(); }
    void set_keep_logits(bool keep) override {
        Layer<S>::set_keep_logits(keep);
        if (!layers_.empty()) layers_.back()->set_keep_logits(keep);
    }
    void set_input_grad_needed(bool needed) override {
        Layer<S>::set_input_grad_needed(needed);
        for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->set_input_grad_needed(i == 0 ? needed : true);
    }

    /// Every parameter once (a layer shared twice is listed once), named "<model>/<layer>/<what>";
    /// all frozen if this model is.
    std::vector<Param<S>> parameters() override {
        std::vector<Param<S>> out;
        std::set<const Matrix<S>*> seen;
        for (auto& l : layers_)
            for (auto& p : l->parameters())
                if (seen.insert(p.value).second) {
                    if (!this->trainable()) p.trainable = false;
                    if (!this->name().empty()) p.name = this->name() + "/" + p.name;
                    out.push_back(p);
                }
        return out;
    }

    static std::shared_ptr<Sequential> from_config(const LayerArgs<S>& a) {
        if (!a.links.empty()) throw FormatError("Sequential: expected no links, got " + std::to_string(a.links.size()));
        return std::make_shared<Sequential>(a.children);
    }

    S extra_loss() const override {
        S total = 0;
        for (auto& l : layers_) total += l->extra_loss();
        return total;
    }

    /// Number of scalars in all parameters (trainable or not).
    Index count_params() {
        Index n = 0;
        for (auto& p : parameters()) n += p.value->size();
        return n;
    }

    /// A Keras-like table: layer, output shape, parameter count.
    std::string summary() {
        std::string s = "Layer (type)                      Output shape        Params\n";
        for (auto& l : layers_) {
            Index n = 0;
            for (auto& p : l->parameters()) n += p.value->size();
            std::string name = l->name() + " (" + l->type() + ")";
            name.resize(std::max<std::size_t>(name.size() + 1, 34), ' ');
            std::string shape = l->built() ? l->output_shape().str() : "?";
            shape.resize(std::max<std::size_t>(shape.size() + 1, 20), ' ');
            s += name + shape + std::to_string(n) + "\n";
        }
        s += "Total params: " + std::to_string(count_params()) + "\n";
        return s;
    }

    // ---------------------------------------------------------------- inference
    /// Outputs for every column of x, in inference mode, batch by batch. Safe to call from
    /// several threads on one model (serialised by a mutex; see the top of this file).
    Matrix<S> predict(const Matrix<S>& x, Index batch_size = 256) {
        Matrix<S> out;
        predict(x, out, batch_size);
        return out;
    }
    /// The same into `out`, sized to outputs × x.cols() (no allocation when it already has that
    /// shape: for calling predict in a loop). out must not be x.
    void predict(const Matrix<S>& x, Matrix<S>& out, Index batch_size = 256) {
        const std::lock_guard<std::mutex> lock(inference_mutex_);
        check_built("predict");
        if (batch_size <= 0) throw ConfigError("predict: expected batch_size > 0, got " + std::to_string(batch_size));
        if (x.rows() != this->input_shape().size())
            throw ShapeError(this->describe() + "::predict: expected input of " +
                             std::to_string(this->input_shape().size()) + " features per sample, got " +
                             std::to_string(x.rows()));
        if (&out == &x) throw ConfigError("predict: out must be another matrix than the input x");
        ensure_size(out, this->output_shape().size(), x.cols());
        // No logits are needed here; fit's own setting comes back afterwards (a callback may predict).
        const bool keep_logits = this->keep_logits_;
        set_keep_logits(false);
        struct Restore {
            Sequential* model;
            bool keep;
            ~Restore() { model->set_keep_logits(keep); }
        } restore{this, keep_logits};
        for (Index start = 0; start < x.cols(); start += batch_size) {
            const Index n = std::min(batch_size, x.cols() - start);
            copy_columns(x, start, n, batch_x_);
            forward(batch_x_, batch_y_, Mode::inference);
            paste_columns(batch_y_, out, start);
        }
    }

    // ---------------------------------------------------------------- training (training/fit.hpp)
    /// Keras' compile: the optimizer and loss that fit and evaluate use.
    void compile(std::shared_ptr<Optimizer<S>> optimizer, std::shared_ptr<Loss<S>> loss) {
        if (!optimizer) throw ConfigError("compile: optimizer is null");
        if (!loss) throw ConfigError("compile: loss is null");
        optimizer_ = std::move(optimizer);
        loss_ = std::move(loss);
    }
    bool compiled() const { return optimizer_ && loss_; }
    const std::shared_ptr<Optimizer<S>>& optimizer() const { return optimizer_; }
    const std::shared_ptr<Loss<S>>& loss() const { return loss_; }

    History fit(const Matrix<S>& x, const Matrix<S>& y, const FitOptions<S>& options = {},
                std::vector<std::shared_ptr<Callback<S>>> callbacks = {});
    /// Mean loss (plus extra losses) over x in inference mode. Thread-safe like predict.
    double evaluate(const Matrix<S>& x, const Matrix<S>& y, Index batch_size = 256);

    /// Set every gradient to zero (once per training step).
    void zero_grad() {
        for (auto& p : parameters()) p.grad->setZero();
    }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        built_count_ = 0;
        current_shape_ = in;
        build_tail(rng);
        return current_shape_;
    }

private:
    void check_not_null() const {
        for (std::size_t i = 0; i < layers_.size(); ++i)
            if (!layers_[i]) throw ConfigError("Sequential: layer " + std::to_string(i) + " is null");
    }
    void check_built(const char* what) const {
        if (!this->built())
            throw ConfigError("Sequential::" + std::string(what) +
                              ": the model is not built (give an input shape, or build it)");
    }

    // Build layers [built_count_, size) in order, naming unnamed ones uniquely in this model.
    void build_tail(Rng& rng) {
        for (; built_count_ < layers_.size(); ++built_count_) {
            auto& l = layers_[built_count_];
            if (l->name().empty()) l->set_name(unique_name(l->type()));
            try {
                current_shape_ = l->build(current_shape_, rng);
            } catch (const ShapeError& e) {
                std::string prev = built_count_ == 0 ? "the model input " + current_shape_.str()
                                                     : "layer " + std::to_string(built_count_ - 1) + " (" +
                                                           layers_[built_count_ - 1]->describe() + ")";
                throw ShapeError("Sequential layer " + std::to_string(built_count_) + " (" + l->describe() +
                                 ") cannot follow " + prev + ": " + e.what());
            }
        }
        if (this->built()) this->set_output_shape(current_shape_);  // grown by add()
    }

    std::string unique_name(const std::string& type) {
        std::string base;
        for (char c : type) {
            if (std::isupper(static_cast<unsigned char>(c)) && !base.empty() &&
                !std::isupper(static_cast<unsigned char>(base.back())) && !std::isdigit(static_cast<unsigned char>(base.back())))
                base += '_';
            base += char(std::tolower(static_cast<unsigned char>(c)));
        }
        // Skip names already taken by this model's layers (e.g. after a load, or set by hand).
        for (;;) {
            const int k = name_counts_[base]++;
            std::string candidate = k == 0 ? base : base + "_" + std::to_string(k);
            bool taken = false;
            for (auto& l : layers_) taken = taken || l->name() == candidate;
            if (!taken) return candidate;
        }
    }

    // Gradient target for layer i's dx: the caller's dx for layer 0, else a buffer.
    Matrix<S>& chain_grad(std::size_t i, Matrix<S>& dx) {
        grads_.resize(layers_.size());
        return i == 0 ? dx : grads_[i];
    }
    void backward_rest(Matrix<S>& dx) {
        for (std::size_t i = layers_.size() - 1; i-- > 0;) layers_[i]->backward(grads_[i + 1], chain_grad(i, dx));
    }

    std::vector<LayerPtr<S>> layers_;
    std::vector<Matrix<S>> acts_, grads_;
    Matrix<S> batch_x_, batch_y_, eval_y_;                    // predict / evaluate
    std::mutex inference_mutex_;                              // held by predict / evaluate
    Matrix<S> fit_x_, fit_y_, fit_out_, fit_dout_, fit_dx_;   // fit's reused batch buffers
    std::size_t built_count_ = 0;
    Shape current_shape_;
    std::map<std::string, int> name_counts_;
    std::shared_ptr<Optimizer<S>> optimizer_;
    std::shared_ptr<Loss<S>> loss_;
};

} // namespace ae

#include "ae/training/fit.hpp"
