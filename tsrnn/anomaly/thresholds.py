"""Thresholds that turn anomaly scores into decisions, each saying which value it chose and why.

Every threshold has the same small surface:

    thr = parse_threshold("pot:1e-3")     # or QuantileThreshold(0.99), ...
    thr.fit(train_scores)                 # (T,) scores of normal-ish data -> self;
                                          # sets value_, explanation_
    level, flags = thr.apply(scores)      # (T,) threshold per point, (T,) bool decisions
    level, flag = thr.update(score)       # one point at a time, O(1) (streaming)

Specs: ``quantile:Q`` (Q-quantile of the training scores), ``contamination:C`` (the top C fraction
of the scores being judged), ``sigma:K`` (median + K·1.4826·MAD of the training scores),
``fixed:V``, ``dynamic[:P]`` (Hundman et al. 2018, pruning ratio P), ``pot[:Q]`` (peaks over
threshold, risk Q, GPD fitted on the training scores; Siffer et al. 2017) and ``spot[:Q]`` (the
same, updating the GPD with every new peak while judging). A point is anomalous when its score is
strictly above the threshold (beyond float32 round-off, see `exceeds`), so a constant score — or
a periodic one that repeats its training maximum — never raises an alarm.
"""

from __future__ import annotations

import numpy as np

from tsrnn.anomaly.evt import fit_gpd, pot_quantile
from tsrnn.errors import ConfigError, NotFittedError

__all__ = [
    "Threshold",
    "QuantileThreshold",
    "ContaminationThreshold",
    "SigmaThreshold",
    "FixedThreshold",
    "DynamicThreshold",
    "POTThreshold",
    "SPOTThreshold",
    "parse_threshold",
    "prune_sequences",
    "THRESHOLDS",
]


RTOL = 1e-6  # scores within float32 round-off of the threshold are not above it


def exceeds(scores, level):
    """scores > level beyond round-off: s > level + RTOL·|level| (elementwise or scalar)."""
    return scores > level + RTOL * np.abs(level)


def _clean(scores) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64).ravel()
    return s[np.isfinite(s)]


class Threshold:
    """Base class: a constant threshold learned by `fit`; subclasses override `_fit` / `apply`."""

    spec = "threshold"

    def fit(self, scores) -> Threshold:
        """Learn from training scores (T,). Sets value_ (float) and explanation_ (one sentence)."""
        s = _clean(scores)
        if len(s) == 0:
            raise ConfigError(f"threshold '{self.spec}' needs at least one finite training score")
        self.value_, self.explanation_ = self._fit(s)
        self.value_ = float(self.value_)
        return self

    def _fit(self, s: np.ndarray) -> tuple[float, str]:
        raise NotImplementedError

    def _check(self):
        if not hasattr(self, "value_"):
            raise NotFittedError(
                f"threshold '{self.spec}' is not fitted; call fit(train_scores) first"
            )

    def apply(self, scores) -> tuple[np.ndarray, np.ndarray]:
        """scores (T,) -> (threshold per point (T,), anomalous (T,) bool)."""
        self._check()
        s = np.asarray(scores, dtype=np.float64)
        level = np.full(s.shape, self.value_)
        return level, exceeds(s, level)

    def update(self, score: float) -> tuple[float, bool]:
        """Judge one new score against the fitted threshold (O(1))."""
        return self.value_, bool(exceeds(score, self.value_))

    def explain(self) -> str:
        self._check()
        return self.explanation_


class QuantileThreshold(Threshold):
    """The q-quantile of the training scores."""

    def __init__(self, q: float = 0.99):
        if not 0.0 < q < 1.0:
            raise ConfigError(
                f"quantile:{q} must lie strictly between 0 and 1 (e.g. quantile:0.99)"
            )
        self.q, self.spec = q, f"quantile:{q}"

    def _fit(self, s):
        v = float(np.quantile(s, self.q))
        return v, f"quantile {self.q:g} of {len(s)} training scores = {v:.4g}"


