#include "ae/analysis/tsne.hpp"

#include <chrono>
#include <cmath>

#include "ae/analysis/neighbours.hpp"
#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using Catch::Matchers::Contains;

namespace {

/// `clusters` Gaussian blobs of `per_cluster` points in `dims` dimensions: centres drawn with
/// standard deviation `spread`, points around them with standard deviation 1. Column order is
/// cluster by cluster; labels[i] is point i's cluster.
Matrix<double> tsne_test_blobs(Index clusters, Index per_cluster, Index dims, double spread, std::uint64_t seed,
                               std::vector<int>& labels) {
    Rng rng(seed);
    Matrix<double> centres(dims, clusters), x(dims, clusters * per_cluster);
    rng.fill_normal(centres, 0.0, spread);
    labels.clear();
    for (Index c = 0; c < clusters; ++c)
        for (Index i = 0; i < per_cluster; ++i) {
            for (Index d = 0; d < dims; ++d) x(d, c * per_cluster + i) = centres(d, c) + rng.normal();
            labels.push_back(int(c));
        }
    return x;
}

}  // namespace

TEST_CASE("tsne: each conditional P row has the entropy ln(perplexity)", "[tsne]") {
    std::vector<int> labels;
    const Matrix<double> x = tsne_test_blobs(4, 60, 10, 5.0, 7, labels);
    for (double perplexity : {5.0, 30.0, 100.0}) {
        INFO("perplexity " << perplexity);
        std::vector<double> betas;
        Matrix<double> cond;
        const Matrix<double> p = tsne_affinities(x, perplexity, 1e-6, &betas, &cond);
        double worst = 0;
        for (Index i = 0; i < x.cols(); ++i) {
            const auto row = cond.col(i).array();
            REQUIRE(row(i) == 0.0);
            REQUIRE(row.sum() == Approx(1.0).epsilon(1e-12));
            const double h = -(row > 0).select(row * row.max(1e-300).log(), 0.0).sum();
            worst = std::max(worst, std::abs(h - std::log(perplexity)));
            REQUIRE(betas[std::size_t(i)] > 0);
        }
        REQUIRE(worst < 1e-5);
        // The joint P is symmetric, has a zero diagonal and sums to 1 (up to its 1e-12 floor).
        REQUIRE((p - p.transpose()).cwiseAbs().maxCoeff() == 0.0);
        REQUIRE(p.diagonal().cwiseAbs().maxCoeff() == 0.0);
        REQUIRE(p.sum() == Approx(1.0).margin(1e-12 * double(x.cols() * x.cols())));
    }
}

TEST_CASE("tsne: the entropy search handles huge and tiny distance scales", "[tsne]") {
    std::vector<int> labels;
    for (double scale : {1e-6, 1e6}) {
        INFO("scale " << scale);
        const Matrix<double> x = tsne_test_blobs(3, 30, 5, 5.0, 3, labels) * scale;
        Matrix<double> cond;
        tsne_affinities(x, 10.0, 1e-6, nullptr, &cond);
        for (Index i = 0; i < x.cols(); ++i) {
            const auto row = cond.col(i).array();
            const double h = -(row > 0).select(row * row.max(1e-300).log(), 0.0).sum();
            REQUIRE(h == Approx(std::log(10.0)).margin(1e-5));
        }
    }
}

TEST_CASE("tsne: the gradient matches finite differences of the KL divergence", "[tsne]") {
    std::vector<int> labels;
    const Matrix<double> x = tsne_test_blobs(3, 10, 4, 3.0, 11, labels);
    const Matrix<double> p = tsne_affinities(x, 5.0);
    Rng rng(5);
    Matrix<double> y(x.cols(), 2);
    rng.fill_normal(y, 0.0, 1.0);
    TsneGradient g;
    tsne_gradient(p, y, 1.0, true, g);
    const Matrix<double> analytic = g.grad;
    const double h = 1e-6;
    double worst = 0;
    for (Index i = 0; i < y.rows(); ++i)
        for (Index c = 0; c < y.cols(); ++c) {
            Matrix<double> yp = y, ym = y;
            yp(i, c) += h;
            ym(i, c) -= h;
            tsne_gradient(p, yp, 1.0, true, g);
            const double kp = g.kl;
            tsne_gradient(p, ym, 1.0, true, g);
            const double numeric = (kp - g.kl) / (2 * h);
            worst = std::max(worst, std::abs(numeric - analytic(i, c)) / std::max(1e-3, std::abs(numeric)));
        }
    INFO("worst relative error " << worst);
    REQUIRE(worst < 1e-5);
    // KL of a map is never negative.
    tsne_gradient(p, y, 1.0, true, g);
    REQUIRE(g.kl > 0);
}

