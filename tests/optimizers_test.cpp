// Optimizers: one and two steps of every optimizer against values worked out by hand or by
// plain scalar formulas written here independently of the implementation, plus validation,
// frozen parameters, the step count, reset() and a convex problem each must solve.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ae/core/param_schedule.hpp"
#include "ae/core/threads.hpp"
#include "ae/optimizers/adagrad.hpp"
#include "ae/optimizers/adam.hpp"
#include "ae/optimizers/adamw.hpp"
#include "ae/optimizers/nadam.hpp"
#include "ae/optimizers/optimizer.hpp"
#include "ae/optimizers/rmsprop.hpp"
#include "ae/optimizers/sgd.hpp"
#include "gradient_check.hpp"

using namespace ae;

namespace {

using Md = Matrix<double>;

// The fixed problem: a 2×1 weight and a gradient per step that differs between the two steps
// (in sign and size), so a wrong use of state or of the step count shows.
constexpr std::array<double, 2> w0 = {0.5, -1.5};
constexpr std::array<double, 2> g1 = {0.2, -0.4};
constexpr std::array<double, 2> g2 = {-0.3, 0.1};

struct TwoSteps {
    Md after_1, after_2;
};

TwoSteps run_two_steps(Optimizer<double>& opt) {
    Md w(2, 1), g(2, 1);
    w << w0[0], w0[1];
    std::vector<Param<double>> params{{"w", &w, &g}};
    g << g1[0], g1[1];
    opt.step(params);
    Md after_1 = w;
    g << g2[0], g2[1];
    opt.step(params);
    return {after_1, w};
}

// A scalar reference: (w0, g1, g2) -> {w after step 1, w after step 2}.
using Reference = std::function<std::array<double, 2>(double, double, double)>;

void require_matches(const TwoSteps& got, const Reference& ref) {
    for (int i = 0; i < 2; ++i) {
        const auto expected = ref(w0[i], g1[i], g2[i]);
        INFO("element " << i);
        REQUIRE(got.after_1(i) == Approx(expected[0]).epsilon(1e-12).margin(1e-15));
        REQUIRE(got.after_2(i) == Approx(expected[1]).epsilon(1e-12).margin(1e-15));
    }
}

void require_values(const TwoSteps& got, std::array<double, 2> after_1, std::array<double, 2> after_2) {
    for (int i = 0; i < 2; ++i) {
        INFO("element " << i);
        REQUIRE(got.after_1(i) == Approx(after_1[i]).epsilon(1e-12).margin(1e-15));
        REQUIRE(got.after_2(i) == Approx(after_2[i]).epsilon(1e-12).margin(1e-15));
    }
}

// Textbook Adam (Kingma & Ba, Algorithm 1) with bias-corrected m̂, v̂. Keras' ε is the paper's
// "ε hat" (added to √v before the correction), which is ε / √(1 − β2^t) next to √v̂.
std::array<double, 2> adam_reference(double w, double ga, double gb, double lr, double b1, double b2, double eps,
                                     double wd = 0.0) {
    double m = 0, v = 0;
    std::array<double, 2> out{};
    const double gs[2] = {ga, gb};
    for (int t = 1; t <= 2; ++t) {
        const double g = gs[t - 1];
        w = w * (1.0 - lr * wd);  // decoupled decay first (AdamW); no-op for Adam
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        const double m_hat = m / (1 - std::pow(b1, t));
        const double v_hat = v / (1 - std::pow(b2, t));
        w -= lr * m_hat / (std::sqrt(v_hat) + eps / std::sqrt(1 - std::pow(b2, t)));
        out[t - 1] = w;
    }
    return out;
}

// Nadam in Dozat's notation (legacy-Keras form): g' = g / (1 − Π_{i≤t} μ_i),
// m' = m / (1 − Π_{i≤t+1} μ_i), m̄ = (1 − μ_t) g' + μ_{t+1} m', v' = v / (1 − β2^t).
std::array<double, 2> nadam_reference(double w, double ga, double gb, double lr, double b1, double b2, double eps,
                                      double psi) {
    auto mu = [&](int t) { return b1 * (1.0 - 0.5 * std::pow(0.96, psi * t)); };
    auto prod = [&](int t) {
        double p = 1;
        for (int i = 1; i <= t; ++i) p *= mu(i);
        return p;
    };
    double m = 0, v = 0;
    std::array<double, 2> out{};
    const double gs[2] = {ga, gb};
    for (int t = 1; t <= 2; ++t) {
        const double g = gs[t - 1];
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        const double g_prime = g / (1 - prod(t));
        const double m_prime = m / (1 - prod(t + 1));
        const double m_bar = (1 - mu(t)) * g_prime + mu(t + 1) * m_prime;
        const double v_prime = v / (1 - std::pow(b2, t));
        w -= lr * m_bar / (std::sqrt(v_prime) + eps);
        out[t - 1] = w;
    }
    return out;
}

std::array<double, 2> rmsprop_reference(double w, double ga, double gb, double lr, double rho, double mom, double eps,
                                        bool centered) {
    double v = 0, mg = 0, m = 0;
    std::array<double, 2> out{};
    const double gs[2] = {ga, gb};
    for (int t = 1; t <= 2; ++t) {
        const double g = gs[t - 1];
        v = rho * v + (1 - rho) * g * g;
        double var = v;
        if (centered) {
            mg = rho * mg + (1 - rho) * g;
            var = v - mg * mg;
        }
        const double step = lr * g / std::sqrt(var + eps);
        if (mom > 0) {
            m = mom * m + step;
            w -= m;
        } else {
            w -= step;
        }
        out[t - 1] = w;
    }
    return out;
}

std::array<double, 2> adagrad_reference(double w, double ga, double gb, double lr, double init, double eps) {
    double acc = init;
    std::array<double, 2> out{};
    const double gs[2] = {ga, gb};
    for (int t = 1; t <= 2; ++t) {
        const double g = gs[t - 1];
        acc += g * g;
        w -= lr * g / std::sqrt(acc + eps);
        out[t - 1] = w;
    }
    return out;
}

// One factory per optimizer configuration, for the behaviours every optimizer shares.
struct Named {
    std::string name;
    std::function<std::unique_ptr<Optimizer<double>>()> make;
};

std::vector<Named> all_optimizers() {
    return {
        {"SGD", [] { return std::make_unique<SGD<double>>(0.1); }},
        {"SGD momentum", [] { return std::make_unique<SGD<double>>(0.1, 0.9); }},
        {"SGD Nesterov", [] { return std::make_unique<SGD<double>>(0.1, 0.9, true); }},
        {"Adam", [] { return std::make_unique<Adam<double>>(0.01); }},
        {"Nadam", [] { return std::make_unique<Nadam<double>>(0.01); }},
        {"AdamW", [] { return std::make_unique<AdamW<double>>(0.01, 0.1); }},
        {"RMSprop", [] { return std::make_unique<RMSprop<double>>(0.01); }},
        {"RMSprop momentum centered", [] { return std::make_unique<RMSprop<double>>(0.01, 0.9, 0.5, 1e-7, true); }},
        {"Adagrad", [] { return std::make_unique<Adagrad<double>>(0.1); }},
    };
}

}  // namespace

