#pragma once
// Checkpoint files: everything fit needs to continue a run as if it had never stopped.
//   model.fit(x, x, {.epochs = 50}, {std::make_shared<ae::ModelCheckpoint<>>("run/ckpt-{epoch}.aec")});
//   ... killed ...
//   model.fit(x, x, {.epochs = 50, .resume_from = ae::latest_checkpoint("run/ckpt-{epoch}.aec")});
// The resumed run ends with weights bit-identical to an uninterrupted one (same seed, same
// thread count), because a checkpoint holds every piece of state a training step reads:
//  - the model: architecture and weights (a model file's payload, so ae::load reads a checkpoint);
//  - the optimizer: its type, learning rate, step count and state (Adam's m and v, ...);
//  - every Rng that training draws from: fit's shuffling Rng (with the last sample order, since
//    each epoch shuffles the previous order) and the Rng of each layer that has one
//    (Layer::rng(): Dropout, GaussianNoise, Sampling);
//  - the number of epochs done and the History so far.
// Not stored: the loss (compile() gives it again) and callbacks' own state (EarlyStopping's
// patience counter starts over). Checkpoints are written at epoch ends, after validation;
// ModelCheckpoint should be the last callback, so later callbacks do not draw from an Rng.
//
// Format, version 1. All integers little-endian; str = u32 byte length + bytes.
//   Header, 32 bytes, laid out as a model file's (io/model_file.hpp) with magic "AECKPT\0\0":
//     magic, u32 version (1), u32 scalar size (4|8), u64 payload length P, u64 FNV-1a 64 checksum
//     over header bytes 0..23 and the payload.
//   Payload:
//     model          exactly a model file's payload: input shape, layer tree, weights
//     u32 E          epochs done (≥ 1); the resumed fit starts at 0-based epoch E
//     u64 B          batch size (a resumed fit must use the same)
//     rng            fit's shuffling Rng: 4 × u64 xoshiro256** state, u8 has_spare (0|1), f64 spare
//     u64 N, N × u64 the last epoch's sample order, a permutation of 0..N−1 (N = samples)
//     u32 K, K × (str layer name, rng)   layer Rngs, distinct layers in depth-first pre-order
//     optimizer      str name (Optimizer::name()), f64 learning rate (> 0), i64 iterations (≥ 0),
//                    u32 Q (0 before the first step, else one per weight),
//                    Q × (u32 slots, slots × (u64 rows, u64 cols, rows·cols scalars)); each slot
//                    has its weight's shape
//     history        u32 M metrics, M × (str name, u64 L ≤ E, L × f64)
//   Nothing may follow.
// Load checks: the header as for model files (magic, version, scalar size, payload length
// against the real file length, checksum: FormatError naming expected and found), then every
// count and size against the bytes that remain before anything is allocated, and the
// structure (order is a permutation, slot shapes match the weights, L ≤ E, ...).
// Resume checks that the checkpoint fits the model and the fit call (same input shape,
// parameter names and shapes, layer Rngs, optimizer type, sample count and batch size) and
// throws ConfigError naming both sides before changing anything.
// Saving is atomic (io/atomic_file.hpp): a checkpoint never exists half-written under its name.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/layer.hpp"
#include "ae/core/rng.hpp"
#include "ae/io/binary.hpp"
#include "ae/io/model_format.hpp"
#include "ae/optimizers/optimizer.hpp"
#include "ae/training/callbacks.hpp"
#include "ae/training/history.hpp"

namespace ae {

/// A checkpoint file's contents, parsed and checked (no layer is built).
template <class S = float>
struct Checkpoint {
    Shape input_shape;
    std::vector<std::string> layer_types;  // distinct layers, depth-first pre-order (root first)
    std::vector<std::string> weight_names;
    std::vector<Matrix<S>> weights;        // in the model's parameters() order

    int epochs_done = 0;
    Index batch_size = 0;
    Rng::FullState shuffle_rng{};
    std::vector<Index> order;  // sample order of the last epoch

