// Inputs the fuzzers (fuzz/, scripts/fuzz.sh) or the loader audit found to crash ae or make it
// allocate without bound, each kept as bytes in this file with the answer ae now gives: an
// ae::Error subclass naming what was expected and what was found.
#include <algorithm>

#include "ae/ae.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using Catch::Matchers::Contains;

namespace {

using FuzzBytes = std::vector<std::uint8_t>;

void fuzz_regression_put_be32(FuzzBytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(v >> shift));
}

// A PNG chunk: length, type, data, CRC (stb does not check the CRC; it is left 0).
void fuzz_regression_png_chunk(FuzzBytes& out, const char* type, const FuzzBytes& data) {
    fuzz_regression_put_be32(out, std::uint32_t(data.size()));
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    fuzz_regression_put_be32(out, 0);
}

}  // namespace

TEST_CASE("Fuzz regression: a tiny PNG declaring a 16384x16384 RGBA picture is refused before decoding",
          "[fuzz][image]") {
    // 57 bytes that ask stb for 1 GiB of pixels.
    FuzzBytes png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    FuzzBytes ihdr;
    fuzz_regression_put_be32(ihdr, 16384);
    fuzz_regression_put_be32(ihdr, 16384);
    ihdr.insert(ihdr.end(), {8, 6, 0, 0, 0});  // 8 bits, RGBA, deflate, no filter, not interlaced
    fuzz_regression_png_chunk(png, "IHDR", ihdr);
    fuzz_regression_png_chunk(png, "IDAT", {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    fuzz_regression_png_chunk(png, "IEND", {});
    const std::string path = testing::test_path("fuzz_regression", "huge.png");
    testing::write_bytes(path, png);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError,
                      Contains("16384x16384") && Contains("1073741824") && Contains("268435456"));
    // The limit is the caller's to raise: a 1x1 limit refuses even a small real image.
    io::Image small(3, 2, 1);
    const std::string small_path = testing::test_path("fuzz_regression", "small.png");
    io::write_png(small_path, small);
    REQUIRE(io::read_image(small_path).width == 3);
    AE_REQUIRE_THROWS(io::read_image(small_path, 1), FormatError, Contains("3x2") && Contains("at most 1"));
}

TEST_CASE("Fuzz regression: a CSV file larger than CsvLimits::max_bytes is refused before it is read",
          "[fuzz][csv]") {
    const std::string path = testing::test_path("fuzz_regression", "big.csv");
    const std::string text = "1,2\n3,4\n5,6\n";
    testing::write_bytes(path, FuzzBytes(text.begin(), text.end()));
    data::CsvLimits limits;
    limits.max_bytes = text.size() - 1;
    AE_REQUIRE_THROWS(data::load_csv_series<float>(path, data::SeriesLayout::series_per_row, false, limits),
                      FormatError, Contains(std::to_string(text.size()) + " bytes") && Contains("limit"));
    // One row of many values and many rows of one value both parse to the same layout as before.
    const auto rows = data::load_csv_series<float>(path, data::SeriesLayout::series_per_row);
    REQUIRE(rows.values.rows() == 2);
    REQUIRE(rows.values.cols() == 3);
    REQUIRE(rows.values(1, 2) == 6.0f);
    const auto steps = data::load_csv_series<float>(path, data::SeriesLayout::column_per_feature);
    REQUIRE(steps.shape == Shape{3, 2});
    REQUIRE(steps.values(3, 0) == 4.0f);  // step 1, feature 1
}

namespace {

// A model file written by hand: input {in}, a Sequential holding one Dense(units), no weights.
FuzzBytes fuzz_regression_dense_model_file(std::uint64_t in, const std::string& units) {
    ByteWriter p;
    p.u32(1);  // input rank
    p.u64(in);
    auto layer = [&](const std::string& type, std::vector<std::pair<std::string, std::string>> config,
                     std::uint32_t children) {
        p.u8(model_format::tag_layer);
        p.string(type);
        p.string("");  // name
        p.u8(1);       // trainable
        p.u32(std::uint32_t(config.size()));
        for (const auto& [k, v] : config) p.string(k), p.string(v);
        p.u32(children);
        p.u32(0);  // links
    };
    layer("Sequential", {}, 1);
    layer("Dense", {{"units", units}, {"activation", "linear"}, {"kernel_initializer", "zeros"}}, 0);
    p.u32(0);  // parameter count
    ByteWriter h;
    h.bytes(model_format::magic, 8);
    h.u32(model_format::version);
    h.u32(4);
    h.u64(p.size());
    h.u64(Fnv1a64().update(h.data().data(), h.size()).update(p.data().data(), p.size()).value());
    FuzzBytes file = h.take();
    file.insert(file.end(), p.data().begin(), p.data().end());
    return file;
}

}  // namespace

TEST_CASE("Fuzz regression: a model file whose Dense config asks for terabytes is refused before building",
          "[fuzz][model_file]") {
    // Found by fuzz_model_file: ~120 bytes declaring Dense(1310720) on 4194304 inputs made build()
    // allocate 5.5e12 floats (20 TiB). The file has room for no weights at all.
    const std::string path = testing::test_path("fuzz_regression", "huge_dense.aem");
    testing::write_bytes(path, fuzz_regression_dense_model_file(4194304, "1310720"));
    AE_REQUIRE_THROWS(load<float>(path), FormatError,
                      Contains("Dense") && Contains("too large") && Contains("5497558138880") && Contains("at most 0"));
    // Units beyond any Index (a product that overflows an int64) are refused the same way.
    testing::write_bytes(path, fuzz_regression_dense_model_file(4194304, "9223372036854775807"));
    AE_REQUIRE_THROWS(load<float>(path), FormatError, Contains("Dense") && Contains("parameters"));
    // A small model of the same shape that does store its weights still loads.
    auto model = std::make_shared<Sequential<float>>(
        Shape{3}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(2, Activation::linear)});
    const std::string ok_path = testing::test_path("fuzz_regression", "small_dense.aem");
    save(*model, ok_path);
    REQUIRE(load<float>(ok_path)->parameters().size() == 2);
}

