#pragma once
// Anomaly detection with an autoencoder trained on normal data only: samples it reconstructs
// badly are suspects. ae::anomaly gives the pieces:
//   - reconstruction_errors: one score per sample (column): MSE, BCE or the largest squared error;
//   - fit_threshold: a percentile of the scores of known-normal data (e.g. the 99th: about 1% of
//     normal samples will be flagged);
//   - roc_auc / roc_curve: how well the scores rank anomalies above normal samples, over all
//     thresholds at once;
//   - detection_counts: precision and recall at one threshold;
//   - rank_by_score: sample indices from the most to the least anomalous.
// Convention everywhere: a higher score means more anomalous, and a label 1 marks an anomaly
// (the positive class), 0 a normal sample.
//   auto err = ae::anomaly::reconstruction_errors(*model, x_test, ae::anomaly::Metric::mse);
//   double t = ae::anomaly::fit_threshold(ae::anomaly::reconstruction_errors(*model, x_normal), 99);
//   double auc = ae::anomaly::roc_auc(err, is_anomaly);
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/models/sequential.hpp"

namespace ae::anomaly {

/// How a sample's reconstruction error is measured (all over the sample's features, i.e. its column).
enum class Metric {
    mse,          ///< mean squared error: (1/F) Σ_f (x̂_f − x_f)²
    bce,          ///< mean binary cross-entropy, x as target: −(1/F) Σ_f [x_f ln x̂_f + (1 − x_f) ln(1 − x̂_f)],
                  ///< x̂ clipped to [1e-7, 1 − 1e-7] as Keras does (for data in [0, 1], e.g. pixels)
    max_squared,  ///< largest squared error over the features: a one-step spike in a long window
                  ///< counts fully instead of being diluted by the mean
};

inline std::string metric_name(Metric m) {
    switch (m) {
        case Metric::mse: return "mse";
        case Metric::bce: return "bce";
        case Metric::max_squared: return "max_squared";
    }
    return "?";
}

/// One error per column of x (features × N) against its reconstruction x_hat (same shape).
template <class S>
std::vector<double> reconstruction_errors(const Matrix<S>& x, const Matrix<S>& x_hat, Metric metric = Metric::mse) {
    if (x.rows() != x_hat.rows() || x.cols() != x_hat.cols())
        throw ShapeError("anomaly::reconstruction_errors: expected x and its reconstruction of the same shape, got " +
                         std::to_string(x.rows()) + " x " + std::to_string(x.cols()) + " and " +
                         std::to_string(x_hat.rows()) + " x " + std::to_string(x_hat.cols()));
    if (x.rows() == 0) throw ShapeError("anomaly::reconstruction_errors: samples have 0 features");
    const Eigen::ArrayXXd t = x.template cast<double>().array(), p = x_hat.template cast<double>().array();
    Eigen::ArrayXd per_sample;  // N
    switch (metric) {
        case Metric::mse: per_sample = (p - t).square().colwise().mean().transpose(); break;
        case Metric::max_squared: per_sample = (p - t).square().colwise().maxCoeff().transpose(); break;
        case Metric::bce: {
            const double eps = 1e-7;
            const Eigen::ArrayXXd q = p.cwiseMax(eps).cwiseMin(1 - eps);
            per_sample = -(t * q.log() + (1 - t) * (1 - q).log()).colwise().mean().transpose();
            break;
        }
    }
    return std::vector<double>(per_sample.data(), per_sample.data() + per_sample.size());
}

/// The model's reconstruction errors of the columns of x (the model maps x to its reconstruction,
/// e.g. an Autoencoder). Predicts in batches of batch_size.
template <class S>
std::vector<double> reconstruction_errors(Sequential<S>& model, const Matrix<S>& x, Metric metric = Metric::mse,
                                          Index batch_size = 256) {
    return reconstruction_errors<S>(x, model.predict(x, batch_size), metric);
}

namespace detail {

inline void check_scores(const std::vector<double>& scores, const std::string& who) {
    if (scores.empty()) throw ConfigError(who + ": no scores given");
    for (std::size_t i = 0; i < scores.size(); ++i)
        if (!std::isfinite(scores[i]))
            throw ConfigError(who + ": score " + std::to_string(i) + " is " + std::to_string(scores[i]) +
                              ", expected a finite number");
}

/// Checks sizes and 0/1 labels; returns the number of positives (anomalies).
inline std::size_t check_labelled(const std::vector<double>& scores, const std::vector<int>& labels,
                                  const std::string& who) {
    check_scores(scores, who);
    if (labels.size() != scores.size())
        throw ShapeError(who + ": expected one label per score (" + std::to_string(scores.size()) + "), got " +
                         std::to_string(labels.size()));
    std::size_t positives = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] != 0 && labels[i] != 1)
            throw ConfigError(who + ": label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                              ", expected 0 (normal) or 1 (anomaly)");
        positives += static_cast<std::size_t>(labels[i]);
    }
    return positives;
}

/// check_labelled, and both classes present (a ROC curve needs both); returns the positives.
inline std::size_t check_both_classes(const std::vector<double>& scores, const std::vector<int>& labels,
                                      const std::string& who) {
    const std::size_t pos = check_labelled(scores, labels, who);
    if (pos == 0 || pos == scores.size())
        throw ConfigError(who + ": expected both anomalies (label 1) and normal samples (label 0), got " +
                          std::to_string(pos) + " anomalies among " + std::to_string(scores.size()) + " samples");
    return pos;
}

/// Indices of the scores from the lowest score to the highest.
inline std::vector<std::size_t> ascending_order(const std::vector<double>& scores) {
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    return order;
}

}  // namespace detail

