#pragma once
// Safetensors files, the format PyTorch (and Hugging Face) use to exchange weights:
//   ae::io::save_safetensors(*model, "model.safetensors");   // a PyTorch state_dict
//   ae::io::load_safetensors(*model, "model.safetensors");   // weights written by PyTorch
// Tensors are named and laid out as PyTorch's modules name and lay out theirs
// (io/torch_names.hpp, docs/interop.md): a file written by
//   safetensors.torch.save_file(torch_model.state_dict(), path)
// loads into the ae model of the same architecture.
//
// Format (all integers little-endian):
//   u64 N             the header's length in bytes
//   N bytes           a JSON object (UTF-8), optionally padded with trailing spaces:
//                       {"__metadata__": {"key": "value", ...},            (optional, strings only)
//                        "<name>": {"dtype": "F32", "shape": [d0, d1, ...],
//                                   "data_offsets": [begin, end]}, ...}
//   the data section  each tensor's elements, row-major, little-endian, at [begin, end)
//                     counted from the start of the data section.
// The reader is strict: its JSON parser accepts only what that header needs (objects, arrays,
// strings, non-negative integers), rejects duplicate keys and unknown fields, and every size is
// checked against the file before anything is allocated: N against the file length, each
// tensor's element count × dtype size against its offsets, and the tensors must tile the data
// section exactly (no gap, no overlap, nothing after). Dtypes F32 and F64 are read (converted to
// the model's scalar, F64 into a float model rounds); any other dtype is a FormatError.
// Every failure is a FormatError naming the file, what was expected and what was found.
// Saving writes the model's scalar type (F32 for float, F64 for double), atomically
// (io/atomic_file.hpp).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/layer.hpp"
#include "ae/io/atomic_file.hpp"
#include "ae/io/binary.hpp"
#include "ae/io/torch_names.hpp"

namespace ae::io {

/// One tensor of a safetensors file; values in row-major order, as double (exact for F32/F64).
struct SafetensorsTensor {
    std::string name;
    std::string dtype = "F32";  // "F32" or "F64": what the file stores (or will store)
    std::vector<std::uint64_t> shape;
    std::vector<double> values;
};

/// The contents of a safetensors file: tensors in file order (by offset) and the metadata.
struct Safetensors {
    std::vector<SafetensorsTensor> tensors;
    std::map<std::string, std::string> metadata;

