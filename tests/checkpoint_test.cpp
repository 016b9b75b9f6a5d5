// Checkpoints (io/checkpoint_file.hpp, training/model_checkpoint.hpp), fit(resume_from),
// divergence (TerminateOnNaN on by default, check_finite_inputs), target range checks, and
// failing saves of model files and checkpoints.
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "ae/io/checkpoint_file.hpp"
#include "ae/io/model_file.hpp"
#include "ae/training/model_checkpoint.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// A denoising autoencoder with dropout: both layer Rngs matter for bit-identical resumes.
std::shared_ptr<Sequential<float>> checkpoint_noisy_model(std::uint64_t seed,
                                                           std::shared_ptr<Optimizer<float>> optimizer = nullptr) {
    auto model = std::make_shared<Sequential<float>>(
        Shape{12}, std::vector<LayerPtr<float>>{std::make_shared<GaussianNoise<float>>(0.2),
                                                std::make_shared<Dense<float>>(8, Activation::relu),
                                                std::make_shared<Dropout<float>>(0.3),
                                                std::make_shared<Dense<float>>(12, Activation::sigmoid)},
        seed);
    model->compile(optimizer ? optimizer : std::make_shared<Adam<float>>(0.01),
                   std::make_shared<BinaryCrossEntropy<float>>());
    return model;
}

std::vector<Matrix<float>> checkpoint_weights(Sequential<float>& model) {
    std::vector<Matrix<float>> w;
    for (auto& p : model.parameters()) w.push_back(*p.value);
    return w;
}

bool checkpoint_same_bits(const Matrix<float>& a, const Matrix<float>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0;
}

void checkpoint_require_same(const std::vector<Matrix<float>>& a, const std::vector<Matrix<float>>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("matrix " << i);
        REQUIRE(checkpoint_same_bits(a[i], b[i]));
    }
}

std::vector<std::uint8_t> checkpoint_read_bytes(const std::string& path) { return read_file_bytes(path); }

// Set or clear the immutable attribute of a folder (ext4 and most Linux file systems): an
// immutable folder refuses new entries even for root, which chmod cannot achieve.
bool checkpoint_set_immutable(const std::string& folder, bool on) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return false;
    int flags = 0;
    bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok) {
        flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
        ok = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    ::close(fd);
    return ok;
}

struct CheckpointImmutableFolder {
    std::string folder;
    bool active;
    explicit CheckpointImmutableFolder(std::string f) : folder(std::move(f)), active(checkpoint_set_immutable(folder, true)) {}
    ~CheckpointImmutableFolder() {
        if (active) checkpoint_set_immutable(folder, false);
    }
};

std::vector<std::string> checkpoint_temporaries(const std::string& folder) {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(folder))
        if (e.path().extension() == ".tmp") out.push_back(e.path().string());
    return out;
}

// Records the weights and the loss after every batch.
struct CheckpointBatchRecorder : Callback<float> {
    std::vector<std::vector<Matrix<float>>> weights;
    std::vector<double> losses;
    std::vector<std::pair<int, Index>> where;
    bool on_batch_end(Sequential<float>& model, const TrainingState& st) override {
        weights.push_back(checkpoint_weights(model));
        losses.push_back(st.batch_loss);
        where.emplace_back(st.epoch, st.batch);
        return false;
    }
};

}  // namespace