TEST_CASE("Fuzz regression: a JPEG file is refused before stb reads any of it", "[fuzz][image]") {
    // Found by fuzz_image: the stb JPEG decoder of Debian 12 (2022-09-08) overflowed its decoder
    // state on a Huffman table of 4080 codes, and shifted by 33 bits on a corrupt bit stream.
    // ae refuses JPEG files altogether; these are the shapes stb would have taken as JPEG.
    FuzzBytes jpeg{0xFF, 0xD8,               // start of image
                   0xFF, 0xC4, 0x00, 0x13,   // DHT segment of 19 bytes (17 + 2): the table header only
                   0x00};                    // DC table 0
    for (int i = 0; i < 16; ++i) jpeg.push_back(0xFF);  // 16 counts of 255: 4080 codes
    const std::string path = testing::test_path("fuzz_regression", "huffman.jpg");
    testing::write_bytes(path, jpeg);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("is a JPEG file") && Contains(path));
    // Fill bytes before the start-of-image marker, which stb skips, do not hide it.
    jpeg.insert(jpeg.begin(), {0xFF, 0xFF});
    testing::write_bytes(path, jpeg);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("is a JPEG file"));
    // Nor does a real JPEG (stb's own encoder) get through.
    io::Image img(4, 3, 3, 200);
    FuzzBytes real;
    stbi_write_jpg_to_func(
        [](void* ctx, void* data, int n) {
            auto* out = static_cast<FuzzBytes*>(ctx);
            out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + n);
        },
        &real, img.width, img.height, img.channels, img.pixels.data(), 90);
    testing::write_bytes(path, real);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("is a JPEG file"));
    // Two FF bytes and D8 alone are a JPEG to stb; FF then anything else is not, and gets stb's answer.
    testing::write_bytes(path, FuzzBytes{0xFF, 0xFF, 0xD8});
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("is a JPEG file"));
    testing::write_bytes(path, FuzzBytes{0xFF, 0xD9, 0x00});
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("as PNG or BMP"));
}

