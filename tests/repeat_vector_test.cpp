#include "ae/layers/repeat_vector.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

TEST_CASE("RepeatVector: every step holds the input vector", "[repeat_vector]") {
    RepeatVector<double> layer(4);
    Rng rng(1);
    REQUIRE(layer.build(Shape{3}, rng) == Shape{4, 3});
    Md x = random_matrix(3, 2, 5), y;
    layer.forward(x, y, Mode::inference);
    REQUIRE(y.rows() == 12);
    for (Index t = 0; t < 4; ++t) REQUIRE(y.middleRows(t * 3, 3) == x);
}

TEST_CASE("RepeatVector: gradient sums over the steps", "[repeat_vector][gradient]") {
    RepeatVector<double> layer(5);
    Rng rng(1);
    layer.build(Shape{3}, rng);
    auto report = check_layer(layer, random_matrix(3, 2, 7));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("RepeatVector: non-vector input and bad sizes are clear errors", "[repeat_vector][errors]") {
    Rng rng(1);
    RepeatVector<float> layer(28);
    AE_REQUIRE_THROWS(layer.build(Shape{4, 3}, rng), ShapeError,
                      Catch::Matchers::Contains("RepeatVector") && Catch::Matchers::Contains("{4, 3}"));
    RepeatVector<float> ok(2);
    ok.build(Shape{6}, rng);
    Matrix<float> x = Matrix<float>::Zero(5, 1), y;
    AE_REQUIRE_THROWS(ok.forward(x, y, Mode::inference), ShapeError,
                      Catch::Matchers::Contains("6") && Catch::Matchers::Contains("5"));
    REQUIRE_THROWS_AS(RepeatVector<float>(0), ConfigError);
}

TEST_CASE("RepeatVector: config round trip through the registry", "[repeat_vector][config]") {
    RepeatVector<float> layer(28);
    auto copy = create_layer<float>("RepeatVector", LayerArgs<float>{layer.config(), {}, {}});
    Rng rng(1);
    REQUIRE(copy->build(Shape{30}, rng) == Shape{28, 30});
}