    const SafetensorsTensor* find(const std::string& name) const {
        for (const auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

/// Options of save_safetensors / load_safetensors.
struct SafetensorsOptions {
    TorchNaming naming;  // see io/torch_names.hpp
    /// load: a tensor in the file that the model does not use is an error (PyTorch's strict=True).
    bool strict = true;
};

namespace detail {

inline std::string safetensors_shape_text(const std::vector<std::uint64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

/// Bytes per element of a dtype ae reads, or 0 for one it does not.
inline std::size_t safetensors_dtype_size(const std::string& dtype) {
    return dtype == "F32" ? 4 : dtype == "F64" ? 8 : 0;
}

inline bool safetensors_known_dtype(const std::string& dtype) {
    static const char* const known[] = {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
                                        "BF16", "I32", "U32", "F32", "F64", "I64", "U64"};
    return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return dtype == k; });
}

// A strict parser of the safetensors JSON header: only the grammar that header uses.
class SafetensorsHeaderParser {
public:
    struct Entry {
        std::string name, dtype;
        std::vector<std::uint64_t> shape;
        std::uint64_t begin = 0, end = 0;
    };

    SafetensorsHeaderParser(std::string_view text, std::string context) : s_(text), ctx_(std::move(context)) {}

    void parse(std::vector<Entry>& entries, std::map<std::string, std::string>& metadata) {
        std::set<std::string> keys;
        object("the header", [&](const std::string& key) {
            if (!keys.insert(key).second) fail("a unique key", "'" + key + "' again");
            if (key == "__metadata__")
                metadata_object(metadata);
            else
                entries.push_back(tensor_object(key));
        });
        // Writers may pad the header with spaces (to align the data); nothing else may follow.
        for (; pos_ < s_.size(); ++pos_)
            if (s_[pos_] != ' ' && s_[pos_] != '\t' && s_[pos_] != '\n' && s_[pos_] != '\r')
                fail("the end of the header after its closing '}'", "'" + std::string(1, s_[pos_]) + "'");
    }

private:
    [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
        throw FormatError(ctx_ + ": JSON header at byte " + std::to_string(pos_) + ": expected " + expected + ", found " +
                          found);
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    std::string found_here() const {
        return pos_ < s_.size() ? "'" + std::string(1, s_[pos_]) + "'" : "the end of the header";
    }
    void skip_space() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    void expect(char c, const std::string& what) {
        if (peek() != c || pos_ >= s_.size()) fail(what, found_here());
        ++pos_;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    std::uint32_t hex4() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            const char c = peek();
            const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0 || pos_ >= s_.size()) fail("four hex digits after \\u", found_here());
            v = v * 16 + std::uint32_t(d);
        }
        return v;
    }

    // After an element of an array or object: true on ',' (another follows), false on `close`.
    bool more(char close, const std::string& where) {
        skip_space();
        if (peek() == ',') {
            ++pos_;
            return true;
        }
        expect(close, "',' or '" + std::string(1, close) + "' in " + where);
        return false;
    }

    // A JSON object: on_member(key) is called with the position at the member's value.
    template <class F>
    void object(const std::string& what, F&& on_member) {
        skip_space();
        expect('{', what + " (an object)");
        skip_space();
        if (peek() == '}') {
            ++pos_;
            return;
        }
        do {
            skip_space();
            const std::string key = string_value("a key of " + what);
            skip_space();
            expect(':', "':' after \"" + key + "\"");
            skip_space();
            on_member(key);
        } while (more('}', what));
    }

    std::string string_value(const std::string& what) {
        expect('"', what + " (a string)");
        std::string out;
        for (;;) {
            if (pos_ >= s_.size()) fail("the closing '\"' of a string", "the end of the header");
            const char c = s_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) {
                --pos_;
                fail("a printable character in a string", "control character " + std::to_string(int(c)));
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            const char e = peek();
            ++pos_;
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
                        if (peek() != '\\' || pos_ + 1 >= s_.size() || s_[pos_ + 1] != 'u')
                            fail("a low surrogate \\uDC00..\\uDFFF after a high one", found_here());
                        pos_ += 2;
                        const std::uint32_t lo = hex4();
                        if (lo < 0xDC00 || lo >= 0xE000) fail("a low surrogate \\uDC00..\\uDFFF", "\\u of " + std::to_string(lo));
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp < 0xE000) {
                        fail("a character, not a lone low surrogate", "\\u of " + std::to_string(cp));
                    }
                    append_utf8(out, cp);
                    break;
                }
                default:
                    --pos_;
                    fail("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)", found_here());
            }
        }
    }

