// Model files (io/model_file.hpp) and the helpers under them (io/binary.hpp, io/atomic_file.hpp):
// bit-exact round trips, every corruption and truncation detected, hostile sizes rejected before
// allocation, atomic saves that never damage the previous file.
#include "ae/io/model_file.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "ae/io/atomic_file.hpp"
#include "ae/io/binary.hpp"
#include "ae/layers/conv2d.hpp"
#include "ae/layers/conv2d_transpose.hpp"
#include "ae/layers/flatten.hpp"
#include "ae/layers/max_pool2d.hpp"
#include "ae/layers/reshape.hpp"
#include "ae/layers/up_sampling2d.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// ------------------------------------------------------------------ test-local layers
// TestScale: y = s ⊙ x + offset; one parameter s (n × 1) and one config value. Registered by hand
// with register_layer, as a user would.
template <class S>
class TestScale : public Layer<S> {
public:
    explicit TestScale(double offset) : offset_(offset) {}
    std::string type() const override { return "ModelFileTestScale"; }
    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        x_ = &x;
        y = (x.array().colwise() * s_.col(0).array()) + S(offset_);  // y: n × batch
    }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        ds_.col(0) += (dy.array() * x_->array()).rowwise().sum().matrix();
        dx = dy.array().colwise() * s_.col(0).array();
    }
    std::vector<Param<S>> parameters() override { return {this->param("scale", s_, ds_)}; }
    Config config() const override { return Config().set("offset", offset_); }
    static std::shared_ptr<TestScale> from_config(const LayerArgs<S>& a) {
        ae::detail::expect_counts(a, "ModelFileTestScale", 0, 0);
        return std::make_shared<TestScale>(a.config.get_double("offset"));
    }
    double offset() const { return offset_; }

protected:
    Shape do_build(const Shape& in, Rng& rng) override {
        s_.resize(in.size(), 1);
        rng.fill_uniform(s_, 0.5, 1.5);
        ds_ = Matrix<S>::Zero(in.size(), 1);
        return in;
    }

private:
    double offset_;
    Matrix<S> s_, ds_;
    const Matrix<S>* x_ = nullptr;
};

// TestTiedDense: y = Wᵀ x + b with W the kernel of a partner Dense it links to (owns only b).
template <class S>
class TestTiedDense : public Layer<S> {
public:
    explicit TestTiedDense(std::shared_ptr<Dense<S>> partner) : partner_(std::move(partner)) {}
    std::string type() const override { return "ModelFileTestTiedDense"; }
    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override {
        y.noalias() = partner_->kernel().transpose() * x;  // y: in × batch
        y.colwise() += b_.col(0);
    }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override {
        db_.col(0) += dy.rowwise().sum();
        dx.noalias() = partner_->kernel() * dy;
    }
    std::vector<Param<S>> parameters() override { return {this->param("bias", b_, db_)}; }
    std::vector<LayerPtr<S>> links() const override { return {partner_}; }
    static std::shared_ptr<TestTiedDense> from_config(const LayerArgs<S>& a) {
        ae::detail::expect_counts(a, "ModelFileTestTiedDense", 0, 1);
        auto d = std::dynamic_pointer_cast<Dense<S>>(a.links[0]);
        if (!d) throw FormatError("ModelFileTestTiedDense: expected a Dense link");
        return std::make_shared<TestTiedDense>(d);
    }
    const std::shared_ptr<Dense<S>>& partner() const { return partner_; }

protected:
    Shape do_build(const Shape& in, Rng&) override {
        if (in != Shape{partner_->units()}) throw ShapeError("TestTiedDense: input must match the partner's units");
        const Index out = partner_->kernel().cols();
        b_ = Matrix<S>::Zero(out, 1);
        db_ = Matrix<S>::Zero(out, 1);
        return Shape{out};
    }

private:
    std::shared_ptr<Dense<S>> partner_;
    Matrix<S> b_, db_;
};

// TestProbe: the identity, linking to any layer (possibly one that comes later in the model).
template <class S>
class TestProbe : public Layer<S> {
public:
    explicit TestProbe(LayerPtr<S> target) : target_(std::move(target)) {}
    std::string type() const override { return "ModelFileTestProbe"; }
    void forward(const Matrix<S>& x, Matrix<S>& y, Mode) override { y = x; }
    void backward(const Matrix<S>& dy, Matrix<S>& dx) override { dx = dy; }
    std::vector<LayerPtr<S>> links() const override { return {target_}; }
    static std::shared_ptr<TestProbe> from_config(const LayerArgs<S>& a) {
        ae::detail::expect_counts(a, "ModelFileTestProbe", 0, 1);
        return std::make_shared<TestProbe>(a.links[0]);
    }
    const LayerPtr<S>& target() const { return target_; }

protected:
    Shape do_build(const Shape& in, Rng&) override { return in; }

private:
    LayerPtr<S> target_;
};

template <template <class> class L, class S>
void register_test_layer(const std::string& type) {
    register_layer<S>(type, [](const LayerArgs<S>& a) -> LayerPtr<S> { return L<S>::from_config(a); });
}

const bool test_layers_registered = [] {
    register_test_layer<TestScale, float>("ModelFileTestScale");
    register_test_layer<TestScale, double>("ModelFileTestScale");
    register_test_layer<TestTiedDense, float>("ModelFileTestTiedDense");
    register_test_layer<TestTiedDense, double>("ModelFileTestTiedDense");
    register_test_layer<TestProbe, float>("ModelFileTestProbe");
    return true;
}();

// ------------------------------------------------------------------ helpers
std::vector<std::uint8_t> read_bytes(const std::string& path) {
    return read_file_bytes(path);
}

// Temporary files an atomic save may have left in the folder of path.
std::vector<std::string> leftover_temps(const std::string& path) {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(fs::path(path).parent_path())) {
        const std::string n = e.path().filename().string();
        if (n.size() > 4 && n.front() == '.' && n.ends_with(".tmp")) out.push_back(n);
    }
    return out;
}