TEST_CASE("SGD: plain steps are w - lr*g (worked by hand)", "[optimizers][sgd]") {
    SGD<double> opt(0.1);
    // w = 0.5:  0.5 - 0.1*0.2 = 0.48;   0.48 - 0.1*(-0.3) = 0.51
    // w = -1.5: -1.5 - 0.1*(-0.4) = -1.46;  -1.46 - 0.1*0.1 = -1.47
    require_values(run_two_steps(opt), {0.48, -1.46}, {0.51, -1.47});
    REQUIRE(opt.state()[0].empty());  // plain SGD keeps no state
}

TEST_CASE("SGD: momentum accumulates a velocity (worked by hand)", "[optimizers][sgd]") {
    SGD<double> opt(0.1, 0.9);
    // w = 0.5:  v1 = -0.1*0.2 = -0.02, w1 = 0.48;
    //           v2 = 0.9*(-0.02) - 0.1*(-0.3) = 0.012, w2 = 0.492
    // w = -1.5: v1 = 0.04, w1 = -1.46;  v2 = 0.036 - 0.01 = 0.026, w2 = -1.434
    require_values(run_two_steps(opt), {0.48, -1.46}, {0.492, -1.434});
}

TEST_CASE("SGD: Nesterov momentum looks ahead along the velocity (worked by hand)", "[optimizers][sgd]") {
    SGD<double> opt(0.1, 0.9, true);
    // w = 0.5:  v1 = -0.02, w1 = 0.5 + 0.9*(-0.02) - 0.02 = 0.462;
    //           v2 = 0.012, w2 = 0.462 + 0.9*0.012 + 0.03 = 0.5028
    // w = -1.5: v1 = 0.04, w1 = -1.5 + 0.036 + 0.04 = -1.424;
    //           v2 = 0.026, w2 = -1.424 + 0.0234 - 0.01 = -1.4106
    require_values(run_two_steps(opt), {0.462, -1.424}, {0.5028, -1.4106});
}

