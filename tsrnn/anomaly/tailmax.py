"""TailMaxScorer: several scorers, each on the scale of its own tail level on this series, combined
by their maximum (the default scorer of AnomalyDetector and `tsrnn detect`).

For every fitted series k and member m:

    u_m[t] = score_m[t] / mean(finite training scores of m on series k)      (as the detector does)
    r_m[t] = u_m[t] / level_m,k[t]    (tsrnn.anomaly.likelihood.TailLevelRatio, `tail` spec, fitted
                                       on u_m over series k's training part)
    score[t] = max_m r_m[t]           (tsrnn.anomaly.tail_combine.TailRatioMax;
                                       NaN where any r_m is)

so 1 is "the most surprised member's own 1e-3 tail level here" and a threshold "fixed:1.5" means 1.5
times it, on every series and member alike. With "spot:..." each level keeps learning from the
judged points (SPOT): the level state fitted on the training part is run over the whole judged
series from its first point (the training part included), in batch and streaming alike.

The scores are per series, so the detector judges series k through `bind(k)` (a scorer-like
object with `score` and `stepper`); they are already unit-free (`unit_scale`: the detector does not
divide them by their mean training score). Default members (`default_members`): the one-step LSTM
forecast error (window 64, stride 4, hidden 32, 30 epochs, lr 3e-3, batch 32), the same with
input_norm 64, the rolling z-score over 64 points and the level shift of the last 16 points
against the 64 before them (tsrnn.anomaly.level_shift).

    sc = TailMaxScorer().fit([x_train])           # list of (T_s, C) scaled training series
    s = sc.bind(0).score(x)                       # (T,) for series 0, x (T, C) from its first point
    st = sc.bind(0).stepper(1); st.update(x_t)    # the same values one point at a time
"""

from __future__ import annotations

import numpy as np

from tsrnn.anomaly.scorers import Scorer, ZScoreScorer
from tsrnn.anomaly.tail_combine import TailRatioMax
from tsrnn.errors import ConfigError, DataError

__all__ = ["TailMaxScorer", "default_members", "member_scale"]

SCALE_MIN = 1e-12  # a member's mean training score below this counts as 1 (a constant series)


def default_members() -> dict:
    """name -> unfitted scorer: the members chosen by the NAB score ablation
    (benchmarks/RESULTS.md)."""
    from tsrnn.anomaly.level_shift import LevelShiftScorer
    from tsrnn.anomaly.recurrent import ForecastScorer

    rec = dict(
        window=64,
        stride=4,
        hidden=32,
        layers=1,
        cell="lstm",
        epochs=30,
        lr=3e-3,
        batch_size=32,
        error="abs",
    )
    return {
        "forecast": ForecastScorer(input_norm=0, **rec),
        "forecast-in": ForecastScorer(input_norm=64, **rec),
        "zscore": ZScoreScorer(window=64),
        "level_shift": LevelShiftScorer(short=16, long=64),
    }


def member_scale(raw: np.ndarray) -> float:
    """The mean of the finite scores (1.0 when it is below SCALE_MIN); DataError when none is."""
    fin = raw[np.isfinite(raw)]
    if not len(fin):
        raise DataError(
            "a tailmax member gives no finite training score on a series (too few "
            "points for its look-back); train on more points or use smaller windows"
        )
    m = float(np.mean(fin))
    return m if m > SCALE_MIN else 1.0


class _SeriesStep:
    """The combined score of one series one row at a time (every member's own step)."""

    def __init__(self, steps: list, scales: list[float], comb, n_features: int):
        self.steps, self.scales = steps, [float(s) for s in scales]
        self.comb = comb.stepper()
        self.backend = "+".join(sorted({getattr(s, "backend", "python") for s in steps}))
        if n_features == 1:  # one column: the members' float paths (the forecast's fast step)
            self.update_scalar = self._scalar()

    def update(self, x: np.ndarray) -> float:
        """The combined score of row x (C,); use either update or update_scalar, not both."""
        return self.comb.update([st.update(x) / k for st, k in zip(self.steps, self.scales)])

    def _scalar(self):
        fns = [
            getattr(st, "update_scalar", None) or (lambda v, f=st.update: f(np.array([v])))
            for st in self.steps
        ]
        pairs, comb = list(zip(fns, self.scales)), self.comb.update

        def update_scalar(x: float) -> float:
            return comb([f(x) / k for f, k in pairs])

        return update_scalar


class _Bound:
    """TailMaxScorer restricted to fitted series k: score(x) and stepper(n_features, backend)."""

    causal = True
    unit_scale = True

    def __init__(self, parent: TailMaxScorer, k: int):
        self.parent, self.k, self.name = parent, k, parent.name

    @property
    def window(self) -> int:
        return self.parent.window

    def member_scores(self, x: np.ndarray) -> np.ndarray:
        """(M, T): each member's score of x (T, C) divided by its mean training score here."""
        scales = self.parent.scales_[self.k]
        return np.stack([m.score(x) / s for m, s in zip(self.parent.members_.values(), scales)])

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.parent.combs_[self.k].transform(self.member_scores(x))

    def stepper(self, n_features: int, backend: str = "auto") -> _SeriesStep:
        steps = [m.stepper(n_features, backend) for m in self.parent.members_.values()]
        return _SeriesStep(
            steps, self.parent.scales_[self.k], self.parent.combs_[self.k], n_features
        )


