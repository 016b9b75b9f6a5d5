// Unsupervised pretraining for a classifier with few labels, on MNIST.
//  1. Pretrain a denoising autoencoder 784-[256]-64 (tanh by default, sigmoid output, Adam, BCE;
//     Gaussian noise of stddev --noise on its inputs while training) on all 60k training
//     images, without their labels.
//  2. For each of --trials random subsets of --labels labelled training images:
//     - pretrained: the encoder's two Dense layers + Dense(10, softmax), categorical
//       cross-entropy; first --frozen-epochs with the pretrained layers frozen
//       (set_trainable(false)), then --fine-tune-epochs with them unfrozen, at --fine-tune-lr;
//     - from scratch: the same architecture, freshly initialised, trained for the same total
//       number of epochs (Adam, learning rate 1e-3);
//     and measure the accuracy of each on all 10k test images.
// Prints the accuracies per trial and their means, and writes --out/accuracy.csv.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "ae/ae.hpp"
#include "example_args.hpp"

namespace {
using Layers = std::vector<ae::LayerPtr<float>>;

// Fraction of columns whose largest output is the label's.
double accuracy(const ae::Matrix<float>& probabilities, const std::vector<int>& labels) {
    long right = 0;
    for (ae::Index j = 0; j < probabilities.cols(); ++j) {
        ae::Index k = 0;
        probabilities.col(j).maxCoeff(&k);
        right += int(k) == labels[std::size_t(j)];
    }
    return double(right) / double(probabilities.cols());
}

void mean_std(const std::vector<double>& v, const char* what) {
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    double ss = 0;
    for (double a : v) ss += (a - mean) * (a - mean);
    const double sd = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0;
    std::printf("  %-36s %6.2f%% ± %.2f\n", what, 100 * mean, 100 * sd);
}
}  // namespace

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: pretraining_classifier [--data DIR] [--epochs N (pretraining)] [--batch-size N]\n"
                           "         [--labels N] [--trials N] [--frozen-epochs N] [--fine-tune-epochs N]\n"
                           "         [--fine-tune-lr X] [--activation tanh|relu|...] [--noise X] [--hidden N]\n"
                           "         [--latent N] [--threads N] [--seed N] [--out DIR]");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "pretraining_classifier", 10);
    const long labels = args.get_int("labels", 500);
    const int trials = int(args.get_int("trials", 5));
    const int frozen_epochs = int(args.get_int("frozen-epochs", 100));
    const int fine_epochs = int(args.get_int("fine-tune-epochs", 50));
    const double fine_lr = args.get_double("fine-tune-lr", 1e-3);
    const std::string act_name = args.get("activation", "tanh");
    const double noise = args.get_double("noise", 0.3);
    const long hidden = args.get_int("hidden", 256), latent = args.get_int("latent", 64);
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        if (labels < 1 || labels > x_train.cols() || trials < 1)
            throw ae::ConfigError("expected --labels in 1.." + std::to_string(x_train.cols()) + " and --trials >= 1");

        // ---- 1. unsupervised pretraining on every training image
        const ae::Activation act = ae::activation_from_string(act_name);
        auto dense = [](long units, ae::Activation a) { return std::make_shared<ae::Dense<float>>(units, a); };
        const Layers encoder_layers = {dense(hidden, act), dense(latent, act)};
        Layers noisy = encoder_layers;  // the autoencoder's encoder: noise (training only), then those layers
        if (noise > 0) noisy.insert(noisy.begin(), std::make_shared<ae::GaussianNoise<float>>(noise));
        auto pre = ae::recipes::assemble<float>(ae::Shape{784}, noisy,
                                                {dense(hidden, act), dense(784, ae::Activation::sigmoid)}, seed);
        pre.autoencoder->compile(std::make_shared<ae::Adam<float>>(),
                                 std::make_shared<ae::BinaryCrossEntropy<float>>());
        auto h = pre.autoencoder->fit(x_train, x_train,
                                      {.epochs = epochs,
                                       .batch_size = batch_size,
                                       .seed = seed,
                                       .validation_data = {mnist.test.x, mnist.test.x},
                                       .verbose = 0});
        std::printf("pretrained 784-[%ld]-%ld %s (input noise %g) on %ld unlabelled images, %d epochs: test BCE %.4f\n",
                    hidden, latent, act_name.c_str(), noise, long(x_train.cols()), epochs, h["val_loss"].back());
        std::vector<ae::Matrix<float>> pretrained;  // restored before every trial
        for (auto& p : pre.encoder->parameters()) pretrained.push_back(*p.value);

        // ---- 2. few labels: pretrained (frozen, then fine-tuned) vs from scratch
        auto cce = std::make_shared<ae::CategoricalCrossEntropy<float>>();
        std::vector<double> acc_frozen, acc_fine, acc_scratch;
        std::ofstream csv(out + "/accuracy.csv");
        csv << "trial,frozen,fine_tuned,scratch\n";
        for (int t = 0; t < trials; ++t) {
            const std::uint64_t s = seed + 1000 + std::uint64_t(t);
            std::vector<ae::Index> order(std::size_t(x_train.cols()));
            std::iota(order.begin(), order.end(), ae::Index(0));
            ae::Rng rng(s);
            rng.shuffle(order);
            ae::Matrix<float> x(784, labels);
            std::vector<int> y_labels;
            for (long j = 0; j < labels; ++j) {
                x.col(j) = x_train.col(order[std::size_t(j)]);
                y_labels.push_back(mnist.train.labels[std::size_t(order[std::size_t(j)])]);
            }
            const ae::Matrix<float> y = ae::data::one_hot<float>(y_labels, 10);
            const ae::FitOptions<float> frozen_fit{.epochs = frozen_epochs, .batch_size = 32, .seed = s, .verbose = 0};
            const ae::FitOptions<float> fine_fit{.epochs = fine_epochs, .batch_size = 32, .seed = s + 1, .verbose = 0};

            auto params = pre.encoder->parameters();
            for (std::size_t i = 0; i < params.size(); ++i) *params[i].value = pretrained[i];
            Layers layers = encoder_layers;
            layers.push_back(std::make_shared<ae::Dense<float>>(10, ae::Activation::softmax));
            ae::Sequential<float> clf(ae::Shape{784}, layers, s);
            for (auto& l : encoder_layers) l->set_trainable(false);
            clf.compile(std::make_shared<ae::Adam<float>>(), cce);
            clf.fit(x, y, frozen_fit);
            acc_frozen.push_back(accuracy(clf.predict(mnist.test.x), mnist.test.labels));
            for (auto& l : encoder_layers) l->set_trainable(true);
            clf.compile(std::make_shared<ae::Adam<float>>(fine_lr), cce);
            clf.fit(x, y, fine_fit);
            acc_fine.push_back(accuracy(clf.predict(mnist.test.x), mnist.test.labels));

            ae::Sequential<float> scratch(
                ae::Shape{784}, {dense(hidden, act), dense(latent, act), dense(10, ae::Activation::softmax)}, s);
            scratch.compile(std::make_shared<ae::Adam<float>>(), cce);
            scratch.fit(x, y, {.epochs = frozen_epochs + fine_epochs, .batch_size = 32, .seed = s, .verbose = 0});
            acc_scratch.push_back(accuracy(scratch.predict(mnist.test.x), mnist.test.labels));
            std::printf("trial %d (%ld labels): frozen %.2f%%, fine-tuned %.2f%%, from scratch %.2f%%\n", t + 1, labels,
                        100 * acc_frozen[t], 100 * acc_fine[t], 100 * acc_scratch[t]);
            csv << t + 1 << ',' << acc_frozen[t] << ',' << acc_fine[t] << ',' << acc_scratch[t] << '\n';
        }
        std::printf("test accuracy on %ld images, mean ± sd over %d trials:\n", long(mnist.test.x.cols()), trials);
        mean_std(acc_frozen, "pretrained, frozen:");
        mean_std(acc_fine, "pretrained, frozen then fine-tuned:");
        mean_std(acc_scratch, "from scratch:");
        if (!csv) throw ae::IoError("could not write " + out + "/accuracy.csv");
        std::printf("wrote %s/accuracy.csv\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
