"""The numba CPU runtime: torch-free inference and streaming for tsrnn's recurrent networks.

Importing this package imports neither torch nor numba; the kernels compile on first use and are
cached on disk in a user folder (tsrnn._cache; never in the installed package). Modules: kernels
(the njit cells), layout (packing torch-named weights), rnn (NumbaRNN: a torch-like recurrent
stack), net (NumbaNet: the forecaster's direct network, read from a state dict or a model file, and
its Streamer).
"""

from __future__ import annotations

from tsrnn._lazy import lazy_getattr

_LAZY = {
    "NumbaRNN": "tsrnn.cpu.rnn",
    "NumbaNet": "tsrnn.cpu.net",
    "Streamer": "tsrnn.cpu.net",
}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
