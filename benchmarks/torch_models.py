#!/usr/bin/env python3
"""PyTorch side of ae's benchmarks: the same models, data, batch size and optimizer as the
ae programs in this folder. Run with Debian's python3-torch and OMP_WAIT_POLICY=PASSIVE:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_models.py vanilla --data data/mnist

Prints one line per timed epoch and a final "median_seconds_per_epoch <s>" line."""
import argparse
import gzip
import os
import statistics
import time

import numpy as np
import torch
from torch import nn


def read_idx_images(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32) / 255.0


def find(data_dir, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f"missing {name} in {data_dir} (run data/fetch_mnist.sh)")


def vanilla():
    # 784-[128,64]-32, relu, sigmoid output (as logits: BCEWithLogits fuses the sigmoid, as ae does)
    return nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
        nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 784))


MODELS = {"vanilla": vanilla}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up epoch")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(read_idx_images(find(args.data, "train-images-idx3-ubyte")))
    model = MODELS[args.model]()
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
        seconds = time.perf_counter() - t0
        label = "warm-up" if epoch == 0 else f"epoch {epoch}"
        print(f"{label}: {seconds:.3f} s, loss {total / x.shape[0]:.4f}", flush=True)
        if epoch > 0:
            times.append(seconds)
    print(f"median_seconds_per_epoch {statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
