"""PyTorch reference for the quality of examples/variational_autoencoder: the same 784-[512]-2 VAE
(torch_bench.py's VAE, initialised as Keras and ae do), Adam 1e-3 (epsilon 1e-7), batch 256, on
MNIST. The loss is BCE summed over the pixels plus the KL term, averaged over the batch: nats per
image. After every epoch it prints the test set's loss with z = mu (what ae's val_loss reports) and
with z sampled once from q(z|x) (what Keras' evaluate reports, its Sampling layer always sampling).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_vae_reference.py --seed 1 --epochs 50
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_idx import load_mnist  # noqa: E402
from torch_bench import VAE, keras_init  # noqa: E402


def negative_elbo(model, x):
    logits, kl = model(x)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0] + kl


def test_loss(model, x_test, sampled):
    model.train(sampled)  # the VAE samples z in training mode and uses mu in eval mode
    total = 0.0
    with torch.no_grad():
        for start in range(0, x_test.shape[0], 256):
            xb = x_test[start:start + 256]
            total += negative_elbo(model, xb).item() * xb.shape[0]
    return total / x_test.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.epochs < 1 or args.threads < 1:
        ap.error("--epochs and --threads must be >= 1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, test = load_mnist(args.data)
    x, x_test = torch.from_numpy(train), torch.from_numpy(test)
    model = VAE()
    keras_init(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        total = 0.0
        for start in range(0, x.shape[0], 256):
            xb = x[perm[start:start + 256]]
            opt.zero_grad(set_to_none=True)
            loss = negative_elbo(model, xb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        print(f"epoch {epoch} {time.perf_counter() - t0:.1f}s loss {total / x.shape[0]:.3f} "
              f"val(z=mu) {test_loss(model, x_test, False):.3f} val(z sampled) {test_loss(model, x_test, True):.3f}",
              flush=True)


if __name__ == "__main__":
    main()
