#include "ae/layers/dense_transpose.hpp"

#include <filesystem>

#include "ae/models/recipes/tied.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {

template <class S>
void randomize_biases(Layer<S>& model, std::uint64_t seed) {
    Rng rng(seed);
    for (auto& p : model.parameters()) rng.fill_uniform(*p.value, -0.5, 0.5);
}

}  // namespace

TEST_CASE("DenseTranspose: forward is f(Wᵀx + b) with the partner's kernel", "[dense_transpose]") {
    auto dense = std::make_shared<Dense<double>>(3);
    Rng rng(3);
    dense->build(Shape{5}, rng);
    DenseTranspose<double> tied(dense, Activation::tanh);
    const Shape out = tied.build(Shape{3}, rng);
    REQUIRE(out == Shape{5});
    tied.bias() = random_matrix(5, 1, 4);
    const Md x = random_matrix(3, 4, 5);
    Md y;
    tied.forward(x, y, Mode::inference);
    REQUIRE(y.rows() == 5);
    REQUIRE(y.cols() == 4);
    for (Index b = 0; b < 4; ++b)
        for (Index i = 0; i < 5; ++i) {
            double z = tied.bias()(i, 0);
            for (Index k = 0; k < 3; ++k) z += dense->kernel()(k, i) * x(k, b);
            REQUIRE(y(i, b) == Approx(std::tanh(z)).epsilon(1e-12));
        }
    // The kernel is shared, not copied: changing the partner changes the output.
    dense->kernel()(0, 0) += 1.0;
    Md y2;
    tied.forward(x, y2, Mode::inference);
    REQUIRE(y2.row(0) != y.row(0));
}

TEST_CASE("DenseTranspose: lists only its bias and links to its partner", "[dense_transpose]") {
    auto dense = std::make_shared<Dense<float>>(4);
    auto tied = std::make_shared<DenseTranspose<float>>(dense);
    Sequential<float> model(Shape{7}, {dense, tied});
    auto own = tied->parameters();
    REQUIRE(own.size() == 1);
    REQUIRE(own[0].value->rows() == 7);
    REQUIRE(own[0].value->cols() == 1);
    REQUIRE(tied->links().size() == 1);
    REQUIRE(tied->links()[0] == dense);
    // Dense 7→4 (28 + 4) plus the tied bias (7).
    REQUIRE(model.count_params() == 7 * 4 + 4 + 7);
}

TEST_CASE("DenseTranspose: whole tied model gradients, both uses adding into one kernel",
          "[dense_transpose][gradient]") {
    for (Activation a :
         {Activation::linear, Activation::relu, Activation::sigmoid, Activation::tanh, Activation::softmax}) {
        SECTION(to_string(a)) {
            auto d1 = std::make_shared<Dense<double>>(4, Activation::tanh);
            auto d2 = std::make_shared<Dense<double>>(3, Activation::sigmoid);
            auto t2 = std::make_shared<DenseTranspose<double>>(d2, Activation::elu);
            auto t1 = std::make_shared<DenseTranspose<double>>(d1, a);
            Sequential<double> model(Shape{6}, {d1, d2, t2, t1}, 9);
            randomize_biases(model, 10);
            // The kernels are listed once each: d1 (kernel, bias), d2 (kernel, bias), t2 bias, t1 bias.
            REQUIRE(model.parameters().size() == 6);
            auto report = check_layer(model, random_matrix(6, 5, 11));
            AE_REQUIRE_GRADIENTS(report, 1e-6);
        }
    }
}

