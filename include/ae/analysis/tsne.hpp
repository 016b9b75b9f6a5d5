#pragma once
// Exact t-SNE (van der Maaten & Hinton, "Visualizing Data using t-SNE", JMLR 9, 2008): a 2-D
// (or 1-/3-D) map of high-dimensional points, e.g. an autoencoder's 30-D codings, in which
// points that are neighbours in the input stay neighbours.
//
//   Input similarities. For each point i a Gaussian over the others,
//       p_{j|i} = exp(-β_i ‖x_i − x_j‖²) / Σ_{k≠i} exp(-β_i ‖x_i − x_k‖²),
//   with the precision β_i found by bisection so that the entropy H(P_i) = −Σ_j p_{j|i} ln p_{j|i}
//   equals ln(perplexity): every point gets about `perplexity` effective neighbours, whatever the
//   local density. Then p_ij = (p_{j|i} + p_{i|j}) / 2N (symmetric, sums to 1).
//   Map similarities. A Student-t with one degree of freedom, q_ij = w_ij / Z with
//       w_ij = 1 / (1 + ‖y_i − y_j‖²),  Z = Σ_{k≠l} w_kl;
//   its heavy tail lets moderately distant points sit far apart (the "crowding problem").
//   Gradient of KL(P‖Q):
//       ∂C/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j)
//               = 4 [ Σ_j p_ij w_ij (y_i − y_j) − (1/Z) Σ_j w_ij² (y_i − y_j) ],
//   the second form needing Z only at the end, so one pass over the pairs gives Z and both sums.
//   Optimisation as in the paper: gradient descent with momentum (0.5, then 0.8), per-coordinate
//   gains (Jacobs 1988: +0.2 when the gradient changes sign against the update, ×0.8 otherwise,
//   never below min_gain) and early exaggeration (P × 12 for the first 250 iterations, as
//   scikit-learn and openTSNE do), which lets clusters form before they settle.
//
// Cost: O(N²) time per iteration and O(N²) memory for P (N = 5,000 takes 200 MB in double).
// Points are the columns of x (ae's layout); the embedding is dims × N, column j for point j.
//   ae::TsneOptions opt; opt.perplexity = 30;
//   ae::TsneResult r = ae::tsne(codings, opt);   // r.embedding: 2 × N
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/parallel_product.hpp"
#include "ae/core/rng.hpp"

