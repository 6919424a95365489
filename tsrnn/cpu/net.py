"""NumbaNet: the forecaster's direct network (docs/ARCHITECTURE.md, "Direct network") on numba;
its `streamer` builds a tsrnn.cpu.streamer.Streamer (one new value in, a forecast out).

    x (B, T, F) ─▶ core (rnn | rnn_relu | lstm | gru stack, torch semantics)
      ─▶ LayerNorm over out_size at every step (optional, eps 1e-5)
      ─▶ last: forward direction at step T-1 [+ backward direction at step 0]
      ─▶ head Linear(out_size, horizon * n_outputs), index h * n_outputs + q

torch-free: needs numpy (and safetensors for `from_file`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsrnn.cpu.layout import Packer, as_dtype, pack_stack
from tsrnn.cpu.rnn import NumbaRNN
from tsrnn.cpu.streamer import Streamer
from tsrnn.errors import ConfigError, ModelFileError
from tsrnn.netconfig import NetConfig

CORE = "core.rnn."


def as_config(config: NetConfig | dict) -> NetConfig:
    """A NetConfig from itself or from a dict of its fields (a model file's ``config``)."""
    return config if isinstance(config, NetConfig) else NetConfig.from_dict(config)


class NumbaNet:
    """The direct multi-horizon network, read from torch state_dict names.

    Build with `from_state(config, weights)` or `from_file(path)`. Weights: ``core.rnn.*`` (torch
    RNN/LSTM/GRU layout), ``core.norm.weight/bias`` when config["layer_norm"], ``head.weight``
    (horizon*n_outputs, out_size), ``head.bias``, and optionally ``embed.weight`` (S, E).
    Attributes: rnn (NumbaRNN), horizon, n_outputs, input_size (F + E: the caller appends the
    embedding in `forward`), embedding (E), dtype.
    """

    def __init__(self, config: NetConfig | dict, weights: dict[str, np.ndarray], dtype="float32"):
        self.config = c = as_config(config)
        self.dtype = as_dtype(dtype)
        self.rnn = NumbaRNN(c.cell, weights, self.dtype, prefix=CORE)
        self._core_weights = {k: v for k, v in weights.items() if k.startswith(CORE)}
        s = self.rnn.shape
        self.hidden, self.layers, self.dirs = s.hidden, s.layers, s.dirs
        for key, want, got in (("hidden", c.hidden, s.hidden), ("layers", c.layers, s.layers)):
            if want != got:
                raise ModelFileError(f"config says {key}={want} but the weights have {got}")
        if c.bidirectional != (s.dirs == 2):
            raise ModelFileError(
                f"config says bidirectional={c.bidirectional} but the weights disagree"
            )
        self.input_size = s.input_size
        if c.input_size and c.input_size != s.input_size:
            raise ModelFileError(
                f"config says input_size={c.input_size} but weight_ih_l0 reads {s.input_size}"
            )
        self.horizon, self.n_outputs = c.horizon, c.n_outputs
        self.embedding, self.n_targets = c.embedding, c.n_targets
        out_size = s.hidden * s.dirs
        n_out = self.horizon * self.n_outputs
        get = self._getter(weights)
        self.decoder = c.decoder
        if self.decoder:  # MLP decoder: Linear ─ ReLU ─ Linear over the summary features
            self.dec_w = get("head.0.weight", (self.decoder, out_size))
            self.dec_b = get("head.0.bias", (self.decoder,))
            self.head_w = get("head.2.weight", (n_out, self.decoder))
            self.head_b = get("head.2.bias", (n_out,))
        else:
            self.head_w = get("head.weight", (n_out, out_size))
            self.head_b = get("head.bias", (n_out,))
        self.layer_norm = c.layer_norm
        if self.layer_norm:
            self.norm_w = get("core.norm.weight", (out_size,))
            self.norm_b = get("core.norm.bias", (out_size,))
        self.embed_w = None
        if "embed.weight" in weights:
            self.embed_w = np.asarray(weights["embed.weight"], dtype=self.dtype)
        self._stream_pack = None

    def _getter(self, weights):
        def get(name, shape):
            if name not in weights:
                raise ModelFileError(f"tensor '{name}' is missing from the network weights")
            a = np.asarray(weights[name])
            if a.shape != shape:
                raise ModelFileError(f"tensor '{name}' has shape {a.shape}, expected {shape}")
            return np.ascontiguousarray(a, dtype=self.dtype)

        return get

    @classmethod
    def from_state(
        cls, config: NetConfig | dict, weights: dict[str, np.ndarray], dtype="float32"
    ) -> NumbaNet:
        """config: a NetConfig, or a dict of its fields (cell, hidden, layers, horizon required;
        bidirectional, layer_norm, n_outputs, input_size, embedding, n_targets, decoder ...);
        weights: torch state_dict names → arrays."""
        return cls(config, weights, dtype)

    @classmethod
    def from_file(cls, path: str | Path, dtype="float32") -> NumbaNet:
        """Load a `.tsrnn` model file (safetensors + JSON metadata) without torch. The decoded
        metadata is kept in `.meta` (scaler statistics, series ids, features...)."""
        from tsrnn.forecastfile import read_model

        weights, meta = read_model(path, forecaster=False)
        try:
            cfg = as_config(meta["config"])
        except (ConfigError, TypeError) as e:
            raise ModelFileError(
                f"{path}: the stored configuration is not a network's ({e})"
            ) from None
        if cfg.model not in ("rnn", "lstm", "gru"):
            raise ConfigError(
                f"{path}: a {cfg.model} model has no NumbaNet (a direct network); "
                "Forecaster.load(path).streamer() streams every model"
            )
        net = cls(cfg, weights, dtype)
        net.meta = meta
        return net

    @property
    def out_size(self) -> int:
        return self.hidden * self.dirs

    # -- whole windows ----------------------------------------------------------------------

    def features(self, x: np.ndarray) -> np.ndarray:
        """Summary features (B, out_size) of x (B, T, input_size): after the optional LayerNorm,
        the forward direction at step T-1 and the backward direction at step 0."""
        out, _ = self.rnn.forward(x)
        if out.ndim == 2:
            out = out[None]
        H = self.hidden
        last = out[:, -1]
        first = out[:, 0] if self.dirs == 2 else None
        if self.layer_norm:
            last = self._norm(last)
            first = self._norm(first) if first is not None else None
        if self.dirs == 1:
            return np.ascontiguousarray(last[:, :H])
        return np.concatenate([last[:, :H], first[:, H:]], axis=1)

    def _norm(self, z: np.ndarray) -> np.ndarray:
        m = z.mean(-1, keepdims=True)
        v = ((z - m) ** 2).mean(-1, keepdims=True)
        return ((z - m) / np.sqrt(v + 1e-5) * self.norm_w + self.norm_b).astype(self.dtype)

    def forward(self, x: np.ndarray, series: np.ndarray | None = None) -> np.ndarray:
        """Network output (B, horizon * n_outputs), scaled units, index h * n_outputs + q.

        x: (B, T, input_size) — step features with the embedding already appended — or, when
        `series` (B,) row numbers of embed.weight are given, (B, T, input_size - E) and the
        embedding rows are appended here.
        """
        x = np.asarray(x)
        if series is not None:
            if self.embed_w is None:
                raise ConfigError("series numbers were given but the network has no embed.weight")
            e = self.embed_w[np.asarray(series, dtype=np.int64)]
            x = np.concatenate(
                [x, np.broadcast_to(e[:, None, :], (*x.shape[:2], e.shape[1])).astype(x.dtype)], -1
            )
        z = self.features(x)
        if self.decoder:
            z = np.maximum(z @ self.dec_w.T + self.dec_b, 0)
        return z @ self.head_w.T + self.head_b

    __call__ = forward

    # -- streaming --------------------------------------------------------------------------

    def streamer(
        self,
        loc=0.0,
        scale=1.0,
        series: int | str | None = None,
        embed: np.ndarray | None = None,
        output: int | None = None,
    ) -> Streamer:
        """A Streamer starting from the zero state (as `forward` starts every window).

        loc, scale: the series' statistics for its target column(s): scalars or (n_targets,);
        the outputs are inverse-scaled with column 0's (as the Forecaster does). series: a row of
        embed.weight (an int) or, for a net from `from_file`, a series id whose scaler statistics
        and embedding row are used (loc/scale are then ignored); embed: an explicit (E,)
        embedding. output: which of the n_outputs `update` returns (default n_outputs // 2, the
        median quantile or the point forecast). Bidirectional networks cannot stream.
        """
        if self.dirs != 1:
            raise ConfigError(
                "a bidirectional network cannot stream (its backward direction needs the whole "
                "window); use forward() on windows instead"
            )
        if self.decoder:
            raise ConfigError(
                "a network with an MLP decoder cannot stream; use forward() on windows"
            )
        c = self.config
        if c.segment > 1 or c.residual or c.transform:
            raise ConfigError(
                "a forecaster with segments (segment), a seasonal residual (residual) "
                "or a log transform (transform) reads whole windows, so its network "
                "cannot carry a state; use Forecaster.streamer(), which recomputes "
                "the window at each step"
            )
        if c.window_norm or c.pad:
            raise ConfigError(
                f"a forecaster trained with window_norm={c.window_norm!r} or left "
                "padding (pad) sees every window relative to its own level, so no "
                "state can be carried from point to point in its network; use "
                "Forecaster.streamer(), which recomputes the window at each step, or "
                "train with window_norm=None and pad=False"
            )
        E = (
            self.embedding
            if self.embedding
            else (0 if self.embed_w is None else self.embed_w.shape[1])
        )
        if series is not None and isinstance(series, str):
            meta = getattr(self, "meta", None)
            if meta is None:
                raise ConfigError(
                    "series ids need a net loaded with NumbaNet.from_file; pass loc/scale instead"
                )
            ids = list(meta["series"])
            if series not in ids:
                raise ConfigError(
                    f"series '{series}' is not in the model (it knows {len(ids)} series, e.g. "
                    f"{ids[:3]})"
                )
            row = ids.index(series)
            C = self.n_targets
            loc = np.asarray(meta["scaler"]["loc"], dtype=np.float64)[row, :C]
            scale = np.asarray(meta["scaler"]["scale"], dtype=np.float64)[row, :C]
            series = row
        if E:
            if embed is None:
                if series is None or self.embed_w is None:
                    raise ConfigError(
                        "this network has a per-series embedding; pass series= (a row of "
                        "embed.weight) or embed= (an (E,) vector)"
                    )
                embed = self.embed_w[int(series)]
            embed = np.asarray(embed, dtype=np.float64).reshape(-1)
            if embed.size != E:
                raise ConfigError(f"embed must have {E} values (got {embed.size})")
        else:
            embed = np.zeros(0)
        point = self.n_outputs // 2 if output is None else int(output)
        if not 0 <= point < self.n_outputs:
            raise ConfigError(f"output must be in [0, {self.n_outputs}) (got {output})")
        return Streamer(self, loc, scale, embed, point)

    def _stream_weights(self):
        """Weights for streaming, packed once per net: W (stack, head_wᵀ, head_b, norm w/b), lay and
        the offsets of the head and norm blocks in W."""
        if self._stream_pack is None:
            pk = Packer(self.dtype)
            _, lay = pack_stack(self.rnn.shape, self._core_weights, self.dtype, CORE, packer=pk)
            head_wt = pk.add(self.head_w.T)  # (H, n_out): the head adds contiguous output vectors
            head_b = pk.add(self.head_b)
            nw = pk.add(self.norm_w if self.layer_norm else np.zeros(1))
            nb = pk.add(self.norm_b if self.layer_norm else np.zeros(1))
            self._stream_pack = (pk.finish(), lay, head_wt, head_b, nw, nb)
        return self._stream_pack
