// docs/checkpoints.md: a run that writes a checkpoint every epoch and resumes from the newest
// one. The program trains to the end once, deletes the last two checkpoints (what a kill during
// epoch 49 would have left), runs the same code again on a freshly initialised model, and checks
// that the resumed run ends with the same weights and History, bit for bit.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "ae/ae.hpp"
#include "ae/io/checkpoint_file.hpp"
#include "ae/training/model_checkpoint.hpp"

ae::History train(const std::shared_ptr<ae::Autoencoder<float>>& model, const ae::Matrix<float>& x) {
    std::filesystem::create_directories("run");  // ModelCheckpoint writes into an existing folder
    const std::string pattern = "run/ckpt-{epoch}.aec";
    auto checkpoint = std::make_shared<ae::ModelCheckpoint<float>>(pattern, /*every_n_epochs=*/1, /*keep_last_n=*/3);
    return model->fit(x, x, {.epochs = 50, .seed = 1, .verbose = 0,
                             .resume_from = ae::latest_checkpoint(pattern)},  // "" the first time
                      {checkpoint});
}

int main() {
    ae::set_num_threads(1);  // a resumed run repeats the arithmetic at the same thread count
    ae::Rng rng(3);
    ae::Matrix<float> x(16, 64);
    rng.fill_uniform(x, 0.0, 1.0);
    std::filesystem::remove_all("run");  // from an earlier run of this program

    auto uninterrupted = ae::recipes::vanilla<float>(16, {8}, 4, /*seed=*/42).autoencoder;
    const ae::History full = train(uninterrupted, x);  // epochs 1..50; checkpoints 48, 49, 50 are kept

    std::filesystem::remove("run/ckpt-000050.aec");
    std::filesystem::remove("run/ckpt-000049.aec");
    auto restarted = ae::recipes::vanilla<float>(16, {8}, 4, /*seed=*/9).autoencoder;  // other initial weights
    const ae::History resumed = train(restarted, x);  // restores epoch 48, runs 49 and 50

    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
        if (!ok) ++failures;
    };
    check(full.epochs() == 50 && resumed.epochs() == 50, "both runs end after 50 epochs");
    check(resumed["loss"] == full["loss"], "the resumed History equals the uninterrupted one");
    check(restarted->predict(x) == uninterrupted->predict(x), "the resumed weights equal the uninterrupted ones");
    check(ae::latest_checkpoint("run/ckpt-{epoch}.aec") == "run/ckpt-000050.aec" &&
              !std::filesystem::exists("run/ckpt-000047.aec"),
          "keep_last_n = 3 keeps the newest three");
    return failures == 0 ? 0 : 1;
}
