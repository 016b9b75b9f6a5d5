#pragma once
// Pictures the examples write, as PNGs readable without a display: image grids (originals over
// reconstructions), mosaics (VAE samples and manifolds), loss curves (several runs on one chart,
// validation dashed) and latent-space scatter plots coloured by label (t-SNE maps included).
// The raster code is deliberately plain: Bresenham lines, filled discs, the built-in bitmap font.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/shape.hpp"
#include "ae/io/font.hpp"
#include "ae/io/image.hpp"
#include "ae/training/history.hpp"

namespace ae::io {

/// Ten distinct colours (the Tableau 10 palette), used in order for series and labels.
inline constexpr std::array<Color, 10> palette = {{{31, 119, 180},
                                                   {255, 127, 14},
                                                   {44, 160, 44},
                                                   {214, 39, 40},
                                                   {148, 103, 189},
                                                   {140, 86, 75},
                                                   {227, 119, 194},
                                                   {127, 127, 127},
                                                   {188, 189, 34},
                                                   {23, 190, 207}}};

/// An axis-aligned pixel rectangle: columns [x, x + width), rows [y, y + height).
struct Rect {
    int x = 0, y = 0, width = 0, height = 0;
    bool contains(int px, int py) const { return px >= x && py >= y && px < x + width && py < y + height; }
    int right() const { return x + width - 1; }
    int bottom() const { return y + height - 1; }
};

/// A rendered chart and where its parts are, so callers (and tests) can find them.
struct Figure {
    Image image;
    Rect axes;    ///< the plotting area inside the frame
    Rect legend;  ///< the legend box (empty when there is no legend)
};

/// One line of a line chart: values[i] is plotted at x = i + 1 (epochs count from 1).
/// Non-finite values are skipped and break the line. No colour: the palette's next one.
/// dashed draws the line (and its legend swatch) dashed, e.g. validation next to a solid train loss.
struct Series {
    std::string name;
    std::vector<double> values;
    std::optional<Color> color = std::nullopt;
    bool dashed = false;
};

/// One training run for plot_runs: its name in the legend and the History fit returned.
struct Run {
    std::string name;
    History history;
};

namespace detail {

inline constexpr Color black{0, 0, 0};
inline constexpr Color white{255, 255, 255};
inline constexpr Color grid_grey{225, 225, 225};
inline constexpr Color frame_grey{120, 120, 120};

inline void fill_rect(Image& img, const Rect& r, Color c) {
    for (int y = r.y; y < r.y + r.height; ++y)
        for (int x = r.x; x < r.x + r.width; ++x) img.set(x, y, c);
}

inline void draw_rect(Image& img, const Rect& r, Color c) {
    for (int x = r.x; x < r.x + r.width; ++x) img.set(x, r.y, c), img.set(x, r.bottom(), c);
    for (int y = r.y; y < r.y + r.height; ++y) img.set(r.x, y, c), img.set(r.right(), y, c);
}

/// A square pen of side `thickness` centred on (x, y), clipped to `clip`.
inline void stamp(Image& img, int x, int y, int thickness, Color c, const Rect& clip) {
    const int lo = -(thickness - 1) / 2;
    for (int dy = lo; dy < lo + thickness; ++dy)
        for (int dx = lo; dx < lo + thickness; ++dx)
            if (clip.contains(x + dx, y + dy)) img.set(x + dx, y + dy, c);
}

/// Dashes: a dashed line inks dash_on steps out of every dash_period.
inline constexpr int dash_on = 7, dash_period = 12;

/// Bresenham's line from (x0, y0) to (x1, y1), both ends included. With `dash` set, the line is
/// dashed and *dash counts the steps drawn so far, so a polyline's dashes run on across segments.
inline void draw_line(Image& img, int x0, int y0, int x1, int y1, Color c, int thickness, const Rect& clip,
                      int* dash = nullptr) {
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    const int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        if (!dash || (*dash)++ % dash_period < dash_on) stamp(img, x0, y0, thickness, c, clip);
        if (x0 == x1 && y0 == y1) break;
        const int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

inline void fill_disc(Image& img, int cx, int cy, int radius, Color c, const Rect& clip) {
    for (int dy = -radius; dy <= radius; ++dy)
        for (int dx = -radius; dx <= radius; ++dx)
            if (dx * dx + dy * dy <= radius * radius + radius && clip.contains(cx + dx, cy + dy))
                img.set(cx + dx, cy + dy, c);
}

/// The "nice" number (1, 2, 5 or 10 times a power of ten) nearest to x (round) or not below it
/// (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
inline double nice_number(double x, bool round) {
    const double exp10 = std::pow(10.0, std::floor(std::log10(x)));
    const double f = x / exp10;
    double nf;
    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;  // tolerate rounding
    return nf * exp10;
}

/// A tick label with just enough decimals for the step. When the axis' largest value is huge or
/// the step tiny, every label uses the exponent of that largest value ("0.5e-5", "1.0e-5"), so
/// the labels of one axis read alike.
inline std::string format_tick(double v, double step, double max_abs) {
    char buf[64];
    const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
    if (max_abs >= 1e5 || step_exp < -4) {
        if (v == 0) return "0";
        const int e = static_cast<int>(std::floor(std::log10(max_abs) + 1e-9));
        const int digits = std::clamp(e - step_exp, 0, 6);
        std::snprintf(buf, sizeof buf, "%.*fe%d", digits, v / std::pow(10.0, e), e);
    } else {
        std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -step_exp), v);
    }
    return buf;
}

/// An axis: the value range it spans and its ticks (the multiples of step inside the range).
struct Axis {
    double lo = 0, hi = 1, step = 1;
    std::vector<double> ticks;
    std::vector<std::string> labels;  ///< one per tick, formatted alike
};

/// The axis for data in [lo, hi] with `margin` (a fraction of the range) added at both ends, and
/// the smallest nice step that gives at most max_ticks ticks. As matplotlib does, the range is not
/// widened to whole steps, so no space is wasted past the data.
inline Axis nice_axis(double lo, double hi, int max_ticks, bool integer_steps, double margin) {
    if (!(hi - lo > 1e-12 * std::max(std::abs(lo), std::abs(hi)))) {  // one value: give it room
        const double pad = lo != 0 ? std::abs(lo) * 0.1 : 1.0;
        lo -= pad, hi += pad;
    } else {
        const double m = (hi - lo) * margin;
        lo -= m, hi += m;
    }
    max_ticks = std::max(max_ticks, 2);
    auto count = [&](double st) { return std::floor(hi / st + 1e-9) - std::ceil(lo / st - 1e-9) + 1; };
    double step = nice_number((hi - lo) / (max_ticks + 1), false);
    if (integer_steps) step = std::max(step, 1.0);
    while (count(step) > max_ticks) step = nice_number(step * 1.01, false);
    Axis a;
    a.lo = lo, a.hi = hi, a.step = step;
    for (double k = std::ceil(lo / step - 1e-9); k <= std::floor(hi / step + 1e-9); k += 1) {
        double t = k * step;
        if (std::abs(t) < step * 1e-9) t = 0;  // no "-0"
        a.ticks.push_back(t);
    }
    double max_abs = 0;
    for (double t : a.ticks) max_abs = std::max(max_abs, std::abs(t));
    for (double t : a.ticks) a.labels.push_back(format_tick(t, step, max_abs));
    return a;
}

/// Pixel position of v on an axis mapped onto [p0, p1] (p1 may be below p0 for y).
inline int to_pixel(double v, const Axis& a, int p0, int p1) {
    return static_cast<int>(std::lround(p0 + (v - a.lo) / (a.hi - a.lo) * (p1 - p0)));
}

/// Sizes of the shared chart furniture: text scales and margins.
inline constexpr int pad = 8, tick_len = 4, title_scale = 2, label_scale = 1, tick_scale = 1;

/// Draw title, frame, grid, ticks, tick labels and axis labels around `axes`.
inline void draw_axes(Image& img, const Rect& axes, const Axis& xa, const Axis& ya, const std::string& title,
                      const std::string& x_label, const std::string& y_label) {
    // Light grid lines first, so the frame and data draw over them.
    for (double t : xa.ticks) {
        const int px = to_pixel(t, xa, axes.x, axes.right());
        for (int y = axes.y; y <= axes.bottom(); ++y) img.set(px, y, grid_grey);
    }
    for (double t : ya.ticks) {
        const int py = to_pixel(t, ya, axes.bottom(), axes.y);
        for (int x = axes.x; x <= axes.right(); ++x) img.set(x, py, grid_grey);
    }
    draw_rect(img, {axes.x - 1, axes.y - 1, axes.width + 2, axes.height + 2}, frame_grey);

    const int th = text_height(tick_scale);
    for (std::size_t i = 0; i < xa.ticks.size(); ++i) {
        const int px = to_pixel(xa.ticks[i], xa, axes.x, axes.right());
        for (int k = 1; k <= tick_len; ++k) img.set(px, axes.bottom() + 1 + k, black);
        const std::string& s = xa.labels[i];
        draw_text(img, px - text_width(s, tick_scale) / 2, axes.bottom() + 2 + tick_len + 3, s, black, tick_scale);
    }
    for (std::size_t i = 0; i < ya.ticks.size(); ++i) {
        const int py = to_pixel(ya.ticks[i], ya, axes.bottom(), axes.y);
        for (int k = 1; k <= tick_len; ++k) img.set(axes.x - 1 - k, py, black);
        const std::string& s = ya.labels[i];
        draw_text(img, axes.x - 2 - tick_len - 3 - text_width(s, tick_scale), py - font::cap_height * tick_scale / 2, s,
                  black, tick_scale);
    }
    // Title centred over the axes; x label centred under the tick labels; y label rotated at the left edge.
    draw_text(img, axes.x + (axes.width - text_width(title, title_scale)) / 2, pad, title, black, title_scale);
    draw_text(img, axes.x + (axes.width - text_width(x_label, label_scale)) / 2,
              axes.bottom() + 2 + tick_len + 3 + th + pad, x_label, black, label_scale);
    draw_text_up(img, pad, axes.y + (axes.height - text_width(y_label, label_scale)) / 2, y_label, black, label_scale);
}

/// The axes rectangle for a chart of this size, leaving room for title, labels and tick labels.
inline Rect axes_rect(int width, int height, const std::vector<std::string>& y_tick_labels, int extra_right,
                      const std::string& who) {
    int widest = 0;
    for (const auto& s : y_tick_labels) widest = std::max(widest, text_width(s, tick_scale));
    const int left = pad + text_height(label_scale) + pad + widest + 3 + tick_len + 2;
    const int top = pad + text_height(title_scale) + pad;
    const int bottom = 2 + tick_len + 3 + text_height(tick_scale) + pad + text_height(label_scale) + pad;
    const int right = pad + extra_right;
    const Rect r{left, top, width - left - right, height - top - bottom};
    if (r.width < 40 || r.height < 40)
        throw ConfigError(who + ": a " + std::to_string(width) + "x" + std::to_string(height) +
                          " picture leaves no room for the plot; make it larger");
    return r;
}

inline void check_size(int width, int height, const std::string& who) {
    if (width < 120 || height < 100 || width > 16384 || height > 16384)
        throw ConfigError(who + ": picture size must be between 120x100 and 16384x16384, got " + std::to_string(width) +
                          "x" + std::to_string(height));
}

/// Pixels in r that are neither background nor grid: what a legend placed there would hide.
inline long data_pixels(const Image& img, const Rect& r) {
    long n = 0;
    for (int y = std::max(r.y, 0); y <= std::min(r.bottom(), img.height - 1); ++y)
        for (int x = std::max(r.x, 0); x <= std::min(r.right(), img.width - 1); ++x) {
            const Color c = img.get(x, y);
            if (c != white && c != grid_grey) ++n;
        }
    return n;
}

/// One legend row: a swatch (line or dot) then the name.
struct LegendEntry {
    std::string name;
    Color color;
    bool dashed = false;
};

inline constexpr int swatch_len = 18, legend_pad = 6, legend_scale = 1;

inline int legend_width(const std::vector<LegendEntry>& entries) {
    int widest = 0;
    for (const auto& e : entries) widest = std::max(widest, text_width(e.name, legend_scale));
    return legend_pad + swatch_len + legend_pad + widest + legend_pad;
}
inline int legend_row_height() {
    return text_height(legend_scale) + 5;
}
inline int legend_height(const std::vector<LegendEntry>& entries) {
    return legend_pad + static_cast<int>(entries.size()) * legend_row_height() - 5 + legend_pad;
}

/// A legend box at (x, y); dots = true draws a dot swatch (scatter), else a short line (curves).
inline Rect draw_legend(Image& img, int x, int y, const std::vector<LegendEntry>& entries, bool dots) {
    const Rect box{x, y, legend_width(entries), legend_height(entries)};
    fill_rect(img, box, white);
    draw_rect(img, box, frame_grey);
    const Rect all{0, 0, img.width, img.height};
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const int ty = y + legend_pad + static_cast<int>(i) * legend_row_height();
        const int mid = ty + font::cap_height * legend_scale / 2;
        if (dots)
            fill_disc(img, x + legend_pad + swatch_len / 2, mid, 3, entries[i].color, all);
        else {
            int dash = 0;
            draw_line(img, x + legend_pad, mid, x + legend_pad + swatch_len - 1, mid, entries[i].color, 2, all,
                      entries[i].dashed ? &dash : nullptr);
        }
        draw_text(img, x + legend_pad + swatch_len + legend_pad, ty, entries[i].name, black, legend_scale);
    }
    return box;
}

