#!/usr/bin/env python3
"""PyTorch side of ae's benchmark suite (ae_bench.cpp is ae's side): the same models, data,
batch size, loss, optimizer and thread count, and the same output lines. Run it with Debian's
python3-torch and OMP_WAIT_POLICY=PASSIVE (without it PyTorch's idle OpenMP threads spin against
its BLAS threads and it runs 3-4x slower):

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_bench.py vanilla --data data/mnist --threads 2

Models (bench_models.hpp describes ae's): vanilla, sparse, tied, vae, stacked, conv, conv_book,
lstm, gru. Weights start as Keras (and ae) start them: Glorot-uniform kernels, zero biases,
orthogonal recurrent kernels, LSTM forget-gate bias 1. The sigmoid output is fused into the loss
(BCEWithLogitsLoss), as ae fuses it. Adam with Keras' defaults (lr 1e-3, eps 1e-7); the stacked
model uses SGD(lr 1.5), as the book and ae_bench do.

Output: one line per epoch, then "key value" lines: seconds_per_epoch_median, train_loss,
inference_images_per_second, gflop_per_epoch and gflops_achieved (dense models), peak_rss_mb.
See benchmarks/README.md."""
import argparse
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_idx import load_mnist  # noqa: E402  (the shared IDX reader)


# --------------------------------------------------------------------------------------------
# Models. Each maps a batch of flat images (B x 784) to (logits B x 784, extra loss or None).

class DenseAE(nn.Module):
    """784-[hidden]-latent and back, `act` between layers, sigmoid output (as logits)."""

    def __init__(self, sizes, act, l1=0.0):
        super().__init__()
        dims = sizes + sizes[-2::-1]  # 784,128,64,32,64,128,784
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.coding_index = len(sizes) - 2  # the layer whose output are the codings
        self.act, self.l1 = act, l1

    def forward(self, x):
        extra = None
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                x = self.act(x)
            if i == self.coding_index and self.l1:
                # Keras' activity_regularizer=l1(λ), divided by the batch size as tf.keras 2 (and ae) do
                extra = self.l1 * x.abs().sum() / x.shape[0]
        return x, extra


class TiedAE(nn.Module):
    """784-[128,64]-32 relu; the decoder uses the encoder's kernels transposed and its own biases."""

    def __init__(self, sizes=(784, 128, 64, 32)):
        super().__init__()
        self.enc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dec_bias = nn.ParameterList(nn.Parameter(torch.zeros(a)) for a in reversed(sizes[:-1]))

    def forward(self, x):
        for layer in self.enc:
            x = F.relu(layer(x))
        for i, (layer, bias) in enumerate(zip(reversed(self.enc), self.dec_bias)):
            x = F.linear(x, layer.weight.t(), bias)
            if i + 1 < len(self.enc):
                x = F.relu(x)
        return x, None


class VAE(nn.Module):
    """784-[512]-2: Dense(512, relu) → Dense(4) = [μ; log σ²] → z = μ + σ ε (μ in eval) → 512 relu → 784.
    Loss: BCE summed over the pixels, mean over the batch, + KL summed over the latents, mean over the batch."""

    def __init__(self, inputs=784, hidden=512, latent=2):
        super().__init__()
        self.latent = latent
        self.enc1, self.enc2 = nn.Linear(inputs, hidden), nn.Linear(hidden, 2 * latent)
        self.dec1, self.dec2 = nn.Linear(latent, hidden), nn.Linear(hidden, inputs)

    def forward(self, x):
        stats = self.enc2(F.relu(self.enc1(x)))
        mu, log_var = stats[:, :self.latent], stats[:, self.latent:]
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu) if self.training else mu
        kl = -0.5 * (1 + log_var - mu * mu - log_var.exp()).sum() / x.shape[0]
        return self.dec2(F.relu(self.dec1(z))), kl


