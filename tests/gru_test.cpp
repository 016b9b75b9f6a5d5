#include <cmath>

#include "ae/layers/gru.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
}  // namespace

TEST_CASE("GRU: gradients through time of input, kernels and both biases (last output)", "[gru][gradient]") {
    GRU<double> layer(5, false);
    Rng rng(3);
    layer.build(Shape{4, 3}, rng);
    rng.fill_uniform(layer.bias(), -0.5, 0.5);  // non-zero input and recurrent biases
    auto report = check_layer(layer, random_matrix(12, 2, 31));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("GRU: gradients through time with return_sequences", "[gru][gradient]") {
    GRU<double> layer(5, true);
    Rng rng(4);
    layer.build(Shape{4, 3}, rng);
    rng.fill_uniform(layer.bias(), -0.5, 0.5);
    REQUIRE(layer.output_shape() == Shape{4, 5});
    auto report = check_layer(layer, random_matrix(12, 2, 32));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("GRU: forward equals Keras' reset_after equations in scalar loops", "[gru]") {
    const Index T = 3, F = 2, U = 2;
    GRU<double> layer(U, true);
    Rng rng(1);
    layer.build(Shape{T, F}, rng);
    rng.fill_uniform(layer.bias(), -0.3, 0.3);
    Md x = random_matrix(T * F, 2, 5), y;
    layer.forward(x, y, Mode::inference);
    const Md &W = layer.kernel(), &R = layer.recurrent_kernel(), &b = layer.bias();
    for (Index col = 0; col < 2; ++col) {
        std::vector<double> h(U, 0.0);
        for (Index t = 0; t < T; ++t) {
            std::vector<double> p(3 * U), q(3 * U);
            for (Index r = 0; r < 3 * U; ++r) {
                p[r] = b(r, 0);
                q[r] = b(r, 1);
                for (Index f = 0; f < F; ++f) p[r] += W(r, f) * x(t * F + f, col);
                for (Index u = 0; u < U; ++u) q[r] += R(r, u) * h[u];
            }
            std::vector<double> next(U);
            for (Index u = 0; u < U; ++u) {
                const double z = sigmoid(p[u] + q[u]), rr = sigmoid(p[U + u] + q[U + u]);
                const double hh = std::tanh(p[2 * U + u] + rr * q[2 * U + u]);
                next[u] = z * h[u] + (1 - z) * hh;
            }
            h = next;
            for (Index u = 0; u < U; ++u) REQUIRE(y(t * U + u, col) == Approx(h[u]).epsilon(1e-12));
        }
    }
}

TEST_CASE("GRU: Keras initialisers and bias layout", "[gru]") {
    GRU<double> layer(10, false);
    Rng rng(5);
    layer.build(Shape{6, 8}, rng);
    REQUIRE(layer.kernel().rows() == 30);
    REQUIRE(layer.kernel().cwiseAbs().maxCoeff() <= std::sqrt(6.0 / (8 + 30)));
    const Md& R = layer.recurrent_kernel();
    REQUIRE((R.transpose() * R - Md::Identity(10, 10)).norm() < 1e-10);
    REQUIRE(layer.bias().rows() == 30);
    REQUIRE(layer.bias().cols() == 2);
    REQUIRE(layer.bias().isZero());
}

TEST_CASE("GRU: batch split over threads gives the single-thread results", "[gru][threads]") {
    GRU<double> layer(6, true);
    Rng rng(8);
    layer.build(Shape{5, 4}, rng);
    rng.fill_uniform(layer.bias(), -0.5, 0.5);
    Md x = random_matrix(20, 50, 3), dy = random_matrix(30, 50, 4);
    auto run = [&](int threads, Md& y, Md& dx, std::vector<Md>& grads) {
        set_num_threads(threads);
        for (auto& p : layer.parameters()) p.grad->setZero();
        layer.forward(x, y, Mode::training);
        layer.backward(dy, dx);
        grads.clear();
        for (auto& p : layer.parameters()) grads.push_back(*p.grad);
    };
    Md y1, dx1, y2, dx2;
    std::vector<Md> g1, g2;
    run(1, y1, dx1, g1);
    run(2, y2, dx2, g2);
    set_num_threads(1);
    REQUIRE((y1 - y2).norm() < 1e-12);
    REQUIRE((dx1 - dx2).norm() < 1e-12);
    for (std::size_t i = 0; i < g1.size(); ++i) REQUIRE((g1[i] - g2[i]).norm() < 1e-12);
}

TEST_CASE("GRU: sequence shape errors and config round trip", "[gru][errors][config]") {
    Rng rng(1);
    GRU<float> vec(4);
    AE_REQUIRE_THROWS(vec.build(Shape{30}, rng), ShapeError,
                      Catch::Matchers::Contains("GRU") && Catch::Matchers::Contains("{T, F}") &&
                          Catch::Matchers::Contains("{30}"));
    REQUIRE_THROWS_AS(GRU<float>(-1), ConfigError);
    GRU<float> layer(7, true);
    auto copy = create_layer<float>("GRU", LayerArgs<float>{layer.config(), {}, {}});
    REQUIRE(copy->build(Shape{3, 2}, rng) == Shape{3, 7});
    GRU<float> last(7, false);
    auto copy2 = create_layer<float>("GRU", LayerArgs<float>{last.config(), {}, {}});
    REQUIRE(copy2->build(Shape{3, 2}, rng) == Shape{7});
}
