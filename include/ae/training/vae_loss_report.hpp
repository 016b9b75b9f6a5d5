#pragma once
// VAELossReport: a callback that evaluates a VariationalAutoencoder's two loss terms on a data
// set (usually the validation set) at the end of every epoch, in inference mode:
//   history()["reconstruction"][e]  the compiled loss: nats per image with recipes::variational
//   history()["kl"][e]              KL(q(z|x) ‖ N(0, I)) in nats per image, unweighted
//   history()["beta"][e]            the β epoch e trained with (KL warm-up changes it), whatever
//                                   the order of the callbacks
// with reconstruction + beta · kl equal to that epoch's evaluate(x, x) (val_loss on the same
// data). fit passes EpochLogs to callbacks as const, so the terms live in this callback's own
// History instead of fit's; with print, they are written after fit's epoch line.
//   auto terms = std::make_shared<ae::VAELossReport<float>>(x_val);
//   vae->fit(x, x, {.epochs = 50, .validation_data = {x_val, x_val}}, {terms});
//   terms->history()["kl"].back();
#include <cstdio>
#include <memory>

#include "ae/models/variational_autoencoder.hpp"
#include "ae/training/callbacks.hpp"
#include "ae/training/history.hpp"

namespace ae {

template <class S = float>
class VAELossReport : public Callback<S> {
public:
    /// x is held by reference: it must outlive fit.
    explicit VAELossReport(const Matrix<S>& x, Index batch_size = 256, bool print = false)
        : x_(&x), batch_size_(batch_size), print_(print) {
        if (batch_size <= 0)
            throw ConfigError("VAELossReport: expected batch_size > 0, got " + std::to_string(batch_size));
        if (x.cols() == 0) throw ShapeError("VAELossReport: expected at least one sample, got 0 columns");
    }

    void on_train_begin(Sequential<S>& model, const TrainingState&) override {
        if (!dynamic_cast<VariationalAutoencoder<S>*>(&model))
            throw ConfigError("VAELossReport: expected a VariationalAutoencoder, got a " + model.type());
        history_ = History{};
    }

    bool on_batch_end(Sequential<S>& model, const TrainingState& st) override {
        // The β this epoch trains with (a KLWarmUp may change it in its own on_epoch_end, before
        // or after ours depending on the callbacks' order).
        if (st.batch == 0) epoch_beta_ = dynamic_cast<VariationalAutoencoder<S>&>(model).sampling()->beta();
        return false;
    }

    bool on_epoch_end(Sequential<S>& model, const TrainingState& st, const EpochLogs&) override {
        auto& vae = dynamic_cast<VariationalAutoencoder<S>&>(model);  // checked at train begin
        const double next_beta = vae.sampling()->beta();
        vae.sampling()->set_beta(epoch_beta_);  // weigh the terms as this epoch's val_loss did
        const VAELossTerms t = vae.loss_terms(*x_, batch_size_);
        vae.sampling()->set_beta(next_beta);
        history_.append({{"reconstruction", t.reconstruction}, {"kl", t.kl}, {"beta", t.beta}});
        if (print_)
            std::printf("Epoch %d/%d - reconstruction: %.3f nats - kl: %.3f nats - beta: %.3g\n", st.epoch + 1,
                        st.epochs, t.reconstruction, t.kl, t.beta);
        return false;
    }

    /// This fit's per-epoch terms: "reconstruction", "kl", "beta".
    const History& history() const { return history_; }

private:
    const Matrix<S>* x_;
    Index batch_size_;
    bool print_;
    double epoch_beta_ = 1;
    History history_;
};

}  // namespace ae
