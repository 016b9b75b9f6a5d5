#pragma once
// Little-endian binary encoding shared by ae's file formats (model files, checkpoints, ...):
//  - ByteWriter appends fixed-width integers, IEEE floats, u32-length-prefixed strings and raw
//    scalar arrays to a growing buffer;
//  - ByteReader reads them back from a buffer and checks every length and count against the
//    bytes that remain BEFORE the caller allocates anything, so a hostile file that claims
//    2^60 elements fails at once with a FormatError naming the field and its offset;
//  - Fnv1a64: the 64-bit FNV-1a checksum. Each step h = (h ^ byte) · prime is a bijection of h,
//    so changing any single byte always changes the checksum;
//  - read_file_bytes: a whole file, or IoError naming the path and the system's reason.
// Values are encoded byte by byte (not by memcpy of host integers), so a file is the same on
// every host; scalar arrays are memcpy'd only when the host is little-endian.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ae/core/error.hpp"

namespace ae {

/// 64-bit FNV-1a, fed incrementally: Fnv1a64().update(a, n).update(b, m).value().
class Fnv1a64 {
public:
    static constexpr std::uint64_t offset_basis = 0xcbf29ce484222325ULL;
    static constexpr std::uint64_t prime = 0x100000001b3ULL;

    Fnv1a64& update(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        std::uint64_t h = h_;
        for (std::size_t i = 0; i < n; ++i) {
            h ^= p[i];
            h *= prime;
        }
        h_ = h;
        return *this;
    }
    std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = offset_basis;
};

inline std::uint64_t fnv1a64(const void* data, std::size_t n) {
    return Fnv1a64().update(data, n).value();
}

namespace detail {
template <class T>
inline constexpr bool is_file_scalar = std::is_same_v<T, float> || std::is_same_v<T, double>;

// The unsigned integer with the bits of a float (u32) or double (u64).
template <class T>
using scalar_bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
}  // namespace detail

/// Appends little-endian values to a byte buffer.
class ByteWriter {
public:
    void reserve(std::size_t n) { buf_.reserve(n); }
    std::size_t size() const { return buf_.size(); }
    const std::vector<std::uint8_t>& data() const { return buf_; }
    std::vector<std::uint8_t> take() { return std::move(buf_); }

    void u8(std::uint8_t v) { buf_.push_back(v); }
    void u32(std::uint32_t v) { put_le(v, 4); }
    void u64(std::uint64_t v) { put_le(v, 8); }
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
    void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }

    void bytes(const void* p, std::size_t n) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        buf_.insert(buf_.end(), b, b + n);
    }

    /// u32 byte length, then the bytes (no terminator).
    void string(std::string_view s) {
        if (s.size() > UINT32_MAX)
            throw Error("ByteWriter: string of " + std::to_string(s.size()) + " bytes exceeds the 4 GiB limit");
        u32(static_cast<std::uint32_t>(s.size()));
        bytes(s.data(), s.size());
    }

    /// n floats or doubles, each little-endian, bit for bit.
    template <class T>
    void scalars(const T* p, std::size_t n) {
        static_assert(detail::is_file_scalar<T>, "ByteWriter::scalars: float or double only");
        if constexpr (std::endian::native == std::endian::little) {
            bytes(p, n * sizeof(T));
        } else {
            for (std::size_t i = 0; i < n; ++i) put_le(std::bit_cast<detail::scalar_bits<T>>(p[i]), sizeof(T));
        }
    }

    /// Overwrite 8 bytes already written at `offset` (lengths known only at the end).
    void patch_u64(std::size_t offset, std::uint64_t v) {
        if (offset + 8 > buf_.size() || offset + 8 < offset)
            throw Error("ByteWriter::patch_u64: offset " + std::to_string(offset) + " is past the end (" +
                        std::to_string(buf_.size()) + " bytes written)");
        for (int i = 0; i < 8; ++i) buf_[offset + i] = std::uint8_t(v >> (8 * i));
    }

private:
    void put_le(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf_.push_back(std::uint8_t(v >> (8 * i)));
    }
    std::vector<std::uint8_t> buf_;
};

/// Reads little-endian values from a buffer it does not own. Every failure is a FormatError
/// "<context>: <what> needs N bytes at offset O, only R remain" with O counted from base_offset
/// (pass the position of the buffer in the file so messages give file offsets).
class ByteReader {
public:
    ByteReader(const std::uint8_t* data, std::size_t size, std::string context, std::size_t base_offset = 0)
        : data_(data), size_(size), base_(base_offset), context_(std::move(context)) {}

    std::size_t offset() const { return base_ + pos_; }
    std::size_t remaining() const { return size_ - pos_; }
    bool at_end() const { return pos_ == size_; }
    const std::string& context() const { return context_; }