template <class S>
Matrix<S> random_input(Index rows, Index cols, std::uint64_t seed) {
    Rng rng(seed);
    Matrix<S> m(rows, cols);
    rng.fill_uniform(m, -2.0, 2.0);
    return m;
}

// Fill every parameter (biases too, which start at zero) with distinct random values.
template <class S>
void randomize(Layer<S>& model, std::uint64_t seed) {
    Rng rng(seed);
    for (auto& p : model.parameters()) rng.fill_uniform(*p.value, -1.0, 1.0);
}

template <class S>
void walk(const LayerPtr<S>& l, std::vector<LayerPtr<S>>& out) {
    out.push_back(l);
    for (auto& c : l->children()) walk(c, out);
}

template <class S>
bool same_bits(const Matrix<S>& a, const Matrix<S>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(S) * std::size_t(a.size())) == 0;
}

// Every parameter equal in name, shape and bits.
template <class S>
void require_same_parameters(Layer<S>& a, Layer<S>& b) {
    auto pa = a.parameters(), pb = b.parameters();
    REQUIRE(pa.size() == pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
        INFO("parameter " << i << ": " << pa[i].name);
        REQUIRE(pa[i].name == pb[i].name);
        REQUIRE(pa[i].trainable == pb[i].trainable);
        REQUIRE(same_bits(*pa[i].value, *pb[i].value));
    }
}

template <class S>
std::shared_ptr<Sequential<S>> dense_stack() {
    auto model = std::make_shared<Sequential<S>>(
        Shape{12},
        std::vector<LayerPtr<S>>{
            std::make_shared<Dense<S>>(16, Activation::relu), std::make_shared<Dense<S>>(14, Activation::tanh),
            std::make_shared<Dense<S>>(12, Activation::elu), std::make_shared<Dense<S>>(10, Activation::selu),
            std::make_shared<Dense<S>>(9, Activation::leaky_relu), std::make_shared<Dense<S>>(8, Activation::softplus),
            std::make_shared<Dense<S>>(7, Activation::sigmoid), std::make_shared<Dense<S>>(6, Activation::linear),
            std::make_shared<Dense<S>>(5, Activation::softmax)},
        7);
    randomize(*model, 99);
    return model;
}

template <class S>
std::shared_ptr<Autoencoder<S>> small_autoencoder() {
    auto encoder = std::make_shared<Sequential<S>>(std::vector<LayerPtr<S>>{
        std::make_shared<Dense<S>>(10, Activation::relu), std::make_shared<Dense<S>>(4, Activation::linear)});
    auto decoder = std::make_shared<Sequential<S>>(std::vector<LayerPtr<S>>{
        std::make_shared<Dense<S>>(10, Activation::relu), std::make_shared<Dense<S>>(20, Activation::sigmoid)});
    encoder->set_name("encoder");
    decoder->set_name("decoder");
    auto model = std::make_shared<Autoencoder<S>>(encoder, decoder);
    Rng rng(3);
    model->build(Shape{20}, rng);
    randomize(*model, 5);
    return model;
}

// ---- writing files by hand, from the format documented at the top of model_file.hpp
std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& payload, std::uint32_t version = 1,
                                std::uint32_t scalar_size = 4) {
    ByteWriter h;
    h.bytes("AEMODEL\0", 8);
    h.u32(version);
    h.u32(scalar_size);
    h.u64(payload.size());
    const std::uint64_t sum =
        Fnv1a64().update(h.data().data(), h.size()).update(payload.data(), payload.size()).value();
    h.u64(sum);
    std::vector<std::uint8_t> file = h.take();
    file.insert(file.end(), payload.begin(), payload.end());
    return file;
}

struct NodeSpec {
    std::string type, name;
    std::vector<std::pair<std::string, std::string>> config;
    std::uint32_t children = 0;
    std::vector<std::uint32_t> links;
    bool trainable = true;
};

void put_node(ByteWriter& w, const NodeSpec& n) {
    w.u8(0);
    w.string(n.type);
    w.string(n.name);
    w.u8(n.trainable ? 1 : 0);
    w.u32(std::uint32_t(n.config.size()));
    for (auto& [k, v] : n.config) {
        w.string(k);
        w.string(v);
    }
    w.u32(n.children);
    w.u32(std::uint32_t(n.links.size()));
    for (auto l : n.links) w.u32(l);
}

void put_shape(ByteWriter& w, std::vector<std::uint64_t> dims) {
    w.u32(std::uint32_t(dims.size()));
    for (auto d : dims) w.u64(d);
}

NodeSpec dense_node(const std::string& name, int units) {
    return {"Dense",
            name,
            {{"units", std::to_string(units)}, {"activation", "linear"}, {"kernel_initializer", "glorot_uniform"}},
            0,
            {}};
}

// Load a file held in memory (written to disk first).
template <class S = float>
LayerPtr<S> load_bytes(const std::vector<std::uint8_t>& bytes, const std::string& name = "crafted.aem") {
    const std::string path = test_path("model_file_test", name);
    write_bytes(path, bytes);
    return load<S>(path);
}

// Restores the file size limit and SIGXFSZ on scope exit, even if a REQUIRE fails.
struct FileSizeLimit {
    rlimit old{};
    void (*old_handler)(int);
    explicit FileSizeLimit(rlim_t bytes) {
        old_handler = ::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of killing us
        ::getrlimit(RLIMIT_FSIZE, &old);
        rlimit lim = old;
        lim.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &old);
        ::signal(SIGXFSZ, old_handler);
    }
};

}  // namespace

