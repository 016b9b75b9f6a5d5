#!/usr/bin/env python3
"""PyTorch side of the convolutional benchmark (conv_bench.cpp is ae's side): the exercise's
conv autoencoder (28x28x1, filters [16, 8, 8], codings 4x4x8), Adam, binary cross-entropy,
batch 256, on random MNIST-shaped data (60000 images in [0, 1]). Run with Debian's
python3-torch and OMP_WAIT_POLICY=PASSIVE:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_conv.py --threads 2

Prints one line per epoch (the first is a warm-up) and "median_seconds_per_epoch <s>"."""
import argparse
import statistics
import time

import torch
from torch import nn


def conv_autoencoder():
    # Keras' MaxPool2D(padding="same") rounds up: ceil_mode gives the same 7 -> 4.
    encoder = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),   # 14x14x16
        nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),   # 7x7x8
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True))    # 4x4x8
    decoder = nn.Sequential(
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),        # 8x8x8
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),        # 16x16x8
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),                  # 14 -> 28x28x16
        nn.Conv2d(16, 1, 3, padding=1))  # logits: BCEWithLogits fuses the sigmoid, as ae does
    return nn.Sequential(encoder, decoder)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up epoch")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--samples", type=int, default=60000)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.samples, 1, 28, 28)
    model = conv_autoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()

    times = []
    for epoch in range(args.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(args.samples)
        total = 0.0
        for start in range(0, args.samples, args.batch_size):
            xb = x[order[start:start + args.batch_size]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), xb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        seconds = time.perf_counter() - t0
        print(f"{'warm-up' if epoch == 0 else f'epoch {epoch}'}: {seconds:.3f} s, loss {total / args.samples:.4f}",
              flush=True)
        if epoch > 0:
            times.append(seconds)
    print(f"median_seconds_per_epoch {statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
