#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

TEST_CASE("Dense: gradients of input, kernel and bias for every activation", "[dense][gradient]") {
    for (Activation a : {Activation::linear, Activation::relu, Activation::leaky_relu, Activation::elu,
                         Activation::selu, Activation::sigmoid, Activation::tanh, Activation::softplus,
                         Activation::softmax}) {
        SECTION(to_string(a)) {
            Dense<double> layer(4, a);
            Rng rng(7);
            layer.build(Shape{5}, rng);
            auto report = check_layer(layer, random_matrix(5, 3, 11));
            AE_REQUIRE_GRADIENTS(report, 1e-6);
        }
    }
}

TEST_CASE("Dense: Glorot-uniform kernel within its limit and zero bias", "[dense]") {
    Dense<double> layer(300, Activation::relu);
    Rng rng(1);
    layer.build(Shape{200}, rng);
    const double limit = std::sqrt(6.0 / 500.0);
    REQUIRE(layer.kernel().maxCoeff() <= limit);
    REQUIRE(layer.kernel().minCoeff() >= -limit);
    // U(-l, l) has variance l²/3.
    const double var = layer.kernel().array().square().mean();
    REQUIRE(var == Approx(limit * limit / 3).epsilon(0.02));
    REQUIRE(layer.bias().isZero());
}

TEST_CASE("Dense: He and LeCun initialisers have their variances", "[dense]") {
    Rng rng(2);
    Dense<double> he(400, Activation::relu, Initializer::he_normal);
    he.build(Shape{300}, rng);
    REQUIRE(he.kernel().array().square().mean() == Approx(2.0 / 300).epsilon(0.03));
    Dense<double> lecun(400, Activation::selu, Initializer::lecun_uniform);
    lecun.build(Shape{300}, rng);
    REQUIRE(lecun.kernel().array().square().mean() == Approx(1.0 / 300).epsilon(0.03));
}

TEST_CASE("Dense: wrong input size throws ShapeError naming both sizes", "[dense][errors]") {
    Dense<float> layer(8);
    Rng rng(1);
    layer.build(Shape{10}, rng);
    Matrix<float> x = Matrix<float>::Zero(9, 4), y;
    AE_REQUIRE_THROWS(layer.forward(x, y, Mode::inference), ShapeError,
                           Catch::Matchers::Contains("10") && Catch::Matchers::Contains("9"));
    REQUIRE_THROWS_AS(Dense<float>(0), ConfigError);
}