// ====================================================================== binary helpers
TEST_CASE("binary: FNV-1a 64 matches the published test vectors", "[io][binary]") {
    REQUIRE(fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    REQUIRE(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    REQUIRE(fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
    // Incremental updates give the same value as one pass.
    REQUIRE(Fnv1a64().update("foo", 3).update("bar", 3).value() == fnv1a64("foobar", 6));
}

TEST_CASE("binary: values are written little-endian and read back bit for bit", "[io][binary]") {
    ByteWriter w;
    w.u32(0x01020304u);
    w.u64(0x0102030405060708ULL);
    REQUIRE(w.data() == std::vector<std::uint8_t>{4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1});

    const float fv[] = {-0.0f, std::numeric_limits<float>::denorm_min(), 1.5f, std::nanf("0x123")};
    const double dv[] = {-0.0, std::numeric_limits<double>::infinity(), 0.1, std::nan("0x456")};
    w.u8(200);
    w.i64(-5);
    w.f32(3.25f);
    w.f64(-2.5);
    w.string("héllo");
    w.string("");
    w.scalars(fv, 4);
    w.scalars(dv, 4);
    ByteReader r(w.data().data(), w.size(), "test");
    REQUIRE(r.u32("a") == 0x01020304u);
    REQUIRE(r.u64("b") == 0x0102030405060708ULL);
    REQUIRE(r.u8("c") == 200);
    REQUIRE(r.i64("d") == -5);
    REQUIRE(r.f32("e") == 3.25f);
    REQUIRE(r.f64("f") == -2.5);
    REQUIRE(r.string("g") == "héllo");
    REQUIRE(r.string("h").empty());
    float fr[4];
    double dr[4];
    r.scalars<float>(fr, 4, "floats");
    r.scalars<double>(dr, 4, "doubles");
    REQUIRE(std::memcmp(fr, fv, sizeof fv) == 0);
    REQUIRE(std::memcmp(dr, dv, sizeof dv) == 0);
    REQUIRE(r.at_end());
}

TEST_CASE("binary: floats stored as float convert exactly when read as double", "[io][binary]") {
    const float fv[] = {0.1f, -3.75f, 1e-30f};
    ByteWriter w;
    w.scalars(fv, 3);
    ByteReader r(w.data().data(), w.size(), "test");
    double out[3];
    r.scalars<float>(out, 3, "values");
    for (int i = 0; i < 3; ++i) REQUIRE(out[i] == double(fv[i]));
}

TEST_CASE("binary: reading past the end and oversized counts throw FormatError with the offset",
          "[io][binary][errors]") {
    ByteWriter w;
    w.u32(0xFFFFFFF0u);  // a string claiming ~4 GiB
    w.u8(1);
    // A fresh reader per call: AE_REQUIRE_THROWS evaluates its expression twice.
    auto reader = [&] { return ByteReader(w.data().data(), w.size(), "demo file", 100); };
    AE_REQUIRE_THROWS(
        reader().string("layer name"), FormatError,
        Contains("demo file") && Contains("layer name") && Contains("4294967280") && Contains("offset 104"));
    ByteReader r2(w.data().data(), w.size(), "demo file");
    AE_REQUIRE_THROWS(r2.count(std::uint64_t(1) << 60, 1, "items"), FormatError, Contains("1152921504606846976"));
    double big[1];
    AE_REQUIRE_THROWS(r2.scalars<double>(big, std::uint64_t(1) << 61, "weights"), FormatError, Contains("weights"));
    r2.skip(5, "all");
    AE_REQUIRE_THROWS(r2.u8("one more"), FormatError, Contains("one more"));
}

TEST_CASE("binary: read_file_bytes of a missing file throws IoError naming it", "[io][binary][errors]") {
    const std::string path = test_path("model_file_test", "no_such_file.bin");
    fs::remove(path);
    AE_REQUIRE_THROWS(read_file_bytes(path), IoError, Contains(path) && Contains("No such file"));
}

// ====================================================================== atomic files
TEST_CASE("atomic file: commit replaces the file, and dropping it uncommitted leaves the old one", "[io][atomic]") {
    const std::string path = test_path("model_file_test", "atomic.txt");
    write_file_atomic(path, std::vector<std::uint8_t>{'o', 'l', 'd'});
    REQUIRE(read_bytes(path) == std::vector<std::uint8_t>{'o', 'l', 'd'});
    {
        AtomicFile f(path);
        f.write("new contents", 12);
        REQUIRE(fs::exists(f.temp_path()));
        REQUIRE(read_bytes(path) == std::vector<std::uint8_t>{'o', 'l', 'd'});  // not yet visible
    }                                                                           // never committed
    REQUIRE(read_bytes(path) == std::vector<std::uint8_t>{'o', 'l', 'd'});
    REQUIRE(leftover_temps(path).empty());
    {
        AtomicFile f(path);
        f.write("new", 3);
        f.commit();
        AE_REQUIRE_THROWS(f.write("x", 1), IoError, Contains("committed"));
    }
    REQUIRE(read_bytes(path) == std::vector<std::uint8_t>{'n', 'e', 'w'});
    REQUIRE(leftover_temps(path).empty());
}

TEST_CASE("atomic file: a missing folder, a file as folder, or a folder path throw IoError", "[io][atomic][errors]") {
    const std::string missing = test_path("model_file_test", "no_such_dir/sub/x.bin");
    AE_REQUIRE_THROWS(write_file_atomic(missing, std::vector<std::uint8_t>{1}), IoError,
                      Contains(missing) && Contains("No such file or directory"));
    const std::string file = test_path("model_file_test", "plain_file");
    write_file_atomic(file, std::vector<std::uint8_t>{1});
    AE_REQUIRE_THROWS(write_file_atomic(file + "/x.bin", std::vector<std::uint8_t>{1}), IoError,
                      Contains("Not a directory"));
    AE_REQUIRE_THROWS(write_file_atomic(test_path("model_file_test", "dir/"), std::vector<std::uint8_t>{1}), IoError, Contains("folder"));
}

// ====================================================================== round trips
TEMPLATE_TEST_CASE("model file: a Sequential of Dense layers round-trips bit-exactly", "[io][model_file]", float,
                   double) {
    using S = TestType;
    auto model = dense_stack<S>();
    const std::string path = test_path("model_file_test", "dense_stack.aem");
    save(*model, path);
    auto loaded = load_as<S, Sequential<S>>(path);
    REQUIRE(loaded != model);
    REQUIRE(loaded->type() == "Sequential");
    REQUIRE(loaded->size() == model->size());
    REQUIRE(loaded->input_shape() == model->input_shape());
    REQUIRE(loaded->output_shape() == model->output_shape());
    for (std::size_t i = 0; i < model->size(); ++i) {
        auto a = std::dynamic_pointer_cast<Dense<S>>(model->layer(i));
        auto b = std::dynamic_pointer_cast<Dense<S>>(loaded->layer(i));
        REQUIRE(b);
        REQUIRE(b->units() == a->units());
        REQUIRE(b->activation() == a->activation());
    }
    require_same_parameters<S>(*model, *loaded);
    const Matrix<S> x = random_input<S>(12, 37, 11);
    const Matrix<S> expected = model->predict(x);
    const Matrix<S> got = loaded->predict(x);
    REQUIRE((got.array() == expected.array()).all());
    REQUIRE(leftover_temps(path).empty());
}

TEMPLATE_TEST_CASE("model file: an Autoencoder round-trips, and its encoder and decoder work after load",
                   "[io][model_file]", float, double) {
    using S = TestType;
    auto model = small_autoencoder<S>();
    const std::string path = test_path("model_file_test", "autoencoder.aem");
    save(model, path);  // the shared_ptr overload
    auto loaded = load_as<S, Autoencoder<S>>(path);
    REQUIRE(loaded->encoder()->name() == "encoder");
    REQUIRE(loaded->decoder()->name() == "decoder");
    REQUIRE(loaded->encoder() == loaded->layer(0));  // shared by reference, as before saving
    require_same_parameters<S>(*model, *loaded);
    REQUIRE(loaded->parameters()[0].name == "encoder/dense/kernel");

    const Matrix<S> x = random_input<S>(20, 25, 12);
    REQUIRE((loaded->reconstruct(x).array() == model->reconstruct(x).array()).all());
    const Matrix<S> codings = loaded->encoder()->predict(x);
    REQUIRE(codings.rows() == 4);
    REQUIRE((codings.array() == model->encode(x).array()).all());
    REQUIRE((loaded->decode(codings).array() == model->decode(codings).array()).all());

    // A Sequential is what load_as gives by default; an Autoencoder is one.
    REQUIRE(load_as<S>(path)->size() == 2);
}

TEST_CASE("model file: a convolutional autoencoder (Conv2D, pooling, reshapes) round-trips bit-exactly",
          "[io][model_file]") {
    auto encoder = std::make_shared<Sequential<float>>(
        std::vector<LayerPtr<float>>{std::make_shared<Conv2D<float>>(4, 3, 1, Padding::same, Activation::relu),
                                     std::make_shared<MaxPool2D<float>>(2), std::make_shared<Flatten<float>>(),
                                     std::make_shared<Dense<float>>(6, Activation::linear)});
    auto decoder = std::make_shared<Sequential<float>>(std::vector<LayerPtr<float>>{
        std::make_shared<Dense<float>>(64, Activation::relu), std::make_shared<Reshape<float>>(Shape{4, 4, 4}),
        std::make_shared<UpSampling2D<float>>(2),
        std::make_shared<Conv2DTranspose<float>>(1, 3, 1, Padding::same, Activation::sigmoid)});
    encoder->set_name("encoder");
    decoder->set_name("decoder");
    auto model = std::make_shared<Autoencoder<float>>(encoder, decoder);
    Rng rng(8);
    model->build(Shape{8, 8, 1}, rng);
    randomize(*model, 9);
    const std::string path = test_path("model_file_test", "conv_ae.aem");
    save(*model, path);
    auto loaded = load_as<float, Autoencoder<float>>(path);
    REQUIRE(loaded->input_shape() == (Shape{8, 8, 1}));
    REQUIRE(loaded->encoder()->output_shape() == Shape{6});
    std::vector<LayerPtr<float>> before, after;
    walk<float>(model, before);
    walk<float>(loaded, after);
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        REQUIRE(after[i]->type() == before[i]->type());
        REQUIRE(after[i]->config().items() == before[i]->config().items());
        REQUIRE(after[i]->output_shape() == before[i]->output_shape());
    }
    require_same_parameters<float>(*model, *loaded);
    const Matrix<float> x = random_input<float>(64, 7, 10);
    REQUIRE((loaded->reconstruct(x).array() == model->reconstruct(x).array()).all());
}

TEST_CASE("model file: layer names and trainable flags survive", "[io][model_file]") {
    auto model = small_autoencoder<float>();
    model->set_name("my_ae");
    model->encoder()->layer(1)->set_name("codings");
    model->encoder()->layer(0)->set_trainable(false);
    model->decoder()->set_trainable(false);
    const std::string path = test_path("model_file_test", "flags.aem");
    save(*model, path);
    LayerPtr<float> loaded = load<float>(path);
    std::vector<LayerPtr<float>> before, after;
    walk<float>(model, before);
    walk<float>(loaded, after);
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        INFO("layer " << i << " " << before[i]->describe());
        REQUIRE(after[i]->type() == before[i]->type());
        REQUIRE(after[i]->name() == before[i]->name());
        REQUIRE(after[i]->trainable() == before[i]->trainable());
    }
    REQUIRE(after[0]->name() == "my_ae");
    REQUIRE_FALSE(after[4]->trainable());  // the decoder
    // The flags reach the parameters, so the optimizer still skips the frozen ones.
    auto params = loaded->parameters();
    REQUIRE(params[0].name == "my_ae/encoder/dense/kernel");
    REQUIRE_FALSE(params[0].trainable);
    REQUIRE(params[2].trainable);
    REQUIRE_FALSE(params.back().trainable);
    require_same_parameters<float>(*model, *loaded);
}

TEST_CASE("model file: float weights load exactly into double models and double weights round into float",
          "[io][model_file]") {
    auto f = dense_stack<float>();
    const std::string pf = test_path("model_file_test", "as_float.aem");
    save(*f, pf);
    auto d = load<double>(pf);
    auto fp = f->parameters();
    auto dp = d->parameters();
    REQUIRE(fp.size() == dp.size());
    for (std::size_t i = 0; i < fp.size(); ++i)
        REQUIRE((dp[i].value->array() == fp[i].value->cast<double>().array()).all());

    auto dm = dense_stack<double>();
    const std::string pd = test_path("model_file_test", "as_double.aem");
    save(*dm, pd);
    REQUIRE(fs::file_size(pd) > fs::file_size(pf));  // stored as 8-byte doubles
    auto fl = load<float>(pd);
    auto a = dm->parameters();
    auto b = fl->parameters();
    for (std::size_t i = 0; i < a.size(); ++i)
        REQUIRE((b[i].value->array() == a[i].value->cast<float>().array()).all());
}

TEST_CASE("model file: a user layer registered with register_layer round-trips with its config", "[io][model_file]") {
    REQUIRE(test_layers_registered);
    for (int pass = 0; pass < 2; ++pass) {
        auto model = std::make_shared<Sequential<double>>(
            Shape{6},
            std::vector<LayerPtr<double>>{std::make_shared<Dense<double>>(5, Activation::tanh),
                                          std::make_shared<TestScale<double>>(0.1 * (pass + 1))},
            21);
        randomize(*model, 22 + pass);
        const std::string path = test_path("model_file_test", "custom.aem");
        save(*model, path);
        auto loaded = load_as<double>(path);
        auto scale = std::dynamic_pointer_cast<TestScale<double>>(loaded->layer(1));
        REQUIRE(scale);
        REQUIRE(scale->offset() == 0.1 * (pass + 1));  // config doubles are exact
        REQUIRE(scale->name() == "model_file_test_scale");
        require_same_parameters<double>(*model, *loaded);
        const Matrix<double> x = random_input<double>(6, 9, 23);
        REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
    }
}

TEST_CASE("model file: tied layers keep their link to the loaded partner", "[io][model_file][links]") {
    auto dense = std::make_shared<Dense<float>>(4, Activation::sigmoid);
    auto tied = std::make_shared<TestTiedDense<float>>(dense);
    auto model = std::make_shared<Sequential<float>>(Shape{6}, std::vector<LayerPtr<float>>{dense, tied}, 1);
    randomize(*model, 31);
    const std::string path = test_path("model_file_test", "tied.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    auto ltied = std::dynamic_pointer_cast<TestTiedDense<float>>(loaded->layer(1));
    REQUIRE(ltied);
    REQUIRE(ltied->partner() == loaded->layer(0));  // the same object, not a copy
    require_same_parameters<float>(*model, *loaded);
    const Matrix<float> x = random_input<float>(6, 8, 32);
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
}

TEST_CASE("model file: a link to a layer later in the tree is resolved", "[io][model_file][links]") {
    auto dense = std::make_shared<Dense<float>>(3);
    auto probe = std::make_shared<TestProbe<float>>(dense);
    auto model = std::make_shared<Sequential<float>>(Shape{5}, std::vector<LayerPtr<float>>{probe, dense}, 1);
    const std::string path = test_path("model_file_test", "forward_link.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    auto lprobe = std::dynamic_pointer_cast<TestProbe<float>>(loaded->layer(0));
    REQUIRE(lprobe);
    REQUIRE(lprobe->target() == loaded->layer(1));
}

TEST_CASE("model file: a layer used twice in one model is loaded as one shared layer", "[io][model_file]") {
    auto dense = std::make_shared<Dense<float>>(4, Activation::tanh);
    auto model = std::make_shared<Sequential<float>>(Shape{4}, std::vector<LayerPtr<float>>{dense, dense}, 1);
    randomize(*model, 41);
    const std::string path = test_path("model_file_test", "shared.aem");
    save(*model, path);
    auto loaded = load_as<float>(path);
    REQUIRE(loaded->layer(0) == loaded->layer(1));
    REQUIRE(loaded->parameters().size() == 2);
    const Matrix<float> x = random_input<float>(4, 6, 42);
    REQUIRE((loaded->predict(x).array() == model->predict(x).array()).all());
}

TEST_CASE("model file: a file written from the documented format loads and computes W x + b",
          "[io][model_file][format]") {
    ByteWriter p;
    put_shape(p, {3});
    put_node(p, {"Sequential", "", {}, 1, {}});
    put_node(p, dense_node("d", 2));
    p.u32(2);
    p.string("d/kernel");
    p.u64(2);
    p.u64(3);
    const float W[] = {1, 2, 3, 4, 5, 6};  // column-major 2 × 3
    p.scalars(W, 6);
    p.string("d/bias");
    p.u64(2);
    p.u64(1);
    const float b[] = {0.5f, -0.5f};
    p.scalars(b, 2);
    auto model = std::dynamic_pointer_cast<Sequential<float>>(load_bytes(frame(p.data())));
    REQUIRE(model);
    Matrix<float> x(3, 1);
    x << 1, 10, 100;
    const Matrix<float> y = model->predict(x);
    REQUIRE(y(0, 0) == 1 + 30 + 500 + 0.5f);
    REQUIRE(y(1, 0) == 2 + 40 + 600 - 0.5f);

    // And save writes exactly these bytes back.
    const std::string again = test_path("model_file_test", "documented_again.aem");
    save(*model, again);
    REQUIRE(read_bytes(again) == frame(p.data()));
}

// ====================================================================== damaged files
TEST_CASE("model file: flipping any byte of a small model's file is detected", "[io][model_file][errors]") {
    auto model = std::make_shared<Sequential<float>>(
        Shape{3}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(2, Activation::relu)}, 1);
    const std::string path = test_path("model_file_test", "small.aem");
    save(*model, path);
    const auto good = read_bytes(path);
    REQUIRE(good.size() > 100);
    const std::string bad = test_path("model_file_test", "small_bad.aem");
    for (std::uint8_t mask : {std::uint8_t(0x01), std::uint8_t(0x80), std::uint8_t(0xFF)}) {
        for (std::size_t i = 0; i < good.size(); ++i) {
            auto bytes = good;
            bytes[i] ^= mask;
            write_bytes(bad, bytes);
            INFO("byte " << i << " of " << good.size() << " xor " << int(mask));
            REQUIRE_THROWS_AS(load<float>(bad), FormatError);
        }
    }
    REQUIRE(load<float>(path)->parameters().size() == 2);  // the original is fine
}

TEST_CASE("model file: corrupted bytes at 400 random positions of an autoencoder's file are detected",
          "[io][model_file][errors]") {
    auto model = small_autoencoder<float>();
    const std::string path = test_path("model_file_test", "ae_corrupt.aem");
    save(*model, path);
    const auto good = read_bytes(path);
    Rng rng(77);
    const std::string bad = test_path("model_file_test", "ae_corrupt_bad.aem");
    for (int t = 0; t < 400; ++t) {
        auto bytes = good;
        const std::size_t i = rng.uniform_index(bytes.size());
        bytes[i] ^= std::uint8_t(1 + rng.uniform_index(255));
        write_bytes(bad, bytes);
        INFO("byte " << i);
        REQUIRE_THROWS_AS(load<float>(bad), FormatError);
    }
}

TEST_CASE("model file: every truncation is rejected with FormatError", "[io][model_file][errors]") {
    auto model = small_autoencoder<float>();
    const std::string path = test_path("model_file_test", "truncate.aem");
    save(*model, path);
    const auto good = read_bytes(path);
    const std::string bad = test_path("model_file_test", "truncate_bad.aem");
    for (std::size_t n = 0; n < good.size(); ++n) {
        write_bytes(bad, std::vector<std::uint8_t>(good.begin(), good.begin() + std::ptrdiff_t(n)));
        INFO("length " << n << " of " << good.size());
        REQUIRE_THROWS_AS(load<float>(bad), FormatError);
    }
    AE_REQUIRE_THROWS(load_bytes(std::vector<std::uint8_t>(good.begin(), good.end() - 1)), FormatError,
                      Contains("truncated"));
}

TEST_CASE("model file: extra bytes after the weights are rejected", "[io][model_file][errors]") {
    auto model = small_autoencoder<float>();
    const std::string path = test_path("model_file_test", "extra.aem");
    save(*model, path);
    auto bytes = read_bytes(path);
    std::vector<std::uint8_t> payload(bytes.begin() + 32, bytes.end());
    payload.push_back(0);
    AE_REQUIRE_THROWS(load_bytes(frame(payload)), FormatError, Contains("1 unexpected bytes"));
}

TEST_CASE("model file: wrong magic, unknown version and bad scalar size are named", "[io][model_file][errors]") {
    auto model = small_autoencoder<float>();
    const std::string path = test_path("model_file_test", "header.aem");
    save(*model, path);
    const auto good = read_bytes(path);
    const std::vector<std::uint8_t> payload(good.begin() + 32, good.end());

    AE_REQUIRE_THROWS(load_bytes(frame(payload, 2)), FormatError, Contains("version 2") && Contains("expected 1"));
    AE_REQUIRE_THROWS(load_bytes(frame(payload, 0x01000000)), FormatError, Contains("version 16777216"));
    AE_REQUIRE_THROWS(load_bytes(frame(payload, 1, 2)), FormatError, Contains("scalar size") && Contains("found 2"));
    auto png = good;
    std::memcpy(png.data(), "\x89PNG\r\n\x1a\n", 8);
    AE_REQUIRE_THROWS(load_bytes(png), FormatError, Contains("not an ae model file"));
    // The same payload declared as doubles does not parse: the sizes no longer fit.
    REQUIRE_THROWS_AS(load_bytes(frame(payload, 1, 8)), FormatError);
}

TEST_CASE("model file: a header claiming a 2^60-byte payload is rejected before reading it",
          "[io][model_file][errors][hostile]") {
    auto model = small_autoencoder<float>();
    const std::string path = test_path("model_file_test", "hostile_header.aem");
    save(*model, path);
    auto bytes = read_bytes(path);
    for (int i = 0; i < 8; ++i) bytes[16 + i] = std::uint8_t((std::uint64_t(1) << 60) >> (8 * i));
    AE_REQUIRE_THROWS(load_bytes(bytes), FormatError, Contains("1152921504606846976") && Contains("payload"));
}

TEST_CASE("model file: hostile sizes inside a correctly checksummed payload throw FormatError, not bad_alloc",
          "[io][model_file][errors][hostile]") {
    // Each case is a valid file up to one field that claims far more than the file holds. An
    // attempt to allocate any of these sizes would throw std::bad_alloc instead.
    auto prefix = [](ByteWriter& p) {
        put_shape(p, {3});
        put_node(p, dense_node("d", 2));
    };
    auto put_bias = [](ByteWriter& p) {  // a valid second entry, so the count itself fits
        p.string("d/bias");
        p.u64(2);
        p.u64(1);
        const float b[] = {0, 0};
        p.scalars(b, 2);
    };
    SECTION("a parameter of 2^30 × 2^30 values") {
        ByteWriter p;
        prefix(p);
        p.u32(2);
        p.string("d/kernel");
        p.u64(std::uint64_t(1) << 30);
        p.u64(std::uint64_t(1) << 30);
        put_bias(p);
        AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("d/kernel") && Contains("remain"));
    }
    SECTION("a parameter whose rows × cols overflows 64 bits") {
        ByteWriter p;
        prefix(p);
        p.u32(2);
        p.string("d/kernel");
        p.u64(std::uint64_t(1) << 40);
        p.u64(std::uint64_t(1) << 40);
        put_bias(p);
        AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("more than 2^64"));
    }
    SECTION("4 billion parameters") {
        ByteWriter p;
        prefix(p);
        p.u32(0xFFFFFFFFu);
        AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("4294967295"));
    }
    SECTION("a 4 GiB layer type name") {
        ByteWriter p;
        put_shape(p, {3});
        p.u8(0);
        p.u32(0xFFFFFFF0u);
        p.string("Dense");
        AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("layer type"));
    }
    SECTION("4 billion config entries, children or links") {
        for (int field = 0; field < 3; ++field) {
            ByteWriter p;
            put_shape(p, {3});
            p.u8(0);
            p.string("Sequential");
            p.string("");
            p.u8(1);
            p.u32(field == 0 ? 0xFFFFFFFFu : 0);
            p.u32(field == 1 ? 0xFFFFFFFFu : 0);
            p.u32(field == 2 ? 0xFFFFFFFFu : 0);
            p.u32(0);
            AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("4294967295"));
        }
    }
    SECTION("an input shape of rank 2^32 - 1 or a dimension of 2^62") {
        ByteWriter p;
        p.u32(0xFFFFFFFFu);
        AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("input shape"));
        ByteWriter q;
        put_shape(q, {std::uint64_t(1) << 62});
        AE_REQUIRE_THROWS(load_bytes(frame(q.data())), FormatError, Contains("input dimension"));
    }
    SECTION("a Dense layer of 2^40 units") {
        // The config is valid but building it would need terabytes: the failed allocation is
        // reported as a FormatError naming the input.
        ByteWriter q;
        put_shape(q, {3});
        auto huge = dense_node("d", 2);
        huge.config[0].second = std::to_string(std::int64_t(1) << 40);
        put_node(q, huge);
        q.u32(0);
        AE_REQUIRE_THROWS(load_bytes(frame(q.data())), FormatError, Contains("too large") && Contains("{3}"));
    }
    SECTION("Containers nested 100000 deep") {
        ByteWriter p;
        put_shape(p, {3});
        for (int i = 0; i < 100000; ++i) put_node(p, {"Sequential", "", {}, 1, {}});
        AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("nested more than 256"));
    }
}

