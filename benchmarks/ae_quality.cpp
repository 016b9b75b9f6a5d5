// Quality check for the optimizations: trains one benchmark model for a few epochs with fixed
// seeds and prints its validation loss (evaluate on MNIST's 10000 test images). benchmarks/run.sh
// compiles this same file twice, against the current headers and against a baseline commit's
// headers (the code before the performance work), and compares the two losses.
//
//   ae_quality <model> [--data DIR] [--epochs N] [--images N] [--threads N]
//
//   --epochs N   training epochs (default 5)
//   --images N   train on the first N training images (default: all 60000)
//   --threads N  ae::set_num_threads (default 2)
//
// Output: "validation_loss <value>" and "train_loss <value>" (the last epoch's mean).
// Only API present in both versions is used: recipes, compile, fit, evaluate.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ae/ae.hpp"
#include "bench_models.hpp"

int main(int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') {
        std::fprintf(stderr, "usage: ae_quality <model> [--data DIR] [--epochs N] [--images N] [--threads N]\n");
        return 2;
    }
    const std::string name = argv[1];
    std::string data = "data/mnist";
    long epochs = 5, images = 0, threads = 2;
    for (int i = 2; i < argc; i += 2) {
        const std::string k = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "ae_quality: %s needs a value\n", k.c_str());
            return 2;
        }
        const std::string v = argv[i + 1];
        if (k == "--data") {
            data = v;
            continue;
        }
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (end == v.c_str() || *end != '\0' || n < 1) {
            std::fprintf(stderr, "ae_quality: %s needs a positive integer, got '%s'\n", k.c_str(), v.c_str());
            return 2;
        }
        if (k == "--epochs") epochs = n;
        else if (k == "--images") images = n;
        else if (k == "--threads") threads = n;
        else {
            std::fprintf(stderr, "ae_quality: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    try {
        auto model = bench::make_model(name);
        if (!model) {
            std::fprintf(stderr, "ae_quality: unknown model '%s'\n", name.c_str());
            return 2;
        }
        ae::set_num_threads(int(threads));
        auto mnist = ae::data::load_mnist<float>(data);
        if (images > 0 && images < mnist.train.x.cols())
            mnist.train.x.conservativeResize(Eigen::NoChange, images);  // the first `images` images
        const auto h = model->fit(mnist.train.x, mnist.train.x,
                                  {.epochs = int(epochs), .batch_size = 256, .seed = 1, .verbose = 0});
        const double val = model->evaluate(mnist.test.x, mnist.test.x);
        std::printf("model %s\nepochs %ld\nimages %ld\n", name.c_str(), epochs, long(mnist.train.x.cols()));
        std::printf("train_loss %.6f\nvalidation_loss %.6f\n", h["loss"].back(), val);
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "ae_quality: %s\n", e.what());
        return 1;
    }
}
