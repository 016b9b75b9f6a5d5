#pragma once
// Autoencoder: a Sequential of exactly two children, the encoder and the decoder, which it
// shares by reference (Keras semantics): after training the autoencoder, encoder->predict
// gives the codings with the trained weights.
//   auto ae = std::make_shared<Autoencoder<>>(encoder, decoder);
//   ae->fit(x, x, ...);  Matrix<> codings = ae->encode(x);  Matrix<> x_hat = ae->reconstruct(x);
#include <memory>

#include "ae/models/sequential.hpp"

namespace ae {

template <class S = float>
class Autoencoder : public Sequential<S> {
public:
    using SequentialPtr = std::shared_ptr<Sequential<S>>;

    /// Unbuilt: the encoder must be buildable from `input_shape` later (or already built).
    Autoencoder(SequentialPtr encoder, SequentialPtr decoder)
        : Sequential<S>(checked({encoder, decoder})), encoder_(std::move(encoder)), decoder_(std::move(decoder)) {
        if (encoder_->built()) {
            Rng rng(42);
            this->build(encoder_->input_shape(), rng);
        }
    }

    std::string type() const override { return "Autoencoder"; }

    const SequentialPtr& encoder() const { return encoder_; }
    const SequentialPtr& decoder() const { return decoder_; }

    /// Codings of every column of x (inference mode).
    Matrix<S> encode(const Matrix<S>& x, Index batch_size = 256) { return encoder_->predict(x, batch_size); }
    /// Reconstructions from codings z (inference mode).
    Matrix<S> decode(const Matrix<S>& z, Index batch_size = 256) { return decoder_->predict(z, batch_size); }
    /// decode(encode(x)).
    Matrix<S> reconstruct(const Matrix<S>& x, Index batch_size = 256) { return this->predict(x, batch_size); }

    static std::shared_ptr<Autoencoder> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Autoencoder", 2, 0);
        auto enc = std::dynamic_pointer_cast<Sequential<S>>(a.children[0]);
        auto dec = std::dynamic_pointer_cast<Sequential<S>>(a.children[1]);
        if (!enc || !dec) throw FormatError("Autoencoder: expected two Sequential children (encoder, decoder)");
        return std::make_shared<Autoencoder>(enc, dec);
    }

private:
    static std::vector<LayerPtr<S>> checked(std::vector<SequentialPtr> parts) {
        if (!parts[0]) throw ConfigError("Autoencoder: encoder is null");
        if (!parts[1]) throw ConfigError("Autoencoder: decoder is null");
        return {parts[0], parts[1]};
    }
    SequentialPtr encoder_, decoder_;
};

} // namespace ae
