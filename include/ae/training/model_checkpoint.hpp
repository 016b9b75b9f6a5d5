#pragma once
// ModelCheckpoint (Keras' name): a callback writing a checkpoint (io/checkpoint_file.hpp) every
// n epochs during fit, atomically, so that a killed run continues where it was:
//   const std::string pattern = "run/ckpt-{epoch}.aec";
//   auto ckpt = std::make_shared<ae::ModelCheckpoint<>>(pattern, 1, 3);  // every epoch, keep 3
//   model.fit(x, x, {.epochs = 50, .resume_from = ae::latest_checkpoint(pattern)}, {ckpt});
// (latest_checkpoint gives "" before the first checkpoint, and "" starts afresh.)
//
// File names. `{epoch}` in the file name is replaced by the number of epochs done, zero-padded
// to 6 digits ("run/ckpt-000012.aec"), so names sort by epoch. A path without `{epoch}` is
// overwritten by every checkpoint (keep_last_n must then be 0 or 1).
// keep_last_n > 0: after each successful write, the checkpoints of this pattern in the folder
// with an epoch up to the one just written are deleted except the newest keep_last_n (files
// with a higher epoch, from another run, are left alone); 0 keeps every checkpoint. The newest
// one is always findable: latest_checkpoint(pattern) returns the matching file with the highest
// epoch (the path itself without {epoch}), or "" if there is none. It does not open the files:
// every file under a final name is complete, because each is written to a temporary file that
// is renamed into place (a kill leaves at most a ".<name>.<random>.tmp", never a partial file).
// Such leftovers of this pattern are deleted at train begin: use one pattern per run.
// An epoch whose loss is not finite (TerminateOnNaN stopped it) is not checkpointed, and the
// callback should come last, after any callback that might draw from a layer's Rng.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/io/checkpoint_file.hpp"
#include "ae/models/sequential.hpp"
#include "ae/training/callbacks.hpp"

namespace ae {

namespace detail {
// A checkpoint path split around its `{epoch}` placeholder (if any).
struct CheckpointPattern {
    std::string folder;  // "." when the path has no folder
    std::string prefix, suffix;
    bool has_epoch = false;

    explicit CheckpointPattern(const std::string& path) {
        static const std::string placeholder = "{epoch}";
        const std::size_t slash = path.rfind('/');
        folder = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
        const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
        if (name.empty()) throw ConfigError("checkpoint path '" + path + "' names a folder, not a file");
        if (slash != std::string::npos && path.substr(0, slash).find(placeholder) != std::string::npos)
            throw ConfigError("checkpoint path '" + path + "': {epoch} may appear in the file name only");
        const std::size_t at = name.find(placeholder);
        has_epoch = at != std::string::npos;
        if (has_epoch && name.find(placeholder, at + 1) != std::string::npos)
            throw ConfigError("checkpoint path '" + path + "': expected {epoch} at most once");
        prefix = has_epoch ? name.substr(0, at) : name;
        suffix = has_epoch ? name.substr(at + placeholder.size()) : "";
    }

    std::string file(const std::string& name) const { return folder == "." ? name : folder + "/" + name; }

    std::string path_for(int epoch) const {
        if (!has_epoch) return file(prefix);
        char digits[16];
        std::snprintf(digits, sizeof digits, "%06d", epoch);
        return file(prefix + digits + suffix);
    }

    // The epoch in a file name of this pattern, or -1 if the name does not match.
    long long epoch_of(const std::string& name) const {
        if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            return -1;
        const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return -1;
        return std::stoll(digits);
    }

    // (epoch, path) of every regular file of this pattern in the folder, oldest first.
    std::vector<std::pair<long long, std::string>> existing() const {
        std::vector<std::pair<long long, std::string>> found;
        std::error_code ec;
        for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
            if (!it->is_regular_file(ec)) continue;
            const long long e = epoch_of(it->path().filename().string());
            if (e >= 0) found.emplace_back(e, it->path().string());
        }
        std::sort(found.begin(), found.end());
        return found;
    }
};
}  // namespace detail

/// The newest checkpoint written by a ModelCheckpoint with this path (pattern): the matching
/// file with the highest epoch, or the path itself when it has no {epoch}; "" if none exists.
inline std::string latest_checkpoint(const std::string& path) {
    const detail::CheckpointPattern pattern(path);
    if (!pattern.has_epoch) {
        std::error_code ec;
        return std::filesystem::is_regular_file(path, ec) ? path : "";
    }
    const auto found = pattern.existing();
    return found.empty() ? "" : found.back().second;
}

template <class S = float>
class ModelCheckpoint : public Callback<S> {
public:
    /// path: where to write, with an optional {epoch} placeholder (see the top of this file).
    /// every_n_epochs ≥ 1; keep_last_n ≥ 0 (0 keeps all).
    explicit ModelCheckpoint(std::string path, int every_n_epochs = 1, int keep_last_n = 0)
        : path_(std::move(path)), pattern_(path_), every_(every_n_epochs), keep_(keep_last_n) {
        if (every_n_epochs < 1)
            throw ConfigError("ModelCheckpoint: expected every_n_epochs >= 1, got " + std::to_string(every_n_epochs));
        if (keep_last_n < 0)
            throw ConfigError("ModelCheckpoint: expected keep_last_n >= 0, got " + std::to_string(keep_last_n));
        if (!pattern_.has_epoch && keep_last_n > 1)
            throw ConfigError("ModelCheckpoint: keep_last_n = " + std::to_string(keep_last_n) + " needs {epoch} in '" +
                              path_ + "' (without it every checkpoint overwrites the same file)");
    }

    void on_train_begin(Sequential<S>&, const TrainingState&) override { remove_stale_temporaries(); }

    bool on_epoch_end(Sequential<S>& model, const TrainingState& st, const EpochLogs& logs) override {
        const int done = st.epoch + 1;
        if (done % every_ != 0) return false;
        const auto loss = logs.find("loss");
        if (loss != logs.end() && !std::isfinite(loss->second)) return false;
        if (!model.optimizer()) throw ConfigError("ModelCheckpoint: the model is not compiled");
        const std::string file = pattern_.path_for(done);
        save_checkpoint(file, model, *model.optimizer(), st);
        last_ = file;
        if (keep_ > 0 && pattern_.has_epoch) prune(done);
        return false;
    }

    /// The file written last (empty before the first checkpoint).
    const std::string& last_saved() const { return last_; }

private:
    // Delete this pattern's checkpoints up to `epoch` except the newest keep_ of them.
    void prune(int epoch) {
        auto found = pattern_.existing();
        found.erase(std::remove_if(found.begin(), found.end(), [&](const auto& f) { return f.first > epoch; }),
                    found.end());
        for (std::size_t i = 0; i + std::size_t(keep_) < found.size(); ++i) {
            std::error_code ec;
            std::filesystem::remove(found[i].second, ec);  // best effort: a leftover costs only disk space
        }
    }

    // AtomicFile names its temporaries ".<file name, first 200 chars>.<random>.tmp".
    void remove_stale_temporaries() const {
        const std::string start = "." + pattern_.prefix.substr(0, 200);
        std::error_code ec;
        for (std::filesystem::directory_iterator it(pattern_.folder, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.size() > start.size() + 4 && name.compare(0, start.size(), start) == 0 &&
                name.compare(name.size() - 4, 4, ".tmp") == 0) {
                std::error_code rm;
                std::filesystem::remove(it->path(), rm);
            }
        }
    }

    std::string path_;
    detail::CheckpointPattern pattern_;
    int every_;
    int keep_;
    std::string last_;
};

}  // namespace ae
