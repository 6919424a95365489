"""Tail-probability scorer: how far out in its training distribution each window feature lies.

For the window that ends at each point (the IsolationForest scorer's features: last value, first
difference, mean, std, min, max, last minus mean, per value column), every feature's empirical
left and right tail probabilities under the training windows are

    p_left = (1 + #{train <= v}) / (n + 1),    p_right = (1 + #{train >= v}) / (n + 1)

and the score is max(sum_j -log p_left_j, sum_j -log p_right_j): the surprise of the window, all
features together, in the direction where it is most extreme. Parameter-free beyond the window,
deterministic, causal; a window beyond every training window gets at most log(n + 1) per feature.
Same surface as every scorer (see tsrnn.anomaly.scorers).
"""

from __future__ import annotations

import numpy as np

from tsrnn.anomaly.scorers import Scorer, WindowStep, check_window, window_features

__all__ = ["TailScorer"]


class TailScorer(Scorer):
    """Empirical tail surprise of the `window`-point feature vector ending at each point."""

    name = "tail"

    def __init__(self, window: int = 64):
        self.window = window

    def validate(self) -> None:
        check_window("the tail scorer's window", self.window)

    def _feat(self, x: np.ndarray) -> np.ndarray:
        return window_features(x, self.window)

    def fit(self, train: list[np.ndarray]) -> TailScorer:
        self.validate()
        feats = np.concatenate([self._feat(x) for x in train])  # (N, F)
        self.sorted_ = np.sort(feats, axis=0)
        return self

    def _surprise(self, f: np.ndarray) -> np.ndarray:
        n = len(self.sorted_)
        left = np.empty_like(f)
        right = np.empty_like(f)
        for j in range(f.shape[1]):
            col = self.sorted_[:, j]
            left[:, j] = np.searchsorted(col, f[:, j], side="right")
            right[:, j] = n - np.searchsorted(col, f[:, j], side="left")
        sl = -np.log((1.0 + left) / (n + 1.0)).sum(axis=1)
        sr = -np.log((1.0 + right) / (n + 1.0)).sum(axis=1)
        return np.maximum(sl, sr)

    def score(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        out = np.full(len(x), np.nan)
        out[self.window - 1 :] = self._surprise(self._feat(x))
        return out

    def stepper(self, n_features: int, backend: str = "auto") -> WindowStep:
        return WindowStep(self.window, lambda w: self._surprise(self._feat(w)))

    def state(self, tensors: dict, prefix: str) -> dict:
        tensors[f"{prefix}tail.sorted"] = np.asarray(self.sorted_, dtype=np.float64)
        return {}

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int) -> TailScorer:
        self.sorted_ = np.asarray(tensors[f"{prefix}tail.sorted"], dtype=np.float64)
        return self
