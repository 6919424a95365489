"""Reading series for detection: what monitoring exports contain, judged as given.

`read_for_detection` reads a file with read_series, by default with the timestamps as given
(repeated ones averaged, gaps and off-grid times kept: a detector judges the points in order),
optionally keeping a 0/1 label column aside, and counts what it found (`Irregularities`), so a
caller can say so in one line (`Irregularities.warning`). `label_masks` maps a labels file
(tsrnn.anomaly.labels) onto the rows of a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tsrnn.errors import DataError

__all__ = ["Irregularities", "irregularities", "read_for_detection", "read_labelled", "label_masks"]

CALENDAR = 27 * 86_400 * 10**9  # ns: a usual step this long is a calendar one (month and longer)


@dataclass
class Irregularities:
    """Counts over every series: rows that repeated a timestamp (merged), gaps (steps longer than
    the series' usual step), points missing in them, and times off the series' grid."""

    repeated: int = 0
    gaps: int = 0
    missing: int = 0
    off_grid: int = 0

    def warning(self, name: str, duplicates: str = "mean") -> str | None:
        """One line naming what was found, or None when nothing was."""
        done = {"mean": "averaged", "first": "first kept", "last": "last kept"}.get(duplicates, "")
        parts = []
        if self.repeated:
            parts.append(f"{self.repeated} repeated timestamp(s) ({done})")
        if self.gaps:
            parts.append(f"{self.gaps} gap(s) ({self.missing} missing point(s))")
        if self.off_grid:
            parts.append(f"{self.off_grid} off-grid time(s)")
        if not parts:
            return None
        listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        return f"warning: {name} has {listed}; judged as given"


def irregularities(df: pd.DataFrame, repeated: int = 0) -> Irregularities:
    """Gaps and off-grid times of every series of a long frame (sorted by time within a series),
    each against that series' most common step; `repeated`: rows merged while reading."""
    out = Irregularities(repeated=int(repeated))
    for _, g in df.groupby("unique_id", sort=False):
        t = g["ds"].to_numpy().astype("datetime64[ns]").astype(np.int64)
        if len(t) < 3:
            continue
        d = np.diff(t)
        steps, counts = np.unique(d, return_counts=True)
        step = int(steps[np.argmax(counts)])
        if step <= 0:
            continue
        if step >= CALENDAR:  # months, quarters, years: steps of unequal length, no fixed grid
            long = d > 1.5 * step
            out.gaps += int(long.sum())
            out.missing += int((np.round(d[long] / step) - 1).sum())
            continue
        on_grid = (t - t[0]) % step == 0
        out.off_grid += int((~on_grid).sum())
        long = (d > step) & on_grid[1:] & on_grid[:-1]
        out.gaps += int(long.sum())
        out.missing += int((d[long] // step - 1).sum())
    return out


def read_for_detection(
    file,
    label_col: str | None = None,
    target_col=None,
    duplicates: str = "mean",
    regular: bool = False,
    **read_opts,
) -> tuple[pd.DataFrame, dict | None, Irregularities]:
    """read_series(file, ...) -> (frame, label masks by series or None, what was found).

    label_col: a 0/1 column of the file kept out of the values (the value column is then the one
    other numeric column, unless target_col names them). read_opts: the other read_series options
    (id_col, time_col, freq, fill_gaps, fill_nan, sep, decimal, date_format, dayfirst)."""
    from tsrnn.data.io import ID_CANDIDATES, TIME_CANDIDATES, read_series
    from tsrnn.data.tables import read_columns, read_head

    opts = dict(read_opts, duplicates=duplicates, regular=regular)
    sep = read_opts.get("sep")
    if label_col is None:
        df, masks = read_series(file, target_col=target_col, **opts), None
    else:
        cols = read_columns(file, sep=sep)
        if label_col not in cols:
            raise DataError(
                f"{file}: label column '{label_col}' not found; columns are: {', '.join(cols)}"
            )
        if target_col is None:
            head = read_head(file, rows=50, sep=sep)
            skip = {label_col, read_opts.get("time_col"), read_opts.get("id_col")}
            skip |= {c for c in cols if c.lower() in TIME_CANDIDATES + ID_CANDIDATES}
            rest = [
                c
                for c in cols
                if c not in skip and pd.to_numeric(head[c], errors="coerce").notna().mean() > 0.9
            ]
            if len(rest) != 1:
                raise DataError(
                    f"{file}: cannot tell the value column apart from the label column "
                    f"'{label_col}'; name the value column(s) (--target-col)"
                )
            target_col = rest[0]
        targets = (
            [t.strip() for t in target_col.split(",") if t.strip()]
            if isinstance(target_col, str)
            else list(target_col)
        )
        df = read_series(file, target_col=targets + [label_col], **opts)
        lab = df[label_col].to_numpy()
        bad = ~((lab == 0) | (lab == 1))
        if bad.any():
            i = int(bad.argmax())
            raise DataError(
                f"{file}: label column '{label_col}' holds {lab[i]!r} (series "
                f"'{df['unique_id'].iat[i]}', {df['ds'].iat[i]}); labels must be 0 or 1"
            )
        attrs = dict(df.attrs)
        df = df.drop(columns=[label_col])
        if len(targets) == 1:
            df = df.rename(columns={targets[0]: "y"})
            targets = ["y"]
        attrs["targets"] = targets
        df.attrs.update(attrs)
        masks = {
            uid: (g.to_numpy() == 1)
            for uid, g in pd.Series(lab, index=df["unique_id"]).groupby(level=0, sort=False)
        }
    repeated = 0
    if duplicates != "error" and Path(file).suffix.lower() != ".tsf":
        rows = len(read_head(file, rows=None, sep=sep))
        n_series = df["unique_id"].nunique()
        # long or single-series files: one row per point; wide files: one row per time
        repeated = rows - len(df) if len(df) <= rows else rows * n_series - len(df)
    return df, masks, irregularities(df, max(0, repeated))


def label_masks(df: pd.DataFrame, labels_path) -> dict:
    """Boolean label masks (series id -> (T,)) of a labels JSON file mapped onto df's rows."""
    from tsrnn.anomaly.labels import label_mask, read_labels, windows_to_index

    ids = list(dict.fromkeys(df["unique_id"]))
    wins = read_labels(labels_path, ids)
    masks = {}
    for uid, g in df.groupby("unique_id", sort=False):
        idx = windows_to_index(
            g["ds"].to_numpy(), wins.get(uid, []), where=f"{labels_path}: series '{uid}'"
        )
        masks[uid] = label_mask(len(g), idx)
    return masks


def read_labelled(
    file, labels: str | None, read: dict
) -> tuple[pd.DataFrame, dict | None, Irregularities]:
    """The frame a detector judges, its label masks (series id -> (T,) bool, or None) and what was
    found, from `file` read with the read_series options `read`.

    labels: None, "column:NAME" (a 0/1 column of the file) or the path of a labels JSON file.
    The timestamps stay as given unless read asks for a grid (freq or fill_gaps)."""
    from pathlib import Path

    from tsrnn.errors import ConfigError

    label_col = labels[len("column:") :] if labels and labels.startswith("column:") else None
    if labels is not None and label_col is None and not Path(labels).is_file():
        raise ConfigError(
            f"{labels}: labels file not found (given by --labels; a 0/1 column of "
            "FILE is given as column:NAME)"
        )
    opts = dict(read)
    regular = bool(opts.get("freq") or opts.get("fill_gaps"))
    df, masks, found = read_for_detection(
        file,
        label_col=label_col,
        target_col=opts.pop("target_col", None),
        duplicates=opts.pop("duplicates", "mean"),
        regular=regular,
        **opts,
    )
    if labels is not None and label_col is None:
        masks = label_masks(df, labels)
    return df, masks, found