// ====================================================================== invalid architectures
TEST_CASE("model file: an unknown layer type is named", "[io][model_file][errors]") {
    ByteWriter p;
    put_shape(p, {3});
    put_node(p, {"Sequential", "", {}, 1, {}});
    put_node(p, {"Conv9D", "c", {{"filters", "8"}}, 0, {}});
    p.u32(0);
    AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError,
                      Contains("Conv9D") && Contains("unknown layer type") && Contains("Dense"));
}

TEST_CASE("model file: bad config values and architectures that do not build throw FormatError naming the layer",
          "[io][model_file][errors]") {
    auto one_dense = [](NodeSpec dense) {
        ByteWriter p;
        put_shape(p, {3});
        put_node(p, {"Sequential", "", {}, 1, {}});
        put_node(p, dense);
        p.u32(0);
        return frame(p.data());
    };
    auto bad_units = dense_node("d", 2);
    bad_units.config[0].second = "-4";
    AE_REQUIRE_THROWS(load_bytes(one_dense(bad_units)), FormatError, Contains("layer 1 (Dense 'd'") && Contains("-4"));
    auto bad_activation = dense_node("d", 2);
    bad_activation.config[1].second = "swishy";
    AE_REQUIRE_THROWS(load_bytes(one_dense(bad_activation)), FormatError, Contains("swishy"));
    auto missing_key = dense_node("d", 2);
    missing_key.config.pop_back();
    AE_REQUIRE_THROWS(load_bytes(one_dense(missing_key)), FormatError, Contains("kernel_initializer"));

    // Dense needs a vector input; a {3, 4} input does not build.
    ByteWriter p;
    put_shape(p, {3, 4});
    put_node(p, dense_node("d", 2));
    p.u32(0);
    AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("does not build") && Contains("{3, 4}"));
}

