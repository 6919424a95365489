"""tsrnn: time-series forecasting and anomaly detection with recurrent networks.

Importing tsrnn is cheap: torch, statsmodels and numba are imported only when a model needs them.
Public names are resolved lazily on first access; each has this one import path.
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
    "read_tsf": "tsrnn.data.tsf",
    "Panel": "tsrnn.data.panel",
    "SeriesScaler": "tsrnn.data.scaling",
    # the forecasting core and every forecaster (the contract: tsrnn/base.py)
    "Forecast": "tsrnn.core",
    "Naive": "tsrnn.baselines.simple",
    "SeasonalNaive": "tsrnn.baselines.simple",
    "Drift": "tsrnn.baselines.simple",
    "HistoricMean": "tsrnn.baselines.simple",
    "Naive2": "tsrnn.baselines.seasonal",
    "AutoETS": "tsrnn.baselines.stats",
    "AutoARIMA": "tsrnn.baselines.arima",
    "Theta": "tsrnn.baselines.stats",
    "MSTL": "tsrnn.baselines.mstl",
    "Forecaster": "tsrnn.forecast.estimator",
    "make_model": "tsrnn.registry",
    "backtest": "tsrnn.backtesting",
    "BacktestResult": "tsrnn.crossval",
    # anomaly detection: the detector and the parts it is composed of (scorer, normaliser, refit)
    "AnomalyDetector": "tsrnn.anomaly.detector",
    "Scorer": "tsrnn.anomaly.scorers",
    "ZScoreScorer": "tsrnn.anomaly.scorers",
    "STLScorer": "tsrnn.anomaly.scorers",
    "IForestScorer": "tsrnn.anomaly.scorers",
    "ForecastScorer": "tsrnn.anomaly.recurrent",
    "AutoencoderScorer": "tsrnn.anomaly.recurrent",
    "TailScorer": "tsrnn.anomaly.tails",
    "EnsembleScorer": "tsrnn.anomaly.ensemble",
    "make_scorer": "tsrnn.anomaly.catalog",
    "LocalRatio": "tsrnn.anomaly.normalisers",
    "AnomalyLikelihood": "tsrnn.anomaly.likelihood",
    "TailLevelRatio": "tsrnn.anomaly.likelihood",
    "TailRatioMax": "tsrnn.anomaly.tail_combine",
    "TailMaxScorer": "tsrnn.anomaly.tailmax",
    "Refit": "tsrnn.anomaly.refit",
    # text models on the same recurrent cores
    "TextClassifier": "tsrnn.text.classifier",
    "CharLM": "tsrnn.text.charlm",
    "Tagger": "tsrnn.text.tagger",
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
