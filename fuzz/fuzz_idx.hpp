// Fuzz target idx (run by fuzz/ae_fuzz.cpp): ae::data::read_idx on raw and gzip IDX files.
// Input: one mode byte, then the file.
//   mode even: the rest is the file as it is (raw IDX, or whatever gzip stream the fuzzer made);
//   mode odd:  the rest is gzip-compressed here first, so the IDX parser behind zlib sees
//              arbitrary decompressed bytes (a mutated gzip stream rarely gets past its CRC).
#pragma once
#include <zlib.h>

#include <vector>

#include "ae/data/idx.hpp"
#include "fuzz_support.hpp"

namespace ae_fuzz::idx_detail {
inline std::vector<std::uint8_t> gzip_bytes(const std::uint8_t* data, std::size_t size) {
    z_stream zs{};
    // windowBits 15 + 16: a gzip wrapper rather than a zlib one.
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    std::vector<std::uint8_t> out(deflateBound(&zs, uLong(size)) + 32);
    zs.next_in = const_cast<Bytef*>(data);
    zs.avail_in = uInt(size);
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}
}  // namespace ae_fuzz::idx_detail

namespace ae_fuzz {

inline int fuzz_idx(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string& path = ae_fuzz::scratch_path("idx");
    if (data[0] % 2 == 1) {
        const auto gz = idx_detail::gzip_bytes(data + 1, size - 1);
        ae_fuzz::write_scratch(path, gz.data(), gz.size());
    } else {
        ae_fuzz::write_scratch(path, data + 1, size - 1);
    }
    ae_fuzz::expect_ae_errors_only([&] {
        const ae::data::IdxArray a = ae::data::read_idx(path);
        // A successful read must be self-consistent.
        if (a.size() != a.data.size()) std::abort();
    });
    return 0;
}

}  // namespace ae_fuzz
