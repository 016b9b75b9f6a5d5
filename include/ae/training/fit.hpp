#pragma once
// Training, top to bottom: Sequential<S>::fit and Sequential<S>::evaluate.
//
//   for each epoch:
//     shuffle (seeded)
//     for each batch: zero grads → forward → loss + extra losses → backward → optimizer step → callbacks
//       (a model of Dense/DenseTranspose layers with BCE or MSE runs zero grads → forward → loss →
//       backward in one parallel region: training/sample_parallel_step.hpp)
//     validation → History → callbacks (ModelCheckpoint writes checkpoints here)
//
// Reliability (docs/checkpoints.md): resume_from continues from a checkpoint
// (io/checkpoint_file.hpp) bit-identically; a TerminateOnNaN is added by default (stops at a
// non-finite loss and restores the last finite weights; fit returns, History::stop_reason()
// says why); inputs and targets are checked for NaN/Inf and targets against the loss's range.
//
// When the loss fuses with the model's output activation (BCE after sigmoid, CCE after
// softmax), loss and gradient are taken from the logits and the activation's derivative
// is skipped: exact for saturated outputs and one pass cheaper.
#include <chrono>
#include <numeric>
#include <string>

#include "ae/core/parallel.hpp"
#include "ae/core/param_schedule.hpp"
#include "ae/io/checkpoint_file.hpp"
#include "ae/models/sequential.hpp"
#include "ae/training/sample_parallel_step.hpp"

namespace ae {

namespace detail {
template <class S>
void check_xy(const Sequential<S>& model, const Matrix<S>& x, const Matrix<S>& y, const std::string& where) {
    if (x.rows() != model.input_shape().size())
        throw ShapeError(where + ": expected inputs of " + std::to_string(model.input_shape().size()) +
                         " features per sample (model input " + model.input_shape().str() + "), got " +
                         std::to_string(x.rows()));
    if (y.rows() != model.output_shape().size())
        throw ShapeError(where + ": expected targets of " + std::to_string(model.output_shape().size()) +
                         " features per sample (model output " + model.output_shape().str() + "), got " +
                         std::to_string(y.rows()));
    if (x.cols() != y.cols())
        throw ShapeError(where + ": inputs have " + std::to_string(x.cols()) + " samples (columns) but targets have " +
                         std::to_string(y.cols()));
    if (x.cols() == 0) throw ShapeError(where + ": expected at least one sample, got 0 columns");
}

// NaN/Inf anywhere in m: ConfigError naming the first one.
template <class S>
void check_finite(const Matrix<S>& m, const std::string& where) {
    if (m.allFinite()) return;
    for (Index j = 0; j < m.cols(); ++j)
        for (Index i = 0; i < m.rows(); ++i)
            if (!std::isfinite(m(i, j)))
                throw ConfigError(where + " holds " + std::to_string(double(m(i, j))) + " at sample " +
                                  std::to_string(j) + ", feature " + std::to_string(i) +
                                  " (FitOptions::check_finite_inputs = false skips this check)");
}

// Copy the columns order[start, start + n) of src into dst. The columns sit at random places in
// the data set, so the copy waits on memory; two threads keep twice as many loads in flight
// (weighed as memory_cost FLOPs per value, so that an MNIST batch, 784 × 256, is split).
template <class S>
void gather_columns(const Matrix<S>& src, const std::vector<Index>& order, Index start, Index n, Matrix<S>& dst) {
    ensure_size(dst, src.rows(), n);
    parallel_for(n, memory_cost * double(src.rows()) * double(n), [&](Index c, Index m) {
        for (Index j = c; j < c + m; ++j) dst.col(j) = src.col(order[std::size_t(start + j)]);
    });
}
}  // namespace detail

template <class S>
History Sequential<S>::fit(const Matrix<S>& x, const Matrix<S>& y, const FitOptions<S>& opt,
                           std::vector<std::shared_ptr<Callback<S>>> callbacks) {
    // ---- checks, before anything changes
    if (!compiled()) throw ConfigError("fit: the model is not compiled (call compile(optimizer, loss) first)");
    check_built("fit");
    if (opt.epochs < 0) throw ConfigError("fit: expected epochs >= 0, got " + std::to_string(opt.epochs));
    if (opt.batch_size <= 0) throw ConfigError("fit: expected batch_size > 0, got " + std::to_string(opt.batch_size));
    detail::check_xy(*this, x, y, "fit");
    const bool validate = opt.validation_data.present();
    if (validate) {
        if (!opt.validation_data.y) throw ConfigError("fit: validation_data has inputs but no targets");
        detail::check_xy(*this, *opt.validation_data.x, *opt.validation_data.y, "fit (validation_data)");
    }
    if (opt.check_finite_inputs) {
        detail::check_finite(x, "fit: the inputs x");
        if (&y != &x) detail::check_finite(y, "fit: the targets y");
        if (validate) detail::check_finite(*opt.validation_data.x, "fit: the validation inputs");
        if (validate) detail::check_finite(*opt.validation_data.y, "fit: the validation targets");
    }
    loss_->check_targets(y, "fit: targets");
    if (validate) loss_->check_targets(*opt.validation_data.y, "fit: validation targets");
    std::shared_ptr<TerminateOnNaN<S>> nan_guard;  // the caller's, or one added by default
    for (auto& cb : callbacks)
        if (auto g = std::dynamic_pointer_cast<TerminateOnNaN<S>>(cb)) nan_guard = g;
    if (!nan_guard && opt.terminate_on_nan) {
        nan_guard = std::make_shared<TerminateOnNaN<S>>(opt.verbose > 0);
        callbacks.insert(callbacks.begin(), nan_guard);  // first: restores before others see the batch
    }
    if (opt.verbose > 0) callbacks.insert(callbacks.begin(), std::make_shared<ProgressBar<S>>());

    // ---- set up: fused loss path, no gradient for the model's input, parameter list
    const bool fused = loss_->fuses_with(output_activation());
    set_keep_logits(fused);
    set_input_grad_needed(false);
    std::vector<Param<S>> params = parameters();
    const ParamSchedule<S> schedule(params);  // zeroes the gradients on ae's threads
    // Models of Dense/DenseTranspose layers only, with BCE or MSE: each step in one parallel region.
    const auto split_step = detail::SampleParallelStep<S>::plan(*this, *loss_, fused);
    Rng rng(opt.seed);
    const Index n = x.cols();
    const bool same_xy = &x == &y;
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index(0));

