#pragma once
// Callbacks: small objects with optional hooks called by fit. A hook returning true stops
// training (after the current batch or epoch). As ensmallen's callbacks and Keras' API.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>
#include <unistd.h>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/param.hpp"
#include "ae/core/param_schedule.hpp"
#include "ae/core/rng.hpp"
#include "ae/training/history.hpp"

namespace ae {

template <class S>
class Sequential;

/// Where fit is: passed to every hook.
struct TrainingState {
    int epoch = 0;            // 0-based
    int epochs = 0;
    Index batch = 0;          // 0-based within the epoch
    Index batches = 0;        // per epoch
    double batch_loss = 0;    // of the batch just trained
    double running_loss = 0;  // mean over the epoch so far
    // fit's own state, read by checkpoints (training/model_checkpoint.hpp); valid during hooks.
    Index batch_size = 0;
    const Rng* shuffle_rng = nullptr;           // the shuffling Rng, after this epoch's shuffle
    const std::vector<Index>* order = nullptr;  // this epoch's sample order
    const History* history = nullptr;           // epochs so far (in on_epoch_end: including this one)
};

template <class S = float>
class Callback {
public:
    virtual ~Callback() = default;
    virtual void on_train_begin(Sequential<S>&, const TrainingState&) {}
    virtual bool on_batch_end(Sequential<S>&, const TrainingState&) { return false; }
    virtual bool on_epoch_end(Sequential<S>&, const TrainingState&, const EpochLogs&) { return false; }
    virtual void on_train_end(Sequential<S>&, const TrainingState&) {}
};

/// Progress: a bar redrawn per batch on a TTY, and one line per epoch
///   "Epoch 3/50 - 1.21s - loss: 0.1043 - val_loss: 0.1021"
template <class S = float>
class ProgressBar : public Callback<S> {
public:
    explicit ProgressBar(std::FILE* out = stdout) : out_(out), tty_(isatty(fileno(out))) {}
    bool on_batch_end(Sequential<S>&, const TrainingState& st) override {
        if (!tty_ || (st.batch % 8 != 0 && st.batch + 1 != st.batches)) return false;
        const int width = 30;
        const int done = int(width * (st.batch + 1) / std::max<Index>(st.batches, 1));
        std::string bar(std::size_t(done), '=');
        bar.resize(width, '.');
        std::fprintf(out_, "\rEpoch %d/%d [%s] %ld/%ld - loss: %.4f", st.epoch + 1, st.epochs, bar.c_str(),
                     long(st.batch + 1), long(st.batches), st.running_loss);
        std::fflush(out_);
        return false;
    }
    bool on_epoch_end(Sequential<S>&, const TrainingState& st, const EpochLogs& logs) override {
        if (tty_) std::fprintf(out_, "\r\033[K");
        std::fprintf(out_, "Epoch %d/%d", st.epoch + 1, st.epochs);
        auto sec = logs.find("seconds");
        if (sec != logs.end()) std::fprintf(out_, " - %.2fs", sec->second);
        for (auto& [k, v] : logs)
            if (k != "seconds") std::fprintf(out_, " - %s: %.4f", k.c_str(), v);
        std::fprintf(out_, "\n");
        std::fflush(out_);
        return false;
    }

private:
    std::FILE* out_;
    bool tty_;
};

/// Stop when a batch loss is NaN or infinite, and put the last finite weights back.
/// fit adds one unless FitOptions::terminate_on_nan is false (or the caller passed its own). It
/// stops training without throwing, as Keras does: fit returns the History so far, whose
/// stop_reason() holds message() ("... at epoch 3/10, batch 17/40 ...", both 1-based).
/// Restored weights: after every batch whose loss is finite, the weights (post-step) are copied
/// into a spare buffer and checked in the same pass; if they are all finite, spare and snapshot
/// swap places (two buffers sized once at train begin, so no allocation and one read of the
/// weights per batch). On a non-finite loss the snapshot is copied back. So the model ends with
/// the newest all-finite weights, which are the weights the failing batch started from whenever
/// those were finite. The optimizer's state is not rolled back (reset() it, or lower the
/// learning rate, before training on).
template <class S = float>
class TerminateOnNaN : public Callback<S> {
public:
    /// verbose: also print the message to stderr.
    explicit TerminateOnNaN(bool verbose = true) : verbose_(verbose) {}

