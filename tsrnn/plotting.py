"""Forecast plots: history, forecast and interval bands, one panel per series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn._figure import pyplot_for, save_figure
from tsrnn.frames import interval_columns


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    path: str | Path,
    max_series: int = 6,
    history_points: int | None = None,
    title: str | None = None,
) -> None:
    """Write a plot with one panel per series (the first `max_series`): the last `history_points`
    observations (default: 4 × horizon, at least 48), each model's forecast and its interval bands.
    The format follows the suffix of `path`: .png, .svg or .pdf (any other: ConfigError)."""
    plt, fmt = pyplot_for(path, None)
    ids = list(dict.fromkeys(forecast["unique_id"]))[:max_series]
    horizon = int(forecast.groupby(["unique_id", "model"]).size().max())
    keep = history_points or max(4 * horizon, 48)
    levels = interval_columns(forecast)
    fig, axes = plt.subplots(len(ids), 1, figsize=(10, 2.8 * len(ids) + 0.6), squeeze=False)
    for ax, uid in zip(axes[:, 0], ids):
        h = history[history["unique_id"] == uid].tail(keep)
        ax.plot(h["ds"], h["y"], color="black", lw=1.2, label="history")
        for j, (model, f) in enumerate(
            forecast[forecast["unique_id"] == uid].groupby("model", sort=False)
        ):
            color = f"C{j}"
            ax.plot(f["ds"], f["yhat"], color=color, lw=1.5, label=model)
            for k, lv in enumerate(sorted(levels, reverse=True)):
                lo, hi = f[f"yhat_lo_{lv}"].to_numpy(float), f[f"yhat_hi_{lv}"].to_numpy(float)
                if np.isfinite(lo).any():
                    ax.fill_between(
                        f["ds"],
                        lo,
                        hi,
                        color=color,
                        alpha=0.15 + 0.1 * k,
                        lw=0,
                        label=f"{model} {lv}%",
                    )
        ax.set_title(str(uid), fontsize=10, loc="left")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", ncol=3)
    if title:
        fig.suptitle(title)
    fig.autofmt_xdate()
    fig.tight_layout()
    save_figure(fig, path, fmt, dpi=110)
