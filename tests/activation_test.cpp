#include <cmath>

#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
// Scalar definitions, written independently of the vectorised implementation.
double reference(Activation a, double z) {
    const double selu_a = 1.6732632423543772848170429916717, selu_l = 1.0507009873554804934193349852946;
    switch (a) {
        case Activation::linear: return z;
        case Activation::relu: return z > 0 ? z : 0;
        case Activation::leaky_relu: return z > 0 ? z : 0.2 * z;
        case Activation::elu: return z > 0 ? z : std::exp(z) - 1;
        case Activation::selu: return selu_l * (z > 0 ? z : selu_a * (std::exp(z) - 1));
        case Activation::sigmoid: return 1 / (1 + std::exp(-z));
        case Activation::tanh: return std::tanh(z);
        case Activation::softplus: return std::log(1 + std::exp(z));
        default: return NAN;
    }
}
const Activation all_activations[] = {Activation::linear, Activation::relu,    Activation::leaky_relu,
                                      Activation::elu,    Activation::selu,    Activation::sigmoid,
                                      Activation::tanh,   Activation::softplus, Activation::softmax};
}  // namespace

TEST_CASE("Activations: forward values match their scalar definitions", "[activation]") {
    Md z = random_matrix(6, 4, 3, -3, 3);
    for (Activation a : all_activations) {
        if (a == Activation::softmax) continue;
        Md y = z;
        activate_inplace(a, y);
        for (Index i = 0; i < z.size(); ++i) {
            INFO(to_string(a) << " at z = " << z.data()[i]);
            REQUIRE(y.data()[i] == Approx(reference(a, z.data()[i])).epsilon(1e-12).margin(1e-14));
        }
    }
}

TEST_CASE("Activations: softmax columns are positive, sum to one and ignore a constant shift", "[activation]") {
    Md z = random_matrix(5, 3, 4, -50, 50);
    Md y = z;
    activate_inplace(Activation::softmax, y);
    Md shifted = z.array() + 1000.0;  // overflow without max-subtraction
    activate_inplace(Activation::softmax, shifted);
    for (Index j = 0; j < 3; ++j) REQUIRE(y.col(j).sum() == Approx(1.0).epsilon(1e-12));
    REQUIRE((y - shifted).cwiseAbs().maxCoeff() < 1e-12);
    REQUIRE(y.minCoeff() >= 0);
}

TEST_CASE("Activations: sigmoid and softplus stay finite for large |z|", "[activation]") {
    Matrix<float> z(4, 1);
    z << -200.f, -30.f, 30.f, 200.f;
    Matrix<float> s = z, p = z;
    activate_inplace(Activation::sigmoid, s);
    activate_inplace(Activation::softplus, p);
    REQUIRE(s.allFinite());
    REQUIRE(p.allFinite());
    REQUIRE(s(0) == 0.f);
    REQUIRE(s(3) == 1.f);
    REQUIRE(p(3) == 200.f);
}

TEST_CASE("ActivationLayer: finite-difference gradient for every activation", "[activation][gradient]") {
    for (Activation a : all_activations) {
        SECTION(to_string(a)) {
            ActivationLayer<double> layer(a);
            Rng rng(1);
            layer.build(Shape{7}, rng);
            // Keep z away from relu's kink at 0 so central differences are valid.
            Md x = random_matrix(7, 3, 5, 0.1, 2.0);
            Md sign = random_matrix(7, 3, 6);
            x.array() *= sign.array().sign();
            AE_REQUIRE_GRADIENTS(check_layer(layer, x), 1e-6);
        }
    }
}

TEST_CASE("Activations: names round-trip and unknown names are rejected", "[activation][errors]") {
    for (Activation a : all_activations) REQUIRE(activation_from_string(to_string(a)) == a);
    AE_REQUIRE_THROWS(activation_from_string("relu6"), ConfigError, Catch::Matchers::Contains("relu6"));
}
