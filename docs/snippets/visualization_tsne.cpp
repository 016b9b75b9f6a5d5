// docs/visualization.md: exact t-SNE of 30-D points, plotted by label, and how well it keeps
// each point's neighbourhood.
#include <cstdio>
#include <vector>

#include "ae/ae.hpp"
#include "ae/analysis/neighbours.hpp"
#include "ae/analysis/tsne.hpp"

int main() {
    // 4 clusters of 50 points in 30-D: columns are points.
    ae::Rng rng(3);
    ae::Matrix<float> x(30, 200);
    std::vector<int> labels(200);
    for (int i = 0; i < 200; ++i) {
        labels[i] = i / 50;
        for (int d = 0; d < 30; ++d) x(d, i) = float(rng.normal(d % 4 == labels[i] ? 6.0 : 0.0, 1.0));
    }

    ae::TsneOptions opt;  // perplexity 30, 1000 iterations, exaggeration 12 for 250, seed 42
    opt.perplexity = 20;
    const ae::TsneResult r = ae::tsne(x, opt);  // x: 30 × 200, r.embedding: 2 × 200
    const ae::NeighbourAgreement kept = ae::knn_label_agreement(r.embedding, labels, 10);
    std::printf("KL %.3f; %.1f%% of 10-NN share the label\n", r.kl_divergence, 100 * kept.mean);
    ae::io::save_scatter("tsne.png", r.embedding, labels, "t-SNE", "t-SNE 1", "t-SNE 2");

    // The clusters are well apart in 30-D: the 2-D map must keep them.
    const bool ok = r.embedding.rows() == 2 && r.embedding.cols() == 200 && kept.mean > 0.95;
    std::printf("%s t-SNE keeps the clusters\n", ok ? "ok  " : "FAIL");
    return ok ? 0 : 1;
}
