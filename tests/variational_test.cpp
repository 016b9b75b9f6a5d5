#include "ae/models/recipes/variational.hpp"

#include <filesystem>

#include "ae/training/kl_warm_up.hpp"
#include "ae/training/vae_loss_report.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {
}  // namespace

TEST_CASE("recipes::variational: layers, shapes and compiled loss", "[variational][recipes]") {
    auto [encoder, decoder, vae] = recipes::variational<float>(20, {16, 8}, 3);
    REQUIRE(encoder->size() == 4);  // Dense 16, Dense 8, Dense 6 = [μ; γ], Sampling
    auto stats = std::dynamic_pointer_cast<Dense<float>>(encoder->layer(2));
    REQUIRE(stats);
    REQUIRE(stats->units() == 6);
    REQUIRE(stats->activation() == Activation::linear);
    REQUIRE(std::dynamic_pointer_cast<Dense<float>>(encoder->layer(0))->activation() == Activation::relu);
    REQUIRE(vae->sampling() == encoder->layer(3));
    REQUIRE(vae->sampling()->beta() == 1.0);
    REQUIRE(encoder->output_shape() == Shape{3});
    REQUIRE(decoder->size() == 3);
    REQUIRE(std::dynamic_pointer_cast<Dense<float>>(decoder->layer(0))->units() == 8);
    REQUIRE(std::dynamic_pointer_cast<Dense<float>>(decoder->layer(2))->activation() == Activation::sigmoid);
    REQUIRE(vae->output_shape() == Shape{20});
    REQUIRE(vae->latent_dims() == 3);
    REQUIRE(vae->compiled());
    // The loss is BCE summed over features, averaged over the batch: 20× the mean BCE.
    const Matrix<float> x = manifold_data(20, 10, 1);
    const Matrix<float> p = vae->predict(x);
    REQUIRE(vae->loss()->value(p, x) == Approx(20 * BinaryCrossEntropy<float>().value(p, x)).epsilon(1e-5));
    REQUIRE(recipes::variational<float>(20, {16}, 3, 4.0).autoencoder->sampling()->beta() == 4.0);
    REQUIRE_THROWS_AS(recipes::variational<float>(20, {16}, 0), ConfigError);
    REQUIRE_THROWS_AS(recipes::variational<float>(20, {0}, 2), ConfigError);
    REQUIRE_THROWS_AS(recipes::variational<float>(20, {16}, 2, -1.0), ConfigError);
}

TEST_CASE("VariationalAutoencoder: encode_distribution gives (z, mu, log_var)", "[variational]") {
    auto vae = recipes::variational<float>(12, {10}, 2).autoencoder;
    const Matrix<float> x = manifold_data(12, 7, 2);
    const auto d = vae->encode_distribution(x);
    REQUIRE(d.z.rows() == 2);
    REQUIRE(d.z.cols() == 7);
    REQUIRE(d.mu.rows() == 2);
    REQUIRE(d.log_var.cols() == 7);
    // μ and log σ² are the two halves of the linear Dense(2L) output, computed by hand here.
    auto d1 = std::dynamic_pointer_cast<Dense<float>>(vae->encoder()->layer(0));
    auto d2 = std::dynamic_pointer_cast<Dense<float>>(vae->encoder()->layer(1));
    Matrix<float> h = ((d1->kernel() * x).colwise() + d1->bias().col(0)).cwiseMax(0.0f);
    const Matrix<float> stats = (d2->kernel() * h).colwise() + d2->bias().col(0);
    REQUIRE((d.mu - stats.topRows(2)).norm() < 1e-5);
    REQUIRE((d.log_var - stats.bottomRows(2)).norm() < 1e-5);
    // In inference z = μ (Sampling's default), and it is what the encoder outputs.
    REQUIRE((d.z - d.mu).norm() < 1e-6);
    REQUIRE((d.z - vae->encode(x)).norm() == 0);
}