TEST_CASE("Adam: two steps match the textbook bias-corrected formulas", "[optimizers][adam]") {
    Adam<double> opt(0.01);
    const auto got = run_two_steps(opt);
    require_matches(got, [](double w, double a, double b) { return adam_reference(w, a, b, 0.01, 0.9, 0.999, 1e-7); });
    // Adam's first step has size ≈ lr whatever |g| is: m̂/√v̂ = sign(g).
    REQUIRE(got.after_1(0) == Approx(0.5 - 0.01).epsilon(1e-5));
    REQUIRE(got.after_1(1) == Approx(-1.5 + 0.01).epsilon(1e-5));
}

TEST_CASE("Adam: non-default betas and epsilon are used", "[optimizers][adam]") {
    Adam<double> opt(0.05, 0.5, 0.8, 1e-2);
    require_matches(run_two_steps(opt),
                    [](double w, double a, double b) { return adam_reference(w, a, b, 0.05, 0.5, 0.8, 1e-2); });
}

TEST_CASE("Nadam: momentum schedule u_t and its running product", "[optimizers][nadam]") {
    Nadam<double> keras;  // ψ = 1: u_t = 0.9 (1 - 0.5 * 0.96^t)
    // u_1 = 0.9 * (1 - 0.48) = 0.468; u_2 = 0.9 * (1 - 0.5 * 0.9216) = 0.48528
    REQUIRE(keras.momentum_at(1) == Approx(0.468).epsilon(1e-14));
    REQUIRE(keras.momentum_at(2) == Approx(0.48528).epsilon(1e-14));
    REQUIRE(keras.u_product(2) == Approx(0.468 * 0.48528).epsilon(1e-14));
    REQUIRE(keras.u_product(1) == Approx(0.468).epsilon(1e-14));  // going back rebuilds
    Nadam<double> paper(0.001, 0.9, 0.999, 1e-7, 0.004);          // Dozat: 0.96^(t/250)
    REQUIRE(paper.momentum_at(250) == Approx(0.9 * (1 - 0.5 * 0.96)).epsilon(1e-14));
}

TEST_CASE("Nadam: two steps match Dozat's formulas (Keras 2.11+ schedule)", "[optimizers][nadam]") {
    Nadam<double> opt(0.01);
    require_matches(run_two_steps(opt),
                    [](double w, double a, double b) { return nadam_reference(w, a, b, 0.01, 0.9, 0.999, 1e-7, 1.0); });
}

TEST_CASE("Nadam: two steps with the paper's schedule (0.96^(0.004 t)) and other betas", "[optimizers][nadam]") {
    Nadam<double> opt(0.02, 0.8, 0.99, 1e-3, 0.004);
    require_matches(run_two_steps(opt), [](double w, double a, double b) {
        return nadam_reference(w, a, b, 0.02, 0.8, 0.99, 1e-3, 0.004);
    });
}

