#pragma once
// GaussianNoise (Keras): y = x + ε, ε ~ N(0, stddev²) drawn afresh for every element, only in
// Mode::training; the identity in inference. Used by denoising autoencoders to corrupt inputs.
// Backward is the identity either way (the noise does not depend on x): dx = dy.
// The noise comes from the layer's own Rng, seeded at build from the model's build Rng, so a
// seeded model replays the same noise; reseed() fixes it (gradient checks freeze the noise).
#include <cmath>
#include <cstdint>

#include "ae/core/layer.hpp"
#include "ae/models/registry.hpp"

namespace ae {

template <class S = float>
class GaussianNoise : public Layer<S> {
public:
    explicit GaussianNoise(double stddev) : stddev_(stddev) {
        if (!(stddev >= 0) || !std::isfinite(stddev))
            throw ConfigError("GaussianNoise: expected a finite stddev >= 0, got " + std::to_string(stddev));
    }

    std::string type() const override { return "GaussianNoise"; }

    void forward(const Matrix<S>& x, Matrix<S>& y, Mode mode) override {
        this->check_rows(x, this->input_shape().size(), "input");
        ensure_size(y, x.rows(), x.cols());
        if (mode == Mode::training && stddev_ > 0) {
            for (Index i = 0; i < x.size(); ++i) y.data()[i] = x.data()[i] + S(stddev_ * rng_.normal());
        } else {
            y = x;
        }
    }

    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        this->check_rows(dy, this->input_shape().size(), "output gradient");
        if (this->input_grad_needed_) dx = dy;
    }

    Config config() const override {
        Config c;
        c.set("stddev", stddev_);
        return c;
    }

    static std::shared_ptr<GaussianNoise> from_config(const LayerArgs<S>& a) {
        detail::expect_counts(a, "GaussianNoise", 0, 0);
        return std::make_shared<GaussianNoise>(a.config.get_double("stddev"));
    }

    double stddev() const { return stddev_; }
    /// Restart the noise stream: the next training forward draws the same noise as after
    /// any other reseed with this seed.
    void reseed(std::uint64_t seed) { rng_.seed_with(seed); }
    Rng* rng() override { return &rng_; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        rng_.seed_with(rng.next_u64());
        return in;
    }

private:
    double stddev_;
    Rng rng_;
};

}  // namespace ae
