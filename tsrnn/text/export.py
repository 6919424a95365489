"""Production paths for the sentence classifier: dynamic int8 quantisation and ONNX export.

- `quantize(net)`: a copy whose LSTM/GRU and Linear layers run with int8 weights
  (torch.ao.quantization.quantize_dynamic; activations stay float and are quantised on the fly).
  The embedding stays fp32 unless `embedding=True` (8-bit weight-only, per-row scale).
  `TextClassifier.quantized()` wraps it; such a classifier saves its int8 weights (tsrnn.text.int8).
- `export_onnx(est, path)`: the classifier as an ONNX graph with input `ids` (B, T) int64 and
  output `logits` (B, n_labels); batch and length are dynamic. ONNX has no packed sequences, so
  every row of one call must be unpadded (one sentence per call, or sentences of equal length).
- `onnx_parity(est, path, texts)`: the largest |logit difference| between torch and onnxruntime.
"""

from __future__ import annotations

import copy
import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tsrnn._onnx import ort_session, trace_to_file


def quantize(net, embedding: bool = False):
    """Dynamic int8 copy of `net` (CPU inference only)."""
    import torch
    from torch import nn
    from torch.ao.quantization import (
        default_dynamic_qconfig,
        float_qparams_weight_only_qconfig,
        quantize_dynamic,
    )

    spec = {
        nn.LSTM: default_dynamic_qconfig,
        nn.GRU: default_dynamic_qconfig,
        nn.Linear: default_dynamic_qconfig,
    }
    if embedding:
        spec[nn.Embedding] = float_qparams_weight_only_qconfig
    with warnings.catch_warnings():  # torch.ao's dynamic quantisation warns that it is deprecated
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        q = quantize_dynamic(copy.deepcopy(net).cpu().eval(), qconfig_spec=spec, dtype=torch.qint8)
    return q.eval()


def state_bytes(net) -> int:
    """Size in bytes of `net`'s serialised state_dict (torch.save), for fp32 vs int8 comparisons."""
    import torch

    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    return buf.getbuffer().nbytes


def export_onnx(est, path: str | Path, opset: int = 17) -> None:
    """Write `est` (a fitted TextClassifier) as ONNX to `path` (overwrites: callers check first)."""
    import torch
    from torch import nn

    est._check_fitted()

    class Unpacked(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, ids):
            return self.net(ids, None)

    model = Unpacked(copy.deepcopy(est.net_).cpu().eval()).eval()
    example = torch.tensor([est.vocab_.encode(["a", "fine", "film", "."])], dtype=torch.int64)
    trace_to_file(
        model,
        (example,),
        path,
        ["ids"],
        ["logits"],
        {"ids": {0: "batch", 1: "length"}, "logits": {0: "batch"}},
        opset,
    )


def onnx_parity(est, path: str | Path, texts: Sequence[str]) -> float:
    """Largest absolute difference between torch's and onnxruntime's logits over `texts`, each run
    alone (no padding). Raises ConfigError when onnxruntime is not installed."""
    sess = ort_session(path)
    import torch

    worst = 0.0
    with torch.no_grad():
        for ids in est._encode(texts):
            x = np.asarray([ids or [0]], dtype=np.int64)
            ref = est.net_(torch.from_numpy(x)).numpy()
            got = sess.run(["logits"], {"ids": x})[0]
            worst = max(worst, float(np.abs(ref - got).max()))
    return worst