TEST_CASE("AdamW: decay then Adam, and a zero gradient gives pure decay (worked by hand)", "[optimizers][adamw]") {
    SECTION("two steps against the scalar formulas") {
        AdamW<double> opt(0.01, 0.1);
        require_matches(run_two_steps(opt), [](double w, double a, double b) {
            return adam_reference(w, a, b, 0.01, 0.9, 0.999, 1e-7, 0.1);
        });
    }
    SECTION("zero gradient: w <- w (1 - lr wd) each step") {
        AdamW<double> opt(0.01, 0.5);
        Md w(1, 1), g = Md::Zero(1, 1);
        w << 0.5;
        std::vector<Param<double>> params{{"w", &w, &g}};
        // 0.5 * (1 - 0.005) = 0.4975;  0.4975 * 0.995 = 0.4950125
        opt.step(params);
        REQUIRE(w(0) == Approx(0.4975).epsilon(1e-14));
        opt.step(params);
        REQUIRE(w(0) == Approx(0.4950125).epsilon(1e-14));
    }
    SECTION("weight_decay 0 is exactly Adam") {
        AdamW<double> adamw(0.01, 0.0);
        Adam<double> adam(0.01);
        const auto a = run_two_steps(adamw), b = run_two_steps(adam);
        REQUIRE(a.after_2 == b.after_2);
    }
}

TEST_CASE("RMSprop: plain, momentum, centered and both match the scalar formulas", "[optimizers][rmsprop]") {
    SECTION("plain") {
        RMSprop<double> opt(0.01);
        // Step 1 by hand for w = 0.5: v = 0.1 * 0.04 = 0.004, w = 0.5 - 0.01*0.2/√(0.004 + 1e-7)
        const auto got = run_two_steps(opt);
        REQUIRE(got.after_1(0) == Approx(0.5 - 0.002 / std::sqrt(0.004 + 1e-7)).epsilon(1e-13));
        require_matches(
            got, [](double w, double a, double b) { return rmsprop_reference(w, a, b, 0.01, 0.9, 0.0, 1e-7, false); });
    }
    SECTION("momentum") {
        RMSprop<double> opt(0.01, 0.8, 0.5);
        require_matches(run_two_steps(opt), [](double w, double a, double b) {
            return rmsprop_reference(w, a, b, 0.01, 0.8, 0.5, 1e-7, false);
        });
    }
    SECTION("centered") {
        RMSprop<double> opt(0.01, 0.9, 0.0, 1e-3, true);
        require_matches(run_two_steps(opt), [](double w, double a, double b) {
            return rmsprop_reference(w, a, b, 0.01, 0.9, 0.0, 1e-3, true);
        });
    }
    SECTION("centered with momentum") {
        RMSprop<double> opt(0.01, 0.9, 0.7, 1e-7, true);
        require_matches(run_two_steps(opt), [](double w, double a, double b) {
            return rmsprop_reference(w, a, b, 0.01, 0.9, 0.7, 1e-7, true);
        });
    }
}

TEST_CASE("RMSprop centered: a huge constant gradient gives a finite step, not NaN", "[optimizers][rmsprop]") {
    // v - mg² is 0 in exact arithmetic for a constant gradient; float rounding makes it slightly
    // negative for g ~ 1e4, and ε = 1e-7 is far too small to cover that.
    RMSprop<float> opt(0.001, 0.9, 0.0, 1e-7, true);
    Matrix<float> w = Matrix<float>::Zero(64, 1), g(64, 1);
    for (Index i = 0; i < g.size(); ++i) g(i) = 12345.678f + 1000.0f * float(i);
    std::vector<Param<float>> params{{"w", &w, &g}};
    for (int t = 0; t < 20; ++t) opt.step(params);
    REQUIRE(w.allFinite());
    REQUIRE((w.array() < 0).all());
}