// ====================================================================== round trip and resume
TEST_CASE("checkpoint: a checkpoint holds the weights, optimizer state, Rngs, order and History bit for bit",
          "[checkpoint]") {
    const std::string folder = fresh_dir("checkpoint_test", "round_trip");
    const Matrix<float> x = manifold_data(12, 90, 1);
    auto model = checkpoint_noisy_model(3);
    auto ckpt = std::make_shared<ModelCheckpoint<float>>(folder + "/c-{epoch}.aec");
    auto history = model->fit(x, x, {.epochs = 2, .batch_size = 16, .seed = 9, .verbose = 0}, {ckpt});
    REQUIRE(ckpt->last_saved() == folder + "/c-000002.aec");

    const Checkpoint<float> c = load_checkpoint<float>(ckpt->last_saved());
    REQUIRE(c.epochs_done == 2);
    REQUIRE(c.batch_size == 16);
    REQUIRE(c.input_shape == Shape{12});
    REQUIRE(c.layer_types.front() == "Sequential");
    checkpoint_require_same(c.weights, checkpoint_weights(*model));
    REQUIRE(c.optimizer == "Adam");
    REQUIRE(c.learning_rate == 0.01);
    REQUIRE(c.iterations == model->optimizer()->iterations());
    REQUIRE(c.iterations == 2 * 6);  // 90 samples in batches of 16: 6 steps per epoch
    auto& state = model->optimizer()->state();
    REQUIRE(c.optimizer_state.size() == state.size());
    for (std::size_t i = 0; i < state.size(); ++i) checkpoint_require_same(c.optimizer_state[i], state[i]);
    REQUIRE(c.layer_rngs.size() == 2);  // GaussianNoise and Dropout, in model order
    REQUIRE(c.rng_layers[0] == model->layer(0)->name());
    REQUIRE(c.rng_layers[1] == model->layer(2)->name());
    REQUIRE(c.layer_rngs[0].s == model->layer(0)->rng()->state().s);
    REQUIRE(c.layer_rngs[1].s == model->layer(2)->rng()->state().s);
    REQUIRE(c.order.size() == 90);
    REQUIRE(c.history.metrics() == history.metrics());

    // ae::load reads the model out of a checkpoint.
    auto loaded = load_as<float, Sequential<float>>(ckpt->last_saved());
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
}

TEST_CASE("checkpoint: resuming gives weights and History bit-identical to an uninterrupted run",
          "[checkpoint][resume]") {
    set_num_threads(1);
    const std::string folder = fresh_dir("checkpoint_test", "resume");
    const Matrix<float> x = manifold_data(12, 100, 2), x_val = manifold_data(12, 30, 3);
    const FitOptions<float> options{.epochs = 7, .batch_size = 16, .seed = 4, .validation_data = {x_val, x_val}, .verbose = 0};

    auto straight = checkpoint_noisy_model(5);
    auto full_history = straight->fit(x, x, options);

    // Stop after 3 epochs, then continue in a new model object, as a new process would.
    auto first = checkpoint_noisy_model(5);
    auto stop_early = options;
    stop_early.epochs = 3;
    first->fit(x, x, stop_early, {std::make_shared<ModelCheckpoint<float>>(folder + "/r-{epoch}.aec")});
    REQUIRE(latest_checkpoint(folder + "/r-{epoch}.aec") == folder + "/r-000003.aec");

    auto second = checkpoint_noisy_model(5);
    auto resumed = options;
    resumed.resume_from = latest_checkpoint(folder + "/r-{epoch}.aec");
    auto history = second->fit(x, x, resumed);

    checkpoint_require_same(checkpoint_weights(*second), checkpoint_weights(*straight));
    REQUIRE(history.epochs() == 7);
    REQUIRE(history["loss"] == full_history["loss"]);
    REQUIRE(history["val_loss"] == full_history["val_loss"]);
    REQUIRE(second->optimizer()->iterations() == straight->optimizer()->iterations());

}

TEST_CASE("checkpoint: resume restores SGD momentum and Nadam too", "[checkpoint][resume]") {
    set_num_threads(1);
    const std::string folder = fresh_dir("checkpoint_test", "optimizers");
    const Matrix<float> x = manifold_data(12, 64, 6);
    for (int kind = 0; kind < 2; ++kind) {
        auto make = [&] {
            std::shared_ptr<Optimizer<float>> o;
            if (kind == 0) o = std::make_shared<SGD<float>>(0.05, 0.9, true);
            else o = std::make_shared<Nadam<float>>(0.01);
            return checkpoint_noisy_model(8, o);
        };
        auto straight = make();
        straight->fit(x, x, {.epochs = 4, .batch_size = 8, .verbose = 0});
        auto first = make();
        const std::string path = folder + "/opt" + std::to_string(kind) + ".aec";
        first->fit(x, x, {.epochs = 2, .batch_size = 8, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});
        auto second = make();
        second->fit(x, x, {.epochs = 4, .batch_size = 8, .verbose = 0, .resume_from = path});
        INFO("optimizer " << straight->optimizer()->name());
        checkpoint_require_same(checkpoint_weights(*second), checkpoint_weights(*straight));
    }
}

