"""MNIST IDX reader for the PyTorch side of ae's benchmarks (torch_bench.py). ae's side reads the
same files with ae::data::load_mnist. Raw or gzip-compressed files; pixels scaled to [0, 1]."""
import gzip
import os

import numpy as np


def read_idx_images(path):
    """N x (H*W) float32 array in [0, 1] from an IDX3 unsigned-byte image file."""
    with open(path, "rb") as f:
        opener = gzip.open if f.read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 16 or raw[0:4] != b"\x00\x00\x08\x03":
        raise SystemExit(f"{path}: not an IDX3 unsigned-byte file")
    n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    if len(raw) != 16 + n * h * w:
        raise SystemExit(f"{path}: {len(raw) - 16} bytes of pixels, expected {n}x{h}x{w}")
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32) / 255.0


def find(data_dir, name):
    """data_dir/name, or data_dir/name.gz."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f"missing {name} in {data_dir} (run data/fetch_mnist.sh)")


def load_mnist(data_dir):
    """(train, test) images as float32 arrays of 60000 x 784 and 10000 x 784."""
    return (read_idx_images(find(data_dir, "train-images-idx3-ubyte")),
            read_idx_images(find(data_dir, "t10k-images-idx3-ubyte")))
