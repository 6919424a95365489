"""Terminal rendering with rich (stdout for results, stderr for progress)."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)


def _fmt(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, pd.Timestamp):
        return str(v)
    return str(v)


def table(df: pd.DataFrame, title: str | None = None, max_rows: int = 60) -> None:
    """Print a frame as a rich table (first `max_rows` rows)."""
    t = Table(title=title, show_lines=False, header_style="bold")
    for c in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[c])
        t.add_column(
            str(c),
            justify="right" if numeric else "left",
            overflow="ellipsis" if numeric else "fold",
        )
    for row in df.head(max_rows).itertuples(index=False):
        t.add_row(*(_fmt(v) for v in row))
    out.print(t)
    if len(df) > max_rows:
        out.print(f"… {len(df) - max_rows} more rows (write them all with -o)")


def detection_table(metrics: pd.DataFrame) -> None:
    """The detection-vs-labels table of tsrnn.anomaly.evaluate.evaluate_frame's frame."""
    names = {
        "unique_id": "series",
        "point_precision": "P",
        "point_recall": "R",
        "point_f1": "F1",
        "event_f1": "event F1",
        "pa_f1": "PA-F1*",
        "auc_pr": "AUC-PR",
        "nab": "NAB",
    }
    shown = metrics[list(names)].rename(columns=names)
    for c in list(names.values())[1:]:
        fmt = "{:.1f}" if c == "NAB" else "{:.3f}"
        shown[c] = shown[c].map(lambda v, fmt=fmt: "nan" if v != v else fmt.format(v))
    table(shown, title="detection vs labels (* point-adjusted F1: optimistic)")
