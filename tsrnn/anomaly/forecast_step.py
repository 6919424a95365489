"""The forecast scorer one point at a time: one recurrent step per point, on the numba runtime
(tsrnn.cpu.net.NumbaNet) or on torch.

`OneStepNet` keeps the forecaster's weight names (``core.rnn.*``, ``head.weight`` (n_outputs,
hidden), ``head.bias``), so NumbaNet reads it as a direct network with horizon 1 and n_outputs
outputs (C, or 2C for error="scaled"). The step is fed scaled values (the detector's pipeline
scales them), in float32 on numba (the runtime's rational tanh: |error| < 3e-7 against libm).

`ForecastStep.update(x (C,))` gives the score `ForecastScorer.score` gives the same row when the
step starts at the series' first row; `update_scalar(x: float)` is the same for one column in
plain float arithmetic around one compiled call (the fast path), present on the numba back end.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tsrnn.anomaly.arrays import INPUT_CLIP, SCALE_FLOOR, RollingZ, forecast_error
from tsrnn.errors import ConfigError

__all__ = ["ForecastStep", "numba_step"]


def numba_step(model, n_features: int):
    """x (C,) scaled -> the net's outputs (n_outputs,) for the next step, one numba call per
    point; None when the numba runtime is missing. step.scalar: float -> float for one column
    (None otherwise); step.outputs: a view of every output after the call."""
    try:
        from tsrnn.cpu.net import NumbaNet
    except ImportError:
        return None
    C = n_features
    n_out = model.head.out_features
    weights = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    config = {
        "cell": model.core.cell,
        "hidden": model.core.hidden,
        "layers": model.core.layers,
        "horizon": 1,
        "n_outputs": n_out,
        "n_targets": C,
        "input_size": C,
    }
    net = NumbaNet.from_state(config, weights, dtype="float32")
    st = net.streamer(loc=np.zeros(C), scale=np.ones(C))
    upd = st.update
    if C == 1 and n_out == 1:

        def step(x):
            return np.array([upd(float(x[0]))])
    else:

        def step(x):
            upd(float(x[0])) if C == 1 else upd(x)
            return st.forecast()[0]

    step.scalar = st.update if C == 1 else None
    step.outputs = st.outputs
    return step


class ForecastStep:
    """model: the fitted OneStepNet; lead: leading rows that score NaN; input_norm: the rolling
    look-back (0: off); scaled: error="scaled"; backend "auto" | "numba" | "torch"."""

    def __init__(
        self,
        model,
        n_features: int,
        lead: int,
        input_norm: int,
        scaled: bool,
        backend: str = "auto",
    ):
        if backend not in ("auto", "numba", "torch"):
            raise ConfigError(f"backend must be auto, numba or torch (got '{backend}')")
        self.pred, self.seen, self.lead, self.scaled = None, 0, lead, scaled
        self.input_norm = input_norm
        self.rolling = RollingZ(input_norm, n_features) if input_norm else None
        self.backend = backend
        if backend in ("auto", "numba"):
            step = numba_step(model, n_features)
            if step is not None:
                self._step, self.backend = step, "numba"
                if step.scalar is not None:
                    self.update_scalar = self._fast(step.scalar, step.outputs)
            elif backend == "numba":
                raise ConfigError(
                    "the numba runtime (tsrnn.cpu) cannot run this detector's network"
                )
        if self.backend in ("auto", "torch"):
            import torch

            self.backend, state = "torch", [None]

            def step(x):
                with torch.no_grad():
                    xt = torch.from_numpy(x.astype(np.float32)).view(1, 1, -1)
                    y, state[0] = model(xt, state[0])
                return y.view(-1).numpy().astype(np.float64)

            self._step = step

    def update(self, x: np.ndarray) -> float:
        """The score of row x (C,) (scaled values) given the rows before it."""
        if self.rolling is not None:  # input_norm: the net works on the rolling z
            x = np.nan_to_num(self.rolling(x), nan=0.0)
        s = (
            float("nan")
            if self.seen < self.lead
            else float(forecast_error(x, self.pred, self.scaled))
        )
        self.pred = self._step(x if self.rolling is None else np.clip(x, -INPUT_CLIP, INPUT_CLIP))
        self.seen += 1
        return s

    def _fast(self, scalar_step, outputs):
        """update for one column as a float -> float closure (the same numbers as `update`),
        input_norm's running sums and the scaled error's second output included."""
        scaled, W = self.scaled, self.input_norm
        min_periods, min_std = (self.rolling.min_periods, self.rolling.min_std) if W else (0, 0.0)
        buf: deque = deque()
        # last prediction, its error scale, points still to skip, running sum and sum of squares
        state = [float("nan"), 1.0, self.lead, 0.0, 0.0]
        nan, exp, log1p, sqrt = float("nan"), math.exp, math.log1p, math.sqrt

        def update_scalar(x: float) -> float:
            if W:  # the rolling z of x (0 while the look-back is too short), then the clipped input
                n = len(buf)
                if n >= min_periods:
                    m = state[3] / n
                    var = state[4] / n - m * m
                    z = (x - m) / max(sqrt(var) if var > 0.0 else 0.0, min_std)
                else:
                    z = 0.0
                buf.append(x)
                state[3] += x
                state[4] += x * x
                if n + 1 > W:
                    old = buf.popleft()
                    state[3] -= old
                    state[4] -= old * old
                x = z
                xin = INPUT_CLIP if z > INPUT_CLIP else (-INPUT_CLIP if z < -INPUT_CLIP else z)
            else:
                xin = x
            p, sig = state[0], state[1]
            y = scalar_step(xin)
            if scaled:
                r = float(outputs[1])
                state[0] = float(outputs[0])
                state[1] = (r if r > 30.0 else log1p(exp(r))) + SCALE_FLOOR
            else:
                state[0] = y
            if state[2] > 0:
                state[2] -= 1
                return nan
            return abs(x - p) / sig

        return update_scalar