/// Columns and rows of an image Shape: {H, W, C} or {H, W} (grey).
inline void image_dims(const Shape& shape, Index& h, Index& w, Index& c, const std::string& who) {
    if (shape.rank() != 2 && shape.rank() != 3)
        throw ShapeError(who + ": expected an image shape {H, W, C} or {H, W}, got " + shape.str());
    h = shape[0], w = shape[1], c = shape.rank() == 3 ? shape[2] : 1;
    if (c != 1 && c != 3) throw ShapeError(who + ": expected 1 (grey) or 3 (RGB) channels, got shape " + shape.str());
}

/// Copy column j of m (an image of `shape`) into img at (x0, y0), each pixel a scale x scale block.
template <class S>
void blit_column(Image& img, const Matrix<S>& m, Index j, const Shape& shape, int x0, int y0, int scale) {
    const Image cell = from_column(m.col(j), shape);
    for (int y = 0; y < cell.height; ++y)
        for (int x = 0; x < cell.width; ++x) {
            const std::uint8_t* p = &cell.pixels[cell.offset(x, y)];
            for (int dy = 0; dy < scale; ++dy)
                for (int dx = 0; dx < scale; ++dx) {
                    std::uint8_t* q = &img.pixels[img.offset(x0 + x * scale + dx, y0 + y * scale + dy)];
                    for (int c = 0; c < cell.channels; ++c) q[c] = p[c];
                }
        }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Image grids

/// One row of images per matrix: the first n columns of rows[r] (each an image of image_shape,
/// {H, W, C} with C = 1 grey or 3 RGB, values in [0, 1]) drawn left to right, scaled up by `scale`,
/// with `gap` background pixels between and around the images. Optional row_labels go in a column
/// at the left. The picture is grey for C = 1 and RGB for C = 3, and measures
///   width  = label_column + n * W * scale + (n + 1) * gap
///   height = rows * H * scale + (rows + 1) * gap
/// where label_column is 0 without labels. A matrix with fewer than n columns leaves blank cells.
template <class S>
Image image_grid(const std::vector<const Matrix<S>*>& rows, const Shape& image_shape, int n = 10, int scale = 2,
                 const std::vector<std::string>& row_labels = {}, int gap = 1) {
    const std::string who = "image_grid";
    Index h, w, c;
    detail::image_dims(image_shape, h, w, c, who);
    if (rows.empty()) throw ConfigError(who + ": no rows of images given");
    if (n < 1 || scale < 1 || scale > 64 || gap < 0 || gap > 64)
        throw ConfigError(who + ": expected n >= 1, scale in 1-64 and gap in 0-64, got n = " + std::to_string(n) +
                          ", scale = " + std::to_string(scale) + ", gap = " + std::to_string(gap));
    if (!row_labels.empty() && row_labels.size() != rows.size())
        throw ConfigError(who + ": " + std::to_string(row_labels.size()) + " row labels for " +
                          std::to_string(rows.size()) + " rows");
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (!rows[r]) throw ConfigError(who + ": row " + std::to_string(r) + " is a null matrix pointer");
        if (rows[r]->rows() != image_shape.size())
            throw ShapeError(who + ": row " + std::to_string(r) + " has columns of " + std::to_string(rows[r]->rows()) +
                             " values, expected " + std::to_string(image_shape.size()) + " for image shape " +
                             image_shape.str());
    }
    const int label_scale = scale >= 2 ? 2 : 1;
    int label_col = 0;
    for (const auto& s : row_labels) label_col = std::max(label_col, text_width(s, label_scale));
    if (label_col > 0) label_col += 2 * detail::pad;
    const int cell_w = static_cast<int>(w) * scale, cell_h = static_cast<int>(h) * scale;
    const int nrows = static_cast<int>(rows.size());
    Image img(label_col + n * cell_w + (n + 1) * gap, nrows * cell_h + (nrows + 1) * gap, c == 1 ? 1 : 3, 255);
    for (int r = 0; r < nrows; ++r) {
        const int y0 = gap + r * (cell_h + gap);
        if (!row_labels.empty())
            draw_text(img, detail::pad, y0 + (cell_h - font::cap_height * label_scale) / 2, row_labels[r],
                      detail::black, label_scale);
        const Index count = std::min<Index>(n, rows[r]->cols());
        for (Index j = 0; j < count; ++j)
            detail::blit_column(img, *rows[r], j, image_shape, label_col + gap + static_cast<int>(j) * (cell_w + gap),
                                y0, scale);
    }
    return img;
}

