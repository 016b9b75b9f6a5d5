#include "ae/training/greedy.hpp"

#include "ae/optimizers/sgd.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
GreedyOptions<float> small_options(int epochs) {
    GreedyOptions<float> opt;
    opt.units = {12, 6};
    opt.epochs = {epochs};
    opt.batch_size = {32};
    opt.seed = 7;
    return opt;
}
}  // namespace

TEST_CASE("train_greedy: the deep model is assembled from the very layers trained, in order", "[greedy]") {
    const Matrix<float> x = manifold_data(20, 128, 1, 3);
    GreedyReport<float> report;
    auto [encoder, decoder, autoencoder] = train_greedy(x, small_options(3), &report);
    REQUIRE(report.shallow.size() == 2);
    REQUIRE(report.histories.size() == 2);
    REQUIRE(report.histories[0]["loss"].size() == 3);
    REQUIRE(encoder->size() == 2);
    REQUIRE(decoder->size() == 2);
    // Encoder: enc1, enc2; decoder: dec2, dec1 (shared_ptr identity, not copies).
    REQUIRE(encoder->layer(0) == report.shallow[0]->layer(0));
    REQUIRE(encoder->layer(1) == report.shallow[1]->layer(0));
    REQUIRE(decoder->layer(0) == report.shallow[1]->layer(1));
    REQUIRE(decoder->layer(1) == report.shallow[0]->layer(1));
    REQUIRE(autoencoder->encoder() == encoder);
    REQUIRE(autoencoder->decoder() == decoder);
    // Shapes: 20 → 12 → 6 → 12 → 20.
    REQUIRE(encoder->output_shape() == Shape{6});
    REQUIRE(report.shallow[1]->input_shape() == Shape{12});
    REQUIRE(report.shallow[1]->output_shape() == Shape{12});
    REQUIRE(autoencoder->predict(x).rows() == 20);
    REQUIRE(autoencoder->predict(x).cols() == 128);
    REQUIRE(autoencoder->compiled());
    // Activations: relu codings, sigmoid pixels, the inner reconstruction matches its codings.
    auto dense = [](const LayerPtr<float>& l) { return std::dynamic_pointer_cast<Dense<float>>(l); };
    REQUIRE(dense(encoder->layer(0))->activation() == Activation::relu);
    REQUIRE(dense(decoder->layer(0))->activation() == Activation::relu);
    REQUIRE(dense(decoder->layer(1))->activation() == Activation::sigmoid);
    // Same parameter count as the vanilla recipe of the same architecture.
    REQUIRE(autoencoder->count_params() == recipes::vanilla<float>(20, {12}, 6).autoencoder->count_params());
}

TEST_CASE("train_greedy: level 2 trains on level 1's codings", "[greedy]") {
    const Matrix<float> x = manifold_data(20, 96, 2, 3);
    GreedyReport<float> report;
    auto parts = train_greedy(x, small_options(4), &report);
    // Level 2's loss on h1 = enc1(x) equals its final evaluation there, so h1 is what it saw:
    // evaluating on other data (x's first 12 rows) gives a different value.
    Sequential<float> enc1(std::vector<LayerPtr<float>>{parts.encoder->layer(0)});
    Rng rng(1);
    enc1.build(Shape{20}, rng);
    const Matrix<float> h1 = enc1.predict(x);
    const double on_codings = report.shallow[1]->evaluate(h1, h1);
    const Matrix<float> other = x.topRows(12);
    const double on_other = report.shallow[1]->evaluate(other, other);
    INFO("level-2 MSE on its codings " << on_codings << ", on other data " << on_other);
    REQUIRE(on_codings < on_other);
    // Its training loss went down.
    const auto& loss = report.histories[1]["loss"];
    REQUIRE(loss.back() < loss.front());
}

