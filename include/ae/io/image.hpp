#pragma once
// Images: an 8-bit raster (Image), PNG/BMP reading and atomic PNG writing through stb, and
// conversion to and from ae's image columns (Shape {H, W, C}, HWC order, values in [0, 1]).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/shape.hpp"
#include "ae/io/atomic_file.hpp"
#include "ae/io/binary.hpp"

#if defined(AE_HAVE_STB)
// stb with internal linkage, once per translation unit.
//
// ae is header-only, so stb's implementation has to be compiled from a header too. Defining
// STB_IMAGE_STATIC / STB_IMAGE_WRITE_STATIC declares every stb function and global `static`: each
// translation unit that includes this header compiles its own private copy and exports no stb
// symbol. Two TUs that include ae therefore never clash at link time, and neither do they with a
// user's own (external) stb build in some other TU. `#pragma once` keeps the implementation to one
// copy per TU. The copies are token-identical, so ae's inline functions behave the same whichever
// copy the linker keeps for them.
//
// If this TU already included stb_image.h / stb_image_write.h before ae, we do not include them
// again (stb does not guard its implementation section, so a second pass would redefine it) and
// ae uses the user's stb in this TU. Conversely, do not define STB_IMAGE_IMPLEMENTATION yourself
// *after* including ae in the same TU: include your stb first, or build it in another TU.
//
// stb is C written for many compilers; its warnings are not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#if !defined(STBI_INCLUDE_STB_IMAGE_H)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
// Only the formats ae reads: stb is compiled in every TU that includes ae, so less is faster.
// Not JPEG: see detail::refuse_jpeg.
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include <stb_image.h>
#undef STB_IMAGE_IMPLEMENTATION
#endif
#if !defined(INCLUDE_STB_IMAGE_WRITE_H)
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#endif
#pragma GCC diagnostic pop
#endif  // AE_HAVE_STB

namespace ae::io {

/// An 8-bit colour. On a 1- or 2-channel image it is drawn as its luma.
struct Color {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Color&) const = default;
};

/// ITU-R BT.601 luma, the grey value of a colour (as stb and most tools compute it).
inline std::uint8_t luma(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    return static_cast<std::uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/// An 8-bit raster: row-major, channels interleaved; pixel (x, y) channel c is at
/// pixels[(y * width + x) * channels + c]. channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
struct Image {
    int width = 0, height = 0, channels = 0;
    std::vector<std::uint8_t> pixels;

    Image() = default;
    Image(int w, int h, int c, std::uint8_t fill = 0) : width(w), height(h), channels(c) {
        if (w <= 0 || h <= 0 || c < 1 || c > 4)
            throw ShapeError("Image: expected width, height > 0 and 1-4 channels, got " + std::to_string(w) + "x" +
                             std::to_string(h) + "x" + std::to_string(c));
        pixels.assign(static_cast<std::size_t>(w) * h * c, fill);
    }

    bool empty() const { return pixels.empty(); }
    bool contains(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }
    std::size_t offset(int x, int y) const { return (static_cast<std::size_t>(y) * width + x) * channels; }
    std::uint8_t& at(int x, int y, int c = 0) { return pixels[offset(x, y) + c]; }
    std::uint8_t at(int x, int y, int c = 0) const { return pixels[offset(x, y) + c]; }

    /// Paint one pixel; points outside the image are ignored so drawing code can clip for free.
    void set(int x, int y, Color col) {
        if (!contains(x, y)) return;
        std::uint8_t* p = &pixels[offset(x, y)];
        if (channels >= 3) {
            p[0] = col.r, p[1] = col.g, p[2] = col.b;
        } else {
            p[0] = luma(col.r, col.g, col.b);
        }
        if (channels == 2 || channels == 4) p[channels - 1] = 255;  // drawn pixels are opaque
    }
    /// The colour at (x, y); grey images give r == g == b.
    Color get(int x, int y) const {
        const std::uint8_t* p = &pixels[offset(x, y)];
        if (channels >= 3) return {p[0], p[1], p[2]};
        return {p[0], p[0], p[0]};
    }
    void fill(Color col) {
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) set(x, y, col);
    }
};

