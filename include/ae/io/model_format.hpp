#pragma once
// The building blocks of ae's model file format (described at the top of io/model_file.hpp),
// free of the layer registry: the 32-byte checksummed header, the layer tree's writer and
// parser, and the readers of sizes and stored matrices. Checkpoint files
// (io/checkpoint_file.hpp) share all of it, and training/fit.hpp includes them without pulling
// in every layer type (model_file.hpp's loader needs the registry; including it from fit.hpp
// would be an include cycle through models/sequential.hpp).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ae/core/config.hpp"
#include "ae/core/error.hpp"
#include "ae/core/layer.hpp"
#include "ae/core/shape.hpp"
#include "ae/io/atomic_file.hpp"
#include "ae/io/binary.hpp"

namespace ae {

/// Constants of the model file format (see io/model_file.hpp).
namespace model_format {
inline constexpr char magic[8] = {'A', 'E', 'M', 'O', 'D', 'E', 'L', '\0'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::size_t header_size = 32;
/// Deepest nesting of containers accepted, so a hostile file cannot exhaust the stack.
inline constexpr std::size_t max_depth = 256;
inline constexpr std::uint8_t tag_layer = 0;
inline constexpr std::uint8_t tag_repeat = 1;
}  // namespace model_format

/// Constants of the checkpoint file format (see io/checkpoint_file.hpp); same header layout.
namespace checkpoint_format {
inline constexpr char magic[8] = {'A', 'E', 'C', 'K', 'P', 'T', '\0', '\0'};
inline constexpr std::uint32_t version = 1;
}  // namespace checkpoint_format

namespace detail {

// Writes the layer tree: indices are assigned in a first pass so links may point forward.
template <class S>
class ModelTreeWriter {
public:
    ModelTreeWriter(ByteWriter& out, const std::string& path) : out_(out), path_(path) {}

    void write(Layer<S>& root) {
        std::vector<const Layer<S>*> ancestors;
        number(root, ancestors);
        emit(root);
    }

private:
    // Pre-order numbering of distinct layers; rejects null children and containment cycles.
    void number(Layer<S>& layer, std::vector<const Layer<S>*>& ancestors) {
        if (!index_.emplace(&layer, std::uint32_t(index_.size())).second) return;  // shared: listed once
        if (ancestors.size() >= model_format::max_depth)
            fail("layers are nested more than " + std::to_string(model_format::max_depth) + " deep");
        ancestors.push_back(&layer);
        const auto kids = layer.children();
        for (std::size_t i = 0; i < kids.size(); ++i) {
            if (!kids[i]) fail(layer.describe() + " has a null child at position " + std::to_string(i));
            for (const Layer<S>* a : ancestors)
                if (a == kids[i].get()) fail(layer.describe() + " contains its own ancestor " + a->describe());
            number(*kids[i], ancestors);
        }
        ancestors.pop_back();
    }

    void emit(Layer<S>& layer) {
        const std::uint32_t idx = index_.at(&layer);
        if (!emitted_.insert(idx).second) {
            out_.u8(model_format::tag_repeat);
            out_.u32(idx);
            return;
        }
        out_.u8(model_format::tag_layer);
        out_.string(layer.type());
        out_.string(layer.name());
        out_.u8(layer.trainable() ? 1 : 0);
        const Config config = layer.config();
        out_.u32(std::uint32_t(config.items().size()));
        for (const auto& [key, value] : config.items()) {
            out_.string(key);
            out_.string(value);
        }
        const auto kids = layer.children();
        const auto links = layer.links();
        out_.u32(std::uint32_t(kids.size()));
        out_.u32(std::uint32_t(links.size()));
        for (std::size_t i = 0; i < links.size(); ++i) {
            auto it = links[i] ? index_.find(links[i].get()) : index_.end();
            if (it == index_.end())
                fail(layer.describe() + " links to " + (links[i] ? links[i]->describe() : std::string("null")) +
                     ", which is not part of the saved model (save the model that contains both)");
            out_.u32(it->second);
        }
        for (auto& k : kids) emit(*k);
    }

