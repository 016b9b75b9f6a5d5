#include "ae/layers/contractive.hpp"

#include <filesystem>

#include "ae/models/recipes/contractive.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
// ‖J‖²_F averaged over the batch, with J = ∂h/∂x formed explicitly column by column from
// central differences of the layer's own forward pass (independent of the closed form).
double numeric_jacobian_norm2(ContractiveDense<double>& layer, const Md& x, double h = 1e-6) {
    Md y;
    double total = 0;
    for (Index b = 0; b < x.cols(); ++b) {
        Md col = x.col(b);
        for (Index i = 0; i < col.rows(); ++i) {
            Md p = col, m = col;
            p(i, 0) += h;
            m(i, 0) -= h;
            layer.forward(p, y, Mode::inference);
            const Md yp = y;
            layer.forward(m, y, Mode::inference);
            total += ((yp - y) / (2 * h)).squaredNorm();
        }
    }
    return total / double(x.cols());
}
}  // namespace

TEST_CASE("ContractiveDense: the penalty by hand on a tiny sigmoid layer", "[contractive]") {
    ContractiveDense<double> layer(2, Activation::sigmoid, 0.5);
    Rng rng(1);
    layer.build(Shape{2}, rng);
    layer.kernel() << 1.0, -2.0, 0.5, 0.0;  // W: 2 × 2
    layer.bias() << 0.0, 1.0;
    Md x(2, 2);
    x << 0.0, 1.0, 0.0, 1.0;  // samples (0, 0) and (1, 1)
    Md y;
    layer.forward(x, y, Mode::training);
    // z = W x + b: sample 1 → (0, 1), sample 2 → (−1, 1.5). q = (1 + 4, 0.25) = (5, 0.25).
    auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
    auto ds = [&](double z) { return sig(z) * (1 - sig(z)); };
    const double expected = 0.5 *
                            ((std::pow(ds(0), 2) * 5 + std::pow(ds(1), 2) * 0.25) +
                             (std::pow(ds(-1), 2) * 5 + std::pow(ds(1.5), 2) * 0.25)) /
                            2;
    REQUIRE(layer.extra_loss() == Approx(expected).epsilon(1e-12));
    REQUIRE(layer.jacobian_norm2() == Approx(expected / 0.5).epsilon(1e-12));
    // Forward is a plain Dense.
    REQUIRE(y(0, 1) == Approx(sig(-1)).epsilon(1e-14));
    REQUIRE(y(1, 1) == Approx(sig(1.5)).epsilon(1e-14));
}

TEST_CASE("ContractiveDense: the penalty equals λ‖∂h/∂x‖²_F from finite differences", "[contractive]") {
    for (Activation a : {Activation::sigmoid, Activation::tanh, Activation::linear}) {
        ContractiveDense<double> layer(4, a, 0.3);
        Rng rng(2);
        layer.build(Shape{5}, rng);
        const Md x = random_matrix(5, 3, 3, -2, 2);
        const double numeric = numeric_jacobian_norm2(layer, x);
        Md y;
        layer.forward(x, y, Mode::training);
        INFO("activation " << to_string(a));
        REQUIRE(layer.jacobian_norm2() == Approx(numeric).epsilon(1e-7));
        REQUIRE(layer.extra_loss() == Approx(0.3 * numeric).epsilon(1e-7));
    }
}

TEST_CASE("ContractiveDense: gradients of output plus penalty w.r.t. W, b and x", "[contractive][gradient]") {
    for (Activation a : {Activation::sigmoid, Activation::tanh}) {
        INFO("activation " << to_string(a));
        // A large λ so the penalty's gradient dominates and an error in it cannot hide.
        ContractiveDense<double> layer(4, a, 2.0);
        Rng rng(4);
        layer.build(Shape{6}, rng);
        layer.bias() = random_matrix(4, 1, 5, -0.5, 0.5);
        AE_REQUIRE_GRADIENTS(check_layer(layer, random_matrix(6, 5, 6, -1.5, 1.5)), 1e-7);
        // The penalty alone (output gradient zero): a model whose output is ignored.
        auto params = layer.parameters();
        for (auto& p : params) p.grad->setZero();
        const Md x = random_matrix(6, 3, 7);
        Md y, dx;
        layer.forward(x, y, Mode::training);
        layer.backward(Md::Zero(4, 3), dx);
        const double h = 1e-6;
        Md num(4, 6);
        for (Index i = 0; i < layer.kernel().size(); ++i) {
            double& w = layer.kernel().data()[i];
            const double keep = w;
            w = keep + h;
            layer.forward(x, y, Mode::training);
            const double lp = layer.extra_loss();
            w = keep - h;
            layer.forward(x, y, Mode::training);
            const double lm = layer.extra_loss();
            w = keep;
            num.data()[i] = (lp - lm) / (2 * h);
        }
        REQUIRE((layer.kernel_grad() - num).norm() / num.norm() < 1e-7);
        REQUIRE(num.norm() > 1e-3);
    }
    SECTION("as the coding layer inside a model, with the loss's fused logits") {
        auto d1 = std::make_shared<Dense<double>>(5, Activation::relu);
        auto c = std::make_shared<ContractiveDense<double>>(3, Activation::tanh, 0.7);
        auto d2 = std::make_shared<Dense<double>>(4, Activation::sigmoid);
        Sequential<double> model(Shape{4}, {d1, c, d2}, 8);
        AE_REQUIRE_GRADIENTS(check_layer(model, random_matrix(4, 6, 9)), 1e-6);
        REQUIRE(model.extra_loss() > 0);
    }
    SECTION("as the last layer, through backward_from_logits") {
        ContractiveDense<double> layer(3, Activation::sigmoid, 1.5);
        Rng rng(10);
        layer.build(Shape{4}, rng);
        layer.set_keep_logits(true);
        const Md x = random_matrix(4, 5, 11);
        const Md R = random_matrix(3, 5, 12);  // dL/dz from a fused loss, with L = Σ R ⊙ z + P
        auto objective = [&](const Md& in) {
            Md y;
            layer.forward(in, y, Mode::training);
            return (R.array() * layer.logits()->array()).sum() + layer.extra_loss();
        };
        for (auto& p : layer.parameters()) p.grad->setZero();
        Md y, dx;
        layer.forward(x, y, Mode::training);
        layer.backward_from_logits(R, dx);
        Md num_dx(4, 5), xx = x;
        for (Index i = 0; i < xx.size(); ++i) {
            const double keep = xx.data()[i];
            xx.data()[i] = keep + 1e-6;
            const double lp = objective(xx);
            xx.data()[i] = keep - 1e-6;
            const double lm = objective(xx);
            xx.data()[i] = keep;
            num_dx.data()[i] = (lp - lm) / 2e-6;
        }
        REQUIRE((dx - num_dx).norm() / num_dx.norm() < 1e-7);
    }
}

