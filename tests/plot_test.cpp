#include "ae/io/plot.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "ae/io/font.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::io;
using namespace ae::testing;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

/// Pixels of exactly colour c inside r, leaving out `except` (e.g. the legend).
int count_color(const Image& img, Color c, const Rect& r, const Rect& except = {}) {
    int n = 0;
    for (int y = r.y; y <= r.bottom(); ++y)
        for (int x = r.x; x <= r.right(); ++x)
            if (!except.contains(x, y) && img.get(x, y) == c) ++n;
    return n;
}

/// Pixels darker than mid-grey in r (text is drawn in black).
int count_dark(const Image& img, const Rect& r) {
    int n = 0;
    for (int y = r.y; y <= r.bottom(); ++y)
        for (int x = r.x; x <= r.right(); ++x) {
            const Color c = img.get(x, y);
            if (c.r < 100 && c.g < 100 && c.b < 100) ++n;
        }
    return n;
}

/// Text rendered alone on a white canvas, as a set of inked pixels.
std::set<std::pair<int, int>> rendered(const std::string& text, int scale) {
    Image img(text_width(text, scale) + 4, text_height(scale) + 4, 1, 255);
    draw_text(img, 2, 2, text, {0, 0, 0}, scale);
    std::set<std::pair<int, int>> ink;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            if (img.at(x, y) == 0) ink.insert({x, y});
    return ink;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Font

TEST_CASE("font: every printable glyph but space has ink, and no two glyphs are the same", "[font]") {
    std::set<font::Glyph> seen;
    for (char ch = font::first_char; ch <= font::last_char; ++ch) {
        INFO("character '" << ch << "'");
        int inked = 0;
        for (int r = 0; r < font::glyph_height; ++r)
            for (int c = 0; c < font::glyph_width; ++c) inked += font::ink(ch, c, r);
        if (ch == ' ')
            REQUIRE(inked == 0);
        else
            REQUIRE(inked > 0);
        REQUIRE(seen.insert(font::glyph(ch)).second);
        // Rows hold 5 bits only: nothing outside the cell.
        for (std::uint8_t row : font::glyph(ch)) REQUIRE(row < (1u << font::glyph_width));
    }
}

TEST_CASE("font: look-alike characters render differently", "[font]") {
    for (auto [a, b] : std::vector<std::pair<char, char>>{
             {'0', 'O'}, {'1', 'l'}, {'1', 'I'}, {'l', 'I'}, {'5', 'S'}, {'.', ','}, {'-', '_'}, {'o', '0'}}) {
        INFO(a << " vs " << b);
        REQUIRE(rendered(std::string(1, a), 2) != rendered(std::string(1, b), 2));
    }
}

TEST_CASE("font: draw_text puts glyph pixels at the scaled positions and text_width measures it", "[font]") {
    REQUIRE(text_width("", 1) == 0);
    REQUIRE(text_width("A", 1) == 5);
    REQUIRE(text_width("AB", 3) == 33);  // (2 * 6 - 1) * 3
    REQUIRE(text_height(2) == 18);

    Image img(40, 30, 3, 255);
    const int end = draw_text(img, 3, 4, "T", {255, 0, 0}, 2);
    REQUIRE(end == 3 + 12);
    // 'T' has a full top row and a centre stem: each font pixel is a 2 x 2 block.
    for (int x = 3; x < 13; ++x) REQUIRE(img.get(x, 4) == Color{255, 0, 0});
    REQUIRE(img.get(7, 10) == Color{255, 0, 0});
    REQUIRE(img.get(8, 17) == Color{255, 0, 0});
    REQUIRE(img.get(3, 10) == Color{255, 255, 255});
    REQUIRE(img.get(13, 4) == Color{255, 255, 255});  // the text ends where text_width says

    // Unsupported characters draw a visible box instead of nothing; text off the image is clipped.
    REQUIRE_FALSE(rendered("\x01", 1).empty());
    REQUIRE_NOTHROW(draw_text(img, 35, 25, "clipped text", {0, 0, 0}, 3));
}

TEST_CASE("font: draw_text_up rotates a quarter turn anticlockwise", "[font]") {
    Image img(20, 20, 1, 255);
    draw_text_up(img, 2, 2, "L", {0, 0, 0}, 1);
    // Upright 'L' has its stem on the left and its foot at the bottom. Rotated anticlockwise and
    // reading upwards, the stem becomes the bottom edge and the foot the right edge of the box.
    const int box_w = text_height(1), box_h = text_width("L", 1);
    REQUIRE(box_h == 5);
    for (int r = 0; r < 7; ++r) REQUIRE(img.at(2 + r, 2 + box_h - 1) == 0);  // stem along the bottom
    for (int k = 0; k < 5; ++k) REQUIRE(img.at(2 + 6, 2 + k) == 0);          // foot on column 6
    REQUIRE(img.at(2, 2) == 255);
    REQUIRE(box_w == 9);
}

// ---------------------------------------------------------------------------------------------
// Image grids

TEST_CASE("image_grid has the documented size and puts each image where it belongs", "[plot][grid]") {
    // Two rows of 3 x 2 grey images (H = 3, W = 2) with distinct values per pixel.
    const Shape shape{3, 2, 1};
    Matrix<float> originals(6, 5), recons(6, 5);
    for (Index j = 0; j < 5; ++j)
        for (Index i = 0; i < 6; ++i) {
            originals(i, j) = static_cast<float>(10 * j + i) / 255.0f;
            recons(i, j) = static_cast<float>(100 + 10 * j + i) / 255.0f;
        }
    for (int scale : {1, 3}) {
        for (int gap : {0, 1, 2}) {
            const int n = 4;
            const Image g = image_grid({&originals, &recons}, shape, n, scale, {}, gap);
            INFO("scale " << scale << ", gap " << gap);
            REQUIRE(g.channels == 1);
            REQUIRE(g.width == n * 2 * scale + (n + 1) * gap);
            REQUIRE(g.height == 2 * 3 * scale + 3 * gap);
            // Row 1 (recons), image j = 2, pixel (x = 1, y = 2) i.e. column index (2 * 2 + 1) = 5.
            const int x0 = gap + 2 * (2 * scale + gap) + 1 * scale, y0 = gap + (3 * scale + gap) + 2 * scale;
            for (int d = 0; d < scale; ++d) REQUIRE(g.at(x0 + d, y0 + d) == 100 + 20 + 5);
            // Row 0, image 0, first pixel.
            REQUIRE(g.at(gap, gap) == 0);
            REQUIRE(g.at(gap + 1 * scale, gap) == 1);
        }
    }
}

TEST_CASE("image_grid: labels add a left column, RGB stays RGB, missing columns stay blank", "[plot][grid]") {
    const Shape shape{2, 2, 3};
    Matrix<double> rgb = Matrix<double>::Zero(12, 2);
    rgb((1 * 2 + 0) * 3 + 1, 1) = 1.0;  // image 1, pixel (x = 0, y = 1): pure green
    const Image plain = image_grid({&rgb}, shape, 3, 4);
    const Image labelled = image_grid({&rgb}, shape, 3, 4, {"input"});
    REQUIRE(plain.channels == 3);
    REQUIRE(plain.width == 3 * 8 + 4);
    REQUIRE(labelled.height == plain.height);
    const int label_col = labelled.width - plain.width;
    REQUIRE(label_col >= text_width("input", 2));
    const Rect label_area{0, 0, label_col, labelled.height};
    REQUIRE(count_dark(labelled, label_area) > 20);  // the label text is there

    const int x = 1 + 1 * (8 + 1), y = 1 + 1 * 4;  // image 1, pixel (0, 1) at scale 4
    REQUIRE(plain.get(x, y) == Color{0, 255, 0});
    REQUIRE(labelled.get(label_col + x, y) == Color{0, 255, 0});
    // Only 2 columns for n = 3: the third cell keeps the white background.
    REQUIRE(plain.get(1 + 2 * 9 + 3, 1 + 3) == Color{255, 255, 255});
}

#if defined(AE_HAVE_STB)
TEST_CASE("save_image_grid writes a PNG that reads back equal to image_grid", "[plot][grid][png]") {
    const std::string dir = fresh_dir("plot_test", "grid");
    Matrix<float> imgs(16, 12);
    Rng rng(5);
    rng.fill_uniform(imgs, 0.0, 1.0);
    const std::vector<const Matrix<float>*> rows{&imgs, &imgs};
    save_image_grid(dir + "/grid.png", rows, Shape{4, 4, 1}, 10, 2, {"a", "b"});
    const Image back = read_image(dir + "/grid.png");
    REQUIRE(back.pixels == image_grid(rows, Shape{4, 4, 1}, 10, 2, {"a", "b"}).pixels);
}
#endif

TEST_CASE("image_grid rejects bad shapes and settings", "[plot][grid][errors]") {
    Matrix<float> m = Matrix<float>::Zero(10, 3);
    AE_REQUIRE_THROWS(image_grid({&m}, Shape{3, 3, 1}), ShapeError, Contains("10") && Contains("{3, 3, 1}"));
    AE_REQUIRE_THROWS(image_grid({&m}, Shape{10}), ShapeError, Contains("{10}"));
    AE_REQUIRE_THROWS(image_grid({&m}, Shape{5, 2, 1}, 0), ConfigError, Contains("n = 0"));
    AE_REQUIRE_THROWS(image_grid({&m}, Shape{5, 2, 1}, 3, 2, {"a", "b"}), ConfigError, Contains("2 row labels"));
    REQUIRE_THROWS_AS(image_grid(std::vector<const Matrix<float>*>{}, Shape{5, 2, 1}), ConfigError);
}

TEST_CASE("image_mosaic lays columns out in reading order, n_per_row to a row", "[plot][grid]") {
    Matrix<float> imgs(4, 7);  // seven 2 x 2 grey images, image j filled with j / 10
    for (Index j = 0; j < 7; ++j) imgs.col(j).setConstant(static_cast<float>(j) / 10.0f);
    const Image m = image_mosaic(imgs, Shape{2, 2, 1}, 3, 2);
    REQUIRE(m.width == 3 * 4 + 4);
    REQUIRE(m.height == 3 * 4 + 4);  // ceil(7 / 3) = 3 rows
    // Image 5 is row 1, column 2.
    REQUIRE(m.at(1 + 2 * 5, 1 + 1 * 5) == std::lround(0.5 * 255));
    REQUIRE(m.at(1 + 2 * 5 + 3, 1 + 2 * 5 + 3) == 255);  // after image 6: blank
}

// ---------------------------------------------------------------------------------------------
// Axes

TEST_CASE("nice_axis picks 1-2-5 steps, covers the data and labels ticks readably", "[plot][axes]") {
    for (auto [lo, hi] : std::vector<std::pair<double, double>>{
             {0.0813, 0.3952}, {-4.9, 4.7}, {1, 30}, {1e-5, 3e-5}, {1200, 98000}, {-3, -2.5}}) {
        INFO(lo << " .. " << hi);
        const auto a = io::detail::nice_axis(lo, hi, 6, false, 0.05);
        REQUIRE(a.lo < lo);
        REQUIRE(a.hi > hi);
        REQUIRE(a.ticks.size() >= 2);
        REQUIRE(a.ticks.size() <= 6);
        const double mantissa = a.step / std::pow(10.0, std::floor(std::log10(a.step) + 1e-9));
        REQUIRE((mantissa == Approx(1) || mantissa == Approx(2) || mantissa == Approx(5)));
        for (double t : a.ticks) {
            REQUIRE(t >= a.lo);
            REQUIRE(t <= a.hi);
            REQUIRE(std::abs(t / a.step - std::round(t / a.step)) < 1e-6);  // a whole number of steps
        }
    }
    REQUIRE(io::detail::nice_axis(1, 30, 7, true, 0.02).step == 5);
    REQUIRE(io::detail::nice_axis(1, 3, 10, true, 0.02).step == 1);  // epochs never get fractional ticks
    REQUIRE(io::detail::format_tick(0.25, 0.05, 0.4) == "0.25");
    REQUIRE(io::detail::format_tick(20, 5, 30) == "20");
    REQUIRE(io::detail::format_tick(-0.5, 0.5, 1) == "-0.5");
    // Huge or tiny axes share the largest tick's exponent.
    REQUIRE(io::detail::format_tick(2e-5, 1e-5, 3e-5) == "2e-5");
    REQUIRE(io::detail::format_tick(5e-6, 5e-6, 3e-5) == "0.5e-5");
    REQUIRE(io::detail::format_tick(150000, 50000, 150000) == "1.5e5");
    REQUIRE(io::detail::format_tick(0, 50000, 150000) == "0");
    const auto big = io::detail::nice_axis(3000, 165000, 6, false, 0.05);
    REQUIRE(big.labels.size() == big.ticks.size());
    for (const auto& label : big.labels) REQUIRE((label == "0" || label.find("e5") != std::string::npos));
}

// ---------------------------------------------------------------------------------------------
// Loss curves

TEST_CASE("loss curves: requested size, every series drawn, legend and labels present, PNG equal",
          "[plot][loss][png]") {
    std::vector<double> train, val;
    for (int e = 0; e < 20; ++e) {
        train.push_back(0.3 * std::exp(-e / 5.0) + 0.05);
        val.push_back(0.3 * std::exp(-e / 6.0) + 0.07);
    }
    const Color custom{10, 200, 120};
    const std::vector<Series> series{{"train", train}, {"validation", val}, {"custom", {0.2, 0.15}, custom}};
    const Figure fig = plot_loss_curves(series, "Loss per epoch", "epoch", "loss", 500, 360);
    const Image& img = fig.image;
    REQUIRE(img.width == 500);
    REQUIRE(img.height == 360);
#if defined(AE_HAVE_STB)
    const std::string path = fresh_dir("plot_test", "loss") + "/loss.png";
    save_loss_curves(path, series, "Loss per epoch", "epoch", "loss", 500, 360);
    REQUIRE(fs::exists(path));
    const Image back = read_image(path);
    REQUIRE(back.width == 500);
    REQUIRE(back.height == 360);
    REQUIRE(back.pixels == img.pixels);
#endif
    // Each series' colour appears in the plot area, outside the legend: the lines were drawn.
    for (const Color c : {palette[0], palette[1], custom}) {
        INFO("colour " << int(c.r) << "," << int(c.g) << "," << int(c.b));
        REQUIRE(count_color(img, c, fig.axes, fig.legend) > 30);
        REQUIRE(count_color(img, c, fig.legend) > 0);  // and in its legend swatch
    }
    // The legend lies inside the picture, holds text, and the title and labels are drawn.
    REQUIRE(fig.legend.width > 0);
    REQUIRE(fig.legend.x >= 0);
    REQUIRE(fig.legend.right() < img.width);
    REQUIRE(count_dark(img, fig.legend) > 50);
    REQUIRE(count_dark(img, {0, 0, img.width, fig.axes.y - 1}) > 50);                 // title
    REQUIRE(count_dark(img, {0, fig.axes.y, fig.axes.x - 2, fig.axes.height}) > 50);  // y ticks
    REQUIRE(count_dark(img, {0, fig.axes.bottom() + 2, img.width, img.height - fig.axes.bottom() - 2}) > 50);
    // White background.
    REQUIRE(img.get(img.width - 1, img.height - 1) == Color{255, 255, 255});
}

TEST_CASE("plot_loss_curves: train over 1 epoch, NaN and infinite values are skipped", "[plot][loss]") {
    const Figure one = plot_loss_curves({{"train", {0.25}}}, "one epoch");
    REQUIRE(count_color(one.image, palette[0], one.axes, one.legend) > 10);  // a visible dot

    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const Figure gaps = plot_loss_curves({{"train", {0.5, nan, 0.3, inf, 0.2, 0.1}}, {"val", {nan, 0.4}}}, "gaps");
    REQUIRE(count_color(gaps.image, palette[0], gaps.axes, gaps.legend) > 10);
    REQUIRE(count_color(gaps.image, palette[1], gaps.axes, gaps.legend) > 10);
    // The infinite value does not squash the axis: 0.5 and 0.1 are far apart vertically.
    const auto column_of_color = [&](int x) {
        for (int y = gaps.axes.y; y <= gaps.axes.bottom(); ++y)
            if (gaps.image.get(x, y) == palette[0]) return y;
        return -1;
    };
    int top = gaps.axes.bottom(), bottom = gaps.axes.y;
    for (int x = gaps.axes.x; x <= gaps.axes.right(); ++x) {
        const int y = column_of_color(x);
        if (y >= 0) top = std::min(top, y), bottom = std::max(bottom, y);
    }
    REQUIRE(bottom - top > gaps.axes.height / 2);
}

TEST_CASE("plot_loss_curves moves the legend away from a curve that rises to the top-right", "[plot][loss]") {
    std::vector<double> rising;
    for (int e = 0; e < 30; ++e) rising.push_back(0.01 * e * e);
    const Figure fig = plot_loss_curves({{"rising", rising}}, "rising");
    const bool top_right =
        fig.legend.x > fig.axes.x + fig.axes.width / 2 && fig.legend.y < fig.axes.y + fig.axes.height / 2;
    REQUIRE_FALSE(top_right);
    // A falling curve leaves the top-right corner free, and the legend goes there.
    std::reverse(rising.begin(), rising.end());
    const Figure falling = plot_loss_curves({{"falling", rising}}, "falling");
    REQUIRE(falling.legend.x > falling.axes.x + falling.axes.width / 2);
    REQUIRE(falling.legend.y < falling.axes.y + falling.axes.height / 2);
}

TEST_CASE("plot_loss_curves throws ConfigError on empty input", "[plot][loss][errors]") {
    AE_REQUIRE_THROWS(plot_loss_curves({}, "t"), ConfigError, Contains("no series"));
    AE_REQUIRE_THROWS(plot_loss_curves({{"train", {0.1}}, {"val", {}}}, "t"), ConfigError, Contains("'val'"));
    AE_REQUIRE_THROWS(plot_loss_curves({{"train", {std::nan(""), HUGE_VAL}}}, "t"), ConfigError, Contains("finite"));
    AE_REQUIRE_THROWS(plot_loss_curves({{"train", {0.1}}}, "t", "epoch", "loss", 50, 50), ConfigError,
                      Contains("50x50"));
}

#if defined(AE_HAVE_STB)
TEST_CASE("save_loss_curves from a History plots loss and val_loss", "[plot][loss][png]") {
    const std::string dir = fresh_dir("plot_test", "history");
    History h;
    for (int e = 0; e < 5; ++e) h.append({{"loss", 1.0 / (e + 1)}, {"val_loss", 1.2 / (e + 1)}});
    save_loss_curves(dir + "/h.png", h, "history");
    const Image img = read_image(dir + "/h.png");
    const Rect all{0, 0, img.width, img.height};
    REQUIRE(count_color(img, palette[0], all) > 30);
    REQUIRE(count_color(img, palette[1], all) > 30);
}
#endif

// ---------------------------------------------------------------------------------------------
// Scatter

TEST_CASE("scatter colours points by label and lists the labels in a legend", "[plot][scatter][png]") {
    Matrix<double> z(2, 300);
    std::vector<int> labels;
    Rng rng(3);
    for (Index j = 0; j < 300; ++j) {
        const int l = static_cast<int>(j % 10);
        labels.push_back(l);
        z(0, j) = l + 0.2 * rng.normal();  // label l sits near x = l, y = -l
        z(1, j) = -l + 0.2 * rng.normal();
    }
    const Figure fig = plot_scatter(z, labels, "latent space");
    const Image& img = fig.image;
    REQUIRE(img.width == 640);
    REQUIRE(img.height == 480);
#if defined(AE_HAVE_STB)
    const std::string path = fresh_dir("plot_test", "scatter") + "/s.png";
    save_scatter(path, z, labels, "latent space");
    REQUIRE(read_image(path).pixels == img.pixels);
#endif
    REQUIRE(fig.legend.x > fig.axes.right());  // beside the plot, not over the points
    REQUIRE(fig.legend.right() < img.width);
    for (int l = 0; l < 10; ++l) {
        INFO("label " << l);
        REQUIRE(count_color(img, palette[l], fig.axes) > 20);
        REQUIRE(count_color(img, palette[l], fig.legend) > 0);
    }
    // Label 0 (x near 0, y near 0) is drawn left of and above label 9 (x near 9, y near -9).
    auto centre_x = [&](Color c) {
        long sum = 0, n = 0;
        for (int y = fig.axes.y; y <= fig.axes.bottom(); ++y)
            for (int x = fig.axes.x; x <= fig.axes.right(); ++x)
                if (img.get(x, y) == c) sum += x, ++n;
        return double(sum) / double(n);
    };
    REQUIRE(centre_x(palette[0]) < centre_x(palette[9]) - fig.axes.width / 2);
    REQUIRE(count_dark(img, fig.legend) > 30);
}

TEST_CASE("plot_scatter rejects points that are not 2 x N and mismatched labels", "[plot][scatter][errors]") {
    AE_REQUIRE_THROWS(plot_scatter(Matrix<float>(Matrix<float>::Zero(3, 5)), {}, "t"), ShapeError, Contains("3 x 5"));
    AE_REQUIRE_THROWS(plot_scatter(Matrix<float>(Matrix<float>::Zero(2, 5)), {1, 2}, "t"), ShapeError,
                      Contains("5") && Contains("2"));
    REQUIRE_THROWS_AS(plot_scatter(Matrix<float>(2, 0), {}, "t"), ConfigError);
    Matrix<float> p(2, 2);
    p << 1, std::nanf(""), 2, 3;
    REQUIRE_THROWS_AS(plot_scatter(Matrix<float>(p.leftCols(1) * std::nanf("")), {}, "t"), ConfigError);
    REQUIRE_NOTHROW(plot_scatter(p, {}, "one finite point"));
}
