#include "ae/layers/gaussian_noise.hpp"

#include <filesystem>

#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
}  // namespace

TEST_CASE("GaussianNoise: identity in inference mode", "[gaussian_noise]") {
    GaussianNoise<double> noise(0.5);
    Rng rng(1);
    noise.build(Shape{6}, rng);
    const Md x = random_matrix(6, 5, 2);
    Md y, dx;
    noise.forward(x, y, Mode::inference);
    REQUIRE((y.array() == x.array()).all());
    const Md dy = random_matrix(6, 5, 3);
    noise.backward(dy, dx);
    REQUIRE((dx.array() == dy.array()).all());
}

TEST_CASE("GaussianNoise: training mode adds N(0, stddev²) noise, fresh each pass", "[gaussian_noise]") {
    GaussianNoise<double> noise(0.3);
    Rng rng(4);
    noise.build(Shape{100}, rng);
    const Md x = random_matrix(100, 1000, 5);
    Md y1, y2;
    noise.forward(x, y1, Mode::training);
    const Md e = y1 - x;
    const double mean = e.mean();
    const double sd = std::sqrt((e.array() - mean).square().mean());
    // 1e5 draws: the mean's standard error is 0.3/316 ≈ 0.001, the sd's about 0.0007.
    REQUIRE(std::abs(mean) < 0.005);
    REQUIRE(sd == Approx(0.3).epsilon(0.01));
    noise.forward(x, y2, Mode::training);
    REQUIRE((y2 - y1).norm() > 1.0);  // new noise every forward pass
}

TEST_CASE("GaussianNoise: reseed replays the same noise, and builds seeded alike agree", "[gaussian_noise]") {
    GaussianNoise<float> a(1.0), b(1.0);
    Rng r1(9), r2(9);
    a.build(Shape{4}, r1);
    b.build(Shape{4}, r2);
    const Matrix<float> x = Matrix<float>::Zero(4, 3);
    Matrix<float> ya, yb;
    a.forward(x, ya, Mode::training);
    b.forward(x, yb, Mode::training);
    REQUIRE((ya.array() == yb.array()).all());
    a.reseed(77);
    a.forward(x, ya, Mode::training);
    a.reseed(77);
    a.forward(x, yb, Mode::training);
    REQUIRE((ya.array() == yb.array()).all());
}

TEST_CASE("GaussianNoise: gradients through a model with the noise frozen", "[gaussian_noise][gradient]") {
    auto d1 = std::make_shared<Dense<double>>(5, Activation::tanh);
    auto noise = std::make_shared<GaussianNoise<double>>(0.4);
    auto d2 = std::make_shared<Dense<double>>(3, Activation::sigmoid);
    Sequential<double> model(Shape{4}, {d1, noise, d2}, 3);
    auto report = check_layer(model, random_matrix(4, 6, 4), Mode::training, 1e-5, [&] { noise->reseed(11); });
    AE_REQUIRE_GRADIENTS(report, 1e-6);
    // The noise matters: without reseeding, two training passes differ.
    Md y1, y2;
    const Md x = random_matrix(4, 6, 4);
    model.forward(x, y1, Mode::training);
    model.forward(x, y2, Mode::training);
    REQUIRE((y1 - y2).norm() > 1e-3);
}

TEST_CASE("GaussianNoise: config round trip and save/load", "[gaussian_noise][io]") {
    GaussianNoise<float> layer(0.125);
    auto copy = GaussianNoise<float>::from_config(LayerArgs<float>{layer.config(), {}, {}});
    REQUIRE(copy->stddev() == 0.125);

    auto model = std::make_shared<Sequential<float>>(
        Shape{8},
        std::vector<LayerPtr<float>>{std::make_shared<GaussianNoise<float>>(0.1),
                                     std::make_shared<Dense<float>>(3, Activation::relu),
                                     std::make_shared<Dense<float>>(8, Activation::sigmoid)},
        5);
    const std::string path = test_path("gaussian_noise_test", "noise.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    auto noise = std::dynamic_pointer_cast<GaussianNoise<float>>(loaded->layer(0));
    REQUIRE(noise);
    REQUIRE(noise->stddev() == Approx(0.1));
    const Matrix<float> x = random_matrix(8, 5, 6).cast<float>();
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
}

TEST_CASE("GaussianNoise: invalid stddev throws ConfigError", "[gaussian_noise][errors]") {
    AE_REQUIRE_THROWS(GaussianNoise<float>(-0.1), ConfigError, Catch::Matchers::Contains("-0.1"));
    REQUIRE_THROWS_AS(GaussianNoise<float>(std::nan("")), ConfigError);
    REQUIRE_NOTHROW(GaussianNoise<float>(0.0));
}
