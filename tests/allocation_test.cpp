// Steady-state training allocates nothing: after the first two batches, every training step
// (gather → forward → loss → backward → optimizer step) of every model kind makes zero heap
// allocations.
//
// Counted by replacing glibc's malloc family for this test executable (glibc supports this; the
// replacements forward to __libc_malloc & co.). That catches everything: operator new, Eigen's
// aligned_malloc and the C library all end in malloc. Sanitizer builds intercept malloc
// themselves, so there this file compiles to nothing (the ASan/TSan runs do not list its tests).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AE_ALLOC_TEST_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define AE_ALLOC_TEST_ENABLED 0
#endif
#endif
#ifndef AE_ALLOC_TEST_ENABLED
#define AE_ALLOC_TEST_ENABLED 1
#endif

#if AE_ALLOC_TEST_ENABLED
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <memory>

#include "ae/ae.hpp"
#include "test_support.hpp"

namespace {
std::atomic<long long> alloc_test_count{0};
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    alloc_test_count.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
    alloc_test_count.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
    alloc_test_count.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
    alloc_test_count.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) { return memalign(align, n); }
int posix_memalign(void** out, std::size_t align, std::size_t n) {
    void* p = memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
void free(void* p) { __libc_free(p); }
}

namespace {

using ae::Activation;
using ae::LayerPtr;
using ae::Shape;

// Records the allocations of each training step: the count between two consecutive batch ends
// of one epoch is exactly one step.
class AllocationRecorder : public ae::Callback<float> {
public:
    bool on_batch_end(ae::Sequential<float>&, const ae::TrainingState& st) override {
        const long long now = alloc_test_count.load();
        if (st.batch > 0 && steps_seen_ >= 2) per_step_.push_back(now - last_);
        ++steps_seen_;
        last_ = now;
        return false;
    }
    void reserve(std::size_t n) { per_step_.reserve(n); }
    const std::vector<long long>& per_step() const { return per_step_; }

private:
    long long last_ = 0;
    int steps_seen_ = 0;
    std::vector<long long> per_step_;
};

struct AllocTestModel {
    std::string name;
    std::shared_ptr<ae::Sequential<float>> model;
    Shape input;
};

std::shared_ptr<ae::Sequential<float>> alloc_test_compiled(std::shared_ptr<ae::Sequential<float>> m,
                                                           std::shared_ptr<ae::Optimizer<float>> opt) {
    m->compile(std::move(opt), std::make_shared<ae::BinaryCrossEntropy<float>>());
    return m;
}

std::vector<AllocTestModel> alloc_test_models() {
    using namespace ae;
    std::vector<AllocTestModel> out;
    out.push_back({"vanilla", recipes::vanilla<float>(784, {128, 64}, 32).autoencoder, Shape{784}});
    out.push_back({"sparse", recipes::sparse<float>(784, {128, 64}, 32, 1e-5).autoencoder, Shape{784}});
    out.push_back({"tied", recipes::tied<float>(784, {128, 64}, 32).autoencoder, Shape{784}});
    out.push_back({"vae", recipes::variational<float>(784, {64}, 2).autoencoder, Shape{784}});
    {
        std::vector<LayerPtr<float>> enc{std::make_shared<Dense<float>>(100, Activation::selu),
                                         std::make_shared<Dense<float>>(30, Activation::selu)};
        std::vector<LayerPtr<float>> dec{std::make_shared<Dense<float>>(100, Activation::selu),
                                         std::make_shared<Dense<float>>(784, Activation::sigmoid)};
        auto parts = recipes::assemble<float>(Shape{784}, std::move(enc), std::move(dec), 42);
        out.push_back({"stacked selu (SGD)", alloc_test_compiled(parts.autoencoder, std::make_shared<SGD<float>>(1.5)),
                       Shape{784}});
    }
    {
        std::vector<LayerPtr<float>> enc{std::make_shared<GaussianNoise<float>>(0.2),
                                         std::make_shared<Dropout<float>>(0.3),
                                         std::make_shared<Dense<float>>(64, Activation::relu),
                                         std::make_shared<KLSparsity<float>>(0.1, 0.5)};
        std::vector<LayerPtr<float>> dec{std::make_shared<Dense<float>>(784, Activation::sigmoid)};
        auto parts = recipes::assemble<float>(Shape{784}, std::move(enc), std::move(dec), 42);
        out.push_back({"denoising + KL sparsity", alloc_test_compiled(parts.autoencoder, std::make_shared<Adam<float>>()),
                       Shape{784}});
    }
    out.push_back({"contractive", recipes::contractive<float>(784, {64}, 16, 1e-4).autoencoder, Shape{784}});
    out.push_back({"conv", recipes::convolutional<float>(Shape{28, 28, 1}, {16, 8, 8}, Shape{4, 4, 8}).autoencoder,
                   Shape{28, 28, 1}});
    out.push_back({"conv book", recipes::conv_book<float>().autoencoder, Shape{28, 28, 1}});
    out.push_back({"lstm", recipes::recurrent<float>().autoencoder, Shape{28, 28}});
    {
        std::vector<LayerPtr<float>> enc{std::make_shared<GRU<float>>(32, true), std::make_shared<GRU<float>>(16)};
        std::vector<LayerPtr<float>> dec{
            std::make_shared<RepeatVector<float>>(28), std::make_shared<GRU<float>>(32, true),
            std::make_shared<TimeDistributed<float>>(std::make_shared<Dense<float>>(28, Activation::sigmoid))};
        auto parts = recipes::assemble<float>(Shape{28, 28}, std::move(enc), std::move(dec), 42);
        out.push_back({"gru", alloc_test_compiled(parts.autoencoder, std::make_shared<Adam<float>>()), Shape{28, 28}});
    }
    return out;
}

}  // namespace

TEST_CASE("The allocation count sees operator new and Eigen matrices", "[allocation]") {
    const long long before = alloc_test_count.load();
    auto v = std::make_unique<std::vector<int>>(1000);
    REQUIRE(alloc_test_count.load() >= before + 2);
    const long long mid = alloc_test_count.load();
    ae::Matrix<float> m(64, 64);
    m.setZero();
    REQUIRE(alloc_test_count.load() == mid + 1);
    m.resize(128, 64);
    REQUIRE(alloc_test_count.load() == mid + 2);
}

TEST_CASE("After two batches a training step allocates nothing, for every model kind", "[allocation]") {
    const int threads = GENERATE(1, 2);
    ae::set_num_threads(threads);
    for (auto& m : alloc_test_models()) {
        INFO("model " << m.name << ", threads " << threads);
        const ae::Index batch = 32, batches = 4;
        ae::Matrix<float> x = ae::testing::manifold_data(m.input.size(), batch * batches, 7, 3);
        auto recorder = std::make_shared<AllocationRecorder>();
        recorder->reserve(64);
        m.model->fit(x, x, {.epochs = 2, .batch_size = batch, .verbose = 0}, {recorder});
        // Epoch 1: batches 3 and 4; epoch 2: batches 2, 3, 4 (the first batch of an epoch
        // follows the epoch's end, whose History and callbacks may allocate).
        REQUIRE(recorder->per_step().size() == 5);
        for (long long n : recorder->per_step()) CHECK(n == 0);
    }
    ae::set_num_threads(2);
}

#endif  // AE_ALLOC_TEST_ENABLED