    /// Throw unless n more bytes are available.
    void need(std::uint64_t n, std::string_view what) const {
        if (n > remaining())
            fail(std::string(what) + " needs " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) +
                 " remain");
    }

    std::uint8_t u8(std::string_view what) { return std::uint8_t(get_le(1, what)); }
    std::uint32_t u32(std::string_view what) { return std::uint32_t(get_le(4, what)); }
    std::uint64_t u64(std::string_view what) { return get_le(8, what); }
    std::int64_t i64(std::string_view what) { return static_cast<std::int64_t>(get_le(8, what)); }
    float f32(std::string_view what) { return std::bit_cast<float>(u32(what)); }
    double f64(std::string_view what) { return std::bit_cast<double>(u64(what)); }

    /// A view of the next n bytes (valid as long as the buffer is).
    const std::uint8_t* bytes(std::uint64_t n, std::string_view what) {
        need(n, what);
        const std::uint8_t* p = data_ + pos_;
        pos_ += std::size_t(n);
        return p;
    }
    void skip(std::uint64_t n, std::string_view what) { bytes(n, what); }

    /// A u32-length-prefixed string; the length is checked before the string is allocated.
    std::string string(std::string_view what) {
        const std::uint32_t n = u32(what);
        const auto* p = bytes(n, what);
        return std::string(reinterpret_cast<const char*>(p), n);
    }

    /// Check a count read from the file: n items of at least min_bytes_each must fit in what
    /// remains. Returns n, so `auto k = r.count(r.u32("layers"), 5, "layers");`.
    std::uint64_t count(std::uint64_t n, std::uint64_t min_bytes_each, std::string_view what) const {
        if (min_bytes_each == 0) min_bytes_each = 1;
        if (n > remaining() / min_bytes_each)
            fail(std::string(what) + ": the file claims " + std::to_string(n) + " items of at least " +
                 std::to_string(min_bytes_each) + " bytes, but only " + std::to_string(remaining()) + " bytes remain");
        return n;
    }

    /// Read n scalars stored as Src (float or double, little-endian) into out, converting to
    /// Dst. The byte count is checked (without overflow) before anything is read.
    template <class Src, class Dst>
    void scalars(Dst* out, std::uint64_t n, std::string_view what) {
        static_assert(detail::is_file_scalar<Src> && detail::is_file_scalar<Dst>, "float or double only");
        if (n > remaining() / sizeof(Src))
            fail(std::string(what) + " needs " + std::to_string(n) + " values of " + std::to_string(sizeof(Src)) +
                 " bytes, only " + std::to_string(remaining()) + " bytes remain");
        const std::uint8_t* p = data_ + pos_;
        if constexpr (std::is_same_v<Src, Dst> && std::endian::native == std::endian::little) {
            if (n) std::memcpy(out, p, std::size_t(n) * sizeof(Src));
        } else {
            for (std::uint64_t i = 0; i < n; ++i) {
                detail::scalar_bits<Src> bits = 0;
                for (std::size_t b = 0; b < sizeof(Src); ++b)
                    bits |= detail::scalar_bits<Src>(p[i * sizeof(Src) + b]) << (8 * b);
                out[i] = static_cast<Dst>(std::bit_cast<Src>(bits));
            }
        }
        pos_ += std::size_t(n) * sizeof(Src);
    }

    /// FormatError "<context>: <message> (at byte offset O)".
    [[noreturn]] void fail(const std::string& message) const {
        throw FormatError(context_ + ": " + message + " (at byte offset " + std::to_string(offset()) + ")");
    }

private:
    std::uint64_t get_le(int n, std::string_view what) {
        need(std::uint64_t(n), what);
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= std::uint64_t(data_[pos_ + i]) << (8 * i);
        pos_ += std::size_t(n);
        return v;
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::size_t base_;
    std::string context_;
};

/// The whole file at path. IoError (naming the path and strerror) if it cannot be opened or read.
inline std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
    auto io_fail = [&](const char* step) {
        const int err = errno;
        throw IoError("cannot read '" + path + "': " + step + ": " + std::strerror(err));
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) io_fail("open");
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) io_fail("stat");
    if (!S_ISREG(st.st_mode)) throw IoError("cannot read '" + path + "': not a regular file");
    // The buffer is sized by the real file, never by anything the file claims.
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < buf.size()) {
        const ssize_t r = ::read(fd, buf.data() + got, buf.size() - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            io_fail("read");
        }
        if (r == 0) break;  // the file shrank while we read it
        got += std::size_t(r);
    }
    buf.resize(got);
    return buf;
}

}  // namespace ae
