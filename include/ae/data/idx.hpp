#pragma once
// IDX files (the MNIST container format): a 4-byte magic {0, 0, type code, number of dims},
// one big-endian uint32 per dimension, then the elements in row-major order.
// read_idx accepts raw files and gzip files (recognised by their 1f 8b magic, not their name).
// Every size is checked against the bytes really present before memory is committed to it, so
// a corrupt or hostile header cannot make the reader allocate what the file does not hold.
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif
#ifdef AE_HAVE_ZLIB
#include <zlib.h>
#endif

#include "ae/core/error.hpp"
#include "ae/io/atomic_file.hpp"

namespace ae::data {

/// IDX type code of unsigned bytes, the only element type MNIST and Fashion-MNIST use.
inline constexpr std::uint8_t idx_ubyte = 0x08;

/// An unsigned-byte IDX array: dims (outermost first) and the elements in row-major order.
struct IdxArray {
    std::vector<std::size_t> dims;
    std::vector<std::uint8_t> data;

    /// Product of dims (0 when there are none).
    std::size_t size() const {
        if (dims.empty()) return 0;
        std::size_t n = 1;
        for (std::size_t d : dims) n *= d;
        return n;
    }
};

namespace detail {

inline std::string idx_type_name(std::uint8_t code) {
    switch (code) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "int16";
        case 0x0C:
            return "int32";
        case 0x0D:
            return "float32";
        case 0x0E:
            return "float64";
        default:
            return "unknown";
    }
}

inline std::string hex_byte(std::uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
    return buf;
}

inline std::string dims_text(const std::vector<std::size_t>& dims) {
    std::string s;
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
    return s;
}

inline std::string idx_where(const std::string& path) {
    return "read_idx '" + path + "': ";
}

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f) std::fclose(f);
    }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Sequential byte source over a raw or gzip file; read() returns fewer bytes only at the end.
class IdxSource {
public:
    virtual ~IdxSource() = default;
    virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
    /// Why the last short read stopped early beyond plain end of file ("" if nothing to add).
    virtual std::string stop_reason() const { return ""; }
};

class RawSource : public IdxSource {
public:
    RawSource(FilePtr f, const std::string& path) : f_(std::move(f)), path_(path) {}
    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        const std::size_t got = std::fread(dst, 1, n, f_.get());
        if (got < n && std::ferror(f_.get())) throw IoError(idx_where(path_) + "read failed: " + std::strerror(errno));
        return got;
    }

private:
    FilePtr f_;
    std::string path_;
};

#ifdef AE_HAVE_ZLIB
class GzipSource : public IdxSource {
public:
    explicit GzipSource(const std::string& path) : path_(path) {
        gz_ = gzopen(path.c_str(), "rb");
        if (!gz_) throw IoError(idx_where(path) + "cannot open gzip file: " + std::strerror(errno));
    }
    ~GzipSource() override { gzclose(gz_); }
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;

    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        std::size_t total = 0;
        while (total < n) {
            // gzread takes an unsigned count; ask in pieces well below its limit.
            const unsigned ask = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 20));
            const int got = gzread(gz_, dst + total, ask);
            if (got < 0) {
                int code = 0;
                const char* msg = gzerror(gz_, &code);
                throw FormatError(idx_where(path_) + "corrupt gzip stream: " + (msg ? msg : "unknown zlib error"));
            }
            if (got == 0) break;
            total += static_cast<std::size_t>(got);
        }
        return total;
    }
    std::string stop_reason() const override {
        int code = 0;
        const char* msg = gzerror(gz_, &code);
        return code != Z_OK && msg && *msg ? std::string(" (zlib: ") + msg + ")" : "";
    }

private:
    gzFile gz_ = nullptr;
    std::string path_;
};
#endif

/// Header fields plus the byte count of the payload they declare.
struct IdxHeader {
    std::vector<std::size_t> dims;
    std::size_t header_bytes = 0;
    std::size_t payload_bytes = 0;
};

