// Fuzz target model_file (run by fuzz/ae_fuzz.cpp): ae::load (model files, io/model_file.hpp).
// Input: a model file. Each input is loaded twice:
//   1. as it is: exercises the header checks (magic, version, scalar size, length, checksum);
//   2. with the header repaired (magic, version 1, payload length and checksum recomputed), when
//      the input has at least a header's worth of bytes: a mutated file would otherwise almost
//      never pass the checksum, and the parser behind it would go unfuzzed.
// Bit 0 of byte 12 (the scalar size field) picks the model's scalar type for load 2, so both
// load<float> and load<double> are reached; the field itself is then set to 4 or 8 by bit 1.
#pragma once
#include <cstring>
#include <vector>

#include "ae/io/model_file.hpp"
#include "fuzz_support.hpp"


namespace ae_fuzz {

inline int fuzz_model_file(const std::uint8_t* data, std::size_t size) {
    const std::string& path = ae_fuzz::scratch_path("model", ".aem");
    ae_fuzz::write_scratch(path, data, size);
    ae_fuzz::expect_ae_errors_only([&] { (void)ae::load<float>(path); });

    if (size < ae::model_format::header_size) return 0;
    bool as_double = false;
    const std::vector<std::uint8_t> file =
        ae_fuzz::with_valid_header(data, size, ae::model_format::magic, ae::model_format::version, as_double);
    ae_fuzz::write_scratch(path, file.data(), file.size());
    ae_fuzz::expect_ae_errors_only([&] {
        if (as_double)
            (void)ae::load<double>(path);
        else
            (void)ae::load<float>(path);
    });
    return 0;
}

}  // namespace ae_fuzz
