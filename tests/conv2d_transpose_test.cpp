#include "ae/layers/conv2d_transpose.hpp"

#include <cmath>

#include "ae/layers/conv2d.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

namespace {

struct TransposeCase {
    Index h, w, c, filters;
    Size2D kernel, stride;
    Padding padding;
};

std::string label(const TransposeCase& k) {
    return std::to_string(k.h) + "x" + std::to_string(k.w) + "x" + std::to_string(k.c) + " k" + k.kernel.str() + " s" +
           k.stride.str() + " " + to_string(k.padding) + " F" + std::to_string(k.filters);
}

std::vector<TransposeCase> transpose_cases() {
    std::vector<TransposeCase> cases;
    for (Padding p : {Padding::valid, Padding::same})
        for (Index s : {1, 2})
            for (Index c : {1, 2, 3}) cases.push_back({3, 4, c, 2, 3, s, p});
    cases.push_back({3, 2, 2, 3, {2, 3}, {2, 1}, Padding::same});
    cases.push_back({2, 3, 2, 2, 2, 3, Padding::valid});  // kernel < stride: gaps only get the bias
    cases.push_back({3, 3, 1, 2, 4, 2, Padding::same});   // even kernel: cropping 1 before, 1 after
    return cases;
}

// Keras' transposed output size and TensorFlow's cropping (the padding of the Conv2D from the
// output back to the input), written out again from the definitions.
void keras_transpose_geometry(Index n, Index k, Index s, Padding p, Index& out, Index& crop_before) {
    if (p == Padding::same) {
        out = n * s;
        crop_before = std::max<Index>((n - 1) * s + k - out, 0) / 2;
    } else {
        out = n * s + std::max<Index>(k - s, 0);
        crop_before = 0;
    }
}

// Direct transposed convolution: every input pixel scatters its kernel-weighted copy,
//   y[iy·sh − ct + i, ix·sw − cl + j, f] += x[iy, ix, c] K[c, (i, j, f)], then + b[f].
Md naive_conv2d_transpose(const TransposeCase& k, const Md& W, const Md& bias, const Md& x) {
    Index oh, ow, ct, cl;
    keras_transpose_geometry(k.h, k.kernel.h, k.stride.h, k.padding, oh, ct);
    keras_transpose_geometry(k.w, k.kernel.w, k.stride.w, k.padding, ow, cl);
    Md y(oh * ow * k.filters, x.cols());
    for (Index b = 0; b < x.cols(); ++b)
        for (Index p = 0; p < oh * ow; ++p)
            for (Index f = 0; f < k.filters; ++f) y(p * k.filters + f, b) = bias(f, 0);
    for (Index b = 0; b < x.cols(); ++b)
        for (Index iy = 0; iy < k.h; ++iy)
            for (Index ix = 0; ix < k.w; ++ix)
                for (Index c = 0; c < k.c; ++c)
                    for (Index i = 0; i < k.kernel.h; ++i)
                        for (Index j = 0; j < k.kernel.w; ++j)
                            for (Index f = 0; f < k.filters; ++f) {
                                const Index oy = iy * k.stride.h - ct + i, ox = ix * k.stride.w - cl + j;
                                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                y((oy * ow + ox) * k.filters + f, b) +=
                                    x((iy * k.w + ix) * k.c + c, b) * W(c, (i * k.kernel.w + j) * k.filters + f);
                            }
    return y;
}

std::shared_ptr<Conv2DTranspose<double>> make_transpose(const TransposeCase& k, Activation a = Activation::linear) {
    auto layer = std::make_shared<Conv2DTranspose<double>>(k.filters, k.kernel, k.stride, k.padding, a);
    Rng rng(6);
    layer->build(Shape{k.h, k.w, k.c}, rng);
    layer->bias() = random_matrix(k.filters, 1, 78);
    return layer;
}

}  // namespace

TEST_CASE("Conv2DTranspose: forward equals a direct transposed convolution", "[conv2d_transpose][forward]") {
    for (const auto& k : transpose_cases()) {
        for (Index block : {Index(0), Index(5)}) {
            INFO(label(k) << " block " << block);
            auto layer = make_transpose(k);
            layer->set_block_columns(block);
            Md x = random_matrix(k.h * k.w * k.c, 3, 22), y;
            layer->forward(x, y, Mode::inference);
            Md ref = naive_conv2d_transpose(k, layer->kernel(), layer->bias(), x);
            REQUIRE(y.rows() == ref.rows());
            REQUIRE(y.cols() == ref.cols());
            REQUIRE((y - ref).cwiseAbs().maxCoeff() < 1e-5);
        }
    }
}

TEST_CASE("Conv2DTranspose: is the adjoint of Conv2D with the same kernel and padding", "[conv2d_transpose][forward]") {
    // <conv(u), v> = <u, conv_transpose(v)> for a Conv2D from the transposed layer's output
    // shape back to its input shape: TensorFlow's definition of conv2d_transpose.
    for (const auto& k : transpose_cases()) {
        INFO(label(k));
        auto t = make_transpose(k);
        t->bias().setZero();
        const Shape out = t->output_shape();
        Conv2D<double> conv(k.c, k.kernel, k.stride, k.padding);
        Rng rng(2);
        REQUIRE(conv.build(out, rng) == Shape{k.h, k.w, k.c});
        conv.kernel() = t->kernel();  // both C × (kh·kw·F)
        conv.bias().setZero();
        Md u = random_matrix(out.size(), 2, 3), v = random_matrix(k.h * k.w * k.c, 2, 4), cu, tv;
        conv.forward(u, cu, Mode::inference);
        t->forward(v, tv, Mode::inference);
        const double lhs = (cu.array() * v.array()).sum(), rhs = (u.array() * tv.array()).sum();
        REQUIRE(lhs == Approx(rhs).epsilon(1e-12));
    }
}