TEST_CASE("checkpoint: writing checkpoints does not change gradients, optimizer state or weights",
          "[checkpoint]") {
    set_num_threads(1);
    const std::string folder = fresh_dir("checkpoint_test", "untouched");
    const Matrix<float> x = manifold_data(12, 80, 7);
    auto plain = checkpoint_noisy_model(2);
    plain->fit(x, x, {.epochs = 3, .batch_size = 16, .verbose = 0});
    auto saved = checkpoint_noisy_model(2);
    saved->fit(x, x, {.epochs = 3, .batch_size = 16, .verbose = 0},
               {std::make_shared<ModelCheckpoint<float>>(folder + "/u-{epoch}.aec")});
    checkpoint_require_same(checkpoint_weights(*saved), checkpoint_weights(*plain));
    auto pp = plain->parameters(), sp = saved->parameters();
    for (std::size_t i = 0; i < pp.size(); ++i) REQUIRE(checkpoint_same_bits(*pp[i].grad, *sp[i].grad));
    auto& ps = plain->optimizer()->state();
    auto& ss = saved->optimizer()->state();
    REQUIRE(ps.size() == ss.size());
    for (std::size_t i = 0; i < ps.size(); ++i) checkpoint_require_same(ps[i], ss[i]);
    REQUIRE(fs::exists(folder + "/u-000003.aec"));
}

TEST_CASE("checkpoint: every_n_epochs, keep_last_n and latest_checkpoint", "[checkpoint]") {
    const std::string folder = fresh_dir("checkpoint_test", "names");
    const Matrix<float> x = manifold_data(12, 32, 8);
    const std::string pattern = folder + "/k-{epoch}.aec";
    REQUIRE(latest_checkpoint(pattern).empty());
    write_bytes(folder + "/.k-000001.aec.0123456789abcdef.tmp", {1, 2});  // a killed write's leftover
    write_bytes(folder + "/k-notes.aec", {1});                              // not a checkpoint name
    auto model = checkpoint_noisy_model(1);
    model->fit(x, x, {.epochs = 9, .batch_size = 16, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(pattern, 2, 2)});
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    REQUIRE(names == std::vector<std::string>{"k-000006.aec", "k-000008.aec", "k-notes.aec"});
    REQUIRE(latest_checkpoint(pattern) == folder + "/k-000008.aec");
    REQUIRE(load_checkpoint<float>(latest_checkpoint(pattern)).epochs_done == 8);

    const std::string single = folder + "/single.aec";
    REQUIRE(latest_checkpoint(single).empty());
    model->fit(x, x, {.epochs = 3, .batch_size = 16, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(single)});
    REQUIRE(latest_checkpoint(single) == single);
    REQUIRE(load_checkpoint<float>(single).epochs_done == 3);

    AE_REQUIRE_THROWS(ModelCheckpoint<float>(single, 1, 3), ConfigError, Contains("{epoch}"));
    AE_REQUIRE_THROWS(ModelCheckpoint<float>(pattern, 0), ConfigError, Contains("every_n_epochs"));
    AE_REQUIRE_THROWS(ModelCheckpoint<float>(pattern, 1, -1), ConfigError, Contains("keep_last_n"));
    AE_REQUIRE_THROWS(ModelCheckpoint<float>(folder + "/{epoch}/c.aec"), ConfigError, Contains("file name"));
}

