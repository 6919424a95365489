"""The train split of `tsrnn detect` and the NAB benchmark: the leading part of each series.

A detector is fitted on the first `frac` of every series and judges the rest; the rows of that
leading part are never judged unless asked (train_frac = 1: in-sample).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tsrnn.errors import ConfigError

__all__ = ["TRAIN_FRAC", "train_rows", "train_part"]

TRAIN_FRAC = 0.15  # the benchmark's (and the CLI's default) share of each series to fit on


def train_rows(n: int, frac: float = TRAIN_FRAC) -> int:
    """Rows of a series of n rows that a detector is fitted on: floor(frac · n), at least 1."""
    if not 0.0 < frac <= 1.0:
        raise ConfigError(f"the train fraction must be in (0, 1] (got {frac})")
    return max(1, int(math.floor(frac * n)))


def train_part(df: pd.DataFrame, frac: float = TRAIN_FRAC) -> pd.DataFrame:
    """The first train_rows(len, frac) rows of every series of a long frame (attrs kept)."""
    parts = [g.iloc[: train_rows(len(g), frac)] for _, g in df.groupby("unique_id", sort=False)]
    train = pd.concat(parts, ignore_index=True)
    train.attrs.update(df.attrs)
    return train


def judged_part(out: pd.DataFrame, frac: float = TRAIN_FRAC, masks: dict | None = None):
    """The rows of a detect frame after each series' training part (frac = 1: every row, the
    fit was in-sample), and the label masks (series id -> (T,) bool) cut alike."""
    pos = out.groupby("unique_id", sort=False).cumcount().to_numpy()
    n = out.groupby("unique_id", sort=False)["ds"].transform("size").to_numpy()
    start = np.array([0 if frac >= 1.0 else train_rows(int(k), frac) for k in n])
    keep = pos >= start
    judged = out[keep].reset_index(drop=True)
    judged.attrs.update(out.attrs)
    if masks is not None:
        firsts = {u: int(s) for u, s in zip(out["unique_id"], start)}
        masks = {u: m[firsts.get(u, 0) :] for u, m in masks.items()}
    return judged, masks
