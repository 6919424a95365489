"""Pack torch-named recurrent weights into the flat layout the numba kernels read.

torch stores, per layer k and direction (suffix ``_reverse`` for the backward one),
``weight_ih_l{k}`` (G*H, I), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}`` (G*H,) and
``bias_hh_l{k}`` (G*H,), G = 1 (rnn), 4 (lstm: i, f, g, o) or 3 (gru: r, z, n). The kernels read
the matrices transposed — (I, G*H) and (H, G*H), gate blocks in torch's order — from one
contiguous array, so the inner loop runs over contiguous gate vectors. numpy only (no torch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tsrnn.errors import ConfigError, ModelFileError

CELLS = ("rnn", "rnn_relu", "lstm", "gru")
GATES = {"rnn": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
DTYPES = {"float32": np.float32, "float64": np.float64}


def as_dtype(dtype) -> np.dtype:
    """float32 or float64 (a name, numpy dtype or type); anything else is a ConfigError."""
    dt = np.dtype(DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
    if dt not in (np.float32, np.float64):
        raise ConfigError(f"dtype must be float32 or float64 (got {dtype})")
    return dt


@dataclass(frozen=True)
class StackShape:
    """Sizes of a recurrent stack, read off its weights."""

    cell: str
    input_size: int
    hidden: int
    layers: int
    dirs: int

    @property
    def gates(self) -> int:
        return GATES[self.cell]


class Packer:
    """Append arrays to one flat buffer and remember their offsets (64-byte aligned starts)."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, a: np.ndarray) -> int:
        pad = (-self.size) % (64 // self.dtype.itemsize)
        if pad:
            self.parts.append(np.zeros(pad, self.dtype))
            self.size += pad
        flat = np.ascontiguousarray(a, dtype=self.dtype).ravel()
        off = self.size
        self.parts.append(flat)
        self.size += flat.size
        return off

    def finish(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, self.dtype)


def stack_shape(cell: str, weights: dict[str, np.ndarray], prefix: str = "") -> StackShape:
    """Infer input size, hidden size, layers and directions from torch-named weights under
    `prefix`."""
    if cell not in CELLS:
        raise ConfigError(f"cell '{cell}' is unknown; use one of {', '.join(CELLS)}")
    pat = re.compile(rf"^{re.escape(prefix)}weight_ih_l(\d+)(_reverse)?$")
    found = [m for m in (pat.match(k) for k in weights) if m]
    if not found:
        raise ModelFileError(f"no recurrent weights '{prefix}weight_ih_l0' among the tensors")
    layers = 1 + max(int(m.group(1)) for m in found)
    dirs = 2 if any(m.group(2) for m in found) else 1
    w0 = np.asarray(weights[f"{prefix}weight_ih_l0"])
    G = GATES[cell]
    if w0.ndim != 2 or w0.shape[0] % G:
        raise ModelFileError(
            f"{prefix}weight_ih_l0 has shape {w0.shape}, not ({G}*hidden, input) for a {cell}"
        )
    return StackShape(cell, int(w0.shape[1]), w0.shape[0] // G, layers, dirs)


def pack_stack(
    shape: StackShape,
    weights: dict[str, np.ndarray],
    dtype,
    prefix: str = "",
    packer: Packer | None = None,
) -> tuple[Packer, np.ndarray]:
    """Add every (layer, direction) of a stack to `packer` (a new one by default).

    Returns the packer and lay (layers*dirs, 5) int64: offsets of W_ihᵀ (I, G*H), W_hhᵀ (H, G*H),
    b_ih, b_hh and the block's input size I. Missing or misshapen tensors raise ModelFileError.
    """
    packer = packer or Packer(dtype)
    H, G, D = shape.hidden, shape.gates, shape.dirs
    lay = np.zeros((shape.layers * D, 5), dtype=np.int64)
    for layer in range(shape.layers):
        n_in = shape.input_size if layer == 0 else H * D
        for d in range(D):
            sfx = f"l{layer}" + ("_reverse" if d else "")
            want = {
                "weight_ih": (G * H, n_in),
                "weight_hh": (G * H, H),
                "bias_ih": (G * H,),
                "bias_hh": (G * H,),
            }
            got = {}
            for name, shp in want.items():
                key = f"{prefix}{name}_{sfx}"
                if key not in weights:
                    raise ModelFileError(
                        f"tensor '{key}' is missing; a {shape.cell} stack of {shape.layers} "
                        "layer(s) needs it"
                    )
                a = np.asarray(weights[key])
                if a.shape != shp:
                    raise ModelFileError(f"tensor '{key}' has shape {a.shape}, expected {shp}")
                got[name] = a
            k = layer * D + d
            lay[k, 0] = packer.add(got["weight_ih"].T)
            lay[k, 1] = packer.add(got["weight_hh"].T)
            lay[k, 2] = packer.add(got["bias_ih"])
            lay[k, 3] = packer.add(got["bias_hh"])
            lay[k, 4] = n_in
    return packer, lay