template <class S>
Image image_grid(std::initializer_list<const Matrix<S>*> rows, const Shape& image_shape, int n = 10, int scale = 2,
                 const std::vector<std::string>& row_labels = {}, int gap = 1) {
    return image_grid<S>(std::vector<const Matrix<S>*>(rows), image_shape, n, scale, row_labels, gap);
}

/// image_grid written to a PNG: save_image_grid("recon.png", {&x, &x_hat}, Shape{28, 28, 1}, 10, 2,
/// {"input", "output"}).
template <class S>
void save_image_grid(const std::string& path, const std::vector<const Matrix<S>*>& rows, const Shape& image_shape,
                     int n = 10, int scale = 2, const std::vector<std::string>& row_labels = {}, int gap = 1) {
    write_png(path, image_grid<S>(rows, image_shape, n, scale, row_labels, gap));
}

template <class S>
void save_image_grid(const std::string& path, std::initializer_list<const Matrix<S>*> rows, const Shape& image_shape,
                     int n = 10, int scale = 2, const std::vector<std::string>& row_labels = {}, int gap = 1) {
    write_png(path, image_grid<S>(std::vector<const Matrix<S>*>(rows), image_shape, n, scale, row_labels, gap));
}

/// Every column of `images` in reading order, n_per_row to a row (VAE samples, a latent manifold).
/// Same scaling and gaps as image_grid; the last row may be partly blank.
template <class S>
Image image_mosaic(const Matrix<S>& images, const Shape& image_shape, int n_per_row, int scale = 2, int gap = 1) {
    const std::string who = "image_mosaic";
    Index h, w, c;
    detail::image_dims(image_shape, h, w, c, who);
    if (images.cols() == 0) throw ConfigError(who + ": no images given");
    if (n_per_row < 1 || scale < 1 || scale > 64 || gap < 0 || gap > 64)
        throw ConfigError(who + ": expected n_per_row >= 1, scale in 1-64 and gap in 0-64, got " +
                          std::to_string(n_per_row) + ", " + std::to_string(scale) + ", " + std::to_string(gap));
    if (images.rows() != image_shape.size())
        throw ShapeError(who + ": columns of " + std::to_string(images.rows()) + " values, expected " +
                         std::to_string(image_shape.size()) + " for image shape " + image_shape.str());
    const int cell_w = static_cast<int>(w) * scale, cell_h = static_cast<int>(h) * scale;
    const int nrows = static_cast<int>((images.cols() + n_per_row - 1) / n_per_row);
    Image img(n_per_row * cell_w + (n_per_row + 1) * gap, nrows * cell_h + (nrows + 1) * gap, c == 1 ? 1 : 3, 255);
    for (Index j = 0; j < images.cols(); ++j) {
        const int r = static_cast<int>(j / n_per_row), k = static_cast<int>(j % n_per_row);
        detail::blit_column(img, images, j, image_shape, gap + k * (cell_w + gap), gap + r * (cell_h + gap), scale);
    }
    return img;
}