    void on_train_begin(Sequential<S>& model, const TrainingState&) override {
        stopped_ = false;
        message_.clear();
        params_ = model.parameters();  // views, kept for the whole run: no per-batch allocation
        schedule_.plan(params_);
        last_finite_.resize(params_.size());
        spare_.resize(params_.size());
        for (std::size_t i = 0; i < params_.size(); ++i) {  // both sized once here
            last_finite_[i] = *params_[i].value;
            spare_[i] = *params_[i].value;
        }
    }
    bool on_batch_end(Sequential<S>&, const TrainingState& st) override {
        auto& params = params_;
        if (std::isfinite(st.batch_loss)) {
            // Each thread copies the parts the optimizer has just updated on it (the same split).
            non_finite_.store(false, std::memory_order_relaxed);
            schedule_.run_split(memory_cost, [&](std::size_t i, Index begin, Index count) {
                if (!copy_if_finite(params[i].value->data() + begin, spare_[i].data() + begin, count))
                    non_finite_.store(true, std::memory_order_relaxed);
            });
            if (!non_finite_.load(std::memory_order_relaxed))
                last_finite_.swap(spare_);  // swaps the vectors' buffers: no copy, no allocation
            return false;
        }
        for (std::size_t i = 0; i < params.size(); ++i) *params[i].value = last_finite_[i];
        char loss[32];
        std::snprintf(loss, sizeof loss, "%g", st.batch_loss);
        message_ = "TerminateOnNaN: the loss became " + std::string(loss) + " at epoch " +
                   std::to_string(st.epoch + 1) + "/" + std::to_string(st.epochs) + ", batch " +
                   std::to_string(st.batch + 1) + "/" + std::to_string(st.batches) +
                   "; training stopped and the last finite weights restored";
        if (verbose_) std::fprintf(stderr, "%s\n", message_.c_str());
        stopped_ = true;
        return true;
    }
    bool stopped() const { return stopped_; }
    /// Why training stopped (empty unless stopped()).
    const std::string& message() const { return message_; }

private:
    // dst = src, and whether every value is finite, in one pass: 4096 values at a time are
    // copied, then summed times 0 while still in L1 (0·x is 0 for finite x, NaN for NaN or ±inf).
    static bool copy_if_finite(const S* src, S* dst, Index n) {
        using Chunk = Eigen::Array<S, Eigen::Dynamic, 1>;
        S probe = 0;
        for (Index i = 0; i < n; i += 4096) {
            const Index m = std::min<Index>(4096, n - i);
            Eigen::Map<Chunk> d(dst + i, m);
            d = Eigen::Map<const Chunk>(src + i, m);
            probe += (d * S(0)).sum();
        }
        return probe == S(0);
    }

    bool verbose_;
    bool stopped_ = false;
    std::string message_;
    std::vector<Param<S>> params_;
    ParamSchedule<S> schedule_;
    std::vector<Matrix<S>> last_finite_, spare_;
    std::atomic<bool> non_finite_{false};  // set by any thread of one batch's check that finds one
};

/// Stop when `monitor` has not improved by more than min_delta for `patience` epochs.
/// With restore_best_weights, the weights of the best epoch are put back at the end.
template <class S = float>
class EarlyStopping : public Callback<S> {
public:
    explicit EarlyStopping(std::string monitor = "val_loss", int patience = 0, double min_delta = 0.0,
                           bool restore_best_weights = false)
        : monitor_(std::move(monitor)), patience_(patience), min_delta_(min_delta), restore_(restore_best_weights) {
        if (patience < 0) throw ConfigError("EarlyStopping: expected patience >= 0, got " + std::to_string(patience));
        if (min_delta < 0) throw ConfigError("EarlyStopping: expected min_delta >= 0, got " + std::to_string(min_delta));
    }
    void on_train_begin(Sequential<S>&, const TrainingState&) override {
        best_ = std::numeric_limits<double>::infinity();
        wait_ = 0;
        stopped_epoch_ = -1;
        best_weights_.clear();
    }
    bool on_epoch_end(Sequential<S>& model, const TrainingState& st, const EpochLogs& logs) override {
        auto it = logs.find(monitor_);
        if (it == logs.end())
            throw ConfigError("EarlyStopping: metric '" + monitor_ + "' is not logged (missing validation_data?)");
        if (it->second < best_ - min_delta_) {
            best_ = it->second;
            wait_ = 0;
            if (restore_) {
                auto params = model.parameters();
                best_weights_.resize(params.size());
                for (std::size_t i = 0; i < params.size(); ++i) best_weights_[i] = *params[i].value;
            }
            return false;
        }
        if (++wait_ >= patience_) {  // Keras: stop once `patience` epochs in a row did not improve
            stopped_epoch_ = st.epoch;
            return true;
        }
        return false;
    }
    void on_train_end(Sequential<S>& model, const TrainingState&) override {
        if (!restore_ || best_weights_.empty()) return;
        auto params = model.parameters();
        for (std::size_t i = 0; i < params.size() && i < best_weights_.size(); ++i) *params[i].value = best_weights_[i];
    }
    /// The 0-based epoch at which training was stopped, or -1.
    int stopped_epoch() const { return stopped_epoch_; }
    double best() const { return best_; }

private:
    std::string monitor_;
    int patience_;
    double min_delta_;
    bool restore_;
    double best_ = std::numeric_limits<double>::infinity();
    int wait_ = 0;
    int stopped_epoch_ = -1;
    std::vector<Matrix<S>> best_weights_;
};

/// Append one CSV row per epoch: epoch,<metrics in name order>. The header is written first.
template <class S = float>
class CsvLogger : public Callback<S> {
public:
    explicit CsvLogger(std::string path) : path_(std::move(path)) {}
    void on_train_begin(Sequential<S>&, const TrainingState&) override { header_written_ = false; }
    bool on_epoch_end(Sequential<S>&, const TrainingState& st, const EpochLogs& logs) override {
        std::ofstream f(path_, header_written_ ? std::ios::app : std::ios::trunc);
        if (!f) throw IoError("CsvLogger: cannot open '" + path_ + "' for writing");
        if (!header_written_) {
            f << "epoch";
            for (auto& kv : logs) f << "," << kv.first;
            f << "\n";
            header_written_ = true;
        }
        f << st.epoch + 1;
        char buf[64];
        for (auto& kv : logs) {
            std::snprintf(buf, sizeof buf, "%.9g", kv.second);
            f << "," << buf;
        }
        f << "\n";
        if (!f.flush()) throw IoError("CsvLogger: write to '" + path_ + "' failed");
        return false;
    }

private:
    std::string path_;
    bool header_written_ = false;
};

} // namespace ae