TEST_CASE("Fuzz regression: a BMP whose height is negative in stb's reading is refused with both sizes",
          "[fuzz][image]") {
    // Found by fuzz_image: the 54-byte header of a 4x4 24-bit BMP with height 0x80000004. stb
    // reports a negative height, and the size check converted a negative product to unsigned.
    FuzzBytes bmp{0x42, 0x4d, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00,
                  0x28, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x80, 0x01, 0x00,
                  0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    bmp.resize(bmp.size() + 48, 0x5a);  // 4 rows of 4 pixels of 3 bytes
    const std::string path = testing::test_path("fuzz_regression", "negative.bmp");
    testing::write_bytes(path, bmp);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("4x-") && Contains("positive"));
    bmp[25] = 0x00;  // height 4: the same file is a valid image
    testing::write_bytes(path, bmp);
    REQUIRE(io::read_image(path).height == 4);
}

TEST_CASE("Fuzz regression: a 111-byte PNG whose IDAT chunk declares 1.7 GB is refused before stb allocates",
          "[fuzz][image]") {
    // Found by fuzz_image (an out-of-memory report): stb grew its buffer to the declared chunk
    // length, 0x6A000036 = 1778384950 bytes, before reading the chunk.
    const FuzzBytes png{
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
        0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03, 0x08, 0x02, 0x00, 0x00, 0x00, 0xd4, 0x54, 0x52, 0xaf, 0x6a,
        0x00, 0x00, 0x36, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0x60, 0xb5, 0x0a, 0x2f, 0x90, 0x63, 0x99, 0xb8,
        0xee, 0xf4, 0x0b, 0x56, 0x25, 0xfb, 0x98, 0xca, 0x69, 0x0c, 0x9b, 0x87, 0xbc, 0xe5, 0x52, 0x77, 0x49,
        0xac, 0x9b, 0xbd, 0xeb, 0xea, 0x27, 0x7e, 0x1d, 0x4f, 0x96, 0x9b, 0x02, 0x00, 0x00, 0x1e, 0xce, 0xc5,
        0xc5, 0xb5, 0x79, 0xf3, 0x66, 0x00, 0xde, 0x68, 0x14, 0xba, 0xb1, 0x42, 0xa4, 0x5f, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    const std::string path = testing::test_path("fuzz_regression", "long_chunk.png");
    testing::write_bytes(path, png);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError,
                      Contains("IDAT") && Contains("1778384950") && Contains("remain"));
}

TEST_CASE("Fuzz regression: empty IDAT chunks are dropped before stb reads them, and change no picture",
          "[fuzz][image]") {
    // Found by fuzz_image (UBSan): stb copied an empty first IDAT chunk into its still-null data
    // buffer, memcpy(nullptr, ..., 0), which is undefined.
    io::Image img(5, 3, 3);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t(i * 13);
    const std::string path = testing::test_path("fuzz_regression", "empty_idat.png");
    io::write_png(path, img);
    FuzzBytes png = read_file_bytes(path);
    // After the signature (8) and IHDR (12 + 13): an empty IDAT before the real one, one between.
    FuzzBytes empty;
    fuzz_regression_png_chunk(empty, "IDAT", {});
    png.insert(png.begin() + 33, empty.begin(), empty.end());
    png.insert(png.begin() + 33 + 12, empty.begin(), empty.end());
    testing::write_bytes(path, png);
    REQUIRE(io::read_image(path).pixels == img.pixels);
    // A PNG whose only image data is an empty IDAT (what the fuzzer found) gets stb's own answer.
    FuzzBytes bare{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    FuzzBytes ihdr;
    fuzz_regression_put_be32(ihdr, 5);
    fuzz_regression_put_be32(ihdr, 3);
    ihdr.insert(ihdr.end(), {8, 6, 0, 0, 0});
    fuzz_regression_png_chunk(bare, "IHDR", ihdr);
    fuzz_regression_png_chunk(bare, "IDAT", {});
    fuzz_regression_png_chunk(bare, "IEND", {});
    testing::write_bytes(path, bare);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("as PNG or BMP") && Contains(path));
    // Cut inside the empty chunk's CRC: dropped all the same.
    bare.resize(33 + 10);
    testing::write_bytes(path, bare);
    AE_REQUIRE_THROWS(io::read_image(path), FormatError, Contains("as PNG or BMP"));
}

