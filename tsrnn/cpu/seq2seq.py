"""NumbaSeq2Seq: the forecaster's attention encoder–decoder (tsrnn.nn.heads.Seq2SeqNet, free
running) on the numba runtime: the encoder and decoder stacks run as NumbaRNN, attention and the
output layers in numpy. torch-free.

    x (B, T, F) [+ embedding] ─▶ encoder stack [─▶ LayerNorm] ─▶ enc (B, T, K), state
    state (directions summed) ─▶ decoder, one step per horizon segment, reading
        [previous point forecast(s) (B, s), calendar features of the step(s) (B, s·n_future),
         embedding (B, E), context (B, K) (bahdanau only)]
    bahdanau: y = out([dec, ctx]); luong / dot: y = out(tanh(combine([dec, ctx])))

State-dict names as torch's: encoder.rnn.*, encoder.norm.*, decoder.rnn.*, attention.w_q /
w_k / v (bahdanau) or attention.w (luong), combine.*, out.*, embed.weight.
"""

from __future__ import annotations

import numpy as np

from tsrnn.cpu import kernels as K
from tsrnn.cpu.rnn import NumbaRNN
from tsrnn.errors import ConfigError, ModelFileError


def _point_index(quantiles) -> int:
    if not quantiles:
        return 0
    return int(np.argmin([abs(q - 0.5) for q in quantiles]))


