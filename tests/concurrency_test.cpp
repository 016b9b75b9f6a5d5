// predict and evaluate on one model shared by several std::threads give exactly the results of
// a single-threaded call (Sequential serialises them with a mutex; see models/sequential.hpp).
// scripts/tsan.sh runs this file under ThreadSanitizer.
#include <thread>

#include "ae/ae.hpp"
#include "test_support.hpp"

using namespace ae;

namespace {

constexpr int concurrency_threads = 4;
constexpr int concurrency_repeats = 3;

// Every thread calls work() `concurrency_repeats` times at once on the shared model and keeps
// each result; returns them all.
template <class R, class F>
std::vector<R> concurrency_run_shared(F work) {
    std::vector<R> results(concurrency_threads * concurrency_repeats);
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency_threads; ++t)
        threads.emplace_back([&, t] {
            for (int k = 0; k < concurrency_repeats; ++k) results[std::size_t(t * concurrency_repeats + k)] = work();
        });
    for (auto& th : threads) th.join();
    return results;
}

template <class Model>
void concurrency_check_predict(Model& model, Index features, std::uint64_t seed) {
    Matrix<float> x(features, 61);  // 61 samples in batches of 8: many batches, a short last one
    Rng rng(seed);
    rng.fill_uniform(x, 0.0, 1.0);
    const Matrix<float> expected = model.predict(x, 8);
    REQUIRE(expected.allFinite());
    const auto got = concurrency_run_shared<Matrix<float>>([&] { return model.predict(x, 8); });
    for (const auto& g : got) {
        REQUIRE(g.rows() == expected.rows());
        REQUIRE(g.cols() == expected.cols());
        REQUIRE((g.array() == expected.array()).all());  // bit for bit, not approximately
    }
    const double loss = model.evaluate(x, x, 8);
    const auto losses = concurrency_run_shared<double>([&] { return model.evaluate(x, x, 8); });
    for (double l : losses) REQUIRE(l == loss);
}

}  // namespace

TEST_CASE("Concurrency: predict and evaluate on a dense autoencoder shared by 4 threads match one thread",
          "[concurrency]") {
    auto model = recipes::vanilla<float>(20, {12}, 4).autoencoder;
    concurrency_check_predict(*model, 20, 5);
}

TEST_CASE("Concurrency: predict and evaluate on a conv autoencoder shared by 4 threads match one thread",
          "[concurrency]") {
    auto model = recipes::convolutional<float>(Shape{12, 12, 1}, {2, 2, 2}, Shape{2, 2, 2}).autoencoder;
    concurrency_check_predict(*model, 144, 6);
}

TEST_CASE("Concurrency: predict and evaluate on an LSTM autoencoder shared by 4 threads match one thread",
          "[concurrency]") {
    auto model = recipes::recurrent<float>(4, 3, 5, 2).autoencoder;
    concurrency_check_predict(*model, 12, 7);
}
