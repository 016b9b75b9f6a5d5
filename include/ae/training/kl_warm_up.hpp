#pragma once
// KLWarmUp: a callback ramping a Sampling layer's β linearly over the first epochs of fit
// (Bowman et al. 2016; Sønderby et al. 2016), so the decoder learns to use the codings before
// the KL term pulls them to the prior:
//   β(epoch e) = target · min(1, e / warmup_epochs)        (e = 0, 1, …)
// Epoch 0 trains reconstruction only; from epoch warmup_epochs on, β = target. Each fit call
// restarts the ramp. β is set at train begin and after each epoch (for the next one), so the
// validation loss of epoch e is measured with β(e), the β that epoch trained with; after fit,
// β stays at the last epoch's value (call set_beta to change it).
//   auto warm = std::make_shared<ae::KLWarmUp<float>>(vae->sampling(), 10);
//   vae->fit(x, x, opt, {warm});
#include <cmath>
#include <memory>
#include <vector>

#include "ae/layers/sampling.hpp"
#include "ae/training/callbacks.hpp"

namespace ae {

template <class S = float>
class KLWarmUp : public Callback<S> {
public:
    KLWarmUp(std::shared_ptr<Sampling<S>> sampling, int warmup_epochs, double target_beta = 1.0)
        : sampling_(std::move(sampling)), epochs_(warmup_epochs), target_(target_beta) {
        if (!sampling_) throw ConfigError("KLWarmUp: the Sampling layer is null");
        if (warmup_epochs < 0)
            throw ConfigError("KLWarmUp: expected warmup_epochs >= 0, got " + std::to_string(warmup_epochs));
        if (!(target_beta >= 0) || !std::isfinite(target_beta))
            throw ConfigError("KLWarmUp: expected a finite target_beta >= 0, got " + std::to_string(target_beta));
    }

    /// β for (0-based) epoch e.
    double beta_at(int epoch) const {
        if (epochs_ == 0 || epoch >= epochs_) return target_;
        return target_ * double(epoch) / double(epochs_);
    }

    void on_train_begin(Sequential<S>&, const TrainingState& st) override {
        betas_.clear();
        set(st.epoch);  // 0, or the first epoch of a resumed fit
    }
    bool on_epoch_end(Sequential<S>&, const TrainingState& st, const EpochLogs&) override {
        if (st.epoch + 1 < st.epochs) set(st.epoch + 1);  // after fit, β stays at the last epoch's
        return false;
    }

    /// The β each epoch of the last fit trained with, in order.
    const std::vector<double>& betas() const { return betas_; }

private:
    void set(int epoch) {
        sampling_->set_beta(beta_at(epoch));
        betas_.push_back(beta_at(epoch));
    }

    std::shared_ptr<Sampling<S>> sampling_;
    int epochs_;
    double target_;
    std::vector<double> betas_;
};

}  // namespace ae
