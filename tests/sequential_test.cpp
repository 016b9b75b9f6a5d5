#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
template <class S = double>
LayerPtr<S> dense(Index n, Activation a = Activation::linear) {
    return std::make_shared<Dense<S>>(n, a);
}
}  // namespace

TEST_CASE("Sequential: shapes are inferred at construction", "[sequential]") {
    Sequential<double> model(Shape{10}, {dense(8, Activation::relu), dense(4), dense(10, Activation::sigmoid)});
    REQUIRE(model.input_shape() == Shape{10});
    REQUIRE(model.output_shape() == Shape{10});
    REQUIRE(model.layer(1)->input_shape() == Shape{8});
    REQUIRE(model.count_params() == (10 * 8 + 8) + (8 * 4 + 4) + (4 * 10 + 10));
    REQUIRE(model.summary().find("Total params: 174") != std::string::npos);
}

TEST_CASE("Sequential: a layer list that does not chain throws ShapeError naming both layers", "[sequential][errors]") {
    auto shared = dense(6);
    Rng rng(1);
    shared->build(Shape{5}, rng);  // already built for 5 inputs
    AE_REQUIRE_THROWS(Sequential<double>(Shape{10}, {dense(7), shared}), ShapeError,
                      Catch::Matchers::Contains("layer 1") && Catch::Matchers::Contains("layer 0") &&
                          Catch::Matchers::Contains("{5}") && Catch::Matchers::Contains("{7}"));
    AE_REQUIRE_THROWS(Sequential<double>(Shape{10}, {dense(3), nullptr}), ConfigError,
                      Catch::Matchers::Contains("null"));
}

TEST_CASE("Sequential: nested models share layers by reference", "[sequential]") {
    auto encoder = std::make_shared<Sequential<double>>(std::vector<LayerPtr<double>>{dense(6, Activation::tanh), dense(3)});
    auto decoder = std::make_shared<Sequential<double>>(std::vector<LayerPtr<double>>{dense(6, Activation::tanh), dense(9)});
    encoder->set_name("encoder");
    decoder->set_name("decoder");
    Sequential<double> whole(Shape{9}, {encoder, decoder});
    REQUIRE(encoder->output_shape() == Shape{3});

    Md x = random_matrix(9, 5, 3);
    Md through_whole = whole.predict(x);
    Md through_parts = decoder->predict(encoder->predict(x));
    REQUIRE((through_whole - through_parts).cwiseAbs().maxCoeff() == 0.0);

    // Changing a weight through the encoder changes the whole model's output.
    auto params = whole.parameters();
    REQUIRE(params.size() == 8);
    REQUIRE(params[0].name == "encoder/dense/kernel");
    REQUIRE(params[6].name == "decoder/dense_1/kernel");
    (*encoder->parameters()[0].value)(0, 0) += 1.0;
    REQUIRE((whole.predict(x) - through_whole).cwiseAbs().maxCoeff() > 0.0);
}

TEST_CASE("Sequential: a layer used twice lists its parameters once", "[sequential]") {
    auto square = dense(4, Activation::tanh);
    Sequential<double> model(Shape{4}, {square, square});
    REQUIRE(model.parameters().size() == 2);
}

TEST_CASE("Sequential: gradient of a whole stacked autoencoder", "[sequential][gradient]") {
    auto parts = recipes::vanilla<double>(12, {8, 6}, 3, 7);
    Md x = random_matrix(12, 4, 9, 0.1, 2.0);
    AE_REQUIRE_GRADIENTS(check_layer(*parts.autoencoder, x), 1e-6);
}

TEST_CASE("Sequential: gradient of BCE loss through a stacked autoencoder, fused from logits", "[sequential][gradient]") {
    auto parts = recipes::vanilla<double>(10, {7, 5}, 3, 11);
    auto& model = *parts.autoencoder;
    BinaryCrossEntropy<double> bce;
    Md x = random_matrix(10, 6, 13, 0, 1);
    model.set_keep_logits(true);
    Md out, dz, dx;
    auto loss_at = [&]() {
        model.forward(x, out, Mode::training);
        return bce.value_from_logits(*model.logits(), out, x);
    };
    auto params = model.parameters();
    for (auto& p : params) p.grad->setZero();
    loss_at();
    bce.gradient_from_logits(*model.logits(), out, x, dz);
    model.backward_from_logits(dz, dx);
    GradientReport report;
    const double h = 1e-6;
    for (auto& p : params) {
        Md numeric(p.value->rows(), p.value->cols());
        for (Index i = 0; i < p.value->size(); ++i) {
            double& w = p.value->data()[i];
            const double keep = w;
            w = keep + h;
            const double lp = loss_at();
            w = keep - h;
            const double lm = loss_at();
            w = keep;
            numeric.data()[i] = (lp - lm) / (2 * h);
        }
        report.add(p.name, *p.grad, numeric);
    }
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("Sequential: predict checks its input and works in batches", "[sequential][errors]") {
    Sequential<float> model(Shape{6}, {dense<float>(4, Activation::relu), dense<float>(2)});
    Matrix<float> x = Matrix<float>::Random(6, 10);
    Matrix<float> all = model.predict(x, 256), small = model.predict(x, 3);
    REQUIRE(all.cols() == 10);
    REQUIRE((all - small).cwiseAbs().maxCoeff() == 0.f);
    Matrix<float> wrong = Matrix<float>::Zero(5, 2);
    AE_REQUIRE_THROWS(model.predict(wrong), ShapeError, Catch::Matchers::Contains("6") && Catch::Matchers::Contains("5"));
    AE_REQUIRE_THROWS(model.predict(x, 0), ConfigError, Catch::Matchers::Contains("batch_size"));
}

TEST_CASE("Sequential: the same seed gives the same initial weights, another seed different ones", "[sequential][rng]") {
    auto a = recipes::vanilla<float>(20, {10}, 4, 5);
    auto b = recipes::vanilla<float>(20, {10}, 4, 5);
    auto c = recipes::vanilla<float>(20, {10}, 4, 6);
    auto pa = a.autoencoder->parameters(), pb = b.autoencoder->parameters(), pc = c.autoencoder->parameters();
    REQUIRE(*pa[0].value == *pb[0].value);
    REQUIRE(*pa[0].value != *pc[0].value);
}

TEST_CASE("Rng: reproducible streams, uniform and normal moments, unbiased index", "[rng]") {
    Rng a(99), b(99);
    for (int i = 0; i < 100; ++i) REQUIRE(a.next_u64() == b.next_u64());
    Rng r(3);
    double sum = 0, sum2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const double v = r.normal();
        sum += v;
        sum2 += v * v;
    }
    REQUIRE(std::abs(sum / n) < 0.01);
    REQUIRE(sum2 / n == Approx(1.0).epsilon(0.01));
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i) ++counts[r.uniform_index(7)];
    for (int c : counts) REQUIRE(std::abs(c - 10000) < 400);
    auto st = r.state();
    const double next = r.normal();
    r.set_state(st);
    REQUIRE(r.normal() == next);
}