TEST_CASE("model file: parameters that do not match the rebuilt model name the first mismatch",
          "[io][model_file][errors]") {
    auto file_with = [](const std::string& name, std::uint64_t rows, std::uint64_t cols, std::uint32_t count) {
        ByteWriter p;
        put_shape(p, {3});
        put_node(p, dense_node("d", 2));
        p.u32(count);
        p.string(name);
        p.u64(rows);
        p.u64(cols);
        std::vector<float> v(rows * cols, 1.0f);
        p.scalars(v.data(), v.size());
        p.string("d/bias");
        p.u64(2);
        p.u64(1);
        const float b[] = {0, 0};
        p.scalars(b, 2);
        return frame(p.data());
    };
    REQUIRE(load_bytes(file_with("d/kernel", 2, 3, 2))->parameters().size() == 2);  // the valid one
    AE_REQUIRE_THROWS(load_bytes(file_with("d/kernel", 2, 4, 2)), FormatError,
                      Contains("'d/kernel' (2×4) in the file") && Contains("(2×3)"));
    AE_REQUIRE_THROWS(load_bytes(file_with("d/weights", 2, 3, 2)), FormatError,
                      Contains("d/weights") && Contains("d/kernel"));
    AE_REQUIRE_THROWS(load_bytes(file_with("d/kernel", 2, 3, 3)), FormatError,
                      Contains("stores 3 parameters") && Contains("has 2"));
}

