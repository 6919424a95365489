"""Training throughput: the Forecaster's full training step vs a bare nn.LSTM loop, same shapes,
same run; plus device memory of the training data vs the raw series.

The Forecaster step = sampling a batch of window starts, gathering the windows from the
device-resident panel (torch_window_view[idx]) and taking each relative to its mean (window_norm
"mean", the default), DirectNet forward, loss, backward, gradient
clipping and AdamW — i.e. tsrnn.nn.trainer.Trainer.fit over tsrnn.forecast.training.DeviceData.
The bare loop runs nn.LSTM + the same Linear head on pre-built (B, T, F) tensors with the same
loss, clipping and optimizer. When neuralforecast is installed (the `bench` extra), its LSTM
(encoder 2 × H, input_size T, windows_batch_size B, the same horizon) is timed in the same run
through NeuralForecast.fit: (time of 2 + n steps − time of 2 steps) per n × B windows.
--threads-compare also times the Forecaster step and the bare loop at 1 and at 2 torch threads.

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


def forecaster_step_rate(B, T, Hd, steps, device, bf16, threads=None):
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
    data = DeviceData.build(
        inputs, sid, starts, starts[:0], T, HORIZON, slice(1, 5), device, norm="mean"
    )
    net = DirectNet(F, HORIZON, Hd, LAYERS, "lstm")
    loss = make_loss("mae", None, device)

    def loss_fn(model, idx):
        x, _, y, s = data.gather(idx)
        return loss(model(x, s), y)

    def run(n):
        tr = Trainer(
            TrainConfig(
                epochs=1,
                schedule="none",
                patience=None,
                quiet=True,
                bf16=bf16,
                device=str(device),
                threads=threads,
            )
        )
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
    opt = torch.optim.AdamW(
        params, lr=1e-3, weight_decay=1e-4, **({"fused": True} if device.type == "cuda" else {})
    )
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


def neuralforecast_rate(B, T, Hd, steps, threads):
    """Windows/s of neuralforecast's LSTM training steps at the same shape (CPU), or None when
    neuralforecast is not installed."""
    import importlib.util

    if importlib.util.find_spec("neuralforecast") is None:
        return None
    import logging

    import pandas as pd
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "neuralforecast"):
        logging.getLogger(name).setLevel(logging.ERROR)
    n_series, length = 8, 4 * (T + HORIZON)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n_series), length),
            "ds": np.tile(pd.date_range("2000-01-01", periods=length, freq="h"), n_series),
            "y": rng.normal(size=n_series * length),
        }
    )

    def fit(n):
        model = LSTM(
            h=HORIZON,
            input_size=T,
            encoder_hidden_size=Hd,
            encoder_n_layers=LAYERS,
            max_steps=n,
            batch_size=n_series,
            windows_batch_size=B,
            val_check_steps=10**6,
            random_seed=0,
            accelerator="cpu",
            enable_progress_bar=False,
            logger=False,
            enable_checkpointing=False,
            enable_model_summary=False,
        )
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        NeuralForecast(models=[model], freq="h").fit(df)
        return time.perf_counter() - t0

    warm = fit(2)
    full = fit(2 + steps)
    return steps * B / max(full - warm, 1e-9)


def threads_rows(shape: str, steps: int, device) -> list[dict]:
    """The Forecaster step and the bare loop at 1 and 2 torch threads (alternating, best of 2)."""
    import torch

    B, T, Hd = (int(v) for v in shape.split("x"))
    best: dict = {}
    for _ in range(2):
        for n in (1, 2):
            torch.set_num_threads(n)
            best[("bare", n)] = max(
                best.get(("bare", n), 0.0), bare_rate(B, T, Hd, steps, device, False)
            )
            best[("ours", n)] = max(
                best.get(("ours", n), 0.0),
                forecaster_step_rate(B, T, Hd, steps, device, False, threads=n),
            )
    return [
        {
            "B×T×H": shape,
            "loop": name,
            "1 thread windows/s": round(best[(k, 1)]),
            "2 threads windows/s": round(best[(k, 2)]),
            "2 ÷ 1": best[(k, 2)] / best[(k, 1)],
        }
        for k, name in (("ours", "Forecaster step"), ("bare", "bare nn.LSTM"))
    ]


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
    rss0 = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )  # run first, before anything big
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(N, F)).astype(np.float32)
    offsets = np.arange(n_series + 1) * length
    starts = window_starts(offsets, W)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    data = DeviceData.build(
        inputs,
        np.repeat(np.arange(n_series), length),
        starts,
        starts[:0],
        T,
        HORIZON,
        slice(1, 5),
        device,
        norm="mean",
    )
    data_bytes = sum(t.numel() * t.element_size() for t in (data.panel, data.sid, data.train))
    net = DirectNet(F, HORIZON, 64, LAYERS, "lstm")
    loss = make_loss("mae", None, device)

    def loss_fn(model, idx):
        x, _, y, s = data.gather(idx)
        return loss(model(x, s), y)

    Trainer(
        TrainConfig(epochs=1, schedule="none", patience=None, quiet=True, device=str(device))
    ).fit(net, lambda e: data.batches(e, 256, 0, steps=3), loss_fn)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() - base
        where = "CUDA max_memory_allocated"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
        where = "process max RSS growth, incl. the host copy"
    materialised = len(starts) * W * F * 4
    return {
        "windows": len(starts),
        "raw series (float64)": f"{raw_bytes / 2**20:.1f} MiB",
        "training data on device": (
            f"{data_bytes / 2**20:.1f} MiB ({data_bytes / raw_bytes:.1f}× raw)"
        ),
        f"peak during 3 steps ({where})": f"{peak / 2**20:.1f} MiB ({peak / raw_bytes:.1f}× raw)",
        "materialised windows would be": (
            f"{materialised / 2**20:.0f} MiB ({materialised / raw_bytes:.0f}× raw)"
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="auto")
    ap.add_argument("--shapes", default=None, help="comma-separated BxTxH (default: by device)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--repeats", type=int, default=3, help="alternating runs per loop; the best is kept"
    )
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument(
        "--threads-compare",
        default="256x96x64",
        help="CPU: BxTxH at which 1 and 2 threads are compared ('' to skip)",
    )
    ap.add_argument("--no-peers", action="store_true", help="skip neuralforecast's LSTM")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from _results import markdown_table, update_section

    from tsrnn.nn.trainer import resolve_device

    device = resolve_device(args.device)
    shapes = args.shapes.split(",") if args.shapes else SHAPES[device.type]
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
            peer = None if args.no_peers or device.type != "cpu" else 0.0
            for _ in range(args.repeats):
                bare = max(bare, bare_rate(B, T, Hd, steps, device, bf16))
                ours = max(
                    ours, forecaster_step_rate(B, T, Hd, steps, device, bf16, threads=args.threads)
                )
                if peer is not None:
                    rate = neuralforecast_rate(B, T, Hd, steps, args.threads)
                    peer = None if rate is None else max(peer, rate)
                    torch.set_num_threads(args.threads)
            row = {
                "B×T×H": s,
                "precision": "bf16" if bf16 else "fp32",
                "bare nn.LSTM windows/s": round(bare),
                "Forecaster step windows/s": round(ours),
                "ratio": ours / bare,
            }
            if peer is not None:
                row.update(
                    {
                        "neuralforecast LSTM windows/s": round(peer),
                        "Forecaster ÷ neuralforecast": ours / peer,
                    }
                )
            rows.append(row)
            print(rows[-1], flush=True)
    import os

    trows = (
        threads_rows(args.threads_compare, steps, device)
        if args.threads_compare and device.type == "cpu"
        else []
    )
    for r in trows:
        print(r, flush=True)
    torch.set_num_threads(args.threads)
    body = (
        f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. Device "
        f"{device}; {LAYERS} layers, horizon {HORIZON}, F = {F} input features, {steps} timed "
        "steps after "
        f"2 warm-up steps, best of {args.repeats} alternating runs, torch threads "
        f"{args.threads}.\n\n"
        + markdown_table(rows)
        + "\n1M-window panel memory (input_len 168):\n\n"
        + markdown_table([mem])
    )
    if trows:
        body += (
            '\nTorch threads (CPU; what `threads="auto"` = 1 thread rests on), same run, best of 2 '
            "alternating runs:\n\n" + markdown_table(trows)
        )
    if not args.no_record:
        update_section(f"Training speed ({device.type})", body)


if __name__ == "__main__":
    main()
