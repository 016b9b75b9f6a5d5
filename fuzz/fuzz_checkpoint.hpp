// Fuzz target checkpoint (run by fuzz/ae_fuzz.cpp): the checkpoint reader (io/checkpoint_file.hpp) and fit(resume_from).
// Input: a checkpoint file. Each input is loaded twice, as fuzz_model_file does:
//   1. as it is, with load_checkpoint<float>: exercises the header checks (magic, version, scalar
//      size, length, checksum);
//   2. with the header repaired (checkpoint magic, version 1, payload length and checksum
//      recomputed), when the input has at least a header's worth of bytes, so that mutations
//      reach the parser behind the checksum: load_checkpoint and ae::load (which reads the model
//      out of a checkpoint). Bit 0 of byte 12 (the scalar size field) picks double for load 2,
//      bit 1 sets the field to 8 (else 4).
// A float checkpoint that loads is then resumed the way a killed run is: fit(x, x,
// {.resume_from = path}) on two fixed models (vanilla_model and noisy_model in fuzz_models.hpp, the models of
// make_seeds' checkpoint seeds) for one more epoch, with x holding as many samples as the
// checkpoint's sample order (up to 256) and its batch size, so resume_fit's checks pass and
// restore_checkpoint and a few training steps run on the restored state.
#pragma once
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

#include "ae/ae.hpp"
#include "fuzz_models.hpp"
#include "fuzz_support.hpp"

namespace ae_fuzz::checkpoint_detail {

inline void resume(const std::string& path, const ae::Checkpoint<float>& c) {
    if (c.order.size() > 256) return;
    ae::Matrix<float> x(12, ae::Index(c.order.size()));
    for (ae::Index j = 0; j < x.cols(); ++j)
        for (ae::Index i = 0; i < 12; ++i) x(i, j) = float((i * 7 + j * 13) % 17) / 16.0f;
    ae::FitOptions<float> options;
    options.epochs = c.epochs_done < INT_MAX ? c.epochs_done + 1 : c.epochs_done;
    options.batch_size = c.batch_size;
    options.verbose = 0;
    options.resume_from = path;
    for (auto make : {ae_fuzz::vanilla_model<float>, ae_fuzz::noisy_model}) {
        auto model = make();
        ae_fuzz::expect_ae_errors_only([&] { (void)model->fit(x, x, options); });
    }
}

}  // namespace ae_fuzz::checkpoint_detail

namespace ae_fuzz {

inline int fuzz_checkpoint(const std::uint8_t* data, std::size_t size) {
    const std::string& path = ae_fuzz::scratch_path("checkpoint", ".aec");
    ae_fuzz::write_scratch(path, data, size);
    ae_fuzz::expect_ae_errors_only([&] { (void)ae::load_checkpoint<float>(path); });

    if (size < ae::model_format::header_size) return 0;
    bool as_double = false;
    const std::vector<std::uint8_t> file =
        ae_fuzz::with_valid_header(data, size, ae::checkpoint_format::magic, ae::checkpoint_format::version, as_double);
    ae_fuzz::write_scratch(path, file.data(), file.size());
    if (as_double) {
        ae_fuzz::expect_ae_errors_only([&] { (void)ae::load_checkpoint<double>(path); });
        ae_fuzz::expect_ae_errors_only([&] { (void)ae::load<double>(path); });
        return 0;
    }
    std::unique_ptr<ae::Checkpoint<float>> loaded;
    ae_fuzz::expect_ae_errors_only(
        [&] { loaded = std::make_unique<ae::Checkpoint<float>>(ae::load_checkpoint<float>(path)); });
    ae_fuzz::expect_ae_errors_only([&] { (void)ae::load<float>(path); });
    if (loaded) checkpoint_detail::resume(path, *loaded);
    return 0;
}

}  // namespace ae_fuzz