TEST_CASE("model file: links and repeats pointing outside the tree or in a cycle are rejected",
          "[io][model_file][errors][links]") {
    REQUIRE(test_layers_registered);
    auto with_nodes = [](std::vector<NodeSpec> nodes, std::vector<std::uint32_t> repeat = {}) {
        ByteWriter p;
        put_shape(p, {3});
        for (auto& n : nodes) put_node(p, n);
        for (auto r : repeat) {
            p.u8(1);
            p.u32(r);
        }
        p.u32(0);
        return frame(p.data());
    };
    NodeSpec seq2{"Sequential", "", {}, 2, {}};
    NodeSpec seq1{"Sequential", "", {}, 1, {}};
    // Valid: the probe (layer 1) links to the root's second child... which is itself here, so:
    AE_REQUIRE_THROWS(load_bytes(with_nodes({seq1, {"ModelFileTestProbe", "p", {}, 0, {7}}})), FormatError,
                      Contains("links to layer 7") && Contains("layers 0 to 1"));
    AE_REQUIRE_THROWS(load_bytes(with_nodes({seq1, {"ModelFileTestProbe", "p", {}, 0, {1}}})), FormatError,
                      Contains("cannot link to itself"));
    // The probe links to its own parent: the parent needs the probe as a child first.
    AE_REQUIRE_THROWS(load_bytes(with_nodes({seq1, {"ModelFileTestProbe", "p", {}, 0, {0}}})), FormatError,
                      Contains("cycle"));
    // A repeat of a layer not yet listed, and a root that is a repeat.
    AE_REQUIRE_THROWS(load_bytes(with_nodes({seq2, {"ModelFileTestProbe", "p", {}, 0, {0}}}, {5})), FormatError,
                      Contains("refers to layer 5"));
    AE_REQUIRE_THROWS(load_bytes(with_nodes({}, {0})), FormatError, Contains("root layer"));
    // A container that contains its own ancestor.
    AE_REQUIRE_THROWS(load_bytes(with_nodes({seq1}, {0})), FormatError, Contains("cycle"));
    // An unknown layer tag.
    ByteWriter p;
    put_shape(p, {3});
    p.u8(9);
    AE_REQUIRE_THROWS(load_bytes(frame(p.data())), FormatError, Contains("layer tag") && Contains("found 9"));
}

