"""NumbaRNN: a recurrent stack (torch.nn.RNN / LSTM / GRU with batch_first=True) run by numba."""

from __future__ import annotations

import numpy as np

from tsrnn.cpu import kernels as K
from tsrnn.cpu.layout import StackShape, as_dtype, pack_stack, stack_shape
from tsrnn.errors import ConfigError


class NumbaRNN:
    """A recurrent stack with torch's semantics and weight names, run on CPU by numba.

    cell: "rnn" (tanh), "rnn_relu", "lstm" or "gru". weights: torch's state_dict names
    (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, ``_reverse`` for
    the backward direction) under `prefix`, as numpy arrays; sizes, layers and directions are read
    off them. dtype: float32 or float64 (the weights are cast to it).
    """

    def __init__(
        self, cell: str, weights: dict[str, np.ndarray], dtype="float32", prefix: str = ""
    ):
        self.shape: StackShape = stack_shape(cell, weights, prefix)
        self.dtype = as_dtype(dtype)
        packer, self.lay = pack_stack(self.shape, weights, self.dtype, prefix)
        self.W = packer.finish()
        self.cell_code = K.CELL_CODES[cell]

    @property
    def out_size(self) -> int:
        return self.shape.hidden * self.shape.dirs

    def forward(self, x: np.ndarray, state=None):
        """Run the stack over x (B, T, I) (or (T, I) for one sequence).

        state: h_0 (L*D, B, H) or, for LSTM, (h_0, c_0); None = zeros.
        Returns out (B, T, D*H) — the last layer's outputs, forward direction in [..., :H] — and
        the final state h_n (L*D, B, H), or (h_n, c_n) for LSTM; shapes as torch's.
        """
        s = self.shape
        x = np.asarray(x)
        single = x.ndim == 2
        if single:
            x = x[None]
        if x.ndim != 3 or x.shape[2] != s.input_size:
            raise ConfigError(f"input must have shape (B, T, {s.input_size}) (got {np.shape(x)})")
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if (
            not x.flags.writeable
        ):  # read-only arrays are another numba type: copy rather than recompile
            x = x.copy()
        B, T = x.shape[0], x.shape[1]
        LD = s.layers * s.dirs
        h0, c0 = self._initial(state, LD, B)
        out = np.empty((B, T, self.out_size), self.dtype)
        hn = np.empty((LD, B, s.hidden), self.dtype)
        cn = np.empty((LD, B, s.hidden), self.dtype)
        if B and T:
            args = (self.W, self.lay, self.cell_code, s.hidden, s.layers, s.dirs)
            if B <= K.BLOCK:  # one block: skip the thread pool's start-up cost
                K._run_block(x, 0, B, *args, K.GATES[self.cell_code], h0, c0, out, hn, cn)
            else:
                K.run_stack(x, *args, h0, c0, out, hn, cn)
        else:
            out[:] = 0
            hn[:], cn[:] = h0, c0
        if single:
            out, hn, cn = out[0], hn[:, 0], cn[:, 0]
        return (out, (hn, cn)) if s.cell == "lstm" else (out, hn)

    __call__ = forward

    def _initial(self, state, LD, B):
        shp = (LD, B, self.shape.hidden)
        if state is None:
            z = np.zeros(shp, self.dtype)
            return z, z
        if self.shape.cell == "lstm":
            h0, c0 = state
        else:
            h0, c0 = state, None
        # fresh writable C arrays: a read-only view would make numba compile another signature
        h0 = np.array(
            np.broadcast_to(np.asarray(h0, dtype=self.dtype).reshape(-1, B, self.shape.hidden), shp)
        )
        if c0 is None:
            c0 = np.zeros(shp, self.dtype)
        else:
            c0 = np.array(
                np.broadcast_to(
                    np.asarray(c0, dtype=self.dtype).reshape(-1, B, self.shape.hidden), shp
                )
            )
        return h0, c0
