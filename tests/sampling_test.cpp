#include "ae/layers/sampling.hpp"

#include <filesystem>

#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
// One element's KL term, −½ (1 + γ − μ² − exp γ).
double kl_term(double mu, double log_var) {
    return -0.5 * (1 + log_var - mu * mu - std::exp(log_var));
}
}  // namespace

TEST_CASE("Sampling: KL equals the closed form on hand-computed inputs", "[sampling][kl]") {
    Sampling<double> s;
    Rng rng(1);
    REQUIRE(s.build(Shape{4}, rng) == Shape{2});
    // L = 2, batch 2: rows μ₀, μ₁, γ₀, γ₁.
    Md x(4, 2);
    x << 0.0, 1.0,           // μ₀
        2.0, -1.0,           // μ₁
        0.0, std::log(2.0),  // γ₀
        -1.0, 0.5;           // γ₁
    Md z;
    s.forward(x, z, Mode::training);
    // By hand: (0, 0) → 0; (1, ln 2) → −½(1 + ln 2 − 1 − 2) = 1 − ½ ln 2;
    //          (2, −1) → −½(1 − 1 − 4 − e⁻¹) = 2 + e⁻¹/2; (−1, ½) → −½(1 + ½ − 1 − e^½) = (e^½ − ½)/2.
    const double by_hand =
        (0.0 + (1 - 0.5 * std::log(2.0)) + (2 + 0.5 * std::exp(-1.0)) + 0.5 * (std::exp(0.5) - 0.5)) / 2;
    const double formula = (kl_term(0, 0) + kl_term(1, std::log(2.0)) + kl_term(2, -1) + kl_term(-1, 0.5)) / 2;
    REQUIRE(by_hand == Approx(formula).epsilon(1e-14));
    REQUIRE(s.kl_divergence() == Approx(by_hand).epsilon(1e-14));
    REQUIRE(s.extra_loss() == Approx(by_hand).epsilon(1e-14));
    // β weights it (β-VAE), and the KL is the same in inference mode.
    s.set_beta(0.25);
    s.forward(x, z, Mode::inference);
    REQUIRE(s.kl_divergence() == Approx(by_hand).epsilon(1e-14));
    REQUIRE(s.extra_loss() == Approx(0.25 * by_hand).epsilon(1e-14));
    // A standard normal posterior costs nothing.
    s.forward(Md::Zero(4, 3), z, Mode::training);
    REQUIRE(s.kl_divergence() == 0.0);
}

TEST_CASE("Sampling: training draws z = μ + exp(γ/2)·ε with the right moments", "[sampling]") {
    Sampling<double> s;
    Rng rng(2);
    s.build(Shape{4}, rng);
    const Index B = 20000;
    Md x(4, B);
    x.row(0).setConstant(1.5);             // μ₀
    x.row(1).setConstant(-2.0);            // μ₁
    x.row(2).setConstant(std::log(0.25));  // σ₀ = 0.5
    x.row(3).setConstant(std::log(4.0));   // σ₁ = 2
    Md z;
    s.forward(x, z, Mode::training);
    const Md expect = x.topRows(2).array() + (0.5 * x.bottomRows(2).array()).exp() * s.epsilon().array();
    REQUIRE((z - expect).norm() < 1e-12);
    auto sd = [](const Eigen::RowVectorXd& v) { return std::sqrt((v.array() - v.mean()).square().mean()); };
    // Standard errors: σ/√B ≈ 0.0035 and 0.014 for the means.
    REQUIRE(z.row(0).mean() == Approx(1.5).margin(0.02));
    REQUIRE(z.row(1).mean() == Approx(-2.0).margin(0.06));
    REQUIRE(sd(z.row(0)) == Approx(0.5).epsilon(0.03));
    REQUIRE(sd(z.row(1)) == Approx(2.0).epsilon(0.03));
}