    std::uint64_t integer_value(const std::string& what) {
        const std::size_t start = pos_;
        if (!(peek() >= '0' && peek() <= '9') || pos_ >= s_.size()) fail(what + " (a non-negative integer)", found_here());
        std::uint64_t v = 0;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            const std::uint64_t d = std::uint64_t(s_[pos_] - '0');
            if (v > (UINT64_MAX - d) / 10) fail(what + " below 2^64", "a larger number");
            v = v * 10 + d;
            ++pos_;
        }
        if (s_[start] == '0' && pos_ - start > 1) {
            pos_ = start;
            fail(what + " without leading zeros", "'0' followed by digits");
        }
        if (peek() == '.' || peek() == 'e' || peek() == 'E') fail(what + " (an integer)", "a fraction or exponent");
        return v;
    }

    std::vector<std::uint64_t> integer_array(const std::string& what) {
        expect('[', what + " (an array)");
        std::vector<std::uint64_t> out;
        skip_space();
        if (peek() == ']') {
            ++pos_;
            return out;
        }
        do {
            skip_space();
            if (out.size() >= 64) fail(what + " of at most 64 values", "more");
            out.push_back(integer_value("an element of " + what));
        } while (more(']', what));
        return out;
    }

    void metadata_object(std::map<std::string, std::string>& metadata) {
        object("__metadata__", [&](const std::string& key) {
            std::string value = string_value("the value of __metadata__ \"" + key + "\"");
            if (!metadata.emplace(key, std::move(value)).second) fail("a unique __metadata__ key", "'" + key + "' again");
        });
    }

    Entry tensor_object(const std::string& name) {
        Entry e;
        e.name = name;
        bool has_dtype = false, has_shape = false, has_offsets = false;
        object("tensor '" + name + "'", [&](const std::string& key) {
            bool* seen = key == "dtype" ? &has_dtype : key == "shape" ? &has_shape : key == "data_offsets" ? &has_offsets : nullptr;
            if (!seen) fail("a field dtype, shape or data_offsets of tensor '" + name + "'", "\"" + key + "\"");
            if (*seen) fail("field \"" + key + "\" of tensor '" + name + "' once", "it twice");
            *seen = true;
            if (key == "dtype") {
                e.dtype = string_value("the dtype of tensor '" + name + "'");
            } else if (key == "shape") {
                e.shape = integer_array("the shape of tensor '" + name + "'");
            } else {
                const auto off = integer_array("the data_offsets of tensor '" + name + "'");
                if (off.size() != 2)
                    fail("two data_offsets [begin, end] for tensor '" + name + "'", std::to_string(off.size()) + " values");
                e.begin = off[0];
                e.end = off[1];
            }
        });
        if (!has_dtype || !has_shape || !has_offsets)
            fail("tensor '" + name + "' to have dtype, shape and data_offsets",
                 std::string(has_dtype ? "" : "no dtype ") + (has_shape ? "" : "no shape ") +
                     (has_offsets ? "" : "no data_offsets"));
        return e;
    }

    std::string_view s_;
    std::string ctx_;
    std::size_t pos_ = 0;
};

inline void safetensors_json_string(std::string& out, const std::string& s) {
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(u));
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
}

}  // namespace detail

/// Parse a safetensors file held in memory; `context` (a path) starts every error message.
inline Safetensors parse_safetensors(const std::vector<std::uint8_t>& bytes, const std::string& context) {
    const std::string ctx = "safetensors '" + context + "'";
    if (bytes.size() < 8)
        throw FormatError(ctx + ": expected at least 8 bytes (the header length), found " + std::to_string(bytes.size()));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
    const std::uint64_t room = bytes.size() - 8;
    if (n > room)
        throw FormatError(ctx + ": header length " + std::to_string(n) + " exceeds the " + std::to_string(room) +
                          " bytes after the length field");
    if (n < 2) throw FormatError(ctx + ": expected a JSON header of at least 2 bytes ({}), found " + std::to_string(n));
    const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + 8, std::size_t(n));
    std::vector<detail::SafetensorsHeaderParser::Entry> entries;
    Safetensors out;
    detail::SafetensorsHeaderParser(header, ctx).parse(entries, out.metadata);

    // Sizes against the data section, before allocating anything.
    const std::uint64_t data_size = room - n;
    for (const auto& e : entries) {
        const std::string t = ctx + ": tensor '" + e.name + "'";
        const std::size_t width = detail::safetensors_dtype_size(e.dtype);
        if (width == 0)
            throw FormatError(t + ": expected dtype F32 or F64, found " +
                              (detail::safetensors_known_dtype(e.dtype) ? e.dtype + " (not supported by ae)"
                                                                        : "unknown dtype '" + e.dtype + "'"));
        std::uint64_t count = 1;
        for (std::uint64_t d : e.shape) {
            if (d != 0 && count > UINT64_MAX / d)
                throw FormatError(t + ": shape " + detail::safetensors_shape_text(e.shape) + " has more than 2^64 elements");
            count *= d;
        }
        if (e.begin > e.end || e.end > data_size)
            throw FormatError(t + ": expected data_offsets within the " + std::to_string(data_size) +
                              "-byte data section, found [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]");
        if (count > (e.end - e.begin) / width || count * width != e.end - e.begin)
            throw FormatError(t + ": shape " + detail::safetensors_shape_text(e.shape) + " of " + e.dtype + " needs " +
                              (count > UINT64_MAX / width ? std::string("more than 2^64") : std::to_string(count * width)) +
                              " bytes, found data_offsets spanning " + std::to_string(e.end - e.begin));
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t covered = 0;
    std::string previous = "the start of the data section";
    for (const auto& e : entries) {
        if (e.begin != covered)
            throw FormatError(ctx + ": tensor '" + e.name + "' starts at data byte " + std::to_string(e.begin) +
                              ", expected " + std::to_string(covered) + " (right after " + previous + "): tensors " +
                              (e.begin < covered ? "overlap" : "leave a gap"));
        covered = e.end;
        previous = "tensor '" + e.name + "'";
    }
    if (covered != data_size)
        throw FormatError(ctx + ": expected the tensors to fill the " + std::to_string(data_size) +
                          "-byte data section, found " + std::to_string(data_size - covered) + " bytes after " + previous);

    const std::uint8_t* data = bytes.data() + 8 + n;
    out.tensors.reserve(entries.size());
    for (auto& e : entries) {
        SafetensorsTensor t;
        t.name = std::move(e.name);
        t.dtype = e.dtype;
        t.shape = std::move(e.shape);
        const std::size_t width = detail::safetensors_dtype_size(e.dtype), count = std::size_t((e.end - e.begin) / width);
        t.values.resize(count);
        const std::uint8_t* p = data + e.begin;
        for (std::size_t i = 0; i < count; ++i, p += width) {
            std::uint64_t bits = 0;
            for (std::size_t b = width; b-- > 0;) bits = (bits << 8) | p[b];
            t.values[i] = width == 4 ? double(std::bit_cast<float>(std::uint32_t(bits))) : std::bit_cast<double>(bits);
        }
        out.tensors.push_back(std::move(t));
    }
    return out;
}