TEST_CASE("train_greedy: the greedily trained deep model reconstructs better than untrained", "[greedy][fit]") {
    const Matrix<float> x = manifold_data(20, 256, 3, 3);
    // epochs = 0 gives the same architecture with the same initial weights (same seeds).
    auto untrained = train_greedy(x, small_options(0));
    auto trained = train_greedy(x, small_options(25));
    const double before = untrained.autoencoder->evaluate(x, x);
    const double after = trained.autoencoder->evaluate(x, x);
    INFO("deep BCE untrained " << before << ", after greedy training " << after);
    REQUIRE(after < before - 0.02);
    // Fine-tuning end to end (the assembled model is compiled) improves it further.
    FitOptions<float> fo;
    fo.epochs = 10;
    fo.verbose = 0;
    trained.autoencoder->fit(x, x, fo);
    REQUIRE(trained.autoencoder->evaluate(x, x) < after);
}

TEST_CASE("train_greedy: per-level options, custom losses and optimizer factory", "[greedy]") {
    const Matrix<float> x = manifold_data(10, 64, 4, 3);
    GreedyOptions<float> opt;
    opt.units = {8, 5, 3};
    opt.activations = {Activation::tanh, Activation::sigmoid, Activation::linear};
    opt.inner_output_activation = Activation::linear;
    opt.epochs = {1, 2, 3};
    opt.batch_size = {16, 8, 64};
    int made = 0;
    opt.optimizer = [&made] {
        ++made;
        return std::make_shared<SGD<float>>(0.05);
    };
    opt.first_loss = std::make_shared<MSE<float>>();
    GreedyReport<float> report;
    auto parts = train_greedy(x, opt, &report);
    REQUIRE(made == 4);  // one per level and one for the assembled model
    REQUIRE(report.histories[0]["loss"].size() == 1);
    REQUIRE(report.histories[2]["loss"].size() == 3);
    REQUIRE(parts.encoder->output_shape() == Shape{3});
    auto dense = [](const LayerPtr<float>& l) { return std::dynamic_pointer_cast<Dense<float>>(l); };
    REQUIRE(dense(parts.encoder->layer(1))->activation() == Activation::sigmoid);
    REQUIRE(dense(parts.decoder->layer(0))->activation() == Activation::linear);
    REQUIRE(dense(parts.decoder->layer(2))->activation() == Activation::sigmoid);
    REQUIRE(dynamic_cast<MSE<float>*>(parts.autoencoder->loss().get()));
    REQUIRE(dynamic_cast<SGD<float>*>(parts.autoencoder->optimizer().get()));
}

TEST_CASE("train_greedy: invalid options throw ConfigError before training", "[greedy][errors]") {
    const Matrix<float> x = manifold_data(10, 16, 5, 3);
    auto opt = small_options(1);
    opt.units = {};
    AE_REQUIRE_THROWS(train_greedy(x, opt), ConfigError, Catch::Matchers::Contains("units"));
    opt = small_options(1);
    opt.units = {8, 0};
    AE_REQUIRE_THROWS(train_greedy(x, opt), ConfigError, Catch::Matchers::Contains("units > 0"));
    opt = small_options(1);
    opt.epochs = {1, 2, 3};
    AE_REQUIRE_THROWS(train_greedy(x, opt), ConfigError, Catch::Matchers::Contains("epochs"));
    opt = small_options(1);
    opt.epochs = {-1};
    REQUIRE_THROWS_AS(train_greedy(x, opt), ConfigError);
    opt = small_options(1);
    opt.batch_size = {0};
    AE_REQUIRE_THROWS(train_greedy(x, opt), ConfigError, Catch::Matchers::Contains("batch_size"));
    opt = small_options(1);
    opt.activations = {Activation::relu, Activation::relu, Activation::relu};
    AE_REQUIRE_THROWS(train_greedy(x, opt), ConfigError, Catch::Matchers::Contains("activations"));
    opt = small_options(1);
    opt.optimizer = [] { return std::shared_ptr<Optimizer<float>>(); };
    AE_REQUIRE_THROWS(train_greedy(x, opt), ConfigError, Catch::Matchers::Contains("optimizer"));
    REQUIRE_THROWS_AS(train_greedy(Matrix<float>(10, 0), small_options(1)), ShapeError);
}
