// t-SNE of an autoencoder's codings, as the classic chapter visualises its 30-D latent space.
// Trains the stacked MNIST autoencoder 784-100-30 (selu, sigmoid output, Adam, BCE), encodes
// --points test images, maps the 30-D codings to 2-D with exact t-SNE (ae::tsne) and measures how
// many of each image's 10 nearest neighbours show the same digit, in the codings and in the map.
// Writes, under --out:
//   tsne_codings.png    the t-SNE map coloured by digit
//   codings_pca.png     the same codings on their first two principal axes, for comparison
//   loss.png            train and validation BCE per epoch
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <Eigen/Eigenvalues>

#include "ae/ae.hpp"
#include "ae/analysis/neighbours.hpp"
#include "ae/analysis/tsne.hpp"
#include "example_args.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The columns of x projected on the two directions of largest variance: 2 × N.
ae::Matrix<float> first_two_principal_components(const ae::Matrix<float>& x) {
    const Eigen::MatrixXd centred = x.cast<double>().colwise() - x.cast<double>().rowwise().mean();
    const Eigen::MatrixXd cov = centred * centred.transpose() / double(x.cols() - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);  // eigenvalues ascending
    const Eigen::MatrixXd axes = eig.eigenvectors().rightCols(2).rowwise().reverse();
    return (axes.transpose() * centred).cast<float>();
}

}  // namespace

int main(int argc, char** argv) {
    ae_examples::Args args(argc, argv,
                           "usage: tsne_codings [--data DIR] [--epochs N] [--batch-size N] [--threads N] [--seed N]\n"
                           "                    [--points N] [--perplexity X] [--iterations N] [--out DIR]\n"
                           "  --points N      test images to map (default 5000; exact t-SNE is O(N^2))\n"
                           "  --perplexity X  effective neighbours per point (default 30)\n"
                           "  --iterations N  t-SNE gradient steps (default 1000)");
    const auto [data_dir, epochs, batch_size, threads, seed, out] = ae_examples::common_flags(args, "tsne_codings", 10);
    const long points = args.get_int("points", 5000);
    const double perplexity = args.get_double("perplexity", 30);
    const int iterations = int(args.get_int("iterations", 1000));
    args.done();

    try {
        ae::set_num_threads(threads);
        std::filesystem::create_directories(out);
        auto mnist = ae::data::load_mnist<float>(data_dir);
        const auto& x_train = mnist.train.x;
        const auto& x_test = mnist.test.x;
        if (points < 20 || points > x_test.cols())
            throw ae::ConfigError("--points must be in 20.." + std::to_string(x_test.cols()) + ", got " +
                                  std::to_string(points));

        // The book's stacked autoencoder: 784 → 100 → 30 → 100 → 784.
        using ae::Activation;
        auto [encoder, decoder, autoencoder] = ae::recipes::assemble<float>(
            ae::Shape{784},
            {std::make_shared<ae::Dense<float>>(100, Activation::selu),
             std::make_shared<ae::Dense<float>>(30, Activation::selu)},
            {std::make_shared<ae::Dense<float>>(100, Activation::selu),
             std::make_shared<ae::Dense<float>>(784, Activation::sigmoid)},
            std::uint64_t(seed));
        autoencoder->compile(std::make_shared<ae::Adam<float>>(), std::make_shared<ae::BinaryCrossEntropy<float>>());
        std::printf("%s", autoencoder->summary().c_str());
        auto t0 = std::chrono::steady_clock::now();
        auto history = autoencoder->fit(x_train, x_train,
                                        {.epochs = epochs, .batch_size = batch_size, .seed = std::uint64_t(seed),
                                         .validation_data = {x_test, x_test}});
        std::printf("training: %.1f s\n", seconds_since(t0));

        const ae::Matrix<float> codings = encoder->predict(x_test.leftCols(points));  // 30 × N
        const std::vector<int> labels(mnist.test.labels.begin(), mnist.test.labels.begin() + points);

        ae::TsneOptions opt;
        opt.perplexity = perplexity;
        opt.iterations = iterations;
        opt.seed = std::uint64_t(seed);
        opt.report_every = 100;
        t0 = std::chrono::steady_clock::now();
        const ae::TsneResult map = ae::tsne(codings, opt);
        const double tsne_seconds = seconds_since(t0);
        for (const auto& [it, kl] : map.kl_history) std::printf("t-SNE iteration %4d: KL %.4f\n", it, kl);
        std::printf("t-SNE of %ld codings: %.1f s, final KL %.4f, mean sigma %.3f\n", points, tsne_seconds,
                    map.kl_divergence, map.mean_sigma);

        const ae::NeighbourAgreement in_codings = ae::knn_label_agreement(codings, labels, 10);
        const ae::NeighbourAgreement in_map = ae::knn_label_agreement(map.embedding, labels, 10);
        std::printf("10 nearest neighbours with the same digit: %.1f%% in the 30-D codings, %.1f%% in the t-SNE map\n",
                    100 * in_codings.mean, 100 * in_map.mean);

        const std::string title = "t-SNE of 30-D codings, " + std::to_string(points) + " MNIST test images";
        ae::io::save_scatter(out + "/tsne_codings.png", map.embedding, labels, title, "t-SNE 1", "t-SNE 2", 720, 600, 1);
        ae::io::save_scatter(out + "/codings_pca.png", first_two_principal_components(codings), labels,
                             "30-D codings on their first two principal axes", "PC 1", "PC 2", 720, 600, 1);
        ae::io::save_runs(out + "/loss.png", {{"784-100-30", history}}, "Stacked autoencoder on MNIST");
        std::printf("wrote %s/{tsne_codings.png, codings_pca.png, loss.png}\n", out.c_str());
    } catch (const ae::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
