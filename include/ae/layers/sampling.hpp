#pragma once
// Sampling: the variational autoencoder's reparameterisation, z = μ + exp(γ/2) ⊙ ε, ε ~ N(0, I),
// with γ = log σ², and the KL latent loss added through extra_loss().
//
// Input: the concatenation [μ; γ], 2L × batch (rows 0..L−1 are μ, rows L..2L−1 are γ), e.g.
// the output of one linear Dense(2L). That Dense is exactly Keras' two linear heads
// Dense(L) for μ and Dense(L) for log σ² on the same input (its kernel's first L rows are the
// μ head, the last L rows the γ head), computed with one GEMM, and it keeps the model a plain
// Sequential chain. Output: z, L × batch.
//
// Modes: in Mode::training z is sampled; in Mode::inference z = μ (the mean of q(z|x)), so
// encode/predict are deterministic, as DESIGN.md asks of all noise. The book's Keras Sampling
// layer samples in both modes; set sample_in_inference to true for that behaviour.
//
// KL term, summed over the L latent dimensions and averaged over the batch, times β (β-VAE;
// set_beta() also serves KL warm-up):
//   extra_loss = β · (−½) Σ_{j,b} (1 + γ − μ² − exp γ) / batch
// computed on every forward pass (training and inference, as Keras' evaluate includes add_loss).
// Backward, with dz the gradient with respect to z:
//   dμ = dz + β μ / batch
//   dγ = dz ⊙ ε ⊙ ½ exp(γ/2) + β (exp γ − 1) / (2 batch)        (ε = 0 when z = μ)
// ε comes from the layer's own Rng, seeded at build from the model's build Rng; reseed() fixes
// it (gradient checks freeze the sampling).
#include <cmath>
#include <cstdint>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Sampling : public Layer<S> {
public:
    explicit Sampling(double beta = 1.0, bool sample_in_inference = false) : sample_in_inference_(sample_in_inference) {
        set_beta(beta);
    }

    std::string type() const override { return "Sampling"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        this->check_rows(x, 2 * latent_, "input [mu; log_var]");
        const Index B = x.cols();
        x_ = &x;
        auto mu = x.topRows(latent_);          // L × batch
        auto log_var = x.bottomRows(latent_);  // L × batch
        sampled_ = mode == Mode::training || sample_in_inference_;
        ensure_size(y, latent_, B);
        if (sampled_) {
            ensure_size(eps_, latent_, B);
            for (Index i = 0; i < eps_.size(); ++i) eps_.data()[i] = S(rng_.normal());
            ensure_size(sigma_, latent_, B);
            sigma_.array() = (S(0.5) * log_var.array()).exp();  // σ: L × batch
            y.array() = mu.array() + sigma_.array() * eps_.array();
        } else {
            y = mu;
        }
        const double sum = double((S(1) + log_var.array() - mu.array().square() - log_var.array().exp()).sum());
        kl_ = S(-0.5 * sum / double(std::max<Index>(B, 1)));
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, latent_, "output gradient");
        if (!this->input_grad_needed_) return;
        const Index B = dy.cols();
        const S k = S(beta_) / S(std::max<Index>(B, 1));
        auto mu = x_->topRows(latent_);
        auto log_var = x_->bottomRows(latent_);
        ensure_size(dx, 2 * latent_, B);
        dx.topRows(latent_).array() = dy.array() + k * mu.array();  // dμ: L × batch
        if (sampled_)
            dx.bottomRows(latent_).array() =
                dy.array() * eps_.array() * S(0.5) * sigma_.array() + S(0.5) * k * (log_var.array().exp() - S(1));
        else
            dx.bottomRows(latent_).array() = S(0.5) * k * (log_var.array().exp() - S(1));
    }

    /// β times the KL divergence of the last forward pass.
    S extra_loss() const override { return S(beta_) * kl_; }
    /// The unweighted KL divergence of the last forward pass, in nats per sample.
    S kl_divergence() const { return kl_; }

    double beta() const { return beta_; }
    /// β-VAE weight of the KL term (1 for the plain VAE); change it between epochs for warm-up.
    void set_beta(double beta) {
        if (!(beta >= 0) || !std::isfinite(beta))
            throw ConfigError("Sampling: expected a finite beta >= 0, got " + std::to_string(beta));
        beta_ = beta;
    }
    bool sample_in_inference() const { return sample_in_inference_; }
    Index latent_dims() const { return latent_; }
    /// Restart the ε stream: the next sampled forward draws the same ε as after any other
    /// reseed with this seed.
    void reseed(std::uint64_t seed) { rng_.seed_with(seed); }
    Rng* rng() override { return &rng_; }
    /// ε of the last sampled forward pass: L × batch.
    const Matrix<S>& epsilon() const { return eps_; }

    Config config() const override {
        Config c;
        c.set("beta", beta_).set("sample_in_inference", sample_in_inference_);
        return c;
    }

    static std::shared_ptr<Sampling> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Sampling", 0, 0);
        return std::make_shared<Sampling>(a.config.get_double("beta"), a.config.get_bool("sample_in_inference"));
    }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        if (in.rank() != 1 || in[0] % 2 != 0)
            throw ShapeError("Sampling: expected a vector input {2L} holding [mu; log_var], got " + in.str() +
                             (in.rank() == 1 ? " (an odd size)" : ""));
        latent_ = in[0] / 2;
        rng_.seed_with(rng.next_u64());
        return Shape{latent_};
    }

private:
    double beta_ = 1.0;
    bool sample_in_inference_;
    Index latent_ = 0;
    Rng rng_;
    Matrix<S> eps_, sigma_;
    S kl_ = 0;
    bool sampled_ = false;
    const Matrix<S>* x_ = nullptr;
};

}  // namespace ae
