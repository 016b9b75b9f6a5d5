// Fuzz target safetensors (run by fuzz/ae_fuzz.cpp): the safetensors reader (io/safetensors.hpp).
// Input: a safetensors file. It is parsed in memory (parse_safetensors); when that succeeds, it
// is written to the scratch file and loaded (load_safetensors) into each fixed model below (the
// models of make_seeds' safetensors seeds, so the loads can succeed), twice: with the default
// options (PyTorch names with activations as modules, strict) and with
// activations_as_modules = false, strict = false. A load that fails stops at the first tensor
// that does not fit, so the other models cost little.
#pragma once
#include <memory>
#include <vector>

#include "ae/ae.hpp"
#include "fuzz_models.hpp"
#include "fuzz_support.hpp"

namespace ae_fuzz::safetensors_detail {

// make_seeds.cpp saves its safetensors seeds from these same models (fuzz_models.hpp).
struct Models {
    std::shared_ptr<ae::Layer<float>> vanilla = ae_fuzz::vanilla_model<float>();
    std::shared_ptr<ae::Layer<double>> vanilla_double = ae_fuzz::vanilla_model<double>();
    std::shared_ptr<ae::Layer<float>> lstm = ae::recipes::recurrent<float>(3, 2, 3, 2).autoencoder;
    std::shared_ptr<ae::Layer<float>> gru = ae_fuzz::gru_model();
    std::shared_ptr<ae::Layer<float>> conv =
        ae::recipes::convolutional<float>(ae::Shape{12, 12, 1}, {2, 2, 2}, ae::Shape{2, 2, 2}).autoencoder;
    std::shared_ptr<ae::Layer<float>> conv_transpose = ae_fuzz::conv_transpose_model();
};

}  // namespace ae_fuzz::safetensors_detail

namespace ae_fuzz {

inline int fuzz_safetensors(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::uint8_t> bytes(data, data + size);
    bool parsed = false;
    ae_fuzz::expect_ae_errors_only([&] {
        const ae::io::Safetensors s = ae::io::parse_safetensors(bytes, "fuzz input");
        // A successful parse must be self-consistent: each tensor holds its shape's elements.
        for (const auto& t : s.tensors) {
            std::uint64_t count = 1;
            for (std::uint64_t d : t.shape) count *= d;
            if (count != t.values.size() || (t.dtype != "F32" && t.dtype != "F64")) std::abort();
        }
        parsed = true;
    });
    if (!parsed) return 0;

    static safetensors_detail::Models models;
    const std::string& path = ae_fuzz::scratch_path("safetensors", ".safetensors");
    ae_fuzz::write_scratch(path, data, size);
    ae::io::SafetensorsOptions loose;
    loose.naming.activations_as_modules = false;
    loose.strict = false;
    for (const ae::io::SafetensorsOptions& options : {ae::io::SafetensorsOptions{}, loose}) {
        ae_fuzz::expect_ae_errors_only([&] { ae::io::load_safetensors(*models.vanilla, path, options); });
        ae_fuzz::expect_ae_errors_only([&] { ae::io::load_safetensors(*models.vanilla_double, path, options); });
        ae_fuzz::expect_ae_errors_only([&] { ae::io::load_safetensors(*models.lstm, path, options); });
        ae_fuzz::expect_ae_errors_only([&] { ae::io::load_safetensors(*models.gru, path, options); });
        ae_fuzz::expect_ae_errors_only([&] { ae::io::load_safetensors(*models.conv, path, options); });
        ae_fuzz::expect_ae_errors_only([&] { ae::io::load_safetensors(*models.conv_transpose, path, options); });
    }
    return 0;
}

}  // namespace ae_fuzz
