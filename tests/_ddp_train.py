"""Worker for tests/test_distributed.py: train a small Forecaster on CSV and save it; run alone or
under torchrun (then every process trains and process 0 alone writes)."""

import sys

import torch

from tsrnn import Forecaster
from tsrnn.data.io import read_series

csv, model, batch_size, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
steps = int(sys.argv[5]) if len(sys.argv) > 5 else None
torch.set_num_threads(1)
est = Forecaster(
    model=model,
    horizon=4,
    input_len=16,
    hidden=8,
    layers=1,
    epochs=3,
    batch_size=batch_size,
    device="cpu",
    seed=0,
    quiet=True,
    steps_per_epoch=steps,
).fit(read_series(csv))
est.save(out)
