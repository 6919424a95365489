"""Anomaly detection: AnomalyDetector (detector.py), scorers (scorers.py, recurrent.py), thresholds
(thresholds.py, evt.py), events (events.py), labels (labels.py), evaluation (evaluate.py), plots
(plot.py) and streaming (streaming.py). Importing this package imports neither torch nor numba."""

from tsrnn.anomaly.detector import METHODS, AnomalyDetector

__all__ = ["AnomalyDetector", "METHODS"]
