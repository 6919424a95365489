"""ForecastStreamer: one series of a fitted forecaster, one new observation at a time, on the
numba runtime (torch-free).

Each `update(y)` appends the raw row y to the series' last input_len rows and returns the
horizon forecast that `Forecaster.predict` gives for the series extended by the same rows: the
window is prepared as predict prepares it (log transform, the model's scaler statistics, calendar
features, left padding with the "observed" flag, the window_norm reference level, the seasonal
residual base, segments) and the network is run over the whole window. A recurrent state cannot
be carried from step to step, because window_norm rescales every input of the window by a level
that moves with each new value; the recomputation costs input_len / segment network steps.

Every configuration streams: direct networks (rnn, lstm, gru, bidirectional, MLP decoder) through
NumbaNet, seq2seq through NumbaSeq2Seq. Only a known series (one of the model's training series)
streams, with the statistics the model learnt for it.
"""

from __future__ import annotations

import numpy as np

from tsrnn.data.features import future_calendar
from tsrnn.errors import ConfigError, DataError, ModelFileError

CALENDAR_BLOCK = 512  # future timestamps whose calendar features are computed at once


def pick_series(ids: list[str], unique_id: str | None) -> int:
    """The row of `unique_id` among a model's training series `ids` (None: the only one);
    ConfigError naming what to pass otherwise."""
    if unique_id is None:
        if len(ids) != 1:
            more = ", ..." if len(ids) > 3 else ""
            raise ConfigError(
                f"this model knows {len(ids)} series; pass unique_id= (one of "
                f"{', '.join(map(repr, ids[:3]))}{more})"
            )
        return 0
    if unique_id not in ids:
        raise ConfigError(
            f"series {unique_id!r} is not one of the model's {len(ids)} training "
            "series; only those stream (predict(df) forecasts the others)"
        )
    return ids.index(unique_id)


