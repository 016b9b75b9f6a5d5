// IDX reader/writer: round trips (raw and gzip) and every malformed-file case the reader must
// reject with a FormatError (or IoError) instead of crashing or allocating what is not there.
#include "ae/data/idx.hpp"

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;
using namespace ae::data;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

/// A header written by hand (so tests can declare anything), followed by `payload`.
Bytes idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, const Bytes& payload, std::uint8_t m0 = 0,
                std::uint8_t m1 = 0) {
    Bytes b = {m0, m1, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes pattern(std::size_t n, unsigned seed = 0) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 37 + seed * 11 + i / 256) & 0xFF);
    return b;
}

#ifdef AE_HAVE_ZLIB
void write_gzip(const std::string& path, const Bytes& bytes) {
    gzFile gz = gzopen(path.c_str(), "wb");
    REQUIRE(gz != nullptr);
    REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    REQUIRE(gzclose(gz) == Z_OK);
}
#endif

/// read_idx(path) must throw FormatError whose message names the file and contains each part.
void require_format_error(const std::string& path, std::initializer_list<std::string> parts) {
    try {
        read_idx(path);
        FAIL("read_idx('" << path << "') did not throw");
    } catch (const FormatError& e) {
        const std::string msg = e.what();
        INFO("message: " << msg);
        CHECK(msg.find(path) != std::string::npos);
        for (const auto& p : parts) CHECK(msg.find(p) != std::string::npos);
    }
}

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;  // KiB on Linux
}

}  // namespace

TEST_CASE("IDX: write_idx then read_idx returns the same dims and bytes", "[idx]") {
    for (const std::vector<std::size_t>& dims :
         {std::vector<std::size_t>{300}, {7, 5, 3}, {2, 3, 4, 5}, {1, 28, 28}, {4, 70000}}) {
        IdxArray a;
        a.dims = dims;
        a.data = pattern(a.size(), static_cast<unsigned>(dims.size()));
        const std::string path = test_path("idx_test", "round_trip.idx");
        write_idx(path, a);
        REQUIRE(fs::file_size(path) == 4 + 4 * dims.size() + a.size());
        const IdxArray b = read_idx(path);
        REQUIRE(b.dims == a.dims);
        REQUIRE((b.data == a.data));
    }
}

TEST_CASE("IDX: write_idx writes the documented big-endian header", "[idx]") {
    IdxArray a;
    a.dims = {3, 0x010203};
    a.data = pattern(a.size());
    const std::string path = test_path("idx_test", "header.idx");
    write_idx(path, a);
    std::ifstream in(path, std::ios::binary);
    Bytes head(12);
    in.read(reinterpret_cast<char*>(head.data()), 12);
    REQUIRE(head == Bytes{0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0x01, 0x02, 0x03});
}

TEST_CASE("IDX: write_idx leaves no temporary file and replaces an existing file", "[idx][io]") {
    const fs::path dir = fs::path(test_path("idx_test", "atomic"));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string path = (dir / "a.idx").string();
    IdxArray a;
    a.dims = {10};
    a.data = pattern(10);
    write_idx(path, a);
    a.data = pattern(10, 3);
    write_idx(path, a);
    REQUIRE(read_idx(path).data == a.data);
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        INFO(entry.path().string());
        ++files;
    }
    REQUIRE(files == 1);
}

TEST_CASE("IDX: write_idx rejects inconsistent arrays and unwritable folders", "[idx][errors]") {
    IdxArray a;
    a.dims = {2, 3};
    a.data = pattern(5);
    REQUIRE_THROWS_WITH(write_idx(test_path("idx_test", "bad.idx"), a),
                        Catch::Matchers::Contains("6") && Catch::Matchers::Contains("5"));
    REQUIRE_THROWS_AS(write_idx(test_path("idx_test", "bad.idx"), a), ShapeError);
    a.dims = {};
    a.data = {};
    REQUIRE_THROWS_AS(write_idx(test_path("idx_test", "bad.idx"), a), ShapeError);
    a.dims = {0};
    REQUIRE_THROWS_AS(write_idx(test_path("idx_test", "bad.idx"), a), ShapeError);
    a.dims = {1};
    a.data = {7};
    REQUIRE_THROWS_AS(write_idx(test_path("idx_test", "no_such_folder/x.idx"), a), IoError);
}