TEST_CASE("DenseTranspose: the kernel gradient is the sum of the encoder's and the decoder's parts",
          "[dense_transpose][gradient]") {
    auto dense = std::make_shared<Dense<double>>(3, Activation::sigmoid);
    auto tied = std::make_shared<DenseTranspose<double>>(dense, Activation::sigmoid);
    Sequential<double> model(Shape{5}, {dense, tied}, 2);
    const Md x = random_matrix(5, 4, 3);
    const Md dy = random_matrix(5, 4, 4);
    Md y, dx;
    model.zero_grad();
    model.forward(x, y, Mode::training);
    model.backward(dy, dx);
    const Md both = dense->kernel_grad();

    // The decoder's part alone: backward through the tied layer only.
    model.zero_grad();
    model.forward(x, y, Mode::training);
    Md dcode;
    tied->backward(dy, dcode);
    const Md decoder_part = dense->kernel_grad();
    // The encoder's part alone: backward through the Dense only, from the same dcode.
    model.zero_grad();
    model.forward(x, y, Mode::training);
    Md unused;
    dense->backward(dcode, unused);
    const Md encoder_part = dense->kernel_grad();

    REQUIRE(decoder_part.norm() > 0);
    REQUIRE(encoder_part.norm() > 0);
    REQUIRE((both - (decoder_part + encoder_part)).norm() < 1e-12 * both.norm());
}

TEST_CASE("DenseTranspose: backward_from_logits matches backward through the activation", "[dense_transpose][logits]") {
    auto dense = std::make_shared<Dense<double>>(3);
    Rng rng(5);
    dense->build(Shape{6}, rng);
    DenseTranspose<double> tied(dense, Activation::sigmoid);
    tied.build(Shape{3}, rng);
    tied.set_keep_logits(true);
    REQUIRE(tied.output_activation() == Activation::sigmoid);
    const Md x = random_matrix(3, 4, 6);
    const Md dy = random_matrix(6, 4, 7);
    Md y, dx1, dx2;
    tied.forward(x, y, Mode::training);
    REQUIRE(tied.logits() != nullptr);
    Md expect_y = *tied.logits();
    activate_inplace(Activation::sigmoid, expect_y);
    REQUIRE((expect_y - y).norm() < 1e-14);
    dense->kernel_grad().setZero();
    tied.backward(dy, dx1);
    const Md dW1 = dense->kernel_grad();
    Md dz;
    activation_backward(Activation::sigmoid, y, dy, dz);
    dense->kernel_grad().setZero();
    tied.backward_from_logits(dz, dx2);
    REQUIRE((dx1 - dx2).norm() < 1e-14);
    REQUIRE((dW1 - dense->kernel_grad()).norm() < 1e-14);
    tied.set_keep_logits(false);
    tied.forward(x, y, Mode::training);
    REQUIRE(tied.logits() == nullptr);
}

TEST_CASE("Dense and DenseTranspose: the batch split over 2 threads gives the 1-thread gradients",
          "[dense][dense_transpose][threads]") {
    // Large enough that the backward pass takes 2 threads (detail/affine.hpp: each thread's share
    // of the kernel gradient, summed after a barrier); 77 samples split at 16-column alignment
    // into 32 + 45.
    const int before = max_threads();
    auto enc = std::make_shared<Dense<double>>(100, Activation::tanh);
    Rng rng(3);
    enc->build(Shape{150}, rng);
    DenseTranspose<double> dec(enc, Activation::sigmoid);
    dec.build(Shape{100}, rng);
    randomize_biases(dec, 4);
    const Md x = random_matrix(150, 77, 5), dy = random_matrix(150, 77, 6);
    const Md grad_before = random_matrix(100, 150, 7);  // gradients accumulate: start from non-zero
    struct Run {
        Md h, y, dh, dx, dW, db_enc, db_dec;
    };
    auto run = [&](int threads, bool from_logits) {
        set_num_threads(threads);
        Run r;
        enc->kernel_grad() = grad_before;
        enc->parameters()[1].grad->setConstant(0.25);  // the biases' gradients
        dec.parameters()[0].grad->setConstant(0.25);
        dec.set_keep_logits(from_logits);
        enc->forward(x, r.h, Mode::training);
        dec.forward(r.h, r.y, Mode::training);
        if (from_logits) dec.backward_from_logits(dy, r.dh);
        else dec.backward(dy, r.dh);
        enc->backward(r.dh, r.dx);
        r.dW = enc->kernel_grad();
        r.db_enc = *enc->parameters()[1].grad;
        r.db_dec = *dec.parameters()[0].grad;
        return r;
    };
    for (bool from_logits : {false, true}) {
        INFO("from_logits " << from_logits);
        const Run one = run(1, from_logits), two = run(2, from_logits);
        set_num_threads(2);
        REQUIRE(threads_for(77, 4.6e6, 16) == 2);  // the backward passes' work is about 4.6 MFLOP
        for (auto [a, b] : {std::pair{&one.y, &two.y}, {&one.dh, &two.dh}, {&one.dx, &two.dx}, {&one.dW, &two.dW},
                            {&one.db_enc, &two.db_enc}, {&one.db_dec, &two.db_dec}}) {
            REQUIRE(a->rows() == b->rows());
            REQUIRE(a->cols() == b->cols());
            REQUIRE((*a - *b).cwiseAbs().maxCoeff() < 1e-12);
        }
        // The accumulated kernel gradient holds both uses plus what it held before.
        REQUIRE((one.dW - grad_before).norm() > 1.0);
    }
    set_num_threads(before);
}