class ConvAE(nn.Module):
    """The exercise's conv autoencoder: (28,28,1), filters [16,8,8], codings (4,4,8)."""

    def __init__(self):
        super().__init__()
        # Keras' MaxPool2D(padding="same") rounds up: ceil_mode gives the same 7 -> 4.
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # 14x14x16
            nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # 7x7x8
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),   # 4x4x8
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),       # 8x8x8
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),       # 16x16x8
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),                 # 14 -> 28x28x16
            nn.Conv2d(16, 1, 3, padding=1))                                              # logits

    def forward(self, x):
        return self.net(x.view(-1, 1, 28, 28)).reshape(x.shape[0], -1), None


class ConvBookAE(nn.Module):
    """The book's conv autoencoder: Conv 16/32/64 (3x3 same, selu) each + MaxPool(2): 28→14→7→3;
    ConvTranspose 32 (stride 2, valid) 3→7, 16 (stride 2, same) 7→14, 1 (stride 2, same) 14→28."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
            nn.ConvTranspose2d(64, 32, 3, stride=2), nn.SELU(),
            # Keras' "same" for stride 2 doubles the size; padding 1 + output_padding 1 does too
            # (same cost; Keras pads only after, so the crop is one pixel apart).
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.SELU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1))  # logits

    def forward(self, x):
        return self.net(x.view(-1, 1, 28, 28)).reshape(x.shape[0], -1), None


class RecurrentAE(nn.Module):
    """The book's recurrent autoencoder on MNIST rows (28 steps of 28 pixels):
    RNN(28→100, all steps) → RNN(100→30, last step) → repeat x28 → RNN(30→100, all steps) →
    Linear(100→28) per step (logits). cell: nn.LSTM or nn.GRU."""

    def __init__(self, cell, steps=28, features=28, hidden=100, latent=30):
        super().__init__()
        self.steps, self.features = steps, features
        self.enc1 = cell(features, hidden, batch_first=True)
        self.enc2 = cell(hidden, latent, batch_first=True)
        self.dec1 = cell(latent, hidden, batch_first=True)
        self.out = nn.Linear(hidden, features)

    def forward(self, x):
        h, _ = self.enc1(x.view(-1, self.steps, self.features))
        _, state = self.enc2(h)
        codings = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c); GRU: h
        h, _ = self.dec1(codings[0].unsqueeze(1).expand(-1, self.steps, -1))
        return self.out(h).reshape(x.shape[0], -1), None


MODELS = {
    "vanilla": lambda: DenseAE([784, 128, 64, 32], F.relu),
    "sparse": lambda: DenseAE([784, 128, 64, 32], F.relu, l1=1e-5),
    "tied": TiedAE,
    "vae": VAE,
    "stacked": lambda: DenseAE([784, 100, 30], F.selu),
    "conv": ConvAE,
    "conv_book": ConvBookAE,
    "lstm": lambda: RecurrentAE(nn.LSTM),
    "gru": lambda: RecurrentAE(nn.GRU),
}

# Dense layers (in, out) in forward order, for the analytic FLOP count (as bench_models.hpp).
DENSE_SHAPES = {
    "vanilla": [(784, 128), (128, 64), (64, 32), (32, 64), (64, 128), (128, 784)],
    "tied": [(784, 128), (128, 64), (64, 32), (32, 64), (64, 128), (128, 784)],
    "vae": [(784, 512), (512, 4), (2, 512), (512, 784)],
    "stacked": [(784, 100), (100, 30), (30, 100), (100, 784)],
}
DENSE_SHAPES["sparse"] = DENSE_SHAPES["vanilla"]


def training_flops_per_sample(shapes):
    """Forward 2·in·out, backward 4·in·out per Dense layer, minus the first layer's input
    gradient (2·in·out), which is never computed."""
    return sum(6 * i * o for i, o in shapes) - 2 * shapes[0][0] * shapes[0][1]


def keras_init(model):
    """Initialise as Keras (and ae) do: Glorot-uniform kernels, zero biases; recurrent layers:
    Glorot-uniform input kernels, orthogonal recurrent kernels, zero biases, LSTM forget bias 1."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.LSTM, nn.GRU)):
            for name, p in m.named_parameters():
                if name.startswith("weight_ih"):
                    nn.init.xavier_uniform_(p)
                elif name.startswith("weight_hh"):
                    nn.init.orthogonal_(p)
                elif name.startswith("bias"):
                    nn.init.zeros_(p)
            if isinstance(m, nn.LSTM):  # gates i, f, g, o: Keras' unit_forget_bias
                u = m.hidden_size
                with torch.no_grad():
                    m.bias_ih_l0[u:2 * u].fill_(1.0)
    for m in model.modules():
        if isinstance(m, TiedAE):
            for b in m.dec_bias:
                nn.init.zeros_(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=list(MODELS))
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up epoch")
    ap.add_argument("--batches", type=int, default=0,
                    help="train on the first N batches only and scale the time to a full epoch (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()
    if args.epochs < 1 or args.threads < 1 or args.batch_size < 1 or args.batches < 0:
        ap.error("--epochs, --threads and --batch-size must be >= 1, --batches >= 0")
    if os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
        print("# warning: OMP_WAIT_POLICY is not PASSIVE; PyTorch's idle OpenMP threads will spin", file=sys.stderr)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train, test = load_mnist(args.data)
    x_all = torch.from_numpy(train)
    x_test = torch.from_numpy(test)
    full = x_all.shape[0]
    n = min(full, args.batches * args.batch_size) if args.batches > 0 else full
    x = x_all[:n]
    scale = full / n

    model = MODELS[args.model]()
    keras_init(model)
    if args.model == "stacked":
        opt = torch.optim.SGD(model.parameters(), lr=1.5)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    reduction = "sum" if args.model == "vae" else "mean"

    print(f"model {args.model}")
    print(f"threads {args.threads}\nbatch_size {args.batch_size}\ntimed_epochs {args.epochs}")
    print(f"images_per_timed_epoch {n}")
    if n < full:
        print(f"# each epoch trains on the first {args.batches} batches ({n} images); its time is scaled by "
              f"{scale:.4f} to a full {full}-image epoch")
    print(f"torch_version {torch.__version__}", flush=True)

    # ---- training: one warm-up epoch, then args.epochs timed ones (shuffle and gather included)
    times, losses = [], []
    model.train()
    for epoch in range(args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for start in range(0, n, args.batch_size):
            xb = x[perm[start:start + args.batch_size]]
            opt.zero_grad(set_to_none=True)
            logits, extra = model(xb)
            loss = F.binary_cross_entropy_with_logits(logits, xb, reduction=reduction)
            if reduction == "sum":
                loss = loss / xb.shape[0]
            if extra is not None:
                loss = loss + extra
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        seconds = (time.perf_counter() - t0) * scale
        label = "warm-up" if epoch == 0 else f"epoch {epoch}"
        print(f"{label}: {seconds:.3f} s/epoch, loss {total / n:.5f}", flush=True)
        if epoch > 0:
            times.append(seconds)
            losses.append(total / n)
    spe = statistics.median(times)

    # ---- inference: the 10000 test images, batch 256, no autograd, sigmoid outputs
    model.eval()
    out = torch.empty_like(x_test)
    passes = []
    with torch.inference_mode():
        for p in range(4):
            t0 = time.perf_counter()
            for start in range(0, x_test.shape[0], 256):
                logits, _ = model(x_test[start:start + 256])
                out[start:start + 256] = torch.sigmoid(logits)
            if p > 0:
                passes.append(time.perf_counter() - t0)
    if not torch.isfinite(out).all():
        raise SystemExit("torch_bench: non-finite predictions")

    print(f"seconds_per_epoch_median {spe:.4f}")
    print(f"train_loss {losses[-1]:.6f}")
    print(f"inference_images_per_second {x_test.shape[0] / statistics.median(passes):.0f}")
    if args.model in DENSE_SHAPES:
        gflop = training_flops_per_sample(DENSE_SHAPES[args.model]) * full * 1e-9
        print(f"gflop_per_epoch {gflop:.3f}")
        print(f"gflops_achieved {gflop / spe:.2f}")
    print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    main()
