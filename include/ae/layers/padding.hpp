#pragma once
// Padding and output-size arithmetic shared by Conv2D, Conv2DTranspose and MaxPool2D, with
// Keras' / TensorFlow's definitions (per spatial axis, input n, window k, stride s):
//   valid: out = ceil((n - k + 1) / s), no padding;
//   same:  out = ceil(n / s), pad_total = max((out - 1) s + k - n, 0),
//          pad_before = floor(pad_total / 2), the odd one on the after side.
// Transposed convolution (Keras' deconv_output_length, no output_padding):
//   valid: out = n s + max(k - s, 0);  same: out = n s;
// and its cropping is that of the Conv2D it is the gradient of: pad_before of a convolution
// whose input is the transposed output.
#include <algorithm>
#include <string>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"

namespace ae {

enum class Padding { valid, same };

inline std::string to_string(Padding p) {
    return p == Padding::valid ? "valid" : "same";
}

inline Padding padding_from_string(const std::string& s) {
    if (s == "valid") return Padding::valid;
    if (s == "same") return Padding::same;
    throw ConfigError("unknown padding '" + s + "', expected valid or same");
}

/// A 2-D size (kernel, stride, pool): `3` means 3×3, `{3, 5}` means 3 rows × 5 columns.
struct Size2D {
    Index h = 1, w = 1;
    Size2D(Index n) : h(n), w(n) {}  // NOLINT: implicit on purpose, as Keras accepts an int
    Size2D(Index rows, Index cols) : h(rows), w(cols) {}
    bool positive() const { return h > 0 && w > 0; }
    std::string str() const { return std::to_string(h) + "×" + std::to_string(w); }
    bool operator==(const Size2D&) const = default;
};

/// Output length of a convolution or pooling window; 0 means the window does not fit.
inline Index conv_output_length(Index n, Index k, Index s, Padding p) {
    if (p == Padding::same) return (n + s - 1) / s;
    const Index span = n - k + 1;
    return span <= 0 ? 0 : (span + s - 1) / s;
}

/// Padding before the first element (top or left) for a window over n with output `out`.
inline Index conv_pad_before(Index n, Index k, Index s, Padding p) {
    if (p == Padding::valid) return 0;
    const Index out = conv_output_length(n, k, s, p);
    const Index total = std::max<Index>((out - 1) * s + k - n, 0);
    return total / 2;
}

/// Output length of a transposed convolution (Keras' deconv_output_length).
inline Index conv_transpose_output_length(Index n, Index k, Index s, Padding p) {
    return p == Padding::same ? n * s : n * s + std::max<Index>(k - s, 0);
}

}  // namespace ae
