#include "ae/layers/kl_sparsity.hpp"

#include <chrono>
#include <filesystem>

#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
double kl(double p, double q) {
    return p * std::log(p / q) + (1 - p) * std::log((1 - p) / (1 - q));
}
}  // namespace

TEST_CASE("KLSparsity: identity forward, β·Σ KL(p‖q̂) by hand", "[kl_sparsity]") {
    KLSparsity<double> layer(0.1, 2.0);
    Rng rng(1);
    layer.build(Shape{2}, rng);
    Md x(2, 2);
    x << 0.2, 0.4,   // unit 0: mean 0.3
        0.05, 0.15;  // unit 1: mean 0.1, the target: no penalty
    Md y;
    layer.forward(x, y, Mode::training);
    REQUIRE((y.array() == x.array()).all());
    REQUIRE(layer.mean_activations()(0, 0) == Approx(0.3));
    REQUIRE(layer.mean_activations()(1, 0) == Approx(0.1));
    const double expected = 2.0 * (0.1 * std::log(0.1 / 0.3) + 0.9 * std::log(0.9 / 0.7));
    REQUIRE(layer.extra_loss() == Approx(expected).epsilon(1e-12));
}

TEST_CASE("KLSparsity: exact gradient through the batch means", "[kl_sparsity][gradient]") {
    SECTION("alone") {
        KLSparsity<double> layer(0.05, 0.7);
        Rng rng(2);
        layer.build(Shape{5}, rng);
        AE_REQUIRE_GRADIENTS(check_layer(layer, random_matrix(5, 6, 3, 0.05, 0.95)), 1e-6);
    }
    SECTION("on a sigmoid coding layer inside a model") {
        auto enc = std::make_shared<Dense<double>>(4, Activation::sigmoid);
        auto kls = std::make_shared<KLSparsity<double>>(0.1, 3.0);
        auto dec = std::make_shared<Dense<double>>(6, Activation::sigmoid);
        Sequential<double> model(Shape{6}, {enc, kls, dec}, 4);
        AE_REQUIRE_GRADIENTS(check_layer(model, random_matrix(6, 5, 5)), 1e-6);
        REQUIRE(model.extra_loss() > 0);
    }
}

TEST_CASE("KLSparsity: dead or saturated units are clamped: finite penalty, no gradient", "[kl_sparsity]") {
    KLSparsity<double> layer(0.1, 1.0);
    Rng rng(3);
    layer.build(Shape{3}, rng);
    Md x(3, 2);
    x << 0, 0,  // dead
        1, 1,   // saturated
        0.3, 0.5;
    Md y, dx;
    layer.forward(x, y, Mode::training);
    const double expected = kl(0.1, 1e-7) + kl(0.1, 1 - 1e-7) + kl(0.1, 0.4);
    REQUIRE(std::isfinite(layer.extra_loss()));
    REQUIRE(layer.extra_loss() == Approx(expected).epsilon(1e-9));
    const Md dy = Md::Zero(3, 2);
    layer.backward(dy, dx);
    REQUIRE(dx.row(0).isZero());
    REQUIRE(dx.row(1).isZero());
    // Unit 2: β (−p/q + (1 − p)/(1 − q)) / batch for every sample.
    REQUIRE(dx(2, 0) == Approx((-0.1 / 0.4 + 0.9 / 0.6) / 2));
    REQUIRE(dx(2, 1) == Approx(dx(2, 0)));
}

TEST_CASE("KLSparsity: training drives a sigmoid coding layer's mean activation to the target", "[kl_sparsity][fit]") {
    // Data: 64 features from 8 random sources, squashed into (0, 1).
    Rng rng(5);
    Matrix<float> sources(8, 1024), mix(64, 8);
    rng.fill_normal(sources, 0.0, 1.0);
    rng.fill_normal(mix, 0.0, 0.7);
    Matrix<float> x = mix * sources;
    activate_inplace(Activation::sigmoid, x);

    auto mean_activation = [&](double beta) {
        auto coder = std::make_shared<Dense<float>>(16, Activation::sigmoid);
        auto model = std::make_shared<Sequential<float>>(
            Shape{64},
            std::vector<LayerPtr<float>>{coder, std::make_shared<KLSparsity<float>>(0.1, beta),
                                         std::make_shared<Dense<float>>(64, Activation::sigmoid)},
            6);
        model->compile(std::make_shared<Adam<float>>(0.01), std::make_shared<BinaryCrossEntropy<float>>());
        FitOptions<float> opt;
        opt.epochs = 40;
        opt.batch_size = 64;
        opt.verbose = 0;
        model->fit(x, x, opt);
        Sequential<float> encoder(Shape{64}, {coder});
        return double(encoder.predict(x).mean());
    };
    const double sparse = mean_activation(1.0);
    const double free = mean_activation(0.0);
    INFO("mean activation with KL(0.1) penalty " << sparse << ", without " << free);
    REQUIRE(sparse == Approx(0.1).margin(0.03));
    REQUIRE(std::abs(free - 0.1) > 0.1);  // the penalty, not the data, makes it sparse
}

TEST_CASE("KLSparsity: config round trip, save/load and invalid settings", "[kl_sparsity][io][errors]") {
    KLSparsity<float> layer(0.05, 3.0);
    auto copy = KLSparsity<float>::from_config(LayerArgs<float>{layer.config(), {}, {}});
    REQUIRE(copy->target() == 0.05);
    REQUIRE(copy->weight() == 3.0);

    auto model = std::make_shared<Sequential<float>>(
        Shape{6},
        std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(4, Activation::sigmoid),
                                     std::make_shared<KLSparsity<float>>(0.2, 0.5),
                                     std::make_shared<Dense<float>>(6, Activation::sigmoid)},
        7);
    const std::string path = test_path("kl_sparsity_test", "kl.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    auto kls = std::dynamic_pointer_cast<KLSparsity<float>>(loaded->layer(1));
    REQUIRE(kls);
    REQUIRE(kls->target() == Approx(0.2));
    REQUIRE(kls->weight() == Approx(0.5));
    const Matrix<float> x = random_matrix(6, 5, 8, 0, 1).cast<float>();
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());

    AE_REQUIRE_THROWS(KLSparsity<float>(0.0, 1.0), ConfigError, Catch::Matchers::Contains("(0, 1)"));
    REQUIRE_THROWS_AS(KLSparsity<float>(1.0, 1.0), ConfigError);
    REQUIRE_THROWS_AS(KLSparsity<float>(0.1, -1.0), ConfigError);
}
