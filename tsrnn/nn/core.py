"""The recurrent core shared by every tsrnn network (forecasters, detectors, text models).

`RecurrentCore` wraps torch.nn.RNN / LSTM / GRU with ``batch_first=True``; its weights keep torch's
names and layout under the prefix ``rnn.`` (``rnn.weight_ih_l{k}[_reverse]`` (G*hidden, in),
``rnn.weight_hh_l{k}[_reverse]`` (G*hidden, hidden), ``rnn.bias_ih_l{k}``, ``rnn.bias_hh_l{k}``
with G = 1 (rnn), 4 (lstm, gate order i, f, g, o) or 3 (gru, gate order r, z, n with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))), so the numba runtime (tsrnn.cpu) can load them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from tsrnn.errors import ConfigError

CELLS = ("rnn", "rnn_relu", "lstm", "gru")


class RecurrentCore(nn.Module):
    """A stack of recurrent layers.

    cell: "rnn" (tanh), "rnn_relu", "lstm" or "gru"; layers stacked ``layers`` deep, optionally
    bidirectional, with dropout between layers (torch semantics: not after the last layer) and an
    optional LayerNorm on the output features.

    Attributes: ``rnn`` (the torch module), ``norm`` (LayerNorm(out_size) or Identity),
    ``out_size`` = hidden * (2 if bidirectional else 1), ``cell``, ``hidden``, ``layers``,
    ``bidirectional``.
    """

    def __init__(
        self,
        input_size: int,
        hidden: int,
        layers: int = 1,
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        layer_norm: bool = False,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ConfigError(f"cell '{cell}' is unknown; use one of {', '.join(CELLS)}")
        if input_size < 1 or hidden < 1 or layers < 1:
            raise ConfigError(
                f"input_size, hidden and layers must be >= 1 (got {input_size}, {hidden}, {layers})"
            )
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1) (got {dropout})")
        kw = dict(
            input_size=input_size,
            hidden_size=hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if layers > 1 else 0.0,
        )
        if cell == "lstm":
            self.rnn = nn.LSTM(**kw)
        elif cell == "gru":
            self.rnn = nn.GRU(**kw)
        else:
            self.rnn = nn.RNN(nonlinearity="relu" if cell == "rnn_relu" else "tanh", **kw)
        self.cell, self.input_size, self.hidden, self.layers = cell, input_size, hidden, layers
        self.bidirectional = bidirectional
        self.dirs = 2 if bidirectional else 1
        self.out_size = hidden * self.dirs
        self.norm = nn.LayerNorm(self.out_size) if layer_norm else nn.Identity()

    def forward(
        self, x: Tensor, state: Any = None, lengths: Tensor | None = None
    ) -> tuple[Tensor, Any]:
        """Run the stack.

        x: (B, T, F) inputs. state: initial state, h_0 (layers*dirs, B, hidden) or, for LSTM,
        (h_0, c_0); None = zeros. lengths: optional (B,) valid lengths (sequences padded at the
        end); they are packed (enforce_sorted=False) and the output is padded back with zeros
        to T steps.
        Returns out (B, T, out_size) (after the optional LayerNorm) and the final state h_n
        (layers*dirs, B, hidden) or (h_n, c_n) for LSTM.
        """
        if lengths is None:
            out, state = self.rnn(x, state)
        else:
            T = x.shape[1]
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths.detach().to("cpu", torch.int64), batch_first=True, enforce_sorted=False
            )
            out, state = self.rnn(packed, state)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        return self.norm(out), state

    def last(self, out: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Summary features (B, out_size) of `out` (B, T, out_size): the forward direction at the
        last valid step (T-1, or lengths-1) and, when bidirectional, the backward direction at
        step 0 (where it has read the whole sequence)."""
        if lengths is None:
            fwd = out[:, -1, : self.hidden]
        else:
            idx = (lengths.to(out.device, torch.int64) - 1).clamp(min=0)
            fwd = out[torch.arange(out.shape[0], device=out.device), idx, : self.hidden]
        if not self.bidirectional:
            return fwd
        return torch.cat([fwd, out[:, 0, self.hidden :]], dim=-1)