namespace ae {

/// t-SNE hyperparameters; defaults follow the paper and scikit-learn's exact method.
struct TsneOptions {
    Index dims = 2;                    ///< embedding dimensions (1-3 make sense for pictures)
    double perplexity = 30;            ///< effective neighbours per point; must be < N
    int iterations = 1000;             ///< gradient steps in all
    double learning_rate = 200;        ///< step size η
    double early_exaggeration = 12;    ///< P is multiplied by this during the first exaggeration_iterations
    int exaggeration_iterations = 250; ///< also when momentum switches from initial to final
    double initial_momentum = 0.5;
    double final_momentum = 0.8;
    double min_gain = 0.01;
    double initial_stddev = 1e-4;      ///< Y starts as N(0, initial_stddev²), as in the paper
    std::uint64_t seed = 42;
    int report_every = 0;              ///< > 0: record the KL divergence every this many iterations
    double perplexity_tolerance = 1e-5; ///< |H(P_i) − ln perplexity| at which the bisection stops
};

/// What tsne returns.
struct TsneResult {
    Matrix<double> embedding;              ///< dims × N, one column per input point
    double kl_divergence = 0;              ///< KL(P‖Q) at the end (without exaggeration)
    std::vector<std::pair<int, double>> kl_history;  ///< (iteration, KL) every report_every iterations
    double mean_sigma = 0;                 ///< mean Gaussian width σ_i = 1/√(2β_i) found by the search
};

namespace detail {

/// Squared Euclidean distances from the points in columns [begin, begin + n) of x to all points:
/// out is N × n, out(j, c) = ‖x_j − x_{begin+c}‖² (clamped at 0 against rounding).
inline void tsne_squared_distances(const Matrix<double>& x, const Eigen::VectorXd& sq_norms, Index begin, Index n,
                                   Matrix<double>& out) {
    out.resize(x.cols(), n);
    out.noalias() = x.transpose() * x.middleCols(begin, n);  // Gram block: N × n
    out = ((-2.0 * out).colwise() + sq_norms).rowwise() + sq_norms.segment(begin, n).transpose();
    out = out.cwiseMax(0.0);
}

/// The conditional distribution p_{·|i} for one point: given its squared distances d (the entry
/// at i itself is ignored), find β by bisection so that the entropy matches log_perplexity, and
/// write the probabilities into p (p[i] = 0). Returns β.
inline double tsne_calibrate_row(const Eigen::Ref<const Eigen::ArrayXd>& d, Index i, double log_perplexity,
                                 double tolerance, Eigen::Ref<Eigen::ArrayXd> p) {
    // Shift by the smallest distance to the others so the largest exp is 1: no underflow of the
    // whole row when β is large. The shift cancels in the normalisation.
    double d_min = std::numeric_limits<double>::infinity();
    for (Index j = 0; j < d.size(); ++j)
        if (j != i) d_min = std::min(d_min, d[j]);
    double beta = 1.0, lo = 0.0, hi = std::numeric_limits<double>::infinity();
    // Scale the start to the data: β ≈ 1 / mean distance avoids dozens of doubling steps when
    // distances are huge or tiny.
    const double mean_d = (d.sum() - d[i]) / double(d.size() - 1) - d_min;
    if (mean_d > 0 && std::isfinite(mean_d)) beta = 1.0 / mean_d;
    for (int step = 0; step < 200; ++step) {
        p = (-beta * (d - d_min)).exp();
        p[i] = 0;
        const double sum = p.sum();
        // H = ln Σ + β Σ_j p_j (d_j − d_min) with p normalised.
        const double h = std::log(sum) + beta * (p * (d - d_min)).sum() / sum;
        p /= sum;
        const double diff = h - log_perplexity;
        if (std::abs(diff) < tolerance) break;
        if (diff > 0) {  // too flat: sharpen
            lo = beta;
            beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
            hi = beta;
            beta = (beta + lo) / 2;
        }
    }
    return beta;
}

}  // namespace detail

/// The symmetric input affinities P (N × N, zero diagonal, summing to 1) for the points in the
/// columns of x, each row's conditional calibrated to `perplexity`. betas, when given, receives
/// each point's precision β_i. Exposed for tests and for callers who want to reuse P.
template <class S>
Matrix<double> tsne_affinities(const Matrix<S>& x, double perplexity, double tolerance = 1e-5,
                               std::vector<double>* betas = nullptr, Matrix<double>* conditional = nullptr) {
    const Index n = x.cols();
    if (n < 2) throw ShapeError("tsne: expected at least 2 points (columns), got " + std::to_string(n));
    if (x.rows() < 1) throw ShapeError("tsne: expected points of at least 1 feature, got 0 rows");
    if (!(perplexity >= 1) || !(perplexity < double(n)))
        throw ConfigError("tsne: perplexity must be in [1, N) with N = " + std::to_string(n) + " points, got " +
                          std::to_string(perplexity));
    if (!(tolerance > 0)) throw ConfigError("tsne: perplexity tolerance must be > 0, got " + std::to_string(tolerance));
    if (!x.allFinite()) throw ConfigError("tsne: the input holds NaN or infinite values");

    const Matrix<double> xd = x.template cast<double>();
    const Eigen::VectorXd sq_norms = xd.colwise().squaredNorm().transpose();
    Matrix<double> p(n, n);  // column i: p_{·|i}, then the symmetric P
    std::vector<double> beta(static_cast<std::size_t>(n));
    const double log_perplexity = std::log(perplexity);
    const Index block = 256;
    const Index blocks = (n + block - 1) / block;
    const int threads = n < 512 ? 1 : max_threads();
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (Index b = 0; b < blocks; ++b) {
        const Index begin = b * block, count = std::min(block, n - begin);
        Matrix<double> d;
        detail::tsne_squared_distances(xd, sq_norms, begin, count, d);
        for (Index c = 0; c < count; ++c) {
            const Index i = begin + c;
            beta[std::size_t(i)] =
                detail::tsne_calibrate_row(d.col(c).array(), i, log_perplexity, tolerance, p.col(i).array());
        }
    }
    if (conditional) *conditional = p;
    // Symmetrise: p_ij = (p_{j|i} + p_{i|j}) / 2N, with a floor as in the reference code, so the
    // KL divergence never takes log 0.
    const double inv = 1.0 / (2.0 * double(n));
    for (Index i = 0; i < n; ++i) {
        p(i, i) = 0;
        for (Index j = i + 1; j < n; ++j) {
            const double v = std::max((p(j, i) + p(i, j)) * inv, 1e-12);
            p(j, i) = v;
            p(i, j) = v;
        }
    }
    if (betas) *betas = std::move(beta);
    return p;
}

/// The gradient of t-SNE's cost C = KL(P‖Q) with respect to the map points, and C itself.
struct TsneGradient {
    Matrix<double> grad;     ///< N × dims, ∂C/∂y_i in row i
    double z = 0;            ///< Z = Σ_{k≠l} w_kl
    double kl = 0;           ///< KL(P‖Q) (of the true P, without exaggeration), when asked for
    Matrix<double> attract;  ///< N × dims working space: Σ_j p_ij w_ij (y_i − y_j)
    Matrix<double> repulse;  ///< N × dims working space: Σ_j w_ij² (y_i − y_j)
};

/// One pass over all pairs of map points y (N × dims, one point per row) with affinities p
/// (N × N, as tsne_affinities gives): out.grad = ∂C/∂Y with P multiplied by `exaggeration`, and,
/// when want_kl, out.kl = KL(P‖Q) (it costs a log per pair). Rows are split across ae's threads;
/// each thread writes only its own rows, so no locking is needed.
inline void tsne_gradient(const Matrix<double>& p, const Matrix<double>& y, double exaggeration, bool want_kl,
                          TsneGradient& out) {
    const Index n = y.rows(), k = y.cols();
    if (p.rows() != n || p.cols() != n)
        throw ShapeError("tsne_gradient: expected P of " + std::to_string(n) + " x " + std::to_string(n) +
                         " for " + std::to_string(n) + " map points, got " + std::to_string(p.rows()) + " x " +
                         std::to_string(p.cols()));
    out.attract.resize(n, k);
    out.repulse.resize(n, k);
    double z = 0, p_log_w = 0, p_log_p = 0;
    const int threads = n < 256 ? 1 : max_threads();
#pragma omp parallel num_threads(threads) reduction(+ : z, p_log_w, p_log_p)
    {
        Eigen::ArrayXd w(n), pw(n), w2(n);
#pragma omp for schedule(static)
        for (Index i = 0; i < n; ++i) {
            // w_j = 1 / (1 + ‖y_i − y_j‖²): an n-vector with w_i = 1.
            w.setOnes();
            for (Index c = 0; c < k; ++c) w += (y.col(c).array() - y(i, c)).square();
            w = w.inverse();
            const auto pi = p.col(i).array();  // P is symmetric: column i is row i
            if (want_kl) {
                p_log_w += (pi * w.log()).sum();
                p_log_p += (pi > 0).select(pi * pi.max(1e-300).log(), 0.0).sum();
            }
            pw = pi * w;  // p_ij w_ij (p_ii = 0)
            w2 = w.square();
            w2[i] = 0;
            z += w.sum() - 1.0;  // leave out w_ii
            const double spw = pw.sum(), sw2 = w2.sum();
            for (Index c = 0; c < k; ++c) {
                // Σ_j a_j (y_i − y_j) = y_i Σ_j a_j − Σ_j a_j y_j
                out.attract(i, c) = y(i, c) * spw - (pw * y.col(c).array()).sum();
                out.repulse(i, c) = y(i, c) * sw2 - (w2 * y.col(c).array()).sum();
            }
        }
    }
    out.z = z;
    out.grad = 4.0 * (exaggeration * out.attract - out.repulse / z);
    // KL = Σ p log p − Σ p log q, with log q_ij = log w_ij − log Z and Σ p = 1.
    out.kl = want_kl ? p_log_p - p_log_w + std::log(z) * p.sum() : 0.0;
}

/// Exact t-SNE of the columns of x (features × N). See the top of this file for the method.
/// ConfigError on bad hyperparameters (perplexity ≥ N, non-positive learning rate ...), ShapeError
/// on fewer than 2 points.
template <class S>
TsneResult tsne(const Matrix<S>& x, const TsneOptions& opt = {}) {
    const std::string who = "tsne";
    if (opt.dims < 1 || opt.dims > 3)
        throw ConfigError(who + ": dims must be 1, 2 or 3, got " + std::to_string(opt.dims));
    if (opt.iterations < 1) throw ConfigError(who + ": iterations must be >= 1, got " + std::to_string(opt.iterations));
    if (!(opt.learning_rate > 0))
        throw ConfigError(who + ": learning_rate must be > 0, got " + std::to_string(opt.learning_rate));
    if (!(opt.early_exaggeration >= 1))
        throw ConfigError(who + ": early_exaggeration must be >= 1, got " + std::to_string(opt.early_exaggeration));
    if (opt.exaggeration_iterations < 0)
        throw ConfigError(who + ": exaggeration_iterations must be >= 0, got " +
                          std::to_string(opt.exaggeration_iterations));
    if (!(opt.initial_momentum >= 0 && opt.initial_momentum < 1 && opt.final_momentum >= 0 && opt.final_momentum < 1))
        throw ConfigError(who + ": momenta must be in [0, 1), got " + std::to_string(opt.initial_momentum) + " and " +
                          std::to_string(opt.final_momentum));
    if (!(opt.min_gain > 0 && opt.initial_stddev > 0))
        throw ConfigError(who + ": min_gain and initial_stddev must be > 0, got " + std::to_string(opt.min_gain) +
                          " and " + std::to_string(opt.initial_stddev));
    if (opt.report_every < 0)
        throw ConfigError(who + ": report_every must be >= 0, got " + std::to_string(opt.report_every));

    std::vector<double> betas;
    const Matrix<double> p = tsne_affinities(x, opt.perplexity, opt.perplexity_tolerance, &betas);
    const Index n = x.cols(), k = opt.dims;

    TsneResult result;
    for (double b : betas) result.mean_sigma += std::sqrt(0.5 / b) / double(n);

    // Y is kept N × dims (each coordinate contiguous, so the loops over j vectorise); the
    // result is transposed to ae's dims × N at the end.
    Rng rng(opt.seed);
    Matrix<double> y(n, k), update = Matrix<double>::Zero(n, k), gains = Matrix<double>::Ones(n, k);
    for (Index c = 0; c < k; ++c)
        for (Index i = 0; i < n; ++i) y(i, c) = rng.normal(0.0, opt.initial_stddev);

    TsneGradient g;
    for (int it = 0; it < opt.iterations; ++it) {
        const bool exaggerating = it < opt.exaggeration_iterations;
        const bool report = opt.report_every > 0 && (it + 1) % opt.report_every == 0;
        // The KL is always of the true P (not the exaggerated one), at Y before this step.
        tsne_gradient(p, y, exaggerating ? opt.early_exaggeration : 1.0, report, g);
        if (report) result.kl_history.push_back({it + 1, g.kl});
        const double momentum = exaggerating ? opt.initial_momentum : opt.final_momentum;
        // Gains grow where the new gradient still agrees with the last step (their signs differ,
        // as the step went downhill: it was too short) and shrink where the step overshot.
        gains = ((g.grad.array() > 0) != (update.array() > 0))
                    .select(gains.array() + 0.2, gains.array() * 0.8)
                    .cwiseMax(opt.min_gain);
        update = momentum * update - opt.learning_rate * gains.cwiseProduct(g.grad);
        y += update;
        y.rowwise() -= y.colwise().mean();  // the cost is translation-invariant: keep Y centred
    }
    tsne_gradient(p, y, 1.0, true, g);
    result.kl_divergence = g.kl;
    result.embedding = y.transpose();
    return result;
}

}  // namespace ae
