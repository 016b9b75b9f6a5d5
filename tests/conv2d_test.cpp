#include "ae/layers/conv2d.hpp"

#include <cmath>

#include "ae/layers/conv2d_transpose.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

namespace {

struct ConvCase {
    Index h, w, c, filters;
    Size2D kernel, stride;
    Padding padding;
};

std::string label(const ConvCase& k) {
    return std::to_string(k.h) + "x" + std::to_string(k.w) + "x" + std::to_string(k.c) + " k" + k.kernel.str() + " s" +
           k.stride.str() + " " + to_string(k.padding) + " F" + std::to_string(k.filters);
}

// Every combination the issue asks for: valid/same, strides 1 and 2, 1–3 channels, non-square
// inputs and a non-square kernel.
std::vector<ConvCase> conv_cases() {
    std::vector<ConvCase> cases;
    for (Padding p : {Padding::valid, Padding::same})
        for (Index s : {1, 2})
            for (Index c : {1, 2, 3}) cases.push_back({5, 7, c, 2, 3, s, p});
    cases.push_back({6, 5, 2, 3, {2, 3}, {2, 1}, Padding::same});
    cases.push_back({6, 5, 2, 3, {2, 3}, {1, 2}, Padding::valid});
    cases.push_back({4, 4, 1, 1, 4, 3, Padding::same});
    return cases;
}

// Keras' output size and padding, written out again from the definition (independently of
// layers/padding.hpp): same → ceil(n/s) with the odd pad after; valid → ceil((n-k+1)/s).
void keras_geometry(Index n, Index k, Index s, Padding p, Index& out, Index& pad_before) {
    if (p == Padding::same) {
        out = static_cast<Index>(std::ceil(double(n) / double(s)));
        pad_before = std::max<Index>((out - 1) * s + k - n, 0) / 2;
    } else {
        out = static_cast<Index>(std::ceil(double(n - k + 1) / double(s)));
        pad_before = 0;
    }
}

// Direct convolution: y[oy,ox,f] = b[f] + Σ_{i,j,c} x[oy·sh − pt + i, ox·sw − pl + j, c] K[f,(i,j,c)].
Md naive_conv2d(const ConvCase& k, const Md& W, const Md& bias, const Md& x) {
    Index oh, ow, pt, pl;
    keras_geometry(k.h, k.kernel.h, k.stride.h, k.padding, oh, pt);
    keras_geometry(k.w, k.kernel.w, k.stride.w, k.padding, ow, pl);
    Md y = Md::Zero(oh * ow * k.filters, x.cols());
    for (Index b = 0; b < x.cols(); ++b)
        for (Index oy = 0; oy < oh; ++oy)
            for (Index ox = 0; ox < ow; ++ox)
                for (Index f = 0; f < k.filters; ++f) {
                    double sum = bias(f, 0);
                    for (Index i = 0; i < k.kernel.h; ++i)
                        for (Index j = 0; j < k.kernel.w; ++j)
                            for (Index c = 0; c < k.c; ++c) {
                                const Index iy = oy * k.stride.h - pt + i, ix = ox * k.stride.w - pl + j;
                                if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
                                sum += x((iy * k.w + ix) * k.c + c, b) * W(f, (i * k.kernel.w + j) * k.c + c);
                            }
                    y((oy * ow + ox) * k.filters + f, b) = sum;
                }
    return y;
}

std::shared_ptr<Conv2D<double>> make_conv(const ConvCase& k, Activation a = Activation::linear) {
    auto layer = std::make_shared<Conv2D<double>>(k.filters, k.kernel, k.stride, k.padding, a);
    Rng rng(5);
    layer->build(Shape{k.h, k.w, k.c}, rng);
    layer->bias() = random_matrix(k.filters, 1, 77);  // non-zero, so the bias is checked too
    return layer;
}

// A 3×3 tanh Conv2D on 12×10×c images, with a non-zero bias.
std::shared_ptr<Conv2D<double>> built(Index c, Index filters, Index stride, Padding p) {
    auto layer = std::make_shared<Conv2D<double>>(filters, 3, stride, p, Activation::tanh);
    Rng rng(9);
    layer->build(Shape{12, 10, c}, rng);
    layer->bias() = random_matrix(filters, 1, 4);
    return layer;
}

// Forward, dx, dW and db of `layer` on x, with a fixed output gradient.
struct ConvPass {
    Md y, dx, dw, db;
};
ConvPass run_conv(Conv2D<double>& layer, const Md& x) {
    ConvPass r;
    layer.forward(x, r.y, Mode::training);
    layer.backward(random_matrix(r.y.rows(), r.y.cols(), 13), r.dx);
    r.dw = *layer.parameters()[0].grad;
    r.db = *layer.parameters()[1].grad;
    return r;
}

// Two methods' passes agree (dx only when it was computed).
void require_same_pass(const ConvPass& a, const ConvPass& b, bool with_dx = true) {
    REQUIRE((a.y - b.y).cwiseAbs().maxCoeff() < 1e-12);
    if (with_dx) REQUIRE((a.dx - b.dx).cwiseAbs().maxCoeff() < 1e-12);
    REQUIRE((a.dw - b.dw).cwiseAbs().maxCoeff() < 1e-10);
    REQUIRE((a.db - b.db).cwiseAbs().maxCoeff() < 1e-10);
}

}  // namespace