    std::vector<std::string> rng_layers;  // names of the layers whose Rng is stored
    std::vector<Rng::FullState> layer_rngs;

    std::string optimizer;  // Optimizer::name()
    double learning_rate = 0;
    long long iterations = 0;
    std::vector<std::vector<Matrix<S>>> optimizer_state;

    History history;
};

namespace detail {

// Every distinct layer of the tree (depth-first pre-order) that has its own Rng.
template <class S>
std::vector<std::pair<std::string, Rng*>> layer_rngs(Layer<S>& root) {
    std::vector<std::pair<std::string, Rng*>> out;
    std::set<const Layer<S>*> seen;
    std::vector<Layer<S>*> stack{&root};
    while (!stack.empty()) {
        Layer<S>* l = stack.back();
        stack.pop_back();
        if (!seen.insert(l).second) continue;
        if (Rng* r = l->rng()) out.emplace_back(l->name(), r);
        const auto kids = l->children();
        for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            if (*it) stack.push_back(it->get());
    }
    return out;
}

inline void write_rng(ByteWriter& w, const Rng::FullState& s) {
    for (std::uint64_t v : s.s) w.u64(v);
    w.u8(s.has_spare ? 1 : 0);
    w.f64(s.spare);
}

inline Rng::FullState read_rng(ByteReader& r, const std::string& what) {
    Rng::FullState s{};
    for (auto& v : s.s) v = r.u64(what + " state");
    const std::uint8_t spare = r.u8(what + " has_spare flag");
    if (spare > 1) r.fail(what + ": expected a has_spare flag of 0 or 1, found " + std::to_string(spare));
    s.has_spare = spare == 1;
    s.spare = r.f64(what + " spare");
    if (s.s[0] == 0 && s.s[1] == 0 && s.s[2] == 0 && s.s[3] == 0)
        r.fail(what + ": the all-zero xoshiro state (an Rng never leaves it)");
    return s;
}

// A matrix stored as (u64 rows, u64 cols, values); the size is checked before allocating.
template <class S>
Matrix<S> read_stored_matrix(ByteReader& r, const std::string& what, std::uint32_t scalar_size) {
    const StoredMatrixHeader h = read_matrix_header(r, what, scalar_size, false);
    Matrix<S> m(Index(h.rows), Index(h.cols));
    read_stored_values(r, m.data(), h.rows * h.cols, scalar_size, "values of " + what);
    return m;
}

inline std::string shape_text(Index rows, Index cols) { return std::to_string(rows) + "×" + std::to_string(cols); }

}  // namespace detail

/// Write a checkpoint of a training run at the end of epoch st.epoch (so st.epoch + 1 epochs
/// are done): model, optimizer, Rngs, sample order and History, atomically. Call it from a
/// callback's on_epoch_end (ModelCheckpoint does), where fit has filled st's pointers.
/// ConfigError if st does not come from fit or the model cannot be saved; IoError if the file
/// cannot be written (the previous file at path is then intact).
template <class S>
void save_checkpoint(const std::string& path, Layer<S>& model, Optimizer<S>& optimizer, const TrainingState& st) {
    static_assert(detail::is_file_scalar<S>, "save_checkpoint: models of float or double only");
    if (!st.shuffle_rng || !st.order || !st.history)
        throw ConfigError("cannot save checkpoint '" + path +
                          "': the training state has no Rng, order or History (call it from a callback during fit)");
    const int epochs_done = st.epoch + 1;
    if (st.history->epochs() != std::size_t(epochs_done))
        throw ConfigError("cannot save checkpoint '" + path + "': the History has " +
                          std::to_string(st.history->epochs()) + " epochs, expected " + std::to_string(epochs_done) +
                          " (call it from on_epoch_end)");
    ByteWriter p;
    detail::write_model_payload(p, model, path);

    p.u32(std::uint32_t(epochs_done));
    p.u64(std::uint64_t(st.batch_size));
    detail::write_rng(p, st.shuffle_rng->state());
    p.u64(std::uint64_t(st.order->size()));
    for (Index i : *st.order) p.u64(std::uint64_t(i));

    const auto rngs = detail::layer_rngs(model);
    p.u32(std::uint32_t(rngs.size()));
    for (const auto& [name, rng] : rngs) {
        p.string(name);
        detail::write_rng(p, rng->state());
    }

    p.string(optimizer.name());
    p.f64(optimizer.learning_rate());
    p.i64(std::int64_t(optimizer.iterations()));
    const auto& state = optimizer.state();
    p.u32(std::uint32_t(state.size()));
    for (const auto& slots : state) {
        p.u32(std::uint32_t(slots.size()));
        for (const auto& m : slots) {
            p.u64(std::uint64_t(m.rows()));
            p.u64(std::uint64_t(m.cols()));
            p.scalars(m.data(), std::size_t(m.size()));
        }
    }

    const auto& metrics = st.history->metrics();
    p.u32(std::uint32_t(metrics.size()));
    for (const auto& [name, series] : metrics) {
        p.string(name);
        p.u64(std::uint64_t(series.size()));
        for (double v : series) p.f64(v);
    }
    detail::write_framed_file(path, checkpoint_format::magic, checkpoint_format::version, std::uint32_t(sizeof(S)), p);
}

/// Read and check a checkpoint written by save_checkpoint (no model is built: ae::load reads the
/// model out of a checkpoint). IoError if it cannot be read, FormatError if it is not valid.
template <class S = float>
Checkpoint<S> load_checkpoint(const std::string& path) {
    static_assert(detail::is_file_scalar<S>, "load_checkpoint: float or double only");
    const std::vector<std::uint8_t> file = read_file_bytes(path);
    auto [r, scalar_size] = detail::read_framed_file(file, "checkpoint '" + path + "'", checkpoint_format::magic,
                                                     "checkpoint", checkpoint_format::version);
    Checkpoint<S> c;

    // ---- model: input shape, tree (parsed for its types), weights
    c.input_shape = detail::read_input_shape(r);
    for (const auto& node : detail::read_model_tree(r)) c.layer_types.push_back(node.type);
    const std::uint64_t weights = r.count(r.u32("parameter count"), 20, "parameters");
    for (std::uint64_t i = 0; i < weights; ++i) {
        const auto h = detail::read_matrix_header(r, "parameter " + std::to_string(i), scalar_size);
        Matrix<S> m(Index(h.rows), Index(h.cols));
        detail::read_stored_values(r, m.data(), h.rows * h.cols, scalar_size, "values of parameter '" + h.name + "'");
        c.weight_names.push_back(h.name);
        c.weights.push_back(std::move(m));
    }

    // ---- fit's state
    const std::uint32_t epochs = r.u32("epochs done");
    if (epochs == 0 || epochs > std::uint32_t(INT32_MAX))
        r.fail("expected at least 1 epoch done (and at most 2^31 - 1), found " + std::to_string(epochs));
    c.epochs_done = int(epochs);
    const std::uint64_t batch = r.u64("batch size");
    if (batch == 0 || batch > (std::uint64_t(1) << 62)) r.fail("expected a batch size >= 1, found " + std::to_string(batch));
    c.batch_size = Index(batch);
    c.shuffle_rng = detail::read_rng(r, "shuffling Rng");
    const std::uint64_t n = r.count(r.u64("sample count"), 8, "sample order");
    c.order.resize(std::size_t(n));
    std::vector<bool> present(std::size_t(n), false);
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t k = r.u64("sample index");
        if (k >= n || present[std::size_t(k)])
            r.fail("the sample order is not a permutation of 0.." + std::to_string(n - 1) + ": entry " +
                   std::to_string(i) + " is " + std::to_string(k) + (k < n ? " again" : ""));
        present[std::size_t(k)] = true;
        c.order[std::size_t(i)] = Index(k);
    }

