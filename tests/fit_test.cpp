#include <fstream>

#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
// A few hundred 8×8 images: one bright horizontal or vertical bar each, plus faint noise.
Matrix<float> bar_images(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix<float> x(64, n);
    for (Index j = 0; j < n; ++j) {
        const bool horizontal = rng.uniform() < 0.5;
        const Index k = Index(rng.uniform_index(8));
        for (Index r = 0; r < 8; ++r)
            for (Index c = 0; c < 8; ++c)
                x(r * 8 + c, j) = float(((horizontal ? r : c) == k) ? 0.9 : 0.05 * rng.uniform());
    }
    return x;
}
}  // namespace

TEST_CASE("fit: a small autoencoder on generated images lowers its loss by at least half", "[fit][e2e]") {
    auto [encoder, decoder, autoencoder] = recipes::vanilla<float>(64, {32}, 8, 1);
    Matrix<float> x = bar_images(400, 2), x_val = bar_images(100, 3);
    const double before = autoencoder->evaluate(x_val, x_val);
    auto history = autoencoder->fit(x, x, {.epochs = 30, .batch_size = 32, .validation_data = {x_val, x_val}, .verbose = 0});
    REQUIRE(history.epochs() == 30);
    REQUIRE(history["loss"].size() == 30);
    REQUIRE(history["val_loss"].back() < 0.5 * before);
    REQUIRE(history["loss"].back() < 0.5 * history["loss"].front());
    // The encoder shares the trained layers: its codings decode to the autoencoder's output.
    Matrix<float> recon = autoencoder->reconstruct(x_val);
    Matrix<float> via_parts = decoder->predict(encoder->predict(x_val));
    REQUIRE((recon - via_parts).cwiseAbs().maxCoeff() == 0.f);
    REQUIRE(autoencoder->encode(x_val).rows() == 8);
}

TEST_CASE("fit: the same seed gives bit-identical weights after training", "[fit][rng]") {
    set_num_threads(2);
    Matrix<float> x = bar_images(200, 4);
    auto train = [&](std::uint64_t seed) {
        auto parts = recipes::vanilla<float>(64, {16}, 4, seed);
        parts.autoencoder->fit(x, x, {.epochs = 3, .batch_size = 16, .seed = seed, .verbose = 0});
        std::vector<Matrix<float>> w;
        for (auto& p : parts.autoencoder->parameters()) w.push_back(*p.value);
        return w;
    };
    auto a = train(7), b = train(7), c = train(8);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == b[i]);
    REQUIRE(a[0] != c[0]);
}

TEST_CASE("fit: wrong sizes and invalid options throw the right errors, naming both sizes", "[fit][errors]") {
    auto [encoder, decoder, autoencoder] = recipes::vanilla<float>(10, {6}, 3);
    Matrix<float> x = Matrix<float>::Random(10, 20).cwiseAbs(), bad = Matrix<float>::Zero(9, 20);
    AE_REQUIRE_THROWS(autoencoder->fit(bad, x, {.verbose = 0}), ShapeError,
                      Catch::Matchers::Contains("10") && Catch::Matchers::Contains("9"));
    AE_REQUIRE_THROWS(autoencoder->fit(x, bad, {.verbose = 0}), ShapeError,
                      Catch::Matchers::Contains("10") && Catch::Matchers::Contains("9"));
    Matrix<float> fewer = x.leftCols(15);
    AE_REQUIRE_THROWS(autoencoder->fit(x, fewer, {.verbose = 0}), ShapeError,
                      Catch::Matchers::Contains("20") && Catch::Matchers::Contains("15"));
    AE_REQUIRE_THROWS(autoencoder->fit(x, x, {.batch_size = 0, .verbose = 0}), ConfigError,
                      Catch::Matchers::Contains("batch_size") && Catch::Matchers::Contains("0"));
    AE_REQUIRE_THROWS(autoencoder->fit(x, x, {.epochs = -1, .verbose = 0}), ConfigError, Catch::Matchers::Contains("epochs"));
    AE_REQUIRE_THROWS(autoencoder->fit(x, x, {.validation_data = {bad, x}, .verbose = 0}), ShapeError,
                      Catch::Matchers::Contains("validation"));
    AE_REQUIRE_THROWS(Adam<float>(0.0), ConfigError, Catch::Matchers::Contains("learning_rate"));
    AE_REQUIRE_THROWS(Adam<float>(-1e-3), ConfigError, Catch::Matchers::Contains("learning_rate"));
    Sequential<float> uncompiled(Shape{10}, {std::make_shared<Dense<float>>(10)});
    AE_REQUIRE_THROWS(uncompiled.fit(x, x, {.verbose = 0}), ConfigError, Catch::Matchers::Contains("compile"));
}

namespace {
// Records the weights at the end of every epoch.
struct WeightRecorder : Callback<float> {
    std::vector<std::vector<Matrix<float>>> epochs;
    bool on_epoch_end(Sequential<float>& model, const TrainingState&, const EpochLogs&) override {
        epochs.emplace_back();
        for (auto& p : model.parameters()) epochs.back().push_back(*p.value);
        return false;
    }
};
}  // namespace

