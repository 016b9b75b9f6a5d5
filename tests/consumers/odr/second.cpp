// ODR check, second translation unit: includes the same headers as main.cpp. A function or
// variable that a header defines without `inline` is emitted by every unit that includes it,
// used or not, and the link fails; so this unit needs to use little. It fills the same input as
// main.cpp from the same seed, which main.cpp compares.
#include <ae/ae.hpp>

ae::Matrix<float> odr_second_unit_input() {
    ae::Matrix<float> x(10, 3);
    ae::Rng rng(9);
    rng.fill_uniform(x, 0.0, 1.0);
    return x;
}