TEST_CASE("Fuzz regression: a checkpoint storing an empty 0 x (2^64 - 1) parameter is refused before allocating",
          "[fuzz][checkpoint]") {
    // Found by fuzz_checkpoint: load_checkpoint allocates each stored parameter as rows × cols.
    // The size check (rows·cols values must fit in the bytes that remain) passes for an empty
    // matrix whatever the other dimension, so 0 rows × 2^64 - 1 cols reached Eigen as a negative
    // Index (an assertion failure, or undefined behaviour without assertions).
    const std::string folder = testing::fresh_dir("fuzz_regression", "checkpoint_dims");
    const std::string path = folder + "/ckpt.aec";
    auto model = recipes::vanilla<float>(12, {6}, 3).autoencoder;
    const Matrix<float> x = testing::manifold_data(12, 20, 1);
    model->fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});
    REQUIRE(load_checkpoint<float>(path).weights.size() == 8);
    const FuzzBytes good = read_file_bytes(path);

    // The first parameter's header: its name, then u64 rows and u64 cols.
    const std::string name = "autoencoder/encoder/dense/kernel";
    const auto at = std::search(good.begin(), good.end(), name.begin(), name.end());
    REQUIRE(at != good.end());
    const std::size_t dims = std::size_t(at - good.begin()) + name.size();
    auto broken = [&](std::uint64_t rows, std::uint64_t cols) {
        FuzzBytes b = good;
        for (int i = 0; i < 8; ++i) b[dims + i] = std::uint8_t(rows >> (8 * i));
        for (int i = 0; i < 8; ++i) b[dims + 8 + i] = std::uint8_t(cols >> (8 * i));
        return testing::reframe(std::move(b));
    };
    testing::write_bytes(path, broken(0, UINT64_MAX));
    AE_REQUIRE_THROWS(load_checkpoint<float>(path), FormatError,
                      Contains(name) && Contains("0×18446744073709551615") && Contains("at most 2^40"));
    AE_REQUIRE_THROWS(load<float>(path), FormatError, Contains("at most 2^40"));
    testing::write_bytes(path, broken(UINT64_MAX, 0));
    AE_REQUIRE_THROWS(load_checkpoint<double>(path), FormatError,
                      Contains("18446744073709551615×0") && Contains("at most 2^40"));
}

TEST_CASE("Fuzz regression: a checkpoint claiming 2^31 - 1 epochs done with a one-epoch history is refused at once",
          "[fuzz][checkpoint]") {
    // Found by fuzz_checkpoint (a timeout): load_checkpoint rebuilt the History epoch by epoch up
    // to the stored "epochs done", so 4 bytes set to 2^31 - 1 meant two billion appends (and as
    // many epochs for a resumed fit to pad every new metric to).
    const std::string folder = testing::fresh_dir("fuzz_regression", "checkpoint_epochs");
    const std::string path = folder + "/ckpt.aec";
    auto model = recipes::vanilla<float>(12, {6}, 3).autoencoder;
    const Matrix<float> x = testing::manifold_data(12, 20, 1);
    // batch size 13: the u32 epochs done (1) is followed by the u64 batch size, a unique pattern.
    model->fit(x, x, {.epochs = 1, .batch_size = 13, .verbose = 0}, {std::make_shared<ModelCheckpoint<float>>(path)});
    REQUIRE(load_checkpoint<float>(path).history.epochs() == 1);
    const FuzzBytes good = read_file_bytes(path);
    const FuzzBytes pattern{1, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0};
    const auto at = std::search(good.begin(), good.end(), pattern.begin(), pattern.end());
    REQUIRE(at != good.end());
    REQUIRE(std::search(at + 1, good.end(), pattern.begin(), pattern.end()) == good.end());
    FuzzBytes b = good;
    const std::size_t epochs_at = std::size_t(at - good.begin());
    b[epochs_at] = 0xff, b[epochs_at + 1] = 0xff, b[epochs_at + 2] = 0xff, b[epochs_at + 3] = 0x7f;
    testing::write_bytes(path, testing::reframe(std::move(b)));
    AE_REQUIRE_THROWS(load_checkpoint<float>(path), FormatError,
                      Contains("holds 1 epochs of metrics") && Contains("(2147483647)"));
}
