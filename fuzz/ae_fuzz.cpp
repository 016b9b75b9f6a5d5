// ae_fuzz: every libFuzzer target of this folder, and the seed corpus writer, in one program.
//   AE_FUZZ_TARGET=<target> ae_fuzz [libFuzzer options] [corpus folders]   fuzz one target
//   ae_fuzz --make-seeds OUT_DIR                                            write the seeds
// The targets are fuzz_<target>.hpp: idx, model_file, csv, image, checkpoint, safetensors.
// One program rather than one per target because most of the compile time is spent
// instantiating the library's model code, which four of them share (scripts/fuzz.sh builds it
// in about a third of the time the separate programs took). The target is chosen by an
// environment variable, not an argument, because libFuzzer starts its -jobs workers again with
// the same arguments and environment.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_checkpoint.hpp"
#include "fuzz_csv.hpp"
#include "fuzz_idx.hpp"
#include "fuzz_image.hpp"
#include "fuzz_model_file.hpp"
#include "fuzz_safetensors.hpp"
#include "make_seeds.hpp"

// libFuzzer's entry point when linked without its own main (libclang_rt.fuzzer_no_main).
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*target)(const std::uint8_t*, std::size_t));

namespace {

struct Target {
    const char* name;
    int (*run)(const std::uint8_t*, std::size_t);
};

constexpr Target targets[] = {
    {"idx", ae_fuzz::fuzz_idx},     {"model_file", ae_fuzz::fuzz_model_file},
    {"csv", ae_fuzz::fuzz_csv},     {"image", ae_fuzz::fuzz_image},
    {"checkpoint", ae_fuzz::fuzz_checkpoint}, {"safetensors", ae_fuzz::fuzz_safetensors},
};

int usage(const std::string& why) {
    std::fprintf(stderr, "ae_fuzz: %s\nusage: AE_FUZZ_TARGET=<target> ae_fuzz [libFuzzer options] [corpus...]\n"
                         "       ae_fuzz --make-seeds OUT_DIR\ntargets:", why.c_str());
    for (const Target& t : targets) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--make-seeds") == 0) {
        if (argc != 3) return usage("--make-seeds expects one folder");
        return ae_fuzz::make_seeds(argv[2]);
    }
    const char* chosen = std::getenv("AE_FUZZ_TARGET");
    if (!chosen) return usage("AE_FUZZ_TARGET is not set");
    for (const Target& t : targets)
        if (std::strcmp(t.name, chosen) == 0) return LLVMFuzzerRunDriver(&argc, &argv, t.run);
    return usage(std::string("unknown target '") + chosen + "'");
}
