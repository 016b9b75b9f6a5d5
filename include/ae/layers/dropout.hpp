#pragma once
// Dropout (Keras), inverted: in Mode::training each element is kept with probability 1 − rate
// and scaled by 1/(1 − rate), so the expected output equals the input; in inference it is the
// identity. Backward routes dy through the same mask: dx = dy ⊙ mask.
// The mask comes from the layer's own Rng, seeded at build from the model's build Rng;
// reseed() fixes it (gradient checks freeze the mask).
#include <cmath>
#include <cstdint>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class Dropout : public Layer<S> {
public:
    explicit Dropout(double rate) : rate_(rate) {
        if (!(rate >= 0 && rate < 1))
            throw ConfigError("Dropout: expected a rate in [0, 1), got " + std::to_string(rate));
    }

    std::string type() const override { return "Dropout"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        this->check_rows(x, this->input_shape().size(), "input");
        ensure_size(y, x.rows(), x.cols());
        masked_ = mode == Mode::training && rate_ > 0;
        if (!masked_) {
            y = x;
            return;
        }
        ensure_size(mask_, x.rows(), x.cols());
        const S scale = S(1.0 / (1.0 - rate_));
        for (Index i = 0; i < x.size(); ++i) mask_.data()[i] = rng_.uniform() < rate_ ? S(0) : scale;
        y.array() = x.array() * mask_.array();  // y: features × batch
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->input_shape().size(), "output gradient");
        if (!this->input_grad_needed_) return;
        if (masked_) {
            ensure_size(dx, dy.rows(), dy.cols());
            dx.array() = dy.array() * mask_.array();
        } else {
            dx = dy;
        }
    }

    Config config() const override {
        Config c;
        c.set("rate", rate_);
        return c;
    }

    static std::shared_ptr<Dropout> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "Dropout", 0, 0);
        return std::make_shared<Dropout>(a.config.get_double("rate"));
    }

    double rate() const { return rate_; }
    /// Restart the mask stream: the next training forward draws the same mask as after any
    /// other reseed with this seed.
    void reseed(std::uint64_t seed) { rng_.seed_with(seed); }
    Rng* rng() override { return &rng_; }
    /// The mask of the last training forward (0 or 1/(1 − rate) per element).
    const Matrix<S>& mask() const { return mask_; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        rng_.seed_with(rng.next_u64());
        return in;
    }

private:
    double rate_;
    Rng rng_;
    Matrix<S> mask_;
    bool masked_ = false;
};

}  // namespace ae