TEST_CASE("tsne: 5 Gaussian clusters in 30-D keep 95% of their 10 nearest neighbours", "[tsne]") {
    std::vector<int> labels;
    const Matrix<double> x = tsne_test_blobs(5, 100, 30, 4.0, 2024, labels);
    // The clusters are separable in 30-D: the check below measures what t-SNE keeps.
    REQUIRE(knn_label_agreement(x, labels, 10).mean > 0.99);

    TsneOptions opt;
    opt.perplexity = 30;
    opt.report_every = 50;
    const auto t0 = std::chrono::steady_clock::now();
    const TsneResult r = tsne(x, opt);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(r.embedding.rows() == 2);
    REQUIRE(r.embedding.cols() == 500);
    REQUIRE(r.embedding.allFinite());

    const NeighbourAgreement a = knn_label_agreement(r.embedding, labels, 10);
    WARN("tsne 500 points: 10-NN same-cluster share mean " << a.mean << ", worst point " << a.worst << ", KL "
                                                          << r.kl_divergence << ", " << seconds << " s");
    REQUIRE(a.mean >= 0.95);
    // After the exaggeration phase the KL divergence goes down, not up.
    REQUIRE(r.kl_history.size() == 20);
    REQUIRE(r.kl_history.back().second < r.kl_history[5].second);
    REQUIRE(r.kl_divergence == Approx(r.kl_history.back().second).epsilon(0.05));
}

TEST_CASE("tsne: the same seed gives the same map, another seed another", "[tsne]") {
    std::vector<int> labels;
    const Matrix<float> x = tsne_test_blobs(3, 20, 6, 5.0, 9, labels).cast<float>();
    TsneOptions opt;
    opt.perplexity = 10;
    opt.iterations = 120;
    opt.exaggeration_iterations = 50;
    const TsneResult a = tsne(x, opt), b = tsne(x, opt);
    REQUIRE(a.embedding == b.embedding);
    opt.seed = 43;
    REQUIRE(tsne(x, opt).embedding != a.embedding);
    opt.dims = 3;
    REQUIRE(tsne(x, opt).embedding.rows() == 3);
}

TEST_CASE("tsne: bad inputs and hyperparameters name what was expected", "[tsne][errors]") {
    const Matrix<float> x = Matrix<float>::Random(4, 20);
    TsneOptions opt;
    opt.perplexity = 20;
    AE_REQUIRE_THROWS(tsne(x, opt), ConfigError, Contains("perplexity must be in [1, N) with N = 20") && Contains("20.0"));
    opt.perplexity = 5;
    opt.dims = 0;
    AE_REQUIRE_THROWS(tsne(x, opt), ConfigError, Contains("dims must be 1, 2 or 3, got 0"));
    opt.dims = 2;
    opt.learning_rate = -1;
    AE_REQUIRE_THROWS(tsne(x, opt), ConfigError, Contains("learning_rate must be > 0"));
    opt.learning_rate = 200;
    opt.final_momentum = 1.0;
    AE_REQUIRE_THROWS(tsne(x, opt), ConfigError, Contains("momenta must be in [0, 1)"));
    opt.final_momentum = 0.8;
    AE_REQUIRE_THROWS(tsne(Matrix<float>(Matrix<float>::Zero(4, 1)), opt), ShapeError,
                      Contains("at least 2 points") && Contains("got 1"));
    Matrix<float> bad = x;
    bad(0, 3) = std::nanf("");
    AE_REQUIRE_THROWS(tsne(bad, opt), ConfigError, Contains("NaN"));
    Matrix<double> y(20, 2);
    TsneGradient g;
    AE_REQUIRE_THROWS(tsne_gradient(Matrix<double>::Zero(19, 19), y, 1.0, false, g), ShapeError,
                      Contains("expected P of 20 x 20") && Contains("got 19 x 19"));
}

TEST_CASE("knn_label_agreement counts same-label neighbours and checks its inputs", "[tsne]") {
    // Points on a line: 0 1 2 | 10 11 12, labels a a b | b b b.
    Matrix<double> pts(1, 6);
    pts << 0, 1, 2, 10, 11, 12;
    const std::vector<int> labels{0, 0, 1, 1, 1, 1};
    const NeighbourAgreement a = knn_label_agreement(pts, labels, 2);
    // point 0: neighbours 1 (same), 2 (other) → 0.5; point 1: 0, 2 → 0.5; point 2: 1, 0 → 0;
    // points 3-5: neighbours among 3-5 → 1.
    REQUIRE(a.per_point == std::vector<double>{0.5, 0.5, 0.0, 1.0, 1.0, 1.0});
    REQUIRE(a.mean == Approx(4.0 / 6.0));
    REQUIRE(a.worst == 0.0);
    AE_REQUIRE_THROWS(knn_label_agreement(pts, labels, 6), ConfigError, Contains("k must be in [1, N) with N = 6"));
    AE_REQUIRE_THROWS(knn_label_agreement(pts, {0, 1}, 2), ShapeError, Contains("one label per point (6), got 2"));
}
