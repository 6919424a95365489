"""Anomaly detection: AnomalyDetector (detector.py) composed of a scorer (scorers.py, recurrent.py,
tails.py, ensemble.py, tailmax.py: the default; by name through catalog.py), a threshold
(thresholds.py, evt.py), an optional normaliser (normalisers.py, likelihood.py, tail_combine.py),
optional refitting (refit.py) and a cooldown, run per series by pipeline.py in batch and streaming
(streaming.py); events (events.py), labels (labels.py), evaluation (evaluate.py), plots (plot.py).
Importing this package imports neither torch nor numba.

The public names (the detector and its parts) are imported from `tsrnn`, their one import path:
``from tsrnn import AnomalyDetector, TailMaxScorer, ZScoreScorer, LocalRatio, Refit``."""
