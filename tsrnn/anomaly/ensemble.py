"""An ensemble of anomaly scorers whose scores are put on one scale before they are combined.

Scorers disagree on units (a z-score, an isolation depth, a forecast error), so each member's
score is quantile-normalised by its own training scores before the members are combined:

    u = 1 + (s - median) / (q99 - median)        (median, q99: of the member's training scores)

so a member's typical training score maps to 1 and its 99th percentile to 2, whatever the member.
The members are then combined per point by their mean ("mean": an anomaly most members see) or
their maximum ("max": an anomaly any member sees). Members are causal (a point's score uses only
the points up to it), so the ensemble is too; its first points are NaN until every member has
enough history.

Same surface as every scorer (see tsrnn.anomaly.scorers): fit(train: list of (T_s, C)) -> self,
score(x (T, C)) -> (T,).
"""

from __future__ import annotations

import numpy as np

from tsrnn.anomaly.scorers import Scorer
from tsrnn.errors import ConfigError

__all__ = ["EnsembleScorer", "COMBINE", "normalise"]

COMBINE = ("mean", "max")
SPREAD_FLOOR = 1e-9


def normalise(s: np.ndarray, med: float, spread: float) -> np.ndarray:
    """1 + (s - med) / spread: a member's score on the ensemble's common scale."""
    return 1.0 + (np.asarray(s, dtype=np.float64) - med) / spread


class _EnsembleStep:
    def __init__(self, ens: EnsembleScorer, steps: list):
        self.ens, self.steps = ens, steps

    def update(self, x: np.ndarray) -> float:
        parts = np.array([normalise(st.update(x), *self.ens.stats_[n]) for n, st in self.steps])
        return float(self.ens.combine_scores(parts[:, None])[0])


class EnsembleScorer(Scorer):
    """members: dict name -> scorer (each with fit / score; distinct names). combine: "mean" or
    "max". `tsrnn.anomaly.catalog.make_scorer("ensemble", members="zscore,forecast", window=32)`
    builds the members by name, each taking the options it has. fit leaves `members` unfitted
    and fits copies of them (`members_`)."""

    name = "ensemble"

    def __init__(self, members: dict | None = None, combine: str = "mean"):
        self.members, self.combine = members, combine

    def validate(self) -> None:
        if self.combine not in COMBINE:
            raise ConfigError(f"combine must be one of {', '.join(COMBINE)} (got '{self.combine}')")
        if not self.members:
            raise ConfigError("an ensemble needs at least one member")
        for m in self.members.values():
            m.validate()

    @property
    def causal(self) -> bool:
        return all(m.causal for m in (self.members or {}).values())

    def fit(self, train: list[np.ndarray], freq: str | None = None) -> EnsembleScorer:
        self.validate()
        self.stats_ = {}
        self.members_ = {n: m.clone() for n, m in self.members.items()}  # the members stay unfitted
        for name, m in self.members_.items():
            m.fit(train, freq) if getattr(m, "uses_freq", False) else m.fit(train)
            s = np.concatenate([m.score(x) for x in train])
            s = s[np.isfinite(s)]
            if not len(s):
                raise ConfigError(
                    f"ensemble member '{name}' gives no finite training score; use a smaller window"
                )
            med, q = float(np.median(s)), float(np.quantile(s, 0.99))
            self.stats_[name] = (med, max(q - med, SPREAD_FLOOR))
        return self

    @property
    def uses_freq(self) -> bool:
        return any(getattr(m, "uses_freq", False) for m in (self.members or {}).values())

    def member_scores(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every member's normalised score (T,) of x (T, C) (the fitted copies, members_)."""
        self._check_fitted()
        return {n: normalise(m.score(x), *self.stats_[n]) for n, m in self.members_.items()}

    def combine_scores(self, parts: np.ndarray) -> np.ndarray:
        """(M, T) normalised member scores -> (T,) ensemble score (NaN where any member is NaN)."""
        parts = np.asarray(parts, dtype=np.float64)
        out = parts.mean(axis=0) if self.combine == "mean" else parts.max(axis=0)
        return np.where(np.isfinite(parts).all(axis=0), out, np.nan)

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.combine_scores(np.stack(list(self.member_scores(x).values())))

    def stepper(self, n_features: int, backend: str = "auto") -> _EnsembleStep:
        return _EnsembleStep(
            self, [(n, m.stepper(n_features, backend)) for n, m in self.members_.items()]
        )

    def state(self, tensors: dict, prefix: str) -> dict:
        members = {n: m.state(tensors, f"{prefix}ens.{n}.") for n, m in self.members_.items()}
        return {
            "members": members,
            "stats": {n: [float(v) for v in st] for n, st in self.stats_.items()},
        }

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int) -> EnsembleScorer:
        self.members_ = {n: m.clone() for n, m in self.members.items()}
        for n, m in self.members_.items():
            m.restore(tensors, f"{prefix}ens.{n}.", info["members"][n], n_features)
        self.stats_ = {k: (float(a), float(b)) for k, (a, b) in info["stats"].items()}
        if set(self.stats_) != set(self.members):
            raise ValueError("the ensemble's stored members differ from its settings")
        return self
