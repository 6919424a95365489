"""ONNX export of a fitted Forecaster's network, with an onnxruntime parity check.

The graph is the network only (`forecaster.net_`, a DirectNet or Seq2SeqNet); building the step
features (with the "observed" column of padded models), scaling, taking the window relative to
its reference level (config_.window_norm, tsrnn.forecast.inputs.window_ref) and undoing both
on the outputs stay with the caller, as in `Forecaster.predict`.

    inputs   x       (S, T, F) float32  step features in scaled units (T = config_.input_len
                                        / config_.segment, F = config_.net_features:
                                        segment rows of config_.n_features each, see
                                        tsrnn.forecast.transforms.to_segments)
             future  (S, H, K) float32  calendar features of the horizon steps (seq2seq only;
                                        K = config_.n_future)
             embed   (S, E) float32     series-embedding rows (only when config_.embedding = E > 0:
                                        the learned row of a known series, the mean row otherwise)
    output   y       (S, H, Q) float32  scaled forecasts, Q = config_.n_outputs

The batch axis S is dynamic. Seq2seq is traced free running (no target, teacher forcing off), so
its H decoder steps are unrolled in the graph. The ONNX file's metadata holds `tsrnn_config` (the
forecaster's NetConfig as JSON) and `tsrnn_inputs` (the input names in order).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from tsrnn._onnx import ort_session, trace_to_file
from tsrnn.errors import ConfigError, NotFittedError
from tsrnn.netconfig import NetConfig


def onnx_input_names(config: NetConfig) -> list[str]:
    """Names of the ONNX graph's inputs for a forecaster's NetConfig, in order."""
    return (
        ["x"]
        + (["future"] if config.model == "seq2seq" else [])
        + (["embed"] if config.embedding else [])
    )


def example_inputs(config: NetConfig, batch: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 inputs of the right shapes for the network of `config` (name → array)."""
    rng = np.random.default_rng(seed)
    shapes = {
        "x": (batch, config.steps, config.net_features),
        "future": (batch, config.horizon, config.n_future),
        "embed": (batch, config.embedding),
    }
    return {k: rng.standard_normal(shapes[k]).astype(np.float32) for k in onnx_input_names(config)}


def export_module(forecaster):
    """The forecaster's network as a CPU float32 module in eval mode whose forward takes the ONNX
    inputs positionally."""
    import torch
    from torch import nn

    if not getattr(forecaster, "fitted_", False):
        raise NotFittedError(
            "this Forecaster is not fitted yet; call fit() or Forecaster.load() first"
        )
    if getattr(forecaster, "net_", None) is None:
        raise ConfigError(
            "ONNX export needs the torch network; load the model with backend='torch'"
        )
    cfg = forecaster.config_
    seq2seq, has_embed = cfg.model == "seq2seq", bool(cfg.embedding)

    class Exported(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, *inputs):
            x, rest = inputs[0], list(inputs[1:])
            future = rest.pop(0) if seq2seq else None
            embed = rest.pop(0) if has_embed else None
            if seq2seq:
                return self.net(x, future, None, None, 0.0, embed=embed)
            return self.net(x, None, embed=embed)

    net = copy.deepcopy(forecaster.net_).to("cpu", torch.float32).eval()
    return Exported(net).eval()


def export_onnx(forecaster, path: str | Path, opset: int = 17) -> None:
    """Write the network of a fitted `forecaster` (torch backend) as ONNX to `path` (overwrites:
    callers check first)."""
    import torch

    try:
        import onnx
    except ImportError:
        raise ConfigError(
            "the onnx package is not installed; pip install 'tsrnn[onnx]' to export"
        ) from None
    model = export_module(forecaster)
    cfg = forecaster.config_
    names = onnx_input_names(cfg)
    ex = tuple(torch.from_numpy(a) for a in example_inputs(cfg, batch=2).values())
    axes = {n: {0: "batch"} for n in names} | {"y": {0: "batch"}}
    trace_to_file(model, ex, path, names, ["y"], axes, opset)
    proto = onnx.load(str(path))
    for key, value in (
        ("tsrnn_config", json.dumps(cfg.to_dict())),
        ("tsrnn_inputs", json.dumps(names)),
    ):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))


def torch_outputs(forecaster, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """The torch network's outputs (S, H, Q) float32 for ONNX-style inputs (name → array)."""
    import torch

    model = export_module(forecaster)
    with torch.no_grad():
        args = [
            torch.from_numpy(np.ascontiguousarray(inputs[n], dtype=np.float32))
            for n in onnx_input_names(forecaster.config_)
        ]
        return model(*args).numpy()


def onnx_parity(
    forecaster, path: str | Path, batches: tuple[int, ...] = (1, 3, 17), seed: int = 0
) -> float:
    """Largest |difference| between torch's and onnxruntime's outputs over random inputs of each
    batch size in `batches`. Raises ConfigError when onnxruntime is not installed."""
    sess = ort_session(path)
    worst = 0.0
    for i, b in enumerate(batches):
        inputs = example_inputs(forecaster.config_, batch=b, seed=seed + i)
        got = sess.run(["y"], inputs)[0]
        ref = torch_outputs(forecaster, inputs)
        if got.shape != ref.shape:
            raise ConfigError(
                f"{path}: onnxruntime gives shape {got.shape}, torch {ref.shape}; re-export "
                "the model"
            )
        worst = max(worst, float(np.abs(got - ref).max()))
    return worst