TEST_CASE("ContractiveDense: config round trip, save/load and invalid settings", "[contractive][io][errors]") {
    ContractiveDense<float> layer(7, Activation::tanh, 0.25, Initializer::he_normal);
    auto copy = ContractiveDense<float>::from_config(LayerArgs<float>{layer.config(), {}, {}});
    REQUIRE(copy->units() == 7);
    REQUIRE(copy->activation() == Activation::tanh);
    REQUIRE(copy->lambda() == 0.25);
    REQUIRE(copy->type() == "ContractiveDense");

    auto parts = recipes::contractive<float>(10, {8}, 3, 0.05, 4);
    const std::string path = test_path("contractive_test", "contractive.aem");
    save(*parts.autoencoder, path);
    auto loaded = load_as<float, Autoencoder<float>>(path);
    auto c = std::dynamic_pointer_cast<ContractiveDense<float>>(loaded->encoder()->layer(1));
    REQUIRE(c);
    REQUIRE(c->lambda() == Approx(0.05));
    REQUIRE(c->activation() == Activation::sigmoid);
    Rng rng(5);
    Matrix<float> x(10, 7);
    rng.fill_uniform(x, 0.0, 1.0);
    REQUIRE((loaded->predict(x).array() == parts.autoencoder->predict(x).array()).all());
    loaded->compile(std::make_shared<Adam<float>>(), std::make_shared<BinaryCrossEntropy<float>>());
    REQUIRE(loaded->evaluate(x, x) == parts.autoencoder->evaluate(x, x));

    AE_REQUIRE_THROWS(ContractiveDense<float>(4, Activation::relu, 0.1), ConfigError,
                      Catch::Matchers::Contains("relu"));
    AE_REQUIRE_THROWS(ContractiveDense<float>(4, Activation::sigmoid, -1.0), ConfigError,
                      Catch::Matchers::Contains("lambda"));
    REQUIRE_THROWS_AS(ContractiveDense<float>(0, Activation::sigmoid, 0.1), ConfigError);
    REQUIRE_THROWS_AS(recipes::contractive<float>(10, {8}, 3, std::nan("")), ConfigError);
    REQUIRE_THROWS_AS(recipes::contractive<float>(10, {8}, 0, 0.1), ConfigError);
}

TEST_CASE("recipes::contractive: shapes, and a strong penalty flattens the codings' Jacobian",
          "[contractive][recipes][fit]") {
    auto parts = recipes::contractive<float>(16, {12}, 4, 1e-3);
    REQUIRE(parts.encoder->output_shape() == Shape{4});
    REQUIRE(parts.autoencoder->output_shape() == Shape{16});
    REQUIRE(parts.autoencoder->compiled());
    REQUIRE(parts.autoencoder->count_params() == recipes::vanilla<float>(16, {12}, 4).autoencoder->count_params());

    Rng rng(6);
    Matrix<float> codes(2, 256), mix(16, 2);
    rng.fill_uniform(codes, 0.0, 1.0);
    rng.fill_uniform(mix, 0.0, 1.0);
    const Matrix<float> x = ((mix * codes) / 2.0f).cwiseMin(1.0f);
    auto train = [&](double lambda) {
        auto p = recipes::contractive<float>(16, {12}, 4, lambda, 3);
        FitOptions<float> opt;
        opt.epochs = 20;
        opt.batch_size = 32;
        opt.verbose = 0;
        p.autoencoder->fit(x, x, opt);
        auto c = std::dynamic_pointer_cast<ContractiveDense<float>>(p.encoder->layer(1));
        Matrix<float> y;
        p.autoencoder->forward(x, y, Mode::inference);
        return double(c->jacobian_norm2());
    };
    const double free = train(0.0);
    const double penalized = train(1.0);
    INFO("‖J‖²_F without penalty " << free << ", with λ = 1 " << penalized);
    REQUIRE(penalized < 0.5 * free);
}
