// docs/layers.md, losses_and_optimizers.md, training.md, data.md, model_files.md: the code
// those pages quote, one function per topic. Each function checks what it shows; the program
// writes its small files in the current folder (ctest runs it in a scratch folder).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "ae/ae.hpp"

namespace {

using ae::Activation;
using Layers = std::vector<ae::LayerPtr<float>>;

int failures = 0;

void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++failures;
}

ae::Matrix<float> random_pixels(ae::Index features, ae::Index n, std::uint64_t seed) {
    ae::Rng rng(seed);
    ae::Matrix<float> x(features, n);
    rng.fill_uniform(x, 0.0, 1.0);
    return x;
}

// ---------------------------------------------------------------- layers.md
void layer_shapes() {
    // Shapes are inferred when the model is given its input shape, as Keras does.
    ae::Sequential<float> images(ae::Shape{28, 28, 1},
                                 Layers{std::make_shared<ae::Conv2D<float>>(8, 3, 1, ae::Padding::same, Activation::relu),
                                        std::make_shared<ae::MaxPool2D<float>>(2),
                                        std::make_shared<ae::Conv2D<float>>(16, 3, 2, ae::Padding::valid),
                                        std::make_shared<ae::Flatten<float>>(),
                                        std::make_shared<ae::Dense<float>>(10, Activation::softmax)});
    std::printf("%s", images.summary().c_str());
    // 28×28×1 → 28×28×8 (same) → 14×14×8 (pool 2) → 6×6×16 (valid, stride 2) → 576 → 10
    const bool image_shapes = images.layer(1)->output_shape() == ae::Shape{14, 14, 8} &&
                              images.layer(2)->output_shape() == ae::Shape{6, 6, 16} &&
                              images.layer(3)->output_shape() == ae::Shape{576};

    ae::Sequential<float> upsampling(ae::Shape{7, 7, 4},
                                     Layers{std::make_shared<ae::UpSampling2D<float>>(2),
                                            std::make_shared<ae::Conv2DTranspose<float>>(2, 3, 2, ae::Padding::valid)});
    // 7×7×4 → 14×14×4 → valid transpose: 14·2 + max(3 − 2, 0) = 29

    ae::Sequential<float> sequences(ae::Shape{10, 3},
                                    Layers{std::make_shared<ae::GRU<float>>(8, /*return_sequences=*/true),
                                           std::make_shared<ae::TimeDistributed<float>>(
                                               std::make_shared<ae::Dense<float>>(2))});
    const ae::Matrix<float> batch = random_pixels(10 * 3, 5, 1);  // 5 sequences of 10 steps × 3 features
    const ae::Matrix<float> out = sequences.predict(batch);        // (10·2) × 5

    check(image_shapes && upsampling.output_shape() == ae::Shape{29, 29, 2} &&
              sequences.output_shape() == ae::Shape{10, 2} && out.rows() == 20 && out.cols() == 5,
          "layer shapes");
}

// ---------------------------------------------------------------- losses_and_optimizers.md
void loss_reductions() {
    ae::Matrix<float> pred(2, 2), target(2, 2);  // 2 features × 2 samples
    pred << 0.9f, 0.2f,
            0.1f, 0.6f;
    target << 1.0f, 0.0f,
              0.0f, 1.0f;
    const double mean = ae::MSE<float>().value(pred, target);                            // Σ / (2·2)
    const double per_sample = ae::MSE<float>(ae::Reduction::sum_over_features).value(pred, target);  // Σ / 2
    const double bce = ae::BinaryCrossEntropy<float>().value(pred, target);

    const double squares = 0.01 + 0.01 + 0.04 + 0.16;
    const double bce_by_hand = -(std::log(0.9) + std::log(0.9) + std::log(0.8) + std::log(0.6)) / 4;
    check(std::abs(mean - squares / 4) < 1e-6 && std::abs(per_sample - squares / 2) < 1e-6 &&
              std::abs(bce - bce_by_hand) < 1e-5,
          "loss reductions");
}

void optimizer_defaults() {
    const ae::Matrix<float> x = random_pixels(16, 64, 2);
    std::vector<std::shared_ptr<ae::Optimizer<float>>> optimizers = {
        std::make_shared<ae::SGD<float>>(),                    // lr 0.01, momentum 0
        std::make_shared<ae::SGD<float>>(0.01, 0.9, true),     // Nesterov momentum
        std::make_shared<ae::Adam<float>>(),                   // lr 0.001, β1 0.9, β2 0.999, ε 1e-7
        std::make_shared<ae::AdamW<float>>(),                  // + weight_decay 0.004
        std::make_shared<ae::Nadam<float>>(),
        std::make_shared<ae::RMSprop<float>>(),                // lr 0.001, ρ 0.9
        std::make_shared<ae::Adagrad<float>>(0.01)};           // Keras' default lr is 0.001
    bool all_finite = true;
    for (const auto& optimizer : optimizers) {
        auto model = ae::recipes::vanilla<float>(16, {8}, 4).autoencoder;
        model->compile(optimizer, std::make_shared<ae::BinaryCrossEntropy<float>>());
        const ae::History h = model->fit(x, x, {.epochs = 1, .verbose = 0});
        all_finite = all_finite && std::isfinite(h["loss"][0]) && optimizer->iterations() == 2;  // 64 / 32 batches
    }
    check(all_finite, "every optimizer trains with its defaults");
}

// ---------------------------------------------------------------- training.md
// A callback: any hook may be overridden; returning true from on_epoch_end stops fit.
struct StopBelow : ae::Callback<float> {
    double threshold;
    explicit StopBelow(double t) : threshold(t) {}
    bool on_epoch_end(ae::Sequential<float>&, const ae::TrainingState&, const ae::EpochLogs& logs) override {
        return logs.at("loss") < threshold;
    }
};