TEST_CASE("checkpoint: resuming with another model, optimizer, batch size or data throws ConfigError and changes nothing",
          "[checkpoint][resume][errors]") {
    const std::string folder = fresh_dir("checkpoint_test", "mismatch");
    const Matrix<float> x = manifold_data(12, 48, 9);
    const std::string path = folder + "/m.aec";
    auto model = checkpoint_noisy_model(1);
    model->fit(x, x, {.epochs = 1, .batch_size = 16, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});

    auto other = checkpoint_noisy_model(2, std::make_shared<RMSprop<float>>());
    const auto before = checkpoint_weights(*other);
    AE_REQUIRE_THROWS(other->fit(x, x, {.epochs = 2, .batch_size = 16, .verbose = 0, .resume_from = path}), ConfigError,
                      Contains("Adam") && Contains("RMSprop"));
    AE_REQUIRE_THROWS(model->fit(x, x, {.epochs = 2, .batch_size = 8, .verbose = 0, .resume_from = path}), ConfigError,
                      Contains("batch_size 16") && Contains("8"));
    const Matrix<float> fewer = x.leftCols(40);
    AE_REQUIRE_THROWS(model->fit(fewer, fewer, {.epochs = 2, .batch_size = 16, .verbose = 0, .resume_from = path}),
                      ConfigError, Contains("48 samples") && Contains("40"));
    auto wider = std::make_shared<Sequential<float>>(
        Shape{12}, std::vector<LayerPtr<float>>{std::make_shared<GaussianNoise<float>>(0.2),
                                                std::make_shared<Dense<float>>(9, Activation::relu),
                                                std::make_shared<Dropout<float>>(0.3),
                                                std::make_shared<Dense<float>>(12, Activation::sigmoid)});
    wider->compile(std::make_shared<Adam<float>>(), std::make_shared<BinaryCrossEntropy<float>>());
    AE_REQUIRE_THROWS(wider->fit(x, x, {.epochs = 2, .batch_size = 16, .verbose = 0, .resume_from = path}), ConfigError,
                      Contains("8×12") && Contains("9×12"));
    checkpoint_require_same(checkpoint_weights(*other), before);
    REQUIRE(other->optimizer()->iterations() == 0);
    AE_REQUIRE_THROWS(model->fit(x, x, {.epochs = 2, .verbose = 0, .resume_from = folder + "/none.aec"}), IoError,
                      Contains("none.aec"));
}

// ====================================================================== broken files
TEST_CASE("checkpoint: flipping any byte of a small checkpoint is detected", "[checkpoint][errors]") {
    const std::string folder = fresh_dir("checkpoint_test", "flip");
    const Matrix<float> x = manifold_data(3, 8, 1);
    auto model = std::make_shared<Sequential<float>>(
        Shape{3}, std::vector<LayerPtr<float>>{std::make_shared<Dropout<float>>(0.1), std::make_shared<Dense<float>>(3)}, 1);
    model->compile(std::make_shared<Adam<float>>(), std::make_shared<MSE<float>>());
    const std::string path = folder + "/small.aec";
    model->fit(x, x, {.epochs = 1, .batch_size = 4, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});
    const auto good = checkpoint_read_bytes(path);
    REQUIRE(good.size() > 300);
    const std::string bad = folder + "/bad.aec";
    std::size_t checked = 0;
    for (std::uint8_t mask : {std::uint8_t(0x01), std::uint8_t(0x80), std::uint8_t(0xFF)})
        for (std::size_t i = 0; i < good.size(); ++i) {
            auto bytes = good;
            bytes[i] ^= mask;
            write_bytes(bad, bytes);
            INFO("byte " << i << " of " << good.size() << " xor " << int(mask));
            REQUIRE_THROWS_AS(load_checkpoint<float>(bad), FormatError);
            REQUIRE_THROWS_AS(load<float>(bad), FormatError);
            ++checked;
        }
    REQUIRE(checked == 3 * good.size());
    REQUIRE(load_checkpoint<float>(path).epochs_done == 1);
}

