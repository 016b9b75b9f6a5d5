#!/usr/bin/env python3
"""PyTorch side of the recurrent benchmark: the book's recurrent autoencoder on MNIST rows,
the same model, data, batch size and optimizer as benchmarks/lstm_bench.cpp:
    LSTM(28→100, all steps) → LSTM(100→30, last step) → repeat ×28 → LSTM(30→100, all steps)
    → Linear(100→28) per step (logits; BCEWithLogits fuses the sigmoid as ae does), Adam.
Run with Debian's python3-torch and OMP_WAIT_POLICY=PASSIVE:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_lstm.py --data data/mnist --batches 60

--batches N times the first N batches of each pass and scales to a full 60000-image epoch.
Prints one line per pass and a final "median_seconds_per_epoch <s>" line."""
import argparse
import os
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import find, read_idx_images  # noqa: E402  (the shared MNIST reader)


class RecurrentAutoencoder(nn.Module):
    def __init__(self, steps=28, features=28, hidden=100, latent=30):
        super().__init__()
        self.steps = steps
        self.enc1 = nn.LSTM(features, hidden, batch_first=True)
        self.enc2 = nn.LSTM(hidden, latent, batch_first=True)
        self.dec1 = nn.LSTM(latent, hidden, batch_first=True)
        self.out = nn.Linear(hidden, features)

    def forward(self, x):                      # x: batch × steps × features
        h, _ = self.enc1(x)
        _, (codings, _) = self.enc2(h)         # codings: 1 × batch × latent
        r = codings[0].unsqueeze(1).expand(-1, self.steps, -1)
        h, _ = self.dec1(r)
        return self.out(h)                     # logits: batch × steps × features


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=2, help="timed passes, after one warm-up pass")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--batches", type=int, default=0, help="time only this many batches per pass (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(read_idx_images(find(args.data, "train-images-idx3-ubyte"))).view(-1, 28, 28)
    full = x.shape[0]
    if args.batches > 0:
        x = x[: args.batches * args.batch_size]
    scale = full / x.shape[0]
    model = RecurrentAutoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()

    times = []
    for epoch in range(args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        total = 0.0
        for start in range(0, x.shape[0], args.batch_size):
            batch = x[perm[start:start + args.batch_size]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(batch), batch)
            loss.backward()
            opt.step()
            total += loss.item() * batch.shape[0]
        seconds = (time.perf_counter() - t0) * scale
        label = "warm-up" if epoch == 0 else f"epoch {epoch}"
        print(f"{label}: {seconds:.3f} s/epoch ({x.shape[0]} images timed), loss {total / x.shape[0]:.4f}",
              flush=True)
        if epoch > 0:
            times.append(seconds)
    print(f"median_seconds_per_epoch {statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
