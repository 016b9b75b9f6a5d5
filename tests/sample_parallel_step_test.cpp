// fit's one-region training step (training/sample_parallel_step.hpp) against the layer-by-layer
// step it replaces for models of Dense/DenseTranspose layers, and the loss pieces it uses.
#include <numeric>

#include "gradient_check.hpp"
#include "test_support.hpp"

using namespace ae;
using namespace ae::testing;

namespace {

using SeqD = std::shared_ptr<Sequential<double>>;

// 200-100-50-100-200, sigmoid output: the step's work (about 20 MFLOP at 64 samples) takes 2
// threads, while the 100→50 and 50→100 layers' own jobs stay below threads_for's threshold.
SeqD dense_model(bool tied) {
    auto e1 = std::make_shared<Dense<double>>(100, Activation::relu);
    auto e2 = std::make_shared<Dense<double>>(50, Activation::tanh);
    std::vector<LayerPtr<double>> enc{e1, e2}, dec;
    if (tied) {
        dec = {std::make_shared<DenseTranspose<double>>(e2, Activation::selu),
               std::make_shared<DenseTranspose<double>>(e1, Activation::sigmoid)};
    } else {
        dec = {std::make_shared<Dense<double>>(100, Activation::selu), std::make_shared<Dense<double>>(200, Activation::sigmoid)};
    }
    return recipes::assemble<double>(Shape{200}, std::move(enc), std::move(dec), 11).autoencoder;
}

// What fit did before the one-region step: gather, zero, forward, loss, backward layer by layer,
// optimizer step; the same shuffle (fit's Rng(seed), one shuffle per epoch). Returns the last
// epoch's loss as fit reports it (the mean of the batch losses, weighted by batch size).
double layer_by_layer_fit(Sequential<double>& model, const Md& x, const Md& y, int epochs, Index batch, std::uint64_t seed) {
    auto& loss = *model.loss();
    const bool fused = loss.fuses_with(model.output_activation());
    model.set_keep_logits(fused);
    model.set_input_grad_needed(false);
    auto params = model.parameters();
    Rng rng(seed);
    std::vector<Index> order(std::size_t(x.cols()));
    std::iota(order.begin(), order.end(), Index(0));
    Md xb, yb, out, dout, dx;
    double epoch_loss = 0;
    for (int e = 0; e < epochs; ++e) {
        rng.shuffle(order);
        epoch_loss = 0;
        for (Index start = 0; start < x.cols(); start += batch) {
            const Index nb = std::min(batch, x.cols() - start);
            ae::detail::gather_columns(x, order, start, nb, xb);
            ae::detail::gather_columns(y, order, start, nb, yb);
            for (auto& p : params) p.grad->setZero();
            model.forward(xb, out, Mode::training);
            double batch_loss;
            if (fused) {
                batch_loss = loss.value_and_gradient_from_logits(*model.logits(), out, yb, dout);
                model.backward_from_logits(dout, dx);
            } else {
                batch_loss = loss.value(out, yb);
                loss.gradient(out, yb, dout);
                model.backward(dout, dx);
            }
            model.optimizer()->step(params);
            epoch_loss += batch_loss * double(nb);
        }
    }
    model.set_input_grad_needed(true);
    return epoch_loss / double(x.cols());
}

double max_weight_difference(Sequential<double>& a, Sequential<double>& b) {
    auto pa = a.parameters(), pb = b.parameters();
    REQUIRE(pa.size() == pb.size());
    double worst = 0;
    for (std::size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, (*pa[i].value - *pb[i].value).cwiseAbs().maxCoeff());
    return worst;
}

}  // namespace

TEST_CASE("fit: a model of Dense layers trains in one parallel region per step, to the layer-by-layer weights",
          "[fit][threads][sample_parallel]") {
    const int before = max_threads();
    const Md x = random_matrix(200, 168, 21, 0, 1), noisy_x = random_matrix(200, 168, 22, 0, 1);
    for (bool tied : {false, true})
        for (bool mse : {false, true})
            for (bool denoising : {false, true})
                for (int threads : {1, 2}) {
                    INFO("tied " << tied << ", MSE " << mse << ", denoising " << denoising << ", threads " << threads);
                    set_num_threads(threads);
                    SeqD a = dense_model(tied), b = dense_model(tied);
                    for (auto* m : {&a, &b}) {
                        std::shared_ptr<Loss<double>> loss;
                        if (mse) loss = std::make_shared<MSE<double>>();
                        else loss = std::make_shared<BinaryCrossEntropy<double>>();
                        (*m)->compile(std::make_shared<Adam<double>>(0.01), loss);
                    }
                    REQUIRE(ae::detail::SampleParallelStep<double>::plan(*a, *a->loss(), !mse) != nullptr);
                    REQUIRE(max_weight_difference(*a, *b) == 0.0);
                    // 168 samples at batch 64: two full batches, then 40 split unevenly (16 + 24 on 2 threads).
                    const Md& input = denoising ? noisy_x : x;
                    const History h = a->fit(input, x, {.epochs = 3, .batch_size = 64, .seed = 5, .verbose = 0});
                    const double reference_loss = layer_by_layer_fit(*b, input, x, 3, 64, 5);
                    const double diff = max_weight_difference(*a, *b);
                    // The weights moved: the comparison is not between two untrained models.
                    SeqD fresh = dense_model(tied);
                    REQUIRE(max_weight_difference(*a, *fresh) > 1e-2);
                    if (threads == 1) REQUIRE(diff == 0.0);  // the same operations in the same order
                    else REQUIRE(diff < 1e-12);              // small layers: shares summed in another order
                    // The reported loss is the layer-by-layer step's loss of the same batches.
                    REQUIRE(h["loss"].back() == Approx(reference_loss).epsilon(1e-12));
                }
    set_num_threads(before);
}