inline IdxHeader read_idx_header(IdxSource& src, const std::string& path) {
    const std::string where = idx_where(path);
    std::array<std::uint8_t, 4> magic{};
    const std::size_t got = src.read(magic.data(), 4);
    if (got < 4)
        throw FormatError(where + "truncated header: expected a 4-byte magic number, found " + std::to_string(got) +
                          " byte(s)" + src.stop_reason());
    if (magic[0] != 0 || magic[1] != 0)
        throw FormatError(where + "wrong magic number: expected 00 00 <type> <dims>, found " + hex_byte(magic[0]) +
                          " " + hex_byte(magic[1]) + " " + hex_byte(magic[2]) + " " + hex_byte(magic[3]));
    if (magic[2] != idx_ubyte)
        throw FormatError(where + "unsupported type code " + hex_byte(magic[2]) + " (" + idx_type_name(magic[2]) +
                          "): expected " + hex_byte(idx_ubyte) + " (unsigned byte)");
    const unsigned rank = magic[3];
    if (rank < 1 || rank > 4) throw FormatError(where + "expected 1 to 4 dimensions, found " + std::to_string(rank));

    IdxHeader h;
    h.header_bytes = 4 + 4 * std::size_t{rank};
    std::array<std::uint8_t, 16> raw{};
    const std::size_t dim_got = src.read(raw.data(), 4 * rank);
    if (dim_got < 4 * rank)
        throw FormatError(where + "truncated header: expected " + std::to_string(h.header_bytes) + " bytes (magic + " +
                          std::to_string(rank) + " dimension(s)), found " + std::to_string(4 + dim_got) +
                          src.stop_reason());
    for (unsigned i = 0; i < rank; ++i) {
        const std::uint8_t* p = raw.data() + 4 * i;  // big-endian uint32
        h.dims.push_back((std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3]);
    }
    for (std::size_t i = 0; i < rank; ++i)
        if (h.dims[i] == 0)
            throw FormatError(where + "dimension " + std::to_string(i) + " is 0 (dims " + dims_text(h.dims) +
                              "): every dimension must be positive");
    // The element size is 1 byte, so the payload is the product of the dims; it must also
    // fit in a signed index for Eigen.
    constexpr std::size_t limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
    std::size_t n = 1;
    for (std::size_t d : h.dims) {
        if (n > limit / d)
            throw FormatError(where + "declared dims " + dims_text(h.dims) + " overflow the addressable size");
        n *= d;
    }
    h.payload_bytes = n;
    return h;
}

/// Raw file: the file size is known, so check it against the header before allocating.
inline IdxArray read_idx_raw(FilePtr f, const std::string& path) {
    const std::string where = idx_where(path);
    std::error_code ec;
    const std::uintmax_t file_bytes = std::filesystem::file_size(path, ec);
    if (ec) throw IoError(where + "cannot get the file size: " + ec.message());
    RawSource src(std::move(f), path);
    IdxHeader h = read_idx_header(src, path);
    const std::uintmax_t expected = h.header_bytes + h.payload_bytes;
    if (file_bytes != expected) {
        const std::string declared = "declared " + dims_text(h.dims) + " = " + std::to_string(h.payload_bytes) +
                                     " data bytes after the " + std::to_string(h.header_bytes) + "-byte header";
        if (file_bytes < expected)
            throw FormatError(where + declared + ", but the file holds only " +
                              std::to_string(file_bytes - h.header_bytes) + " (truncated)");
        throw FormatError(where + declared + ", but the file holds " + std::to_string(file_bytes - h.header_bytes) +
                          " (" + std::to_string(file_bytes - expected) + " trailing bytes)");
    }
    IdxArray out;
    out.dims = std::move(h.dims);
    out.data.resize(h.payload_bytes);
    const std::size_t got = src.read(out.data.data(), h.payload_bytes);
    if (got != h.payload_bytes)  // the file shrank while we read it
        throw FormatError(where + "expected " + std::to_string(h.payload_bytes) + " data bytes, read " +
                          std::to_string(got));
    return out;
}

