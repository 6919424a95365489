"""The numba CPU runtime: torch-free inference and streaming for tsrnn's recurrent networks.

Importing this package imports neither torch nor numba; the kernels compile on first use and are
cached on disk in a user folder (tsrnn._cache; never in the installed package). Modules: kernels
(the njit cells), layout (packing torch-named weights), rnn (NumbaRNN: a torch-like recurrent
stack), net (NumbaNet: the forecaster's direct network, read from a state dict or a model file),
streamer (its Streamer, which carries the state of a network that reads raw values), seq2seq
(NumbaSeq2Seq: the attention encoder–decoder), forecast_stream (ForecastStreamer: any forecaster,
one value at a time, equal to its predict).
"""

from __future__ import annotations

from tsrnn._lazy import lazy_getattr

_LAZY = {
    "NumbaRNN": "tsrnn.cpu.rnn",
    "NumbaNet": "tsrnn.cpu.net",
    "Streamer": "tsrnn.cpu.streamer",
    "NumbaSeq2Seq": "tsrnn.cpu.seq2seq",
    "ForecastStreamer": "tsrnn.cpu.forecast_stream",
}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