class ContaminationThreshold(Threshold):
    """Flag the top `c` fraction of the scores being judged (self-calibrating, like
    IsolationForest's contamination); `fit` only provides the fallback for streaming."""

    def __init__(self, c: float = 0.01):
        if not 0.0 < c < 0.5:
            raise ConfigError(
                f"contamination:{c} must lie between 0 and 0.5 (e.g. contamination:0.01)"
            )
        self.c, self.spec = c, f"contamination:{c}"

    def _fit(self, s):
        v = float(np.quantile(s, 1.0 - self.c))
        return (
            v,
            f"contamination {self.c:g}: top {self.c:.2%} of the training scores lie above {v:.4g}",
        )

    def apply(self, scores):
        self._check()
        s = np.asarray(scores, dtype=np.float64)
        fin = s[np.isfinite(s)]
        v = float(np.quantile(fin, 1.0 - self.c)) if len(fin) else self.value_
        self.value_ = v
        self.explanation_ = (
            f"contamination {self.c:g}: the top {self.c:.2%} of {len(fin)} judged scores lie above "
            f"{v:.4g}"
        )
        level = np.full(s.shape, v)
        return level, exceeds(s, level)


class SigmaThreshold(Threshold):
    """Robust k·σ: median + k · 1.4826 · MAD of the training scores."""

    def __init__(self, k: float = 4.0):
        if not k > 0:
            raise ConfigError(f"sigma:{k} must be positive (e.g. sigma:4)")
        self.k, self.spec = k, f"sigma:{k}"

    def _fit(self, s):
        med = float(np.median(s))
        sd = 1.4826 * float(np.median(np.abs(s - med)))
        how = "1.4826·MAD"
        if sd <= 1e-12:  # more than half the scores equal: fall back to the standard deviation
            sd, how = float(s.std()), "std (MAD is 0)"
        v = med + self.k * sd
        return (
            v,
            f"median {med:.4g} + {self.k:g} × {how} {sd:.4g} of {len(s)} training scores = {v:.4g}",
        )


class FixedThreshold(Threshold):
    """A value given by the user."""

    def __init__(self, value: float):
        self.v, self.spec = float(value), f"fixed:{value}"

    def _fit(self, s):
        return self.v, f"fixed threshold {self.v:.4g}"


class POTThreshold(Threshold):
    """Peaks over threshold (Siffer et al. 2017): t = `level`-quantile of the training scores, GPD
    fitted to the excesses over t, threshold z_q exceeded with probability `risk`."""

    def __init__(self, risk: float = 1e-3, level: float = 0.98):
        if not 0.0 < risk < 1.0:
            raise ConfigError(
                f"pot:{risk}: the risk must lie strictly between 0 and 1 (e.g. pot:1e-3)"
            )
        if not 0.5 <= level < 1.0:
            raise ConfigError(f"POT initial level {level} must lie in [0.5, 1)")
        self.risk, self.level, self.spec = risk, level, f"pot:{risk:g}"

    def _fit(self, s):
        t = float(np.quantile(s, self.level))
        self.t_ = t
        self.peaks_ = list(s[s > t] - t)
        self.n_ = len(s)
        return self._refit(), self._why()

    def _refit(self) -> float:
        y = np.asarray(self.peaks_)
        if len(y) == 0:  # no excess at all (e.g. a constant score): nothing above t is ever normal
            self.gamma_, self.sigma_ = 0.0, 0.0
            return self.t_
        self.gamma_, self.sigma_ = fit_gpd(y)
        z = pot_quantile(self.t_, self.gamma_, self.sigma_, self.risk, self.n_, len(y))
        return max(z, self.t_)

    def _why(self) -> str:
        if not self.peaks_:
            return (
                f"POT: no training score exceeds the initial threshold t={self.t_:.4g} "
                f"({self.level:g}-quantile of {self.n_} scores), so t is used"
            )
        return (
            f"POT: t={self.t_:.4g} ({self.level:g}-quantile of {self.n_} scores), "
            f"{len(self.peaks_)} excesses fitted by a generalized Pareto (γ={self.gamma_:.3g}, "
            f"σ={self.sigma_:.3g}, maximum likelihood) → score exceeded with probability "
            f"{self.risk:g}: z_q={self.value_ if hasattr(self, 'value_') else self._z():.4g}"
            + (
                " (γ < -0.5: a short, bounded tail; z_q sits near the largest score seen)"
                if self.gamma_ < -0.5
                else ""
            )
        )

    def _z(self):
        return pot_quantile(self.t_, self.gamma_, self.sigma_, self.risk, self.n_, len(self.peaks_))

    def fit(self, scores):
        super().fit(scores)
        self.explanation_ = self._why()
        return self


