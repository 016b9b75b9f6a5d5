#include <limits>

#include "ae/layers/max_pool2d.hpp"
#include "ae/layers/up_sampling2d.hpp"
#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

namespace {

struct PoolCase {
    Index h, w, c;
    Size2D pool, stride;
    Padding padding;
};

std::string label(const PoolCase& k) {
    return std::to_string(k.h) + "x" + std::to_string(k.w) + "x" + std::to_string(k.c) + " pool" + k.pool.str() + " s" +
           k.stride.str() + " " + to_string(k.padding);
}

std::vector<PoolCase> pool_cases() {
    std::vector<PoolCase> cases;
    for (Padding p : {Padding::valid, Padding::same})
        for (Index c : {1, 2, 3}) {
            cases.push_back({5, 7, c, 2, 2, p});
            cases.push_back({5, 7, c, 3, 1, p});
        }
    cases.push_back({7, 7, 2, 2, 2, Padding::same});  // the encoder's 7 → 4
    cases.push_back({6, 5, 2, {2, 3}, {1, 2}, Padding::same});
    cases.push_back({6, 5, 1, {3, 2}, {3, 1}, Padding::valid});
    return cases;
}

// Direct max pooling: padding is -inf (never wins), sizes from Keras' formulas written out.
Md naive_max_pool(const PoolCase& k, const Md& x) {
    auto geometry = [&](Index n, Index p, Index s, Index& out, Index& before) {
        if (k.padding == Padding::same) {
            out = (n + s - 1) / s;
            before = std::max<Index>((out - 1) * s + p - n, 0) / 2;
        } else {
            out = (n - p) / s + 1;
            before = 0;
        }
    };
    Index oh, ow, pt, pl;
    geometry(k.h, k.pool.h, k.stride.h, oh, pt);
    geometry(k.w, k.pool.w, k.stride.w, ow, pl);
    Md y(oh * ow * k.c, x.cols());
    for (Index b = 0; b < x.cols(); ++b)
        for (Index oy = 0; oy < oh; ++oy)
            for (Index ox = 0; ox < ow; ++ox)
                for (Index c = 0; c < k.c; ++c) {
                    double m = -std::numeric_limits<double>::infinity();
                    for (Index i = 0; i < k.pool.h; ++i)
                        for (Index j = 0; j < k.pool.w; ++j) {
                            const Index iy = oy * k.stride.h - pt + i, ix = ox * k.stride.w - pl + j;
                            if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
                            m = std::max(m, x((iy * k.w + ix) * k.c + c, b));
                        }
                    y((oy * ow + ox) * k.c + c, b) = m;
                }
    return y;
}

Md naive_up_sampling(Index h, Index w, Index c, Size2D s, const Md& x) {
    Md y(h * s.h * w * s.w * c, x.cols());
    for (Index b = 0; b < x.cols(); ++b)
        for (Index oy = 0; oy < h * s.h; ++oy)
            for (Index ox = 0; ox < w * s.w; ++ox)
                for (Index k = 0; k < c; ++k)
                    y((oy * w * s.w + ox) * c + k, b) = x(((oy / s.h) * w + ox / s.w) * c + k, b);
    return y;
}

}  // namespace

TEST_CASE("MaxPool2D: forward equals a direct max over each window", "[max_pool2d][forward]") {
    for (const auto& k : pool_cases()) {
        INFO(label(k));
        MaxPool2D<double> layer(k.pool, k.stride, k.padding);
        Rng rng(1);
        layer.build(Shape{k.h, k.w, k.c}, rng);
        Md x = random_matrix(k.h * k.w * k.c, 3, 12), y;
        layer.forward(x, y, Mode::inference);
        Md ref = naive_max_pool(k, x);
        REQUIRE(y.rows() == ref.rows());
        REQUIRE((y - ref).cwiseAbs().maxCoeff() < 1e-12);
    }
}

TEST_CASE("MaxPool2D: gradient routed to the argmax (no ties)", "[max_pool2d][gradient]") {
    for (const auto& k : pool_cases()) {
        INFO(label(k));
        MaxPool2D<double> layer(k.pool, k.stride, k.padding);
        Rng rng(1);
        layer.build(Shape{k.h, k.w, k.c}, rng);
        // A random permutation of spaced values: no ties, and no finite-difference step (1e-5)
        // can change a window's winner.
        const Index n = k.h * k.w * k.c * 2;
        std::vector<Index> perm(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) perm[std::size_t(i)] = i;
        Rng shuffle(9);
        shuffle.shuffle(perm);
        Md x(k.h * k.w * k.c, 2);
        for (Index i = 0; i < n; ++i) x.data()[i] = 0.01 * double(perm[std::size_t(i)]);
        auto report = check_layer(layer, x);
        AE_REQUIRE_GRADIENTS(report, 1e-6);
    }
}

