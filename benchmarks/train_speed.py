"""Training throughput: the Forecaster's full training step vs a bare nn.LSTM loop, same shapes,
same run; plus device memory of the training data vs the raw series.

The Forecaster step = sampling a batch of window starts, gathering the windows from the
device-resident panel (torch_window_view[idx]) and taking each relative to its mean (window_norm
"mean", the default), DirectNet forward, loss, backward, gradient
clipping and AdamW — i.e. tsrnn.nn.trainer.Trainer.fit over tsrnn.forecast.training.DeviceData.
The bare loop runs nn.LSTM + the same Linear head on pre-built (B, T, F) tensors with the same
loss, clipping and optimizer.

    python benchmarks/train_speed.py                     # shapes by device (see SHAPES)
    python benchmarks/train_speed.py --shapes 64x48x64 --steps 10
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# (batch, input_len, hidden); issue 4's shapes on GPU; smaller on CPU (the GPU ones take minutes
# per step on a 2-core CPU)
SHAPES = {"cuda": ["1024x168x256", "256x96x128"], "cpu": ["256x96x128", "64x48x64"]}
HORIZON, LAYERS, F = 24, 2, 5  # F: target + 2 calendar sin/cos pairs


def sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def forecaster_step_rate(B, T, Hd, steps, device, bf16):
    """Windows/s of Trainer.fit on a DeviceData panel with enough windows for `steps` batches."""

    from tsrnn.data.windows import window_starts
    from tsrnn.forecast.training import DeviceData, make_loss
    from tsrnn.nn.heads import DirectNet
    from tsrnn.nn.trainer import TrainConfig, Trainer

    W = T + HORIZON
    n_series = 8
    length = (B * (steps + 2)) // n_series + W
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(n_series * length, F)).astype(np.float32)
    offsets = np.arange(n_series + 1) * length
    sid = np.repeat(np.arange(n_series), length)
    starts = window_starts(offsets, W)
    # window_norm "mean", as the Forecaster does by default
    data = DeviceData.build(inputs, sid, starts, starts[:0], T, HORIZON, slice(1, 5), device, norm="mean")
    net = DirectNet(F, HORIZON, Hd, LAYERS, "lstm")
    loss = make_loss("mae", None, device)

    def loss_fn(model, idx):
        x, _, y, s = data.gather(idx)
        return loss(model(x, s), y)

    def run(n):
        tr = Trainer(TrainConfig(epochs=1, schedule="none", patience=None, quiet=True, bf16=bf16,
                                 device=str(device)))
        tr.fit(net, lambda e: data.batches(e, B, 0, steps=n), loss_fn)
        sync(device)

    run(2)  # warm-up (cuDNN plans, allocator)
    t0 = time.perf_counter()
    run(steps)
    return steps * B / (time.perf_counter() - t0)


def bare_rate(B, T, Hd, steps, device, bf16):
    """Windows/s of a bare nn.LSTM + Linear loop on pre-built tensors of the same shape."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    lstm = nn.LSTM(F, Hd, LAYERS, batch_first=True).to(device)
    head = nn.Linear(Hd, HORIZON).to(device)
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4, **({"fused": True} if device.type == "cuda" else {}))
    x = torch.randn(B, T, F, device=device)
    y = torch.randn(B, HORIZON, device=device)
    on = bf16 and device.type == "cuda"

    def step():
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=on):
            out, _ = lstm(x)
            loss = (head(out[:, -1]).float() - y).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    for _ in range(2):
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return steps * B / (time.perf_counter() - t0)


def memory_figure(device, windows=1_000_000, T=168):
    """Device bytes of the training data for a panel with `windows` training windows vs the raw
    series (float64), and the peak memory of a few training steps on it."""
    import torch

    from tsrnn.data.windows import window_starts
    from tsrnn.forecast.training import DeviceData, make_loss
    from tsrnn.nn.heads import DirectNet
    from tsrnn.nn.trainer import TrainConfig, Trainer

    W = T + HORIZON
    n_series = 100
    length = windows // n_series + W - 1
    N = n_series * length
    raw_bytes = N * 8
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # run first, before anything big
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(N, F)).astype(np.float32)
    offsets = np.arange(n_series + 1) * length
    starts = window_starts(offsets, W)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    data = DeviceData.build(inputs, np.repeat(np.arange(n_series), length), starts, starts[:0], T, HORIZON,
                            slice(1, 5), device, norm="mean")
    data_bytes = sum(t.numel() * t.element_size() for t in (data.panel, data.sid, data.train))
    net = DirectNet(F, HORIZON, 64, LAYERS, "lstm")
    loss = make_loss("mae", None, device)

    def loss_fn(model, idx):
        x, _, y, s = data.gather(idx)
        return loss(model(x, s), y)

    Trainer(TrainConfig(epochs=1, schedule="none", patience=None, quiet=True, device=str(device))).fit(
        net, lambda e: data.batches(e, 256, 0, steps=3), loss_fn)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() - base
        where = "CUDA max_memory_allocated"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
        where = "process max RSS growth, incl. the host copy"
    materialised = len(starts) * W * F * 4
    return {"windows": len(starts), "raw series (float64)": f"{raw_bytes / 2**20:.1f} MiB",
            "training data on device": f"{data_bytes / 2**20:.1f} MiB ({data_bytes / raw_bytes:.1f}× raw)",
            f"peak during 3 steps ({where})": f"{peak / 2**20:.1f} MiB ({peak / raw_bytes:.1f}× raw)",
            "materialised windows would be": f"{materialised / 2**20:.0f} MiB ({materialised / raw_bytes:.0f}× raw)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--shapes", default=None, help="comma-separated BxTxH (default: by device)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs per loop; the best is kept")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from _results import markdown_table, update_section

    from tsrnn.nn.trainer import resolve_device

    device = resolve_device(args.device)
    shapes = (args.shapes.split(",") if args.shapes else SHAPES[device.type])
    steps = args.steps or (50 if device.type == "cuda" else 10)
    precisions = [False, True] if device.type == "cuda" else [False]
    mem = memory_figure(device)  # first: the RSS peak must not include the speed runs
    print(mem, flush=True)
    rows = []
    for s in shapes:
        B, T, Hd = (int(v) for v in s.split("x"))
        for bf16 in precisions:
            # alternate the two loops and keep each one's best run: shared machines are noisy
            bare = ours = 0.0
            for _ in range(args.repeats):
                bare = max(bare, bare_rate(B, T, Hd, steps, device, bf16))
                ours = max(ours, forecaster_step_rate(B, T, Hd, steps, device, bf16))
            rows.append({"B×T×H": s, "precision": "bf16" if bf16 else "fp32", "bare nn.LSTM windows/s": round(bare),
                         "Forecaster step windows/s": round(ours), "ratio": ours / bare})
            print(rows[-1], flush=True)
    import os

    body = (f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. Device {device}; {LAYERS} layers, horizon {HORIZON}, F = {F} input features, {steps} timed steps after "
            f"2 warm-up steps, best of {args.repeats} alternating runs, torch threads {args.threads}.\n\n" + markdown_table(rows)
            + "\n1M-window panel memory (input_len 168):\n\n" + markdown_table([mem]))
    if not args.no_record:
        update_section(f"Training speed ({device.type})", body)


if __name__ == "__main__":
    main()
