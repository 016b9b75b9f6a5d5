// Fuzz target csv (run by fuzz/ae_fuzz.cpp): ae::data::load_csv_series.
// Input: one options byte (bit 0: layout column_per_feature, bit 1: header line), then the file.
#pragma once
#include "ae/data/sequences.hpp"
#include "fuzz_support.hpp"

namespace ae_fuzz {

inline int fuzz_csv(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto layout =
        (data[0] & 1) ? ae::data::SeriesLayout::column_per_feature : ae::data::SeriesLayout::series_per_row;
    const bool header = (data[0] & 2) != 0;
    const std::string& path = ae_fuzz::scratch_path("csv", ".csv");
    ae_fuzz::write_scratch(path, data + 1, size - 1);
    ae_fuzz::expect_ae_errors_only([&] {
        const auto s = ae::data::load_csv_series<float>(path, layout, header);
        // A successful read must be self-consistent: shape {T, F} describes every column.
        if (s.shape.rank() != 2 || s.values.rows() != s.shape.size() || s.values.cols() < 1) std::abort();
    });
    return 0;
}

}  // namespace ae_fuzz
