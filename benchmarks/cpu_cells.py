"""The numba CPU runtime (tsrnn.cpu) against torch on CPU, H=64, input size 1.

    python benchmarks/cpu_cells.py [--rounds 5] [--cells lstm,gru] [--no-write]

Measures, for LSTM and GRU:
- streaming, batch 1: steps/s of the public streamer (`NumbaNet.streamer().update(y)`: scaling,
  one step, head, inverse scaling) vs torch nn.LSTM/GRU stepping one time step with its state
  (the cell alone, no head) under torch.inference_mode and torch.set_num_threads(1);
- one window T=96, batch 1: NumbaRNN.forward vs nn.LSTM/GRU forward;
- batch 1024 × T=96: the same, with GFLOP/s (2·B·T·G·H·(I+H) multiply-adds counted) next to the
  machine's peak estimate; numba runs on all its threads (prange over blocks of sequences) and,
  for a like-for-like figure, on one thread;
- first-call compile time in a fresh process, with an empty on-disk cache (cold) and then again
  with the cache it left (warm).

Every timing is the best of `--rounds` rounds (wall clock; the speedup by this thread's CPU time is
printed beside it, steadier on a loaded machine); torch and numba rounds alternate so both see the
same machine load. Writes the section "numba CPU runtime" of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

H, IN, T_WIN, B_BIG = 64, 1, 96, 1024


def best_of(fns: dict, reps: dict, rounds: int) -> tuple[dict, dict]:
    """Best seconds per call of each fn, by wall clock and by this thread's CPU time (rounds
    alternate between the fns). CPU time leaves out the time other processes held the core,
    so on a loaded machine it is the steadier figure for single-threaded work."""
    best = {k: float("inf") for k in fns}
    cpu = {k: float("inf") for k in fns}
    for f in fns.values():
        f()
    for _ in range(rounds):
        for k, f in fns.items():
            n = reps[k]
            t, c = time.perf_counter(), time.thread_time()
            for _ in range(n):
                f()
            best[k] = min(best[k], (time.perf_counter() - t) / n)
            cpu[k] = min(cpu[k], (time.thread_time() - c) / n)
    return best, cpu


def peak_gflops() -> tuple[float, str]:
    """Peak fp32 GFLOP/s estimate: cores × clock × 32 (two 8-wide FMA pipes, AVX2) or × 64
    (AVX-512)."""
    mhz, flags = None, ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("cpu MHz") and mhz is None:
                mhz = float(line.split(":")[1])
            if line.startswith("flags") and not flags:
                flags = line
    except OSError:
        pass
    per_cycle = 64 if "avx512f" in flags else (32 if "fma" in flags else 8)
    cores = os.cpu_count() or 1
    ghz = (mhz or 2500.0) / 1000
    return cores * ghz * per_cycle, f"{cores} cores × {ghz:.2f} GHz × {per_cycle} flop/cycle"


def torch_modules(cell: str):
    import torch

    torch.manual_seed(0)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    return cls(IN, H, batch_first=True).eval()


def numba_net(cell: str, core):
    from tsrnn.cpu.net import NumbaNet

    rng = np.random.default_rng(0)
    w = {f"core.rnn.{k}": v.detach().numpy() for k, v in core.state_dict().items()}
    w["head.weight"] = (rng.standard_normal((1, H)) * 0.1).astype(np.float32)
    w["head.bias"] = np.zeros(1, np.float32)
    cfg = {
        "cell": cell,
        "hidden": H,
        "layers": 1,
        "bidirectional": False,
        "layer_norm": False,
        "horizon": 1,
        "n_outputs": 1,
        "input_size": IN,
    }
    return NumbaNet.from_state(cfg, w)


def bench_cell(cell: str, rounds: int) -> list[dict]:
    import numba
    import torch

    torch.set_num_threads(1)
    core = torch_modules(cell)
    net = numba_net(cell, core)
    rows = []

    # streaming, batch 1
    upd = net.streamer(loc=3.0, scale=2.0).update
    xs = torch.randn(1, 1, IN)
    state = [None]

    def torch_step():
        _, state[0] = core(xs, state[0])

    with torch.inference_mode():
        t, c = best_of(
            {"torch": torch_step, "numba": lambda: upd(0.25)},
            {"torch": 2000, "numba": 100_000},
            rounds,
        )
    rows.append(
        {
            "cell": cell,
            "case": "stream 1 step, B=1",
            "torch": f"{1 / t['torch']:,.0f} steps/s",
            "numba": f"{1 / t['numba']:,.0f} steps/s",
            "speedup": t["torch"] / t["numba"],
            "CPU-time speedup": c["torch"] / c["numba"],
            "target": "≥ 30×",
            "note": "numba: public streamer (scale, step, head, unscale); torch: the cell alone",
        }
    )

    # one window, batch 1
    x1 = torch.randn(1, T_WIN, IN)
    x1n = x1.numpy()
    rnn = net.rnn
    with torch.inference_mode():
        t, c = best_of(
            {"torch": lambda: core(x1), "numba": lambda: rnn.forward(x1n)},
            {"torch": 50, "numba": 200},
            rounds,
        )
    rows.append(
        {
            "cell": cell,
            "case": f"window T={T_WIN}, B=1",
            "torch": f"{t['torch'] * 1e3:.3f} ms",
            "numba": f"{t['numba'] * 1e3:.3f} ms",
            "speedup": t["torch"] / t["numba"],
            "CPU-time speedup": c["torch"] / c["numba"],
            "target": "≥ 2×",
            "note": "",
        }
    )

    # big batch
    xb = torch.randn(B_BIG, T_WIN, IN)
    xbn = xb.numpy()
    G = {"lstm": 4, "gru": 3}[cell]
    flops = 2.0 * B_BIG * T_WIN * G * H * (IN + H)
    nthreads = numba.get_num_threads()

    def numba_one_thread():
        numba.set_num_threads(1)
        try:
            rnn.forward(xbn)
        finally:
            numba.set_num_threads(nthreads)

    with torch.inference_mode():
        t, c = best_of(
            {
                "torch": lambda: core(xb),
                "numba": lambda: rnn.forward(xbn),
                "numba1": numba_one_thread,
            },
            {"torch": 1, "numba": 1, "numba1": 1},
            max(2, rounds // 2),
        )
    peak, _ = peak_gflops()
    rows.append(
        {
            "cell": cell,
            "case": f"batch {B_BIG} × T={T_WIN}",
            "torch": (
                f"{t['torch'] * 1e3:.1f} ms ({flops / t['torch'] / 1e9:.1f} GFLOP/s, 1 thread)"
            ),
            "numba": (
                f"{t['numba'] * 1e3:.1f} ms ({flops / t['numba'] / 1e9:.1f} GFLOP/s, "
                f"{nthreads} threads)"
            ),
            "speedup": t["torch"] / t["numba"],
            "CPU-time speedup": c["torch"] / c["numba1"],
            "target": "≥ 1×",
            "note": "CPU-time speedup: 1 thread each; numba on 1 thread: "
            f"{t['numba1'] * 1e3:.1f} ms ({flops / t['numba1'] / 1e9:.1f} GFLOP/s, "
            f"{t['torch'] / t['numba1']:.2f}×); peak ≈ {peak:.0f} GFLOP/s",
        }
    )
    return rows


COMPILE_CHILD = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
from tsrnn.cpu.net import NumbaNet
res = {"import": time.perf_counter() - t0}
rng = np.random.default_rng(0)
w = {"core.rnn.weight_ih_l0": rng.standard_normal((256, 1)),
     "core.rnn.weight_hh_l0": rng.standard_normal((256, 64)),
     "core.rnn.bias_ih_l0": rng.standard_normal(256),
     "core.rnn.bias_hh_l0": rng.standard_normal(256),
     "head.weight": rng.standard_normal((1, 64)), "head.bias": rng.standard_normal(1)}
net = NumbaNet.from_state(
    {"cell": "lstm", "hidden": 64, "layers": 1, "horizon": 1, "n_outputs": 1}, w
)
t = time.perf_counter(); net.streamer().update(1.0); res["stream step"] = time.perf_counter() - t
t = time.perf_counter(); net.forward(rng.standard_normal((1, 96, 1)))
res["window (B <= 8)"] = time.perf_counter() - t
t = time.perf_counter(); net.forward(rng.standard_normal((64, 96, 1)))
res["batch (prange)"] = time.perf_counter() - t
print(json.dumps(res))
"""


