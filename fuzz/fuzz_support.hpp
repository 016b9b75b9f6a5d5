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
#include <string>

#include "ae/core/error.hpp"

namespace ae_fuzz {

/// Write v as 8 little-endian bytes at p (the u64 fields of ae's file headers).
inline void put_u64_le(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = std::uint8_t(v >> (8 * i));
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
