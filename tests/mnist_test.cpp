// MNIST / Fashion-MNIST loading on synthetic mini data sets written by the tests themselves, plus two
// hidden tests on the real data: [.][fashion] (Debian's dataset-fashion-mnist) and [.][mnist-real].
#include "ae/data/mnist.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;
using namespace ae::data;
namespace fs = std::filesystem;

namespace {

/// Pixel (r, c) of image n: distinct along n, r and c so a transposed or shifted layout shows.
std::uint8_t pixel(std::size_t n, std::size_t r, std::size_t c) {
    return static_cast<std::uint8_t>((n * 7 + r * 31 + c * 3) % 256);
}

IdxArray images(std::size_t n, std::size_t h, std::size_t w) {
    IdxArray a;
    a.dims = {n, h, w};
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t r = 0; r < h; ++r)
            for (std::size_t c = 0; c < w; ++c) a.data.push_back(pixel(i, r, c));
    return a;
}

IdxArray labels(std::size_t n, std::size_t offset = 0) {
    IdxArray a;
    a.dims = {n};
    for (std::size_t i = 0; i < n; ++i) a.data.push_back(static_cast<std::uint8_t>((i * 3 + offset) % 10));
    return a;
}

/// A fresh folder holding the four standard files (train n_train, test n_test images of h × w).
std::string mini_mnist(const std::string& name, std::size_t n_train, std::size_t n_test, std::size_t h = 28,
                       std::size_t w = 28) {
    const fs::path dir = fresh_dir("mnist_test", name);
    write_idx((dir / "train-images-idx3-ubyte").string(), images(n_train, h, w));
    write_idx((dir / "train-labels-idx1-ubyte").string(), labels(n_train));
    write_idx((dir / "t10k-images-idx3-ubyte").string(), images(n_test, h, w));
    write_idx((dir / "t10k-labels-idx1-ubyte").string(), labels(n_test, 1));
    return dir.string();
}

/// Every pixel and label of `ds` matches what images()/labels() wrote.
void require_matches(const Dataset<float>& ds, std::size_t n, std::size_t h, std::size_t w, std::size_t offset) {
    REQUIRE(ds.x.rows() == Index(h * w));
    REQUIRE(ds.x.cols() == Index(n));
    REQUIRE(ds.sample_shape == Shape{Index(h), Index(w), 1});
    REQUIRE(ds.labels.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        REQUIRE(ds.labels[i] == int((i * 3 + offset) % 10));
        for (std::size_t r = 0; r < h; ++r)
            for (std::size_t c = 0; c < w; ++c) {
                // Column i is image i in row-major (HWC, C = 1) order.
                const float expected = float(pixel(i, r, c)) / 255.0f;
                if (ds.x(Index(r * w + c), Index(i)) != expected) {
                    INFO("image " << i << " pixel (" << r << ", " << c << ")");
                    REQUIRE(ds.x(Index(r * w + c), Index(i)) == expected);
                }
            }
    }
    REQUIRE(ds.x.minCoeff() >= 0.0f);
    REQUIRE(ds.x.maxCoeff() <= 1.0f);
}

void replace(const std::string& dir, const std::string& name, const IdxArray& a) {
    write_idx((fs::path(dir) / name).string(), a);
}

}  // namespace

TEST_CASE("MNIST: a synthetic mini-MNIST loads as 784 x N columns from 0 to 1 with its labels", "[mnist]") {
    const std::string dir = mini_mnist("basic", 20, 7);
    const Splits<float> s = load_mnist<float>(dir);
    require_matches(s.train, 20, 28, 28, 0);
    require_matches(s.test, 7, 28, 28, 1);
}

TEST_CASE("MNIST: bytes 0 and 255 map to exactly 0 and 1", "[mnist]") {
    const std::string dir = mini_mnist("extremes", 2, 1, 2, 2);
    IdxArray im;
    im.dims = {2, 2, 2};
    im.data = {0, 255, 51, 102, 255, 0, 0, 0};
    replace(dir, "train-images-idx3-ubyte", im);
    const auto s = load_mnist<double>(dir);
    REQUIRE(s.train.x(0, 0) == 0.0);
    REQUIRE(s.train.x(1, 0) == 1.0);
    REQUIRE(s.train.x(2, 0) == Approx(0.2));
    REQUIRE(s.train.x(3, 0) == Approx(0.4));
    REQUIRE(s.train.x(0, 1) == 1.0);
}

TEST_CASE("MNIST: non-square images keep the height and width from the file", "[mnist]") {
    const std::string dir = mini_mnist("non_square", 6, 3, 5, 3);
    const auto s = load_mnist<float>(dir);
    require_matches(s.train, 6, 5, 3, 0);
    require_matches(s.test, 3, 5, 3, 1);
}

