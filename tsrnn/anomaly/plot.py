"""Anomaly plots (matplotlib, Agg): per series the values with shaded detected events (red) and
labelled windows (green), and below them the score against its threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.anomaly.events import runs

__all__ = ["plot_detections"]


def _shade(ax, ds: np.ndarray, mask: np.ndarray, color: str, label: str) -> None:
    """Shade every run of True, widened by half a step each side so one-point events show."""
    half = np.median(np.diff(ds)) / 2 if len(ds) > 1 else np.timedelta64(0, "ns")
    first = True
    for a, b in runs(mask):
        ax.axvspan(
            ds[a] - half,
            ds[b] + half,
            color=color,
            alpha=0.25,
            lw=0,
            label=label if first else None,
        )
        first = False


def plot_detections(
    out: pd.DataFrame,
    path: str | Path,
    labels: dict[str, np.ndarray] | None = None,
    max_series: int = 4,
    title: str | None = None,
    force: bool = False,
) -> None:
    """Write a plot of a detect frame, as PNG, SVG or PDF by the suffix of `path`; labels: optional
    per-series (T,) bool masks. Atomic, no clobber without force."""
    from tsrnn._figure import pyplot_for, save_figure

    plt, fmt = pyplot_for(path, "--plot", force)
    targets = out.attrs.get("targets") or [
        c for c in out.columns if c not in ("unique_id", "ds", "score", "threshold", "is_anomaly")
    ]
    ids = list(dict.fromkeys(out["unique_id"]))[:max_series]
    fig, axes = plt.subplots(
        2 * len(ids),
        1,
        figsize=(12, 3.2 * len(ids)),
        squeeze=False,
        gridspec_kw={"height_ratios": [2, 1] * len(ids)},
    )
    for i, uid in enumerate(ids):
        g = out[out["unique_id"] == uid]
        ds = g["ds"].to_numpy()
        ax, axs = axes[2 * i, 0], axes[2 * i + 1, 0]
        for c in targets:
            ax.plot(ds, g[c].to_numpy(), lw=0.8, label=c)
        flags = g["is_anomaly"].to_numpy(bool)
        _shade(ax, ds, flags, "red", "detected")
        ax.scatter(ds[flags], g[targets[0]].to_numpy()[flags], s=12, color="red", zorder=3)
        if labels is not None and uid in labels:
            _shade(ax, ds, labels[uid], "green", "labelled")
        ax.set_title(f"{uid}" if title is None else f"{title} — {uid}", fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
        axs.plot(ds, g["score"].to_numpy(), lw=0.7, color="black", label="score")
        axs.plot(ds, g["threshold"].to_numpy(), lw=0.9, color="red", ls="--", label="threshold")
        _shade(axs, ds, flags, "red", None)
        axs.set_ylabel("score", fontsize=8)
        axs.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, fmt, dpi=90, force=force, option="--plot")
