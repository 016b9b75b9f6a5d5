#include <filesystem>
#include <fstream>
#include <iterator>

#if defined(__unix__)
#include <sys/resource.h>

#include <csignal>
#endif

#include "ae/io/image.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;
using namespace ae::io;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

/// An image of random bytes: every pixel differs from its neighbours, so any mix-up shows.
Image random_image(int w, int h, int c, std::uint64_t seed) {
    Image img(w, h, c);
    Rng rng(seed);
    for (auto& p : img.pixels) p = static_cast<std::uint8_t>(rng.uniform_index(256));
    return img;
}

[[maybe_unused]] std::string file_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

#if defined(AE_HAVE_STB)

TEST_CASE("write_png then read_image gives back every pixel exactly, for 1 to 4 channels", "[image][png]") {
    const std::string dir = fresh_dir("image_test", "round_trip");
    for (int c = 1; c <= 4; ++c) {
        SECTION(std::to_string(c) + " channels") {
            const Image img = random_image(37, 23, c, 100 + c);  // odd sizes catch stride mistakes
            const std::string path = dir + "/rt" + std::to_string(c) + ".png";
            write_png(path, img);
            const Image back = read_image(path);
            REQUIRE(back.width == 37);
            REQUIRE(back.height == 23);
            REQUIRE(back.channels == c);
            REQUIRE(back.pixels == img.pixels);
        }
    }
}

TEST_CASE("read_image decodes BMP exactly and refuses JPEG by name", "[image][formats]") {
    const std::string dir = fresh_dir("image_test", "formats");
    const Image img = random_image(16, 8, 3, 5);
    const std::string bmp = dir + "/a.bmp";
    REQUIRE(stbi_write_bmp(bmp.c_str(), img.width, img.height, 3, img.pixels.data()) != 0);
    REQUIRE(read_image(bmp).pixels == img.pixels);

    // A valid JPEG (stb's own encoder) is refused too: ae does not decode JPEG (see refuse_jpeg).
    const std::string jpg = dir + "/a.jpg";
    REQUIRE(stbi_write_jpg(jpg.c_str(), 16, 8, 3, img.pixels.data(), 95) != 0);
    AE_REQUIRE_THROWS(read_image(jpg), FormatError, Contains(jpg) && Contains("JPEG") && Contains("PNG"));
}

TEST_CASE("read_image of a missing file or a folder throws IoError naming the path", "[image][errors]") {
    const std::string dir = fresh_dir("image_test", "missing");
    const std::string path = dir + "/no_such_file.png";
    AE_REQUIRE_THROWS(read_image(path), IoError, Contains("no_such_file.png"));
    AE_REQUIRE_THROWS(read_image(dir), IoError, Contains(dir));
}

TEST_CASE("read_image of garbage or an empty file throws FormatError naming the file and the reason",
          "[image][errors]") {
    const std::string dir = fresh_dir("image_test", "garbage");
    const std::string path = dir + "/garbage.png";
    {
        std::ofstream f(path, std::ios::binary);
        f << "this is not an image, just some text pretending to be one";
    }
    AE_REQUIRE_THROWS(read_image(path), FormatError, Contains("garbage.png") && Contains("decode"));

    const std::string empty = dir + "/empty.png";
    std::ofstream(empty, std::ios::binary).close();
    AE_REQUIRE_THROWS(read_image(empty), FormatError, Contains("empty.png") && Contains("empty"));

    // A real PNG cut in half: the header is fine, the data is not.
    const std::string cut = dir + "/cut.png";
    write_png(cut, random_image(40, 40, 3, 9));
    const std::string bytes = file_bytes(cut);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    AE_REQUIRE_THROWS(read_image(cut), FormatError, Contains("cut.png"));
}

TEST_CASE("write_png into a missing folder throws IoError naming the path", "[image][errors]") {
    const std::string dir = fresh_dir("image_test", "no_folder");
    const std::string path = dir + "/missing_sub/out.png";
    AE_REQUIRE_THROWS(write_png(path, random_image(4, 4, 1, 1)), IoError, Contains("missing_sub/out.png"));
    REQUIRE_FALSE(fs::exists(path));
}

TEST_CASE("write_png replaces a file atomically and leaves no temporary files", "[image][atomic]") {
    const std::string dir = fresh_dir("image_test", "replace");
    const std::string path = dir + "/out.png";
    write_png(path, random_image(8, 8, 1, 1));
    const Image second = random_image(9, 5, 3, 2);
    write_png(path, second);
    REQUIRE(read_image(path).pixels == second.pixels);
    REQUIRE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

#if defined(__unix__)
TEST_CASE("a write_png that fails midway leaves the previous file intact", "[image][atomic][errors]") {
    const std::string dir = fresh_dir("image_test", "failed_write");
    const std::string path = dir + "/keep.png";
    write_png(path, random_image(4, 4, 1, 3));  // small: well under the limit below
    const std::string before = file_bytes(path);
    REQUIRE(before.size() < 1000);

    // Make the OS refuse to grow any file past 1000 bytes (this works even as root), then write
    // an incompressible image much larger than that.
    struct rlimit old_limit {};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
    struct rlimit small = old_limit;
    small.rlim_cur = 1000;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    bool threw_io = false;
    std::string message;
    try {
        write_png(path, random_image(64, 64, 3, 4));
    } catch (const IoError& e) {
        threw_io = true;
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);

    REQUIRE(threw_io);
    REQUIRE_THAT(message, Contains("keep.png"));
    REQUIRE(file_bytes(path) == before);
    REQUIRE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);  // temp removed
}
#endif

