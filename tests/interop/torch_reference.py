#!/usr/bin/python3
"""PyTorch references for ae's safetensors interop (docs/interop.md).

Builds, in PyTorch, the same models as ae's recipes -- vanilla (dense), convolutional,
conv_book (with transposed convolutions), recurrent (LSTM) -- and a two-layer GRU model, with
PyTorch's own random initialisation (seeded), and writes for each model <name>:
  <out>/<name>.weights.safetensors  the state_dict, named as ae expects (nn.Sequential indices)
  <out>/<name>.io.safetensors       "input" and "output" for fixed inputs, both in ae's layout
                                    (one sample per row: features, HWC images, or steps x features)
The ae side (tests/torch_parity_test.cpp) loads the weights, predicts and compares.

Run with Debian's python3-torch and numpy:  /usr/bin/python3 torch_reference.py <out dir>
The safetensors files are written here by hand (the format is a length, a JSON header and raw
little-endian data), so the `safetensors` package is not needed.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

BATCH = 6
# Freshly initialised dense, conv and LSTM autoencoders output about 0.5 for every input, which
# would hide a layout slip in the noise. Their parameters are scaled by 3 (MODELS below), which
# spreads the outputs over (0, 1): then swapping two LSTM gates or transposing the conv kernels
# moves the outputs by 1e-3 to 1, far above the 1e-5 tolerance. conv_book (SELU) and the GRU
# already spread their outputs, and saturate when scaled.


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> torch tensor (float32 or float64)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}[a.dtype]
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


# --- Modules that make PyTorch compute what ae's layers compute -------------------------------

def returning_sequences(rnn):
    """nn.LSTM / nn.GRU (one layer, batch_first) returning every step (ae's return_sequences)
    or only the last one. A subclass, not a wrapper, so the state_dict names stay
    weight_ih_l0, ... without a prefix."""

    class Recurrent(rnn):
        def __init__(self, features, units, return_sequences):
            super().__init__(features, units, batch_first=True)
            self.return_sequences = return_sequences

        def forward(self, x):
            y, _ = super().forward(x)
            return y if self.return_sequences else y[:, -1]

    return Recurrent


SeqLSTM = returning_sequences(nn.LSTM)
SeqGRU = returning_sequences(nn.GRU)


class RepeatVector(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def forward(self, x):
        return x.unsqueeze(1).expand(-1, self.steps, -1)


class KerasSameConvTranspose2d(nn.ConvTranspose2d):
    """Keras' Conv2DTranspose(padding="same") when kernel - stride is odd: PyTorch's padding
    crops the same amount on both sides, Keras crops floor((k - s) / 2) before and the rest
    after. So: no padding, then keep rows/columns [floor((k-s)/2), + n*s)."""

    def __init__(self, cin, cout, k, s):
        super().__init__(cin, cout, k, stride=s)
        self.crop, self.s = (k - s) // 2, s

    def forward(self, x):
        n_h, n_w = x.shape[2] * self.s, x.shape[3] * self.s
        y = super().forward(x)
        return y[:, :, self.crop:self.crop + n_h, self.crop:self.crop + n_w]


def vanilla():  # ae::recipes::vanilla(784, {128, 64}, 32)
    enc = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
    dec = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
    return nn.Sequential(enc, dec), (784,)


def convolutional():  # ae::recipes::convolutional({28, 28, 1}, {16, 8, 8}, {4, 4, 8})
    def conv(cin, cout, pad):  # Keras "same" with a 3x3 kernel and stride 1 is padding 1
        return nn.Conv2d(cin, cout, 3, padding=pad)
    enc = nn.Sequential(
        conv(1, 16, 1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # "same" pooling: 7 -> 4
        conv(16, 8, 1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        conv(8, 8, 1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True))
    up = lambda: nn.Upsample(scale_factor=2, mode="nearest")  # noqa: E731
    dec = nn.Sequential(
        conv(8, 8, 1), nn.ReLU(), up(),
        conv(8, 8, 1), nn.ReLU(), up(),
        conv(8, 16, 0), nn.ReLU(), up(),  # the "valid" one: 16 -> 14
        conv(16, 1, 1), nn.Sigmoid())
    return nn.Sequential(enc, dec), (28, 28, 1)


def conv_book():  # ae::recipes::conv_book()
    enc = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.SELU(), nn.MaxPool2d(2))
    dec = nn.Sequential(
        nn.ConvTranspose2d(64, 32, 3, stride=2), nn.SELU(),  # "valid": 3 -> 7
        KerasSameConvTranspose2d(32, 16, 3, 2), nn.SELU(),  # "same": 7 -> 14
        KerasSameConvTranspose2d(16, 1, 3, 2), nn.Sigmoid())  # "same": 14 -> 28
    return nn.Sequential(enc, dec), (28, 28, 1)


def recurrent():  # ae::recipes::recurrent(28, 28, 100, 30)
    enc = nn.Sequential(SeqLSTM(28, 100, True), SeqLSTM(100, 30, False))
    dec = nn.Sequential(RepeatVector(28), SeqLSTM(30, 100, True), nn.Linear(100, 28), nn.Sigmoid())
    return nn.Sequential(enc, dec), (28, 28)


def gru():  # ae: Sequential({10, 6}, {GRU(12, return_sequences), GRU(5)})
    return nn.Sequential(SeqGRU(6, 12, True), SeqGRU(12, 5, False)), (10, 6)


MODELS = {  # name: (builder, gain applied to every parameter)
    "vanilla": (vanilla, 3.0),
    "convolutional": (convolutional, 3.0),
    "conv_book": (conv_book, 1.0),
    "recurrent": (recurrent, 3.0),
    "gru": (gru, 1.0),
}


def to_torch_layout(x):  # ae's images are HWC, PyTorch's CHW
    return x.permute(0, 3, 1, 2) if x.dim() == 4 else x


def to_ae_layout(y):
    return y.permute(0, 2, 3, 1) if y.dim() == 4 else y


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_reference.py <output dir>")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for i, (name, (build, gain)) in enumerate(MODELS.items()):
        torch.manual_seed(1000 + i)
        model, in_shape = build()
        model.eval()
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(gain)
        x = torch.rand((BATCH,) + in_shape)  # ae layout
        with torch.no_grad():
            y = to_ae_layout(model(to_torch_layout(x)))
        write_safetensors(os.path.join(out, name + ".weights.safetensors"), model.state_dict(),
                          {"format": "pt", "model": name})
        write_safetensors(os.path.join(out, name + ".io.safetensors"),
                          {"input": x.reshape(BATCH, -1), "output": y.reshape(BATCH, -1)})
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, output {tuple(y.shape)}, "
              f"outputs in [{y.min().item():.4f}, {y.max().item():.4f}], std {y.std().item():.4f}")


if __name__ == "__main__":
    main()
