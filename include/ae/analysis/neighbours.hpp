#pragma once
// How well a set of points keeps its labels together: for every point, the share of its k nearest
// neighbours (Euclidean, the point itself left out) that carry its own label. Used to judge a
// t-SNE map or a latent space: 1.0 means every neighbourhood is pure.
//   ae::NeighbourAgreement a = ae::knn_label_agreement(embedding, labels, 10);
//   a.mean  // average over points;  a.per_point[i]  // point i's share
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "ae/core/error.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/parallel_product.hpp"

namespace ae {

struct NeighbourAgreement {
    double mean = 0;                ///< average of per_point
    double worst = 1;               ///< smallest per_point value
    std::vector<double> per_point;  ///< share of point i's k nearest neighbours with i's label
};

/// Brute force, O(N² · features): fine for the few thousand points a t-SNE map holds.
/// points: features × N (one point per column); labels: N values; 1 <= k < N.
template <class S>
NeighbourAgreement knn_label_agreement(const Matrix<S>& points, const std::vector<int>& labels, Index k) {
    const std::string who = "knn_label_agreement";
    const Index n = points.cols();
    if (static_cast<Index>(labels.size()) != n)
        throw ShapeError(who + ": expected one label per point (" + std::to_string(n) + "), got " +
                         std::to_string(labels.size()));
    if (k < 1 || k >= n)
        throw ConfigError(who + ": k must be in [1, N) with N = " + std::to_string(n) + " points, got " +
                          std::to_string(k));
    const Matrix<double> x = points.template cast<double>();
    const Eigen::VectorXd sq = x.colwise().squaredNorm().transpose();
    NeighbourAgreement out;
    out.per_point.assign(static_cast<std::size_t>(n), 0.0);
    const Index block = 256, blocks = (n + block - 1) / block;
    const int threads = n < 512 ? 1 : max_threads();
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (Index b = 0; b < blocks; ++b) {
        const Index begin = b * block, count = std::min(block, n - begin);
        // d(j, c) = ‖x_j − x_{begin+c}‖² up to the constant ‖x_{begin+c}‖², which does not change the order.
        const Matrix<double> d = (-2.0 * (x.transpose() * x.middleCols(begin, count))).colwise() + sq;
        std::vector<Index> order(static_cast<std::size_t>(n));
        for (Index c = 0; c < count; ++c) {
            const Index i = begin + c;
            std::iota(order.begin(), order.end(), Index(0));
            std::swap(order[std::size_t(i)], order.back());  // leave the point itself out
            // Ties broken by index, so the result does not depend on the sort's internals.
            std::partial_sort(order.begin(), order.begin() + k, order.end() - 1, [&](Index a, Index b2) {
                return d(a, c) < d(b2, c) || (d(a, c) == d(b2, c) && a < b2);
            });
            Index same = 0;
            for (Index r = 0; r < k; ++r) same += labels[std::size_t(order[std::size_t(r)])] == labels[std::size_t(i)];
            out.per_point[std::size_t(i)] = double(same) / double(k);
        }
    }
    out.mean = std::accumulate(out.per_point.begin(), out.per_point.end(), 0.0) / double(n);
    out.worst = *std::min_element(out.per_point.begin(), out.per_point.end());
    return out;
}

}  // namespace ae