TEST_CASE("load_image_column reads, converts channels and checks the size", "[image][column]") {
    const std::string dir = fresh_dir("image_test", "load_column");
    const std::string path = dir + "/rgb.png";
    const Image img = random_image(6, 4, 3, 8);  // W = 6, H = 4
    write_png(path, img);

    const Vector<double> rgb = load_image_column<double>(path, 4, 6, 3);
    REQUIRE(rgb.size() == 4 * 6 * 3);
    REQUIRE(rgb[(2 * 6 + 5) * 3 + 1] == Approx(img.at(5, 2, 1) / 255.0));

    const Vector<float> grey = load_image_column<float>(path, 4, 6, 1);
    REQUIRE(grey.size() == 24);
    REQUIRE(grey[2 * 6 + 5] == Approx(luma(img.at(5, 2, 0), img.at(5, 2, 1), img.at(5, 2, 2)) / 255.0f));

    AE_REQUIRE_THROWS(load_image_column<float>(path, 6, 4, 3), ShapeError,
                      Contains("4x6") && Contains("6x4") && Contains("rgb.png"));
}

#else

TEST_CASE("without stb, reading and writing images throw a clear Error", "[image][errors]") {
    AE_REQUIRE_THROWS(read_image("x.png"), Error, Contains("not compiled in"));
    AE_REQUIRE_THROWS(write_png("x.png", Image(2, 2, 1)), Error, Contains("not compiled in"));
}

#endif  // AE_HAVE_STB

TEST_CASE("to_column lays an image out in HWC order with values from 0 to 1", "[image][column]") {
    Image img(4, 3, 3);     // W = 4, H = 3, C = 3
    img.at(2, 1, 2) = 200;  // x = 2, y = 1, blue
    img.at(3, 2, 0) = 51;   // the last pixel, red
    const Vector<double> col = to_column<double>(img);
    REQUIRE(col.size() == 3 * 4 * 3);
    // Shape {H, W, C}: index (y * W + x) * C + c.
    REQUIRE(col[(1 * 4 + 2) * 3 + 2] == Approx(200 / 255.0));
    REQUIRE(col[(2 * 4 + 3) * 3 + 0] == Approx(0.2));
    REQUIRE(col.sum() == Approx(251 / 255.0));  // nothing else is set
    REQUIRE(col.minCoeff() >= 0.0);
    REQUIRE(col.maxCoeff() <= 1.0);
}

TEST_CASE("from_column inverts to_column exactly and accepts a matrix column", "[image][column]") {
    const Image img = random_image(5, 7, 3, 11);
    Matrix<float> batch(5 * 7 * 3, 2);
    batch.col(0).setZero();
    batch.col(1) = to_column<float>(img);
    const Image back = from_column(batch.col(1), Shape{7, 5, 3});
    REQUIRE(back.width == 5);
    REQUIRE(back.height == 7);
    REQUIRE(back.channels == 3);
    REQUIRE(back.pixels == img.pixels);
    // {H, W} means grey.
    const Image grey = from_column(Vector<double>::Constant(6, 1.0), Shape{2, 3});
    REQUIRE(grey.channels == 1);
    REQUIRE(grey.width == 3);
}

TEST_CASE("from_column clamps to 0..1, rounds, and maps NaN to black", "[image][column]") {
    Vector<double> col(5);
    col << -0.5, 1.5, 0.5, std::nan(""), 0.1;
    const Image img = from_column(col, Shape{1, 5, 1});
    REQUIRE(img.pixels == std::vector<std::uint8_t>{0, 255, 128, 0, 26});
}

TEST_CASE("from_column rejects a column whose size does not match the shape", "[image][column][errors]") {
    AE_REQUIRE_THROWS(from_column(Vector<float>::Zero(10), Shape{3, 3, 1}), ShapeError,
                      Contains("9") && Contains("10"));
    AE_REQUIRE_THROWS(from_column(Vector<float>::Zero(10), Shape{10}), ShapeError, Contains("{10}"));
    AE_REQUIRE_THROWS(from_column(Vector<float>::Zero(10), Shape{1, 2, 5}), ShapeError, Contains("channels"));
}

TEST_CASE("convert_channels: grey to RGB replicates, RGB to grey uses luma, alpha is opaque", "[image]") {
    Image grey(2, 1, 1);
    grey.pixels = {10, 250};
    const Image rgba = convert_channels(grey, 4);
    REQUIRE(rgba.pixels == std::vector<std::uint8_t>{10, 10, 10, 255, 250, 250, 250, 255});

    Image rgb(1, 1, 3);
    rgb.pixels = {255, 0, 0};
    REQUIRE(convert_channels(rgb, 1).pixels[0] == 76);  // 0.299 * 255
    Image ga(1, 1, 2);
    ga.pixels = {90, 17};
    REQUIRE(convert_channels(ga, 4).pixels == std::vector<std::uint8_t>{90, 90, 90, 17});  // alpha kept
    REQUIRE_THROWS_AS(convert_channels(rgb, 5), ConfigError);
}

TEST_CASE("Image rejects impossible sizes and write_png rejects inconsistent images", "[image][errors]") {
    REQUIRE_THROWS_AS(Image(0, 3, 1), ShapeError);
    REQUIRE_THROWS_AS(Image(3, 3, 5), ShapeError);
    Image bad(3, 3, 1);
    bad.pixels.pop_back();
    AE_REQUIRE_THROWS(write_png(test_path("image_test", "bad.png"), bad), ShapeError, Contains("8 values"));
}