    [[noreturn]] void fail(const std::string& message) const {
        throw ConfigError("cannot save '" + path_ + "': " + message);
    }

    ByteWriter& out_;
    const std::string& path_;
    std::map<const Layer<S>*, std::uint32_t> index_;
    std::set<std::uint32_t> emitted_;
};

// One layer as read from the file, before it is created.
struct ModelFileNode {
    std::string type, name;
    bool trainable = true;
    Config config;
    std::vector<std::uint32_t> children;  // indices of child layers, in order
    std::vector<std::uint32_t> links;     // indices of linked layers, in order
    std::size_t offset = 0;               // where its record starts, for messages
};

// Reads the layer tree iteratively (no recursion on file data). Returns the distinct layers;
// index 0 is the root.
inline std::vector<ModelFileNode> read_model_tree(ByteReader& r) {
    std::vector<ModelFileNode> nodes;
    struct Open {
        std::uint32_t node;
        std::uint64_t children_left;
    };
    std::vector<Open> open;  // the path from the root to the node whose children are being read

    // Reads one node record; returns the index of the layer it denotes.
    auto read_node = [&](bool root) -> std::uint32_t {
        const std::size_t at = r.offset();
        const std::uint8_t tag = r.u8("layer tag");
        if (tag == model_format::tag_repeat) {
            if (root) r.fail("the root layer cannot be a repeat of an earlier layer");
            const std::uint32_t idx = r.u32("repeated layer index");
            if (idx >= nodes.size())
                r.fail("a repeated layer refers to layer " + std::to_string(idx) + " but only " +
                       std::to_string(nodes.size()) + " layers precede it");
            return idx;
        }
        if (tag != model_format::tag_layer) r.fail("expected a layer tag of 0 or 1, found " + std::to_string(tag));
        if (open.size() >= model_format::max_depth)
            r.fail("layers are nested more than " + std::to_string(model_format::max_depth) + " deep");
        ModelFileNode n;
        n.offset = at;
        n.type = r.string("layer type");
        n.name = r.string("layer name");
        const std::uint8_t trainable = r.u8("trainable flag");
        if (trainable > 1) r.fail("expected a trainable flag of 0 or 1, found " + std::to_string(trainable));
        n.trainable = trainable == 1;
        const std::uint64_t k = r.count(r.u32("config size"), 8, "config of " + n.type);
        for (std::uint64_t i = 0; i < k; ++i) {
            std::string key = r.string("config key");
            std::string value = r.string("config value");
            if (n.config.has(key)) r.fail("config of " + n.type + " repeats the key '" + key + "'");
            n.config.set(key, std::move(value));
        }
        const std::uint64_t c = r.count(r.u32("child count"), 5, "children of " + n.type);
        const std::uint64_t l = r.count(r.u32("link count"), 4, "links of " + n.type);
        n.links.reserve(std::size_t(l));
        for (std::uint64_t i = 0; i < l; ++i) n.links.push_back(r.u32("link index"));
        const auto idx = std::uint32_t(nodes.size());
        nodes.push_back(std::move(n));
        if (c > 0) open.push_back({idx, c});
        return idx;
    };

    read_node(true);
    while (!open.empty()) {
        if (open.back().children_left == 0) {
            open.pop_back();
            continue;
        }
        --open.back().children_left;
        const std::uint32_t parent = open.back().node;
        const std::uint32_t child = read_node(false);  // may push onto `open`
        nodes[parent].children.push_back(child);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (std::uint32_t link : nodes[i].links)
            if (link >= nodes.size() || link == i)
                r.fail("layer " + std::to_string(i) + " (" + nodes[i].type + ") links to layer " +
                       std::to_string(link) + ", but the model has layers 0 to " + std::to_string(nodes.size() - 1) +
                       (link == i ? " and a layer cannot link to itself" : ""));
    return nodes;
}

inline std::string param_text(const std::string& name, std::uint64_t rows, std::uint64_t cols) {
    return "'" + name + "' (" + std::to_string(rows) + "×" + std::to_string(cols) + ")";
}

// The input shape at the start of a model payload: u32 rank, rank × u64 dimensions.
inline Shape read_input_shape(ByteReader& r) {
    const std::uint64_t rank = r.count(r.u32("input rank"), 8, "input shape");
    if (rank == 0) r.fail("the input shape has rank 0");
    std::vector<Index> dims;
    std::uint64_t elements = 1;
    for (std::uint64_t i = 0; i < rank; ++i) {
        const std::uint64_t d = r.u64("input dimension");
        // Bounded so that Shape::size() cannot overflow.
        if (d == 0 || d > (std::uint64_t(1) << 40) || elements > (std::uint64_t(1) << 40) / d)
            r.fail("input dimension " + std::to_string(i) + " is " + std::to_string(d) +
                   " (expected at least 1, and at most 2^40 scalars per sample)");
        elements *= d;
        dims.push_back(Index(d));
    }
    return Shape(std::move(dims));
}

// Largest rows or cols of a stored matrix (as for input dimensions): checked even when the
// matrix is empty, so rows and cols are always valid Index values.
inline constexpr std::uint64_t max_matrix_dim = std::uint64_t(1) << 40;

// A stored matrix's name and size; its rows·cols values follow (checked to fit in what remains,
// so the caller may allocate rows × cols at once).
struct StoredMatrixHeader {
    std::string name;
    std::uint64_t rows = 0, cols = 0;
};

inline StoredMatrixHeader read_matrix_header(ByteReader& r, const std::string& what, std::uint32_t scalar_size,
                                             bool named = true) {
    StoredMatrixHeader h;
    if (named) h.name = r.string(what + " name");
    h.rows = r.u64(what + " rows");
    h.cols = r.u64(what + " cols");
    // Each dimension on its own too: an empty matrix (0 × 2^64 - 1) passes the byte count below,
    // but is not a valid Index pair to allocate (found by fuzz/fuzz_checkpoint.cpp).
    if (h.rows > max_matrix_dim || h.cols > max_matrix_dim)
        r.fail(what + " " + param_text(h.name, h.rows, h.cols) + ": expected at most 2^40 rows and 2^40 cols");
    if (h.rows != 0 && h.cols > r.remaining() / scalar_size / h.rows)
        r.fail(what + " " + param_text(h.name, h.rows, h.cols) + " needs " +
               (h.cols > UINT64_MAX / h.rows ? std::string("more than 2^64") : std::to_string(h.rows * h.cols)) +
               " values of " + std::to_string(scalar_size) + " bytes, only " + std::to_string(r.remaining()) +
               " bytes remain");
    return h;
}

// n values stored with scalar_size bytes each (float or double), converted to S.
template <class S>
void read_stored_values(ByteReader& r, S* out, std::uint64_t n, std::uint32_t scalar_size, const std::string& what) {
    if (scalar_size == sizeof(float))
        r.scalars<float>(out, n, what);
    else
        r.scalars<double>(out, n, what);
}

// ---- Pieces shared with checkpoint files (io/checkpoint_file.hpp), which use the same header
// layout (own magic and version) and embed a model payload before their training state.

// The 32-byte header (magic, version, scalar size, payload length, checksum over header bytes
// 0..23 and the payload) followed by the payload, written atomically.
inline void write_framed_file(const std::string& path, const char (&magic)[8], std::uint32_t version,
                              std::uint32_t scalar_size, const ByteWriter& payload) {
    ByteWriter header;
    header.bytes(magic, 8);
    header.u32(version);
    header.u32(scalar_size);
    header.u64(std::uint64_t(payload.size()));
    const std::uint64_t checksum =
        Fnv1a64().update(header.data().data(), header.size()).update(payload.data().data(), payload.size()).value();
    header.u64(checksum);

    AtomicFile file(path);
    file.write(header.data());
    file.write(payload.data());
    file.commit();
}

// What read_framed_file found: a reader over the checked payload and the stored scalar size.
struct FramedPayload {
    ByteReader reader;
    std::uint32_t scalar_size;
};

// Check a file written by write_framed_file: magic (`kind` names the file type in messages,
// e.g. "model"), version, scalar size, payload length against the real length, checksum.
inline FramedPayload read_framed_file(const std::vector<std::uint8_t>& file, const std::string& context,
                                      const char (&magic)[8], const std::string& kind, std::uint32_t version) {
    ByteReader h(file.data(), std::min(file.size(), model_format::header_size), context);
    const std::uint8_t* found_magic = h.bytes(8, "header (magic)");
    if (std::memcmp(found_magic, magic, 8) != 0)
        throw FormatError(context + ": not an ae " + kind + " file (the first 8 bytes are not \"" +
                          std::string(magic, std::strlen(magic)) + "\\0\")");
    const std::uint32_t found_version = h.u32("header (version)");
    if (found_version != version)
        throw FormatError(context + ": unsupported format version " + std::to_string(found_version) + ", expected " +
                          std::to_string(version) + " (written by a newer or older ae?)");
    const std::uint32_t scalar_size = h.u32("header (scalar size)");
    if (scalar_size != 4 && scalar_size != 8)
        throw FormatError(context + ": expected a scalar size of 4 (float) or 8 (double), found " +
                          std::to_string(scalar_size));
    const std::uint64_t payload_size = h.u64("header (payload length)");
    const std::uint64_t stored_checksum = h.u64("header (checksum)");
    const std::uint64_t actual_payload = file.size() - model_format::header_size;
    if (payload_size != actual_payload)
        throw FormatError(context + ": the header says the payload is " + std::to_string(payload_size) +
                          " bytes, but the file holds " + std::to_string(actual_payload) +
                          " after the header (truncated or extended)");
    const std::uint64_t checksum = Fnv1a64()
                                       .update(file.data(), model_format::header_size - 8)
                                       .update(file.data() + model_format::header_size, actual_payload)
                                       .value();
    if (checksum != stored_checksum)
        throw FormatError(context + ": checksum mismatch (the file is corrupted): stored " +
                          std::to_string(stored_checksum) + ", computed " + std::to_string(checksum));
    return {ByteReader(file.data() + model_format::header_size, std::size_t(actual_payload), context,
                       model_format::header_size),
            scalar_size};
}

// The model payload: input shape, layer tree, weights (see the top of this file).
template <class S>
void write_model_payload(ByteWriter& payload, Layer<S>& model, const std::string& path) {
    if (!model.built())
        throw ConfigError("cannot save '" + path + "': " + model.describe() +
                          " is not built (build it with an input shape first)");
    const Shape& in = model.input_shape();
    payload.u32(std::uint32_t(in.rank()));
    for (Index d : in.dims()) payload.u64(std::uint64_t(d));

    ModelTreeWriter<S>(payload, path).write(model);

    const auto params = model.parameters();
    std::size_t total = 0;
    for (const auto& p : params) total += std::size_t(p.value->size()) * sizeof(S) + p.name.size() + 20;
    payload.reserve(payload.size() + 4 + total);
    payload.u32(std::uint32_t(params.size()));
    for (const auto& p : params) {
        payload.string(p.name);
        payload.u64(std::uint64_t(p.value->rows()));
        payload.u64(std::uint64_t(p.value->cols()));
        payload.scalars(p.value->data(), std::size_t(p.value->size()));
    }
}

}  // namespace detail

}  // namespace ae