class ForecastStreamer:
    """update(y) → (horizon,) float64 point forecast in raw units for the steps after y.

    config: the model's NetConfig; weights: its state_dict as numpy arrays; values (L, V) the
    series' last input_len raw rows (targets then exogenous columns), n_obs of them observed (the
    first L - n_obs rows are left padding), last_ds its last timestamp; loc, scale (V,) its scaler
    statistics; calendar: the model's calendar kinds; series: its row of embed.weight. y is a
    number (one value column) or a (V,) row.
    """

    def __init__(
        self,
        config,
        weights: dict[str, np.ndarray],
        values: np.ndarray,
        n_obs: int,
        last_ds,
        loc: np.ndarray,
        scale: np.ndarray,
        calendar: list[str],
        series: int,
    ):
        c = self.config = config
        L, V = np.shape(values)
        if L != c.input_len:
            raise ConfigError(f"the history holds {L} rows, the model reads {c.input_len}")
        self.V, self.C, self.kinds = V, c.n_targets, list(calendar)
        self.K = 2 * len(self.kinds)
        self.loc = np.asarray(loc, dtype=np.float64).reshape(V)
        self.scale = np.asarray(scale, dtype=np.float64).reshape(V)
        self.last_ds = np.datetime64(last_ds, "ns")
        self.n_obs = int(n_obs)
        self.pad = bool(c.pad)
        self.point = 0 if not c.quantiles else int(np.argmin([abs(q - 0.5) for q in c.quantiles]))
        table = weights.get("embed.weight")
        self.embed = None if not c.embedding else np.asarray(table[series], np.float32)[None]
        if c.model == "seq2seq":
            from tsrnn.cpu.seq2seq import NumbaSeq2Seq

            self._net = NumbaSeq2Seq(c, weights)
        else:
            from tsrnn.cpu.net import NumbaNet

            self._net = NumbaNet.from_state(
                c, {k: v for k, v in weights.items() if k.startswith(("core.", "head."))}
            )
        # the window's step rows (L, F): scaled targets, calendar, scaled exogenous [, observed]
        model_v = self._model_space(np.asarray(values, dtype=np.float64), check_rows=self.n_obs)
        scaled = (model_v - self.loc) / self.scale
        self._cal_start, self._cal = 0, np.zeros((0, self.K), np.float32)
        cal = self._past_calendar(L)
        F = self.C + self.K + (V - self.C) + int(self.pad)
        self._x = np.zeros((L, F), np.float32)
        self._x[:, : self.C] = scaled[:, : self.C]
        self._x[:, self.C : self.C + self.K] = cal
        self._x[:, self.C + self.K : self.C + self.K + V - self.C] = scaled[:, self.C :]
        if self.pad:
            observed = np.arange(L) >= L - self.n_obs
            self._x[:, self.C : self.C + self.K] *= observed[:, None]
            self._x[:, -1] = observed
        self._t = 0  # rows appended since the start
        self._last = None

    @classmethod
    def from_file(cls, path, unique_id: str | None = None) -> ForecastStreamer:
        """The streamer of one training series (None: the model's only series) of a `.tsrnn`
        forecaster file, read without torch (every model kind, seq2seq included)."""
        from tsrnn.forecastfile import read_model
        from tsrnn.netconfig import NetConfig

        weights, meta = read_model(path)
        try:
            config = NetConfig.from_dict(meta["config"])
        except ConfigError as e:
            raise ModelFileError(f"{path}: {e}; the file is corrupt") from None
        h, ids = meta["history"], list(meta["history"]["ids"])
        row = pick_series(ids, unique_id)
        sid = list(meta["series"]).index(ids[row])
        n_obs = h.get("n_obs", [config.input_len] * len(ids))[row]
        sc = meta["scaler"]
        return cls(
            config,
            weights,
            np.asarray(h["values"][row], dtype=np.float64),
            int(n_obs),
            np.datetime64(h["last_ds"][row], "ns"),
            np.asarray(sc["loc"][sid]),
            np.asarray(sc["scale"][sid]),
            list(meta["features"]["calendar"]),
            sid,
        )

    # -- preparation --------------------------------------------------------------------------

    def _model_space(self, v: np.ndarray, check_rows: int | None = None) -> np.ndarray:
        if self.config.transform != "log":
            return v
        t = v[..., : self.C]
        rows = t if check_rows is None else t[len(t) - check_rows :]
        if np.any(rows <= 0):
            raise DataError(
                "this model forecasts the log of a positive series and got a value "
                "<= 0; give positive values or refit with transform=None"
            )
        out = np.array(v, dtype=np.float64)
        out[..., : self.C] = np.log(t)
        return out

    def _past_calendar(self, L: int) -> np.ndarray:
        from tsrnn.data.features import calendar_features, past_dates

        ds = past_dates(np.array([self.last_ds]), L, self.config.freq)
        return calendar_features(ds, self.kinds)

    def _calendar(self, k: int, n: int) -> np.ndarray:
        """Calendar rows (n, K) of the timestamps last_ds + k .. k + n - 1 steps (k >= 1), computed
        CALENDAR_BLOCK at a time from the block's own anchor (last_ds + (k - 1) steps)."""
        if k - 1 < self._cal_start or k + n - 1 > self._cal_start + len(self._cal):
            import pandas as pd

            start = k - 1
            anchor = pd.Timestamp(self.last_ds) + start * pd.tseries.frequencies.to_offset(
                self.config.freq
            )
            block = future_calendar(
                np.array([anchor.to_datetime64()], dtype="datetime64[ns]"),
                max(CALENDAR_BLOCK, n),
                self.config.freq,
                self.kinds,
            )
            self._cal_start, self._cal = start, block[0]
        a = k - 1 - self._cal_start
        return self._cal[a : a + n]

    # -- streaming ----------------------------------------------------------------------------

    def update(self, y) -> np.ndarray:
        """Append one raw row (a number, or (V,) values: targets then exogenous columns) and
        return the (horizon,) forecast of the steps after it, in raw units."""
        row = np.asarray(y, dtype=np.float64).reshape(-1)
        if row.size != self.V:
            raise ConfigError(
                f"this model reads {self.V} value column(s) per step (targets, then "
                f"exogenous); update got {row.size}"
            )
        if not np.all(np.isfinite(row)):
            raise DataError(f"update got a non-finite value {row.tolist()}")
        scaled = (self._model_space(row) - self.loc) / self.scale
        self._t += 1
        x = self._x
        x[:-1] = x[1:]
        new = x[-1]
        new[: self.C] = scaled[: self.C]
        new[self.C : self.C + self.K] = self._calendar(self._t, 1)[0] if self.K else 0
        new[self.C + self.K : self.C + self.K + self.V - self.C] = scaled[self.C :]
        if self.pad:
            new[-1] = 1.0
        self._last = self._forecast()
        return self._last

    def _forecast(self) -> np.ndarray:
        c, C = self.config, self.C
        x = self._x[None].copy()  # (1, L, F) float32
        ref = self._ref(x.astype(np.float64))
        if ref is not None:
            x[:, :, :C] -= ref[:, None, :].astype(np.float32)
        base = None
        if c.residual:
            L = x.shape[1]
            idx = L - c.residual + (np.arange(c.horizon) % c.residual)
            base = x[:, idx, 0].astype(np.float64)
        seg = max(1, int(c.segment))
        xs = x.reshape(1, x.shape[1] // seg, seg * x.shape[2]) if seg > 1 else x
        if c.model == "seq2seq":
            future = self._calendar(self._t + 1, c.horizon)[None]
            out = self._net.forward(xs, future, self.embed)
        else:
            if self.embed is not None:
                e = np.broadcast_to(self.embed[:, None, :], (1, xs.shape[1], self.embed.shape[1]))
                xs = np.concatenate([xs, e], -1)
            out = self._net.forward(np.ascontiguousarray(xs, dtype=np.float32))
        out = np.asarray(out, dtype=np.float64).reshape(c.horizon, c.n_outputs)
        if base is not None:
            out = out + base[0][:, None]
        if ref is not None:
            out = out + ref[0, 0]
        yhat = out[:, self.point] * self.scale[0] + self.loc[0]
        return np.exp(yhat) if c.transform == "log" else yhat

    def _ref(self, x: np.ndarray):
        """The window_norm reference level (1, C) of x (1, L, F), as tsrnn.forecast.inputs."""
        kind, C = self.config.window_norm, self.C
        if kind is None:
            return None
        if kind == "last":
            return x[:, -1, :C]
        if kind == "season":
            x = x[:, -max(1, min(int(self.config.season), x.shape[1])) :]
        if not self.pad:
            return x[:, :, :C].mean(1)
        m = x[:, :, -1:]
        return (x[:, :, :C] * m).sum(1) / m.sum(1)

    def forecast(self) -> np.ndarray | None:
        """The latest forecast (horizon,) (None before the first update)."""
        return None if self._last is None else self._last.copy()

    def run(self, values) -> np.ndarray:
        """Feed N rows (N,) or (N, V); returns the N forecasts (N, horizon)."""
        values = np.asarray(values, dtype=np.float64)
        return (
            np.stack([self.update(v) for v in values])
            if len(values)
            else np.zeros((0, self.config.horizon))
        )