TEST_CASE("Adagrad: accumulator starts at its initial value (worked by hand)", "[optimizers][adagrad]") {
    Adagrad<double> opt(0.1);
    const auto got = run_two_steps(opt);
    // w = 0.5: acc = 0.1 + 0.04 = 0.14, w1 = 0.5 - 0.02/√(0.14 + 1e-7);
    //          acc = 0.14 + 0.09 = 0.23, w2 = w1 + 0.03/√(0.23 + 1e-7)
    const double w1 = 0.5 - 0.02 / std::sqrt(0.14 + 1e-7);
    REQUIRE(got.after_1(0) == Approx(w1).epsilon(1e-14));
    REQUIRE(got.after_2(0) == Approx(w1 + 0.03 / std::sqrt(0.23 + 1e-7)).epsilon(1e-14));
    require_matches(got, [](double w, double a, double b) { return adagrad_reference(w, a, b, 0.1, 0.1, 1e-7); });
    REQUIRE(opt.state()[0][0](0) == Approx(0.23).epsilon(1e-14));

    Adagrad<double> zero_start(0.05, 0.0, 1e-4);
    require_matches(run_two_steps(zero_start),
                    [](double w, double a, double b) { return adagrad_reference(w, a, b, 0.05, 0.0, 1e-4); });
}

TEST_CASE("Optimizers: invalid hyperparameters throw ConfigError naming them and the value", "[optimizers][errors]") {
    using Catch::Matchers::Contains;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto require_config_error = [](auto make, const std::string& what, const std::string& value) {
        INFO(what << " = " << value);
        REQUIRE_THROWS_AS(make(), ConfigError);
        REQUIRE_THROWS_WITH(make(), Contains(what) && Contains(value));
    };
    require_config_error([] { SGD<double>(0.0); }, "learning_rate", "0.0");
    require_config_error([] { SGD<double>(-0.01); }, "learning_rate", "-0.01");
    require_config_error([&] { (void)Adam<double>(nan); }, "learning_rate", "nan");
    require_config_error([] { SGD<double>(0.01, -0.1); }, "momentum", "-0.1");
    require_config_error([] { SGD<double>(0.01, 1.0, true); }, "momentum", "1.0");
    require_config_error([] { Adam<double>(0.001, 1.0); }, "beta_1", "1.0");
    require_config_error([] { Adam<double>(0.001, 0.9, -0.5); }, "beta_2", "-0.5");
    require_config_error([] { Adam<double>(0.001, 0.9, 0.999, 0.0); }, "epsilon", "0.0");
    require_config_error([] { Nadam<double>(-1.0); }, "learning_rate", "-1.0");
    require_config_error([] { Nadam<double>(0.001, 1.5); }, "beta_1", "1.5");
    require_config_error([] { Nadam<double>(0.001, 0.9, 1.0); }, "beta_2", "1.0");
    require_config_error([] { Nadam<double>(0.001, 0.9, 0.999, -1e-3); }, "epsilon", "-0.001");
    require_config_error([] { Nadam<double>(0.001, 0.9, 0.999, 1e-7, 0.0); }, "schedule_decay", "0.0");
    require_config_error([] { AdamW<double>(0.001, -0.01); }, "weight_decay", "-0.01");
    require_config_error([&] { AdamW<double>(0.001, nan); }, "weight_decay", "nan");
    require_config_error([] { AdamW<double>(0.001, 0.004, 1.0); }, "beta_1", "1.0");
    require_config_error([] { AdamW<double>(0.0); }, "learning_rate", "0.0");
    require_config_error([] { RMSprop<double>(0.001, 1.0); }, "rho", "1.0");
    require_config_error([] { RMSprop<double>(0.001, -0.1); }, "rho", "-0.1");
    require_config_error([] { RMSprop<double>(0.001, 0.9, -0.5); }, "momentum", "-0.5");
    require_config_error([] { RMSprop<double>(0.001, 0.9, 1.0); }, "momentum", "1.0");
    require_config_error([] { RMSprop<double>(0.001, 0.9, 0.0, 0.0); }, "epsilon", "0.0");
    require_config_error([] { Adagrad<double>(0.001, -0.1); }, "initial_accumulator_value", "-0.1");
    require_config_error([] { Adagrad<double>(0.001, 0.1, 0.0); }, "epsilon", "0.0");
    require_config_error([] { Adagrad<double>(-0.5); }, "learning_rate", "-0.5");
    // Boundary values that are valid.
    REQUIRE_NOTHROW(SGD<double>(0.01, 0.0, true));
    REQUIRE_NOTHROW(RMSprop<double>(0.001, 0.0, 0.0));
    REQUIRE_NOTHROW(Adam<double>(0.001, 0.0, 0.0));
    REQUIRE_NOTHROW(AdamW<double>(0.001, 0.0));
    REQUIRE_NOTHROW(Adagrad<double>(0.001, 0.0));
}