class SPOTThreshold(POTThreshold):
    """SPOT: POT calibrated on the training scores, then updated with every new peak while judging
    (an anomaly is not added to the peaks). The threshold column therefore varies over time."""

    def __init__(self, risk: float = 1e-3, level: float = 0.98):
        super().__init__(risk, level)
        self.spec = f"spot:{risk:g}"

    def apply(self, scores):
        self._check()
        s = np.asarray(scores, dtype=np.float64)
        level, flags = np.empty(s.shape), np.zeros(s.shape, dtype=bool)
        for i, x in enumerate(s):
            level[i], flags[i] = self.update(x)
        self.explanation_ = "S" + self._why() + f" after {len(s)} updates"
        return level, flags

    def update(self, score):
        z = self.value_
        if not np.isfinite(score):
            return z, False
        if exceeds(score, z):
            return z, True
        self.n_ += 1
        if score > self.t_:
            self.peaks_.append(score - self.t_)
            self.value_ = self._refit()
        return z, False


class DynamicThreshold(Threshold):
    """Non-parametric dynamic threshold of Hundman et al. 2018 (telemanom).

    The judged scores are smoothed by an EWMA (span `span`); for z in 2.5, 3, ..., 11.5 the
    candidate ε = mean + z·std of the smoothed scores is rated by
    (Δmean/mean + Δstd/std) / (#anomalous points + #sequences²), where Δ is the drop of the mean/std
    when the points above ε are removed; candidates that flag half the points or more are rejected.
    Sequences above the best ε are then pruned: their maxima, sorted descending and followed by the
    largest normal value, are kept only down to the last one that drops by at least `p` (13%) to the
    next. Without any acceptable ε, ε = mean + 12·std.
    """

    def __init__(self, p: float = 0.13, span: int = 10, z_max: float = 12.0):
        if not 0.0 < p < 1.0:
            raise ConfigError(
                f"dynamic:{p}: the pruning ratio must lie strictly between 0 and 1 (e.g. "
                "dynamic:0.13)"
            )
        self.p, self.span, self.z_max, self.spec = p, span, z_max, f"dynamic:{p:g}"

    def smooth(self, s: np.ndarray) -> np.ndarray:
        import pandas as pd

        return pd.Series(s).ewm(span=self.span, adjust=True).mean().to_numpy()

    def _epsilon(self, e: np.ndarray) -> tuple[float, float]:
        from tsrnn.anomaly.events import runs

        mean, sd = float(e.mean()), float(e.std())
        z_best, eps_best, best = self.z_max, mean + self.z_max * sd, -np.inf
        if sd <= 1e-12 or mean <= 1e-12:
            return z_best, eps_best
        for z in np.arange(2.5, self.z_max, 0.5):
            eps = mean + z * sd
            above = exceeds(e, eps)
            n_anom = int(above.sum())
            if n_anom == 0 or n_anom >= 0.5 * len(e):
                continue
            below = e[~above]
            n_seq = len(runs(above))
            score = ((mean - below.mean()) / mean + (sd - below.std()) / sd) / (n_seq**2 + n_anom)
            if score >= best:
                best, z_best, eps_best = score, float(z), eps
        return z_best, eps_best

    def _fit(self, s):
        e = self.smooth(s)
        z, eps = self._epsilon(e)
        self.z_ = z
        return eps, (
            f"dynamic (training scores): EWMA span {self.span}, z={z:g} → ε={eps:.4g} "
            "(used as is when streaming)"
        )

    def apply(self, scores):
        """Choose ε on the judged scores themselves (telemanom is unsupervised), then prune."""
        from tsrnn.anomaly.events import runs

        self._check()
        s = np.asarray(scores, dtype=np.float64)
        s = np.where(
            np.isfinite(s), s, np.nanmax(s[np.isfinite(s)]) if np.isfinite(s).any() else 0.0
        )
        e = self.smooth(s)
        z, eps = self._epsilon(e)
        above = exceeds(e, eps)
        seqs = runs(above)
        normal_max = float(e[~above].max()) if (~above).any() else 0.0
        kept = prune_sequences(e, seqs, normal_max, self.p)
        flags = np.zeros(len(s), dtype=bool)
        for a, b in kept:
            flags[a : b + 1] = True
        self.value_, self.z_ = float(eps), z
        self.explanation_ = (
            f"dynamic: EWMA span {self.span} of {len(s)} scores, z={z:g} maximised the "
            f"telemanom criterion → ε={eps:.4g} on the smoothed scores; {len(seqs)} "
            f"sequence(s) above ε, {len(seqs) - len(kept)} pruned (p={self.p:g})"
        )
        return np.full(len(s), eps), flags


