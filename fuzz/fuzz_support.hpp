#pragma once
// Shared by the libFuzzer targets in this folder.
//
// ae's loaders take a path, so each input is written to a scratch file first (one per fuzzing
// process, reused). A loader may throw an ae::Error subclass: that is the expected answer to a
// broken file. Anything else escaping the target (another exception, a crash, a sanitizer
// report, a leak, a malloc above -malloc_limit_mb) is a finding, which libFuzzer reports.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/io/binary.hpp"
#include "ae/io/model_format.hpp"

namespace ae_fuzz {

/// Write v as 8 little-endian bytes at p (the u64 fields of ae's file headers).
inline void put_u64_le(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = std::uint8_t(v >> (8 * i));
}

/// A fuzz input of at least a header's size with the 32-byte header of a model file or
/// checkpoint made valid: the given magic and version, a scalar size of 4 or 8 (from bit 1 of
/// byte 12), and the payload length and checksum of the bytes as they are. The fuzzer's bytes
/// then reach the payload parser instead of stopping at the header checks. Bit 0 of byte 12
/// (returned in as_double) picks which scalar type the caller loads as.
inline std::vector<std::uint8_t> with_valid_header(const std::uint8_t* data, std::size_t size, const char* magic,
                                                   std::uint32_t version, bool& as_double) {
    constexpr std::size_t header = ae::model_format::header_size;
    std::vector<std::uint8_t> file(data, data + size);
    as_double = file[12] & 1;
    const std::uint8_t scalar_size = (file[12] & 2) ? 8 : 4;
    std::memcpy(file.data(), magic, 8);
    for (int i = 0; i < 4; ++i) file[8 + i] = std::uint8_t(version >> (8 * i));
    file[12] = scalar_size, file[13] = file[14] = file[15] = 0;
    put_u64_le(file.data() + 16, size - header);
    put_u64_le(file.data() + 24,
               ae::Fnv1a64().update(file.data(), header - 8).update(file.data() + header, size - header).value());
    return file;
}

/// The scratch file of this process: $TMPDIR (or /tmp)/ae-fuzz-<tag>-<pid><suffix>.
inline const std::string& scratch_path(const char* tag, const char* suffix = "") {
    static const std::string path = [&] {
        const char* dir = std::getenv("TMPDIR");
        return std::string(dir && *dir ? dir : "/tmp") + "/ae-fuzz-" + tag + "-" + std::to_string(::getpid()) + suffix;
    }();
    return path;
}

/// Replace the file at path with exactly these bytes; aborts if the disk refuses (not a finding
/// about ae, but the run could not go on meaningfully).
inline void write_scratch(const std::string& path, const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
        std::perror(("ae fuzz: cannot write the scratch file " + path).c_str());
        std::abort();
    }
}

/// Run a loader on the scratch file; an ae::Error is an expected outcome, nothing else is
/// caught here.
template <class F>
void expect_ae_errors_only(F&& load) {
    try {
        load();
    } catch (const ae::Error&) {
    }
}

}  // namespace ae_fuzz