    const std::uint64_t k = r.count(r.u32("layer Rng count"), 4 + 41, "layer Rngs");
    for (std::uint64_t i = 0; i < k; ++i) {
        c.rng_layers.push_back(r.string("layer Rng name"));
        c.layer_rngs.push_back(detail::read_rng(r, "Rng of layer '" + c.rng_layers.back() + "'"));
    }

    // ---- optimizer
    c.optimizer = r.string("optimizer name");
    c.learning_rate = r.f64("learning rate");
    if (!(c.learning_rate > 0) || !std::isfinite(c.learning_rate))
        r.fail("expected a finite learning rate > 0, found " + std::to_string(c.learning_rate));
    const std::int64_t iterations = r.i64("optimizer iterations");
    if (iterations < 0) r.fail("expected optimizer iterations >= 0, found " + std::to_string(iterations));
    c.iterations = iterations;
    const std::uint64_t q = r.count(r.u32("optimizer state count"), 4, "optimizer state");
    if (q != 0 && q != weights)
        r.fail("the optimizer state covers " + std::to_string(q) + " parameters, expected 0 or " +
               std::to_string(weights) + " (one per parameter)");
    c.optimizer_state.resize(std::size_t(q));
    for (std::uint64_t i = 0; i < q; ++i) {
        const std::uint64_t slots = r.count(r.u32("optimizer slot count"), 16, "optimizer slots");
        for (std::uint64_t j = 0; j < slots; ++j) {
            const std::string what = "optimizer slot " + std::to_string(j) + " of parameter " + std::to_string(i);
            Matrix<S> m = detail::read_stored_matrix<S>(r, what, scalar_size);
            const Matrix<S>& w = c.weights[std::size_t(i)];
            if (m.rows() != w.rows() || m.cols() != w.cols())
                r.fail(what + " is " + detail::shape_text(m.rows(), m.cols()) + ", expected the parameter's " +
                       detail::shape_text(w.rows(), w.cols()));
            c.optimizer_state[std::size_t(i)].push_back(std::move(m));
        }
    }

