"""Forecasting networks built on RecurrentCore.

DirectNet (models "rnn", "lstm", "gru"): the encoder reads the input window and one linear head
maps its summary features to every horizon step at once.

    x (B, T, F) ──[+ embed.weight[sid] on every step]──▶ core ──▶ core.last(out) (B, out_size)
        ──▶ head: Linear(out_size, horizon * n_outputs) ──▶ (B, horizon, n_outputs)
            (decoder D > 0: Linear(out_size, D) ─ ReLU ─ Linear(D, horizon * n_outputs))

State-dict names: core.rnn.* (torch RNN/LSTM/GRU layout), core.norm.* (LayerNorm, optional),
head.weight (horizon*n_outputs, out_size), head.bias — or, with an MLP decoder, head.0.weight
(D, out_size), head.0.bias, head.2.weight (horizon*n_outputs, D), head.2.bias — and
embed.weight (S, E) (optional).
Output index h * n_outputs + q is step h, output q (quantile q, or the point forecast).

Seq2SeqNet ("seq2seq"): encoder RecurrentCore over the window; decoder cell stepping through the
horizon with input [previous target, calendar features of the step] and additive (Bahdanau) or
multiplicative (Luong "dot" / "general") attention over the encoder outputs; teacher forcing with
a scheduled-sampling ratio during training, free running at inference.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tsrnn.errors import ConfigError
from tsrnn.nn.core import RecurrentCore

ATTENTIONS = ("bahdanau", "luong", "dot")


class DirectNet(nn.Module):
    """Direct multi-horizon network.
    forward(x (B, T, F), sid (B,) | None) → (B, horizon, n_outputs)."""

    def __init__(
        self,
        n_features: int,
        horizon: int,
        hidden: int,
        layers: int,
        cell: str,
        n_outputs: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        layer_norm: bool = False,
        n_series: int = 0,
        embedding: int = 0,
        decoder: int = 0,
    ):
        super().__init__()
        self.horizon, self.n_outputs, self.embedding = horizon, n_outputs, embedding
        if embedding:
            self.embed = nn.Embedding(n_series, embedding)
        self.core = RecurrentCore(
            n_features + embedding, hidden, layers, cell, bidirectional, dropout, layer_norm
        )
        out = self.core.out_size
        if decoder:
            self.head = nn.Sequential(
                nn.Linear(out, decoder), nn.ReLU(), nn.Linear(decoder, horizon * n_outputs)
            )
        else:
            self.head = nn.Linear(out, horizon * n_outputs)

    def forward(self, x: Tensor, sid: Tensor | None = None, embed: Tensor | None = None) -> Tensor:
        """x: (B, T, F) step features; sid: (B,) series numbers (for the embedding) or embed: (B, E)
        embedding rows given directly (unseen series).
        Returns (B, horizon, n_outputs), scaled units."""
        if self.embedding:
            e = embed if embed is not None else self.embed(sid)
            x = torch.cat([x, e[:, None, :].expand(-1, x.shape[1], -1).to(x.dtype)], dim=-1)
        out, _ = self.core(x)
        return self.head(self.core.last(out)).view(x.shape[0], self.horizon, self.n_outputs)


class Attention(nn.Module):
    """Attention of a query (B, Q) over keys/values (B, T, K).

    kind "bahdanau": score = v·tanh(W_q q + W_k k); "luong" (general): score = q·(W k);
    "dot": score = q·k (needs Q == K). forward → context (B, K), weights (B, T) summing to 1.
    """

    def __init__(self, kind: str, query_size: int, key_size: int, size: int | None = None):
        super().__init__()
        if kind not in ATTENTIONS:
            raise ConfigError(f"attention '{kind}' is unknown; use one of {', '.join(ATTENTIONS)}")
        if kind == "dot" and query_size != key_size:
            raise ConfigError(
                "attention 'dot' needs the decoder and encoder sizes to match; use 'luong' or "
                "'bahdanau'"
            )
        self.kind = kind
        size = size or query_size
        if kind == "bahdanau":
            self.w_q = nn.Linear(query_size, size, bias=False)
            self.w_k = nn.Linear(key_size, size, bias=True)
            self.v = nn.Linear(size, 1, bias=False)
        elif kind == "luong":
            self.w = nn.Linear(key_size, query_size, bias=False)

    def keys(self, enc: Tensor) -> Tensor:
        """Precompute the key projection once per sequence: enc (B, T, K) → (B, T, ·)."""
        if self.kind == "bahdanau":
            return self.w_k(enc)
        if self.kind == "luong":
            return self.w(enc)
        return enc

    def forward(
        self, query: Tensor, enc: Tensor, keys: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        keys = self.keys(enc) if keys is None else keys
        if self.kind == "bahdanau":
            scores = self.v(torch.tanh(keys + self.w_q(query)[:, None, :])).squeeze(-1)
        else:
            scores = torch.einsum("btk,bk->bt", keys, query)
        weights = torch.softmax(scores.float(), dim=-1).to(enc.dtype)
        return torch.einsum("bt,btk->bk", weights, enc), weights


class Seq2SeqNet(nn.Module):
    """Encoder–decoder with attention.

    forward(x (B, T, F), future (B, H, K) calendar features of the horizon steps, sid (B,) | None,
    target (B, H) scaled truth for teacher forcing | None, teacher_ratio in [0, 1])
    → (B, H, n_outputs).
    Each decoder step reads [previous target, future[:, h]] where "previous target" is the last
    observed value for h = 0 and then, per sample, the truth with probability teacher_ratio (when a
    target is given) else the model's own point forecast. ``self.last_attention`` holds the
    attention weights (B, D, T) of the latest call (D decoder steps).

    segment s > 1 (inputs x of s rows per step, features t*F_row + f, see
    tsrnn.forecast.transforms.to_segments): each decoder step emits s horizon steps at once
    (D = ceil(H / s) steps), reading the previous s targets and the s steps' calendar features.
    """

    def __init__(
        self,
        n_features: int,
        n_future: int,
        horizon: int,
        hidden: int,
        layers: int,
        cell: str,
        n_outputs: int = 1,
        attention: str = "bahdanau",
        bidirectional: bool = False,
        dropout: float = 0.0,
        layer_norm: bool = False,
        n_series: int = 0,
        embedding: int = 0,
        point: int | None = None,
        segment: int = 1,
    ):
        super().__init__()
        self.segment = s = max(1, int(segment))
        self.steps = -(-horizon // s)  # decoder steps
        self.horizon, self.n_outputs, self.embedding = horizon, n_outputs, embedding
        self.cell, self.layers, self.hidden, self.attention_kind = cell, layers, hidden, attention
        if embedding:
            self.embed = nn.Embedding(n_series, embedding)
        self.encoder = RecurrentCore(
            n_features + embedding, hidden, layers, cell, bidirectional, dropout, layer_norm
        )
        enc_size = self.encoder.out_size
        self.attention = Attention(attention, hidden, enc_size)
        dec_in = s + s * n_future + embedding + (enc_size if attention == "bahdanau" else 0)
        self.decoder = RecurrentCore(dec_in, hidden, layers, cell, False, dropout, False)
        if attention == "bahdanau":
            self.out = nn.Linear(hidden + enc_size, s * n_outputs)
        else:
            self.combine = nn.Linear(hidden + enc_size, hidden)
            self.out = nn.Linear(hidden, s * n_outputs)
        # the output fed back to the next step: the point forecast (the quantile nearest 0.5)
        self.point = n_outputs // 2 if point is None else point
        self.last_attention: Tensor | None = None

    def _bridge(self, state):
        """Encoder final state → decoder initial state (directions summed when bidirectional)."""

        def fold(h):
            if self.encoder.dirs == 2:
                h = h.view(self.layers, 2, *h.shape[1:]).sum(1)
            return h.contiguous()

        return tuple(fold(s) for s in state) if isinstance(state, tuple) else fold(state)

    def forward(
        self,
        x: Tensor,
        future: Tensor,
        sid: Tensor | None = None,
        target: Tensor | None = None,
        teacher_ratio: float = 0.0,
        embed: Tensor | None = None,
    ) -> Tensor:
        B, T, _ = x.shape
        e = None
        if self.embedding:
            e = (embed if embed is not None else self.embed(sid)).to(x.dtype)
            x = torch.cat([x, e[:, None, :].expand(-1, T, -1)], dim=-1)
        enc, state = self.encoder(x)
        state = self._bridge(state)
        keys = self.attention.keys(enc)
        s, D = self.segment, self.steps
        n_row = (x.shape[2] - self.embedding) // s  # features of one row
        prev = x[:, -1, 0 : s * n_row : n_row]  # last observed scaled target(s) (B, s)
        pad = D * s - self.horizon
        if pad:  # the last decoder step runs past the horizon: repeat the last row
            future = torch.cat([future, future[:, -1:].expand(-1, pad, -1)], 1)
            if target is not None:
                target = torch.cat([target, target[:, -1:].expand(-1, pad)], 1)
        future = future.reshape(B, D, -1)
        outs, weights = [], []
        use_truth = None
        if target is not None and teacher_ratio > 0:
            use_truth = torch.rand(B, D, device=x.device) < teacher_ratio
        for h in range(D):
            parts = [prev, future[:, h].to(x.dtype)]
            if e is not None:
                parts.append(e)
            top = (state[0] if isinstance(state, tuple) else state)[-1]
            if self.attention_kind == "bahdanau":
                ctx, w = self.attention(top, enc, keys)
                parts.append(ctx)
                dec, state = self.decoder(torch.cat(parts, -1)[:, None, :], state)
                y = self.out(torch.cat([dec[:, 0], ctx], -1))
            else:
                dec, state = self.decoder(torch.cat(parts, -1)[:, None, :], state)
                ctx, w = self.attention(dec[:, 0], enc, keys)
                y = self.out(torch.tanh(self.combine(torch.cat([dec[:, 0], ctx], -1))))
            y = y.view(B, s, self.n_outputs)
            outs.append(y)
            weights.append(w)
            prev = y[:, :, self.point]
            if use_truth is not None:
                truth = target[:, h * s : (h + 1) * s].to(prev.dtype)
                prev = torch.where(use_truth[:, h : h + 1], truth, prev)
        self.last_attention = torch.stack(weights, 1).detach()
        return torch.cat(outs, 1)[:, : self.horizon]