TEST_CASE("DenseTranspose: a tied autoencoder has about half the parameters of the untied one",
          "[dense_transpose][recipes][tied]") {
    SECTION("784-[128,64]-32") {
        auto untied = recipes::vanilla<float>(784, {128, 64}, 32);
        auto tied = recipes::tied<float>(784, {128, 64}, 32);
        const Index enc = (784 * 128 + 128) + (128 * 64 + 64) + (64 * 32 + 32);
        const Index dec_untied = (32 * 64 + 64) + (64 * 128 + 128) + (128 * 784 + 784);
        REQUIRE(untied.autoencoder->count_params() == enc + dec_untied);    // 222384
        REQUIRE(tied.autoencoder->count_params() == enc + 64 + 128 + 784);  // 111792
        REQUIRE(tied.decoder->count_params() == 64 + 128 + 784);
        const double ratio = double(tied.autoencoder->count_params()) / double(untied.autoencoder->count_params());
        REQUIRE(ratio > 0.5);
        REQUIRE(ratio < 0.51);
    }
    SECTION("small 20-[8]-3") {
        auto untied = recipes::vanilla<float>(20, {8}, 3);
        auto tied = recipes::tied<float>(20, {8}, 3);
        REQUIRE(untied.autoencoder->count_params() == 2 * (20 * 8 + 8 * 3) + 8 + 3 + 8 + 20);
        REQUIRE(tied.autoencoder->count_params() == (20 * 8 + 8 * 3) + 8 + 3 + 8 + 20);
    }
}

TEST_CASE("recipes::tied: mirrored shapes, shared kernels, sigmoid output, compiled",
          "[dense_transpose][recipes][tied]") {
    auto parts = recipes::tied<float>(30, {16, 8}, 4);
    REQUIRE(parts.encoder->output_shape() == Shape{4});
    REQUIRE(parts.decoder->output_shape() == Shape{30});
    REQUIRE(parts.decoder->size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        auto t = std::dynamic_pointer_cast<DenseTranspose<float>>(parts.decoder->layer(i));
        REQUIRE(t);
        REQUIRE(t->partner() == parts.encoder->layer(2 - i));
        REQUIRE(t->activation() == (i == 2 ? Activation::sigmoid : Activation::relu));
    }
    REQUIRE(parts.autoencoder->compiled());
    REQUIRE_THROWS_AS(recipes::tied<float>(0, {4}, 2), ConfigError);
    REQUIRE_THROWS_AS(recipes::tied<float>(10, {4}, 0), ConfigError);
}