TEST_CASE("Sampling: inference gives z = μ unless sample_in_inference is set", "[sampling]") {
    const Md x = random_matrix(6, 5, 3);
    Rng rng(3);
    Sampling<double> mean_only;
    mean_only.build(Shape{6}, rng);
    Md z_inf, z_train;
    mean_only.forward(x, z_inf, Mode::inference);
    REQUIRE((z_inf.array() == x.topRows(3).array()).all());
    mean_only.forward(x, z_train, Mode::training);
    REQUIRE((z_train - z_inf).norm() > 1e-3);  // training differs from inference

    Sampling<double> book(1.0, true);  // the book's layer samples in both modes
    book.build(Shape{6}, rng);
    Md a, b;
    book.forward(x, a, Mode::inference);
    book.forward(x, b, Mode::inference);
    REQUIRE((a - x.topRows(3)).norm() > 1e-3);
    REQUIRE((a - b).norm() > 1e-3);
}

TEST_CASE("Sampling: gradients with ε frozen, KL included", "[sampling][gradient]") {
    SECTION("alone, training") {
        auto s = std::make_shared<Sampling<double>>(0.7);
        Rng rng(4);
        s->build(Shape{6}, rng);
        auto report = check_layer(*s, random_matrix(6, 4, 5), Mode::training, 1e-5, [&] { s->reseed(9); });
        AE_REQUIRE_GRADIENTS(report, 1e-7);
    }
    SECTION("alone, inference (z = μ, KL only on γ)") {
        Sampling<double> s(1.3);
        Rng rng(4);
        s.build(Shape{6}, rng);
        AE_REQUIRE_GRADIENTS(check_layer(s, random_matrix(6, 4, 6), Mode::inference), 1e-7);
    }
    SECTION("inside a VAE-shaped model") {
        auto s = std::make_shared<Sampling<double>>(1.0);
        Sequential<double> model(Shape{5},
                                 {std::make_shared<Dense<double>>(4, Activation::relu),
                                  std::make_shared<Dense<double>>(2 * 2),  // [μ; log σ²]
                                  s, std::make_shared<Dense<double>>(5, Activation::sigmoid)},
                                 7);
        auto report = check_layer(model, random_matrix(5, 6, 8), Mode::training, 1e-5, [&] { s->reseed(10); });
        AE_REQUIRE_GRADIENTS(report, 1e-6);
        REQUIRE(model.extra_loss() > 0);
    }
}

TEST_CASE("Sampling: reseed replays the same ε", "[sampling]") {
    Sampling<float> s;
    Rng rng(5);
    s.build(Shape{8}, rng);
    const Matrix<float> x = Matrix<float>::Zero(8, 3);
    Matrix<float> a, b;
    s.reseed(42);
    s.forward(x, a, Mode::training);
    s.reseed(42);
    s.forward(x, b, Mode::training);
    REQUIRE((a.array() == b.array()).all());
    REQUIRE(a.norm() > 0);
}

TEST_CASE("Sampling: config round trip and save/load", "[sampling][io]") {
    Sampling<float> layer(0.5, true);
    auto copy = Sampling<float>::from_config(LayerArgs<float>{layer.config(), {}, {}});
    REQUIRE(copy->beta() == 0.5);
    REQUIRE(copy->sample_in_inference());

    auto model = std::make_shared<Sequential<float>>(
        Shape{7},
        std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(6), std::make_shared<Sampling<float>>(4.0),
                                     std::make_shared<Dense<float>>(7, Activation::sigmoid)},
        8);
    const std::string path = test_path("sampling_test", "sampling.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    auto s = std::dynamic_pointer_cast<Sampling<float>>(loaded->layer(1));
    REQUIRE(s);
    REQUIRE(s->beta() == 4.0);
    REQUIRE_FALSE(s->sample_in_inference());
    REQUIRE(s->latent_dims() == 3);
    const Matrix<float> x = random_matrix(7, 5, 9).cast<float>();
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
}

TEST_CASE("Sampling: odd inputs, wrong sizes and bad β throw", "[sampling][errors]") {
    Rng rng(6);
    Sampling<float> s;
    AE_REQUIRE_THROWS(s.build(Shape{5}, rng), ShapeError, Catch::Matchers::Contains("{5}"));
    Sampling<float> ok;
    ok.build(Shape{4}, rng);
    Matrix<float> x = Matrix<float>::Zero(6, 2), y;
    AE_REQUIRE_THROWS(ok.forward(x, y, Mode::training), ShapeError,
                      Catch::Matchers::Contains("4") && Catch::Matchers::Contains("6"));
    REQUIRE_THROWS_AS(Sampling<float>(-1.0), ConfigError);
    REQUIRE_THROWS_AS(ok.set_beta(std::nan("")), ConfigError);
}