#ifdef AE_HAVE_ZLIB
TEST_CASE("IDX: gzip files are recognised by their magic and decompressed", "[idx][gzip]") {
    // 3 MiB of data spans several 1 MiB read chunks; the second file has no .gz suffix.
    const Bytes payload = pattern(3 * 1024 * 1024 + 123, 5);
    for (const std::string name : {"big.idx.gz", "gzip_without_suffix.idx"}) {
        const std::string path = test_path("idx_test", name);
        write_gzip(path, idx_bytes(0x08, {3, 1024 * 1024 + 41}, payload));
        const IdxArray a = read_idx(path);
        REQUIRE(a.dims == std::vector<std::size_t>{3, 1024 * 1024 + 41});
        REQUIRE((a.data == payload));  // parenthesised: no 3 MB printout on failure
    }
}

TEST_CASE("IDX: malformed gzip contents throw FormatError", "[idx][gzip][errors]") {
    const Bytes good = idx_bytes(0x08, {10, 10}, pattern(100));
    SECTION("decompressed data shorter than declared") {
        const std::string path = test_path("idx_test", "gz_short.idx.gz");
        write_gzip(path, Bytes(good.begin(), good.end() - 1));
        require_format_error(path, {"10 x 10", "100", "99", "truncated"});
    }
    SECTION("decompressed data longer than declared") {
        Bytes more = good;
        more.push_back(1);
        const std::string path = test_path("idx_test", "gz_long.idx.gz");
        write_gzip(path, more);
        require_format_error(path, {"trailing"});
    }
    SECTION("header cut inside the gzip stream") {
        const std::string path = test_path("idx_test", "gz_header.idx.gz");
        write_gzip(path, Bytes(good.begin(), good.begin() + 6));
        require_format_error(path, {"truncated header", "expected 12", "found 6"});
    }
    SECTION("compressed file itself cut short") {
        const std::string full = test_path("idx_test", "gz_full.idx.gz");
        write_gzip(full, idx_bytes(0x08, {1000}, pattern(1000, 9)));
        std::ifstream in(full, std::ios::binary);
        Bytes z((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        REQUIRE(z.size() > 30);
        const std::string path = test_path("idx_test", "gz_cut.idx.gz");
        write_bytes(path, Bytes(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(z.size() / 2)));
        require_format_error(path, {});
    }
    SECTION("wrong IDX magic inside the gzip stream") {
        Bytes bad = good;
        bad[1] = 0x55;
        const std::string path = test_path("idx_test", "gz_magic.idx.gz");
        write_gzip(path, bad);
        require_format_error(path, {"magic", "0x55"});
    }
}
#else
TEST_CASE("IDX: a gzip file without zlib support says so", "[idx][gzip][errors]") {
    const std::string path = test_path("idx_test", "no_zlib.idx.gz");
    write_bytes(path, {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3});
    require_format_error(path, {"zlib support is not compiled in"});
}
#endif

TEST_CASE("IDX: files truncated in the header or the data throw FormatError", "[idx][errors]") {
    const Bytes good = idx_bytes(0x08, {4, 5, 6}, pattern(120));  // 16-byte header + 120 bytes
    const std::string path = test_path("idx_test", "truncated.idx");
    for (std::size_t len : {0, 1, 3}) {
        write_bytes(path, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)));
        require_format_error(path, {"truncated header", "4-byte magic", "found " + std::to_string(len)});
    }
    for (std::size_t len : {4, 7, 8, 15}) {
        write_bytes(path, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)));
        require_format_error(path, {"truncated header", "expected 16 bytes", "found " + std::to_string(len)});
    }
    for (std::size_t len : {16, 17, 100, 135}) {
        write_bytes(path, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)));
        require_format_error(path, {"4 x 5 x 6", "120 data bytes", "only " + std::to_string(len - 16), "truncated"});
    }
}

TEST_CASE("IDX: a wrong magic number throws FormatError showing the bytes found", "[idx][errors]") {
    const std::string path = test_path("idx_test", "magic.idx");
    write_bytes(path, idx_bytes(0x08, {4}, pattern(4), 0x01, 0x00));
    require_format_error(path, {"wrong magic", "expected 00 00", "0x01 0x00 0x08 0x01"});
    write_bytes(path, idx_bytes(0x08, {4}, pattern(4), 0x00, 0x08));
    require_format_error(path, {"wrong magic", "0x00 0x08"});
}

