// A linear autoencoder trained with MSE finds the PCA subspace (Baldi & Hornik, 1989).
#include <Eigen/SVD>
#include <cmath>
#include <numbers>

#include "gradient_check.hpp"

using namespace ae;
using namespace ae::testing;

TEST_CASE("A linear 3→2→3 autoencoder recovers the top-2 PCA subspace and PCA's error", "[pca][e2e]") {
    // 3-D data with standard deviations 3, 1.5, 0.3 along a random rotation, plus an offset.
    const Index n = 2000;
    Rng rng(17);
    Md raw(3, n);
    rng.fill_normal(raw, 0.0, 1.0);
    raw.row(0) *= 3.0;
    raw.row(1) *= 1.5;
    raw.row(2) *= 0.3;
    Md q = Eigen::HouseholderQR<Md>(random_matrix(3, 3, 18)).householderQ();
    Md x = (q * raw).colwise() + Eigen::Vector3d(1.0, -2.0, 0.5);

    // PCA by SVD of the centred data.
    Eigen::Vector3d mean = x.rowwise().mean();
    Md centred = x.colwise() - mean;
    Eigen::JacobiSVD<Md> svd(centred, Eigen::ComputeThinU);
    Md top2 = svd.matrixU().leftCols(2);
    Md pca_recon = (top2 * (top2.transpose() * centred)).colwise() + mean;
    const double pca_mse = (pca_recon - x).squaredNorm() / double(x.size());

    auto encoder = std::make_shared<Dense<double>>(2);
    auto decoder = std::make_shared<Dense<double>>(3);
    Sequential<double> model(Shape{3}, {encoder, decoder}, 5);
    model.compile(std::make_shared<Adam<double>>(0.01), std::make_shared<MSE<double>>());
    model.fit(x, x, {.epochs = 150, .batch_size = 64, .verbose = 0});
    model.compile(std::make_shared<Adam<double>>(0.001), std::make_shared<MSE<double>>());
    model.fit(x, x, {.epochs = 100, .batch_size = 64, .seed = 1, .verbose = 0});

    // Principal angles between span(decoder kernel) and span(top-2 PCs): cosines are the
    // singular values of Q1ᵀ Q2 for orthonormal bases Q1, Q2.
    Md basis = Eigen::HouseholderQR<Md>(decoder->kernel()).householderQ() * Md::Identity(3, 2);
    Eigen::JacobiSVD<Md> angles(basis.transpose() * top2);
    const double smallest_cos = std::min(1.0, angles.singularValues().minCoeff());
    const double largest_angle_deg = std::acos(smallest_cos) * 180.0 / std::numbers::pi;
    const double ae_mse = model.evaluate(x, x);
    INFO("largest principal angle " << largest_angle_deg << "°, AE MSE " << ae_mse << ", PCA MSE " << pca_mse);
    REQUIRE(largest_angle_deg < 1.0);
    REQUIRE(ae_mse <= pca_mse * 1.01);
    REQUIRE(ae_mse >= pca_mse * 0.999);  // PCA is optimal among rank-2 linear maps
}