TEST_CASE("MaxPool2D: backward sends each gradient to the first maximum only", "[max_pool2d][gradient]") {
    MaxPool2D<double> layer(2);
    Rng rng(1);
    layer.build(Shape{2, 2, 1}, rng);
    Md x(4, 1), y, dx;
    x << 1.0, 3.0, 3.0, 2.0;  // a tie between positions 1 and 2: the first wins
    layer.forward(x, y, Mode::training);
    REQUIRE(y(0, 0) == 3.0);
    layer.backward(Md::Constant(1, 1, 5.0), dx);
    REQUIRE(dx(0, 0) == 0.0);
    REQUIRE(dx(1, 0) == 5.0);
    REQUIRE(dx(2, 0) == 0.0);
    REQUIRE(dx(3, 0) == 0.0);
}

TEST_CASE("MaxPool2D: backward after an inference forward throws", "[max_pool2d][errors]") {
    MaxPool2D<float> layer(2);
    Rng rng(1);
    layer.build(Shape{4, 4, 1}, rng);
    Matrix<float> x = Matrix<float>::Random(16, 2), y, dx;
    layer.forward(x, y, Mode::inference);
    AE_REQUIRE_THROWS(layer.backward(y, dx), ShapeError, Catch::Matchers::Contains("training-mode"));
}

TEST_CASE("MaxPool2D: output sizes follow Keras, 28→14→7→4 with same padding", "[max_pool2d][shape]") {
    struct Row {
        Index in, pool, stride;
        Padding p;
        Index out;
    };
    const Row table[] = {{28, 2, 2, Padding::valid, 14}, {28, 2, 2, Padding::same, 14}, {7, 2, 2, Padding::valid, 3},
                         {7, 2, 2, Padding::same, 4},    {5, 3, 1, Padding::valid, 3},  {5, 3, 2, Padding::same, 3},
                         {1, 2, 2, Padding::same, 1},    {6, 3, 3, Padding::valid, 2},  {3, 2, 1, Padding::valid, 2}};
    for (const auto& r : table) {
        INFO(r.in << " pool" << r.pool << " s" << r.stride << " " << to_string(r.p));
        MaxPool2D<float> layer({r.pool, 1}, Size2D(r.stride, 1), r.p);
        Rng rng(1);
        REQUIRE(layer.build(Shape{r.in, 2, 3}, rng) == Shape{r.out, 2, 3});
    }
    MaxPool2D<float> defaults;  // pool 2, strides = pool
    REQUIRE(defaults.strides() == Size2D(2, 2));
    Sequential<float> encoder(Shape{28, 28, 1}, {std::make_shared<MaxPool2D<float>>(2, std::nullopt, Padding::same),
                                                 std::make_shared<MaxPool2D<float>>(2, std::nullopt, Padding::same),
                                                 std::make_shared<MaxPool2D<float>>(2, std::nullopt, Padding::same)});
    REQUIRE(encoder.layer(0)->output_shape() == Shape{14, 14, 1});
    REQUIRE(encoder.layer(1)->output_shape() == Shape{7, 7, 1});
    REQUIRE(encoder.output_shape() == Shape{4, 4, 1});
}

TEST_CASE("MaxPool2D: pooling a 1x1 map or a non-image throws ShapeError naming the layer", "[max_pool2d][errors]") {
    Rng rng(1);
    MaxPool2D<float> pool(2);
    AE_REQUIRE_THROWS(pool.build(Shape{1, 1, 8}, rng), ShapeError,
                      Catch::Matchers::Contains("MaxPool2D") && Catch::Matchers::Contains("{1, 1, 8}"));
    AE_REQUIRE_THROWS(Sequential<float>(Shape{2, 2, 1},
                                        {std::make_shared<MaxPool2D<float>>(2), std::make_shared<MaxPool2D<float>>(2)}),
                      ShapeError, Catch::Matchers::Contains("max_pool2d_1"));
    MaxPool2D<float> flat(2);
    REQUIRE_THROWS_AS(flat.build(Shape{64}, rng), ShapeError);
    REQUIRE_THROWS_AS(MaxPool2D<float>(0), ConfigError);
    REQUIRE_THROWS_AS(MaxPool2D<float>(2, Size2D(0, 1)), ConfigError);
}

