#pragma once
// MNIST and Fashion-MNIST: IDX image/label pairs turned into ae's batch layout.
// A column is one image, row-major (HWC with C = 1), which is exactly the IDX byte order, so
// the conversion is a straight copy scaled to [0, 1].
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/shape.hpp"
#include "ae/data/idx.hpp"

namespace ae::data {

/// Labelled images: x is H·W·C × N with values in [0, 1], labels[i] belongs to column i.
template <class S = float>
struct Dataset {
    Matrix<S> x;              // pixels: H·W·C × N
    std::vector<int> labels;  // N class indices
    Shape sample_shape;       // {H, W, C} of one column

    Index size() const { return x.cols(); }
};

/// The standard train/test split.
template <class S = float>
struct Splits {
    Dataset<S> train;
    Dataset<S> test;
};

namespace detail {

/// dir/name if it exists, else dir/name.gz; IoError naming both when neither does.
inline std::string find_idx_file(const std::filesystem::path& dir, const std::string& name) {
    std::error_code ec;
    const auto raw = dir / name;
    if (std::filesystem::is_regular_file(raw, ec)) return raw.string();
    const auto gz = dir / (name + ".gz");
    if (std::filesystem::is_regular_file(gz, ec)) return gz.string();
    throw IoError("load_mnist: neither '" + raw.string() + "' nor '" + gz.string() + "' exists");
}

}  // namespace detail

/// Load one image file (N × H × W unsigned bytes) and its label file (N values in 0..classes-1).
template <class S = float>
Dataset<S> load_idx_images(const std::string& images_path, const std::string& labels_path, int classes = 10) {
    if (classes < 1 || classes > 256)
        throw ConfigError("load_idx_images: classes must be in 1..256, got " + std::to_string(classes));
    const IdxArray images = read_idx(images_path);
    if (images.dims.size() != 3)
        throw FormatError("load_idx_images '" + images_path + "': expected 3 dimensions (N x H x W), found " +
                          std::to_string(images.dims.size()) + " (" + detail::dims_text(images.dims) + ")");
    const IdxArray labels = read_idx(labels_path);
    if (labels.dims.size() != 1)
        throw FormatError("load_idx_images '" + labels_path + "': expected 1 dimension (N labels), found " +
                          std::to_string(labels.dims.size()) + " (" + detail::dims_text(labels.dims) + ")");
    const auto n = static_cast<Index>(images.dims[0]);
    const auto h = static_cast<Index>(images.dims[1]);
    const auto w = static_cast<Index>(images.dims[2]);
    if (labels.dims[0] != images.dims[0])
        throw FormatError("load_idx_images: '" + images_path + "' holds " + std::to_string(images.dims[0]) +
                          " images but '" + labels_path + "' holds " + std::to_string(labels.dims[0]) + " labels");

    Dataset<S> ds;
    ds.sample_shape = Shape{h, w, 1};
    ds.labels.resize(labels.data.size());
    for (std::size_t i = 0; i < labels.data.size(); ++i) {
        const int label = labels.data[i];
        if (label >= classes)
            throw FormatError("load_idx_images '" + labels_path + "': label " + std::to_string(i) + " is " +
                              std::to_string(label) + ", expected 0.." + std::to_string(classes - 1));
        ds.labels[i] = label;
    }
    // IDX order is image-major, then row, then column: exactly a column-major (H·W) × N matrix.
    Eigen::Map<const Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic>> bytes(images.data.data(), h * w, n);
    ds.x = bytes.template cast<S>() / S(255);  // x: H·W × N in [0, 1]
    return ds;
}

namespace detail {

template <class S>
Splits<S> load_mnist_like(const std::string& dir, const std::string& who, const std::string& hint) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw IoError(who + ": directory '" + dir + "' does not exist; " + hint);
    const std::filesystem::path d(dir);
    Splits<S> s;
    s.train =
        load_idx_images<S>(find_idx_file(d, "train-images-idx3-ubyte"), find_idx_file(d, "train-labels-idx1-ubyte"));
    s.test = load_idx_images<S>(find_idx_file(d, "t10k-images-idx3-ubyte"), find_idx_file(d, "t10k-labels-idx1-ubyte"));
    if (s.train.sample_shape != s.test.sample_shape)
        throw FormatError(who + " '" + dir + "': train images are " + s.train.sample_shape.str() +
                          " but test images are " + s.test.sample_shape.str());
    return s;
}

}  // namespace detail

/// MNIST from `dir`, holding the four standard files, each raw or with a .gz suffix.
template <class S = float>
Splits<S> load_mnist(const std::string& dir) {
    return detail::load_mnist_like<S>(dir, "load_mnist",
                                      "run data/fetch_mnist.sh to download and verify MNIST into data/mnist/");
}

/// Fashion-MNIST: same files and layout as MNIST. The default folder is where Debian's
/// dataset-fashion-mnist package installs them (gzip-compressed).
template <class S = float>
Splits<S> load_fashion_mnist(const std::string& dir = "/usr/share/datasets/fashion-mnist") {
    return detail::load_mnist_like<S>(
        dir, "load_fashion_mnist",
        "install the Debian package dataset-fashion-mnist or pass the folder holding the four IDX files");
}

/// One-hot targets: classes × N, column i has a 1 in row labels[i].
template <class S = float>
Matrix<S> one_hot(const std::vector<int>& labels, int classes) {
    if (classes <= 0) throw ConfigError("one_hot: classes must be positive, got " + std::to_string(classes));
    Matrix<S> y = Matrix<S>::Zero(classes, static_cast<Index>(labels.size()));  // y: classes × N
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || labels[i] >= classes)
            throw ConfigError("one_hot: label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                              ", expected 0.." + std::to_string(classes - 1));
        y(labels[i], static_cast<Index>(i)) = S(1);
    }
    return y;
}

/// Columns [first, first + count) of x, copied.
template <class S>
Matrix<S> take_columns(const Matrix<S>& x, Index first, Index count) {
    if (first < 0 || count < 0 || first > x.cols() || count > x.cols() - first)
        throw ShapeError("take_columns: expected a range inside 0.." + std::to_string(x.cols()) + ", got first " +
                         std::to_string(first) + ", count " + std::to_string(count));
    return x.middleCols(first, count);
}

/// Samples [first, first + count) of a data set (e.g. a small subset for a quick run).
template <class S>
Dataset<S> take(const Dataset<S>& ds, Index first, Index count) {
    Dataset<S> out;
    out.x = take_columns(ds.x, first, count);
    out.labels.assign(ds.labels.begin() + first, ds.labels.begin() + first + count);
    out.sample_shape = ds.sample_shape;
    return out;
}

}  // namespace ae::data
