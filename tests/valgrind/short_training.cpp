// A short training run of one model kind, for valgrind memcheck (scripts/valgrind.sh): the
// benchmark's model (benchmarks/bench_models.hpp), 3 batches of synthetic data in [0, 1], one
// epoch, then predict and a save/load round trip. Small enough to finish under memcheck.
//   short_training MODEL [scratch_dir]        MODEL: vanilla sparse tied vae stacked conv
//                                             conv_book lstm gru
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "../../benchmarks/bench_models.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: short_training MODEL [scratch_dir]\n";
        return 2;
    }
    const std::string name = argv[1];
    try {
        auto model = bench::make_model(name);
        if (!model) {
            std::cerr << "short_training: unknown model '" << name << "'\n";
            return 2;
        }
        constexpr ae::Index batch = 8, batches = 3;
        ae::Matrix<float> x(model->input_shape().size(), batch * batches);
        ae::Rng rng(7);
        rng.fill_uniform(x, 0.0, 1.0);
        ae::FitOptions<float> options;
        options.epochs = 1;
        options.batch_size = batch;
        options.verbose = 0;
        const ae::History history = model->fit(x, x, options);
        const ae::Matrix<float> y = model->predict(x, batch);

        const std::filesystem::path dir = argc > 2 ? argv[2] : std::filesystem::temp_directory_path().string();
        const std::string file = (dir / ("short_training_" + name + ".aem")).string();
        ae::save(*model, file);
        auto loaded = ae::load<float>(file);
        ae::Matrix<float> y2;
        loaded->forward(x, y2, ae::Mode::inference);
        std::filesystem::remove(file);
        const bool same = (y2.array() == y.array()).all();
        std::cout << "short_training " << name << ": " << batches << " batches of " << batch << ", params "
                  << model->count_params() << ", reloaded model " << (same ? "matches" : "DIFFERS") << "\n";
        return same && y.allFinite() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "short_training " << name << ": " << e.what() << "\n";
        return 1;
    }
}
