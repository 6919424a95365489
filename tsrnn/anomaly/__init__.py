"""Anomaly detection: AnomalyDetector (detector.py) composed of a scorer (scorers.py, recurrent.py,
tails.py, ensemble.py, tailmax.py: the default; by name through catalog.py), a threshold
(thresholds.py, evt.py), an optional normaliser (normalisers.py, likelihood.py), optional refitting (refit.py) and a cooldown, run per series by
pipeline.py in batch and streaming (streaming.py); events (events.py), labels (labels.py),
evaluation (evaluate.py), plots (plot.py). Importing this package imports neither torch nor
numba."""

from tsrnn.anomaly.catalog import make_scorer, parse_scorer
from tsrnn.anomaly.detector import METHODS, AnomalyDetector
from tsrnn.anomaly.likelihood import AnomalyLikelihood, TailLevelRatio
from tsrnn.anomaly.normalisers import LocalRatio
from tsrnn.anomaly.refit import Refit
from tsrnn.anomaly.tail_combine import TailRatioMax
from tsrnn.anomaly.tailmax import TailMaxScorer

__all__ = ["AnomalyDetector", "METHODS", "LocalRatio", "Refit", "make_scorer", "parse_scorer",
           "AnomalyLikelihood", "TailLevelRatio", "TailRatioMax", "TailMaxScorer"]