TEST_CASE("checkpoint: every truncation of a checkpoint is rejected with FormatError", "[checkpoint][errors]") {
    const std::string folder = fresh_dir("checkpoint_test", "truncate");
    const Matrix<float> x = manifold_data(12, 20, 1);
    auto model = checkpoint_noisy_model(1);
    const std::string path = folder + "/t.aec";
    model->fit(x, x, {.epochs = 2, .batch_size = 8, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});
    const auto good = checkpoint_read_bytes(path);
    const std::string bad = folder + "/t_bad.aec";
    for (std::size_t n = 0; n < good.size(); ++n) {
        write_bytes(bad, std::vector<std::uint8_t>(good.begin(), good.begin() + std::ptrdiff_t(n)));
        INFO("length " << n << " of " << good.size());
        REQUIRE_THROWS_AS(load_checkpoint<float>(bad), FormatError);
    }
    write_bytes(bad, good);
    REQUIRE(load_checkpoint<float>(bad).epochs_done == 2);
}

TEST_CASE("checkpoint: unknown version, checksum mismatch and hostile sizes name expected and found",
          "[checkpoint][errors][hostile]") {
    const std::string folder = fresh_dir("checkpoint_test", "header");
    const Matrix<float> x = manifold_data(12, 20, 1);
    auto model = checkpoint_noisy_model(1);
    const std::string path = folder + "/h.aec";
    model->fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});
    const auto good = checkpoint_read_bytes(path);
    const std::string bad = folder + "/h_bad.aec";

    auto v2 = good;
    v2[8] = 2;
    write_bytes(bad, testing::reframe(v2));
    AE_REQUIRE_THROWS(load_checkpoint<float>(bad), FormatError, Contains("version 2") && Contains("expected 1"));

    auto flipped = good;
    flipped[good.size() - 3] ^= 0x10;
    write_bytes(bad, flipped);
    AE_REQUIRE_THROWS(load_checkpoint<float>(bad), FormatError, Contains("checksum") && Contains("stored"));

    write_bytes(bad, std::vector<std::uint8_t>(good.begin(), good.end() - 1));
    AE_REQUIRE_THROWS(load_checkpoint<float>(bad), FormatError, Contains("truncated"));

    // A model file is not a checkpoint.
    save(*model, bad);
    AE_REQUIRE_THROWS(load_checkpoint<float>(bad), FormatError, Contains("not an ae checkpoint"));

    // Correctly checksummed, but the sample count claims 2^60 entries: rejected before allocating.
    const Checkpoint<float> c = load_checkpoint<float>(path);
    REQUIRE(c.order.size() == 20);
    // Find the u64 sample count (20) followed by the permutation: patch the first candidate that
    // makes load fail with the count message.
    bool found = false;
    for (std::size_t at = 32; at + 8 <= good.size() && !found; ++at) {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t(good[at + i]) << (8 * i);
        if (v != 20) continue;
        auto hostile = good;
        for (int i = 0; i < 8; ++i) hostile[at + i] = std::uint8_t((std::uint64_t(1) << 60) >> (8 * i));
        write_bytes(bad, testing::reframe(hostile));
        try {
            load_checkpoint<float>(bad);
        } catch (const FormatError& e) {
            found = std::string(e.what()).find("1152921504606846976 items") != std::string::npos &&
                    std::string(e.what()).find("sample order") != std::string::npos;
        }
    }
    REQUIRE(found);
}

// ====================================================================== failing saves
TEST_CASE("checkpoint: saving into a missing folder throws IoError naming the path", "[checkpoint][errors]") {
    const std::string folder = fresh_dir("checkpoint_test", "missing");
    const Matrix<float> x = manifold_data(12, 16, 1);
    auto model = checkpoint_noisy_model(1);
    const std::string path = folder + "/no/such/folder/c.aec";
    AE_REQUIRE_THROWS(model->fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0},
                                 {std::make_shared<ModelCheckpoint<float>>(path)}),
                      IoError, Contains(path) && Contains("No such file"));
    AE_REQUIRE_THROWS(save(*model, path), IoError, Contains(path));
    // A path whose parent is a regular file.
    write_bytes(folder + "/plain", {7});
    AE_REQUIRE_THROWS(save(*model, folder + "/plain/m.aem"), IoError, Contains("Not a directory"));
    REQUIRE(checkpoint_read_bytes(folder + "/plain") == std::vector<std::uint8_t>{7});
}

