#pragma once
// Config: a layer's hyperparameters as ordered key/value text, written to model files and
// read back by the layer registry. Doubles use the shortest text that round-trips exactly.
#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/shape.hpp"

namespace ae {

class Config {
public:
    Config& set(const std::string& key, std::string value) {
        for (auto& [k, v] : items_)
            if (k == key) {
                v = std::move(value);
                return *this;
            }
        items_.emplace_back(key, std::move(value));
        return *this;
    }
    Config& set(const std::string& key, const char* value) { return set(key, std::string(value)); }
    Config& set(const std::string& key, long long value) { return set(key, std::to_string(value)); }
    Config& set(const std::string& key, int value) { return set(key, std::to_string(value)); }
    Config& set(const std::string& key, Index value) { return set(key, std::to_string(value)); }
    Config& set(const std::string& key, bool value) { return set(key, std::string(value ? "true" : "false")); }
    Config& set(const std::string& key, double value) {
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof buf, value);
        return set(key, std::string(buf, res.ptr));
    }
    Config& set(const std::string& key, const Shape& shape) {
        std::string s;
        for (std::size_t i = 0; i < shape.rank(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
        return set(key, s);
    }

    bool has(const std::string& key) const {
        for (auto& kv : items_)
            if (kv.first == key) return true;
        return false;
    }
    const std::string& get(const std::string& key) const {
        for (auto& kv : items_)
            if (kv.first == key) return kv.second;
        throw FormatError("Config: missing key '" + key + "'");
    }
    long long get_int(const std::string& key) const {
        const std::string& s = get(key);
        long long v = 0;
        auto res = std::from_chars(s.data(), s.data() + s.size(), v);
        if (res.ec != std::errc() || res.ptr != s.data() + s.size())
            throw FormatError("Config: key '" + key + "' expected an integer, got '" + s + "'");
        return v;
    }
    double get_double(const std::string& key) const {
        const std::string& s = get(key);
        double v = 0;
        auto res = std::from_chars(s.data(), s.data() + s.size(), v);
        if (res.ec != std::errc() || res.ptr != s.data() + s.size())
            throw FormatError("Config: key '" + key + "' expected a number, got '" + s + "'");
        return v;
    }
    bool get_bool(const std::string& key) const {
        const std::string& s = get(key);
        if (s == "true") return true;
        if (s == "false") return false;
        throw FormatError("Config: key '" + key + "' expected true or false, got '" + s + "'");
    }
    Shape get_shape(const std::string& key) const {
        const std::string& s = get(key);
        std::vector<Index> dims;
        const char* p = s.data();
        const char* end = s.data() + s.size();
        while (p < end) {
            long long d = 0;
            auto res = std::from_chars(p, end, d);
            if (res.ec != std::errc() || d <= 0)
                throw FormatError("Config: key '" + key + "' expected a shape like 28,28,1, got '" + s + "'");
            dims.push_back(Index(d));
            p = res.ptr;
            if (p < end && *p == ',') ++p;
        }
        if (dims.empty()) throw FormatError("Config: key '" + key + "' holds an empty shape");
        return Shape(std::move(dims));
    }

    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

} // namespace ae