/// Read a whole safetensors file (IoError if it cannot be read, FormatError if it is invalid).
inline Safetensors read_safetensors(const std::string& path) {
    return parse_safetensors(read_file_bytes(path), path);
}

/// The bytes of a safetensors file holding `contents` (each tensor in its own dtype, F32 or F64).
inline std::vector<std::uint8_t> safetensors_bytes(const Safetensors& contents) {
    std::string header = "{";
    if (!contents.metadata.empty()) {
        header += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [k, v] : contents.metadata) {
            if (!first) header += ',';
            first = false;
            detail::safetensors_json_string(header, k);
            header += ':';
            detail::safetensors_json_string(header, v);
        }
        header += '}';
    }
    std::uint64_t offset = 0;
    std::set<std::string> names;
    for (const auto& t : contents.tensors) {
        const std::string what = "safetensors: tensor '" + t.name + "'";
        if (t.name == "__metadata__") throw ConfigError(what + ": the name __metadata__ is reserved");
        if (!names.insert(t.name).second) throw ConfigError(what + ": expected unique names, found it twice");
        const std::size_t width = detail::safetensors_dtype_size(t.dtype);
        if (width == 0) throw ConfigError(what + ": expected dtype F32 or F64, got '" + t.dtype + "'");
        std::uint64_t count = 1;
        for (std::uint64_t d : t.shape) count *= d;
        if (count != t.values.size())
            throw ConfigError(what + ": shape " + detail::safetensors_shape_text(t.shape) + " has " + std::to_string(count) +
                              " elements, got " + std::to_string(t.values.size()) + " values");
        if (header.size() > 1) header += ',';
        detail::safetensors_json_string(header, t.name);
        header += ":{\"dtype\":\"" + t.dtype + "\",\"shape\":" + detail::safetensors_shape_text(t.shape) +
                  ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + count * width) + "]}";
        offset += count * width;
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
    ByteWriter w;
    w.reserve(8 + header.size() + std::size_t(offset));
    w.u64(header.size());
    w.bytes(header.data(), header.size());
    for (const auto& t : contents.tensors) {
        if (t.dtype == "F32")
            for (double v : t.values) w.f32(float(v));
        else
            for (double v : t.values) w.f64(v);
    }
    return w.take();
}