class NumbaSeq2Seq:
    """Seq2seq network of a NetConfig, read from torch state_dict names (numpy arrays).

    forward(x (B, T, F), future (B, horizon, n_future), embed (B, E) | None) → (B, horizon,
    n_outputs) float32, scaled units; T = input_len / segment, F = net_features.
    """

    def __init__(self, config, weights: dict[str, np.ndarray], dtype="float32"):
        self.config = config
        self.dtype = np.dtype(dtype)
        self.encoder = NumbaRNN(config.cell, weights, self.dtype, prefix="encoder.rnn.")
        self.decoder = NumbaRNN(config.cell, weights, self.dtype, prefix="decoder.rnn.")
        self.dirs = self.encoder.shape.dirs
        self.layers, self.hidden = config.layers, config.hidden
        self.segment = max(1, int(config.segment))
        self.steps = -(-config.horizon // self.segment)
        self.horizon, self.n_outputs = config.horizon, config.n_outputs
        self.embedding = config.embedding
        self.kind = config.attention
        self.point = _point_index(config.quantiles)

        def get(name):
            if name not in weights:
                raise ModelFileError(f"tensor '{name}' is missing from the seq2seq weights")
            return np.ascontiguousarray(weights[name], dtype=self.dtype)

        self.norm = (
            (get("encoder.norm.weight"), get("encoder.norm.bias")) if config.layer_norm else None
        )
        if self.kind == "bahdanau":
            self.w_q = get("attention.w_q.weight")
            self.w_k, self.b_k = get("attention.w_k.weight"), get("attention.w_k.bias")
            self.v = get("attention.v.weight")[0]
        elif self.kind == "luong":
            self.w = get("attention.w.weight")
        elif self.kind != "dot":
            raise ConfigError(f"attention '{self.kind}' is unknown; use bahdanau, luong or dot")
        if self.kind != "bahdanau":
            self.combine_w, self.combine_b = get("combine.weight"), get("combine.bias")
        self.out_w, self.out_b = get("out.weight"), get("out.bias")
        self.embed_w = get("embed.weight") if self.embedding else None

    def _norm(self, z: np.ndarray) -> np.ndarray:
        w, b = self.norm
        m = z.mean(-1, keepdims=True)
        v = ((z - m) ** 2).mean(-1, keepdims=True)
        return ((z - m) / np.sqrt(v + 1e-5) * w + b).astype(self.dtype)

    def _bridge(self, h: np.ndarray) -> np.ndarray:
        if self.dirs == 2:
            h = h.reshape(self.layers, 2, *h.shape[1:]).sum(1)
        return np.ascontiguousarray(h, dtype=self.dtype)

    def forward(self, x: np.ndarray, future: np.ndarray, embed: np.ndarray | None = None):
        x = np.asarray(x, dtype=self.dtype)
        B, T, _ = x.shape
        e = None
        if self.embedding:
            if embed is None:
                raise ConfigError("this seq2seq network has a per-series embedding; pass embed=")
            e = np.asarray(embed, dtype=self.dtype).reshape(B, -1)
            x = np.concatenate([x, np.broadcast_to(e[:, None, :], (B, T, e.shape[1]))], -1)
        enc, state = self.encoder.forward(x)
        if self.norm is not None:
            enc = self._norm(enc)
        lstm = isinstance(state, tuple)
        h = self._bridge(state[0] if lstm else state)
        c = self._bridge(state[1]) if lstm else np.zeros_like(h)
        if self.kind == "bahdanau":
            keys = enc @ self.w_k.T + self.b_k
        elif self.kind == "luong":
            keys = enc @ self.w.T
        else:
            keys = enc
        s, D = self.segment, self.steps
        n_row = (x.shape[2] - self.embedding) // s
        prev = x[:, -1, 0 : s * n_row : n_row]
        future = np.asarray(future, dtype=self.dtype)
        pad = D * s - self.horizon
        if pad:
            future = np.concatenate([future, np.repeat(future[:, -1:], pad, axis=1)], 1)
        future = future.reshape(B, D, -1)
        outs = []
        buf = (np.empty_like(h), np.empty_like(c), np.empty((B, 1, self.hidden), self.dtype))
        for step in range(D):
            parts = [prev, future[:, step]] + ([e] if e is not None else [])
            if self.kind == "bahdanau":
                ctx = self._attend(np.tanh(keys + (h[-1] @ self.w_q.T)[:, None, :]) @ self.v, enc)
                dec, h, c, buf = self._decode(np.concatenate([*parts, ctx], -1), h, c, buf)
                y = np.concatenate([dec[:, 0], ctx], -1) @ self.out_w.T + self.out_b
            else:
                dec, h, c, buf = self._decode(np.concatenate(parts, -1), h, c, buf)
                ctx = self._attend(np.einsum("btk,bk->bt", keys, dec[:, 0]), enc)
                z = np.tanh(
                    np.concatenate([dec[:, 0], ctx], -1) @ self.combine_w.T + self.combine_b
                )
                y = z @ self.out_w.T + self.out_b
            y = y.reshape(B, s, self.n_outputs).astype(self.dtype)
            outs.append(y)
            prev = y[:, :, self.point]
        return np.concatenate(outs, 1)[:, : self.horizon]

    def _decode(self, inp: np.ndarray, h: np.ndarray, c: np.ndarray, buf):
        """One decoder step: inp (B, I) from state h, c (layers, B, hidden) → (out (B, 1, hidden),
        new h, new c, the buffers for the next step). Calls the compiled stack directly: the
        states swap with preallocated buffers instead of being copied."""
        d = self.decoder
        x = np.ascontiguousarray(inp[:, None, :], dtype=self.dtype)
        hn, cn, out = buf
        args = (d.W, d.lay, d.cell_code, self.hidden, self.layers, 1)
        if len(x) <= K.BLOCK:
            K._run_block(x, 0, len(x), *args, K.GATES[d.cell_code], h, c, out, hn, cn)
        else:
            K.run_stack(x, *args, h, c, out, hn, cn)
        return out.copy(), hn, cn, (h, c, out)

    @staticmethod
    def _attend(scores: np.ndarray, enc: np.ndarray) -> np.ndarray:
        """Softmax over T of scores (B, T), then the weighted sum of enc (B, T, K) → (B, K)."""
        scores = scores.astype(np.float64)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        return np.einsum("bt,btk->bk", w.astype(enc.dtype), enc)

    __call__ = forward