TEST_CASE("Conv2DTranspose: gradients of input, kernel and bias", "[conv2d_transpose][gradient]") {
    for (const auto& k : transpose_cases()) {
        INFO(label(k));
        auto layer = make_transpose(k, Activation::tanh);
        layer->set_block_columns(4);
        auto report = check_layer(*layer, random_matrix(k.h * k.w * k.c, 2, 32));
        AE_REQUIRE_GRADIENTS(report, 1e-6);
    }
}

TEST_CASE("Conv2DTranspose: fused sigmoid keeps logits and backward_from_logits matches linear",
          "[conv2d_transpose][fused]") {
    TransposeCase k{3, 3, 2, 1, 3, 2, Padding::same};
    auto sig = make_transpose(k, Activation::sigmoid);
    auto lin = make_transpose(k, Activation::linear);
    lin->kernel() = sig->kernel();
    lin->bias() = sig->bias();
    sig->set_keep_logits(true);
    Md x = random_matrix(k.h * k.w * k.c, 2, 9), y, z;
    sig->forward(x, y, Mode::training);
    lin->forward(x, z, Mode::training);
    REQUIRE((*sig->logits() - z).cwiseAbs().maxCoeff() < 1e-12);
    REQUIRE((y.array() - 1.0 / (1.0 + (-z.array()).exp())).abs().maxCoeff() < 1e-12);
    Md dz = random_matrix(y.rows(), y.cols(), 10), dx_sig, dx_lin;
    for (auto* l : {sig.get(), lin.get()})
        for (auto& p : l->parameters()) p.grad->setZero();
    sig->backward_from_logits(dz, dx_sig);
    lin->backward(dz, dx_lin);
    REQUIRE((dx_sig - dx_lin).cwiseAbs().maxCoeff() < 1e-12);
    auto ps = sig->parameters(), pl = lin->parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) REQUIRE((*ps[i].grad - *pl[i].grad).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("Conv2DTranspose: output sizes follow Keras (the book's decoder 3→7→14→28)", "[conv2d_transpose][shape]") {
    struct Row {
        Index in, k, s;
        Padding p;
        Index out;
    };
    const Row table[] = {{3, 3, 2, Padding::valid, 7},  {7, 3, 2, Padding::valid, 15}, {7, 3, 2, Padding::same, 14},
                         {14, 3, 2, Padding::same, 28}, {5, 3, 1, Padding::valid, 7},  {5, 3, 1, Padding::same, 5},
                         {4, 2, 3, Padding::valid, 12}, {4, 5, 3, Padding::valid, 14}, {1, 4, 2, Padding::same, 2}};
    for (const auto& r : table) {
        INFO(r.in << " k" << r.k << " s" << r.s << " " << to_string(r.p));
        REQUIRE(conv_transpose_output_length(r.in, r.k, r.s, r.p) == r.out);
        Conv2DTranspose<double> layer(3, {1, r.k}, {1, r.s}, r.p);
        Rng rng(1);
        REQUIRE(layer.build(Shape{2, r.in, 4}, rng) == Shape{2, r.out, 3});
    }
    Rng rng(2);
    Sequential<float> decoder(Shape{3, 3, 64},
                              {std::make_shared<Conv2DTranspose<float>>(32, 3, 2, Padding::valid, Activation::selu),
                               std::make_shared<Conv2DTranspose<float>>(16, 3, 2, Padding::same, Activation::selu),
                               std::make_shared<Conv2DTranspose<float>>(1, 3, 2, Padding::same, Activation::sigmoid)});
    REQUIRE(decoder.layer(0)->output_shape() == Shape{7, 7, 32});
    REQUIRE(decoder.layer(1)->output_shape() == Shape{14, 14, 16});
    REQUIRE(decoder.output_shape() == Shape{28, 28, 1});
}

TEST_CASE("Conv2DTranspose: non-image inputs and bad hyperparameters throw", "[conv2d_transpose][errors]") {
    Rng rng(1);
    Conv2DTranspose<float> flat(4, 3);
    AE_REQUIRE_THROWS(flat.build(Shape{16}, rng), ShapeError,
                      Catch::Matchers::Contains("Conv2DTranspose") && Catch::Matchers::Contains("{16}"));
    REQUIRE_THROWS_AS(Conv2DTranspose<float>(0, 3), ConfigError);
    REQUIRE_THROWS_AS(Conv2DTranspose<float>(2, 3, {0, 1}), ConfigError);
    Conv2DTranspose<float> built(2, 3, 2);
    built.build(Shape{3, 3, 2}, rng);
    Matrix<float> x = Matrix<float>::Zero(17, 1), y;
    AE_REQUIRE_THROWS(built.forward(x, y, Mode::inference), ShapeError,
                      Catch::Matchers::Contains("18") && Catch::Matchers::Contains("17"));
}

TEST_CASE("Conv2DTranspose: config round trip through the registry", "[conv2d_transpose][config]") {
    Conv2DTranspose<double> layer(5, {3, 4}, {2, 2}, Padding::same, Activation::sigmoid);
    Config cfg = layer.config();
    auto rebuilt = create_layer<double>("Conv2DTranspose", LayerArgs<double>{cfg, {}, {}});
    REQUIRE(rebuilt->type() == "Conv2DTranspose");
    REQUIRE(rebuilt->config().items() == cfg.items());
    auto t = std::dynamic_pointer_cast<Conv2DTranspose<double>>(rebuilt);
    REQUIRE(t);
    REQUIRE(t->filters() == 5);
    REQUIRE(t->kernel_size() == Size2D(3, 4));
    REQUIRE(t->padding() == Padding::same);
    REQUIRE(t->activation() == Activation::sigmoid);
}
