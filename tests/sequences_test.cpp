#include <fstream>

#include "ae/data/sequences.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;
using namespace ae::data;

namespace {
std::string write_tmp(const std::string& name, const std::string& text) {
    const std::string path = test_path("sequences_test", name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}
}  // namespace

TEST_CASE("load_csv_series: one series per row gives T × N columns of shape {T, 1}", "[sequences][csv]") {
    auto path = write_tmp("series_rows.csv", "t0,t1,t2\n1, 2 ,3\r\n\n-4.5,5e-1,+6\n");
    auto d = load_csv_series<double>(path, SeriesLayout::series_per_row, true);
    REQUIRE(d.shape == Shape{3, 1});
    REQUIRE(d.values.rows() == 3);
    REQUIRE(d.values.cols() == 2);
    REQUIRE(d.values(0, 0) == 1.0);
    REQUIRE(d.values(2, 0) == 3.0);
    REQUIRE(d.values(0, 1) == -4.5);
    REQUIRE(d.values(1, 1) == 0.5);
    REQUIRE(d.values(2, 1) == 6.0);
}

TEST_CASE("load_csv_series: one column per feature gives one {T, F} sample, step-major", "[sequences][csv]") {
    auto path = write_tmp("series_cols.csv", "1,10\n2,20\n3,30\n4,40\n");
    auto d = load_csv_series<float>(path, SeriesLayout::column_per_feature);
    REQUIRE(d.shape == Shape{4, 2});
    REQUIRE(d.values.cols() == 1);
    for (Index t = 0; t < 4; ++t) {
        REQUIRE(d.values(t * 2, 0) == float(t + 1));
        REQUIRE(d.values(t * 2 + 1, 0) == float(10 * (t + 1)));
    }
    auto w = sliding_windows(d.values, d.shape, 3, 1);
    REQUIRE(w.rows() == 6);
    REQUIRE(w.cols() == 2);
    REQUIRE(w(0, 1) == 2.0f);
    REQUIRE(w(5, 1) == 40.0f);
}

TEST_CASE("load_csv_series: bad numbers and ragged rows name the line and column", "[sequences][csv][errors]") {
    auto bad = write_tmp("series_bad.csv", "1,2,3\n4,x5,6\n");
    AE_REQUIRE_THROWS(load_csv_series<float>(bad, SeriesLayout::series_per_row), FormatError,
                      Catch::Matchers::Contains("line 2") && Catch::Matchers::Contains("column 2") &&
                          Catch::Matchers::Contains("x5"));
    auto empty_field = write_tmp("series_empty_field.csv", "1,,3\n");
    AE_REQUIRE_THROWS(load_csv_series<float>(empty_field, SeriesLayout::series_per_row), FormatError,
                      Catch::Matchers::Contains("line 1") && Catch::Matchers::Contains("column 2"));
    auto ragged = write_tmp("series_ragged.csv", "1,2,3\n4,5,6\n\n7,8\n");
    AE_REQUIRE_THROWS(load_csv_series<float>(ragged, SeriesLayout::column_per_feature), FormatError,
                      Catch::Matchers::Contains("line 4") && Catch::Matchers::Contains("expected 3") &&
                          Catch::Matchers::Contains("got 2"));
    auto blank = write_tmp("series_blank.csv", "\n \n");
    AE_REQUIRE_THROWS(load_csv_series<float>(blank, SeriesLayout::series_per_row), FormatError,
                      Catch::Matchers::Contains("no data"));
    REQUIRE_THROWS_AS(load_csv_series<float>(test_path("sequences_test", "does_not_exist.csv"),
                                             SeriesLayout::series_per_row),
                      IoError);
}

TEST_CASE("load_csv_series: size limits are enforced before building the matrix", "[sequences][csv][errors]") {
    auto path = write_tmp("series_big.csv", "1,2,3,4\n5,6,7,8\n");
    CsvLimits few_values;
    few_values.max_values = 6;
    AE_REQUIRE_THROWS(load_csv_series<float>(path, SeriesLayout::series_per_row, false, few_values), FormatError,
                      Catch::Matchers::Contains("more than 6"));
    CsvLimits few_bytes;
    few_bytes.max_bytes = 4;
    AE_REQUIRE_THROWS(load_csv_series<float>(path, SeriesLayout::series_per_row, false, few_bytes), FormatError,
                      Catch::Matchers::Contains("bytes"));
}

TEST_CASE("sliding_windows: bad window sizes and shapes are clear errors", "[sequences][errors]") {
    Matrix<float> s = Matrix<float>::Zero(10, 1);
    REQUIRE_THROWS_AS(sliding_windows(s, Shape{10, 1}, 11, 1), ConfigError);
    REQUIRE_THROWS_AS(sliding_windows(s, Shape{10, 1}, 3, 0), ConfigError);
    REQUIRE_THROWS_AS(sliding_windows(s, Shape{5, 1}, 3, 1), ShapeError);
    REQUIRE(sliding_windows(s, Shape{5, 2}, 3, 2).cols() == 2);
}