class TailMaxScorer(Scorer):
    """members: dict name -> scorer (causal ones; None: default_members()). tail: the tail level of
    every member, a spec for tsrnn.anomaly.thresholds.parse_threshold (default "spot:1e-3").

    Fitted state: the fitted members, and per series k the members' mean training scores
    (`scales_[k]`) and their raw training scores (`raw_[k]`, (M, T_k)) from which the tail levels
    (`combs_[k]`, a fitted TailRatioMax) are fitted, again and identically, when a model file
    is read.
    """

    name = "tailmax"
    unit_scale = True  # the detector does not divide these scores by their mean training score
    per_series = True  # the detector judges series k with bind(k)

    def __init__(self, members: dict | None = None, tail: str = "spot:1e-3"):
        self.members = members
        self.tail = tail

    def member_specs(self) -> dict:
        """name -> scorer as configured (unfitted; default_members() when `members` is None)."""
        return default_members() if self.members is None else self.members

    @property
    def causal(self) -> bool:
        specs = self.member_specs()
        return isinstance(specs, dict) and all(m.causal for m in specs.values())

    @property
    def window(self) -> int:
        """The longest look-back of the members that have one."""
        specs = self.member_specs().values()
        return max([getattr(m, "window", 0) or 0 for m in specs] or [0])

    def validate(self) -> None:
        from tsrnn.anomaly.thresholds import parse_threshold

        specs = self.member_specs()
        if not isinstance(specs, dict) or not specs:
            raise ConfigError("a tailmax scorer needs at least one member (a dict name -> scorer)")
        for n, m in specs.items():
            if not (hasattr(m, "score") and hasattr(m, "fit")):
                raise ConfigError(f"tailmax member '{n}' is not a scorer")
            if not m.causal:
                raise ConfigError(
                    f"tailmax member '{n}' ({m.name}) is not causal; it could not stream"
                )
            if getattr(m, "per_series", False) or getattr(m, "uses_freq", False):
                raise ConfigError(f"tailmax member '{n}' ({m.name}) cannot be a member")
            m.validate()
        if not isinstance(self.tail, str) or not self.tail.startswith(("spot", "pot")):
            raise ConfigError(
                f"tailmax tail must be a POT or SPOT spec such as 'spot:1e-3' (got {self.tail!r})"
            )
        parse_threshold(self.tail)

    def fit(self, train: list[np.ndarray]) -> TailMaxScorer:
        """train: one (T_s, C) scaled training series per series; members and tail levels."""
        self.validate()
        self.members_ = {n: m.clone().fit(train) for n, m in self.member_specs().items()}
        raw = [np.stack([m.score(x) for m in self.members_.values()]) for x in train]
        self._set_levels(raw)
        return self

    def _set_levels(self, raw: list[np.ndarray]) -> None:
        """raw: per series, (M, T_s) member training scores -> scales_, train_, combs_."""
        self.raw_ = [np.asarray(r, dtype=np.float64) for r in raw]
        self.scales_ = [[member_scale(r) for r in series] for series in self.raw_]
        self.train_ = [r / np.asarray(s)[:, None] for r, s in zip(self.raw_, self.scales_)]
        self.combs_ = [TailRatioMax(self.tail).fit(list(u)) for u in self.train_]

    def units(self) -> str:
        """What a score of 1 means (for the detector's threshold line)."""
        kind, _, risk = self.tail.partition(":")
        keeps = " (SPOT: it keeps learning from the judged points)" if kind == "spot" else ""
        return (
            f"{risk or 'default'} tail level of each member "
            f"({', '.join(self.member_specs())}), "
            f"max over members{keeps}"
        )

    def bind(self, k: int) -> _Bound:
        """The scorer of fitted series k (score and stepper)."""
        self._check_fitted_levels()
        if not 0 <= k < len(self.combs_):
            raise ConfigError(f"tailmax was fitted on {len(self.combs_)} series, not series {k}")
        return _Bound(self, k)

    def _check_fitted_levels(self) -> None:
        self._check_fitted("combs_")

    def score(self, x: np.ndarray) -> np.ndarray:
        """x (T, C) judged as the only fitted series (ConfigError when several were fitted)."""
        return self._only().score(x)

    def stepper(self, n_features: int, backend: str = "auto") -> _SeriesStep:
        return self._only().stepper(n_features, backend)

    def _only(self) -> _Bound:
        self._check_fitted_levels()
        if len(self.combs_) != 1:
            raise ConfigError(f"tailmax was fitted on {len(self.combs_)} series; use bind(k)")
        return self.bind(0)

    def state(self, tensors: dict, prefix: str) -> dict:
        members = {n: m.state(tensors, f"{prefix}tm.{n}.") for n, m in self.members_.items()}
        for k, raw in enumerate(self.raw_):
            tensors[f"{prefix}tm_train.{k}"] = raw
        return {"members": members, "n_series": len(self.raw_)}

    def restore(self, tensors: dict, prefix: str, info: dict, n_features: int) -> TailMaxScorer:
        specs = self.member_specs()
        if set(info["members"]) != set(specs):
            raise ValueError("the tailmax scorer's stored members differ from its settings")
        self.members_ = {
            n: m.clone().restore(tensors, f"{prefix}tm.{n}.", info["members"][n], n_features)
            for n, m in specs.items()
        }
        n = int(info["n_series"])
        raw = [np.asarray(tensors[f"{prefix}tm_train.{k}"], dtype=np.float64) for k in range(n)]
        if any(r.ndim != 2 or r.shape[0] != len(specs) for r in raw):
            raise ValueError("the tailmax scorer's stored training scores have the wrong shape")
        self._set_levels(raw)
        return self
