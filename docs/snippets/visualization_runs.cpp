// docs/visualization.md: several training runs on one loss chart.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ae/ae.hpp"

int main() {
    ae::Rng rng(7);
    ae::Matrix<float> x(16, 512);
    rng.fill_uniform(x, 0.0, 1.0);
    const ae::Matrix<float> x_val = x.rightCols(128), x_train = x.leftCols(384);

    std::vector<ae::io::Run> runs;
    for (int latent : {2, 8}) {
        auto [encoder, decoder, model] = ae::recipes::vanilla<float>(16, {12}, latent, 42);
        runs.push_back({"latent " + std::to_string(latent),
                        model->fit(x_train, x_train, {.epochs = 5, .validation_data = {x_val, x_val}, .verbose = 0})});
    }
    // One colour per run: "loss" solid, "val_loss" dashed in the same colour.
    ae::io::save_runs("runs.png", runs, "Latent size", "loss");

    // Any per-epoch numbers work too, through Series (dashed is optional).
    ae::io::save_loss_curves("curves.png",
                             {{"train", runs[0].history["loss"]}, {"val", runs[0].history["val_loss"], {}, true}},
                             "latent 2", "epoch", "BCE");

    const bool ok = runs.size() == 2 && runs[1].history["val_loss"].size() == 5 &&
                    std::filesystem::file_size("runs.png") > 0 && std::filesystem::file_size("curves.png") > 0;
    std::printf("%s runs.png and curves.png written\n", ok ? "ok  " : "FAIL");
    return ok ? 0 : 1;
}
