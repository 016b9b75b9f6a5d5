#include "ae/layers/activity_regularization.hpp"

#include <filesystem>

#include "ae/models/recipes/sparse.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
}  // namespace

TEST_CASE("ActivityRegularization: identity forward, penalty (l1·Σ|x| + l2·Σx²)/batch by hand",
          "[activity_regularization]") {
    ActivityRegularization<double> reg(0.1, 0.2);
    Rng rng(1);
    reg.build(Shape{2}, rng);
    Md x(2, 2);
    x << 1.0, -2.0, 0.5, 0.0;
    Md y;
    reg.forward(x, y, Mode::training);
    REQUIRE((y.array() == x.array()).all());
    // Σ|x| = 3.5, Σx² = 5.25, batch 2.
    REQUIRE(reg.extra_loss() == Approx((0.1 * 3.5 + 0.2 * 5.25) / 2).epsilon(1e-14));
    // Inference computes it too (Keras' evaluate includes activity penalties).
    reg.forward(2 * x, y, Mode::inference);
    REQUIRE(reg.extra_loss() == Approx((0.1 * 7.0 + 0.2 * 21.0) / 2).epsilon(1e-14));
    ActivityRegularization<double> none;
    none.build(Shape{2}, rng);
    none.forward(x, y, Mode::training);
    REQUIRE(none.extra_loss() == 0.0);
}

TEST_CASE("ActivityRegularization: the penalty is per sample, independent of the batch size",
          "[activity_regularization]") {
    ActivityRegularization<double> reg(0.01, 0.03);
    Rng rng(2);
    reg.build(Shape{5}, rng);
    const Md x = random_matrix(5, 4, 3);
    Md twice(5, 8), y;
    twice << x, x;
    reg.forward(x, y, Mode::training);
    const double one = reg.extra_loss();
    reg.forward(twice, y, Mode::training);
    REQUIRE(reg.extra_loss() == Approx(one).epsilon(1e-14));
}

TEST_CASE("ActivityRegularization: gradients include the penalty's", "[activity_regularization][gradient]") {
    SECTION("alone") {
        ActivityRegularization<double> reg(0.3, 0.7);
        Rng rng(4);
        reg.build(Shape{6}, rng);
        AE_REQUIRE_GRADIENTS(check_layer(reg, random_matrix(6, 5, 5)), 1e-7);
    }
    SECTION("on a Dense layer's output, inside a model") {
        auto d1 = std::make_shared<Dense<double>>(5, Activation::tanh);
        auto reg = std::make_shared<ActivityRegularization<double>>(0.5, 0.25);
        auto d2 = std::make_shared<Dense<double>>(3, Activation::sigmoid);
        Sequential<double> model(Shape{4}, {d1, reg, d2}, 6);
        AE_REQUIRE_GRADIENTS(check_layer(model, random_matrix(4, 6, 7)), 1e-6);
        REQUIRE(model.extra_loss() > 0);
    }
}

TEST_CASE("ActivityRegularization: config round trip and invalid factors", "[activity_regularization][errors]") {
    ActivityRegularization<float> reg(1e-5, 0.5);
    auto copy = ActivityRegularization<float>::from_config(LayerArgs<float>{reg.config(), {}, {}});
    REQUIRE(copy->l1() == 1e-5);
    REQUIRE(copy->l2() == 0.5);
    AE_REQUIRE_THROWS(ActivityRegularization<float>(-1.0), ConfigError, Catch::Matchers::Contains("l1"));
    REQUIRE_THROWS_AS(ActivityRegularization<float>(0.0, std::nan("")), ConfigError);
}

TEST_CASE("recipes::sparse: vanilla plus L1 on the codings, same parameters", "[activity_regularization][recipes]") {
    auto sparse = recipes::sparse<float>(784, {128, 64}, 32, 1e-5);
    auto vanilla = recipes::vanilla<float>(784, {128, 64}, 32);
    REQUIRE(sparse.autoencoder->count_params() == vanilla.autoencoder->count_params());
    REQUIRE(sparse.encoder->size() == 4);
    auto reg = std::dynamic_pointer_cast<ActivityRegularization<float>>(sparse.encoder->layer(3));
    REQUIRE(reg);
    REQUIRE(reg->l1() == 1e-5);
    REQUIRE(reg->l2() == 0.0);
    REQUIRE(sparse.encoder->output_shape() == Shape{32});
    REQUIRE(sparse.autoencoder->compiled());
    // The penalty of the codings is the model's extra loss.
    const Matrix<float> x = manifold_data(784, 16, 1);
    Matrix<float> y;
    sparse.autoencoder->forward(x, y, Mode::training);
    const Matrix<float> z = sparse.encoder->predict(x);
    REQUIRE(sparse.autoencoder->extra_loss() == Approx(1e-5 * z.array().abs().sum() / 16).epsilon(1e-4));
    REQUIRE_THROWS_AS(recipes::sparse<float>(784, {64}, 32, -1.0), ConfigError);
    REQUIRE_THROWS_AS(recipes::sparse<float>(784, {64}, 0, 1e-5), ConfigError);
}

TEST_CASE("recipes::sparse: a strong L1 penalty shrinks the codings", "[activity_regularization][recipes][fit]") {
    const Matrix<float> x = manifold_data(20, 512, 2);
    auto train = [&](double lambtha) {
        auto parts = recipes::sparse<float>(20, {12}, 6, lambtha, 3);
        FitOptions<float> opt;
        opt.epochs = 30;
        opt.batch_size = 32;
        opt.verbose = 0;
        parts.autoencoder->fit(x, x, opt);
        return double(parts.encoder->predict(x).array().abs().mean());
    };
    const double free = train(0.0);
    const double penalized = train(0.05);
    INFO("mean |coding| without L1 " << free << ", with L1 0.05 " << penalized);
    REQUIRE(penalized < 0.5 * free);
}

TEST_CASE("recipes::sparse: save/load keeps the regularizer and the predictions", "[activity_regularization][io]") {
    auto parts = recipes::sparse<float>(12, {8}, 4, 0.01, 4);
    const std::string path = test_path("activity_regularization_test", "sparse.aem");
    save(*parts.autoencoder, path);
    auto loaded = load_as<float, Autoencoder<float>>(path);
    auto reg = std::dynamic_pointer_cast<ActivityRegularization<float>>(loaded->encoder()->layer(2));
    REQUIRE(reg);
    REQUIRE(reg->l1() == Approx(0.01));
    const Matrix<float> x = manifold_data(12, 9, 5);
    REQUIRE((loaded->predict(x).array() == parts.autoencoder->predict(x).array()).all());
    // The loaded model's evaluation includes the same L1 penalty.
    loaded->compile(std::make_shared<Adam<float>>(), std::make_shared<BinaryCrossEntropy<float>>());
    REQUIRE(loaded->evaluate(x, x) == parts.autoencoder->evaluate(x, x));
}