namespace detail {

inline void check_image(const Image& img, const std::string& who) {
    const std::size_t expected =
        static_cast<std::size_t>(std::max(img.width, 0)) * std::max(img.height, 0) * std::max(img.channels, 0);
    if (img.width <= 0 || img.height <= 0 || img.channels < 1 || img.channels > 4 || img.pixels.size() != expected)
        throw ShapeError(who +
                         ": expected an image with width, height > 0, 1-4 channels and width*height*channels "
                         "pixels, got " +
                         std::to_string(img.width) + "x" + std::to_string(img.height) + "x" +
                         std::to_string(img.channels) + " with " + std::to_string(img.pixels.size()) + " values");
}

[[noreturn]] inline void no_stb(const std::string& who) {
    throw Error(who +
                ": image support is not compiled in: ae was built without stb (install libstb-dev, or add "
                "its include folder and define AE_HAVE_STB)");
}

/// Refuse a JPEG before stb sees it. The stb that Debian 12 ships (2022-09-08) decodes corrupt
/// JPEG files with undefined behaviour, and fuzzing kept finding more: a Huffman table of more
/// than 256 codes overflowing its decoder state, its bit reader shifting by 33 bits, reads past
/// its Huffman arrays (index 18 of 18, index 953 of 257). stb fixed such bugs upstream after that
/// snapshot. Checking each case ahead of stb would only chase the next one, so ae does not decode JPEG, and refuses it
/// even when the program brought its own stb (the same file behaves the same everywhere).
/// stb takes FF, any number of FF fill bytes, then D8 (start of image) as a JPEG.
inline void refuse_jpeg(const std::vector<std::uint8_t>& b, const std::string& path) {
    std::size_t p = 1;
    while (p < b.size() && b[p] == 0xFF) ++p;
    if (b.empty() || b[0] != 0xFF || p >= b.size() || b[p] != 0xD8) return;  // not a JPEG
    throw FormatError("read_image: '" + path +
                      "' is a JPEG file; expected PNG or BMP (ae does not decode JPEG: the stb JPEG decoder "
                      "of this system misbehaves on corrupt files). Convert it to PNG first");
}

/// Walk a PNG's chunks before stb does, up to IEND as stb does:
/// - reject a chunk that claims more bytes than the file has left: stb grows its buffer to a
///   chunk's declared length before reading it, so 111 bytes declaring a 1.7 GB IDAT chunk made
///   it allocate 1.7 GB (found by fuzz_image);
/// - drop empty IDAT chunks: stb copies an empty first IDAT into its still-null buffer, which is
///   undefined (found by fuzz_image). An empty IDAT adds nothing to the image data, so dropping
///   it changes no picture.
inline void check_png_chunks(std::vector<std::uint8_t>& b, const std::string& path) {
    static constexpr std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (b.size() < 8 || !std::equal(signature, signature + 8, b.begin())) return;  // not a PNG
    for (std::size_t p = 8; p + 8 <= b.size();) {
        const std::uint64_t length = std::uint64_t(b[p]) << 24 | std::uint64_t(b[p + 1]) << 16 |
                                     std::uint64_t(b[p + 2]) << 8 | b[p + 3];
        const std::string type(reinterpret_cast<const char*>(&b[p + 4]), 4);
        const std::uint64_t left = b.size() - p - 8;  // after the length and type fields
        if (length > left)
            throw FormatError("read_image: cannot decode '" + path + "' as PNG: chunk '" + type + "' at byte " +
                              std::to_string(p) + " declares " + std::to_string(length) + " bytes, but only " +
                              std::to_string(left) + " remain");
        if (type == "IEND") return;
        if (type == "IDAT" && length == 0) {  // length, type and CRC, or as much of them as there is
            b.erase(b.begin() + std::ptrdiff_t(p), b.begin() + std::ptrdiff_t(std::min(b.size(), p + 12)));
            continue;
        }
        p += 12 + std::size_t(length);  // length, type, data, CRC
    }
}

}  // namespace detail

