#pragma once
// Small helpers shared by the test files: scratch files under the build tree, synthetic data,
// and reference math. One definition here keeps the test files free of look-alike copies.
#include <cctype>
#include <cmath>
#include <functional>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ae/core/matrix.hpp"
#include "ae/core/rng.hpp"
#include "ae/io/binary.hpp"

namespace ae::testing {

/// The running test case's own scratch folder, `AE_TEST_TMP/folder/<test case>`. ctest runs test
/// cases in parallel processes, so two cases must never share a file (a float and a double
/// instance of one template test write the same names).
inline std::filesystem::path test_case_dir(const std::string& folder) {
    const std::string test = Catch::getResultCapture().getCurrentTestName();
    std::string slug;
    for (char c : test.substr(0, 60)) slug += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    const std::string id = slug + "-" + std::to_string(std::hash<std::string>{}(test) % 1000000007);
    return std::filesystem::path(AE_TEST_TMP) / folder / id;
}

/// A file path in the running test case's scratch folder (created if missing).
inline std::string test_path(const std::string& folder, const std::string& name) {
    const std::filesystem::path dir = test_case_dir(folder);
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

/// A fresh, empty folder `name` in the running test case's scratch folder.
inline std::string fresh_dir(const std::string& folder, const std::string& name) {
    const std::filesystem::path dir = test_case_dir(folder) / name;
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

/// A model file or checkpoint after an edit of its payload, with the 32-byte header's payload
/// length (bytes 16..23) and checksum (bytes 24..31) rewritten as a writer would have put them,
/// so that only the edit itself is wrong.
inline std::vector<std::uint8_t> reframe(std::vector<std::uint8_t> bytes) {
    const std::uint64_t payload = bytes.size() - 32;
    for (int i = 0; i < 8; ++i) bytes[16 + i] = std::uint8_t(payload >> (8 * i));
    const std::uint64_t sum = Fnv1a64().update(bytes.data(), 24).update(bytes.data() + 32, payload).value();
    for (int i = 0; i < 8; ++i) bytes[24 + i] = std::uint8_t(sum >> (8 * i));
    return bytes;
}

inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace ae::testing
