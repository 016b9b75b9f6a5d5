#include <cmath>

#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

TEST_CASE("MSE: value by hand and finite-difference gradient", "[loss][gradient]") {
    Md p(2, 2), t(2, 2);
    p << 0.5, 1.0, -1.0, 2.0;
    t << 0.0, 1.0, 1.0, 0.0;
    // squared errors 0.25, 4, 0, 4 → mean 8.25 / 4
    REQUIRE(MSE<double>().value(p, t) == Approx(8.25 / 4));
    REQUIRE(MSE<double>(Reduction::sum_over_features).value(p, t) == Approx(8.25 / 2));
    REQUIRE(check_loss(MSE<double>(), random_matrix(5, 4, 1), random_matrix(5, 4, 2)) < 1e-8);
    REQUIRE(check_loss(MSE<double>(Reduction::sum_over_features), random_matrix(5, 4, 1), random_matrix(5, 4, 2)) < 1e-8);
}

TEST_CASE("BCE: value by hand and finite-difference gradient", "[loss][gradient]") {
    Md p(2, 1), t(2, 1);
    p << 0.8, 0.1;
    t << 1.0, 0.5;
    const double expected = (-std::log(0.8) - (0.5 * std::log(0.1) + 0.5 * std::log(0.9))) / 2;
    REQUIRE(BinaryCrossEntropy<double>().value(p, t) == Approx(expected));
    Md pred = random_matrix(6, 3, 3, 0.05, 0.95), target = random_matrix(6, 3, 4, 0, 1);
    REQUIRE(check_loss(BinaryCrossEntropy<double>(), pred, target) < 1e-7);
    REQUIRE(check_loss(BinaryCrossEntropy<double>(Reduction::sum_over_features), pred, target) < 1e-7);
}

TEST_CASE("BCE from logits equals BCE of sigmoid, and its gradient is exact", "[loss][gradient]") {
    BinaryCrossEntropy<double> bce;
    Md z = random_matrix(6, 3, 5, -4, 4), t = random_matrix(6, 3, 6, 0, 1);
    Md p = z;
    activate_inplace(Activation::sigmoid, p);
    REQUIRE(bce.value_from_logits(z, p, t) == Approx(bce.value(p, t)).epsilon(1e-12));
    // Gradient with respect to z, by central differences of value_from_logits (which reads the
    // sigmoid output too, so it moves with z).
    Md dz;
    bce.gradient_from_logits(z, p, t, dz);
    const double h = 1e-6;
    for (Index i = 0; i < z.size(); ++i) {
        Md zp = z, zm = z;
        zp.data()[i] += h;
        zm.data()[i] -= h;
        Md pp = zp, pm = zm;
        activate_inplace(Activation::sigmoid, pp);
        activate_inplace(Activation::sigmoid, pm);
        const double num = (bce.value_from_logits(zp, pp, t) - bce.value_from_logits(zm, pm, t)) / (2 * h);
        REQUIRE(dz.data()[i] == Approx(num).epsilon(1e-6).margin(1e-10));
    }
    // The training step's one-pass version gives the same value and gradient.
    Md dz_fused;
    REQUIRE(bce.value_and_gradient_from_logits(z, p, t, dz_fused) == Approx(bce.value_from_logits(z, p, t)).epsilon(1e-15));
    REQUIRE(dz_fused == dz);
}

TEST_CASE("BCE from logits in one pass equals value and gradient separately, also when split across threads", "[loss]") {
    // 784 × 256 is large enough for two threads; float, as in training.
    BinaryCrossEntropy<float> bce;
    Matrix<float> z = random_matrix(784, 256, 11, -30, 30).cast<float>(), t = random_matrix(784, 256, 12, 0, 1).cast<float>();
    Matrix<float> p = z;
    activate_inplace(Activation::sigmoid, p);
    Matrix<float> dz, dz_fused;
    bce.gradient_from_logits(z, p, t, dz);
    const float v = bce.value_and_gradient_from_logits(z, p, t, dz_fused);
    REQUIRE(v == bce.value_from_logits(z, p, t));
    REQUIRE(dz_fused == dz);
    // Against the same sum in double with log1p, element by element.
    double ref = 0;
    for (Index i = 0; i < z.size(); ++i) {
        const double zi = z.data()[i], ti = t.data()[i];
        ref += std::max(zi, 0.0) - zi * ti + std::log1p(std::exp(-std::abs(zi)));
    }
    REQUIRE(double(v) == Approx(ref / double(z.size())).epsilon(1e-5));
    AE_REQUIRE_THROWS(bce.value_and_gradient_from_logits(z, p, Matrix<float>(784, 255), dz), ShapeError,
                      Catch::Matchers::Contains("784×255"));
}

TEST_CASE("BCE from logits is finite and exact for saturated outputs in float", "[loss]") {
    BinaryCrossEntropy<float> bce;
    Matrix<float> z(2, 1), t(2, 1);
    z << 40.f, -40.f;  // sigmoid rounds to exactly 1 and ~0 in float
    t << 0.f, 1.f;
    Matrix<float> p = z;
    activate_inplace(Activation::sigmoid, p);
    REQUIRE(p(0) == 1.f);
    const float v = bce.value_from_logits(z, p, t);
    REQUIRE(std::isfinite(v));
    REQUIRE(v == Approx(40.f).epsilon(1e-5));  // each element's loss is 40, mean 40
}

TEST_CASE("Categorical cross-entropy: value, gradient, and the softmax-fused path", "[loss][gradient]") {
    CategoricalCrossEntropy<double> cce;
    Md p(3, 1), t(3, 1);
    p << 0.7, 0.2, 0.1;
    t << 0, 1, 0;
    REQUIRE(cce.value(p, t) == Approx(-std::log(0.2)));
    Md pred = random_matrix(4, 3, 7, 0.05, 1);
    pred.array().rowwise() /= pred.colwise().sum().array();
    Md target = Md::Zero(4, 3);
    target(1, 0) = target(3, 1) = target(0, 2) = 1;
    REQUIRE(check_loss(cce, pred, target) < 1e-7);

    Md z = random_matrix(4, 3, 8, -3, 3), soft = z;
    activate_inplace(Activation::softmax, soft);
    REQUIRE(cce.value_from_logits(z, soft, target) == Approx(cce.value(soft, target)).epsilon(1e-12));
    Md dz;
    cce.gradient_from_logits(z, soft, target, dz);
    const double h = 1e-6;
    for (Index i = 0; i < z.size(); ++i) {
        Md zp = z, zm = z;
        zp.data()[i] += h;
        zm.data()[i] -= h;
        const double num = (cce.value_from_logits(zp, soft, target) - cce.value_from_logits(zm, soft, target)) / (2 * h);
        REQUIRE(dz.data()[i] == Approx(num).epsilon(1e-6).margin(1e-10));
    }
    Md dz_both;
    REQUIRE(cce.value_and_gradient_from_logits(z, soft, target, dz_both) == cce.value_from_logits(z, soft, target));
    REQUIRE(dz_both == dz);
}

TEST_CASE("Losses: mismatched prediction and target shapes throw ShapeError with both shapes", "[loss][errors]") {
    Md p = Md::Zero(3, 2), t = Md::Zero(3, 4);
    AE_REQUIRE_THROWS(MSE<double>().value(p, t), ShapeError, Catch::Matchers::Contains("3×2") && Catch::Matchers::Contains("3×4"));
    AE_REQUIRE_THROWS(BinaryCrossEntropy<double>().value(p, t), ShapeError, Catch::Matchers::Contains("3×4"));
}
