"""tsrnn: time-series forecasting and anomaly detection with recurrent networks.

Importing tsrnn is cheap: torch, statsmodels and numba are imported only when a model needs them.
Public names are resolved lazily on first access.
"""

from __future__ import annotations

from tsrnn._lazy import lazy_getattr
from tsrnn._version import __version__
from tsrnn.errors import (
    ConfigError,
    DataError,
    ModelFileError,
    NotFittedError,
    TrainingError,
    TsrnnError,
)

_LAZY = {
    "read_series": "tsrnn.data.io",
    "read_tsf": "tsrnn.data.io",
    "Panel": "tsrnn.data.panel",
    "SeriesScaler": "tsrnn.data.scaling",
    "StatsForecaster": "tsrnn.baselines.core",
    "backtest": "tsrnn.backtest",
    "Forecaster": "tsrnn.forecaster",
    "AnomalyDetector": "tsrnn.anomaly.detector",
}

__all__ = [
    "__version__",
    "TsrnnError",
    "DataError",
    "ConfigError",
    "ModelFileError",
    "NotFittedError",
    "TrainingError",
    *_LAZY,
]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