    // ---- history: rebuilt epoch by epoch (History only appends)
    const std::uint64_t metrics = r.count(r.u32("metric count"), 12, "history metrics");
    std::map<std::string, std::vector<double>> series;
    for (std::uint64_t i = 0; i < metrics; ++i) {
        std::string name = r.string("metric name");
        const std::uint64_t len = r.count(r.u64("metric length"), 8, "values of metric '" + name + "'");
        if (len > epochs)
            r.fail("metric '" + name + "' has " + std::to_string(len) + " values, but only " + std::to_string(epochs) +
                   " epochs are done");
        if (series.count(name)) r.fail("the history repeats the metric '" + name + "'");
        auto& values = series[name];
        for (std::uint64_t e = 0; e < len; ++e) values.push_back(r.f64("metric value"));
    }
    // fit logs "loss" every epoch, so the longest metric covers every epoch done. Checking it
    // also bounds the loop below by the file's size: a few bytes declaring 2^31 epochs with no
    // history would otherwise append two billion empty epochs.
    std::uint64_t longest = 0;
    for (const auto& [name, values] : series) longest = std::max<std::uint64_t>(longest, values.size());
    if (longest != epochs)
        r.fail("the history holds " + std::to_string(longest) + " epochs of metrics, expected one per epoch done (" +
               std::to_string(epochs) + ")");
    for (std::uint32_t e = 0; e < epochs; ++e) {
        EpochLogs logs;
        for (const auto& [name, values] : series)
            if (e < values.size()) logs[name] = values[e];
        c.history.append(logs);
    }
    if (!r.at_end()) r.fail(std::to_string(r.remaining()) + " unexpected bytes after the history");
    return c;
}