template <class S>
void save_image_mosaic(const std::string& path, const Matrix<S>& images, const Shape& image_shape, int n_per_row,
                       int scale = 2, int gap = 1) {
    write_png(path, image_mosaic(images, image_shape, n_per_row, scale, gap));
}

// ---------------------------------------------------------------------------------------------
// Loss curves

/// Several series on one chart (x = 1, 2, ... as epochs), with ticks, labels, title and legend.
/// ConfigError when there are no series, a series is empty, or no value at all is finite.
inline Figure plot_loss_curves(const std::vector<Series>& series, const std::string& title,
                               const std::string& x_label = "epoch", const std::string& y_label = "loss",
                               int width = 640, int height = 420) {
    const std::string who = "plot_loss_curves";
    detail::check_size(width, height, who);
    if (series.empty()) throw ConfigError(who + ": no series to plot");
    std::size_t longest = 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& s : series) {
        if (s.values.empty()) throw ConfigError(who + ": series '" + s.name + "' has no values");
        longest = std::max(longest, s.values.size());
        for (double v : s.values)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!(lo <= hi)) throw ConfigError(who + ": no finite value in any series (all NaN or infinite)");

    std::vector<detail::LegendEntry> entries;
    for (std::size_t i = 0; i < series.size(); ++i)
        entries.push_back(
            {series[i].name, series[i].color.value_or(palette[i % palette.size()]), series[i].dashed});

    // Tick density follows the picture size: about one x tick per 80 px and one y tick per 45 px.
    const detail::Axis ya = detail::nice_axis(lo, hi, std::clamp((height - 100) / 45, 3, 10), false, 0.05);
    const Rect axes = detail::axes_rect(width, height, ya.labels, 0, who);
    const detail::Axis xa =
        detail::nice_axis(1.0, static_cast<double>(longest), std::clamp(axes.width / 70, 2, 12), true, 0.03);

    Figure fig{Image(width, height, 3, 255), axes, {}};
    detail::draw_axes(fig.image, axes, xa, ya, title, x_label, y_label);
    for (std::size_t i = 0; i < series.size(); ++i) {
        const auto& v = series[i].values;
        const Color col = entries[i].color;
        bool have_prev = false;
        int px = 0, py = 0, dash = 0;
        for (std::size_t k = 0; k < v.size(); ++k) {
            if (!std::isfinite(v[k])) {
                have_prev = false;  // a gap, not a line through the missing value
                continue;
            }
            const int x = detail::to_pixel(static_cast<double>(k + 1), xa, axes.x, axes.right());
            const int y = detail::to_pixel(v[k], ya, axes.bottom(), axes.y);
            const bool isolated = !have_prev && (k + 1 == v.size() || !std::isfinite(v[k + 1]));
            if (have_prev) detail::draw_line(fig.image, px, py, x, y, col, 2, axes, series[i].dashed ? &dash : nullptr);
            if (isolated || v.size() <= 30) detail::fill_disc(fig.image, x, y, isolated ? 3 : 2, col, axes);
            px = x, py = y, have_prev = true;
        }
    }
    // The legend goes in the corner of the plot where it hides the fewest data pixels; top-right
    // wins ties, as loss curves usually fall away from it.
    const int lw = detail::legend_width(entries), lh = detail::legend_height(entries), inset = 6;
    const int left = axes.x + inset, right = axes.right() - inset - lw + 1;
    const int top = axes.y + inset, bottom = axes.bottom() - inset - lh + 1;
    Rect best{};
    long best_ink = std::numeric_limits<long>::max();
    for (const Rect& r :
         {Rect{right, top, lw, lh}, Rect{left, top, lw, lh}, Rect{right, bottom, lw, lh}, Rect{left, bottom, lw, lh}}) {
        const long ink = detail::data_pixels(fig.image, r);
        if (ink < best_ink) best = r, best_ink = ink;
    }
    fig.legend = detail::draw_legend(fig.image, best.x, best.y, entries, false);
    return fig;
}

