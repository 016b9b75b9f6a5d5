#include <cmath>

#include "ae/layers/lstm.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {

/// Scalar-loop LSTM on one sample (x: T·F values, step-major), Keras' equations written out.
std::vector<std::vector<double>> reference_lstm(const Md& W, const Md& R, const Md& b, const Md& x, Index col,
                                                Index T, Index F, Index U) {
    std::vector<double> h(U, 0.0), c(U, 0.0);
    std::vector<std::vector<double>> hs;
    for (Index t = 0; t < T; ++t) {
        std::vector<double> z(4 * U);
        for (Index r = 0; r < 4 * U; ++r) {
            double s = b(r, 0);
            for (Index f = 0; f < F; ++f) s += W(r, f) * x(t * F + f, col);
            for (Index u = 0; u < U; ++u) s += R(r, u) * h[u];
            z[r] = s;
        }
        for (Index u = 0; u < U; ++u) {
            const double i = sigmoid(z[u]), fg = sigmoid(z[U + u]), g = std::tanh(z[2 * U + u]),
                         o = sigmoid(z[3 * U + u]);
            c[u] = fg * c[u] + i * g;
            h[u] = o * std::tanh(c[u]);
        }
        hs.push_back(h);
    }
    return hs;
}
}  // namespace

TEST_CASE("LSTM: gradients through time of input, kernels and bias (last output)", "[lstm][gradient]") {
    LSTM<double> layer(5, false);
    Rng rng(3);
    layer.build(Shape{4, 3}, rng);
    rng.fill_uniform(layer.bias(), -0.5, 0.5);  // non-trivial bias so every term is exercised
    auto report = check_layer(layer, random_matrix(12, 2, 21));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("LSTM: gradients through time with return_sequences", "[lstm][gradient]") {
    LSTM<double> layer(5, true);
    Rng rng(4);
    layer.build(Shape{4, 3}, rng);
    rng.fill_uniform(layer.bias(), -0.5, 0.5);
    REQUIRE(layer.output_shape() == Shape{4, 5});
    auto report = check_layer(layer, random_matrix(12, 2, 22));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("LSTM: forward equals a scalar reference computation on fixed weights", "[lstm]") {
    const Index T = 3, F = 2, U = 2;
    LSTM<double> seq(U, true);
    Rng rng(1);
    seq.build(Shape{T, F}, rng);
    // Fixed small weights: kernel(r, f) = 0.1 (r + 1) − 0.2 f, etc., so nothing depends on the RNG.
    for (Index r = 0; r < 4 * U; ++r) {
        for (Index f = 0; f < F; ++f) seq.kernel()(r, f) = 0.1 * (r + 1) - 0.2 * f;
        for (Index u = 0; u < U; ++u) seq.recurrent_kernel()(r, u) = 0.05 * (r - 3) + 0.1 * u;
        seq.bias()(r, 0) = 0.03 * r - 0.1;
    }
    Md x(T * F, 2);
    x << 0.5, -1.0, -0.3, 0.2, 0.8, 0.1, 1.0, -0.4, -0.6, 0.9, 0.2, 0.3;
    Md y;
    seq.forward(x, y, Mode::inference);
    REQUIRE(y.rows() == T * U);
    for (Index col = 0; col < 2; ++col) {
        auto ref = reference_lstm(seq.kernel(), seq.recurrent_kernel(), seq.bias(), x, col, T, F, U);
        for (Index t = 0; t < T; ++t)
            for (Index u = 0; u < U; ++u) REQUIRE(y(t * U + u, col) == Approx(ref[t][u]).epsilon(1e-12));
    }

    // Without return_sequences the output is the last step.
    LSTM<double> last(U, false);
    last.build(Shape{T, F}, rng);
    last.kernel() = seq.kernel();
    last.recurrent_kernel() = seq.recurrent_kernel();
    last.bias() = seq.bias();
    Md y_last;
    last.forward(x, y_last, Mode::inference);
    REQUIRE(y_last.rows() == U);
    REQUIRE((y_last - y.bottomRows(U)).norm() < 1e-14);
}

TEST_CASE("LSTM: Keras initialisers (Glorot kernel, orthogonal recurrent kernel, forget bias 1)", "[lstm]") {
    LSTM<double> layer(20, false);
    Rng rng(5);
    layer.build(Shape{7, 30}, rng);
    const double limit = std::sqrt(6.0 / (30 + 80));
    REQUIRE(layer.kernel().rows() == 80);
    REQUIRE(layer.kernel().cols() == 30);
    REQUIRE(layer.kernel().cwiseAbs().maxCoeff() <= limit);
    const Md& R = layer.recurrent_kernel();
    REQUIRE((R.transpose() * R - Md::Identity(20, 20)).norm() < 1e-10);
    REQUIRE(layer.bias().middleRows(20, 20).isOnes());
    REQUIRE(layer.bias().topRows(20).isZero());
    REQUIRE(layer.bias().bottomRows(40).isZero());
}

TEST_CASE("LSTM: sequence shape errors name the layer and the shapes", "[lstm][errors]") {
    Rng rng(1);
    LSTM<float> vec(4);
    AE_REQUIRE_THROWS(vec.build(Shape{28}, rng), ShapeError,
                      Catch::Matchers::Contains("LSTM") && Catch::Matchers::Contains("{T, F}") &&
                          Catch::Matchers::Contains("{28}"));
    LSTM<float> img(4);
    AE_REQUIRE_THROWS(img.build(Shape{28, 28, 1}, rng), ShapeError, Catch::Matchers::Contains("{28, 28, 1}"));
    LSTM<float> ok(4);
    ok.build(Shape{5, 3}, rng);
    Matrix<float> x = Matrix<float>::Zero(14, 2), y;
    AE_REQUIRE_THROWS(ok.forward(x, y, Mode::inference), ShapeError,
                      Catch::Matchers::Contains("15") && Catch::Matchers::Contains("14"));
    REQUIRE_THROWS_AS(LSTM<float>(0), ConfigError);
}

TEST_CASE("LSTM: config round trip through the registry", "[lstm][config]") {
    LSTM<double> layer(7, true);
    auto copy = create_layer<double>("LSTM", LayerArgs<double>{layer.config(), {}, {}});
    auto* lstm = dynamic_cast<LSTM<double>*>(copy.get());
    REQUIRE(lstm != nullptr);
    REQUIRE(lstm->units() == 7);
    REQUIRE(lstm->return_sequences());
    Rng rng(2);
    REQUIRE(copy->build(Shape{3, 2}, rng) == Shape{3, 7});
}

TEST_CASE("LSTM: backward adds into parameter gradients and can skip dx", "[lstm]") {
    LSTM<double> layer(3, false);
    Rng rng(6);
    layer.build(Shape{4, 2}, rng);
    Md x = random_matrix(8, 3, 9), y, dx;
    Md dy = random_matrix(3, 3, 10);
    for (auto& p : layer.parameters()) p.grad->setZero();
    layer.forward(x, y, Mode::training);
    layer.backward(dy, dx);
    std::vector<Md> once;
    for (auto& p : layer.parameters()) once.push_back(*p.grad);
    layer.set_input_grad_needed(false);
    Md untouched = Md::Constant(2, 2, 7.0);
    layer.forward(x, y, Mode::training);
    layer.backward(dy, untouched);
    auto params = layer.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) REQUIRE((*params[i].grad - 2 * once[i]).norm() < 1e-12);
    REQUIRE(untouched.isConstant(7.0));
}

TEST_CASE("LSTM: batch split over threads gives the single-thread results", "[lstm][threads]") {
    for (bool seq : {false, true}) {
        LSTM<double> layer(6, seq);
        Rng rng(8);
        layer.build(Shape{5, 4}, rng);
        Md x = random_matrix(20, 50, 3);  // 50 samples: enough for two slices of ≥ 16
        Md dy = random_matrix(seq ? 30 : 6, 50, 4);
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
}
