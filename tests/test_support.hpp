#pragma once
// Small helpers shared by the test files: scratch files under the build tree, synthetic data,
// and reference math. One definition here keeps the test files free of look-alike copies.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ae/core/matrix.hpp"
#include "ae/core/rng.hpp"

namespace ae::testing {

/// A file path in the build tree's scratch folder `AE_TEST_TMP/folder` (created if missing).
inline std::string test_path(const std::string& folder, const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(AE_TEST_TMP) / folder;
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

/// A fresh, empty scratch folder `AE_TEST_TMP/folder/name`.
inline std::string fresh_dir(const std::string& folder, const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(AE_TEST_TMP) / folder / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

/// Replace `path` with exactly these bytes.
inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    // Unlink first: truncating an existing file makes ext4 flush it, which is slow in loops.
    std::filesystem::remove(path);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

/// `samples` points in [0, 1]^n near a `dims`-dimensional manifold (a random non-negative mix
/// of uniform codes): data an autoencoder with a `dims`-unit code can learn quickly.
inline Matrix<float> manifold_data(Index n, Index samples, std::uint64_t seed, Index dims = 2) {
    Rng rng(seed);
    Matrix<float> codes(dims, samples), mix(n, dims);
    rng.fill_uniform(codes, 0.0, 1.0);
    rng.fill_uniform(mix, 0.0, 1.0);
    return ((mix * codes) / static_cast<float>(dims)).cwiseMin(1.0f);
}

inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace ae::testing