inline void save_loss_curves(const std::string& path, const std::vector<Series>& series, const std::string& title,
                             const std::string& x_label = "epoch", const std::string& y_label = "loss", int width = 640,
                             int height = 420) {
    write_png(path, plot_loss_curves(series, title, x_label, y_label, width, height).image);
}

/// Train and validation loss from a fit History ("loss" and, when present, "val_loss").
inline void save_loss_curves(const std::string& path, const History& history, const std::string& title, int width = 640,
                             int height = 420) {
    std::vector<Series> series{{"train", history["loss"]}};
    if (history.has("val_loss")) series.push_back({"validation", history["val_loss"]});
    save_loss_curves(path, series, title, "epoch", "loss", width, height);
}

/// Several training runs on one chart, one colour per run: the `metric` of each run's History as
/// a solid line named after the run and, when with_validation and the run has "val_<metric>", the
/// validation curve dashed in the same colour ("<name> (val)").
///   save_runs("runs.png", {{"Adam", h1}, {"SGD", h2}}, "MNIST: optimizers");
/// ConfigError when there are no runs or a run has no such metric (naming the run and what it has).
inline Figure plot_runs(const std::vector<Run>& runs, const std::string& title, const std::string& metric = "loss",
                        bool with_validation = true, int width = 640, int height = 420) {
    const std::string who = "plot_runs";
    if (runs.empty()) throw ConfigError(who + ": no runs to plot");
    std::vector<Series> series;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const Run& run = runs[i];
        if (!run.history.has(metric)) {
            std::string have;
            for (const auto& [name, _] : run.history.metrics()) have += (have.empty() ? "" : ", ") + name;
            throw ConfigError(who + ": run '" + run.name + "' has no metric '" + metric + "' (it has: " +
                              (have.empty() ? "nothing" : have) + ")");
        }
        const Color col = palette[i % palette.size()];
        series.push_back({run.name, run.history[metric], col, false});
        if (with_validation && run.history.has("val_" + metric))
            series.push_back({run.name + " (val)", run.history["val_" + metric], col, true});
    }
    return plot_loss_curves(series, title, "epoch", metric, width, height);
}

