"""The forecast detector's network on the numba runtime (tsrnn.cpu.net.NumbaNet) for streaming.

`OneStepNet` keeps the forecaster's weight names (``core.rnn.*``, ``head.weight`` (n_outputs,
hidden), ``head.bias``), so NumbaNet reads it as a direct network with horizon 1 and n_outputs
outputs (C, or 2C for error="scaled"). The stream
is fed scaled values (loc 0, scale 1: the detector scales with the series' own statistics), in
float32 (the runtime's rational tanh: |error| < 3e-7 against libm).
"""

from __future__ import annotations

import numpy as np

__all__ = ["numba_step"]


def numba_step(det):
    """x (C,) scaled -> the net's outputs (n_outputs,) for the next step, one numba call per point; None when the
    numba runtime is missing or cannot hold this network."""
    try:
        from tsrnn.cpu.net import NumbaNet
    except ImportError:
        return None
    model = det.scorer_.model_
    C = len(det.targets_)
    n_out = model.head.out_features
    weights = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    config = {"cell": model.core.cell, "hidden": model.core.hidden, "layers": model.core.layers,
              "horizon": 1, "n_outputs": n_out, "n_targets": C, "input_size": C}
    net = NumbaNet.from_state(config, weights, dtype="float32")
    st = net.streamer(loc=np.zeros(C), scale=np.ones(C))
    if C == 1 and n_out == 1:
        upd = st.update

        def step(x):
            return np.array([upd(float(x[0]))])
    else:
        upd = st.update

        def step(x):
            upd(float(x[0])) if C == 1 else upd(x)
            return st.forecast()[0]

    step.backend = "numba"
    # float -> float (output n_out // 2) and a view of every output after the call: the streamer's fast path
    step.scalar = st.update if C == 1 else None
    step.outputs = st.outputs
    return step
