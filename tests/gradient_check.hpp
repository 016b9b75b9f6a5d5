#pragma once
// Shared finite-difference gradient checker (double precision), used by every layer, loss and
// model test. For a layer it checks the scalar
//     L(x, θ) = Σ R ⊙ layer(x; θ) + layer.extra_loss()
// with R a fixed random matrix, so that backward(R) must give dL/dx and dL/dθ.
// Central differences with step h; the error of a tensor is ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-12).
#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "ae/ae.hpp"

namespace ae::testing {

using Md = Matrix<double>;

struct GradientReport {
    double worst = 0;  // largest relative error over all tensors
    std::string worst_name;
    void add(const std::string& name, const Md& analytic, const Md& numeric) {
        const double denom = std::max({analytic.norm(), numeric.norm(), 1e-12});
        const double err = (analytic - numeric).norm() / denom;
        if (err > worst || worst_name.empty()) {
            worst = err;
            worst_name = name;
        }
    }
};

/// Check dx and every parameter gradient of a built layer at x. `before_forward` runs before
/// each forward pass (e.g. to reseed a noise layer so every pass draws the same noise).
inline GradientReport check_layer(Layer<double>& layer, Md x, Mode mode = Mode::training, double h = 1e-5,
                                  std::function<void()> before_forward = {}) {
    Rng rng(1234);
    Md y;
    auto run = [&](const Md& input) {
        if (before_forward) before_forward();
        layer.forward(input, y, mode);
        return y;
    };
    Md y0 = run(x);
    Md R(y0.rows(), y0.cols());
    rng.fill_uniform(R, -1.0, 1.0);
    auto objective = [&](const Md& input) {
        Md out = run(input);
        return (R.array() * out.array()).sum() + layer.extra_loss();
    };

    // Analytic gradients.
    auto params = layer.parameters();
    for (auto& p : params) p.grad->setZero();
    run(x);
    Md dx;
    layer.set_input_grad_needed(true);
    layer.backward(R, dx);

    GradientReport report;
    Md num_dx(x.rows(), x.cols());
    for (Index i = 0; i < x.size(); ++i) {
        const double keep = x.data()[i];
        x.data()[i] = keep + h;
        const double lp = objective(x);
        x.data()[i] = keep - h;
        const double lm = objective(x);
        x.data()[i] = keep;
        num_dx.data()[i] = (lp - lm) / (2 * h);
    }
    report.add("input", dx, num_dx);

    for (auto& p : params) {
        Md analytic = *p.grad;
        Md numeric(p.value->rows(), p.value->cols());
        for (Index i = 0; i < p.value->size(); ++i) {
            double& w = p.value->data()[i];
            const double keep = w;
            w = keep + h;
            const double lp = objective(x);
            w = keep - h;
            const double lm = objective(x);
            w = keep;
            numeric.data()[i] = (lp - lm) / (2 * h);
        }
        report.add(p.name, analytic, numeric);
    }
    return report;
}

/// Check a loss's gradient with respect to its prediction.
inline double check_loss(const Loss<double>& loss, Md pred, const Md& target, double h = 1e-6) {
    Md analytic;
    loss.gradient(pred, target, analytic);
    Md numeric(pred.rows(), pred.cols());
    for (Index i = 0; i < pred.size(); ++i) {
        const double keep = pred.data()[i];
        pred.data()[i] = keep + h;
        const double lp = loss.value(pred, target);
        pred.data()[i] = keep - h;
        const double lm = loss.value(pred, target);
        pred.data()[i] = keep;
        numeric.data()[i] = (lp - lm) / (2 * h);
    }
    return (analytic - numeric).norm() / std::max({analytic.norm(), numeric.norm(), 1e-12});
}

inline Md random_matrix(Index rows, Index cols, std::uint64_t seed, double lo = -1, double hi = 1) {
    Rng rng(seed);
    Md m(rows, cols);
    rng.fill_uniform(m, lo, hi);
    return m;
}

}  // namespace ae::testing

/// REQUIRE that every tensor's relative error is below tol, naming the worst one on failure.
#define AE_REQUIRE_GRADIENTS(report, tol)          \
    do {                                           \
        INFO("worst tensor: " << (report).worst_name \
             << ", relative error " << (report).worst); \
        REQUIRE((report).worst < (tol));           \
    } while (0)

/// REQUIRE that expr throws exactly the ae::Error subclass Type with a message matching matcher.
#define AE_REQUIRE_THROWS(expr, Type, matcher) \
    do {                                       \
        REQUIRE_THROWS_AS(expr, Type);         \
        REQUIRE_THROWS_WITH(expr, matcher);    \
    } while (0)