TEST_CASE("fit: models whose layers or loss cannot split samples keep the layer-by-layer step",
          "[fit][sample_parallel]") {
    auto with = [](std::vector<LayerPtr<double>> enc, std::shared_ptr<Loss<double>> loss, Activation out) {
        std::vector<LayerPtr<double>> dec{std::make_shared<Dense<double>>(20, out)};
        auto m = recipes::assemble<double>(Shape{20}, std::move(enc), std::move(dec), 3).autoencoder;
        m->compile(std::make_shared<Adam<double>>(), loss);
        return m;
    };
    auto bce = std::make_shared<BinaryCrossEntropy<double>>();
    auto dense8 = [] { return std::make_shared<Dense<double>>(8, Activation::relu); };
    auto plan = [](Sequential<double>& m) {
        return ae::detail::SampleParallelStep<double>::plan(m, *m.loss(), m.loss()->fuses_with(m.output_activation())) != nullptr;
    };
    REQUIRE(plan(*with({dense8()}, bce, Activation::sigmoid)));
    REQUIRE(plan(*with({dense8()}, std::make_shared<MSE<double>>(), Activation::linear)));
    // A layer without the pieces: Dropout, the contractive Dense (its penalty sums the batch).
    REQUIRE_FALSE(plan(*with({std::make_shared<Dropout<double>>(0.2), dense8()}, bce, Activation::sigmoid)));
    REQUIRE_FALSE(plan(*with({std::make_shared<ContractiveDense<double>>(8)}, bce, Activation::sigmoid)));
    // BCE on probabilities (no sigmoid to fuse with), and the categorical cross-entropy.
    REQUIRE_FALSE(plan(*with({dense8()}, bce, Activation::linear)));
    REQUIRE_FALSE(plan(*with({dense8()}, std::make_shared<CategoricalCrossEntropy<double>>(), Activation::softmax)));
    // The same layer twice in the chain (its pass state would be overwritten).
    auto square = std::make_shared<Dense<double>>(20, Activation::relu);
    REQUIRE_FALSE(plan(*with({square, square}, bce, Activation::sigmoid)));
}

TEST_CASE("Losses: the per-sample pieces add up to value and gradient", "[losses][sample_parallel]") {
    const Md z = random_matrix(30, 40, 31, -4, 4), t = random_matrix(30, 40, 32, 0, 1);
    Md p = z;
    activate_inplace(Activation::sigmoid, p);
    for (auto reduction : {Reduction::mean, Reduction::sum_over_features}) {
        INFO("reduction " << int(reduction));
        BinaryCrossEntropy<double> bce(reduction);
        MSE<double> mse(reduction);
        Md g_bce(30, 40), g_mse(30, 40), ref;
        double s_bce = 0, s_mse = 0;
        for (auto [c, n] : {std::pair<Index, Index>{0, 16}, {16, 24}}) {  // two ranges, as two threads take them
            s_bce += bce.sum_and_gradient_columns(&z, p, t, g_bce, c, n);
            s_mse += mse.sum_and_gradient_columns(nullptr, p, t, g_mse, c, n);
        }
        REQUIRE(bce.reduce(s_bce, p) == Approx(bce.value_from_logits(z, p, t)).epsilon(1e-12));
        bce.gradient_from_logits(z, p, t, ref);
        REQUIRE((g_bce - ref).cwiseAbs().maxCoeff() < 1e-15);
        REQUIRE(mse.reduce(s_mse, p) == Approx(mse.value(p, t)).epsilon(1e-12));
        mse.gradient(p, t, ref);
        REQUIRE((g_mse - ref).cwiseAbs().maxCoeff() < 1e-15);
        REQUIRE(bce.splits_samples(true));
        REQUIRE_FALSE(bce.splits_samples(false));
        REQUIRE(mse.splits_samples(false));
        REQUIRE_FALSE(mse.splits_samples(true));
    }
}