TEST_CASE("Optimizers: Keras' defaults", "[optimizers]") {
    REQUIRE(SGD<float>().learning_rate() == 0.01);
    REQUIRE(SGD<float>().momentum() == 0.0);
    REQUIRE_FALSE(SGD<float>().nesterov());
    REQUIRE(Adam<float>().learning_rate() == 0.001);
    Nadam<float> nadam;
    REQUIRE(nadam.learning_rate() == 0.001);
    REQUIRE((nadam.beta_1() == 0.9 && nadam.beta_2() == 0.999 && nadam.epsilon() == 1e-7));
    REQUIRE(nadam.schedule_decay() == 1.0);
    AdamW<float> adamw;
    REQUIRE((adamw.learning_rate() == 0.001 && adamw.weight_decay() == 0.004));
    RMSprop<float> rms;
    REQUIRE((rms.learning_rate() == 0.001 && rms.rho() == 0.9 && rms.momentum() == 0.0 && rms.epsilon() == 1e-7));
    REQUIRE_FALSE(rms.centered());
    Adagrad<float> ada;
    REQUIRE((ada.learning_rate() == 0.001 && ada.initial_accumulator_value() == 0.1 && ada.epsilon() == 1e-7));
}

TEST_CASE("Optimizers: frozen parameters are not updated and keep fresh state", "[optimizers]") {
    for (const auto& [name, make] : all_optimizers()) {
        SECTION(name) {
            auto opt = make();
            Md a(2, 1), ga(2, 1), b(2, 1), gb(2, 1);
            a << 0.5, -1.5;
            b << 2.0, 3.0;
            ga << 0.2, -0.4;
            gb << 0.7, -0.9;
            std::vector<Param<double>> params{{"a", &a, &ga}, {"b", &b, &gb, false}};
            const Md a0 = a, b0 = b;
            for (int t = 0; t < 3; ++t) opt->step(params);
            REQUIRE(b == b0);
            REQUIRE(a != a0);
            for (const auto& slot : opt->state()[1]) {
                if (name == "Adagrad")
                    REQUIRE((slot.array() == 0.1).all());  // its initial accumulator value
                else
                    REQUIRE(slot.isZero(0));
            }
        }
    }
    SECTION("unfrozen later, SGD momentum starts from zero velocity") {
        SGD<double> opt(0.1, 0.9);
        Md a = Md::Zero(1, 1), ga = Md::Constant(1, 1, 1.0), b = Md::Zero(1, 1), gb = Md::Constant(1, 1, 1.0);
        std::vector<Param<double>> params{{"a", &a, &ga}, {"b", &b, &gb, false}};
        opt.step(params);
        opt.step(params);
        params[1].trainable = true;
        opt.step(params);
        REQUIRE(b(0) == Approx(-0.1));                 // first step of b: v = -lr*g
        REQUIRE(a(0) == Approx(-0.1 - 0.19 - 0.271));  // third step of a: v = -0.271
    }
}

