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
// Limits: containers nest at most model_format::max_depth deep. Sizes that a config implies
// (Dense units, filters) are bounded by the file: the model is built under a ParameterBudget
// (core/parameter_budget.hpp) of the scalars the rest of the file can hold, and every layer
// claims its kernels before allocating them; a build that still cannot allocate is a FormatError.
// Not stored: the compiled optimizer and loss (checkpoints hold training state: a checkpoint,
// io/checkpoint_file.hpp, is this payload followed by the training state, and load() accepts one).
// The pieces shared with checkpoints (header, tree, stored matrices) are in io/model_format.hpp.
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
#include "ae/io/model_format.hpp"
#include "ae/models/layer_factory.hpp"
#include "ae/models/sequential.hpp"

namespace ae {

namespace detail {

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

// Read a model payload written by write_model_payload into a new, built model. Leaves r just
// after the weights (the caller checks what may follow).
template <class S>
LayerPtr<S> read_model_payload(ByteReader& r, std::uint32_t scalar_size) {
    const std::string& context = r.context();
    const Shape input = read_input_shape(r);

    // ---- layer tree
    const auto nodes = read_model_tree(r);
    const auto layers = create_model_layers<S>(nodes, context);
    LayerPtr<S> model = layers[0];
    // The stored parameter count is read (and checked against the bytes left) before building:
    // every parameter is stored after it, so no kernel may exceed what then remains.
    const std::uint64_t count = r.count(r.u32("parameter count"), 20, "parameters");
    try {
        Rng rng(0);  // the initial weights are overwritten below
        const ParameterBudget budget(r.remaining() / scalar_size, "the rest of the file");
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
    if (count != params.size())
        r.fail("the file stores " + std::to_string(count) + " parameters, but the rebuilt model has " +
               std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto& p = params[i];
        const auto h = read_matrix_header(r, "parameter " + std::to_string(i), scalar_size);
        if (h.name != p.name || h.rows != std::uint64_t(p.value->rows()) || h.cols != std::uint64_t(p.value->cols()))
            r.fail("parameter " + std::to_string(i) + " is " + param_text(h.name, h.rows, h.cols) +
                   " in the file, but the rebuilt model has " +
                   param_text(p.name, std::uint64_t(p.value->rows()), std::uint64_t(p.value->cols())));
        read_stored_values(r, p.value->data(), h.rows * h.cols, scalar_size, "values of parameter '" + h.name + "'");
    }
    return model;
}

}  // namespace detail

/// Write a built model (architecture and weights) to path, atomically. ConfigError if the
/// model is not built or cannot be described (a link outside the model); IoError if the file
/// cannot be written (the previous file at path is then left as it was).
template <class S>
void save(Layer<S>& model, const std::string& path) {
    static_assert(detail::is_file_scalar<S>, "save: models of float or double only");
    ByteWriter payload;
    detail::write_model_payload(payload, model, path);
    detail::write_framed_file(path, model_format::magic, model_format::version, std::uint32_t(sizeof(S)), payload);
}

/// save(*model, path) for a model held by pointer.
template <class M>
void save(const std::shared_ptr<M>& model, const std::string& path) {
    if (!model) throw ConfigError("cannot save '" + path + "': the model pointer is null");
    save(static_cast<Layer<typename M::Scalar>&>(*model), path);
}

/// Read a model file written by save (or the model in a checkpoint written by
/// save_checkpoint): the rebuilt, built model with its weights. Weights are
/// converted to S if the file holds the other scalar type. IoError if the file cannot be read,
/// FormatError if it is not a valid model file (see the checks at the top of this file).
template <class S = float>
LayerPtr<S> load(const std::string& path) {
    static_assert(detail::is_file_scalar<S>, "load: models of float or double only");
    const std::vector<std::uint8_t> file = read_file_bytes(path);
    // A checkpoint (io/checkpoint_file.hpp) starts with a model payload: load reads the model
    // out of it too (the training state after the weights is covered by the checksum only).
    const bool checkpoint = file.size() >= 8 && std::memcmp(file.data(), checkpoint_format::magic, 8) == 0;
    auto [r, scalar_size] = checkpoint ? detail::read_framed_file(file, "checkpoint '" + path + "'",
                                                                  checkpoint_format::magic, "checkpoint",
                                                                  checkpoint_format::version)
                                       : detail::read_framed_file(file, "model file '" + path + "'",
                                                                  model_format::magic, "model", model_format::version);
    LayerPtr<S> model = detail::read_model_payload<S>(r, scalar_size);
    if (!checkpoint && !r.at_end()) r.fail(std::to_string(r.remaining()) + " unexpected bytes after the weights");
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