TEST_CASE("model file: load_as with the wrong type names the stored type", "[io][model_file][errors]") {
    auto model = dense_stack<float>();
    const std::string path = test_path("model_file_test", "wrong_type.aem");
    save(*model, path);
    AE_REQUIRE_THROWS((load_as<float, Autoencoder<float>>(path)), FormatError,
                      Contains(path) && Contains("Sequential"));
}

// ====================================================================== saving failures
TEST_CASE("model file: saving an unbuilt model or one linking outside itself throws ConfigError",
          "[io][model_file][errors]") {
    Sequential<float> unbuilt({std::make_shared<Dense<float>>(3)});
    const std::string path = test_path("model_file_test", "unbuilt.aem");
    fs::remove(path);
    AE_REQUIRE_THROWS(save(unbuilt, path), ConfigError, Contains("not built") && Contains(path));
    REQUIRE_FALSE(fs::exists(path));

    auto outside = std::make_shared<Dense<float>>(4);
    Rng rng(1);
    outside->build(Shape{4}, rng);
    Sequential<float> model(Shape{4}, {std::make_shared<TestProbe<float>>(outside)});
    AE_REQUIRE_THROWS(save(model, path), ConfigError, Contains("not part of the saved model"));
    REQUIRE_FALSE(fs::exists(path));
    REQUIRE(leftover_temps(path).empty());

    std::shared_ptr<Sequential<float>> null_model;
    REQUIRE_THROWS_AS(save(null_model, path), ConfigError);
}