TEST_CASE("Conv2D: forward equals a direct convolution for every padding, stride and channel count",
          "[conv2d][forward]") {
    for (const auto& k : conv_cases()) {
        // 0: the default; 3: blocks that split samples; huge: one GEMM for the whole batch.
        // Each method: patches, and (for stride 1) the zero-padded input.
        for (Index block : {Index(0), Index(3), Index(1) << 40})
        for (ConvMethod method : {ConvMethod::patches, ConvMethod::padded_input}) {
            INFO(label(k) << " block " << block << " method " << int(method));
            auto layer = make_conv(k);
            layer->set_block_columns(block);
            layer->set_method(method);
            Md x = random_matrix(k.h * k.w * k.c, 3, 21), y;
            layer->forward(x, y, Mode::inference);
            Md ref = naive_conv2d(k, layer->kernel(), layer->bias(), x);
            REQUIRE(y.rows() == ref.rows());
            REQUIRE(y.cols() == ref.cols());
            REQUIRE((y - ref).cwiseAbs().maxCoeff() < 1e-5);
        }
    }
}

TEST_CASE("Conv2D: float forward agrees with the double reference", "[conv2d][forward]") {
    ConvCase k{9, 8, 3, 4, 3, 2, Padding::same};
    Conv2D<float> layer(k.filters, k.kernel, k.stride, k.padding);
    Rng rng(3);
    layer.build(Shape{k.h, k.w, k.c}, rng);
    Md x = random_matrix(k.h * k.w * k.c, 5, 8), y;
    Matrix<float> yf;
    layer.forward(x.cast<float>(), yf, Mode::inference);
    Md ref = naive_conv2d(k, layer.kernel().cast<double>(), layer.bias().cast<double>(), x);
    REQUIRE((yf.cast<double>() - ref).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("Conv2D: gradients of input, kernel and bias", "[conv2d][gradient]") {
    for (const auto& k : conv_cases())
        for (ConvMethod method : {ConvMethod::patches, ConvMethod::padded_input}) {
            INFO(label(k) << " method " << int(method));
            auto layer = make_conv(k, Activation::tanh);
            layer->set_block_columns(4);
            layer->set_method(method);
            auto report = check_layer(*layer, random_matrix(k.h * k.w * k.c, 2, 31));
            AE_REQUIRE_GRADIENTS(report, 1e-6);
        }
}

TEST_CASE("Conv2D: the padded-input method runs where it applies and agrees with patches", "[conv2d][forward]") {
    // automatic: stride 1 with patch rows of at least 8 scalars (kw·C ≥ 8).
    CHECK(built(16, 1, 1, Padding::same)->uses_padded_input());
    CHECK(built(3, 8, 1, Padding::valid)->uses_padded_input());
    CHECK_FALSE(built(2, 8, 1, Padding::same)->uses_padded_input());   // rows of 6 scalars
    CHECK_FALSE(built(16, 1, 2, Padding::same)->uses_padded_input());  // stride 2
    auto forced = built(16, 1, 1, Padding::same);
    forced->set_method(ConvMethod::patches);
    CHECK_FALSE(forced->uses_padded_input());

    // Forward, dx, dW and db of the two methods on a batch split into several blocks, for the
    // exercise's shapes (many channels in, one filter out; and the reverse).
    for (auto [c, filters] : {std::pair<Index, Index>{16, 1}, {1, 16}, {8, 8}})
        for (Padding p : {Padding::same, Padding::valid}) {
            INFO("C " << c << " F " << filters << " " << to_string(p));
            const Md x = random_matrix(12 * 10 * c, 40, 12);
            ConvPass pass[2];
            for (int m = 0; m < 2; ++m) {
                auto layer = built(c, filters, 1, p);
                layer->set_method(m == 0 ? ConvMethod::patches : ConvMethod::padded_input);
                REQUIRE(layer->uses_padded_input() == (m == 1));
                pass[m] = run_conv(*layer, x);
            }
            require_same_pass(pass[0], pass[1]);
        }
}

TEST_CASE("Conv2D: the direct method runs where it applies and agrees with patches and finite differences",
          "[conv2d][forward][gradient]") {
    // automatic: 8 or 16 filters and patches of at most 32 scalars, where the padded input is not used.
    CHECK(built(1, 16, 1, Padding::same)->uses_direct());
    CHECK(built(2, 8, 2, Padding::valid)->uses_direct());   // any stride
    CHECK_FALSE(built(3, 16, 1, Padding::same)->uses_direct());  // kw·C = 9: padded input
    CHECK(built(3, 16, 1, Padding::same)->uses_padded_input());
    CHECK_FALSE(built(4, 8, 2, Padding::same)->uses_direct());   // a patch of 36 scalars
    CHECK_FALSE(built(1, 4, 1, Padding::same)->uses_direct());   // 4 filters
    auto forced = built(1, 16, 1, Padding::same);
    forced->set_method(ConvMethod::patches);
    CHECK_FALSE(forced->uses_direct());

    // Forward, dx, dW and db against patches, on 40 samples split across blocks and threads,
    // with and without the input gradient (without it, the kernel gradient runs direct too).
    struct Case { Index c, filters, stride; Padding p; };
    for (Case k : {Case{1, 16, 1, Padding::same}, Case{1, 16, 1, Padding::valid}, Case{2, 8, 2, Padding::same},
                   Case{1, 8, 1, Padding::same}})
        for (bool need_dx : {false, true}) {
            INFO("C " << k.c << " F " << k.filters << " stride " << k.stride << " " << to_string(k.p) << " dx "
                      << need_dx);
            const Md x = random_matrix(12 * 10 * k.c, 40, 12);
            ConvPass pass[2];
            for (int m = 0; m < 2; ++m) {
                auto layer = built(k.c, k.filters, k.stride, k.p);
                if (m == 0) layer->set_method(ConvMethod::patches);
                REQUIRE(layer->uses_direct() == (m == 1));
                layer->set_input_grad_needed(need_dx);
                pass[m] = run_conv(*layer, x);
            }
            require_same_pass(pass[0], pass[1], need_dx);
        }

    // The input gradient of a layer with one filter on 16 channels (the exercise's last layer)
    // is a 16-output convolution of a one-channel dz: direct in automatic, patches when forced.
    {
        const Md x = random_matrix(12 * 10 * 16, 7, 14);
        ConvPass pass[2];
        for (int m = 0; m < 2; ++m) {
            auto layer = built(16, 1, 1, Padding::same);
            if (m == 0) layer->set_method(ConvMethod::patches);
            pass[m] = run_conv(*layer, x);
        }
        require_same_pass(pass[0], pass[1]);
    }

    // Finite differences: forward and dx through check_layer; the direct kernel gradient (no
    // input gradient) by central differences of the same objective.
    for (Case k : {Case{1, 16, 1, Padding::same}, Case{2, 8, 2, Padding::valid}}) {
        INFO("C " << k.c << " F " << k.filters);
        auto layer = built(k.c, k.filters, k.stride, k.p);
        layer->set_method(ConvMethod::direct);
        const Md x = random_matrix(12 * 10 * k.c, 2, 31);
        auto report = check_layer(*layer, x);
        AE_REQUIRE_GRADIENTS(report, 1e-6);

        Md y;
        layer->forward(x, y, Mode::training);
        const Md R = random_matrix(y.rows(), y.cols(), 32);
        auto objective = [&] {
            layer->forward(x, y, Mode::training);
            return (R.array() * y.array()).sum();
        };
        for (auto& p : layer->parameters()) p.grad->setZero();
        objective();
        layer->set_input_grad_needed(false);
        Md dx;
        layer->backward(R, dx);
        for (auto& p : layer->parameters()) {
            Md numeric(p.value->rows(), p.value->cols());
            for (Index i = 0; i < p.value->size(); ++i) {
                double& w = p.value->data()[i];
                const double keep = w;
                w = keep + 1e-5;
                const double lp = objective();
                w = keep - 1e-5;
                const double lm = objective();
                w = keep;
                numeric.data()[i] = (lp - lm) / 2e-5;
            }
            INFO(p.name);
            REQUIRE((*p.grad - numeric).norm() / std::max(numeric.norm(), 1e-12) < 1e-6);
        }
    }
}

TEST_CASE("Conv2D: gradients through relu, sigmoid and selu", "[conv2d][gradient]") {
    for (Activation a : {Activation::relu, Activation::sigmoid, Activation::selu}) {
        SECTION(to_string(a)) {
            ConvCase k{6, 5, 2, 3, 3, 1, Padding::same};
            auto layer = make_conv(k, a);
            auto report = check_layer(*layer, random_matrix(k.h * k.w * k.c, 3, 41));
            AE_REQUIRE_GRADIENTS(report, 1e-6);
        }
    }
}

TEST_CASE("Conv2D: logits kept for a fused sigmoid, and backward_from_logits skips the sigmoid", "[conv2d][fused]") {
    ConvCase k{5, 6, 2, 2, 3, 1, Padding::same};
    auto sig = make_conv(k, Activation::sigmoid);
    auto lin = make_conv(k, Activation::linear);
    lin->kernel() = sig->kernel();
    lin->bias() = sig->bias();
    sig->set_keep_logits(true);
    Md x = random_matrix(k.h * k.w * k.c, 3, 9), y, z;
    sig->forward(x, y, Mode::training);
    lin->forward(x, z, Mode::training);
    REQUIRE(sig->logits() != nullptr);
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

TEST_CASE("Conv2D: backward adds into parameter gradients and may skip dx", "[conv2d][gradient]") {
    ConvCase k{5, 5, 2, 3, 3, 1, Padding::valid};
    auto layer = make_conv(k);
    Md x = random_matrix(k.h * k.w * k.c, 2, 1), y, dx;
    layer->forward(x, y, Mode::training);
    Md dy = random_matrix(y.rows(), y.cols(), 2);
    for (auto& p : layer->parameters()) p.grad->setZero();
    layer->backward(dy, dx);
    Md once = layer->parameters()[0].grad->eval();
    layer->set_input_grad_needed(false);
    Md untouched = Md::Constant(3, 3, 7.0);
    layer->backward(dy, untouched);
    REQUIRE((*layer->parameters()[0].grad - 2 * once).cwiseAbs().maxCoeff() < 1e-12);
    REQUIRE(untouched == Md::Constant(3, 3, 7.0));
}

TEST_CASE("Conv2D: output sizes follow Keras for valid and same padding", "[conv2d][shape]") {
    // {in, kernel, stride, padding, expected out} from Keras' conv_output_length.
    struct Row {
        Index in, k, s;
        Padding p;
        Index out;
    };
    const Row table[] = {{28, 3, 1, Padding::same, 28},  {28, 3, 1, Padding::valid, 26}, {28, 3, 2, Padding::same, 14},
                         {28, 3, 2, Padding::valid, 13}, {7, 3, 2, Padding::same, 4},    {7, 3, 2, Padding::valid, 3},
                         {5, 5, 1, Padding::valid, 1},   {5, 2, 3, Padding::valid, 2},   {5, 2, 3, Padding::same, 2},
                         {1, 3, 1, Padding::same, 1},    {16, 3, 1, Padding::valid, 14}, {9, 4, 4, Padding::same, 3}};
    for (const auto& r : table) {
        INFO(r.in << " k" << r.k << " s" << r.s << " " << to_string(r.p));
        REQUIRE(conv_output_length(r.in, r.k, r.s, r.p) == r.out);
        Conv2D<double> layer(2, {r.k, 1}, {r.s, 1}, r.p);
        Rng rng(1);
        REQUIRE(layer.build(Shape{r.in, 3, 1}, rng) == Shape{r.out, r.p == Padding::same ? 3 : 3, 2});
    }
    // Same padding puts the odd pixel after: n 6, k 3, s 2 → total 1, before 0; n 5, k 4, s 1 → 3, before 1.
    REQUIRE(conv_pad_before(6, 3, 2, Padding::same) == 0);
    REQUIRE(conv_pad_before(5, 4, 1, Padding::same) == 1);
    REQUIRE(conv_pad_before(7, 5, 1, Padding::same) == 2);
    REQUIRE(conv_pad_before(7, 5, 1, Padding::valid) == 0);
}

TEST_CASE("Conv2D: impossible shapes throw ShapeError naming the layer", "[conv2d][errors]") {
    Rng rng(1);
    Conv2D<float> too_big(4, 5);
    AE_REQUIRE_THROWS(too_big.build(Shape{3, 8, 1}, rng), ShapeError,
                      Catch::Matchers::Contains("Conv2D") && Catch::Matchers::Contains("5×5"));
    Conv2D<float> flat(4, 3);
    AE_REQUIRE_THROWS(flat.build(Shape{784}, rng), ShapeError,
                      Catch::Matchers::Contains("Conv2D") && Catch::Matchers::Contains("{784}"));
    // In a model, at construction: the message names the layer and its position.
    AE_REQUIRE_THROWS(Sequential<float>(Shape{4, 4, 1},
                                        {std::make_shared<Conv2D<float>>(2, 3), std::make_shared<Conv2D<float>>(2, 3)}),
                      ShapeError, Catch::Matchers::Contains("conv2d_1") && Catch::Matchers::Contains("layer 1"));
    REQUIRE_THROWS_AS(Conv2D<float>(0, 3), ConfigError);
    REQUIRE_THROWS_AS(Conv2D<float>(2, {3, 0}), ConfigError);
    REQUIRE_THROWS_AS(Conv2D<float>(2, 3, 0), ConfigError);

    Conv2D<float> built(2, 3);
    built.build(Shape{5, 5, 2}, rng);
    Matrix<float> x = Matrix<float>::Zero(49, 2), y;
    AE_REQUIRE_THROWS(built.forward(x, y, Mode::inference), ShapeError,
                      Catch::Matchers::Contains("50") && Catch::Matchers::Contains("49"));
}

TEST_CASE("Conv2D: Glorot-uniform kernel with Keras' convolution fans", "[conv2d]") {
    Conv2D<double> layer(64, 3);
    Rng rng(4);
    layer.build(Shape{10, 10, 32}, rng);
    const double limit = std::sqrt(6.0 / (9.0 * 32 + 9.0 * 64));
    REQUIRE(layer.kernel().rows() == 64);
    REQUIRE(layer.kernel().cols() == 9 * 32);
    REQUIRE(layer.kernel().maxCoeff() <= limit);
    REQUIRE(layer.kernel().minCoeff() >= -limit);
    REQUIRE(layer.kernel().array().square().mean() == Approx(limit * limit / 3).epsilon(0.03));
    REQUIRE(layer.bias().isZero());
}

TEST_CASE("Conv2D: config round trip through the registry", "[conv2d][config]") {
    Conv2D<double> layer(7, {3, 2}, {2, 1}, Padding::same, Activation::selu, Initializer::he_normal);
    Config cfg = layer.config();
    auto rebuilt = create_layer<double>("Conv2D", LayerArgs<double>{cfg, {}, {}});
    REQUIRE(rebuilt->type() == "Conv2D");
    REQUIRE(rebuilt->config().items() == cfg.items());
    auto conv = std::dynamic_pointer_cast<Conv2D<double>>(rebuilt);
    REQUIRE(conv);
    REQUIRE(conv->filters() == 7);
    REQUIRE(conv->kernel_size() == Size2D(3, 2));
    REQUIRE(conv->strides() == Size2D(2, 1));
    REQUIRE(conv->padding() == Padding::same);
    REQUIRE(conv->activation() == Activation::selu);
}

TEST_CASE("Conv2D and Conv2DTranspose: two threads give the same results as one on a large batch",
          "[conv2d][conv2d_transpose][threads]") {
    // Big enough to take the threaded path (small passes run on one thread).
    auto run = [](Layer<double>& layer, const Md& x, const Md& dy, Md& y, Md& dx, Md& dw) {
        for (auto& p : layer.parameters()) p.grad->setZero();
        layer.forward(x, y, Mode::training);
        layer.backward(dy, dx);
        dw = *layer.parameters()[0].grad;
    };
    const int before = num_threads();
    for (Index stride : {1, 2})
    for (ConvMethod method : {ConvMethod::patches, ConvMethod::padded_input, ConvMethod::direct}) {
        INFO("stride " << stride << " method " << int(method));
        // direct needs 8 or 16 filters and a short patch: 8 filters on 2 channels
        const bool direct = method == ConvMethod::direct;
        Conv2D<double> conv(direct ? 8 : 3, 3, stride, Padding::same, Activation::tanh);
        conv.set_method(method);
        Conv2DTranspose<double> tconv(3, 3, stride, Padding::same, Activation::tanh);
        Rng rng(1);
        conv.build(Shape{16, 16, direct ? 2 : 4}, rng);
        tconv.build(Shape{16, 16, 4}, rng);
        if (direct) REQUIRE(conv.uses_direct());
        conv.set_block_columns(1000);  // blocks that split samples
        for (Layer<double>* layer : {static_cast<Layer<double>*>(&conv), static_cast<Layer<double>*>(&tconv)}) {
            Md x = random_matrix(layer->input_shape().size(), 61, 5);
            Md dy = random_matrix(layer->output_shape().size(), 61, 6);
            Md y1, dx1, dw1, y2, dx2, dw2;
            set_num_threads(1);
            run(*layer, x, dy, y1, dx1, dw1);
            set_num_threads(2);
            run(*layer, x, dy, y2, dx2, dw2);
            REQUIRE((y1 - y2).cwiseAbs().maxCoeff() < 1e-12);
            REQUIRE((dx1 - dx2).cwiseAbs().maxCoeff() < 1e-12);
            REQUIRE((dw1 - dw2).cwiseAbs().maxCoeff() < 1e-9);
        }
    }
    set_num_threads(before);
}