#ifdef AE_HAVE_ZLIB
TEST_CASE("MNIST: files with a .gz suffix are found and decompressed", "[mnist][gzip]") {
    const std::string raw = mini_mnist("raw_for_gz", 12, 4);
    const fs::path dir = fresh_dir("mnist_test", "gz");
    for (const auto& entry : fs::directory_iterator(raw)) {
        const IdxArray a = read_idx(entry.path().string());
        std::vector<std::uint8_t> bytes = {0, 0, 0x08, static_cast<std::uint8_t>(a.dims.size())};
        for (std::size_t d : a.dims)
            for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<std::uint8_t>(d >> s));
        bytes.insert(bytes.end(), a.data.begin(), a.data.end());
        const std::string gz = (dir / (entry.path().filename().string() + ".gz")).string();
        gzFile f = gzopen(gz.c_str(), "wb");
        REQUIRE(f != nullptr);
        REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
        REQUIRE(gzclose(f) == Z_OK);
    }
    const auto s = load_mnist<float>(dir.string());
    require_matches(s.train, 12, 28, 28, 0);
    require_matches(s.test, 4, 28, 28, 1);
}
#endif

TEST_CASE("MNIST: image and label counts that disagree throw FormatError naming both", "[mnist][errors]") {
    const std::string dir = mini_mnist("counts", 20, 5);
    replace(dir, "train-labels-idx1-ubyte", labels(19));
    REQUIRE_THROWS_AS(load_mnist<float>(dir), FormatError);
    REQUIRE_THROWS_WITH(load_mnist<float>(dir), Catch::Matchers::Contains("20 images") &&
                                                    Catch::Matchers::Contains("19 labels") &&
                                                    Catch::Matchers::Contains("train-labels-idx1-ubyte"));
}

TEST_CASE("MNIST: a label outside 0..9 throws FormatError", "[mnist][errors]") {
    const std::string dir = mini_mnist("bad_label", 20, 5);
    IdxArray l = labels(5, 1);
    l.data[3] = 10;
    replace(dir, "t10k-labels-idx1-ubyte", l);
    REQUIRE_THROWS_AS(load_mnist<float>(dir), FormatError);
    REQUIRE_THROWS_WITH(load_mnist<float>(dir), Catch::Matchers::Contains("label 3 is 10") &&
                                                    Catch::Matchers::Contains("0..9") &&
                                                    Catch::Matchers::Contains("t10k-labels-idx1-ubyte"));
}

TEST_CASE("MNIST: image files that are not N x H x W and label files that are not 1-D are rejected",
          "[mnist][errors]") {
    const std::string dir = mini_mnist("rank", 4, 2);
    IdxArray flat;
    flat.dims = {4, 784};
    flat.data.assign(4 * 784, 0);
    replace(dir, "train-images-idx3-ubyte", flat);
    REQUIRE_THROWS_WITH(load_mnist<float>(dir),
                        Catch::Matchers::Contains("expected 3 dimensions") && Catch::Matchers::Contains("4 x 784"));
    replace(dir, "train-images-idx3-ubyte", images(4, 28, 28));
    IdxArray l2;
    l2.dims = {4, 1};
    l2.data = {0, 1, 2, 3};
    replace(dir, "train-labels-idx1-ubyte", l2);
    REQUIRE_THROWS_AS(load_mnist<float>(dir), FormatError);
    REQUIRE_THROWS_WITH(load_mnist<float>(dir), Catch::Matchers::Contains("expected 1 dimension"));
}

TEST_CASE("MNIST: train and test images of different sizes are rejected", "[mnist][errors]") {
    const std::string dir = mini_mnist("sizes", 4, 2);
    replace(dir, "t10k-images-idx3-ubyte", images(2, 27, 28));
    REQUIRE_THROWS_AS(load_mnist<float>(dir), FormatError);
    REQUIRE_THROWS_WITH(load_mnist<float>(dir),
                        Catch::Matchers::Contains("{28, 28, 1}") && Catch::Matchers::Contains("{27, 28, 1}"));
}

TEST_CASE("MNIST: a missing folder points to data/fetch_mnist.sh and a missing file names both candidates",
          "[mnist][errors][io]") {
    const std::string nowhere = test_path("mnist_test", "no_such_folder");
    fs::remove_all(nowhere);
    REQUIRE_THROWS_AS(load_mnist<float>(nowhere), IoError);
    REQUIRE_THROWS_WITH(load_mnist<float>(nowhere),
                        Catch::Matchers::Contains(nowhere) && Catch::Matchers::Contains("data/fetch_mnist.sh"));
    REQUIRE_THROWS_WITH(load_fashion_mnist<float>(nowhere), Catch::Matchers::Contains("dataset-fashion-mnist"));

    const std::string dir = mini_mnist("missing_file", 4, 2);
    fs::remove(fs::path(dir) / "t10k-images-idx3-ubyte");
    REQUIRE_THROWS_AS(load_mnist<float>(dir), IoError);
    REQUIRE_THROWS_WITH(load_mnist<float>(dir), Catch::Matchers::Contains("t10k-images-idx3-ubyte'") &&
                                                    Catch::Matchers::Contains("t10k-images-idx3-ubyte.gz'"));
}

