#pragma once
// VariationalAutoencoder: an Autoencoder whose encoder ends with a Sampling layer, fed by a
// layer giving [μ; γ] (γ = log σ²), e.g. a linear Dense(2L). Adds what a VAE needs:
//   encode_distribution(x) → {z, mu, log_var}   (the encoder's three outputs, in Keras' order)
//   sample(n, rng)         → n decoded codings drawn from the prior N(0, I)
//   loss_terms(x)          → the reconstruction and KL terms of evaluate(), separately
//   auto vae = ae::recipes::variational(784, {512}, 2).autoencoder;
//   vae->fit(x, x, {.epochs = 50, .batch_size = 256});
//   Matrix<float> digits = vae->sample(64, rng);
#include <memory>

#include "ae/layers/sampling.hpp"
#include "ae/models/autoencoder.hpp"
#include "ae/training/fit.hpp"

namespace ae {

/// The approximate posterior q(z|x) of each column: all three L × samples.
template <class S = float>
struct LatentDistribution {
    Matrix<S> z;        // codings as the encoder outputs them (z = μ in inference, see Sampling)
    Matrix<S> mu;       // means
    Matrix<S> log_var;  // γ = log σ²
};

/// The two terms of a VAE's loss on a data set, as evaluate() weighs them:
///   evaluate(x, x) = reconstruction + beta · kl
struct VAELossTerms {
    double reconstruction = 0;  // the compiled loss (nats per image with the recipe's summed BCE)
    double kl = 0;              // KL(q(z|x) ‖ N(0, I)), nats per image, unweighted
    double beta = 1;            // the Sampling layer's β when evaluated
    double total() const { return reconstruction + beta * kl; }
};

template <class S = float>
class VariationalAutoencoder : public Autoencoder<S> {
public:
    using SequentialPtr = std::shared_ptr<Sequential<S>>;

    VariationalAutoencoder(SequentialPtr encoder, SequentialPtr decoder)
        : Autoencoder<S>(encoder, decoder), sampling_(find_sampling(*encoder)) {}

    std::string type() const override { return "VariationalAutoencoder"; }

    const std::shared_ptr<Sampling<S>>& sampling() const { return sampling_; }
    Index latent_dims() const { return this->decoder()->input_shape().size(); }

    /// z, μ and log σ² of every column of x (inference mode).
    LatentDistribution<S> encode_distribution(const Matrix<S>& x, Index batch_size = 256) {
        auto& enc = *this->encoder();
        // The encoder minus its Sampling layer, sharing the layers: gives [μ; γ].
        std::vector<LayerPtr<S>> head;
        for (std::size_t i = 0; i + 1 < enc.size(); ++i) head.push_back(enc.layer(i));
        Sequential<S> stats_model(std::move(head));
        Rng rng(0);
        stats_model.build(enc.input_shape(), rng);                   // the layers are built: no re-initialisation
        const Matrix<S> stats = stats_model.predict(x, batch_size);  // 2L × samples
        const Index L = latent_dims();
        LatentDistribution<S> d;
        d.mu = stats.topRows(L);
        d.log_var = stats.bottomRows(L);
        d.z = enc.predict(x, batch_size);
        return d;
    }

    /// n samples of the generative model: codings z ~ N(0, I), decoded. Output: input × n.
    Matrix<S> sample(Index n, Rng& rng, Index batch_size = 256) {
        if (n <= 0) throw ConfigError("VariationalAutoencoder::sample: expected n > 0, got " + std::to_string(n));
        Matrix<S> z(latent_dims(), n);  // z: L × n
        rng.fill_normal(z, 0.0, 1.0);
        return this->decode(z, batch_size);
    }

    /// The reconstruction and KL terms on x (targets x), inference mode, as evaluate(x, x).
    VAELossTerms loss_terms(const Matrix<S>& x, Index batch_size = 256) {
        if (!this->loss())
            throw ConfigError("VariationalAutoencoder::loss_terms: the model is not compiled (call compile first)");
        if (!this->built()) throw ConfigError("VariationalAutoencoder::loss_terms: the model is not built");
        if (batch_size <= 0)
            throw ConfigError("VariationalAutoencoder::loss_terms: expected batch_size > 0, got " +
                              std::to_string(batch_size));
        detail::check_xy(*this, x, x, "VariationalAutoencoder::loss_terms");
        const auto& loss = *this->loss();
        const bool fused = loss.fuses_with(this->output_activation());
        this->set_keep_logits(fused);
        VAELossTerms t;
        t.beta = sampling_->beta();
        for (Index start = 0; start < x.cols(); start += batch_size) {
            const Index nb = std::min(batch_size, x.cols() - start);
            ensure_size(bx_, x.rows(), nb);
            bx_ = x.middleCols(start, nb);
            this->forward(bx_, by_, Mode::inference);
            const S rec = fused ? loss.value_from_logits(*this->logits(), by_, bx_) : loss.value(by_, bx_);
            t.reconstruction += double(rec) * double(nb);
            t.kl += double(sampling_->kl_divergence()) * double(nb);
        }
        t.reconstruction /= double(x.cols());
        t.kl /= double(x.cols());
        return t;
    }

    static std::shared_ptr<VariationalAutoencoder> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "VariationalAutoencoder", 2, 0);
        auto enc = std::dynamic_pointer_cast<Sequential<S>>(a.children[0]);
        auto dec = std::dynamic_pointer_cast<Sequential<S>>(a.children[1]);
        if (!enc || !dec)
            throw FormatError("VariationalAutoencoder: expected two Sequential children (encoder, decoder)");
        return std::make_shared<VariationalAutoencoder>(enc, dec);
    }

private:
    static std::shared_ptr<Sampling<S>> find_sampling(const Sequential<S>& encoder) {
        auto s =
            encoder.size() == 0 ? nullptr : std::dynamic_pointer_cast<Sampling<S>>(encoder.layer(encoder.size() - 1));
        if (!s || encoder.size() < 2)
            throw ConfigError(
                "VariationalAutoencoder: expected an encoder ending with a layer giving [mu; log_var] "
                "followed by a Sampling layer, got " +
                std::to_string(encoder.size()) + " layers" +
                (encoder.size() ? ", the last a " + encoder.layer(encoder.size() - 1)->type() : ""));
        return s;
    }

    std::shared_ptr<Sampling<S>> sampling_;
    Matrix<S> bx_, by_;
};

}  // namespace ae