TEST_CASE("IDX: type codes other than unsigned byte are rejected by name", "[idx][errors]") {
    const std::string path = test_path("idx_test", "type.idx");
    const std::vector<std::pair<std::uint8_t, std::string>> codes = {
        {0x09, "0x09 (signed byte)"}, {0x0B, "0x0B (int16)"},   {0x0C, "0x0C (int32)"},
        {0x0D, "0x0D (float32)"},     {0x0E, "0x0E (float64)"}, {0x07, "0x07 (unknown)"}};
    for (const auto& [code, name] : codes) {
        write_bytes(path, idx_bytes(code, {4}, pattern(32)));
        require_format_error(path, {"unsupported type code " + name, "expected 0x08"});
    }
}

TEST_CASE("IDX: a dimension count outside 1..4 throws FormatError", "[idx][errors]") {
    const std::string path = test_path("idx_test", "rank.idx");
    write_bytes(path, idx_bytes(0x08, {}, pattern(4)));
    require_format_error(path, {"expected 1 to 4 dimensions, found 0"});
    write_bytes(path, idx_bytes(0x08, {1, 1, 1, 1, 1}, pattern(1)));
    require_format_error(path, {"expected 1 to 4 dimensions, found 5"});
}

TEST_CASE("IDX: a zero dimension throws FormatError", "[idx][errors]") {
    const std::string path = test_path("idx_test", "zero.idx");
    write_bytes(path, idx_bytes(0x08, {3, 0, 2}, {}));
    require_format_error(path, {"dimension 1 is 0", "3 x 0 x 2"});
}

TEST_CASE("IDX: trailing bytes after the declared data throw FormatError", "[idx][errors]") {
    const std::string path = test_path("idx_test", "trailing.idx");
    write_bytes(path, idx_bytes(0x08, {2, 3}, pattern(6 + 5)));
    require_format_error(path, {"2 x 3", "6 data bytes", "holds 11", "5 trailing bytes"});
}

TEST_CASE("IDX: huge declared sizes fail fast without allocating them", "[idx][errors][memory]") {
    const std::string path = test_path("idx_test", "huge.idx");
    const long rss_before = peak_rss_kib();

    // 2^40 bytes claimed by a 28-byte file.
    auto start = std::chrono::steady_clock::now();
    write_bytes(path, idx_bytes(0x08, {1u << 20, 1u << 20}, pattern(16)));
    require_format_error(path, {"1048576 x 1048576", "1099511627776 data bytes", "only 16", "truncated"});
    // 1 GiB claimed: an allocate-first reader would touch (and show in the peak RSS) 1 GiB.
    write_bytes(path, idx_bytes(0x08, {1u << 15, 1u << 15}, pattern(16)));
    require_format_error(path, {"1073741824 data bytes", "only 16"});
    // Four maximal dimensions overflow any size type.
    write_bytes(path, idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, pattern(16)));
    require_format_error(path, {"overflow"});
#ifdef AE_HAVE_ZLIB
    const std::string gz = test_path("idx_test", "huge.idx.gz");
    write_gzip(gz, idx_bytes(0x08, {1u << 20, 1u << 20}, pattern(16)));
    require_format_error(gz, {"1099511627776 data bytes", "only 16"});
    write_gzip(gz, idx_bytes(0x08, {1u << 15, 1u << 15}, pattern(16)));
    require_format_error(gz, {"1073741824 data bytes", "only 16"});
#endif
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss_growth_mib = (peak_rss_kib() - rss_before) / 1024;
    INFO("seconds: " << seconds << ", peak RSS growth: " << rss_growth_mib << " MiB");
    REQUIRE(seconds < 1.0);
    REQUIRE(rss_growth_mib < 64);
}

TEST_CASE("IDX: a missing file or a directory throws IoError naming the path", "[idx][errors][io]") {
    const std::string missing = test_path("idx_test", "does_not_exist.idx");
    fs::remove(missing);
    REQUIRE_THROWS_AS(read_idx(missing), IoError);
    REQUIRE_THROWS_WITH(read_idx(missing), Catch::Matchers::Contains(missing));
    const std::string dir = test_path("idx_test", "a_directory");
    fs::create_directories(dir);
    REQUIRE_THROWS_AS(read_idx(dir), IoError);
    REQUIRE_THROWS_WITH(read_idx(dir), Catch::Matchers::Contains("directory"));
}
