"""A panel: every series of a long frame in one contiguous array, for models and windows.

Models work on arrays, never frames (statsforecast's habit); this is the one conversion point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsrnn.errors import DataError


@dataclass
class Panel:
    """Series stacked end to end.

    values:  (N, C) float array, N = total observations, C = number of target columns.
    offsets: (S + 1,) int64; series s occupies rows offsets[s]:offsets[s+1].
    ids:     S series names, in the order of the frame (sorted).
    ds:      (N,) datetime64[ns] timestamps.
    freq:    pandas frequency alias.
    targets: the C value column names.
    """

    values: np.ndarray
    offsets: np.ndarray
    ids: list[str]
    ds: np.ndarray
    freq: str | None
    targets: list[str]

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, targets: list[str] | None = None, dtype=np.float64
    ) -> Panel:
        """Build a panel from a validated long frame (sorted by unique_id, ds)."""
        targets = targets or df.attrs.get("targets") or ["y"]
        missing = [c for c in ["unique_id", "ds", *targets] if c not in df.columns]
        if missing:
            raise DataError(
                f"frame lacks column(s) {', '.join(missing)}; columns are: "
                f"{', '.join(map(str, df.columns))}"
            )
        uid = df["unique_id"].to_numpy()
        change = np.flatnonzero(uid[1:] != uid[:-1]) + 1
        offsets = np.concatenate([[0], change, [len(df)]]).astype(np.int64)
        ids = [str(uid[o]) for o in offsets[:-1]]
        if len(set(ids)) != len(ids):
            raise DataError("frame is not sorted by unique_id; read it with tsrnn.read_series")
        values = np.ascontiguousarray(df[targets].to_numpy(dtype=dtype))
        freq = df.attrs.get("freq")
        if freq is None:
            from tsrnn.data.freq import infer_freq

            longest = int(np.argmax(np.diff(offsets)))
            freq = infer_freq(df["ds"].iloc[offsets[longest] : offsets[longest + 1]])
        return cls(
            values, offsets, ids, df["ds"].to_numpy(dtype="datetime64[ns]"), freq, list(targets)
        )

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def series_index(self) -> np.ndarray:
        """(N,) int64: the series number of every row."""
        return np.repeat(np.arange(self.n_series, dtype=np.int64), self.lengths)

    def series(self, s: int) -> np.ndarray:
        """(T_s, C) view of series s."""
        return self.values[self.offsets[s] : self.offsets[s + 1]]

    def last_ds(self) -> np.ndarray:
        """(S,) last timestamp of every series."""
        return self.ds[self.offsets[1:] - 1]