def prune_sequences(
    e: np.ndarray, seqs: list[tuple[int, int]], normal_max: float, p: float
) -> list[tuple[int, int]]:
    """Telemanom's pruning: sort the sequences' maxima of `e` descending, append the largest normal
    value, and keep the sequences down to the last step that drops by at least a fraction `p`."""
    if not seqs:
        return []
    peaks = np.array([e[a : b + 1].max() for a, b in seqs])
    order = np.argsort(-peaks, kind="stable")
    chain = np.append(peaks[order], normal_max)
    drop = (chain[:-1] - chain[1:]) / np.where(chain[:-1] > 0, chain[:-1], 1.0)
    big = np.flatnonzero(drop >= p)
    n_keep = int(big[-1]) + 1 if len(big) else 0
    return [seqs[i] for i in sorted(order[:n_keep])]


THRESHOLDS = ("quantile", "contamination", "sigma", "fixed", "dynamic", "pot", "spot")


def parse_threshold(spec: str | Threshold) -> Threshold:
    """Build a threshold from its spec
    ("pot", "pot:1e-4", "quantile:0.99", "sigma:4", "dynamic", ...)."""
    if isinstance(spec, Threshold):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(
            f"threshold {spec!r} is not a threshold spec; use one of: {', '.join(THRESHOLDS)}"
        )
    name, _, arg = spec.strip().lower().partition(":")
    kinds = {
        "quantile": QuantileThreshold,
        "contamination": ContaminationThreshold,
        "sigma": SigmaThreshold,
        "fixed": FixedThreshold,
        "dynamic": DynamicThreshold,
        "pot": POTThreshold,
        "spot": SPOTThreshold,
    }
    if name not in kinds:
        raise ConfigError(
            f"threshold '{spec}' is unknown; use one of: {', '.join(THRESHOLDS)} "
            "(e.g. pot, dynamic, quantile:0.99, sigma:4)"
        )
    if not arg:
        if name == "fixed":
            raise ConfigError("threshold 'fixed' needs a value, e.g. fixed:3.5")
        return kinds[name]()
    try:
        value = float(arg)
    except ValueError:
        raise ConfigError(f"threshold '{spec}': '{arg}' is not a number") from None
    return kinds[name](value)