TEST_CASE("VariationalAutoencoder: sample(n) decodes n prior draws into 0..1", "[variational]") {
    auto vae = recipes::variational<float>(12, {10}, 3).autoencoder;
    Rng rng(3);
    const Matrix<float> s = vae->sample(9, rng);
    REQUIRE(s.rows() == 12);
    REQUIRE(s.cols() == 9);
    REQUIRE((s.array() >= 0).all());
    REQUIRE((s.array() <= 1).all());
    // The same draws as decoding N(0, I) codings from the same Rng state.
    Rng again(3);
    Matrix<float> z(3, 9);
    again.fill_normal(z, 0.0, 1.0);
    REQUIRE((vae->decode(z) - s).norm() == 0);
    // Different draws give different samples.
    REQUIRE((vae->sample(9, rng) - s).norm() > 0);
    REQUIRE_THROWS_AS(vae->sample(0, rng), ConfigError);
}

TEST_CASE("VariationalAutoencoder: reconstruction + β·KL equals the evaluated loss", "[variational]") {
    auto vae = recipes::variational<float>(16, {12}, 2, 0.5).autoencoder;
    const Matrix<float> x = manifold_data(16, 50, 4);
    FitOptions<float> fo;
    fo.epochs = 3;
    fo.batch_size = 16;
    fo.verbose = 0;
    vae->fit(x, x, fo);  // trained weights: KL > 0
    const VAELossTerms t = vae->loss_terms(x, 16);
    INFO("reconstruction " << t.reconstruction << ", KL " << t.kl);
    REQUIRE(t.beta == 0.5);
    REQUIRE(t.kl > 0);
    REQUIRE(t.reconstruction > 0);
    REQUIRE(t.total() == Approx(vae->evaluate(x, x, 16)).epsilon(1e-5));
    // KL by hand from encode_distribution: −½ Σ (1 + γ − μ² − exp γ) per image.
    const auto d = vae->encode_distribution(x);
    const double kl =
        -0.5 * double((1 + d.log_var.array() - d.mu.array().square() - d.log_var.array().exp()).sum()) / 50;
    REQUIRE(t.kl == Approx(kl).epsilon(1e-4));
    // Reconstruction: BCE summed over pixels, mean over images, of the (z = μ) reconstructions.
    const Matrix<float> r = vae->reconstruct(x);
    const double bce = -double((x.array() * r.array().log() + (1 - x.array()) * (1 - r.array()).log()).sum()) / 50;
    REQUIRE(t.reconstruction == Approx(bce).epsilon(1e-3));
}

TEST_CASE("KLWarmUp: β ramps linearly over the first epochs, then stays", "[variational][callbacks]") {
    auto vae = recipes::variational<float>(10, {8}, 2).autoencoder;
    auto warm = std::make_shared<KLWarmUp<float>>(vae->sampling(), 4, 2.0);
    REQUIRE(warm->beta_at(0) == 0.0);
    REQUIRE(warm->beta_at(1) == 0.5);
    REQUIRE(warm->beta_at(3) == 1.5);
    REQUIRE(warm->beta_at(4) == 2.0);
    REQUIRE(warm->beta_at(9) == 2.0);
    // Inside fit: each epoch's β, seen by a report on the same data, follows the ramp.
    const Matrix<float> x = manifold_data(10, 32, 5);
    auto report = std::make_shared<VAELossReport<float>>(x);
    FitOptions<float> fo;
    fo.epochs = 6;
    fo.verbose = 0;
    const std::vector<double> ramp{0.0, 0.5, 1.0, 1.5, 2.0, 2.0};
    fo.validation_data = {x, x};
    const History h = vae->fit(x, x, fo, {warm, report});
    REQUIRE(warm->betas() == ramp);
    REQUIRE(report->history()["beta"] == ramp);
    REQUIRE(vae->sampling()->beta() == 2.0);
    // val_loss of each epoch is weighted with that epoch's β: reconstruction + β·KL.
    for (std::size_t e = 0; e < ramp.size(); ++e)
        REQUIRE(report->history()["reconstruction"][e] + ramp[e] * report->history()["kl"][e] ==
                Approx(h["val_loss"][e]).epsilon(1e-5));
    // The report is independent of the callbacks' order.
    auto report2 = std::make_shared<VAELossReport<float>>(x);
    vae->fit(x, x, fo, {report2, warm});
    REQUIRE(report2->history()["beta"] == ramp);
    // Zero warm-up epochs: the target from the start.
    REQUIRE(KLWarmUp<float>(vae->sampling(), 0, 0.7).beta_at(0) == 0.7);
    REQUIRE_THROWS_AS(KLWarmUp<float>(nullptr, 3), ConfigError);
    REQUIRE_THROWS_AS(KLWarmUp<float>(vae->sampling(), -1), ConfigError);
    REQUIRE_THROWS_AS(KLWarmUp<float>(vae->sampling(), 3, -1.0), ConfigError);
}

