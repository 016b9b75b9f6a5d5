// docs/interop.md: weights in and out of ae as safetensors files with PyTorch's state_dict names.
// Another ae model of the same architecture (other seed) stands in for the PyTorch side here; the
// real PyTorch round trip is tests/interop (ctest -R interop).
#include <cstdio>
#include <string>
#include <vector>

#include <ae/ae.hpp>
#include <ae/io/safetensors.hpp>

ae::recipes::AutoencoderParts<float> from_pytorch() {
    auto parts = ae::recipes::vanilla(784, {128, 64}, 32);
    ae::io::load_safetensors(parts.autoencoder, "vanilla.safetensors");  // written by PyTorch
    ae::io::save_safetensors(parts.autoencoder, "from_ae.safetensors");  // readable by PyTorch
    return parts;
}

int main() {
    auto torch_side = ae::recipes::vanilla(784, {128, 64}, 32, /*seed=*/7);
    ae::io::save_safetensors(torch_side.autoencoder, "vanilla.safetensors");

    const auto parts = from_pytorch();

    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
        if (!ok) ++failures;
    };
    ae::Rng rng(1);
    ae::Matrix<float> x(784, 8);
    rng.fill_uniform(x, 0.0, 1.0);
    check(parts.autoencoder->predict(x) == torch_side.autoencoder->predict(x), "loaded weights predict the same");

    // nn.Sequential(encoder, decoder), each Linear followed by its activation module.
    const std::vector<std::string> names = ae::io::torch_names(*parts.autoencoder);
    const ae::io::Safetensors file = ae::io::read_safetensors("from_ae.safetensors");
    bool all_there = names.size() == 12 && names.front() == "0.0.weight" && file.tensors.size() == names.size();
    for (const auto& name : names) all_there = all_there && file.find(name) != nullptr;
    const ae::io::SafetensorsTensor* first = file.find("0.0.weight");
    check(all_there && first && first->dtype == "F32" && first->shape == std::vector<std::uint64_t>{128, 784},
          "from_ae.safetensors holds the state_dict names, Linear weights [out, in]");
    return failures == 0 ? 0 : 1;
}
