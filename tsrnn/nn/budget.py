"""Training budgets and CPU threads: parse "10m"-style durations, size a default step budget from
the data and the network, and pick torch's thread count for training on CPU.

torch-free at import (the CLI parses --time-budget before torch is needed).
"""

from __future__ import annotations

import math
import numbers
import os
import re

from tsrnn.errors import ConfigError

# The default step budget aims at this many seconds of optimisation steps on a 2-core CPU with
# one torch thread, so that fit (data preparation and validation included) ends in about 10 min.
DEFAULT_SECONDS = 480.0
# Multiply-adds per second of one CPU thread in a recurrent training step (forward + backward +
# AdamW), measured with benchmarks/train_speed.py at the default shapes (LSTM 2×64, batch 256,
# 144 steps: ~0.28 s a step on one thread) and rounded down for shared, noisy machines.
CPU_MACS_PER_SECOND = 1.0e10
MIN_STEPS, MAX_STEPS = 200, 20_000
_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(value: float | int | str | None, name: str = "time_budget") -> float | None:
    """Seconds from a number (seconds) or a string like "90", "90s", "10m", "1.5h", "1h30m".
    None stays None. Raises ConfigError naming `name` for anything else or a value <= 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(
            f"{name} must be a duration such as 600, '90s', '10m' or '1h' (got {value!r})"
        )
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip().lower().replace(" ", "")
        parts = re.findall(r"(\d+(?:\.\d+)?)([a-z]*)", text)
        if (
            not text
            or "".join(n + u for n, u in parts) != text
            or any(u not in _UNITS for _, u in parts)
        ):
            raise ConfigError(
                f"{name} '{value}' is not a duration; use seconds or e.g. '90s', '10m', '1h30m'"
            )
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{name} must be a positive duration (got {value!r})")
    return seconds


def step_macs(
    batch: int,
    input_len: int,
    horizon: int,
    hidden: int,
    layers: int,
    n_features: int,
    cell: str,
    seq2seq: bool = False,
    bidirectional: bool = False,
) -> float:
    """Approximate multiply-adds of one training step (forward ×3 for backward and the optimiser)
    of a recurrent network: batch × time steps × Σ_layers gates·hidden·(in + hidden)."""
    gates = {"lstm": 4, "gru": 3}.get(cell, 1)
    dirs = 2 if bidirectional else 1
    per_step = 0.0
    width = n_features
    for _ in range(layers):
        per_step += dirs * gates * hidden * (width + hidden)
        width = hidden * dirs
    steps = input_len + (
        2 * horizon if seq2seq else 0
    )  # a decoder step with attention ≈ 2 encoder steps
    return 3.0 * batch * steps * per_step


def auto_steps(
    batch: int,
    input_len: int,
    horizon: int,
    hidden: int,
    layers: int,
    n_features: int,
    cell: str,
    seq2seq: bool = False,
    bidirectional: bool = False,
    seconds: float = DEFAULT_SECONDS,
) -> int:
    """The default step budget: the number of training steps of this network that fit in about
    `seconds` on one CPU thread (a fixed function of the shapes, so a seeded run is reproducible),
    clipped to [MIN_STEPS, MAX_STEPS]."""
    macs = step_macs(
        batch, input_len, horizon, hidden, layers, n_features, cell, seq2seq, bidirectional
    )
    n = int(seconds * CPU_MACS_PER_SECOND / max(macs, 1.0))
    return max(MIN_STEPS, min(MAX_STEPS, n))


def plan_epochs(
    n_windows: int, batch: int, epochs: int, max_steps: int | None, steps_per_epoch: int | None
) -> tuple[int, int | None]:
    """(steps per epoch, step cap): a full pass over `n_windows` training windows per epoch, or
    `steps_per_epoch` when given; when `epochs` such epochs exceed `max_steps`, each epoch is cut
    to ceil(max_steps / epochs) steps (a random sample of windows each epoch), so the learning-rate
    schedule and early stopping still see `epochs` epochs. Returns (steps per epoch, max_steps)."""
    full = max(1, math.ceil(n_windows / max(1, batch)))
    per = min(full, steps_per_epoch) if steps_per_epoch else full
    if max_steps is not None and per * epochs > max_steps:
        per = max(1, math.ceil(max_steps / epochs))
    return per, max_steps


def resolve_threads(threads: int | str | None, device_type: str) -> int | None:
    """torch threads for training: an int as given; None leaves torch's setting alone; "auto" →
    OMP_NUM_THREADS when set, else 1 on CPU (recurrent steps at tsrnn's shapes are small
    matrix products that run 2–5× faster on one thread than on two; see benchmarks/RESULTS.md,
    "Training threads") and torch's setting on CUDA."""
    if threads is None:
        return None
    if isinstance(threads, str):
        if threads.strip().lower() != "auto":
            raise ConfigError(
                f"threads must be a positive whole number or 'auto' (got {threads!r})"
            )
        env = os.environ.get("OMP_NUM_THREADS", "").strip()
        if env.isdigit() and int(env) > 0:
            return int(env)
        return 1 if device_type == "cpu" else None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ConfigError(f"threads must be a positive whole number or 'auto' (got {threads!r})")
    return int(threads)


VAL_WINDOWS = 2048  # validation windows scored per validation pass (a fixed seeded sample)


class ForecastPlan:
    """How a Forecaster trains: steps per epoch, step cap, time budget (s) and torch threads."""

    def __init__(
        self,
        steps_per_epoch: int,
        max_steps: int | None,
        time_budget: float | None,
        threads: int | str | None,
    ):
        self.steps_per_epoch, self.max_steps = steps_per_epoch, max_steps
        self.time_budget, self.threads = time_budget, threads


def forecast_plan(est, cfg, n_windows: int) -> ForecastPlan:
    """The training plan of a Forecaster `est` with resolved network config `cfg` (a NetConfig) and
    `n_windows` training windows. est.max_steps "auto" → auto_steps at cfg's shapes; None → no
    cap; an int as given. est.time_budget: seconds or a duration string (parse_duration)."""
    ms = est.max_steps
    if isinstance(ms, str) and ms.strip().lower() == "auto":
        # a core that reads `segment` rows per recurrent step runs input_len / segment steps (and
        # a seq2seq decoder horizon / segment); cfg's input_size is already the width of one such
        # step (n_features × segment)
        seg = max(1, cfg.segment)
        steps, width = math.ceil(cfg.input_len / seg), cfg.input_size
        ms = auto_steps(
            int(est.batch_size),
            steps,
            math.ceil(cfg.horizon / seg),
            cfg.hidden,
            cfg.layers,
            width,
            cfg.cell,
            cfg.model == "seq2seq",
            cfg.bidirectional,
        )
    per, ms = plan_epochs(n_windows, int(est.batch_size), int(est.epochs), ms, est.steps_per_epoch)
    return ForecastPlan(per, ms, parse_duration(est.time_budget), est.threads)


def check_budget_options(max_steps, time_budget, threads) -> None:
    """ConfigError for a max_steps other than "auto", None or a positive whole number, a bad
    time_budget (see parse_duration) or bad threads."""
    if not (
        max_steps is None or (isinstance(max_steps, str) and max_steps.strip().lower() == "auto")
    ):
        if (
            isinstance(max_steps, bool)
            or not isinstance(max_steps, numbers.Integral)
            or max_steps < 1
        ):
            raise ConfigError(
                f"max_steps must be 'auto', None or a positive whole number (got {max_steps!r})"
            )
    parse_duration(time_budget)
    resolve_threads(threads, "cpu")
