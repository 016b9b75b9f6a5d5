#pragma once
// Model files: a model's architecture and weights in one checksummed, versioned file.
//   ae::save(*model, "mnist.aem");
//   auto model = ae::load<float>("mnist.aem");                             // a LayerPtr<float>
//   auto ae = ae::load_as<float, ae::Autoencoder<float>>("mnist.aem");     // or the exact type
// Layers are rebuilt through the layer registry (models/registry.hpp), so a file can be loaded
// by any program (models/layer_factory.hpp knows the library's own layer types; register your
// own with register_layer).
//
// Format, version 1. All integers little-endian; str = u32 byte length + bytes (no terminator).
//   Header, 32 bytes:
//     0  u8[8]  magic "AEMODEL\0"
//     8  u32    format version (1)
//     12 u32    scalar size: 4 (float) or 8 (double), the type the weights are stored in
//     16 u64    payload length P; the file is exactly 32 + P bytes
//     24 u64    checksum: FNV-1a 64 over header bytes 0..23, then the P payload bytes
//   Payload:
//     input shape   u32 rank, then rank × u64 dimensions (each ≥ 1): the top-level model's input
//     layer tree    the root node; each node is followed by its children's nodes (depth-first,
//                   pre-order). Every distinct layer gets an index, in the order its node appears
//                   (the root is 0). A node is
//                     u8 tag = 0, a layer:  str type (registry name), str name, u8 trainable (0|1),
//                                           u32 K, K × (str key, str value)  the layer's config(),
//                                           u32 C  number of child nodes that follow,
//                                           u32 L, L × u32 index           the layer's links()
//                     u8 tag = 1, a layer listed earlier appearing again (a layer shared within the
//                                           model): u32 index
//                   A link may name any layer of the tree (earlier or later); the loader resolves
//                   links after the whole tree is read and rejects cycles.
//     weights       u32 N = model.parameters().size(), then for each parameter in that order:
//                     str name, u64 rows, u64 cols, rows·cols scalars (column-major, scalar size
//                     from the header, IEEE 754 little-endian, bit-exact)
//   Nothing may follow the weights.
//
// Load checks, in order: magic; version (FormatError naming expected and found); scalar size;
// payload length against the real file size; the checksum; then every count, length and size
// against the bytes that remain before anything is allocated. The tree is rebuilt with
// create_layer (children and linked layers first), names and trainable flags are restored, the
// root is built with the stored input shape, and the stored parameter list must match
// parameters() in count, names and shapes (FormatError naming the first mismatch; each entry
// is checked before its values are copied). Weights stored as float load bit-exactly into float
// models and exactly into double models; double weights loaded into a float model are rounded.
// Limits: containers nest at most model_format::max_depth deep. Sizes that a valid config implies
// (Dense units) are not bounded by the file; a build that cannot allocate is a FormatError.
// Not stored: the compiled optimizer and loss (checkpoints hold training state).
// Saving is atomic (io/atomic_file.hpp): a failed save leaves the previous file intact.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ae/core/config.hpp"
#include "ae/core/error.hpp"
#include "ae/core/layer.hpp"
#include "ae/core/rng.hpp"
#include "ae/core/shape.hpp"
#include "ae/io/atomic_file.hpp"
#include "ae/io/binary.hpp"
#include "ae/models/layer_factory.hpp"
#include "ae/models/sequential.hpp"