TEST_CASE("Optimizers: a step split across two threads equals the step on one thread, bit for bit", "[optimizers][threads]") {
    // A 300 × 784 kernel is large enough for two threads (each takes a range of its columns); the
    // bias and the 3 × 5 matrix are split by elements or left whole.
    using ae::testing::random_matrix;
    const int threads_before = num_threads();
    const auto run = [&](Optimizer<double>& opt, int threads) {
        set_num_threads(threads);
        Md w = random_matrix(300, 784, 1), b = random_matrix(300, 1, 2), s = random_matrix(3, 5, 3);
        Md gw(300, 784), gb(300, 1), gs(3, 5);
        std::vector<Param<double>> params{{"w", &w, &gw}, {"b", &b, &gb}, {"s", &s, &gs}};
        for (int t = 0; t < 3; ++t) {
            gw = random_matrix(300, 784, 10 + t);
            gb = random_matrix(300, 1, 20 + t);
            gs = random_matrix(3, 5, 30 + t);
            opt.step(params);
        }
        set_num_threads(threads_before);
        return std::vector<Md>{w, b, s};
    };
    for (const auto& [name, make] : all_optimizers()) {
        SECTION(name) {
            auto one = make(), two = make();
            const auto w1 = run(*one, 1), w2 = run(*two, 2);
            for (std::size_t i = 0; i < w1.size(); ++i) REQUIRE(w1[i] == w2[i]);
            REQUIRE(w1[0] != random_matrix(300, 784, 1));
        }
    }
}

TEST_CASE("ParamSchedule::run_split: every element once; kernels split at parallel_for's columns", "[optimizers][threads]") {
    Md w(300, 784), b(300, 1), s(3, 5), gw, gb, gs;
    std::vector<Param<double>> params{{"w", &w, &gw}, {"b", &b, &gb}, {"s", &s, &gs}};
    const int threads_before = num_threads();
    set_num_threads(2);
    ParamSchedule<double> schedule(params);
    std::vector<Md> seen{Md::Zero(300, 784), Md::Zero(300, 1), Md::Zero(3, 5)};
    std::vector<std::vector<std::pair<Index, Index>>> ranges(3);
    std::mutex m;
    schedule.run_split(10.0, [&](std::size_t i, Index begin, Index count) {
        const std::lock_guard<std::mutex> lock(m);
        seen[i].reshaped().segment(begin, count).array() += 1;
        ranges[i].emplace_back(begin, count);
    });
    set_num_threads(threads_before);
    for (const auto& c : seen) REQUIRE((c.array() == 1).all());
    // The kernel: two ranges of whole columns, split where parallel_for (align 16) splits 784.
    REQUIRE(ranges[0].size() == 2);
    std::sort(ranges[0].begin(), ranges[0].end());
    REQUIRE(ranges[0][0] == std::pair<Index, Index>{0, 384 * 300});
    REQUIRE(ranges[0][1] == std::pair<Index, Index>{384 * 300, 400 * 300});
}

TEST_CASE("Optimizers: iterations() counts steps, frozen or not", "[optimizers]") {
    for (const auto& [name, make] : all_optimizers()) {
        SECTION(name) {
            auto opt = make();
            REQUIRE(opt->iterations() == 0);
            Md w = Md::Ones(3, 2), g = Md::Constant(3, 2, 0.1);
            std::vector<Param<double>> params{{"w", &w, &g}};
            for (int t = 1; t <= 4; ++t) {
                opt->step(params);
                REQUIRE(opt->iterations() == t);
            }
            params[0].trainable = false;
            opt->step(params);
            REQUIRE(opt->iterations() == 5);
        }
    }
}

TEST_CASE("Optimizers: reset() forgets all state, so the next steps equal a fresh optimizer's", "[optimizers]") {
    for (const auto& [name, make] : all_optimizers()) {
        SECTION(name) {
            auto used = make();
            run_two_steps(*used);
            run_two_steps(*used);
            used->reset();
            REQUIRE(used->iterations() == 0);
            REQUIRE(used->state().empty());
            auto fresh = make();
            const auto a = run_two_steps(*used), b = run_two_steps(*fresh);
            REQUIRE(a.after_1 == b.after_1);
            REQUIRE(a.after_2 == b.after_2);

            // A different parameter list needs reset() first.
            Md w2 = Md::Zero(2, 1), g2m = Md::Zero(2, 1);
            std::vector<Param<double>> two{{"x", &w2, &g2m}, {"y", &w2, &g2m}};
            REQUIRE_THROWS_AS(used->step(two), ConfigError);
            used->reset();
            REQUIRE_NOTHROW(used->step(two));
        }
    }
}

