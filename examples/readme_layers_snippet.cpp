// The README's layer-by-layer snippet, compiled with the examples so it cannot go stale.
#include <ae/ae.hpp>

int main() {
    using namespace ae;
    auto encoder = std::make_shared<Sequential<>>(std::vector<LayerPtr<float>>{
        std::make_shared<Dense<>>(128, Activation::relu), std::make_shared<Dense<>>(32, Activation::relu)});
    auto decoder = std::make_shared<Sequential<>>(std::vector<LayerPtr<float>>{
        std::make_shared<Dense<>>(128, Activation::relu), std::make_shared<Dense<>>(784, Activation::sigmoid)});
    auto model = std::make_shared<Autoencoder<>>(encoder, decoder);
    Rng rng(42);
    model->build(Shape{784}, rng);  // shapes inferred and checked here
    model->compile(std::make_shared<Adam<>>(1e-3), std::make_shared<BinaryCrossEntropy<>>());
    std::printf("%s", model->summary().c_str());
    return 0;
}