TEST_CASE("model file: saving into a missing folder or under a regular file throws IoError naming the path",
          "[io][model_file][errors]") {
    auto model = dense_stack<float>();
    const std::string missing = test_path("model_file_test", "missing_folder/model.aem");
    AE_REQUIRE_THROWS(save(*model, missing), IoError, Contains(missing));
    const std::string file = test_path("model_file_test", "a_regular_file");
    write_bytes(file, {1, 2, 3});
    AE_REQUIRE_THROWS(save(*model, file + "/model.aem"), IoError, Contains("Not a directory"));
    REQUIRE(read_bytes(file) == std::vector<std::uint8_t>{1, 2, 3});
    REQUIRE(leftover_temps(file).empty());
}

TEST_CASE("model file: a save that fails midway (file size limit) leaves the previous file loadable",
          "[io][model_file][errors][atomic]") {
    auto old_model = small_autoencoder<float>();
    const std::string path = test_path("model_file_test", "keep_me.aem");
    save(*old_model, path);
    const auto old_bytes = read_bytes(path);

    auto big = dense_stack<float>();  // a larger file than the limit allows
    {
        FileSizeLimit limit(old_bytes.size() / 2);  // applies to root too: write() fails with EFBIG
        AE_REQUIRE_THROWS(save(*big, path), IoError, Contains(path) && Contains("File too large"));
    }
    REQUIRE(read_bytes(path) == old_bytes);
    REQUIRE(leftover_temps(path).empty());
    auto loaded = load_as<float, Autoencoder<float>>(path);
    const Matrix<float> x = random_input<float>(20, 5, 51);
    REQUIRE((loaded->reconstruct(x).array() == old_model->reconstruct(x).array()).all());
}

TEST_CASE("model file: loading a missing file throws IoError", "[io][model_file][errors]") {
    const std::string path = test_path("model_file_test", "never_saved.aem");
    fs::remove(path);
    AE_REQUIRE_THROWS(load<float>(path), IoError, Contains(path));
}
