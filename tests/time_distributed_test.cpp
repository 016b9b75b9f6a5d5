#include "ae/layers/dense.hpp"
#include "ae/layers/time_distributed.hpp"
#include "ae/losses/binary_cross_entropy.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

TEST_CASE("TimeDistributed(Dense) equals the Dense applied to every step", "[time_distributed]") {
    auto dense = std::make_shared<Dense<double>>(4, Activation::sigmoid);
    TimeDistributed<double> layer(dense);
    Rng rng(3);
    REQUIRE(layer.build(Shape{5, 3}, rng) == Shape{5, 4});
    Md x = random_matrix(15, 3, 8), y;
    layer.forward(x, y, Mode::inference);
    REQUIRE(y.rows() == 20);
    REQUIRE(y.cols() == 3);
    for (Index t = 0; t < 5; ++t) {
        Md step = x.middleRows(t * 3, 3);
        Md expected = dense->kernel() * step;
        expected.colwise() += dense->bias().col(0);
        expected = 1.0 / (1.0 + (-expected.array()).exp());
        REQUIRE((y.middleRows(t * 4, 4) - expected).norm() < 1e-13);
    }
}

TEST_CASE("TimeDistributed(Dense): gradients of input, shared kernel and bias", "[time_distributed][gradient]") {
    TimeDistributed<double> layer(std::make_shared<Dense<double>>(4, Activation::tanh));
    Rng rng(3);
    layer.build(Shape{4, 3}, rng);
    auto report = check_layer(layer, random_matrix(12, 2, 9));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("TimeDistributed: forwards the sigmoid logits so BCE fuses", "[time_distributed]") {
    auto dense = std::make_shared<Dense<double>>(3, Activation::sigmoid);
    TimeDistributed<double> layer(dense);
    Rng rng(4);
    layer.build(Shape{4, 2}, rng);
    REQUIRE(layer.output_activation() == Activation::sigmoid);
    layer.set_keep_logits(true);
    Md x = random_matrix(8, 3, 1), y;
    layer.forward(x, y, Mode::training);
    const Md* z = layer.logits();
    REQUIRE(z != nullptr);
    REQUIRE(z->rows() == y.rows());
    Md sig = 1.0 / (1.0 + (-z->array()).exp());
    REQUIRE((sig - y).norm() < 1e-13);

    // backward_from_logits with dz equals backward with dy = dz / σ'(z).
    Md dz = random_matrix(12, 3, 2), dx1, dx2;
    for (auto& p : layer.parameters()) p.grad->setZero();
    layer.backward_from_logits(dz, dx1);
    Md g1 = dense->kernel_grad();
    for (auto& p : layer.parameters()) p.grad->setZero();
    Md dy = dz.array() / (y.array() * (1 - y.array()));
    layer.backward(dy, dx2);
    REQUIRE((dx1 - dx2).norm() < 1e-10);
    REQUIRE((g1 - dense->kernel_grad()).norm() < 1e-10);
}

TEST_CASE("TimeDistributed: non-sequence input is a clear error", "[time_distributed][errors]") {
    Rng rng(1);
    TimeDistributed<float> layer(std::make_shared<Dense<float>>(3));
    AE_REQUIRE_THROWS(layer.build(Shape{12}, rng), ShapeError,
                      Catch::Matchers::Contains("TimeDistributed") && Catch::Matchers::Contains("{12}"));
    REQUIRE_THROWS_AS(TimeDistributed<float>(nullptr), ConfigError);
}

TEST_CASE("TimeDistributed: config round trip rebuilds around its child", "[time_distributed][config]") {
    auto dense = std::make_shared<Dense<float>>(28, Activation::sigmoid);
    TimeDistributed<float> layer(dense);
    REQUIRE(layer.children().size() == 1);
    auto child = create_layer<float>("Dense", LayerArgs<float>{dense->config(), {}, {}});
    auto copy = create_layer<float>("TimeDistributed", LayerArgs<float>{layer.config(), {child}, {}});
    Rng rng(1);
    REQUIRE(copy->build(Shape{28, 100}, rng) == Shape{28, 28});
    REQUIRE(copy->output_activation() == Activation::sigmoid);
    REQUIRE_THROWS_AS(create_layer<float>("TimeDistributed", LayerArgs<float>{layer.config(), {}, {}}), FormatError);
}
