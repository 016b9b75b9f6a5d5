#include "ae/layers/reshape.hpp"

#include "ae/layers/flatten.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

TEST_CASE("Flatten: image shape becomes a vector, data unchanged", "[flatten]") {
    Flatten<double> layer;
    Rng rng(1);
    REQUIRE(layer.build(Shape{4, 3, 2}, rng) == Shape{24});
    Md x = random_matrix(24, 3, 1), y;
    layer.forward(x, y, Mode::inference);
    REQUIRE(y == x);
    auto report = check_layer(layer, x);
    AE_REQUIRE_GRADIENTS(report, 1e-6);
    AE_REQUIRE_THROWS(layer.forward(Md::Zero(23, 1), y, Mode::inference), ShapeError,
                      Catch::Matchers::Contains("24") && Catch::Matchers::Contains("23"));
}

TEST_CASE("Reshape: vector to image and back, data unchanged", "[reshape]") {
    Reshape<double> layer(Shape{2, 3, 4});
    Rng rng(1);
    REQUIRE(layer.build(Shape{24}, rng) == Shape{2, 3, 4});
    Md x = random_matrix(24, 2, 2), y;
    layer.forward(x, y, Mode::inference);
    REQUIRE(y == x);
    auto report = check_layer(layer, x);
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("Reshape: mismatched sizes throw ShapeError naming both shapes", "[reshape][errors]") {
    Rng rng(1);
    Reshape<float> layer(Shape{7, 7, 2});
    AE_REQUIRE_THROWS(layer.build(Shape{100}, rng), ShapeError,
                      Catch::Matchers::Contains("Reshape") && Catch::Matchers::Contains("{7, 7, 2}") &&
                          Catch::Matchers::Contains("{100}"));
    REQUIRE_THROWS_AS(Reshape<float>(Shape{}), ConfigError);
}

TEST_CASE("Flatten and Reshape: config round trip through the registry", "[flatten][reshape][config]") {
    Reshape<double> r(Shape{4, 4, 8});
    auto rr = create_layer<double>("Reshape", LayerArgs<double>{r.config(), {}, {}});
    REQUIRE(rr->config().items() == r.config().items());
    REQUIRE(std::dynamic_pointer_cast<Reshape<double>>(rr)->target_shape() == Shape{4, 4, 8});
    Flatten<double> f;
    auto fr = create_layer<double>("Flatten", LayerArgs<double>{f.config(), {}, {}});
    REQUIRE(fr->type() == "Flatten");
    Rng rng(1);
    REQUIRE(fr->build(Shape{2, 5, 3}, rng) == Shape{30});
}