/// Write `contents` as a safetensors file, atomically.
inline void write_safetensors(const std::string& path, const Safetensors& contents) {
    write_file_atomic(path, safetensors_bytes(contents));
}

/// Save a built model's parameters as a PyTorch state_dict (names: io/torch_names.hpp).
template <class S>
void save_safetensors(Layer<S>& model, const std::string& path, const SafetensorsOptions& options = {}) {
    static_assert(ae::detail::is_file_scalar<S>, "save_safetensors: models of float or double only");
    if (!model.built())
        throw ConfigError("cannot save '" + path + "': " + model.describe() + " is not built (give it an input shape first)");
    Safetensors out;
    out.metadata = {{"format", "pt"}, {"producer", "ae"}};
    for (auto& g : torch_tensor_groups(model, options.naming)) {
        auto values = g.values();
        for (std::size_t i = 0; i < g.tensors.size(); ++i)
            out.tensors.push_back({g.tensors[i].name, sizeof(S) == 4 ? "F32" : "F64", g.tensors[i].shape, std::move(values[i])});
    }
    write_safetensors(path, out);
}

/// Load a model's parameters from a safetensors state_dict. Every tensor the model needs must be
/// present with the right shape (and, with options.strict, nothing else): all of it is checked
/// before the first weight changes, so a failed load leaves the model as it was.
template <class S>
void load_safetensors(Layer<S>& model, const std::string& path, const SafetensorsOptions& options = {}) {
    static_assert(ae::detail::is_file_scalar<S>, "load_safetensors: models of float or double only");
    if (!model.built())
        throw ConfigError("cannot load '" + path + "' into " + model.describe() +
                          ": the model is not built (give it an input shape first)");
    const Safetensors file = read_safetensors(path);
    const std::string ctx = "safetensors '" + path + "'";
    auto groups = torch_tensor_groups(model, options.naming);
    std::map<std::string, const SafetensorsTensor*> by_name;
    for (const auto& t : file.tensors) by_name.emplace(t.name, &t);
    std::vector<std::vector<const std::vector<double>*>> found(groups.size());
    std::set<std::string> used;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (const auto& spec : groups[g].tensors) {
            const auto it = by_name.find(spec.name);
            if (it == by_name.end()) {
                std::string have;
                for (std::size_t i = 0; i < file.tensors.size() && i < 8; ++i) have += (i ? ", " : "") + file.tensors[i].name;
                if (file.tensors.size() > 8) have += ", ...";
                throw FormatError(ctx + ": expected tensor '" + spec.name + "' for " + groups[g].layer + " (PyTorch " +
                                  groups[g].module + "), not found; the file has " +
                                  (have.empty() ? std::string("no tensors") : have));
            }
            const SafetensorsTensor* t = it->second;
            if (t->shape != spec.shape)
                throw FormatError(ctx + ": tensor '" + spec.name + "' for " + groups[g].layer + ": expected shape " +
                                  detail::safetensors_shape_text(spec.shape) + ", found " +
                                  detail::safetensors_shape_text(t->shape));
            found[g].push_back(&t->values);
            used.insert(spec.name);
        }
    }
    if (options.strict)
        for (const auto& t : file.tensors)
            if (!used.count(t.name))
                throw FormatError(ctx + ": expected only the model's " + std::to_string(used.size()) +
                                  " tensors, found '" + t.name + "' which no layer of " + model.describe() +
                                  " uses (pass strict = false to ignore it)");
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g].assign(found[g]);
}

/// save_safetensors / load_safetensors for a model held by pointer.
template <class M>
void save_safetensors(const std::shared_ptr<M>& model, const std::string& path, const SafetensorsOptions& options = {}) {
    if (!model) throw ConfigError("cannot save '" + path + "': the model pointer is null");
    save_safetensors(*model, path, options);
}
template <class M>
void load_safetensors(const std::shared_ptr<M>& model, const std::string& path, const SafetensorsOptions& options = {}) {
    if (!model) throw ConfigError("cannot load '" + path + "': the model pointer is null");
    load_safetensors(*model, path, options);
}

}  // namespace ae::io
