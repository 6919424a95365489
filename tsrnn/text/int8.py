"""Dynamic-int8 networks as plain tensors, so a quantised model file holds int8 weights and loads
without quantising again.

`int8_tensors(qnet)` turns a `quantize()` result into name → tensor plus a JSON-able spec: each
quantised weight W is stored as its integer values `W` (int8, or uint8 for the embedding), its
scale(s) `W.scale` and zero point(s) `W.zero_point`; the spec records the scheme (per tensor, or
per row with float zero points for the embedding). Biases and unquantised modules stay float32.
Names follow the float network's state_dict (`core.rnn.weight_ih_l0`, `out.weight`, `embed.weight`).

`int8_restore(net, tensors, spec)` rebuilds the quantised modules of the float network `net`
(quantize() on its structure) and sets every weight from the stored integers and scales, so the
result computes exactly what the saved network computed.
"""

from __future__ import annotations

import torch
from torch import nn

from tsrnn.errors import ModelFileError


def _quant_modules():
    from torch.ao.nn.quantized import Embedding as QEmbedding
    from torch.ao.nn.quantized.dynamic import GRU as QGRU
    from torch.ao.nn.quantized.dynamic import LSTM as QLSTM
    from torch.ao.nn.quantized.dynamic import Linear as QLinear

    return (QLSTM, QGRU), QLinear, QEmbedding


def _put(tensors: dict, spec: dict, name: str, t: torch.Tensor) -> None:
    if not t.is_quantized:
        tensors[name] = t.detach().float().contiguous().clone()
        return
    tensors[name] = t.int_repr().contiguous().clone()
    if t.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
        tensors[f"{name}.scale"] = torch.tensor([t.q_scale()], dtype=torch.float64)
        tensors[f"{name}.zero_point"] = torch.tensor([t.q_zero_point()], dtype=torch.int64)
        spec[name] = {"scheme": "tensor", "dtype": str(t.dtype).removeprefix("torch.")}
    else:  # per-channel (the embedding's per-row float qparams)
        tensors[f"{name}.scale"] = t.q_per_channel_scales().contiguous().clone()
        tensors[f"{name}.zero_point"] = t.q_per_channel_zero_points().contiguous().clone()
        spec[name] = {
            "scheme": "channel",
            "axis": int(t.q_per_channel_axis()),
            "dtype": str(t.dtype).removeprefix("torch."),
        }


def _get(tensors: dict, spec: dict, name: str, like: torch.Tensor | None) -> torch.Tensor:
    """The stored tensor `name` (quantised again from its integers when the spec says so), checked
    against the shape of `like`."""
    s = spec.get(name)
    t = tensors[name]
    if like is not None and tuple(t.shape) != tuple(like.shape):
        raise ValueError(f"{name} has shape {tuple(t.shape)}, expected {tuple(like.shape)}")
    if s is None:
        return t
    if s["scheme"] == "tensor":
        return torch._make_per_tensor_quantized_tensor(
            t, float(tensors[f"{name}.scale"][0]), int(tensors[f"{name}.zero_point"][0])
        )
    return torch._make_per_channel_quantized_tensor(
        t, tensors[f"{name}.scale"], tensors[f"{name}.zero_point"], s["axis"]
    )


def int8_tensors(qnet: nn.Module) -> tuple[dict[str, torch.Tensor], dict]:
    """(name → plain tensor, spec) of a dynamically quantised network (see the module docstring)."""
    rnns, QLinear, QEmbedding = _quant_modules()
    tensors: dict[str, torch.Tensor] = {}
    spec: dict = {}
    for mname, mod in qnet.named_modules():
        pre = f"{mname}." if mname else ""
        if isinstance(mod, rnns):
            wb = mod._weight_bias()
            for group in ("weight", "bias"):
                for k, t in wb[group].items():
                    _put(tensors, spec, pre + k, t)
        elif isinstance(mod, QLinear):
            _put(tensors, spec, pre + "weight", mod.weight())
            if mod.bias() is not None:
                _put(tensors, spec, pre + "bias", mod.bias())
        elif isinstance(mod, QEmbedding):
            _put(tensors, spec, pre + "weight", mod.weight())
        else:
            for k, t in [*mod.named_parameters(recurse=False), *mod.named_buffers(recurse=False)]:
                _put(tensors, spec, pre + k, t)
    return tensors, spec


def int8_restore(
    net: nn.Module,
    tensors: dict[str, torch.Tensor],
    spec: dict,
    embedding: bool,
    path="the model file",
) -> nn.Module:
    """The quantised network whose float structure is `net`, its weights set from int8_tensors
    output. A missing or misshapen tensor raises ModelFileError naming `path`."""
    from tsrnn.text.export import quantize

    rnns, QLinear, QEmbedding = _quant_modules()
    q = quantize(net, embedding=embedding)
    used: set[str] = set()

    def get(name, like):
        used.update(k for k in (name, f"{name}.scale", f"{name}.zero_point") if k in tensors)
        return _get(tensors, spec, name, like)

    try:
        with torch.no_grad():
            for mname, mod in q.named_modules():
                pre = f"{mname}." if mname else ""
                if isinstance(mod, rnns):
                    now = {k: t for grp in mod._weight_bias().values() for k, t in grp.items()}
                    mod.set_weight_bias({k: get(pre + k, t) for k, t in now.items()})
                elif isinstance(mod, QLinear):
                    bias = mod.bias()
                    mod.set_weight_bias(
                        get(pre + "weight", mod.weight()),
                        get(pre + "bias", bias) if bias is not None else None,
                    )
                elif isinstance(mod, QEmbedding):
                    mod.set_weight(get(pre + "weight", mod.weight()))
                else:
                    for k, t in [
                        *mod.named_parameters(recurse=False),
                        *mod.named_buffers(recurse=False),
                    ]:
                        t.copy_(get(pre + k, t))
    except (KeyError, ValueError, RuntimeError) as e:
        raise ModelFileError(
            f"{path}: the int8 weights do not match the stored configuration ({e}); "
            "the file is corrupt"
        ) from None
    extra = sorted(set(tensors) - used)
    if extra:
        raise ModelFileError(
            f"{path}: unexpected tensor {extra[0]!r} in an int8 model; the file is corrupt"
        )
    return q.eval()
