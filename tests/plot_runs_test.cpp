#include <algorithm>
#include <filesystem>

#include "ae/io/plot.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::io;
using Catch::Matchers::Contains;

namespace {

/// The largest number of pixels of colour c on any one row of r, leaving out `except`.
int plot_runs_test_widest_row(const Image& img, Color c, const Rect& r, const Rect& except) {
    int best = 0;
    for (int y = r.y; y <= r.bottom(); ++y) {
        int n = 0;
        for (int x = r.x; x <= r.right(); ++x) n += !except.contains(x, y) && img.get(x, y) == c;
        best = std::max(best, n);
    }
    return best;
}

History plot_runs_test_history(double start, bool with_val) {
    History h;
    for (int e = 0; e < 8; ++e) {
        EpochLogs logs{{"loss", start / (e + 1)}};
        if (with_val) logs["val_loss"] = 1.1 * start / (e + 1);
        h.append(logs);
    }
    return h;
}

}  // namespace

TEST_CASE("plot_loss_curves draws a dashed series with gaps and a solid one without", "[plot][loss]") {
    const std::vector<double> high(30, 1.0), low(30, 0.0);
    const Figure fig = plot_loss_curves({{"solid", high}, {"dashed", low, std::nullopt, true}}, "dashes");
    // Both lines are horizontal and span the axes; the legend is left out of the count.
    const int solid = plot_runs_test_widest_row(fig.image, palette[0], fig.axes, fig.legend);
    const int dashed = plot_runs_test_widest_row(fig.image, palette[1], fig.axes, fig.legend);
    INFO("solid row " << solid << " px, dashed row " << dashed << " px, axes " << fig.axes.width << " px wide");
    REQUIRE(solid > 0.85 * fig.axes.width);
    // A dash inks dash_on of every dash_period steps.
    const double ink = double(io::detail::dash_on) / io::detail::dash_period;
    REQUIRE(dashed > (ink - 0.15) * solid);
    REQUIRE(dashed < (ink + 0.15) * solid);
}

TEST_CASE("plot_runs puts several runs on one chart, validation dashed in the run's colour", "[plot][loss]") {
    const std::vector<Run> runs{{"adam", plot_runs_test_history(1.0, true)},
                                {"sgd", plot_runs_test_history(2.0, true)},
                                {"rmsprop", plot_runs_test_history(1.5, false)}};
    const Figure fig = plot_runs(runs, "three runs");
    // Five legend rows: adam, adam (val), sgd, sgd (val), rmsprop.
    const std::vector<io::detail::LegendEntry> five(5, {"adam (val)", palette[0]});
    REQUIRE(fig.legend.height == io::detail::legend_height(five));
    for (int k = 0; k < 3; ++k) {
        INFO("run " << k);
        REQUIRE(plot_runs_test_widest_row(fig.image, palette[std::size_t(k)], fig.axes, fig.legend) > 0);
    }
    REQUIRE(plot_runs_test_widest_row(fig.image, palette[3], fig.axes, fig.legend) == 0);
    // Without validation curves: three legend rows.
    const Figure train_only = plot_runs(runs, "train only", "loss", false);
    REQUIRE(train_only.legend.height == io::detail::legend_height({five.begin(), five.begin() + 3}));

    const std::string path = testing::test_path("plot_runs", "runs.png");
    save_runs(path, runs, "three runs");
    REQUIRE(std::filesystem::file_size(path) > 1000);
}

TEST_CASE("plot_runs names the run that lacks the metric", "[plot][loss][errors]") {
    History only_val;
    only_val.append({{"val_loss", 0.5}});
    AE_REQUIRE_THROWS(plot_runs({{"a", plot_runs_test_history(1.0, false)}, {"b", only_val}}, "t"), ConfigError,
                      Contains("run 'b' has no metric 'loss' (it has: val_loss)"));
    AE_REQUIRE_THROWS(plot_runs({}, "t"), ConfigError, Contains("no runs"));
    AE_REQUIRE_THROWS(plot_runs({{"empty", History{}}}, "t"), ConfigError, Contains("(it has: nothing)"));
}
