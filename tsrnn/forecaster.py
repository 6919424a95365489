"""`tsrnn.Forecaster`, the neural forecaster (implementation in tsrnn.forecast). Importing this
module does not import torch."""

from tsrnn.forecast.estimator import MODELS, Forecaster

__all__ = ["Forecaster", "MODELS"]
