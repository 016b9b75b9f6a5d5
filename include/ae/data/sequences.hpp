#pragma once
// Sequence data in ae's layout: a sample of T steps of F features is one column holding step
// 0's F values, then step 1's, … (Shape {T, F}, DESIGN.md §1).
//
// MNIST as sequences: the columns of ae::data::load_mnist are already 28 rows of 28 pixels,
// row-major, i.e. 28 steps of 28 features; a recurrent model takes Shape{28, 28} on
// mnist.train.x as it is, with no copy.
//
// Time series from CSV (numbers separated by commas, optional header line, blank lines
// skipped, '\r' tolerated):
//   SeriesLayout::series_per_row      every row is one univariate series of T values
//                                     → values: T × N (N series), shape {T, 1};
//   SeriesLayout::column_per_feature  one multivariate series: a row per step, a column per
//                                     feature → values: (T·F) × 1, shape {T, F}.
// sliding_windows() cuts a long series into training windows.
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/shape.hpp"
#include "ae/io/binary.hpp"

namespace ae::data {

enum class SeriesLayout { series_per_row, column_per_feature };

template <class S = float>
struct SeriesData {
    Matrix<S> values;  // one sample per column, in the {T, F} layout
    Shape shape;       // per-sample shape {T, F}
};

struct CsvLimits {
    std::size_t max_bytes = std::size_t(1) << 30;       // files larger than this are refused
    std::size_t max_values = std::size_t(1) << 28;      // and so are tables with more numbers
};

namespace detail {
/// Rows of numbers; FormatError with 1-based line and column on a bad field or a ragged row.
inline std::vector<std::vector<double>> parse_csv_numbers(const std::string& path, const std::string& text,
                                                          bool has_header, const CsvLimits& limits) {
    std::vector<std::vector<double>> rows;
    std::size_t pos = 0, line = 0, total = 0;
    bool header_pending = has_header;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view row(text.data() + pos, end - pos);
        pos = end + 1;
        ++line;
        if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
        if (row.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (header_pending) {
            header_pending = false;
            continue;
        }
        std::vector<double> values;
        std::size_t start = 0, column = 0;
        for (;;) {
            ++column;
            std::size_t comma = row.find(',', start);
            std::string_view field = row.substr(start, comma == std::string_view::npos ? row.npos : comma - start);
            const std::size_t a = field.find_first_not_of(" \t");
            const std::size_t b = field.find_last_not_of(" \t");
            field = a == field.npos ? std::string_view() : field.substr(a, b - a + 1);
            if (!field.empty() && field.front() == '+') field.remove_prefix(1);
            double v = 0;
            auto res = std::from_chars(field.data(), field.data() + field.size(), v);
            if (field.empty() || res.ec != std::errc() || res.ptr != field.data() + field.size())
                throw FormatError("load_csv_series: '" + path + "' line " + std::to_string(line) + ", column " +
                                  std::to_string(column) + ": expected a number, got '" + std::string(field) + "'");
            values.push_back(v);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        if (!rows.empty() && values.size() != rows.front().size())
            throw FormatError("load_csv_series: '" + path + "' line " + std::to_string(line) + ": expected " +
                              std::to_string(rows.front().size()) + " values like the first data row, got " +
                              std::to_string(values.size()));
        total += values.size();
        if (total > limits.max_values)
            throw FormatError("load_csv_series: '" + path + "' holds more than " + std::to_string(limits.max_values) +
                              " numbers (raise CsvLimits::max_values)");
        rows.push_back(std::move(values));
    }
    if (rows.empty()) throw FormatError("load_csv_series: '" + path + "' holds no data rows");
    return rows;
}
}  // namespace detail

/// Read a CSV time series (see the layouts above). IoError if unreadable, FormatError if malformed.
template <class S = float>
SeriesData<S> load_csv_series(const std::string& path, SeriesLayout layout, bool has_header = false,
                              const CsvLimits& limits = {}) {
    const std::vector<std::uint8_t> bytes = read_file_bytes(path);
    if (bytes.size() > limits.max_bytes)
        throw FormatError("load_csv_series: '" + path + "' is " + std::to_string(bytes.size()) +
                          " bytes, more than the limit of " + std::to_string(limits.max_bytes));
    const std::string text(bytes.begin(), bytes.end());
    const auto rows = detail::parse_csv_numbers(path, text, has_header, limits);
    const Index n_rows = Index(rows.size()), n_cols = Index(rows.front().size());
    SeriesData<S> out;
    if (layout == SeriesLayout::series_per_row) {
        out.values.resize(n_cols, n_rows);  // values: T × N
        for (Index j = 0; j < n_rows; ++j)
            for (Index t = 0; t < n_cols; ++t) out.values(t, j) = S(rows[j][t]);
        out.shape = Shape{n_cols, 1};
    } else {
        out.values.resize(n_rows * n_cols, 1);  // values: (T·F) × 1, step-major
        for (Index t = 0; t < n_rows; ++t)
            for (Index f = 0; f < n_cols; ++f) out.values(t * n_cols + f, 0) = S(rows[t][f]);
        out.shape = Shape{n_rows, n_cols};
    }
    return out;
}

/// Windows of `window` steps every `stride` steps of one {T, F} series column:
/// returns (window·F) × n_windows, each column a {window, F} sample.
template <class S>
Matrix<S> sliding_windows(const Matrix<S>& series, const Shape& shape, Index window, Index stride) {
    if (shape.rank() != 2 || series.rows() != shape.size() || series.cols() != 1)
        throw ShapeError("sliding_windows: expected one series column of shape {T, F}, got " +
                         std::to_string(series.rows()) + " × " + std::to_string(series.cols()) + " with shape " +
                         shape.str());
    const Index T = shape[0], F = shape[1];
    if (window <= 0 || stride <= 0 || window > T)
        throw ConfigError("sliding_windows: expected 0 < window <= " + std::to_string(T) +
                          " and stride > 0, got window " + std::to_string(window) + ", stride " +
                          std::to_string(stride));
    const Index n = (T - window) / stride + 1;
    Matrix<S> out(window * F, n);  // out: (window·F) × n
    for (Index i = 0; i < n; ++i) out.col(i) = series.block(i * stride * F, 0, window * F, 1);
    return out;
}

}  // namespace ae::data
