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
#include <filesystem>
#include <string>
#include <string_view>
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
/// A CSV table of numbers, row-major in one flat array: 8 bytes per value and nothing per row,
/// so memory stays within a small multiple of the file (a value takes at least 2 bytes of it).
struct CsvTable {
    std::vector<double> values;  // rows · cols
    std::size_t rows = 0, cols = 0;
};

/// Parse the rows of numbers; FormatError with 1-based line and column on a bad field or a
/// ragged row.
inline CsvTable parse_csv_numbers(const std::string& path, std::string_view text, bool has_header,
                                  const CsvLimits& limits) {
    CsvTable table;
    std::size_t pos = 0, line = 0;
    bool header_pending = has_header;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view row = text.substr(pos, end - pos);
        pos = end + 1;
        ++line;
        if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
        if (row.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (header_pending) {
            header_pending = false;
            continue;
        }
        const std::size_t row_start = table.values.size();
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
            if (table.values.size() >= limits.max_values)
                throw FormatError("load_csv_series: '" + path + "' holds more than " +
                                  std::to_string(limits.max_values) + " numbers (raise CsvLimits::max_values)");
            table.values.push_back(v);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        const std::size_t n = table.values.size() - row_start;
        if (table.rows > 0 && n != table.cols)
            throw FormatError("load_csv_series: '" + path + "' line " + std::to_string(line) + ": expected " +
                              std::to_string(table.cols) + " values like the first data row, got " +
                              std::to_string(n));
        table.cols = n;
        ++table.rows;
    }
    if (table.rows == 0) throw FormatError("load_csv_series: '" + path + "' holds no data rows");
    return table;
}
}  // namespace detail

/// Read a CSV time series (see the layouts above). IoError if unreadable, FormatError if malformed.
template <class S = float>
SeriesData<S> load_csv_series(const std::string& path, SeriesLayout layout, bool has_header = false,
                              const CsvLimits& limits = {}) {
    // Refuse an oversized file before reading it, and again after (it may have grown meanwhile).
    std::error_code size_error;
    const std::uintmax_t file_bytes = std::filesystem::file_size(path, size_error);
    if (!size_error && file_bytes > limits.max_bytes)
        throw FormatError("load_csv_series: '" + path + "' is " + std::to_string(file_bytes) +
                          " bytes, more than the limit of " + std::to_string(limits.max_bytes));
    const std::vector<std::uint8_t> bytes = read_file_bytes(path);
    if (bytes.size() > limits.max_bytes)
        throw FormatError("load_csv_series: '" + path + "' is " + std::to_string(bytes.size()) +
                          " bytes, more than the limit of " + std::to_string(limits.max_bytes));
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const detail::CsvTable table = detail::parse_csv_numbers(path, text, has_header, limits);
    const Index n_rows = Index(table.rows), n_cols = Index(table.cols);
    SeriesData<S> out;
    // Row-major table = column-major (cols × rows) matrix: row j is column j of `rows_as_cols`.
    const Eigen::Map<const Matrix<double>> rows_as_cols(table.values.data(), n_cols, n_rows);
    if (layout == SeriesLayout::series_per_row) {
        out.values = rows_as_cols.cast<S>();  // values: T × N, one series per column
        out.shape = Shape{n_cols, 1};
    } else {
        out.values = rows_as_cols.reshaped(n_rows * n_cols, 1).cast<S>();  // values: (T·F) × 1, step-major
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