TEST_CASE("recipes::tied: training through the fused sigmoid + BCE lowers the loss",
          "[dense_transpose][recipes][tied][fit]") {
    auto parts = recipes::tied<float>(12, {8}, 4, 3);
    // Data on a low-dimensional manifold in [0, 1].
    Rng rng(8);
    Matrix<float> codes(2, 256);
    rng.fill_uniform(codes, 0.0, 1.0);
    Matrix<float> mix(12, 2);
    rng.fill_uniform(mix, 0.0, 1.0);
    Matrix<float> x = ((mix * codes) / 2.0f).cwiseMin(1.0f);
    const double before = parts.autoencoder->evaluate(x, x);
    FitOptions<float> opt;
    opt.epochs = 30;
    opt.batch_size = 32;
    opt.verbose = 0;
    parts.autoencoder->fit(x, x, opt);
    const double after = parts.autoencoder->evaluate(x, x);
    INFO("before " << before << ", after " << after);
    REQUIRE(after < 0.9 * before);
}

TEST_CASE("DenseTranspose: save/load keeps the tie and bit-identical predictions",
          "[dense_transpose][io][model_file]") {
    auto parts = recipes::tied<float>(10, {6}, 3, 5);
    randomize_biases(*parts.autoencoder, 6);
    const std::string path = test_path("dense_transpose_test", "tied_autoencoder.aem");
    save(*parts.autoencoder, path);
    auto loaded = load_as<float, Autoencoder<float>>(path);
    REQUIRE(loaded->count_params() == parts.autoencoder->count_params());
    const Matrix<float> x = random_matrix(10, 7, 7).cast<float>();
    REQUIRE((loaded->predict(x).array() == parts.autoencoder->predict(x).array()).all());

    auto enc0 = std::dynamic_pointer_cast<Dense<float>>(loaded->encoder()->layer(0));
    auto out = std::dynamic_pointer_cast<DenseTranspose<float>>(loaded->decoder()->layer(1));
    REQUIRE(enc0);
    REQUIRE(out);
    REQUIRE(out->partner() == enc0);  // the same object, not a copy
    // Changing the encoder's kernel changes what the decoder computes from the same codings.
    const Matrix<float> z = loaded->encode(x);
    const Matrix<float> before = loaded->decode(z);
    enc0->kernel().array() += 0.25f;
    const Matrix<float> after = loaded->decode(z);
    REQUIRE((after - before).norm() > 1e-3f);
}

TEST_CASE("DenseTranspose: bad partners and inputs throw clear errors", "[dense_transpose][errors]") {
    REQUIRE_THROWS_AS(DenseTranspose<float>(nullptr), ConfigError);
    Rng rng(1);
    SECTION("partner not built") {
        auto dense = std::make_shared<Dense<float>>(4);
        DenseTranspose<float> tied(dense);
        AE_REQUIRE_THROWS(tied.build(Shape{4}, rng), ShapeError, Catch::Matchers::Contains("not built"));
    }
    SECTION("input not the partner's output size") {
        auto dense = std::make_shared<Dense<float>>(4);
        dense->build(Shape{9}, rng);
        DenseTranspose<float> tied(dense);
        AE_REQUIRE_THROWS(tied.build(Shape{5}, rng), ShapeError,
                          Catch::Matchers::Contains("{4}") && Catch::Matchers::Contains("{5}"));
        DenseTranspose<float> ok(dense);
        ok.build(Shape{4}, rng);
        Matrix<float> x = Matrix<float>::Zero(3, 2), y;
        AE_REQUIRE_THROWS(ok.forward(x, y, Mode::inference), ShapeError,
                          Catch::Matchers::Contains("4") && Catch::Matchers::Contains("3"));
    }
    SECTION("a link that is not a Dense") {
        Config c;
        c.set("activation", "linear");
        LayerArgs<float> args{c, {}, {std::make_shared<Sequential<float>>()}};
        AE_REQUIRE_THROWS(DenseTranspose<float>::from_config(args), FormatError,
                          Catch::Matchers::Contains("Dense") && Catch::Matchers::Contains("Sequential"));
        LayerArgs<float> none{c, {}, {}};
        REQUIRE_THROWS_AS(DenseTranspose<float>::from_config(none), FormatError);
    }
}