inline void save_runs(const std::string& path, const std::vector<Run>& runs, const std::string& title,
                      const std::string& metric = "loss", bool with_validation = true, int width = 640,
                      int height = 420) {
    write_png(path, plot_runs(runs, title, metric, with_validation, width, height).image);
}

// ---------------------------------------------------------------------------------------------
// Latent-space scatter

/// A scatter of 2 x N points (one point per column, as ae's codings), coloured by label with the
/// palette (label k gets palette[k mod 10]) and a legend of the labels present. Empty labels: one
/// colour, no legend. Non-finite points are skipped.
template <class S>
Figure plot_scatter(const Matrix<S>& points, const std::vector<int>& labels, const std::string& title,
                    const std::string& x_label = "z[0]", const std::string& y_label = "z[1]", int width = 640,
                    int height = 480, int dot_radius = 2) {
    const std::string who = "plot_scatter";
    detail::check_size(width, height, who);
    if (points.rows() != 2)
        throw ShapeError(who + ": expected 2 x N points (one per column), got " + std::to_string(points.rows()) +
                         " x " + std::to_string(points.cols()));
    if (points.cols() == 0) throw ConfigError(who + ": no points to plot");
    if (!labels.empty() && static_cast<Index>(labels.size()) != points.cols())
        throw ShapeError(who + ": expected one label per point (" + std::to_string(points.cols()) + "), got " +
                         std::to_string(labels.size()));
    if (dot_radius < 0 || dot_radius > 20)
        throw ConfigError(who + ": dot_radius must be 0-20, got " + std::to_string(dot_radius));

    double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
    for (Index j = 0; j < points.cols(); ++j) {
        const double x = static_cast<double>(points(0, j)), y = static_cast<double>(points(1, j));
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        xlo = std::min(xlo, x), xhi = std::max(xhi, x), ylo = std::min(ylo, y), yhi = std::max(yhi, y);
    }
    if (!(xlo <= xhi)) throw ConfigError(who + ": no point has finite coordinates");

    auto color_of = [](int label) { return palette[static_cast<std::size_t>(((label % 10) + 10) % 10)]; };
    std::vector<detail::LegendEntry> entries;
    std::map<int, bool> present;
    for (int l : labels) present[l] = true;
    for (const auto& [l, _] : present) entries.push_back({std::to_string(l), color_of(l)});

    // A little margin so dots on the extremes are not cut by the frame.
    const detail::Axis ya = detail::nice_axis(ylo, yhi, std::clamp((height - 100) / 45, 3, 10), false, 0.04);
    const int legend_room = entries.empty() ? 0 : detail::legend_width(entries) + detail::pad;
    const Rect axes = detail::axes_rect(width, height, ya.labels, legend_room, who);
    const detail::Axis xa = detail::nice_axis(xlo, xhi, std::clamp(axes.width / 70, 2, 12), false, 0.04);

    Figure fig{Image(width, height, 3, 255), axes, {}};
    detail::draw_axes(fig.image, axes, xa, ya, title, x_label, y_label);
    for (Index j = 0; j < points.cols(); ++j) {
        const double x = static_cast<double>(points(0, j)), y = static_cast<double>(points(1, j));
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        const Color col = labels.empty() ? palette[0] : color_of(labels[static_cast<std::size_t>(j)]);
        detail::fill_disc(fig.image, detail::to_pixel(x, xa, axes.x, axes.right()),
                          detail::to_pixel(y, ya, axes.bottom(), axes.y), dot_radius, col, axes);
    }
    if (!entries.empty())
        fig.legend = detail::draw_legend(fig.image, axes.right() + 1 + detail::pad + 1, axes.y, entries, true);
    return fig;
}

template <class S>
void save_scatter(const std::string& path, const Matrix<S>& points, const std::vector<int>& labels,
                  const std::string& title, const std::string& x_label = "z[0]", const std::string& y_label = "z[1]",
                  int width = 640, int height = 480, int dot_radius = 2) {
    write_png(path, plot_scatter(points, labels, title, x_label, y_label, width, height, dot_radius).image);
}

}  // namespace ae::io