#ifdef AE_HAVE_ZLIB
/// Gzip file: the decompressed size is unknown until the stream ends, so collect the data in
/// pieces exactly as large as what was decompressed, and stop as soon as the stream is longer
/// or shorter than declared. The final buffer is allocated only once its size is proven.
inline IdxArray read_idx_gzip(const std::string& path) {
    const std::string where = idx_where(path);
    GzipSource src(path);
    IdxHeader h = read_idx_header(src, path);
    std::vector<std::uint8_t> scratch(std::min<std::size_t>(h.payload_bytes, std::size_t{1} << 20));
    std::vector<std::vector<std::uint8_t>> pieces;
    std::size_t total = 0;
    while (total < h.payload_bytes) {
        const std::size_t ask = std::min(scratch.size(), h.payload_bytes - total);
        const std::size_t got = src.read(scratch.data(), ask);
        pieces.emplace_back(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(got));
        total += got;
        if (got < ask)
            throw FormatError(where + "declared " + dims_text(h.dims) + " = " + std::to_string(h.payload_bytes) +
                              " data bytes, but the decompressed stream holds only " + std::to_string(total) +
                              " (truncated)" + src.stop_reason());
    }
    std::uint8_t extra = 0;
    if (src.read(&extra, 1) != 0)
        throw FormatError(where + "declared " + dims_text(h.dims) + " = " + std::to_string(h.payload_bytes) +
                          " data bytes, but the decompressed stream holds more (trailing bytes)");
    IdxArray out;
    out.dims = std::move(h.dims);
    out.data.reserve(total);
    for (auto& piece : pieces) {
        out.data.insert(out.data.end(), piece.begin(), piece.end());
        std::vector<std::uint8_t>().swap(piece);  // free as we go: peak stays near 2x the data
    }
    return out;
}
#endif

}  // namespace detail

/// Read an unsigned-byte IDX file, raw or gzip-compressed.
/// Throws IoError when the file cannot be opened or read, FormatError when its contents are
/// not a well-formed IDX array (the message names the file, what was expected and what was found).
inline IdxArray read_idx(const std::string& path) {
    const std::string where = detail::idx_where(path);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw IoError(where + "is a directory, expected an IDX file");
    detail::FilePtr f(std::fopen(path.c_str(), "rb"));
    if (!f) throw IoError(where + "cannot open: " + std::strerror(errno));
    // Sniff the gzip magic; a raw IDX file always starts with 00 00, so the two cannot be confused.
    std::uint8_t sniff[2] = {0, 0};
    const std::size_t got = std::fread(sniff, 1, 2, f.get());
    const bool gzip = got == 2 && sniff[0] == 0x1f && sniff[1] == 0x8b;
    if (!gzip) {
        std::rewind(f.get());
        return detail::read_idx_raw(std::move(f), path);
    }
#ifdef AE_HAVE_ZLIB
    f.reset();
    return detail::read_idx_gzip(path);
#else
    throw FormatError(where +
                      "the file is gzip-compressed, but zlib support is not compiled in (build with "
                      "AE_HAVE_ZLIB and link zlib, or gunzip the file first)");
#endif
}

/// Write an unsigned-byte IDX file (uncompressed), atomically.
/// Throws ShapeError if dims are not 1 to 4 positive values below 2^32 whose product is data.size().
inline void write_idx(const std::string& path, const IdxArray& array) {
    const std::string where = "write_idx '" + path + "': ";
    if (array.dims.empty() || array.dims.size() > 4)
        throw ShapeError(where + "expected 1 to 4 dimensions, got " + std::to_string(array.dims.size()));
    for (std::size_t d : array.dims)
        if (d == 0 || d > 0xFFFFFFFFu)
            throw ShapeError(where + "every dimension must be in 1..2^32-1, got dims " + detail::dims_text(array.dims));
    if (array.size() != array.data.size())
        throw ShapeError(where + "dims " + detail::dims_text(array.dims) + " hold " + std::to_string(array.size()) +
                         " elements, but data has " + std::to_string(array.data.size()));
    std::vector<std::uint8_t> bytes;
    bytes.reserve(4 + 4 * array.dims.size() + array.data.size());
    bytes.insert(bytes.end(), {0, 0, idx_ubyte, static_cast<std::uint8_t>(array.dims.size())});
    for (std::size_t d : array.dims)
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>((d >> shift) & 0xFF));
    bytes.insert(bytes.end(), array.data.begin(), array.data.end());
    write_file_atomic(path, bytes.data(), bytes.size());  // io/atomic_file.hpp: temp + fsync + rename
}

}  // namespace ae::data