/// Put a checkpoint's state into a model and its optimizer: weights, optimizer state, learning
/// rate, step count, layer Rngs. Everything is checked first (ConfigError naming both sides),
/// so a checkpoint that does not fit changes nothing. fit(resume_from) calls this, then restores
/// its own state (sample order, shuffling Rng, History) from the same Checkpoint.
template <class S>
void restore_checkpoint(const Checkpoint<S>& c, Layer<S>& model, Optimizer<S>& optimizer, const std::string& where) {
    auto fail = [&](const std::string& m) { throw ConfigError(where + ": " + m); };
    if (c.input_shape != model.input_shape())
        fail("the checkpoint's model takes input " + c.input_shape.str() + ", this model takes " +
             model.input_shape().str());
    auto params = model.parameters();
    if (params.size() != c.weights.size())
        fail("the checkpoint holds " + std::to_string(c.weights.size()) + " parameters, this model has " +
             std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Matrix<S>& w = c.weights[i];
        if (params[i].name != c.weight_names[i] || params[i].value->rows() != w.rows() ||
            params[i].value->cols() != w.cols())
            fail("parameter " + std::to_string(i) + " is '" + c.weight_names[i] + "' (" +
                 detail::shape_text(w.rows(), w.cols()) + ") in the checkpoint, '" + params[i].name + "' (" +
                 detail::shape_text(params[i].value->rows(), params[i].value->cols()) + ") in this model");
    }
    const auto rngs = detail::layer_rngs(model);
    if (rngs.size() != c.layer_rngs.size())
        fail("the checkpoint holds the Rngs of " + std::to_string(c.layer_rngs.size()) +
             " layers, this model has " + std::to_string(rngs.size()) + " layers with an Rng");
    for (std::size_t i = 0; i < rngs.size(); ++i)
        if (rngs[i].first != c.rng_layers[i])
            fail("layer Rng " + std::to_string(i) + " belongs to '" + c.rng_layers[i] +
                 "' in the checkpoint, to '" + rngs[i].first + "' in this model");
    if (optimizer.name() != c.optimizer)
        fail("the checkpoint was written with optimizer " + c.optimizer + ", this model is compiled with " +
             optimizer.name());
    for (std::size_t i = 0; i < c.optimizer_state.size(); ++i)
        if (c.optimizer_state[i].size() != optimizer.state_slots())
            fail("the checkpoint's " + c.optimizer + " state has " + std::to_string(c.optimizer_state[i].size()) +
                 " matrices for parameter " + std::to_string(i) + ", expected " +
                 std::to_string(optimizer.state_slots()));

    // ---- everything fits: copy
    for (std::size_t i = 0; i < params.size(); ++i) *params[i].value = c.weights[i];
    for (std::size_t i = 0; i < rngs.size(); ++i) rngs[i].second->set_state(c.layer_rngs[i]);
    optimizer.reset();
    optimizer.state() = c.optimizer_state;
    optimizer.set_iterations(c.iterations);
    optimizer.set_learning_rate(c.learning_rate);
}

namespace detail {
// fit's resume_from: load the checkpoint, check that it fits this fit call (sample count,
// batch size) and the model, restore everything; returns the first epoch to run.
template <class S>
int resume_fit(const std::string& path, Layer<S>& model, Optimizer<S>& optimizer, Index batch_size, Rng& shuffle_rng,
               std::vector<Index>& order, History& history) {
    const std::string where = "fit: resume_from '" + path + "'";
    Checkpoint<S> c = load_checkpoint<S>(path);
    if (c.order.size() != order.size())
        throw ConfigError(where + ": the checkpoint was written while training on " + std::to_string(c.order.size()) +
                          " samples, this fit call has " + std::to_string(order.size()));
    if (c.batch_size != batch_size)
        throw ConfigError(where + ": the checkpoint was written with batch_size " + std::to_string(c.batch_size) +
                          ", this fit call uses " + std::to_string(batch_size) + " (a resumed run must match)");
    restore_checkpoint(c, model, optimizer, where);
    shuffle_rng.set_state(c.shuffle_rng);
    order = std::move(c.order);
    history = std::move(c.history);
    return c.epochs_done;
}
}  // namespace detail

}  // namespace ae