/// The `percentile` (0-100) of the scores of normal data, interpolating linearly between the two
/// nearest order statistics (numpy's default): position (n − 1)·percentile/100 in the sorted
/// scores. Flag a sample when its score is above the returned threshold.
inline double fit_threshold(std::vector<double> normal_scores, double percentile) {
    const std::string who = "anomaly::fit_threshold";
    detail::check_scores(normal_scores, who);
    if (!(percentile >= 0 && percentile <= 100))
        throw ConfigError(who + ": percentile must be in [0, 100], got " + std::to_string(percentile));
    std::sort(normal_scores.begin(), normal_scores.end());
    const double pos = double(normal_scores.size() - 1) * percentile / 100.0;
    const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, normal_scores.size() - 1);
    const double frac = pos - double(lo);
    return normal_scores[lo] + frac * (normal_scores[hi] - normal_scores[lo]);
}

/// Area under the ROC curve: the probability that a random anomaly scores above a random normal
/// sample, ties counting one half. Computed exactly as the Mann–Whitney U statistic from the
/// ranks of the scores (tied scores share their average rank):
///     AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋),
/// R₊ the sum of the anomalies' ranks. Equal to the trapezoidal area under roc_curve.
/// labels: 1 = anomaly, 0 = normal; both classes must be present. O(N log N).
inline double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
    const std::size_t n = scores.size();
    const std::size_t pos = detail::check_both_classes(scores, labels, "anomaly::roc_auc");
    const std::vector<std::size_t> order = detail::ascending_order(scores);
    double rank_sum = 0;  // of the anomalies, ranks counted from 1
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && scores[order[j]] == scores[order[i]]) ++j;
        const double average_rank = (double(i + 1) + double(j)) / 2;  // ranks i+1 .. j share this
        for (std::size_t k = i; k < j; ++k)
            if (labels[order[k]] == 1) rank_sum += average_rank;
        i = j;
    }
    const double np = double(pos), nn = double(n - pos);
    return (rank_sum - np * (np + 1) / 2) / (np * nn);
}

/// One point of a ROC curve: flagging every score >= threshold gives these rates.
struct RocPoint {
    double threshold;
    double false_positive_rate;
    double true_positive_rate;
};

/// The ROC curve: one point per distinct score, from the highest threshold down, starting at
/// (0, 0) (threshold +∞) and ending at (1, 1). Tied scores move both rates at once, which is
/// the diagonal step the trapezoid rule counts as one half.
inline std::vector<RocPoint> roc_curve(const std::vector<double>& scores, const std::vector<int>& labels) {
    const std::size_t n = scores.size();
    const std::size_t pos = detail::check_both_classes(scores, labels, "anomaly::roc_curve");
    std::vector<std::size_t> order = detail::ascending_order(scores);
    std::reverse(order.begin(), order.end());  // from the highest score down
    std::vector<RocPoint> curve{{std::numeric_limits<double>::infinity(), 0.0, 0.0}};
    std::size_t tp = 0, fp = 0;
    for (std::size_t i = 0; i < n;) {
        const double s = scores[order[i]];
        for (; i < n && scores[order[i]] == s; ++i) (labels[order[i]] == 1 ? tp : fp) += 1;
        curve.push_back({s, double(fp) / double(n - pos), double(tp) / double(pos)});
    }
    return curve;
}

/// Trapezoidal area under a curve given as roc_curve returns it.
inline double area_under(const std::vector<RocPoint>& curve) {
    double area = 0;
    for (std::size_t i = 1; i < curve.size(); ++i)
        area += (curve[i].false_positive_rate - curve[i - 1].false_positive_rate) *
                (curve[i].true_positive_rate + curve[i - 1].true_positive_rate) / 2;
    return area;
}

/// What flagging every score above a threshold gives against the true labels.
struct DetectionCounts {
    std::size_t true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;
    /// Flagged samples that are anomalies; 0 when nothing is flagged.
    double precision() const {
        const std::size_t flagged = true_positives + false_positives;
        return flagged ? double(true_positives) / double(flagged) : 0.0;
    }
    /// Anomalies that are flagged; 0 when there are no anomalies.
    double recall() const {
        const std::size_t anomalies = true_positives + false_negatives;
        return anomalies ? double(true_positives) / double(anomalies) : 0.0;
    }
    /// Normal samples that are flagged (false alarms).
    double false_positive_rate() const {
        const std::size_t normal = false_positives + true_negatives;
        return normal ? double(false_positives) / double(normal) : 0.0;
    }
    double f1() const {
        const double p = precision(), r = recall();
        return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    }
};

/// Counts when a sample is flagged as anomalous if its score is strictly above `threshold`.
inline DetectionCounts detection_counts(const std::vector<double>& scores, const std::vector<int>& labels,
                                        double threshold) {
    detail::check_labelled(scores, labels, "anomaly::detection_counts");
    DetectionCounts c;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const bool flagged = scores[i] > threshold, anomaly = labels[i] == 1;
        if (flagged) (anomaly ? c.true_positives : c.false_positives) += 1;
        else (anomaly ? c.false_negatives : c.true_negatives) += 1;
    }
    return c;
}

/// Sample indices ordered from the highest score (most anomalous) to the lowest; equal scores
/// keep their original order.
inline std::vector<Index> rank_by_score(const std::vector<double>& scores) {
    detail::check_scores(scores, "anomaly::rank_by_score");
    std::vector<Index> order(scores.size());
    std::iota(order.begin(), order.end(), Index(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](Index a, Index b) { return scores[std::size_t(a)] > scores[std::size_t(b)]; });
    return order;
}

}  // namespace ae::anomaly
