#include <cmath>

#include "ae/models/recipes/convolutional.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
std::vector<Shape> output_shapes(const Sequential<float>& model) {
    std::vector<Shape> shapes;
    for (auto& l : model.layers()) shapes.push_back(l->output_shape());
    return shapes;
}
}  // namespace

TEST_CASE("recipes::convolutional: the exercise's shapes 28→14→7→4 and 4→8→16→14→28", "[recipes][conv]") {
    auto [encoder, decoder, autoencoder] = recipes::convolutional(Shape{28, 28, 1}, {16, 8, 8}, Shape{4, 4, 8});
    REQUIRE(encoder->name() == "encoder");
    REQUIRE(decoder->name() == "decoder");
    const std::vector<Shape> enc{{28, 28, 16}, {14, 14, 16}, {14, 14, 8}, {7, 7, 8}, {7, 7, 8}, {4, 4, 8}};
    REQUIRE(output_shapes(*encoder) == enc);
    const std::vector<Shape> dec{{4, 4, 8}, {8, 8, 8}, {8, 8, 8}, {16, 16, 8}, {14, 14, 16}, {28, 28, 16}, {28, 28, 1}};
    REQUIRE(output_shapes(*decoder) == dec);
    REQUIRE(autoencoder->output_shape() == Shape{28, 28, 1});
    REQUIRE(autoencoder->compiled());
    REQUIRE(autoencoder->loss()->name() == "BinaryCrossEntropy");
    REQUIRE(autoencoder->optimizer()->name() == "Adam");
    // Layer kinds and activations, in order.
    const std::vector<std::string> dec_types{"Conv2D", "UpSampling2D", "Conv2D", "UpSampling2D",
                                             "Conv2D", "UpSampling2D", "Conv2D"};
    for (std::size_t i = 0; i < dec_types.size(); ++i) REQUIRE(decoder->layer(i)->type() == dec_types[i]);
    auto second_to_last = std::dynamic_pointer_cast<Conv2D<float>>(decoder->layer(4));
    REQUIRE(second_to_last->padding() == Padding::valid);
    REQUIRE(second_to_last->activation() == Activation::relu);
    REQUIRE(decoder->output_activation() == Activation::sigmoid);
    // Keras' parameter count for this model: 160 + 1160 + 584 + 584 + 584 + 1168 + 145.
    REQUIRE(autoencoder->count_params() == 4385);
}

TEST_CASE("recipes::convolutional: the encoder shares its layers with the autoencoder", "[recipes][conv]") {
    // Non-square, three channels: 12×20 → 6×10 → 3×5 → 2×3, and back 2×3 → 4×6 → 8×12 → 6×10 → 12×20.
    auto [encoder, decoder, autoencoder] = recipes::convolutional(Shape{12, 20, 3}, {4, 4, 4}, Shape{2, 3, 4});
    REQUIRE(decoder->output_shape() == Shape{12, 20, 3});
    Matrix<float> x = Matrix<float>::Random(12 * 20 * 3, 5).array().abs();
    Matrix<float> codings = autoencoder->encode(x);
    REQUIRE(codings.rows() == 2 * 3 * 4);
    REQUIRE((codings - encoder->predict(x)).cwiseAbs().maxCoeff() == 0.0f);
    Matrix<float> out = autoencoder->reconstruct(x);
    REQUIRE(out.minCoeff() >= 0.0f);
    REQUIRE(out.maxCoeff() <= 1.0f);
}

TEST_CASE("recipes::convolutional: shapes that do not round-trip throw ShapeError", "[recipes][conv][errors]") {
    AE_REQUIRE_THROWS(recipes::convolutional(Shape{28, 28, 1}, {16, 8, 8}, Shape{3, 3, 8}), ShapeError,
                      Catch::Matchers::Contains("{4, 4, 8}") && Catch::Matchers::Contains("{3, 3, 8}"));
    // 32→16→8→4 decodes to 4→8→16→14→28, not back to 32; two levels never round-trip (4L−4 ≠ 4L).
    AE_REQUIRE_THROWS(recipes::convolutional(Shape{32, 32, 1}, {8, 8, 8}, Shape{4, 4, 8}), ShapeError,
                      Catch::Matchers::Contains("decoder"));
    REQUIRE_THROWS_AS(recipes::convolutional(Shape{12, 12, 1}, {4, 4}, Shape{3, 3, 4}), ShapeError);
    REQUIRE_THROWS_AS(recipes::convolutional(Shape{784}, {16}, Shape{4, 4, 8}), ShapeError);
    REQUIRE_THROWS_AS(recipes::convolutional(Shape{28, 28, 1}, {}, Shape{4, 4, 8}), ConfigError);
}

TEST_CASE("recipes::conv_book: selu encoder to 3x3x64, transposed decoder 3→7→14→28", "[recipes][conv]") {
    auto [encoder, decoder, autoencoder] = recipes::conv_book<float>();
    const std::vector<Shape> enc{{28, 28, 16}, {14, 14, 16}, {14, 14, 32}, {7, 7, 32}, {7, 7, 64}, {3, 3, 64}};
    REQUIRE(output_shapes(*encoder) == enc);
    const std::vector<Shape> dec{{7, 7, 32}, {14, 14, 16}, {28, 28, 1}};
    REQUIRE(output_shapes(*decoder) == dec);
    REQUIRE(decoder->output_activation() == Activation::sigmoid);
    REQUIRE(autoencoder->compiled());
}

TEST_CASE("recipes::convolutional: gradients through the whole autoencoder", "[recipes][conv][gradient]") {
    auto parts = recipes::convolutional<double>(Shape{12, 12, 2}, {2, 3, 2}, Shape{2, 2, 2});
    // Non-zero biases: with zero biases a dead (all-zero) patch sits exactly on relu's kink.
    std::uint64_t seed = 100;
    for (auto& p : parts.autoencoder->parameters())
        if (p.name.find("bias") != std::string::npos) *p.value = random_matrix(p.value->rows(), 1, ++seed);
    auto report = check_layer(*parts.autoencoder, random_matrix(12 * 12 * 2, 2, 17));
    AE_REQUIRE_GRADIENTS(report, 1e-6);
}

TEST_CASE("recipes::convolutional: training lowers the BCE on blob images", "[recipes][conv][training]") {
    auto [encoder, decoder, autoencoder] = recipes::convolutional(Shape{12, 12, 1}, {4, 4, 4}, Shape{2, 2, 4});
    // Gaussian blobs at random places and sizes: structure an autoencoder can learn.
    Matrix<float> x(144, 32);
    Rng rng(3);
    for (Index b = 0; b < x.cols(); ++b) {
        const double cy = rng.uniform(2, 10), cx = rng.uniform(2, 10), r = rng.uniform(2, 4);
        for (Index i = 0; i < 12; ++i)
            for (Index j = 0; j < 12; ++j)
                x(i * 12 + j, b) = float(std::exp(-((i - cy) * (i - cy) + (j - cx) * (j - cx)) / (r * r)));
    }
    const double before = autoencoder->evaluate(x, x);
    FitOptions<float> opt;
    opt.epochs = 30;
    opt.batch_size = 8;
    opt.verbose = 0;
    autoencoder->fit(x, x, opt);
    const double after = autoencoder->evaluate(x, x);
    INFO("BCE before " << before << ", after " << after);
    REQUIRE(after < before - 0.1);
}
