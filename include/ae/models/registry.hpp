#pragma once
// The layer registry: type name → factory, used to rebuild models from files.
// A layer type is rebuilt from `static std::shared_ptr<L<S>> from_config(const LayerArgs<S>&)`.
// The library's own layers are registered by models/layer_factory.hpp the first time a model
// is rebuilt for a scalar type, so a program that never loads a model compiles none of that.
// Users register their own layers with register_layer<S>, or for float and double at once with
//     AE_REGISTER_LAYER(MyLayer)        // at namespace scope, MyLayer in namespace ae
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ae/core/config.hpp"
#include "ae/core/error.hpp"
#include "ae/core/layer.hpp"

namespace ae {

/// What a factory receives: the layer's config, its rebuilt children and links (in order).
template <class S>
struct LayerArgs {
    const Config& config;
    std::vector<LayerPtr<S>> children;
    std::vector<LayerPtr<S>> links;
};

template <class S>
using LayerFactory = std::function<LayerPtr<S>(const LayerArgs<S>&)>;

template <class S>
std::map<std::string, LayerFactory<S>>& layer_registry() {
    static std::map<std::string, LayerFactory<S>> registry;
    return registry;
}

/// Register (or replace) the factory for `type`.
template <class S>
void register_layer(const std::string& type, LayerFactory<S> factory) {
    layer_registry<S>()[type] = std::move(factory);
}

namespace detail {
template <template <class> class L>
bool register_float_and_double(const char* type) {
    register_layer<float>(type, [](const LayerArgs<float>& a) -> LayerPtr<float> { return L<float>::from_config(a); });
    register_layer<double>(type,
                           [](const LayerArgs<double>& a) -> LayerPtr<double> { return L<double>::from_config(a); });
    return true;
}
/// Children of a container must all exist; links likewise.
template <class S>
void expect_counts(const LayerArgs<S>& a, const char* type, std::size_t children, std::size_t links) {
    if (a.children.size() != children || a.links.size() != links)
        throw FormatError(std::string(type) + ": expected " + std::to_string(children) + " children and " +
                          std::to_string(links) + " links, got " + std::to_string(a.children.size()) + " and " +
                          std::to_string(a.links.size()));
}
}  // namespace detail

} // namespace ae

/// Register class template `Type` (Type<float>, Type<double>) under its own name.
#define AE_REGISTER_LAYER(Type) \
    inline const bool ae_registered_##Type = ::ae::detail::register_float_and_double<::ae::Type>(#Type);
