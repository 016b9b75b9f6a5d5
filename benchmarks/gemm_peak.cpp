// The machine's single-precision GEMM limit, measured through the product path ae's Dense uses
// (ae::parallel_product: the output's columns split across ae's threads, one Eigen GEMM each).
//
//   gemm_peak [--threads N] [--batch-size N] [--seconds S]
//
// For each dense benchmark model (bench_models.hpp) it replays the GEMMs of one training step at
// batch 256, in the order fit runs them, with Dense's exact expressions:
//   forward   y(out×B)   = W(out×in) · x(in×B)
//   backward  dW(out×in) += dz(out×B) · x(in×B)ᵀ
//             dx(in×B)   = W(out×in)ᵀ · dz(out×B)      (not for the first layer)
// and reports the rate of that sequence ("gemm_model_gflops <model> X"): the fastest a model whose
// time were all GEMM could train on this machine. It also times a square 1024³ product. Output:
//   gemm_product <what> <m>x<k>x<n> <GFLOP/s>       the vanilla step's products one by one
//                                                   (dst m×n, inner dimension k)
//   gemm_model_gflops <model> <GFLOP/s>
//   gemm_square_1024_gflops <GFLOP/s>
//   gemm_peak_gflops <GFLOP/s>                       the best of all the above
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "ae/ae.hpp"
#include "bench_models.hpp"

namespace {

using ae::Index;
using Mat = ae::Matrix<float>;

// Best rate (GFLOP/s) of `run` (doing `flops` FLOPs per call) over 3 rounds of >= `seconds`/3 each.
double rate(const std::function<void()>& run, double flops, double seconds) {
    for (int i = 0; i < 3; ++i) run();  // warm caches, page in the buffers, start the threads
    double best = 0;
    for (int round = 0; round < 3; ++round) {
        long calls = 0;
        const auto t0 = std::chrono::steady_clock::now();
        double elapsed = 0;
        do {
            run();
            ++calls;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (elapsed < seconds / 3);
        best = std::max(best, flops * double(calls) / elapsed * 1e-9);
    }
    return best;
}

Mat random_matrix(Index rows, Index cols, ae::Rng& rng) {
    Mat m(rows, cols);
    rng.fill_uniform(m, -1.0, 1.0);
    return m;
}

// The buffers of one Dense layer in → out at batch b.
struct LayerBuffers {
    Mat W, x, y, dz, dW, dx;
    LayerBuffers(Index in, Index out, Index b, ae::Rng& rng)
        : W(random_matrix(out, in, rng)), x(random_matrix(in, b, rng)), y(out, b), dz(random_matrix(out, b, rng)),
          dW(Mat::Zero(out, in)), dx(in, b) {}
    void forward() { ae::parallel_product(y, W, x, false); }
    void weight_grad() { ae::parallel_product(dW, dz, x.transpose(), true); }
    void input_grad() { ae::parallel_product(dx, W.transpose(), dz, false); }
};

}  // namespace

int main(int argc, char** argv) {
    long threads = 2, batch = 256;
    double seconds = 1.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--threads") threads = std::atol(v.c_str());
        else if (k == "--batch-size") batch = std::atol(v.c_str());
        else if (k == "--seconds") seconds = std::atof(v.c_str());
        else {
            std::fprintf(stderr, "usage: gemm_peak [--threads N] [--batch-size N] [--seconds S]\n");
            return 2;
        }
    }
    if (threads < 1 || batch < 1 || !(seconds > 0)) {
        std::fprintf(stderr, "gemm_peak: --threads, --batch-size and --seconds must be positive\n");
        return 2;
    }
    try {
        ae::set_num_threads(int(threads));
        ae::Rng rng(7);
        std::printf("threads %ld\nbatch_size %ld\n", threads, batch);
        double peak = 0;

        for (const auto& name : bench::model_names) {
            if (!bench::is_dense(name)) continue;
            const auto shapes = bench::dense_shapes(*bench::make_model(name));
            std::vector<LayerBuffers> layers;
            layers.reserve(shapes.size());
            for (const auto& s : shapes) layers.emplace_back(s.in, s.out, batch, rng);
            const double flops = bench::training_flops_per_sample(shapes) * double(batch);

            if (name == "vanilla") {  // one line per product, to see which shapes are slow
                auto one = [&](const char* what, Index m, Index k, Index n, const std::function<void()>& run) {
                    const double r = rate(run, 2.0 * double(m) * double(k) * double(n), seconds / 4);
                    peak = std::max(peak, r);
                    std::printf("gemm_product %s %ldx%ldx%ld %.1f\n", what, long(m), long(k), long(n), r);
                    std::fflush(stdout);
                };
                for (std::size_t i = 0; i < layers.size(); ++i) {
                    auto& l = layers[i];
                    const Index in = shapes[i].in, out = shapes[i].out;
                    one("forward_W·x", out, in, batch, [&] { l.forward(); });
                    one("dW+=dz·xT", out, batch, in, [&] { l.weight_grad(); });
                    if (i > 0) one("dx=WT·dz", in, out, batch, [&] { l.input_grad(); });
                }
            }
            auto step = [&] {
                for (auto& l : layers) l.forward();
                for (std::size_t i = layers.size(); i-- > 0;) {
                    layers[i].weight_grad();
                    if (i > 0) layers[i].input_grad();
                }
            };
            const double r = rate(step, flops, seconds);
            peak = std::max(peak, r);
            std::printf("gemm_model_gflops %s %.1f\n", name.c_str(), r);
            std::fflush(stdout);
        }

        const Index n = 1024;
        Mat a = random_matrix(n, n, rng), b = random_matrix(n, n, rng), c(n, n);
        const double square = rate([&] { ae::parallel_product(c, a, b, false); }, 2.0 * double(n) * n * n, seconds);
        peak = std::max(peak, square);
        std::printf("gemm_square_1024_gflops %.1f\n", square);
        std::printf("gemm_peak_gflops %.1f\n", peak);
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "gemm_peak: %s\n", e.what());
        return 1;
    }
}