/// The largest picture read_image decodes by default, in bytes of 8-bit pixels (width · height ·
/// channels): 256 MiB, a 16384 × 16384 RGBA image. A few hundred bytes of PNG can declare a
/// picture of gigabytes, and stb allocates it before finding the pixel data missing.
inline constexpr std::size_t default_max_image_bytes = std::size_t(1) << 28;

/// Read a PNG or BMP file (8 or 16 bits; 16 are reduced to 8) with the channels it has.
/// IoError when the file is missing or unreadable, FormatError when its contents do not decode
/// (a JPEG file is refused with a FormatError that says so)
/// or its header declares more than max_bytes of pixels (checked before anything is decoded).
inline Image read_image(const std::string& path, std::size_t max_bytes = default_max_image_bytes) {
#if defined(AE_HAVE_STB)
    std::vector<std::uint8_t> bytes;
    try {
        bytes = read_file_bytes(path);
    } catch (const IoError& e) {
        throw IoError(std::string("read_image: ") + e.what());
    }
    if (bytes.empty()) throw FormatError("read_image: cannot decode '" + path + "': the file is empty");
    if (bytes.size() > static_cast<std::size_t>(INT32_MAX))
        throw FormatError("read_image: cannot decode '" + path + "': file larger than 2 GiB");
    detail::refuse_jpeg(bytes, path);  // before stb parses any of it
    detail::check_png_chunks(bytes, path);
    int w = 0, h = 0, c = 0;
    if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c)) {
        const char* why = stbi_failure_reason();
        throw FormatError("read_image: cannot decode '" + path +
                          "' as PNG or BMP: " + (why ? why : "unknown reason"));
    }
    const std::string declared = "'" + path + "' declares a " + std::to_string(w) + "x" + std::to_string(h) +
                                 " image of " + std::to_string(c) + " channel(s)";
    if (w <= 0 || h <= 0 || c <= 0)
        throw FormatError("read_image: " + declared + "; expected positive sizes");
    // Exact: each factor is below 2^31 and c <= 4, so the product fits in 64 bits.
    const std::uint64_t pixel_bytes = std::uint64_t(w) * std::uint64_t(h) * std::uint64_t(c);
    if (pixel_bytes > max_bytes)
        throw FormatError("read_image: " + declared + ", " + std::to_string(pixel_bytes) +
                          " bytes of pixels; expected at most " + std::to_string(max_bytes) +
                          " (pass a larger max_bytes to read it)");
    unsigned char* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c, 0);
    if (!data) {
        const char* why = stbi_failure_reason();
        throw FormatError("read_image: cannot decode '" + path +
                          "' as PNG or BMP: " + (why ? why : "unknown reason"));
    }
    Image img;
    img.width = w, img.height = h, img.channels = c;
    img.pixels.assign(data, data + static_cast<std::size_t>(w) * h * c);
    stbi_image_free(data);
    return img;
#else
    (void)path, (void)max_bytes;
    detail::no_stb("read_image");
#endif
}

/// Write img as a PNG, atomically (ae::write_file_atomic: temporary file, fsync, rename): on
/// failure the previous file at path is left as it was. IoError naming the path when the folder
/// is missing or the write fails.
inline void write_png(const std::string& path, const Image& img) {
    detail::check_image(img, "write_png('" + path + "')");
#if defined(AE_HAVE_STB)
    std::vector<std::uint8_t> png;
    auto sink = [](void* ctx, void* data, int size) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(ctx);
        auto* bytes = static_cast<std::uint8_t*>(data);
        out->insert(out->end(), bytes, bytes + size);
    };
    if (!stbi_write_png_to_func(sink, &png, img.width, img.height, img.channels, img.pixels.data(),
                                img.width * img.channels))
        throw IoError("write_png: cannot encode '" + path + "' (out of memory)");
    try {
        write_file_atomic(path, png.data(), png.size());
    } catch (const IoError& e) {
        throw IoError(std::string("write_png: ") + e.what());
    }
#else
    detail::no_stb("write_png");
#endif
}