void training_loop() {
    ae::set_num_threads(1);  // ae's products and loops; the same seed and thread count repeat bit for bit
    const ae::Matrix<float> x_train = random_pixels(32, 256, 3), x_valid = random_pixels(32, 64, 4);

    auto [encoder, decoder, model] = ae::recipes::vanilla<float>(32, {16}, 4, /*seed=*/7);
    model->compile(std::make_shared<ae::Adam<float>>(1e-3), std::make_shared<ae::BinaryCrossEntropy<float>>());

    auto early_stopping = std::make_shared<ae::EarlyStopping<float>>("val_loss", /*patience=*/2, /*min_delta=*/0.0,
                                                                     /*restore_best_weights=*/true);
    auto csv = std::make_shared<ae::CsvLogger<float>>("training_log.csv");
    auto stop = std::make_shared<StopBelow>(0.0);  // never triggers here
    const ae::History history = model->fit(
        x_train, x_train,
        {.epochs = 3, .batch_size = 64, .seed = 1, .validation_data = {x_valid, x_valid}, .verbose = 0},
        {early_stopping, csv, stop});

    const double val_loss = model->evaluate(x_valid, x_valid);  // mean loss + extra losses, inference mode
    const ae::Matrix<float> codings = encoder->predict(x_valid);  // 4 × 64
    const ae::Matrix<float> x_hat = model->reconstruct(x_valid);  // 32 × 64, same as model->predict
    std::printf("epochs %zu, last loss %.4f, last val_loss %.4f, evaluate %.4f\n", history.epochs(),
                history["loss"].back(), history["val_loss"].back(), val_loss);

    check(history.epochs() == 3 && history.has("val_loss") && history.has("seconds") &&
              std::isfinite(val_loss) && codings.rows() == 4 && x_hat.rows() == 32 && std::ifstream("training_log.csv").good(),
          "compile, fit, evaluate, predict");
}

// ---------------------------------------------------------------- data.md
void data_loading() {
    // A miniature MNIST folder: 3 training and 2 test images of 2×2 pixels, written as IDX.
    ae::data::write_idx("train-images-idx3-ubyte", {{3, 2, 2}, {0, 255, 0, 255, 10, 20, 30, 40, 1, 2, 3, 4}});
    ae::data::write_idx("train-labels-idx1-ubyte", {{3}, {7, 1, 2}});
    ae::data::write_idx("t10k-images-idx3-ubyte", {{2, 2, 2}, {255, 255, 255, 255, 0, 0, 0, 0}});
    ae::data::write_idx("t10k-labels-idx1-ubyte", {{2}, {0, 9}});

    const ae::data::Splits<float> mnist = ae::data::load_mnist<float>(".");  // raw or .gz files
    const ae::Matrix<float>& x = mnist.train.x;  // 4 pixels × 3 images, values in [0, 1]
    const ae::Matrix<float> y = ae::data::one_hot<float>(mnist.train.labels, 10);  // 10 × 3
    const ae::data::Dataset<float> first_two = ae::data::take(mnist.train, 0, 2);

    // A univariate series per CSV row: values are T × N, shape {T, 1}.
    std::ofstream("series.csv") << "t0,t1,t2,t3\n1,2,3,4\n5,6,7,8\n";
    const ae::data::SeriesData<float> rows =
        ae::data::load_csv_series<float>("series.csv", ae::data::SeriesLayout::series_per_row, /*has_header=*/true);
    // One long series, a CSV column per feature: values are (T·F) × 1, cut into windows.
    std::ofstream("long.csv") << "1,10\n2,20\n3,30\n4,40\n5,50\n";
    const ae::data::SeriesData<float> series =
        ae::data::load_csv_series<float>("long.csv", ae::data::SeriesLayout::column_per_feature);
    const ae::Matrix<float> windows = ae::data::sliding_windows(series.values, series.shape, /*window=*/3, /*stride=*/1);

    check(x.rows() == 4 && x.cols() == 3 && x(1, 0) == 1.0f && mnist.train.sample_shape == ae::Shape{2, 2, 1} &&
              mnist.test.labels[1] == 9 && y(7, 0) == 1.0f && first_two.size() == 2 &&
              rows.values.rows() == 4 && rows.values.cols() == 2 && rows.shape == ae::Shape{4, 1} &&
              series.shape == ae::Shape{5, 2} && windows.rows() == 6 && windows.cols() == 3 && windows(2, 1) == 3.0f,
          "IDX, MNIST and CSV loaders");
}

// ---------------------------------------------------------------- model_files.md
void model_files() {
    const ae::Matrix<float> x = random_pixels(16, 32, 5);
    auto [encoder, decoder, model] = ae::recipes::tied<float>(16, {8}, 4);
    model->fit(x, x, {.epochs = 1, .verbose = 0});

    ae::save(model, "tied.aem");  // architecture + weights, atomically
    auto restored = ae::load_as<float, ae::Autoencoder<float>>("tied.aem");
    ae::LayerPtr<double> as_double = ae::load<double>("tied.aem");  // any layer type, weights converted

    check(restored->predict(x) == model->predict(x) && restored->encode(x) == encoder->predict(x) &&
              as_double->output_shape() == ae::Shape{16},
          "save and load");
}

}  // namespace

int main() {
    layer_shapes();
    loss_reductions();
    optimizer_defaults();
    training_loop();
    data_loading();
    model_files();
    std::printf("%d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