TEST_CASE("MaxPool2D: config round trip through the registry", "[max_pool2d][config]") {
    MaxPool2D<double> layer({3, 2}, Size2D(1, 2), Padding::same);
    Config cfg = layer.config();
    auto rebuilt = create_layer<double>("MaxPool2D", LayerArgs<double>{cfg, {}, {}});
    REQUIRE(rebuilt->type() == "MaxPool2D");
    REQUIRE(rebuilt->config().items() == cfg.items());
    auto p = std::dynamic_pointer_cast<MaxPool2D<double>>(rebuilt);
    REQUIRE(p->pool_size() == Size2D(3, 2));
    REQUIRE(p->strides() == Size2D(1, 2));
    REQUIRE(p->padding() == Padding::same);
}

TEST_CASE("UpSampling2D: forward equals nearest-neighbour repetition", "[up_sampling2d][forward]") {
    for (Size2D s : {Size2D(2), Size2D(3, 1), Size2D(1, 2)})
        for (Index c : {1, 2, 3}) {
            INFO("size " << s.str() << " channels " << c);
            UpSampling2D<double> layer(s);
            Rng rng(1);
            REQUIRE(layer.build(Shape{3, 5, c}, rng) == Shape{3 * s.h, 5 * s.w, c});
            Md x = random_matrix(3 * 5 * c, 2, 14), y;
            layer.forward(x, y, Mode::inference);
            REQUIRE((y - naive_up_sampling(3, 5, c, s, x)).cwiseAbs().maxCoeff() == 0.0);
        }
}

TEST_CASE("UpSampling2D: gradient sums the copies", "[up_sampling2d][gradient]") {
    for (Size2D s : {Size2D(2), Size2D(2, 3)})
        for (Index c : {1, 3}) {
            INFO("size " << s.str() << " channels " << c);
            UpSampling2D<double> layer(s);
            Rng rng(1);
            layer.build(Shape{4, 3, c}, rng);
            auto report = check_layer(layer, random_matrix(4 * 3 * c, 3, 15));
            AE_REQUIRE_GRADIENTS(report, 1e-6);
        }
}

TEST_CASE("UpSampling2D: errors and config round trip", "[up_sampling2d][config][errors]") {
    Rng rng(1);
    UpSampling2D<float> flat;
    AE_REQUIRE_THROWS(flat.build(Shape{10}, rng), ShapeError, Catch::Matchers::Contains("UpSampling2D"));
    REQUIRE_THROWS_AS(UpSampling2D<float>(0), ConfigError);
    UpSampling2D<double> layer({2, 3});
    Config cfg = layer.config();
    auto rebuilt = create_layer<double>("UpSampling2D", LayerArgs<double>{cfg, {}, {}});
    REQUIRE(rebuilt->config().items() == cfg.items());
    REQUIRE(std::dynamic_pointer_cast<UpSampling2D<double>>(rebuilt)->size() == Size2D(2, 3));
}

TEST_CASE("MaxPool2D and UpSampling2D: two threads give the same results as one on a large batch",
          "[max_pool2d][up_sampling2d][threads]") {
    const int before = num_threads();
    MaxPool2D<double> pool(2, std::nullopt, Padding::same);
    UpSampling2D<double> up(2);
    Rng rng(1);
    pool.build(Shape{15, 15, 4}, rng);
    up.build(Shape{15, 15, 4}, rng);
    for (Layer<double>* layer : {static_cast<Layer<double>*>(&pool), static_cast<Layer<double>*>(&up)}) {
        Md x = random_matrix(15 * 15 * 4, 150, 5), dy = random_matrix(layer->output_shape().size(), 150, 6);
        Md y1, dx1, y2, dx2;
        set_num_threads(1);
        layer->forward(x, y1, Mode::training);
        layer->backward(dy, dx1);
        set_num_threads(2);
        layer->forward(x, y2, Mode::training);
        layer->backward(dy, dx2);
        REQUIRE(y1 == y2);
        REQUIRE(dx1 == dx2);
    }
    set_num_threads(before);
}
