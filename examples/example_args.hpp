#pragma once
// Tiny command-line parser shared by the examples: --name value pairs with defaults,
// --help, and a clear error for unknown flags or bad values.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

namespace ae_examples {

class Args {
public:
    Args(int argc, char** argv, std::string usage) : usage_(std::move(usage)) {
        for (int i = 1; i < argc; ++i) {
            std::string key = argv[i];
            if (key == "--help" || key == "-h") {
                std::printf("%s\n", usage_.c_str());
                std::exit(0);
            }
            if (key.rfind("--", 0) != 0 || i + 1 >= argc) fail("expected --flag value, got '" + key + "'");
            values_[key.substr(2)] = argv[++i];
        }
    }
    std::string get(const std::string& name, const std::string& fallback) {
        used_[name] = true;
        auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second;
    }
    long get_int(const std::string& name, long fallback) {
        const std::string s = get(name, std::to_string(fallback));
        char* end = nullptr;
        const long v = std::strtol(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0') fail("--" + name + " expects an integer, got '" + s + "'");
        return v;
    }
    double get_double(const std::string& name, double fallback) {
        const std::string s = get(name, "");
        if (s.empty()) return fallback;
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (*end != '\0') fail("--" + name + " expects a number, got '" + s + "'");
        return v;
    }
    /// Call after every get: rejects flags the example does not know.
    void done() {
        for (auto& kv : values_)
            if (!used_.count(kv.first)) fail("unknown flag --" + kv.first);
    }

private:
    [[noreturn]] void fail(const std::string& msg) const {
        std::fprintf(stderr, "error: %s\n%s\n", msg.c_str(), usage_.c_str());
        std::exit(2);
    }
    std::string usage_;
    std::map<std::string, std::string> values_;
    std::map<std::string, bool> used_;
};

/// The flags every MNIST example takes, with the usual defaults:
///   --data data/mnist --epochs <default_epochs> --batch-size <default_batch_size, 256> --threads 2
///   --seed 42 --out out/<name>
struct CommonFlags {
    std::string data_dir;
    int epochs;
    long batch_size;
    int threads;
    std::uint64_t seed;
    std::string out;
};

inline CommonFlags common_flags(Args& args, const std::string& name, int default_epochs,
                                long default_batch_size = 256) {
    return {args.get("data", "data/mnist"),           int(args.get_int("epochs", default_epochs)),
            args.get_int("batch-size", default_batch_size), int(args.get_int("threads", 2)),
            std::uint64_t(args.get_int("seed", 42)),  args.get("out", "out/" + name)};
}

}  // namespace ae_examples
