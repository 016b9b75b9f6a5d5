// PyTorch parity: ae loads the weights PyTorch wrote (tests/interop/torch_reference.py) into the
// same architectures and must give PyTorch's outputs for the same inputs, within 1e-5.
// Hidden ([.]): tests/interop/run_torch_parity.sh runs it with AE_TORCH_REFERENCE_DIR set, after
// the script has written the files, and only when python3-torch is installed (ctest reports the
// test as skipped otherwise). Run by hand:
//   /usr/bin/python3 tests/interop/torch_reference.py /tmp/ref
//   AE_TORCH_REFERENCE_DIR=/tmp/ref ./ae_tests "[torch-parity]"
#include <cstdlib>
#include <iostream>
#include <string>

#include <catch2/catch.hpp>

#include "ae/ae.hpp"
#include "ae/io/safetensors.hpp"

namespace {

// The ae model matching each model torch_reference.py builds.
std::shared_ptr<ae::Sequential<float>> torch_parity_model(const std::string& name) {
    if (name == "vanilla") return ae::recipes::vanilla<float>(784, {128, 64}, 32).autoencoder;
    if (name == "convolutional")
        return ae::recipes::convolutional<float>(ae::Shape{28, 28, 1}, {16, 8, 8}, ae::Shape{4, 4, 8}).autoencoder;
    if (name == "conv_book") return ae::recipes::conv_book<float>().autoencoder;
    if (name == "recurrent") return ae::recipes::recurrent<float>(28, 28, 100, 30).autoencoder;
    if (name == "gru")
        return std::make_shared<ae::Sequential<float>>(
            ae::Shape{10, 6},
            std::vector<ae::LayerPtr<float>>{std::make_shared<ae::GRU<float>>(12, true), std::make_shared<ae::GRU<float>>(5)});
    FAIL("no ae model for '" << name << "'");
    return nullptr;
}

// A [batch, n] tensor as an n × batch matrix (one sample per column: the same memory order).
ae::Matrix<float> torch_parity_matrix(const ae::io::Safetensors& f, const std::string& name) {
    const ae::io::SafetensorsTensor* t = f.find(name);
    REQUIRE(t);
    REQUIRE(t->shape.size() == 2);
    ae::Matrix<float> m(ae::Index(t->shape[1]), ae::Index(t->shape[0]));
    for (ae::Index i = 0; i < m.size(); ++i) m.data()[i] = float(t->values[std::size_t(i)]);
    return m;
}

}  // namespace

TEST_CASE("PyTorch parity: ae reproduces PyTorch's outputs from its safetensors weights", "[.][torch-parity]") {
    const char* dir = std::getenv("AE_TORCH_REFERENCE_DIR");
    REQUIRE(dir != nullptr);  // set by tests/interop/run_torch_parity.sh
    for (const std::string name : {"vanilla", "convolutional", "conv_book", "recurrent", "gru"}) {
        SECTION(name) {
            auto model = torch_parity_model(name);
            ae::io::load_safetensors(model, std::string(dir) + "/" + name + ".weights.safetensors");
            const auto io = ae::io::read_safetensors(std::string(dir) + "/" + name + ".io.safetensors");
            const ae::Matrix<float> x = torch_parity_matrix(io, "input"), expected = torch_parity_matrix(io, "output");
            const ae::Matrix<float> y = model->predict(x);
            REQUIRE(y.rows() == expected.rows());
            REQUIRE(y.cols() == expected.cols());
            const double diff = double((y - expected).cwiseAbs().maxCoeff());
            std::cout << "PyTorch parity " << name << ": max |ae - torch| = " << diff << " over " << y.size()
                      << " outputs (max |output| " << expected.cwiseAbs().maxCoeff() << ")\n";
            CHECK(diff <= 1e-5);
            // Saving from ae gives back PyTorch's tensors (LSTM/GRU biases aside: ae keeps one sum).
            if (name == "vanilla" || name == "conv_book") {
                const std::string again = std::string(dir) + "/" + name + ".ae.safetensors";
                ae::io::save_safetensors(model, again);
                const auto a = ae::io::read_safetensors(again);
                const auto t = ae::io::read_safetensors(std::string(dir) + "/" + name + ".weights.safetensors");
                REQUIRE(a.tensors.size() == t.tensors.size());
                for (const auto& tensor : t.tensors) {
                    INFO(tensor.name);
                    REQUIRE(a.find(tensor.name));
                    CHECK(a.find(tensor.name)->values == tensor.values);
                }
            }
        }
    }
}
