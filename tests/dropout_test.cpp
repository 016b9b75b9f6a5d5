#include "ae/layers/dropout.hpp"

#include <filesystem>

#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
}  // namespace

TEST_CASE("Dropout: identity in inference mode, forward and backward", "[dropout]") {
    Dropout<double> drop(0.5);
    Rng rng(1);
    drop.build(Shape{6}, rng);
    const Md x = random_matrix(6, 5, 2);
    Md y, dx;
    drop.forward(x, y, Mode::inference);
    REQUIRE((y.array() == x.array()).all());
    const Md dy = random_matrix(6, 5, 3);
    drop.backward(dy, dx);
    REQUIRE((dx.array() == dy.array()).all());
}

TEST_CASE("Dropout: training keeps 1 − rate of the elements, scaled so the mean is preserved", "[dropout]") {
    Dropout<double> drop(0.3);
    Rng rng(4);
    drop.build(Shape{200}, rng);
    const Md x = Md::Ones(200, 500);
    Md y;
    drop.forward(x, y, Mode::training);
    const double kept = double((y.array() != 0).count()) / double(y.size());
    // 1e5 Bernoulli(0.7) draws: standard error 0.0015.
    REQUIRE(kept == Approx(0.7).margin(0.006));
    REQUIRE(y.mean() == Approx(1.0).margin(0.01));
    // Every element is either dropped or scaled by exactly 1/(1 − rate).
    const double scale = 1.0 / (1.0 - 0.3);
    REQUIRE(((y.array() == 0.0) || ((y.array() - scale).abs() < 1e-15)).all());
    Md y2;
    drop.forward(x, y2, Mode::training);
    REQUIRE((y2.array() != y.array()).count() > 1000);  // a new mask every pass
}

TEST_CASE("Dropout: backward routes the gradient through the same mask", "[dropout]") {
    Dropout<double> drop(0.5);
    Rng rng(5);
    drop.build(Shape{10}, rng);
    const Md x = random_matrix(10, 8, 6);
    const Md dy = random_matrix(10, 8, 7);
    Md y, dx;
    drop.forward(x, y, Mode::training);
    drop.backward(dy, dx);
    for (Index i = 0; i < x.size(); ++i) {
        if (y.data()[i] == 0) {
            REQUIRE(dx.data()[i] == 0);
        } else {
            REQUIRE(dx.data()[i] == Approx(2 * dy.data()[i]));
        }
    }
}

TEST_CASE("Dropout: gradients through a model with the mask frozen", "[dropout][gradient]") {
    auto d1 = std::make_shared<Dense<double>>(6, Activation::tanh);
    auto drop = std::make_shared<Dropout<double>>(0.4);
    auto d2 = std::make_shared<Dense<double>>(3, Activation::sigmoid);
    Sequential<double> model(Shape{4}, {d1, drop, d2}, 3);
    auto report = check_layer(model, random_matrix(4, 6, 4), Mode::training, 1e-5, [&] { drop->reseed(11); });
    AE_REQUIRE_GRADIENTS(report, 1e-6);
    Md y1, y2;
    const Md x = random_matrix(4, 6, 4);
    model.forward(x, y1, Mode::training);
    model.forward(x, y2, Mode::inference);
    REQUIRE((y1 - y2).norm() > 1e-3);  // training differs from inference
}

TEST_CASE("Dropout: reseed replays the same mask", "[dropout]") {
    Dropout<float> drop(0.5);
    Rng rng(2);
    drop.build(Shape{16}, rng);
    const Matrix<float> x = Matrix<float>::Ones(16, 4);
    Matrix<float> a, b;
    drop.reseed(3);
    drop.forward(x, a, Mode::training);
    drop.reseed(3);
    drop.forward(x, b, Mode::training);
    REQUIRE((a.array() == b.array()).all());
}

TEST_CASE("Dropout: config round trip and save/load", "[dropout][io]") {
    Dropout<float> layer(0.25);
    auto copy = Dropout<float>::from_config(LayerArgs<float>{layer.config(), {}, {}});
    REQUIRE(copy->rate() == 0.25);

    auto model = std::make_shared<Sequential<float>>(
        Shape{8},
        std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(5, Activation::relu),
                                     std::make_shared<Dropout<float>>(0.2),
                                     std::make_shared<Dense<float>>(8, Activation::sigmoid)},
        5);
    const std::string path = test_path("dropout_test", "dropout.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    auto drop = std::dynamic_pointer_cast<Dropout<float>>(loaded->layer(1));
    REQUIRE(drop);
    REQUIRE(drop->rate() == Approx(0.2));
    const Matrix<float> x = random_matrix(8, 5, 6).cast<float>();
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
}

TEST_CASE("Dropout: a rate outside 0 <= rate < 1 throws ConfigError", "[dropout][errors]") {
    AE_REQUIRE_THROWS(Dropout<float>(1.0), ConfigError, Catch::Matchers::Contains("[0, 1)"));
    REQUIRE_THROWS_AS(Dropout<float>(-0.1), ConfigError);
    REQUIRE_THROWS_AS(Dropout<float>(std::nan("")), ConfigError);
    REQUIRE_NOTHROW(Dropout<float>(0.0));
}
