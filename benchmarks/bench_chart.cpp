// Bar chart of the benchmark's ae/PyTorch seconds-per-epoch ratios, drawn with ae's plot
// primitives (io/plot.hpp's fill_rect, nice_axis, draw_axes; io/font.hpp's text).
//
//   bench_chart <ratios.tsv> <out.png>
//
// ratios.tsv: one "model<TAB>ratio" line per model, in the order to draw ("nan" or an empty
// ratio when a side failed: the bar is left out and marked n/a). Lines starting with '#' are skipped.
// A bar is green when ae is faster (ratio < 1) and red otherwise; a dashed line marks parity.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ae/io/font.hpp"
#include "ae/io/image.hpp"
#include "ae/io/plot.hpp"

namespace {

struct Bar {
    std::string model;
    double ratio = NAN;
};

std::vector<Bar> read_tsv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ae::IoError("bench_chart: cannot read '" + path + "'");
    std::vector<Bar> bars;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        Bar b;
        const auto tab = line.find('\t');
        b.model = line.substr(0, tab);
        if (tab != std::string::npos) {
            const std::string v = line.substr(tab + 1);
            char* end = nullptr;
            const double r = std::strtod(v.c_str(), &end);
            if (end != v.c_str() && std::isfinite(r) && r > 0) b.ratio = r;
        }
        bars.push_back(b);
    }
    if (bars.empty()) throw ae::FormatError("bench_chart: no model lines in '" + path + "'");
    return bars;
}

std::string format_ratio(double r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, r < 10 ? "%.2f" : "%.1f", r);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: bench_chart <ratios.tsv> <out.png>\n");
        return 2;
    }
    try {
        using namespace ae::io;
        using namespace ae::io::detail;
        const auto bars = read_tsv(argv[1]);
        const int n = int(bars.size());
        const int width = std::max(640, 110 + 90 * n), height = 460;

        double top = 1.0;  // parity always in view
        for (const auto& b : bars)
            if (std::isfinite(b.ratio)) top = std::max(top, b.ratio);
        const Axis ya = nice_axis(0.0, top * 1.12, 8, false, 0.0);  // room above the tallest bar's label
        Axis xa;  // categories: no numeric ticks, the model names are drawn under the bars
        xa.lo = 0, xa.hi = n, xa.step = 1;

        Image img(width, height, 3, 255);
        const Rect axes = axes_rect(width, height, ya.labels, 0, "bench_chart");
        draw_axes(img, axes, xa, ya, "ae / PyTorch seconds per epoch (lower is better)", "model",
                  "ae s/epoch / PyTorch s/epoch");

        const Color faster = palette[2], slower = palette[3], grey{110, 110, 110};
        const int slot = axes.width / n, bar_w = std::max(8, slot * 3 / 5);
        const int label_y = axes.bottom() + 2 + tick_len + 3;
        for (int i = 0; i < n; ++i) {
            const int cx = to_pixel(i + 0.5, xa, axes.x, axes.right());
            const std::string& m = bars[i].model;
            draw_text(img, cx - text_width(m, 1) / 2, label_y, m, black, 1);
            if (!std::isfinite(bars[i].ratio)) {
                draw_text(img, cx - text_width("n/a", 1) / 2, axes.bottom() - 14, "n/a", grey, 1);
                continue;
            }
            const int y_top = to_pixel(bars[i].ratio, ya, axes.bottom(), axes.y);
            fill_rect(img, {cx - bar_w / 2, y_top, bar_w, axes.bottom() - y_top + 1},
                      bars[i].ratio < 1.0 ? faster : slower);
            const std::string v = format_ratio(bars[i].ratio);
            draw_text(img, cx - text_width(v, 1) / 2, y_top - text_height(1) - 2, v, black, 1);
        }
        // Parity: dashed line at ratio 1.
        const int py = to_pixel(1.0, ya, axes.bottom(), axes.y);
        for (int x = axes.x; x <= axes.right(); ++x)
            if ((x - axes.x) % 10 < 6) img.set(x, py, black);
        draw_text(img, axes.right() - text_width("parity", 1) - 2, py - text_height(1) - 2, "parity", black, 1);

        write_png(argv[2], img);
        std::printf("wrote %s (%d models)\n", argv[2], n);
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "bench_chart: %s\n", e.what());
        return 1;
    }
}
