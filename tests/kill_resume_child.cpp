// The training run that kill_resume_test.cpp SIGKILLs and resumes. It is part of ae_tests (so it
// costs no compile of its own), started as a child process by tests/main.cpp:
//   ae_tests --kill-resume-child <folder> <epochs>
// Trains a small denoising autoencoder with dropout (so layer Rngs matter) with Adam, writing a
// checkpoint every epoch to <folder>/ckpt-{epoch}.aec (keeping the last 3). It resumes from the
// newest checkpoint in <folder> if there is one, and saves the final model to <folder>/final.aem.
// Everything is seeded: any sequence of kills and resumes must end with the same final weights
// as one uninterrupted run. An epoch takes about 0.1 s (256 features, 4000 samples).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ae/ae.hpp"
#include "ae/io/checkpoint_file.hpp"
#include "ae/training/model_checkpoint.hpp"

int kill_resume_child_main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: ae_tests --kill-resume-child <folder> <epochs>\n");
        return 2;
    }
    const std::string folder = argv[1];
    const int epochs = std::atoi(argv[2]);
    try {
        ae::set_num_threads(1);
        // Data: points near a 4-dimensional manifold in [0, 1]^256.
        const ae::Index features = 256, samples = 4000;
        ae::Rng data_rng(11);
        ae::Matrix<float> codes(4, samples), mix(features, 4);
        data_rng.fill_uniform(codes, 0.0, 1.0);
        data_rng.fill_uniform(mix, 0.0, 0.5);
        const ae::Matrix<float> x = (mix * codes).cwiseMin(1.0f);

        using namespace ae;
        auto model = std::make_shared<Sequential<float>>(
            Shape{features},
            std::vector<LayerPtr<float>>{std::make_shared<GaussianNoise<float>>(0.1),
                                         std::make_shared<Dense<float>>(96, Activation::relu),
                                         std::make_shared<Dropout<float>>(0.2),
                                         std::make_shared<Dense<float>>(16, Activation::relu),
                                         std::make_shared<Dense<float>>(features, Activation::sigmoid)},
            7);
        model->compile(std::make_shared<Adam<float>>(1e-3), std::make_shared<BinaryCrossEntropy<float>>());

        const std::string pattern = folder + "/ckpt-{epoch}.aec";
        auto checkpoint = std::make_shared<ModelCheckpoint<float>>(pattern, 1, 3);
        const std::string resume = latest_checkpoint(pattern);
        std::printf("%s\n", resume.empty() ? "fresh start" : ("resuming from " + resume).c_str());
        std::fflush(stdout);
        model->fit(x, x, {.epochs = epochs, .batch_size = 32, .seed = 5, .verbose = 0, .resume_from = resume},
                   {checkpoint});
        save(*model, folder + "/final.aem");
        std::printf("done\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kill_resume_child: %s\n", e.what());
        return 1;
    }
}