TEST_CASE("MNIST: one_hot puts a single 1 per column in the label's row", "[mnist]") {
    const Matrix<float> y = one_hot<float>({3, 0, 9, 3}, 10);
    REQUIRE(y.rows() == 10);
    REQUIRE(y.cols() == 4);
    REQUIRE(y.colwise().sum().isOnes());
    REQUIRE(y(3, 0) == 1.0f);
    REQUIRE(y(0, 1) == 1.0f);
    REQUIRE(y(9, 2) == 1.0f);
    REQUIRE(y(3, 3) == 1.0f);
    REQUIRE_THROWS_AS(one_hot<float>({0, 10}, 10), ConfigError);
    REQUIRE_THROWS_AS(one_hot<float>({-1}, 10), ConfigError);
    REQUIRE_THROWS_AS(one_hot<float>({0}, 0), ConfigError);
}

TEST_CASE("MNIST: take and take_columns copy a range of samples and check it", "[mnist]") {
    const std::string dir = mini_mnist("take", 20, 2);
    const auto s = load_mnist<float>(dir);
    const Dataset<float> part = take(s.train, 5, 10);
    REQUIRE(part.size() == 10);
    REQUIRE(part.x == s.train.x.middleCols(5, 10));
    REQUIRE(part.labels == std::vector<int>(s.train.labels.begin() + 5, s.train.labels.begin() + 15));
    REQUIRE(part.sample_shape == s.train.sample_shape);
    REQUIRE(take_columns(s.train.x, 20, 0).cols() == 0);
    REQUIRE_THROWS_AS(take_columns(s.train.x, 15, 6), ShapeError);
    REQUIRE_THROWS_AS(take(s.train, -1, 2), ShapeError);
}

// Hidden (runs only when asked: `ae_tests "[fashion]"`), because it needs Debian's
// dataset-fashion-mnist package; without it this test fails rather than passing silently.
TEST_CASE("MNIST: the real Fashion-MNIST loads 60000 + 10000 balanced 28 x 28 images", "[.][fashion]") {
    const auto s = load_fashion_mnist<float>();
    REQUIRE(s.train.x.rows() == 784);
    REQUIRE(s.train.x.cols() == 60000);
    REQUIRE(s.test.x.rows() == 784);
    REQUIRE(s.test.x.cols() == 10000);
    REQUIRE(s.train.sample_shape == Shape{28, 28, 1});
    // Fashion-MNIST has 6000 training and 1000 test images of each of its 10 classes.
    std::vector<int> train_counts(10, 0), test_counts(10, 0);
    for (int l : s.train.labels) ++train_counts.at(std::size_t(l));
    for (int l : s.test.labels) ++test_counts.at(std::size_t(l));
    REQUIRE(train_counts == std::vector<int>(10, 6000));
    REQUIRE(test_counts == std::vector<int>(10, 1000));
    REQUIRE(s.train.x.minCoeff() == 0.0f);
    REQUIRE(s.train.x.maxCoeff() == 1.0f);
    // Images are mostly background: the mean pixel is well inside (0, 1).
    const float mean = s.train.x.mean();
    REQUIRE(mean > 0.1f);
    REQUIRE(mean < 0.6f);
}

// Hidden (runs only when asked): `AE_MNIST_DIR=data/mnist ae_tests "[mnist-real]"` after
// data/fetch_mnist.sh. Without AE_MNIST_DIR it fails rather than passing silently.
TEST_CASE("MNIST: the real MNIST loads with its known sizes and class counts", "[.][mnist-real]") {
    const char* dir = std::getenv("AE_MNIST_DIR");
    INFO("set AE_MNIST_DIR to the folder data/fetch_mnist.sh filled");
    REQUIRE(dir != nullptr);
    const auto s = load_mnist<float>(dir);
    REQUIRE(s.train.x.rows() == 784);
    REQUIRE(s.train.x.cols() == 60000);
    REQUIRE(s.test.x.cols() == 10000);
    // The first training digit is a 5 and the first test digit a 7.
    REQUIRE(s.train.labels.front() == 5);
    REQUIRE(s.test.labels.front() == 7);
    std::vector<int> train_counts(10, 0), test_counts(10, 0);
    for (int l : s.train.labels) ++train_counts.at(std::size_t(l));
    for (int l : s.test.labels) ++test_counts.at(std::size_t(l));
    REQUIRE(train_counts == std::vector<int>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
    REQUIRE(test_counts == std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
}
