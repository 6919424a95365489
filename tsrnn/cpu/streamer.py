"""Streamer: one series of a direct network (tsrnn.cpu.net.NumbaNet) one step at a time, carrying
the recurrent state from value to value instead of re-running the window; every update is one
compiled call (tsrnn.cpu.kernels.stream_update) on a preallocated state vector.

torch-free: needs numpy (numba compiles on the first update).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from tsrnn.cpu import kernels as K
from tsrnn.errors import ConfigError


class Streamer:
    """One series, one step at a time: ``yhat = stream.update(y)``.

    Each update scales y with the series' loc/scale, advances every layer by one step from the
    state the previous updates left, applies the optional LayerNorm and the head, and inverse-
    scales; the result equals running `NumbaNet.forward` over every value fed since the streamer
    started (or was `reset`). One compiled call per update, no allocation.

    update(y) → float: the forecast for the next step (horizon step 0, output `output`).
    For a network whose steps read more than the target (calendar features, exogenous columns,
    several targets), use update(y, features): y the new raw target value(s) (n_targets,),
    features the rest of the step row (input_size - E - n_targets,), as built by
    tsrnn.data.features.step_inputs (calendar sin/cos, then scaled exogenous columns).
    `forecast()` → (horizon, n_outputs) the whole latest forecast (a copy).
    """

    __slots__ = (
        "net",
        "update",
        "_W",
        "_meta",
        "_st",
        "_n_in",
        "_n_y",
        "_out",
        "_x",
        "_reset_state",
        "_locin",
        "_scin",
    )

    def __init__(self, net, loc, scale, embed: np.ndarray, point: int):
        """net: the NumbaNet it streams (NumbaNet.streamer checks the arguments); loc, scale:
        the series' target statistics; embed: its (E,) embedding; point: the output `update`
        returns."""
        self.net = net
        W, lay, o_hw, o_hb, o_nw, o_nb = net._stream_weights()
        dt = net.dtype
        H, L, G = net.hidden, net.layers, net.rnn.shape.gates
        GH = G * H
        E = embed.size
        n_in = net.input_size - E  # per-step features fed by the caller
        n_y = min(net.n_targets, n_in)
        n_out = net.horizon * net.n_outputs
        loc = np.broadcast_to(np.asarray(loc, dtype=np.float64).reshape(-1), (n_y,))
        scale = np.broadcast_to(np.asarray(scale, dtype=np.float64).reshape(-1), (n_y,))
        if not np.all(np.isfinite(scale)) or np.any(scale == 0):
            raise ConfigError("scale must be finite and non-zero")
        sizes = {
            "h": L * H,
            "c": L * H,
            "zx": GH,
            "zh": GH,
            "x": n_in,
            "feat": H,
            "out": n_out,
            "b0": GH,
            "locin": n_y,
            "scin": n_y,
            "locout": n_out,
            "scout": n_out,
        }
        offs, pos = {}, 0
        for name, size in sizes.items():
            offs[name] = pos
            pos += size + (-size) % 16  # keep every block 64-byte aligned
        st = np.zeros(pos, dtype=dt)
        # layer-0 bias: b_ih plus the embedding's constant contribution W_ih[:, n_in:] @ e
        w0 = (
            W[lay[0, 0] : lay[0, 0] + net.input_size * GH]
            .reshape(net.input_size, GH)
            .astype(np.float64)
        )
        b0 = W[lay[0, 2] : lay[0, 2] + GH].astype(np.float64)
        if E:
            b0 = b0 + embed @ w0[n_in:]
        st[offs["b0"] : offs["b0"] + GH] = b0
        st[offs["locin"] : offs["locin"] + n_y] = loc
        st[offs["scin"] : offs["scin"] + n_y] = scale
        st[offs["locout"] : offs["locout"] + n_out] = loc[0]
        st[offs["scout"] : offs["scout"] + n_out] = scale[0]
        meta = np.zeros(K.M_LAY + 5 * L, dtype=np.int64)
        meta[[K.M_CELL, K.M_H, K.M_L, K.M_NY, K.M_NIN, K.M_NOUT, K.M_NORM]] = [
            net.rnn.cell_code,
            H,
            L,
            n_y,
            n_in,
            n_out,
            int(net.layer_norm),
        ]
        meta[[K.M_HEADW, K.M_HEADB, K.M_NORMW, K.M_NORMB]] = [o_hw, o_hb, o_nw, o_nb]
        meta[
            [
                K.M_ST_H,
                K.M_ST_C,
                K.M_ST_ZX,
                K.M_ST_ZH,
                K.M_ST_X,
                K.M_ST_FEAT,
                K.M_ST_OUT,
                K.M_ST_B0,
                K.M_ST_LOCIN,
                K.M_ST_SCIN,
                K.M_ST_LOCOUT,
                K.M_ST_SCOUT,
            ]
        ] = [
            offs[k]
            for k in (
                "h",
                "c",
                "zx",
                "zh",
                "x",
                "feat",
                "out",
                "b0",
                "locin",
                "scin",
                "locout",
                "scout",
            )
        ]
        meta[K.M_POINT] = offs["out"] + point
        lay_s = lay.copy()
        lay_s[0, 4] = n_in  # the embedding's inputs are folded into b0
        meta[K.M_LAY :] = lay_s.ravel()
        self._W, self._meta, self._st = W, meta, st
        self._n_in, self._n_y = n_in, n_y
        self._out = st[offs["out"] : offs["out"] + n_out]
        self._reset_state = (offs["h"], offs["c"] + L * H)  # h, then c: the recurrent state
        if n_in == 1:
            # the fast path: a C-level partial around one compiled call
            self.update = partial(K.stream_update, W, meta, st)
        else:
            self._x = st[offs["x"] : offs["x"] + n_in]
            self._locin, self._scin = loc, scale
            self.update = self._update_features

    def _update_features(self, y, features=None) -> float:
        # the kernel scales target 0; the other targets and the features are written here
        x, n_y = self._x, self._n_y
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if y.size != n_y:
            raise ConfigError(f"update needs {n_y} target value(s) per step (got {y.size})")
        if n_y > 1:
            x[1:n_y] = (y[1:] - self._locin[1:]) / self._scin[1:]
        rest = self._n_in - n_y
        if rest:
            if features is None:
                raise ConfigError(
                    f"this network's steps read {rest} feature(s) besides the target; "
                    "call update(y, features)"
                )
            x[n_y:] = features
        return K.stream_update(self._W, self._meta, self._st, float(y[0]))

    def reset(self) -> None:
        """Back to the zero state (as at the start of a window)."""
        a, b = self._reset_state
        self._st[a:b] = 0

    @property
    def outputs(self) -> np.ndarray:
        """The latest outputs (horizon * n_outputs,), inverse-scaled: a live read-only view that the
        next update overwrites (no copy; for callers reading several outputs per step)."""
        v = self._out.view()
        v.flags.writeable = False
        return v

    def forecast(self) -> np.ndarray:
        """The latest forecast (horizon, n_outputs), inverse-scaled (a copy)."""
        return self._out.reshape(self.net.horizon, self.net.n_outputs).astype(np.float64)

    def run(self, values, features=None) -> np.ndarray:
        """Feed a sequence of values (N,) (or (N, n_targets)); returns the N one-step forecasts."""
        values = np.asarray(values, dtype=np.float64)
        out = np.empty(len(values))
        upd = self.update
        if features is None:
            for i in range(len(values)):
                out[i] = upd(values[i])
        else:
            for i in range(len(values)):
                out[i] = upd(values[i], features[i])
        return out