TEST_CASE("VAELossReport: per-epoch reconstruction and KL add up to val_loss", "[variational][callbacks]") {
    auto vae = recipes::variational<float>(16, {12}, 2).autoencoder;
    const Matrix<float> x = manifold_data(16, 96, 6);
    const Matrix<float> x_val = manifold_data(16, 40, 7);
    auto report = std::make_shared<VAELossReport<float>>(x_val, 64);
    FitOptions<float> fo;
    fo.epochs = 4;
    fo.batch_size = 16;
    fo.verbose = 0;
    fo.validation_data = {x_val, x_val};
    const History h = vae->fit(x, x, fo, {report});
    const auto& rec = report->history()["reconstruction"];
    const auto& kl = report->history()["kl"];
    REQUIRE(rec.size() == 4);
    REQUIRE(kl.size() == 4);
    for (std::size_t e = 0; e < 4; ++e) {
        INFO("epoch " << e);
        REQUIRE(rec[e] + kl[e] == Approx(h["val_loss"][e]).epsilon(1e-5));
        REQUIRE(kl[e] >= 0);
    }
    REQUIRE(rec.back() < rec.front());  // it learns to reconstruct
    // Only a VAE can be reported on.
    auto plain = recipes::vanilla<float>(16, {12}, 2).autoencoder;
    REQUIRE_THROWS_AS(plain->fit(x, x, fo, {report}), ConfigError);
    REQUIRE_THROWS_AS(VAELossReport<float>(x, 0), ConfigError);
}

TEST_CASE("VariationalAutoencoder: save/load keeps the type, β and the outputs", "[variational][io]") {
    auto vae = recipes::variational<float>(12, {10}, 2, 0.25, 8).autoencoder;
    const std::string path = test_path("variational_test", "vae.aem");
    save(*vae, path);
    auto loaded = load_as<float, VariationalAutoencoder<float>>(path);
    REQUIRE(loaded->type() == "VariationalAutoencoder");
    REQUIRE(loaded->sampling()->beta() == 0.25);
    REQUIRE(loaded->latent_dims() == 2);
    const Matrix<float> x = manifold_data(12, 9, 9);
    REQUIRE((loaded->predict(x).array() == vae->predict(x).array()).all());
    Rng a(5), b(5);
    REQUIRE((loaded->sample(4, a).array() == vae->sample(4, b).array()).all());
    loaded->compile(std::make_shared<Adam<float>>(),
                    std::make_shared<BinaryCrossEntropy<float>>(Reduction::sum_over_features));
    REQUIRE(loaded->evaluate(x, x) == vae->evaluate(x, x));
}

TEST_CASE("VariationalAutoencoder: an encoder without Sampling is rejected", "[variational][errors]") {
    auto enc =
        std::make_shared<Sequential<float>>(Shape{6}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(4)});
    auto dec =
        std::make_shared<Sequential<float>>(Shape{4}, std::vector<LayerPtr<float>>{std::make_shared<Dense<float>>(6)});
    AE_REQUIRE_THROWS(VariationalAutoencoder<float>(enc, dec), ConfigError, Catch::Matchers::Contains("Sampling"));
}