def compile_times() -> list[dict]:
    """First calls (float32 LSTM) in fresh processes: empty cache dir, then the same dir again."""
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold (empty NUMBA_CACHE_DIR)", "warm (cache from the cold run)"):
            t = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", COMPILE_CHILD],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                check=True,
            ).stdout
            total = time.perf_counter() - t
            res = json.loads(out.strip().splitlines()[-1])
            rows.append(
                {
                    "cache": label,
                    **{k: f"{v:.2f} s" for k, v in res.items()},
                    "process total": f"{total:.2f} s",
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cells", default="lstm,gru")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    import torch

    from benchmarks._results import markdown_table, update_section

    load0 = os.getloadavg()[0]
    rows = []
    for cell in args.cells.split(","):
        rows += bench_cell(cell, args.rounds)
        print(markdown_table(rows[-3:], floatfmt="{:.1f}×"), flush=True)
    comp = compile_times()
    print(markdown_table(comp), flush=True)
    import numba

    peak, how = peak_gflops()
    md = (
        f"torch {torch.__version__} (inference_mode, set_num_threads(1)), numba "
        f"{numba.__version__} "
        f"({numba.get_num_threads()} threads, threading layer {numba.threading_layer()}); H={H}, "
        f"input {IN}, float32. "
        f"Best of {args.rounds} rounds; load average {load0:.1f} → {os.getloadavg()[0]:.1f} on "
        "this shared machine "
        "(timings are noisy). Peak estimate: "
        + f"{peak:.0f} GFLOP/s ({how}).\n\n"
        + markdown_table(
            rows,
            ["cell", "case", "torch", "numba", "speedup", "CPU-time speedup", "target", "note"],
            floatfmt="{:.1f}×",
        )
        + "\nFirst-call compile time (float32 LSTM, fresh process each):\n\n"
        + markdown_table(comp)
    )
    if not args.no_write:
        update_section("numba CPU runtime", md)
        print("wrote the 'numba CPU runtime' section of benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
