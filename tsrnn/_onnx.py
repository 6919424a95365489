"""The two ONNX steps every exporter shares: tracing a module to a file, and an onnxruntime
session for the parity check (tsrnn.forecast.export, tsrnn.text.export)."""

from __future__ import annotations

import warnings
from pathlib import Path

from tsrnn.errors import ConfigError


def trace_to_file(
    model,
    args: tuple,
    path: str | Path,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict,
    opset: int,
) -> None:
    """torch.onnx.export (TorchScript tracer) of `model` on example `args`, without the tracer's
    notes on shape checks inside torch.nn.LSTM/GRU."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            args,
            str(path),
            dynamo=False,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
        )


def ort_session(path: str | Path):
    """A CPU onnxruntime session for `path`; ConfigError when onnxruntime is not installed."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError(
            "onnxruntime is not installed; pip install 'tsrnn[onnx]' for the parity check"
        ) from None
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
