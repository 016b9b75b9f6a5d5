// ae's side of the benchmark suite (torch_bench.py is PyTorch's): trains one model on MNIST
// (60000 training images) and measures it. Usage:
//
//   ae_bench <model> [--data DIR] [--epochs N] [--batches N] [--threads N] [--batch-size N]
//            [--block-columns N]
//
//   model         vanilla sparse tied vae stacked conv conv_book lstm gru (see bench_models.hpp)
//   --data        MNIST IDX folder (default data/mnist)
//   --epochs N    timed epochs after one warm-up epoch (default 3; the median needs >= 3)
//   --batches N   train on the first N batches only (N · batch-size images) and scale the time to
//                 a full 60000-image epoch; for the slow conv and recurrent models. 0: all (default)
//   --threads N   ae::set_num_threads (default 2)
//   --batch-size  training batch (default 256)
//   --block-columns N  conv models: im2col columns per GEMM in Conv2D/Conv2DTranspose (0: the
//                 layers' default; a huge value gives one GEMM per layer per batch)
//
// Output: human-readable lines per epoch, then machine-readable "key value" lines:
//   seconds_per_epoch_median   median over the timed epochs, seconds per 60000 images
//   train_loss                 mean training loss of the last timed epoch
//   inference_images_per_second  predict() on the 10000 test images, batch 256, inference mode
//                              (median of 3 passes after a warm-up pass)
//   gflop_per_epoch            dense models only: analytic GEMM FLOPs of one 60000-image epoch
//   gflops_achieved            dense models only: gflop_per_epoch / seconds_per_epoch_median
//   peak_rss_mb                getrusage(RUSAGE_SELF).ru_maxrss at the end (data + model + buffers)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ae/ae.hpp"
#include "bench_models.hpp"

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

// Prints each epoch as it ends (a recurrent epoch takes tens of seconds).
class EpochPrinter : public ae::Callback<float> {
public:
    explicit EpochPrinter(double scale) : scale_(scale) {}
    bool on_epoch_end(ae::Sequential<float>&, const ae::TrainingState& st, const ae::EpochLogs& logs) override {
        const std::string label = st.epoch == 0 ? "warm-up" : "epoch " + std::to_string(st.epoch);
        std::printf("%s: %.3f s/epoch, loss %.5f\n", label.c_str(), logs.at("seconds") * scale_, logs.at("loss"));
        std::fflush(stdout);
        return false;
    }

private:
    double scale_;
};

void set_block_columns(ae::Layer<float>& layer, long n) {
    if (auto* c = dynamic_cast<ae::Conv2D<float>*>(&layer)) c->set_block_columns(n);
    if (auto* c = dynamic_cast<ae::Conv2DTranspose<float>*>(&layer)) c->set_block_columns(n);
    for (const auto& child : layer.children()) set_block_columns(*child, n);
}

int usage() {
    std::fprintf(stderr,
                 "usage: ae_bench <model> [--data DIR] [--epochs N] [--batches N] [--threads N] [--batch-size N]\n"
                 "                [--block-columns N]\n"
                 "models:");
    for (const auto& m : bench::model_names) std::fprintf(stderr, " %s", m.c_str());
    std::fprintf(stderr, "\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return usage();
    const std::string name = argv[1];
    std::string data = "data/mnist";
    long epochs = 3, batches = 0, threads = 2, batch = 256, block_columns = 0;
    for (int i = 2; i < argc; i += 2) {
        const std::string k = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "ae_bench: %s needs a value\n", k.c_str());
            return usage();
        }
        const std::string v = argv[i + 1];
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        const bool integer = end && *end == '\0' && !v.empty();
        if (k == "--data") {
            data = v;
            continue;
        }
        if (!integer || n < 0) {
            std::fprintf(stderr, "ae_bench: %s expects a non-negative integer, got '%s'\n", k.c_str(), v.c_str());
            return 2;
        }
        if (k == "--epochs") epochs = n;
        else if (k == "--batches") batches = n;
        else if (k == "--threads") threads = n;
        else if (k == "--batch-size") batch = n;
        else if (k == "--block-columns") block_columns = n;
        else {
            std::fprintf(stderr, "ae_bench: unknown flag %s\n", k.c_str());
            return usage();
        }
    }
    if (epochs < 1 || threads < 1 || batch < 1) {
        std::fprintf(stderr, "ae_bench: --epochs, --threads and --batch-size must be >= 1\n");
        return 2;
    }
    try {
        auto model = bench::make_model(name);
        if (!model) {
            std::fprintf(stderr, "ae_bench: unknown model '%s'\n", name.c_str());
            return usage();
        }
        if (block_columns > 0) set_block_columns(*model, block_columns);
        ae::set_num_threads(int(threads));
        auto mnist = ae::data::load_mnist<float>(data);
        const ae::Index full = mnist.train.x.cols();
        const ae::Index n = batches > 0 ? std::min<ae::Index>(full, batches * batch) : full;
        if (n < full) mnist.train.x.conservativeResize(Eigen::NoChange, n);  // the first n images
        const ae::Matrix<float>& x = mnist.train.x;
        const double scale = double(full) / double(n);

        std::printf("model %s\n", name.c_str());
        std::printf("threads %ld\nbatch_size %ld\ntimed_epochs %ld\n", threads, batch, epochs);
        if (block_columns > 0) std::printf("block_columns %ld\n", block_columns);
        std::printf("images_per_timed_epoch %ld\n", long(n));
        if (n < full)
            std::printf("# each epoch trains on the first %ld batches (%ld images); its time is scaled by %.4f "
                        "to a full %ld-image epoch\n",
                        batches, long(n), scale, long(full));
        std::fflush(stdout);

        // ---- training: one warm-up epoch, then `epochs` timed ones (fit times each epoch itself,
        // shuffling and batch gathering included)
        auto printer = std::make_shared<EpochPrinter>(scale);
        const auto h = model->fit(x, x, {.epochs = int(epochs) + 1, .batch_size = batch, .seed = 1, .verbose = 0},
                                  {printer});
        std::vector<double> times;
        for (long e = 1; e <= epochs; ++e) times.push_back(h["seconds"][std::size_t(e)] * scale);
        const double spe = median(times);

        // ---- inference: predict (inference mode, no gradients) on the test set, batch 256, into
        // one output matrix for all passes (as torch_bench.py fills one preallocated tensor)
        const ae::Matrix<float>& xt = mnist.test.x;
        std::vector<double> passes;
        ae::Matrix<float> out;
        for (int p = 0; p <= 3; ++p) {
            const auto t0 = std::chrono::steady_clock::now();
            model->predict(xt, out, 256);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (!out.allFinite()) throw ae::Error("ae_bench: non-finite predictions");
            if (p > 0) passes.push_back(s);
        }
        const double ips = double(xt.cols()) / median(passes);

        std::printf("seconds_per_epoch_median %.4f\n", spe);
        std::printf("train_loss %.6f\n", h["loss"].back());
        std::printf("inference_images_per_second %.0f\n", ips);
        if (bench::is_dense(name)) {
            const double gflop = bench::training_flops_per_sample(bench::dense_shapes(*model)) * double(full) * 1e-9;
            std::printf("gflop_per_epoch %.3f\n", gflop);
            std::printf("gflops_achieved %.2f\n", gflop / spe);
        }
        std::printf("peak_rss_mb %.1f\n", peak_rss_mb());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "ae_bench: %s\n", e.what());
        return 1;
    }
}