TEST_CASE("checkpoint: saving into a read-only folder throws IoError and the previous file is intact",
          "[checkpoint][errors]") {
    const std::string folder = test_path("checkpoint_test", "ro");
    checkpoint_set_immutable(folder, false);  // a run killed mid-test left it set
    fs::remove_all(folder);
    fs::create_directories(folder);
    const Matrix<float> x = manifold_data(12, 16, 1);
    auto model = checkpoint_noisy_model(1);
    const std::string ckpt = folder + "/c.aec", weights = folder + "/m.aem";
    model->fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(ckpt)});
    save(*model, weights);
    const auto ckpt_before = checkpoint_read_bytes(ckpt), weights_before = checkpoint_read_bytes(weights);

    // Root ignores permission bits, so chmod cannot make a folder read-only here; the immutable
    // attribute (FS_IOC_SETFLAGS) refuses new entries to root too.
    {
        CheckpointImmutableFolder ro(folder);
        if (!ro.active) {
            WARN("cannot set the immutable attribute here (needs CAP_LINUX_IMMUTABLE and ext4-like fs): "
                 "only the /proc and /sys cases below ran");
        } else {
            AE_REQUIRE_THROWS(model->fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0},
                                         {std::make_shared<ModelCheckpoint<float>>(ckpt)}),
                              IoError, Contains(ckpt) && Contains("Operation not permitted"));
            AE_REQUIRE_THROWS(save(*model, weights), IoError, Contains(weights));
        }
    }
    REQUIRE(checkpoint_read_bytes(ckpt) == ckpt_before);
    REQUIRE(checkpoint_read_bytes(weights) == weights_before);
    REQUIRE(checkpoint_temporaries(folder).empty());
    REQUIRE(load_checkpoint<float>(ckpt).epochs_done == 1);

    // Read-only file systems for root as well: /proc and /sys refuse new files.
    AE_REQUIRE_THROWS(save(*model, "/proc/ae_checkpoint_test.aem"), IoError, Contains("/proc/ae_checkpoint_test.aem"));
    AE_REQUIRE_THROWS(save(*model, "/sys/ae_checkpoint_test.aem"), IoError, Contains("/sys/ae_checkpoint_test.aem"));
}

// ====================================================================== divergence
TEST_CASE("divergence: a diverging learning rate stops training, names epoch and batch, keeps the last finite weights",
          "[checkpoint][divergence]") {
    set_num_threads(1);
    const Matrix<float> x = manifold_data(12, 64, 4);
    auto make = [] {
        auto m = std::make_shared<Sequential<float>>(
            Shape{12}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(12, Activation::relu),
                                                    std::make_shared<Dense<float>>(12)},
            3);
        m->compile(std::make_shared<SGD<float>>(40.0), std::make_shared<MSE<float>>());
        return m;
    };
    // Reference: the same run without the guard, weights and loss recorded after every batch.
    auto reference = make();
    auto recorder = std::make_shared<CheckpointBatchRecorder>();
    reference->fit(x, x, {.epochs = 20, .batch_size = 8, .verbose = 0, .terminate_on_nan = false}, {recorder});
    std::size_t first_bad = recorder->losses.size();
    for (std::size_t i = 0; i < recorder->losses.size() && first_bad == recorder->losses.size(); ++i)
        if (!std::isfinite(recorder->losses[i])) first_bad = i;
    REQUIRE(first_bad < recorder->losses.size());  // it does diverge
    REQUIRE(first_bad > 0);
    // The newest weights that were all finite after a batch with a finite loss.
    std::size_t last_good = first_bad;
    for (std::size_t i = first_bad; i-- > 0 && last_good == first_bad;) {
        bool finite = true;
        for (auto& m : recorder->weights[i]) finite = finite && m.allFinite();
        if (finite) last_good = i;
    }
    REQUIRE(last_good < first_bad);

    auto guarded = make();
    auto history = guarded->fit(x, x, {.epochs = 20, .batch_size = 8, .verbose = 0});
    const auto [epoch, batch] = recorder->where[first_bad];
    INFO(history.stop_reason());
    REQUIRE_THAT(history.stop_reason(), Contains("TerminateOnNaN") &&
                                            Contains("epoch " + std::to_string(epoch + 1) + "/20") &&
                                            Contains("batch " + std::to_string(batch + 1) + "/8"));
    REQUIRE(history.epochs() == std::size_t(epoch + 1));
    checkpoint_require_same(checkpoint_weights(*guarded), recorder->weights[last_good]);
    for (auto& p : guarded->parameters()) REQUIRE(p.value->allFinite());
}