    History history;

    // ---- resume: weights, optimizer, layer Rngs, and fit's own order, Rng and History
    int first_epoch = 0;
    if (!opt.resume_from.empty())
        first_epoch = detail::resume_fit(opt.resume_from, *this, *optimizer_, opt.batch_size, rng, order, history);

    TrainingState st;
    st.epoch = first_epoch;
    st.epochs = opt.epochs;
    st.batches = (n + opt.batch_size - 1) / opt.batch_size;
    st.batch_size = opt.batch_size;
    st.shuffle_rng = &rng;
    st.order = &order;
    st.history = &history;
    for (auto& cb : callbacks) cb->on_train_begin(*this, st);

    bool stop = false;
    for (int epoch = first_epoch; epoch < opt.epochs && !stop; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        st.epoch = epoch;
        if (opt.shuffle) rng.shuffle(order);
        double loss_sum = 0;
        Index seen = 0;

        for (Index start = 0, b = 0; start < n && !stop; start += opt.batch_size, ++b) {
            const Index nb = std::min(opt.batch_size, n - start);
            S loss;
            if (split_step) {  // the same step, in one parallel region
                loss = split_step->run(x, same_xy ? nullptr : &y, order, start, nb, schedule, params);
            } else {
                detail::gather_columns(x, order, start, nb, fit_x_);
                if (!same_xy) detail::gather_columns(y, order, start, nb, fit_y_);
                const Matrix<S>& target = same_xy ? fit_x_ : fit_y_;  // autoencoders: fit(x, x)

                schedule.run_split(memory_cost, [&](std::size_t i, Index begin, Index count) {
                    params[i].grad->reshaped().segment(begin, count).setZero();
                });
                forward(fit_x_, fit_out_, Mode::training);

                if (fused) {
                    loss = loss_->value_and_gradient_from_logits(*logits(), fit_out_, target, fit_dout_);
                } else {
                    loss = loss_->value(fit_out_, target);
                    loss_->gradient(fit_out_, target, fit_dout_);
                }
                if (fused) backward_from_logits(fit_dout_, fit_dx_);
                else backward(fit_dout_, fit_dx_);
            }
            loss += extra_loss();  // extra losses add their gradients inside their layers' backward
            optimizer_->step(params);

            loss_sum += double(loss) * double(nb);
            seen += nb;
            st.batch = b;
            st.batch_loss = double(loss);
            st.running_loss = loss_sum / double(seen);
            for (auto& cb : callbacks) stop = cb->on_batch_end(*this, st) || stop;
        }

        EpochLogs logs;
        logs["loss"] = loss_sum / double(std::max<Index>(seen, 1));
        if (opt.validation_data.present())
            logs["val_loss"] = evaluate(*opt.validation_data.x, *opt.validation_data.y, opt.batch_size);
        logs["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        history.append(logs);
        for (auto& cb : callbacks) stop = cb->on_epoch_end(*this, st, logs) || stop;
    }

    for (auto& cb : callbacks) cb->on_train_end(*this, st);
    if (nan_guard && nan_guard->stopped()) history.set_stop_reason(nan_guard->message());
    set_input_grad_needed(true);
    return history;
}

template <class S>
double Sequential<S>::evaluate(const Matrix<S>& x, const Matrix<S>& y, Index batch_size) {
    const std::lock_guard<std::mutex> lock(inference_mutex_);
    if (!loss_) throw ConfigError("evaluate: the model is not compiled (call compile(optimizer, loss) first)");
    check_built("evaluate");
    if (batch_size <= 0) throw ConfigError("evaluate: expected batch_size > 0, got " + std::to_string(batch_size));
    detail::check_xy(*this, x, y, "evaluate");
    loss_->check_targets(y, "evaluate: targets");
    const bool fused = loss_->fuses_with(output_activation());
    set_keep_logits(fused);
    double total = 0;
    for (Index start = 0; start < x.cols(); start += batch_size) {
        const Index nb = std::min(batch_size, x.cols() - start);
        copy_columns(x, start, nb, batch_x_);
        copy_columns(y, start, nb, eval_y_);
        forward(batch_x_, batch_y_, Mode::inference);
        S loss = fused ? loss_->value_from_logits(*logits(), batch_y_, eval_y_) : loss_->value(batch_y_, eval_y_);
        total += double(loss + extra_loss()) * double(nb);
    }
    return total / double(x.cols());
}

} // namespace ae