/// The same picture with `channels` channels: grey <-> RGB by luma / replication; alpha is
/// dropped or added as opaque.
inline Image convert_channels(const Image& img, int channels) {
    detail::check_image(img, "convert_channels");
    if (channels < 1 || channels > 4)
        throw ConfigError("convert_channels: channels must be 1-4, got " + std::to_string(channels));
    if (channels == img.channels) return img;
    Image out(img.width, img.height, channels);
    const bool src_alpha = img.channels == 2 || img.channels == 4;
    const bool dst_alpha = channels == 2 || channels == 4;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) {
            const Color c = img.get(x, y);
            std::uint8_t* p = &out.pixels[out.offset(x, y)];
            if (channels >= 3) {
                p[0] = c.r, p[1] = c.g, p[2] = c.b;
            } else {
                p[0] = img.channels >= 3 ? luma(c.r, c.g, c.b) : c.r;
            }
            if (dst_alpha) p[channels - 1] = src_alpha ? img.at(x, y, img.channels - 1) : 255;
        }
    return out;
}

/// The image as one ae column: HWC order (index (y * W + x) * C + c, as Shape {H, W, C} lays out
/// a sample), values v / 255 in [0, 1]. channels_wanted = 0 keeps the image's own channels.
template <class S = float>
Vector<S> to_column(const Image& img, int channels_wanted = 0) {
    const Image conv = channels_wanted == 0 ? img : convert_channels(img, channels_wanted);
    detail::check_image(conv, "to_column");
    Vector<S> col(static_cast<Index>(conv.pixels.size()));  // col: H*W*C
    // Image pixels are already row-major HWC, so the column is the pixel array, rescaled.
    for (Index i = 0; i < col.size(); ++i) col[i] = static_cast<S>(conv.pixels[static_cast<std::size_t>(i)]) / S(255);
    return col;
}

/// The image a column holds, for Shape {H, W, C} (C in 1-4) or {H, W} (grey): values are clamped
/// to [0, 1] and rounded to the nearest of 256 levels; NaN becomes 0.
template <class Derived>
Image from_column(const Eigen::MatrixBase<Derived>& col, const Shape& shape) {
    if (shape.rank() != 2 && shape.rank() != 3)
        throw ShapeError("from_column: expected an image shape {H, W, C} or {H, W}, got " + shape.str());
    const Index h = shape[0], w = shape[1], c = shape.rank() == 3 ? shape[2] : 1;
    if (c < 1 || c > 4) throw ShapeError("from_column: expected 1-4 channels, got shape " + shape.str());
    if (col.cols() != 1 || col.rows() != shape.size())
        throw ShapeError("from_column: expected a column of " + std::to_string(shape.size()) + " values for shape " +
                         shape.str() + ", got " + std::to_string(col.rows()) + "x" + std::to_string(col.cols()));
    Image img(static_cast<int>(w), static_cast<int>(h), static_cast<int>(c));
    for (Index i = 0; i < col.rows(); ++i) {
        const double v = static_cast<double>(col(i, 0));
        const double clamped = std::isnan(v) ? 0.0 : std::clamp(v, 0.0, 1.0);
        img.pixels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(std::lround(clamped * 255.0));
    }
    return img;
}

/// Read an image file as an ae column for Shape {h, w, c}: channels are converted to c, but the
/// size must match (no resizing): ShapeError naming both sizes otherwise.
template <class S = float>
Vector<S> load_image_column(const std::string& path, Index h, Index w, Index c) {
    if (h <= 0 || w <= 0 || c < 1 || c > 4)
        throw ConfigError("load_image_column: expected H, W > 0 and C in 1-4, got {" + std::to_string(h) + ", " +
                          std::to_string(w) + ", " + std::to_string(c) + "}");
    const Image img = read_image(path);
    if (img.height != h || img.width != w)
        throw ShapeError("load_image_column: '" + path + "' is " + std::to_string(img.height) + "x" +
                         std::to_string(img.width) + " (HxW), expected " + std::to_string(h) + "x" + std::to_string(w));
    return to_column<S>(img, static_cast<int>(c));
}

}  // namespace ae::io
