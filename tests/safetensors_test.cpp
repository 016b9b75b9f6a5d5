// Safetensors files and the PyTorch naming (io/safetensors.hpp, io/torch_names.hpp), in ae alone:
// round trips, the layout of each layer kind, and malformed files. Parity with PyTorch itself is
// tests/interop (torch_parity_test.cpp, run by ctest when python3-torch is installed).
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ae/ae.hpp"
#include "ae/io/safetensors.hpp"
#include "test_support.hpp"

namespace {

using ae::io::Safetensors;
using ae::io::SafetensorsTensor;

// A safetensors file from a header written by hand and raw data bytes.
std::vector<std::uint8_t> safetensors_test_bytes(const std::string& header, const std::vector<std::uint8_t>& data) {
    std::vector<std::uint8_t> out(8);
    for (int i = 0; i < 8; ++i) out[std::size_t(i)] = std::uint8_t(std::uint64_t(header.size()) >> (8 * i));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::vector<std::uint8_t> safetensors_test_floats(std::initializer_list<float> values) {
    std::vector<std::uint8_t> out(values.size() * 4);
    std::size_t i = 0;
    for (float v : values) std::memcpy(out.data() + 4 * i++, &v, 4);  // the test host is little-endian
    return out;
}

// Conv2D, MaxPool2D, Conv2DTranspose (fused activations) and a Dense after a Flatten.
template <class S>
std::shared_ptr<ae::Sequential<S>> safetensors_test_conv_model(std::uint64_t seed) {
    using ae::Activation, ae::Padding;
    return std::make_shared<ae::Sequential<S>>(
        ae::Shape{6, 6, 2},
        std::vector<ae::LayerPtr<S>>{std::make_shared<ae::Conv2D<S>>(3, ae::Size2D(3, 2), 1, Padding::same, Activation::relu),
                                     std::make_shared<ae::MaxPool2D<S>>(2),
                                     std::make_shared<ae::Conv2DTranspose<S>>(2, 3, 2, Padding::valid, Activation::sigmoid),
                                     std::make_shared<ae::Flatten<S>>(), std::make_shared<ae::Dense<S>>(4)},
        seed);
}

// GRU → LSTM → TimeDistributed(Dense), recurrent layers with random biases.
template <class S>
std::shared_ptr<ae::Sequential<S>> safetensors_test_rnn_model(std::uint64_t seed) {
    auto m = std::make_shared<ae::Sequential<S>>(
        ae::Shape{5, 2},
        std::vector<ae::LayerPtr<S>>{std::make_shared<ae::GRU<S>>(4, true), std::make_shared<ae::LSTM<S>>(3, true),
                                     std::make_shared<ae::TimeDistributed<S>>(std::make_shared<ae::Dense<S>>(2, ae::Activation::tanh))},
        seed);
    ae::Rng rng(seed + 1);
    for (auto& p : m->parameters()) rng.fill_uniform(*p.value, -0.5, 0.5);  // biases too
    return m;
}

template <class S>
bool safetensors_test_same_weights(ae::Layer<S>& a, ae::Layer<S>& b) {
    auto pa = a.parameters(), pb = b.parameters();
    if (pa.size() != pb.size()) return false;
    for (std::size_t i = 0; i < pa.size(); ++i)
        if (*pa[i].value != *pb[i].value) return false;
    return true;
}

}  // namespace

TEMPLATE_TEST_CASE("safetensors: save then load restores every weight exactly", "[safetensors]", float, double) {
    using S = TestType;
    ae::Matrix<S> x_img(72, 3), x_seq(10, 3);
    ae::Rng rng(3);
    rng.fill_uniform(x_img, 0.0, 1.0);
    rng.fill_uniform(x_seq, -1.0, 1.0);

    auto conv = safetensors_test_conv_model<S>(1), conv2 = safetensors_test_conv_model<S>(2);
    auto rnn = safetensors_test_rnn_model<S>(1), rnn2 = safetensors_test_rnn_model<S>(2);
    REQUIRE_FALSE(safetensors_test_same_weights(*conv, *conv2));
    REQUIRE_FALSE(safetensors_test_same_weights(*rnn, *rnn2));

    const std::string conv_path = ae::testing::test_path("safetensors", "conv.safetensors");
    const std::string rnn_path = ae::testing::test_path("safetensors", "rnn.safetensors");
    ae::io::save_safetensors(conv, conv_path);
    ae::io::save_safetensors(rnn, rnn_path);
    ae::io::load_safetensors(conv2, conv_path);
    ae::io::load_safetensors(rnn2, rnn_path);
    CHECK(safetensors_test_same_weights(*conv, *conv2));
    CHECK(safetensors_test_same_weights(*rnn, *rnn2));
    CHECK(conv2->predict(x_img) == conv->predict(x_img));
    CHECK(rnn2->predict(x_seq) == rnn->predict(x_seq));

    const Safetensors file = ae::io::read_safetensors(conv_path);
    for (const auto& t : file.tensors) CHECK(t.dtype == (sizeof(S) == 4 ? "F32" : "F64"));
    CHECK(file.metadata.at("format") == "pt");
}

TEST_CASE("safetensors: names follow nn.Sequential, a fused activation taking its own index", "[safetensors]") {
    auto parts = ae::recipes::vanilla<float>(20, {8}, 4);
    const std::vector<std::string> modules = ae::io::torch_names(*parts.autoencoder);
    CHECK(modules == std::vector<std::string>{"0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias", "1.0.weight",
                                              "1.0.bias", "1.2.weight", "1.2.bias"});
    const std::vector<std::string> plain = ae::io::torch_names(*parts.autoencoder, {.activations_as_modules = false});
    CHECK(plain == std::vector<std::string>{"0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "1.0.weight", "1.0.bias",
                                            "1.1.weight", "1.1.bias"});
    // A lone layer is the module itself; TimeDistributed is transparent; LSTM has no activation index.
    auto rnn = safetensors_test_rnn_model<float>(1);
    CHECK(ae::io::torch_names(*rnn) ==
          std::vector<std::string>{"0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "1.weight_ih_l0",
                                   "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0", "2.weight", "2.bias"});
    auto conv = safetensors_test_conv_model<float>(1);
    CHECK(ae::io::torch_names(*conv) ==
          std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"});
}

TEST_CASE("safetensors: tensors are laid out as PyTorch's Linear, Conv2d, ConvTranspose2d, LSTM and GRU", "[safetensors]") {
    auto conv = safetensors_test_conv_model<float>(5);
    auto rnn = safetensors_test_rnn_model<float>(5);
    const std::string path = ae::testing::test_path("safetensors", "layout.safetensors");

    ae::io::save_safetensors(conv, path);
    Safetensors f = ae::io::read_safetensors(path);
    auto& c2d = dynamic_cast<ae::Conv2D<float>&>(*conv->layer(0));
    auto& c2t = dynamic_cast<ae::Conv2DTranspose<float>&>(*conv->layer(2));
    auto& dense = dynamic_cast<ae::Dense<float>&>(*conv->layer(4));
    // Conv2d weight [F=3, C=2, kh=3, kw=2]; ae column (i·kw + j)·C + c.
    const SafetensorsTensor* w = f.find("0.weight");
    REQUIRE(w);
    CHECK(w->shape == std::vector<std::uint64_t>{3, 2, 3, 2});
    for (int fi = 0; fi < 3; ++fi)
        for (int c = 0; c < 2; ++c)
            for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 2; ++j)
                    CHECK(w->values[std::size_t(((fi * 2 + c) * 3 + i) * 2 + j)] == double(c2d.kernel()(fi, (i * 2 + j) * 2 + c)));
    // ConvTranspose2d weight [C_in=3, F=2, 3, 3]; ae column (i·kw + j)·F + f.
    const SafetensorsTensor* wt = f.find("3.weight");
    REQUIRE(wt);
    CHECK(wt->shape == std::vector<std::uint64_t>{3, 2, 3, 3});
    CHECK(wt->values[std::size_t(((2 * 2 + 1) * 3 + 1) * 3 + 2)] == double(c2t.kernel()(2, (1 * 3 + 2) * 2 + 1)));
    // Linear weight [out, in], row-major.
    const SafetensorsTensor* wd = f.find("6.weight");
    REQUIRE(wd);
    CHECK(wd->shape == std::vector<std::uint64_t>{4, std::uint64_t(dense.kernel().cols())});
    CHECK(wd->values[std::size_t(3 * dense.kernel().cols() + 5)] == double(dense.kernel()(3, 5)));

    ae::io::save_safetensors(rnn, path);
    f = ae::io::read_safetensors(path);
    auto& gru = dynamic_cast<ae::GRU<float>&>(*rnn->layer(0));
    auto& lstm = dynamic_cast<ae::LSTM<float>&>(*rnn->layer(1));
    // GRU: PyTorch blocks r, z, n are ae's blocks 1, 0, 2 (U = 4), biases in ae's two columns.
    const SafetensorsTensor* gi = f.find("0.weight_ih_l0");
    const SafetensorsTensor* gb = f.find("0.bias_hh_l0");
    REQUIRE(gi);
    REQUIRE(gb);
    for (int row = 0; row < 4; ++row) {
        CHECK(gi->values[std::size_t(row * 2 + 1)] == double(gru.kernel()(4 + row, 1)));       // r
        CHECK(gi->values[std::size_t((4 + row) * 2)] == double(gru.kernel()(row, 0)));         // z
        CHECK(gi->values[std::size_t((8 + row) * 2)] == double(gru.kernel()(8 + row, 0)));     // n
        CHECK(gb->values[std::size_t(row)] == double(gru.bias()(4 + row, 1)));
    }
    // LSTM: same gate order; the single bias is bias_ih, bias_hh is zero.
    const SafetensorsTensor* lb = f.find("1.bias_ih_l0");
    const SafetensorsTensor* lh = f.find("1.bias_hh_l0");
    REQUIRE(lb);
    REQUIRE(lh);
    for (int row = 0; row < 12; ++row) {
        CHECK(lb->values[std::size_t(row)] == double(lstm.bias()(row, 0)));
        CHECK(lh->values[std::size_t(row)] == 0.0);
    }
}

TEST_CASE("safetensors: PyTorch's two LSTM biases load as their sum", "[safetensors]") {
    ae::Sequential<float> model(ae::Shape{3, 1}, {std::make_shared<ae::LSTM<float>>(1)});
    Safetensors f;
    f.tensors = {{"0.weight_ih_l0", "F32", {4, 1}, {1, 2, 3, 4}},
                 {"0.weight_hh_l0", "F64", {4, 1}, {5, 6, 7, 8}},
                 {"0.bias_ih_l0", "F32", {4}, {0.5, 0.25, -1, 2}},
                 {"0.bias_hh_l0", "F32", {4}, {1, 1, 1, 1}}};
    const std::string path = ae::testing::test_path("safetensors", "lstm.safetensors");
    ae::io::write_safetensors(path, f);
    ae::io::load_safetensors(model, path);
    auto& lstm = dynamic_cast<ae::LSTM<float>&>(*model.layer(0));
    CHECK(lstm.bias()(0, 0) == 1.5f);
    CHECK(lstm.bias()(3, 0) == 3.0f);
    CHECK(lstm.recurrent_kernel()(2, 0) == 7.0f);
}

TEST_CASE("safetensors: F64 weights load into a float model, rounded", "[safetensors]") {
    ae::Sequential<double> d(ae::Shape{3}, {std::make_shared<ae::Dense<double>>(2)});
    ae::Sequential<float> f(ae::Shape{3}, {std::make_shared<ae::Dense<float>>(2)}, 9);
    auto& dk = dynamic_cast<ae::Dense<double>&>(*d.layer(0)).kernel();
    dk(1, 2) = 0.1;  // not a float
    const std::string path = ae::testing::test_path("safetensors", "f64.safetensors");
    ae::io::save_safetensors(d, path);
    CHECK(ae::io::read_safetensors(path).tensors.front().dtype == "F64");
    ae::io::load_safetensors(f, path);
    CHECK(dynamic_cast<ae::Dense<float>&>(*f.layer(0)).kernel()(1, 2) == 0.1f);
    CHECK(dynamic_cast<ae::Dense<float>&>(*f.layer(0)).kernel() == dk.cast<float>());
}

TEST_CASE("safetensors: names and metadata with JSON escapes survive a round trip", "[safetensors]") {
    Safetensors f;
    f.metadata = {{"note", "quote \" backslash \\ tab \t"}, {"format", "pt"}};
    f.tensors = {{"odd \"name\"\n", "F32", {2}, {1.5, -2}}, {"scalar", "F64", {}, {3.25}}, {"empty", "F32", {0, 4}, {}}};
    const std::string path = ae::testing::test_path("safetensors", "escapes.safetensors");
    ae::io::write_safetensors(path, f);
    const Safetensors g = ae::io::read_safetensors(path);
    CHECK(g.metadata == f.metadata);
    REQUIRE(g.tensors.size() == 3);
    REQUIRE(g.find("odd \"name\"\n"));
    CHECK(g.find("odd \"name\"\n")->values == std::vector<double>{1.5, -2});
    CHECK(g.find("scalar")->values == std::vector<double>{3.25});
    CHECK(g.find("empty")->shape == std::vector<std::uint64_t>{0, 4});
    // \u escapes (with a surrogate pair) decode to UTF-8.
    const auto bytes = safetensors_test_bytes(
        R"({"caf\u00e9\ud83d\ude00":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", safetensors_test_floats({7}));
    const Safetensors h = ae::io::parse_safetensors(bytes, "memory");
    CHECK(h.tensors.at(0).name == "caf\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("safetensors: malformed files are FormatErrors naming expected and found", "[safetensors]") {
    const auto two = safetensors_test_floats({1, 2});
    auto parse_error = [](const std::vector<std::uint8_t>& bytes) -> std::string {
        try {
            ae::io::parse_safetensors(bytes, "bad");
        } catch (const ae::FormatError& e) {
            return e.what();
        }
        return "no error";
    };
    using Catch::Matchers::Contains;
    const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    REQUIRE(ae::io::parse_safetensors(safetensors_test_bytes(good, two), "ok").tensors.size() == 1);

    // Truncation: no length, a length past the end, data cut short.
    CHECK_THAT(parse_error({1, 2, 3}), Contains("expected at least 8 bytes") && Contains("found 3"));
    auto cut = safetensors_test_bytes(good, two);
    CHECK_THAT(parse_error(std::vector<std::uint8_t>(cut.begin(), cut.begin() + 20)), Contains("exceeds"));
    cut.pop_back();
    CHECK_THAT(parse_error(cut), Contains("tensor 'a'") && Contains("data_offsets within the 7-byte data section"));
    // Bad JSON.
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", two)),
               Contains("expected ',' or '}'") && Contains("the end of the header"));
    CHECK_THAT(parse_error(safetensors_test_bytes(good + "x", two)), Contains("found 'x'"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", two)),
               Contains("fraction or exponent"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", two)),
               Contains("non-negative integer"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", two)),
               Contains("a field dtype, shape or data_offsets") && Contains("\"x\""));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", two)),
               Contains("no data_offsets"));
    CHECK_THAT(parse_error(safetensors_test_bytes(
                   R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                   two)),
               Contains("a unique key") && Contains("'a' again"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"__metadata__":{"k":3}})", {})), Contains("(a string)"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[99999999999999999999]})", two)),
               Contains("below 2^64"));
    // Sizes: shape against offsets, gaps, overlaps, trailing bytes, overflowing shapes.
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", two)),
               Contains("needs 12 bytes") && Contains("spanning 8"));
    CHECK_THAT(parse_error(safetensors_test_bytes(
                   R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                   two)),
               Contains("overlap"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", two)),
               Contains("expected 0") && Contains("gap"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", two)),
               Contains("4 bytes after tensor 'a'"));
    CHECK_THAT(parse_error(safetensors_test_bytes(
                   R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})", two)),
               Contains("more than 2^64"));
    // Dtypes: a known but unsupported one, and an unknown one.
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})", two)),
               Contains("expected dtype F32 or F64, found BF16"));
    CHECK_THAT(parse_error(safetensors_test_bytes(R"({"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", two)),
               Contains("unknown dtype 'F17'"));
}

TEST_CASE("safetensors: a file that does not fit the model is refused and the model is unchanged", "[safetensors]") {
    auto model = std::make_shared<ae::Sequential<float>>(
        ae::Shape{3}, std::vector<ae::LayerPtr<float>>{std::make_shared<ae::Dense<float>>(2, ae::Activation::relu),
                                                       std::make_shared<ae::Dense<float>>(1)});
    const ae::Matrix<float> before = dynamic_cast<ae::Dense<float>&>(*model->layer(0)).kernel();
    const std::string path = ae::testing::test_path("safetensors", "misfit.safetensors");
    auto load_error = [&](const Safetensors& f, ae::io::SafetensorsOptions options = {}) -> std::string {
        ae::io::write_safetensors(path, f);
        try {
            ae::io::load_safetensors(model, path, options);
        } catch (const ae::FormatError& e) {
            return e.what();
        }
        return "no error";
    };
    using Catch::Matchers::Contains;
    const SafetensorsTensor w0{"0.weight", "F32", {2, 3}, {1, 2, 3, 4, 5, 6}}, b0{"0.bias", "F32", {2}, {0, 0}};
    const SafetensorsTensor w2{"2.weight", "F32", {1, 2}, {1, 1}}, b2{"2.bias", "F32", {1}, {0}};

    Safetensors wrong_shape;
    wrong_shape.tensors = {w0, b0, {"2.weight", "F32", {2, 1}, {1, 1}}, b2};
    CHECK_THAT(load_error(wrong_shape), Contains("tensor '2.weight'") && Contains("expected shape [1, 2], found [2, 1]"));
    Safetensors missing;
    missing.tensors = {w0, b0, w2};
    CHECK_THAT(load_error(missing), Contains("expected tensor '2.bias'") && Contains("PyTorch Linear") && Contains("not found"));
    Safetensors extra;
    extra.tensors = {w0, b0, w2, b2, {"3.weight", "F32", {1}, {0}}};
    CHECK_THAT(load_error(extra), Contains("'3.weight' which no layer"));
    CHECK(dynamic_cast<ae::Dense<float>&>(*model->layer(0)).kernel() == before);  // nothing was assigned
    ae::io::SafetensorsOptions lenient;
    lenient.strict = false;
    CHECK(load_error(extra, lenient) == "no error");
    CHECK(dynamic_cast<ae::Dense<float>&>(*model->layer(0)).kernel()(1, 0) == 4.0f);
}