TEST_CASE("divergence: NaN or Inf in the data is rejected at fit unless check_finite_inputs is off",
          "[checkpoint][divergence][errors]") {
    auto model = checkpoint_noisy_model(1);
    Matrix<float> x = manifold_data(12, 30, 1);
    x(4, 17) = std::numeric_limits<float>::infinity();
    AE_REQUIRE_THROWS(model->fit(x, x, {.verbose = 0}), ConfigError,
                      Contains("inputs") && Contains("sample 17") && Contains("feature 4") && Contains("inf"));
    Matrix<float> clean = manifold_data(12, 30, 2), dirty_val = clean;
    dirty_val(0, 3) = std::numeric_limits<float>::quiet_NaN();
    AE_REQUIRE_THROWS(model->fit(clean, clean, {.validation_data = {dirty_val, clean}, .verbose = 0}), ConfigError,
                      Contains("validation inputs") && Contains("sample 3"));
    // MSE accepts any target, so with the check off a NaN in the data reaches the loss and the
    // default TerminateOnNaN stops at its batch.
    auto mse = std::make_shared<Sequential<float>>(Shape{12}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(12)});
    mse->compile(std::make_shared<Adam<float>>(), std::make_shared<MSE<float>>());
    auto h = mse->fit(x, x, {.epochs = 3, .batch_size = 10, .shuffle = false, .verbose = 0, .check_finite_inputs = false});
    REQUIRE_THAT(h.stop_reason(), Contains("epoch 1/3") && Contains("batch 2/3"));
    for (auto& p : mse->parameters()) REQUIRE(p.value->allFinite());
}

TEST_CASE("validation: targets outside [0, 1] for cross-entropies, and mismatched sizes, are rejected",
          "[checkpoint][errors]") {
    auto model = checkpoint_noisy_model(1);
    Matrix<float> x = manifold_data(12, 20, 1), y = x;
    y(5, 9) = 1.5f;
    AE_REQUIRE_THROWS(model->fit(x, y, {.verbose = 0}), ConfigError,
                      Contains("BinaryCrossEntropy") && Contains("[0, 1]") && Contains("sample 9") && Contains("1.5"));
    AE_REQUIRE_THROWS(model->evaluate(x, y), ConfigError, Contains("evaluate"));

    auto classifier = std::make_shared<Sequential<float>>(
        Shape{12}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(3, Activation::softmax)});
    classifier->compile(std::make_shared<Adam<float>>(), std::make_shared<CategoricalCrossEntropy<float>>());
    Matrix<float> labels = Matrix<float>::Zero(3, 20);
    for (Index j = 0; j < 20; ++j) labels(j % 3, j) = 1;
    REQUIRE_NOTHROW(classifier->fit(x, labels, {.epochs = 1, .verbose = 0}));
    labels(1, 4) = -1;
    AE_REQUIRE_THROWS(classifier->fit(x, labels, {.epochs = 1, .verbose = 0}), ConfigError,
                      Contains("CategoricalCrossEntropy") && Contains("sample 4"));
    // Rows and columns (already checked by fit, evaluate and predict).
    const Matrix<float> wrong_rows = Matrix<float>::Zero(11, 20);
    REQUIRE_THROWS_AS(model->predict(wrong_rows), ShapeError);
    REQUIRE_THROWS_AS(model->evaluate(x, wrong_rows), ShapeError);
    REQUIRE_THROWS_AS(model->fit(x, Matrix<float>(x.leftCols(19)), {.verbose = 0}), ShapeError);
}