namespace ae {

/// Constants of the model file format (see the top of this file).
namespace model_format {
inline constexpr char magic[8] = {'A', 'E', 'M', 'O', 'D', 'E', 'L', '\0'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::size_t header_size = 32;
/// Deepest nesting of containers accepted, so a hostile file cannot exhaust the stack.
inline constexpr std::size_t max_depth = 256;
inline constexpr std::uint8_t tag_layer = 0;
inline constexpr std::uint8_t tag_repeat = 1;
}  // namespace model_format

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

// Create every layer, each after its children and linked layers (iterative depth-first
// post-order over the dependency graph; a dependency still in progress is a cycle).
template <class S>
std::vector<LayerPtr<S>> create_model_layers(const std::vector<ModelFileNode>& nodes, const std::string& context) {
    const std::size_t n = nodes.size();
    std::vector<LayerPtr<S>> made(n);
    std::vector<std::uint8_t> state(n, 0);  // 0 not visited, 1 in progress, 2 created
    auto deps = [&](std::size_t v, std::size_t k) {
        const auto& nd = nodes[v];
        return k < nd.children.size() ? nd.children[k] : nd.links[k - nd.children.size()];
    };
    auto where = [&](std::size_t v) {
        return context + ": layer " + std::to_string(v) + " (" + nodes[v].type +
               (nodes[v].name.empty() ? "" : " '" + nodes[v].name + "'") + ", at byte offset " +
               std::to_string(nodes[v].offset) + ")";
    };
    struct Frame {
        std::size_t v, k;
    };
    std::vector<Frame> stack{{0, 0}};
    state[0] = 1;
    while (!stack.empty()) {
        Frame& f = stack.back();
        const auto& nd = nodes[f.v];
        if (f.k < nd.children.size() + nd.links.size()) {
            const std::size_t d = deps(f.v, f.k++);
            if (state[d] == 1)
                throw FormatError(where(f.v) + " depends on layer " + std::to_string(d) +
                                  ", which depends on it in turn (a cycle of children or links)");
            if (state[d] == 0) {
                state[d] = 1;
                stack.push_back({d, 0});  // invalidates f
            }
            continue;
        }
        std::vector<LayerPtr<S>> kids, links;
        for (auto c : nd.children) kids.push_back(made[c]);
        for (auto l : nd.links) links.push_back(made[l]);
        LayerPtr<S> layer;
        try {
            layer = create_layer<S>(nd.type, LayerArgs<S>{nd.config, std::move(kids), std::move(links)});
        } catch (const Error& e) {
            throw FormatError(where(f.v) + ": " + e.what());
        } catch (const std::bad_alloc&) {
            throw FormatError(where(f.v) + ": its config asks for more memory than is available");
        } catch (const std::logic_error& e) {  // e.g. std::stoi in a user's factory
            throw FormatError(where(f.v) + ": " + e.what());
        }
        if (!layer) throw FormatError(where(f.v) + ": the registered factory returned null");
        layer->set_name(nd.name);
        layer->set_trainable(nd.trainable);
        made[f.v] = std::move(layer);
        state[f.v] = 2;
        stack.pop_back();
    }
    return made;
}

inline std::string param_text(const std::string& name, std::uint64_t rows, std::uint64_t cols) {
    return "'" + name + "' (" + std::to_string(rows) + "×" + std::to_string(cols) + ")";
}

}  // namespace detail

/// Write a built model (architecture and weights) to path, atomically. ConfigError if the
/// model is not built or cannot be described (a link outside the model); IoError if the file
/// cannot be written (the previous file at path is then left as it was).
template <class S>
void save(Layer<S>& model, const std::string& path) {
    static_assert(detail::is_file_scalar<S>, "save: models of float or double only");
    if (!model.built())
        throw ConfigError("cannot save '" + path + "': " + model.describe() +
                          " is not built (build it with an input shape first)");
    ByteWriter payload;
    const Shape& in = model.input_shape();
    payload.u32(std::uint32_t(in.rank()));
    for (Index d : in.dims()) payload.u64(std::uint64_t(d));

    detail::ModelTreeWriter<S>(payload, path).write(model);

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

    ByteWriter header;
    header.bytes(model_format::magic, sizeof model_format::magic);
    header.u32(model_format::version);
    header.u32(std::uint32_t(sizeof(S)));
    header.u64(std::uint64_t(payload.size()));
    const std::uint64_t checksum =
        Fnv1a64().update(header.data().data(), header.size()).update(payload.data().data(), payload.size()).value();
    header.u64(checksum);

    AtomicFile file(path);
    file.write(header.data());
    file.write(payload.data());
    file.commit();
}

/// save(*model, path) for a model held by pointer.
template <class M>
void save(const std::shared_ptr<M>& model, const std::string& path) {
    if (!model) throw ConfigError("cannot save '" + path + "': the model pointer is null");
    save(static_cast<Layer<typename M::Scalar>&>(*model), path);
}

/// Read a model file written by save: the rebuilt, built model with its weights. Weights are
/// converted to S if the file holds the other scalar type. IoError if the file cannot be read,
/// FormatError if it is not a valid model file (see the checks at the top of this file).
template <class S = float>
LayerPtr<S> load(const std::string& path) {
    static_assert(detail::is_file_scalar<S>, "load: models of float or double only");
    const std::string context = "model file '" + path + "'";
    const std::vector<std::uint8_t> file = read_file_bytes(path);

    // ---- header
    ByteReader h(file.data(), std::min(file.size(), model_format::header_size), context);
    const std::uint8_t* magic = h.bytes(8, "header (magic)");
    if (std::memcmp(magic, model_format::magic, 8) != 0)
        throw FormatError(context + ": not an ae model file (the first 8 bytes are not \"AEMODEL\\0\")");
    const std::uint32_t version = h.u32("header (version)");
    if (version != model_format::version)
        throw FormatError(context + ": unsupported format version " + std::to_string(version) + ", expected " +
                          std::to_string(model_format::version) + " (written by a newer or older ae?)");
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

    ByteReader r(file.data() + model_format::header_size, std::size_t(actual_payload), context,
                 model_format::header_size);

    // ---- input shape
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
    const Shape input(std::move(dims));

    // ---- layer tree
    const auto nodes = detail::read_model_tree(r);
    const auto layers = detail::create_model_layers<S>(nodes, context);
    LayerPtr<S> model = layers[0];
    try {
        Rng rng(0);  // the initial weights are overwritten below
        model->build(input, rng);
    } catch (const Error& e) {
        throw FormatError(context + ": the stored architecture does not build with input " + input.str() + ": " +
                          e.what());
    } catch (const std::bad_alloc&) {
        throw FormatError(context + ": the stored architecture is too large to build with input " + input.str());
    } catch (const std::length_error&) {
        throw FormatError(context + ": the stored architecture is too large to build with input " + input.str());
    }

    // ---- weights
    auto params = model->parameters();
    const std::uint64_t count = r.count(r.u32("parameter count"), 20, "parameters");
    if (count != params.size())
        r.fail("the file stores " + std::to_string(count) + " parameters, but the rebuilt model has " +
               std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto& p = params[i];
        const std::string name = r.string("parameter name");
        const std::uint64_t rows = r.u64("parameter rows");
        const std::uint64_t cols = r.u64("parameter cols");
        if (rows != 0 && cols > r.remaining() / scalar_size / rows)
            r.fail("parameter " + std::to_string(i) + " " + detail::param_text(name, rows, cols) + " needs " +
                   (cols > UINT64_MAX / rows ? std::string("more than 2^64") : std::to_string(rows * cols)) +
                   " values of " + std::to_string(scalar_size) + " bytes, only " + std::to_string(r.remaining()) +
                   " bytes remain");
        if (name != p.name || rows != std::uint64_t(p.value->rows()) || cols != std::uint64_t(p.value->cols()))
            r.fail("parameter " + std::to_string(i) + " is " + detail::param_text(name, rows, cols) +
                   " in the file, but the rebuilt model has " +
                   detail::param_text(p.name, std::uint64_t(p.value->rows()), std::uint64_t(p.value->cols())));
        const std::string what = "values of parameter '" + name + "'";
        if (scalar_size == sizeof(float))
            r.scalars<float>(p.value->data(), rows * cols, what);
        else
            r.scalars<double>(p.value->data(), rows * cols, what);
    }
    if (!r.at_end()) r.fail(std::to_string(r.remaining()) + " unexpected bytes after the weights");
    return model;
}

/// load, then the model as type M (e.g. Autoencoder<float>); FormatError if the file holds
/// another type.
template <class S = float, class M = Sequential<S>>
std::shared_ptr<M> load_as(const std::string& path) {
    LayerPtr<S> layer = load<S>(path);
    auto model = std::dynamic_pointer_cast<M>(layer);
    if (!model)
        throw FormatError("model file '" + path + "' holds a " + layer->type() +
                          " model, which is not of the requested type");
    return model;
}

}  // namespace ae
