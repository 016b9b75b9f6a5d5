// docs/visualization.md: a latent-space scatter coloured by label, with a legend.
#include <cstdio>
#include <filesystem>
#include <vector>

#include "ae/ae.hpp"

int main() {
    // 2-D codings of 300 samples from three classes (one column per sample, as ae's batches).
    ae::Rng rng(1);
    ae::Matrix<float> codings(2, 300);
    std::vector<int> labels(300);
    for (int i = 0; i < 300; ++i) {
        labels[i] = i % 3;
        codings(0, i) = float(rng.normal(3.0 * labels[i], 0.6));
        codings(1, i) = float(rng.normal(labels[i] == 1 ? 2.0 : 0.0, 0.6));
    }
    // Label k is drawn in palette[k % 10]; the legend lists the labels present.
    ae::io::save_scatter("latent_scatter.png", codings, labels, "Codings by class", "z[0]", "z[1]");

    const bool ok = std::filesystem::file_size("latent_scatter.png") > 0;
    std::printf("%s latent_scatter.png written\n", ok ? "ok  " : "FAIL");
    return ok ? 0 : 1;
}