TEST_CASE("Optimizers: a restored checkpoint (state + iterations) continues identically", "[optimizers]") {
    for (const auto& [name, make] : all_optimizers()) {
        SECTION(name) {
            auto original = make();
            Md w = Md::Constant(2, 1, 0.3), g(2, 1);
            g << 0.2, -0.1;
            std::vector<Param<double>> params{{"w", &w, &g}};
            for (int t = 0; t < 5; ++t) original->step(params);
            auto restored = make();
            restored->state() = original->state();
            restored->set_iterations(original->iterations());
            Md w_copy = w;
            std::vector<Param<double>> params_copy{{"w", &w_copy, &g}};
            original->step(params);
            restored->step(params_copy);
            REQUIRE(w == w_copy);
        }
    }
}

TEST_CASE("Optimizers: set_learning_rate validates and takes effect", "[optimizers][errors]") {
    SGD<double> opt(0.1);
    REQUIRE_THROWS_AS(opt.set_learning_rate(0.0), ConfigError);
    REQUIRE_THROWS_AS(opt.set_learning_rate(-1.0), ConfigError);
    REQUIRE_THROWS_WITH(opt.set_learning_rate(std::nan("")), Catch::Matchers::Contains("learning_rate"));
    REQUIRE(opt.learning_rate() == 0.1);  // unchanged by the failed calls
    opt.set_learning_rate(0.5);
    REQUIRE(opt.learning_rate() == 0.5);
    Md w = Md::Constant(1, 1, 1.0), g = Md::Constant(1, 1, 0.2);
    std::vector<Param<double>> params{{"w", &w, &g}};
    opt.step(params);
    REQUIRE(w(0) == Approx(0.9));  // 1 - 0.5 * 0.2
}

TEST_CASE("Optimizers: each one minimises a convex quadratic in 200 float steps", "[optimizers][convergence]") {
    // f(w) = ½ Σ a_i (w_i − c_i)², ∇f = a ⊙ (w − c); condition number 10.
    const std::vector<std::pair<std::string, std::function<std::unique_ptr<Optimizer<float>>()>>> cases = {
        {"SGD", [] { return std::make_unique<SGD<float>>(0.15); }},
        {"SGD momentum", [] { return std::make_unique<SGD<float>>(0.05, 0.9); }},
        {"SGD Nesterov", [] { return std::make_unique<SGD<float>>(0.05, 0.9, true); }},
        {"Adam", [] { return std::make_unique<Adam<float>>(0.05); }},
        {"Nadam", [] { return std::make_unique<Nadam<float>>(0.05); }},
        {"AdamW", [] { return std::make_unique<AdamW<float>>(0.05); }},
        {"RMSprop", [] { return std::make_unique<RMSprop<float>>(0.05); }},
        {"RMSprop momentum", [] { return std::make_unique<RMSprop<float>>(0.02, 0.9, 0.5); }},
        {"RMSprop centered", [] { return std::make_unique<RMSprop<float>>(0.05, 0.9, 0.0, 1e-7, true); }},
        {"Adagrad", [] { return std::make_unique<Adagrad<float>>(0.5); }},
    };
    Matrix<float> a(4, 1), c(4, 1);
    a << 1.0f, 10.0f, 3.0f, 0.5f;  // curvatures
    c << 1.0f, -2.0f, 0.5f, 3.0f;  // the minimum
    auto f = [&](const Matrix<float>& w) { return 0.5f * (a.array() * (w - c).array().square()).sum(); };
    for (const auto& [name, make] : cases) {
        SECTION(name) {
            auto opt = make();
            Matrix<float> w = Matrix<float>::Zero(4, 1), g(4, 1);
            std::vector<Param<float>> params{{"w", &w, &g}};
            const float f0 = f(w);
            for (int t = 0; t < 200; ++t) {
                g = (a.array() * (w - c).array()).matrix();  // g: 4 × 1
                opt->step(params);
            }
            INFO(name << ": f0 = " << f0 << ", f200 = " << f(w));
            REQUIRE(f(w) < 1e-3f * f0);
        }
    }
}
