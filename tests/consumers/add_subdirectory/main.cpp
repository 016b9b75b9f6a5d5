// Consumer through add_subdirectory: a small convolutional autoencoder on 8x8x1 images.
#include <ae/ae.hpp>

#include <cmath>
#include <cstdio>

int main() {
    using ae::Padding, ae::Activation;
    ae::Sequential<float> model(ae::Shape{8, 8, 1},
                                {std::make_shared<ae::Conv2D<float>>(4, 3, 1, Padding::same, Activation::relu),
                                 std::make_shared<ae::MaxPool2D<float>>(2),
                                 std::make_shared<ae::UpSampling2D<float>>(2),
                                 std::make_shared<ae::Conv2D<float>>(1, 3, 1, Padding::same, Activation::sigmoid)});
    ae::Matrix<float> x(64, 3);
    ae::Rng rng(3);
    rng.fill_uniform(x, 0.0, 1.0);
    const ae::Matrix<float> y = model.predict(x);
    const bool in_range = y.allFinite() && y.minCoeff() > 0.0f && y.maxCoeff() < 1.0f;
    if (y.rows() != 64 || y.cols() != 3 || !in_range) {
        std::printf("add_subdirectory consumer: expected 64 x 3 sigmoid outputs in (0, 1), got %ld x %ld\n",
                    long(y.rows()), long(y.cols()));
        return 1;
    }
    std::printf("add_subdirectory consumer: ok, output %s\n", model.output_shape().str().c_str());
    return 0;
}
