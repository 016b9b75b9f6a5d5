#pragma once
// Options of Sequential::fit, with Keras' names and defaults. Use designated initialisers:
//   model.fit(x, x, {.epochs = 5, .batch_size = 256, .validation_data = {x_val, x_val}});
#include <cstdint>
#include <string>

#include "ae/core/matrix.hpp"

namespace ae {

/// Validation inputs and targets, held by reference (they must outlive fit).
template <class S>
struct ValidationData {
    ValidationData() = default;
    ValidationData(const Matrix<S>& x_, const Matrix<S>& y_) : x(&x_), y(&y_) {}
    const Matrix<S>* x = nullptr;
    const Matrix<S>* y = nullptr;
    bool present() const { return x != nullptr; }
};

template <class S = float>
struct FitOptions {
    int epochs = 1;
    Index batch_size = 32;            // Keras' default
    bool shuffle = true;              // reshuffle the samples every epoch
    std::uint64_t seed = 0;           // seed of the shuffling Rng
    ValidationData<S> validation_data{};
    int verbose = 1;                  // 0: silent; 1: progress bar on a TTY, else a line per epoch
    std::string resume_from{};        // checkpoint to continue from (io/checkpoint_file.hpp); "" starts afresh
    bool terminate_on_nan = true;     // add a TerminateOnNaN: stop at a non-finite loss, restore finite weights
    bool check_finite_inputs = true;  // reject NaN/Inf in x, y and validation data before training
};

} // namespace ae