TEST_CASE("fit: EarlyStopping stops after patience epochs without improvement and restores the best weights", "[fit][callbacks]") {
    auto [encoder, decoder, autoencoder] = recipes::vanilla<float>(64, {16}, 4, 3);
    Matrix<float> x = bar_images(100, 5);
    // min_delta so large that only the first epoch counts as an improvement.
    auto stopper = std::make_shared<EarlyStopping<float>>("loss", 2, 1e9, true);
    auto recorder = std::make_shared<WeightRecorder>();
    auto history = autoencoder->fit(x, x, {.epochs = 20, .batch_size = 10, .verbose = 0}, {recorder, stopper});
    REQUIRE(history.epochs() == 3);  // epoch 1 is the best, epochs 2 and 3 exhaust patience 2
    REQUIRE(stopper->stopped_epoch() == 2);
    auto params = autoencoder->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) REQUIRE(*params[i].value == recorder->epochs[0][i]);
    REQUIRE(recorder->epochs[2][0] != recorder->epochs[0][0]);
    REQUIRE_THROWS_AS(EarlyStopping<float>("val_loss", -1), ConfigError);
    auto needs_val = std::make_shared<EarlyStopping<float>>("val_loss");
    AE_REQUIRE_THROWS(autoencoder->fit(x, x, {.epochs = 2, .verbose = 0}, {needs_val}), ConfigError,
                      Catch::Matchers::Contains("val_loss"));
}

TEST_CASE("fit: TerminateOnNaN stops at the first non-finite batch loss", "[fit][callbacks]") {
    Sequential<float> model(Shape{4}, {std::make_shared<Dense<float>>(4)});
    model.compile(std::make_shared<Adam<float>>(), std::make_shared<MSE<float>>());
    Matrix<float> x = Matrix<float>::Ones(4, 40);
    x(2, 25) = std::numeric_limits<float>::quiet_NaN();  // sample 25 poisons its batch
    auto guard = std::make_shared<TerminateOnNaN<float>>();
    auto history = model.fit(x, x, {.epochs = 5, .batch_size = 10, .shuffle = false, .verbose = 0, .check_finite_inputs = false}, {guard});
    REQUIRE(guard->stopped());
    REQUIRE(history.epochs() == 1);
}

TEST_CASE("fit: CsvLogger writes a header and one row per epoch", "[fit][callbacks]") {
    const std::string path = test_path("fit_test", "fit_log.csv");
    auto [encoder, decoder, autoencoder] = recipes::vanilla<float>(64, {8}, 2);
    Matrix<float> x = bar_images(50, 6);
    autoencoder->fit(x, x, {.epochs = 3, .batch_size = 25, .validation_data = {x, x}, .verbose = 0},
                     {std::make_shared<CsvLogger<float>>(path)});
    std::ifstream f(path);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(f, line)) lines.push_back(line);
    REQUIRE(lines.size() == 4);
    REQUIRE(lines[0] == "epoch,loss,seconds,val_loss");
    REQUIRE(lines[3].rfind("3,", 0) == 0);
    auto bad = std::make_shared<CsvLogger<float>>(test_path("fit_test", "no/such/dir/log.csv"));
    REQUIRE_THROWS_AS(autoencoder->fit(x, x, {.epochs = 1, .verbose = 0}, {bad}), IoError);
}

TEST_CASE("fit: a frozen layer keeps its weights while the rest trains", "[fit][trainable]") {
    auto [encoder, decoder, autoencoder] = recipes::vanilla<float>(64, {16}, 4, 9);
    encoder->layer(0)->set_trainable(false);
    const Matrix<float> frozen_before = *encoder->layer(0)->parameters()[0].value;
    const Matrix<float> free_before = *decoder->layer(0)->parameters()[0].value;
    Matrix<float> x = bar_images(64, 7);
    autoencoder->fit(x, x, {.epochs = 2, .batch_size = 16, .verbose = 0});
    REQUIRE(*encoder->layer(0)->parameters()[0].value == frozen_before);
    REQUIRE(*decoder->layer(0)->parameters()[0].value != free_before);
}

namespace {
// Predicts on every batch end, as a user's monitoring callback might, into one reused matrix.
struct PredictEveryBatch : Callback<float> {
    const Matrix<float>* x = nullptr;
    Matrix<float> out;
    int calls = 0;
    bool on_batch_end(Sequential<float>& model, const TrainingState&) override {
        model.predict(*x, out, 7);
        ++calls;
        return false;
    }
};
}  // namespace

TEST_CASE("predict into a given matrix: same outputs, reused storage, and fit undisturbed by a callback's predict",
          "[fit][callbacks]") {
    Matrix<float> x = bar_images(60, 8);
    auto [e1, d1, plain] = recipes::vanilla<float>(64, {16}, 4, 5);
    auto [e2, d2, watched] = recipes::vanilla<float>(64, {16}, 4, 5);
    // predict(x, out) gives what predict(x) returns, and keeps out's storage once it has the shape.
    Matrix<float> out;
    watched->predict(x, out, 7);
    REQUIRE(out == watched->predict(x, 7));
    const float* storage = out.data();
    watched->predict(x, out, 7);
    REQUIRE(out.data() == storage);
    AE_REQUIRE_THROWS(watched->predict(x, x), ConfigError, Catch::Matchers::Contains("out"));
    // BCE after a sigmoid trains from the logits. predict needs none and turns them off while it
    // runs; fit must find them again on the next batch, and train exactly as without the callback.
    auto spy = std::make_shared<PredictEveryBatch>();
    spy->x = &x;
    const auto h1 = plain->fit(x, x, {.epochs = 2, .batch_size = 16, .verbose = 0});
    const auto h2 = watched->fit(x, x, {.epochs = 2, .batch_size = 16, .verbose = 0}, {spy});
    REQUIRE(spy->calls == 8);
    REQUIRE(h1["loss"] == h2["loss"]);
    REQUIRE(plain->predict(x) == watched->predict(x));
}
