"""AnomalyDetector: the frame-facing estimator behind `tsrnn detect`, composed of parts.

    det = AnomalyDetector(scorer=TailMaxScorer(), threshold="fixed:1.5", normaliser=None,
                          refit=None, cooldown=16).fit(train_df)    # the defaults
    scores = det.score(df)          # (N,) per-point scores aligned with df's rows
    out = det.detect(df)            # unique_id, ds, <values>, score, threshold, is_anomaly
    det.events(out)                 # unique_id, start, end, peak, peak_score, n_points
    det.explain(out)                # which threshold each series got, and why

A detector = a scorer (tsrnn.anomaly.scorers, recurrent, tails, ensemble, tailmax; each owns
its options and fitted state; by name through tsrnn.anomaly.catalog) + a threshold spec
(tsrnn.anomaly.thresholds) + an optional score normaliser (tsrnn.anomaly.normalisers) + optional
online refitting (tsrnn.anomaly.refit.Refit) + a cooldown. `fit` scales every series by its own
statistics (SeriesScaler), fits the scorer on the scaled training series, scores them, divides
scores by each series' mean training score (a score reads as "times the typical score of this
series"), fits the normaliser and one threshold per series on those training scores. Every
series is then judged by one SeriesPipeline (tsrnn.anomaly.pipeline), in batch (`detect`) and one
point at a time (`streamer`). A per-series scorer (tailmax) judges series k as `scorer_.bind(k)`,
and a unit-free one (`unit_scale`, tailmax) is not divided by its mean training score. NaN scores
(too little history) are never anomalous. `detect` and `score` leave the fitted detector unchanged.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from tsrnn.anomaly.events import events_frame
from tsrnn.anomaly.pipeline import SeriesPipeline
from tsrnn.anomaly.thresholds import parse_threshold
from tsrnn.base import BaseEstimator
from tsrnn.data.panel import Panel
from tsrnn.data.scaling import SeriesScaler
from tsrnn.errors import ConfigError, DataError

__all__ = ["AnomalyDetector", "METHODS"]

METHODS = ("tailmax", "autoencoder", "forecast", "zscore", "stl", "iforest", "tail", "ensemble")


class AnomalyDetector(BaseEstimator):
    """Per-point anomaly scores, thresholds and decisions for every series of a long frame.

    The defaults are the configuration chosen by leave-one-category-out cross-validation on the
    31 NAB series (the NAB score ablation, benchmarks/nab_scores.py; `tailmax` in
    benchmarks/nab.py): TailMaxScorer() (tsrnn.anomaly.tailmax: the LSTM one-step forecast error
    (window 64, stride 4, hidden 32, 30 epochs, lr 3e-3, batch 32), the same with input_norm 64,
    the rolling z-score over 64 points and the level shift of the last 16 points against the 64
    before them, each divided by its own SPOT 1e-3 tail level on the series, max over the four),
    threshold fixed:1.5 (1.5 times that level), cooldown 16 (one alarm per burst). Every part is
    causal, so it streams. Fit it on a leading part of each series and judge the rest
    (tsrnn.anomaly.split.train_part). Its out-of-fold figures (mean event F1 0.622, NAB 62.5 over
    5 seeds) are in benchmarks/RESULTS.md. It trains two small LSTMs per fit;
    `AnomalyDetector(scorer="zscore", threshold="pot:1e-3")` is a fast one without torch.

    scorer: a scorer object or a name of tsrnn.anomaly.catalog.SCORERS (default options), or a
        spec "zscore:window=288" (catalog.parse_scorer). The detector fits a copy.
    threshold: a spec for `tsrnn.anomaly.thresholds.parse_threshold` ("pot", "spot", "dynamic",
        "quantile:0.99", "contamination:0.01", "sigma:4", "fixed:3").
    normaliser: None, a normaliser object (tsrnn.anomaly.normalisers interface) or a spec
        ("local:64": each score divided by the mean of the 64 before it; "likelihood",
        "tailratio:spot:1e-3": tsrnn.anomaly.likelihood's AnomalyLikelihood, TailLevelRatio).
    refit: None or tsrnn.anomaly.refit.Refit(every, history): online adaptation while judging.
    cooldown: 0 (off) or N: a point above its threshold raises an alarm only when none of the N
        points before it was above (one alarm per burst, `flags.suppress_repeats`).
    calibration: share of each training series (its tail) held out from the scorer's fit; the
        thresholds are still fitted on the scores of the whole training series.
    event_gap/min_event_length: how `events` merges anomalous points.
    """

    def __init__(
        self,
        scorer="tailmax",
        threshold: str = "fixed:1.5",
        normaliser=None,
        refit=None,
        cooldown: int = 16,
        calibration: float = 0.0,
        event_gap: int = 0,
        min_event_length: int = 1,
    ):
        self.scorer, self.threshold, self.normaliser = scorer, threshold, normaliser
        self.refit = refit
        self.cooldown, self.calibration = cooldown, calibration
        self.event_gap, self.min_event_length = event_gap, min_event_length

    # -- building blocks ------------------------------------------------------------------------

    def _new_scorer(self):
        from tsrnn.anomaly.catalog import parse_scorer

        if isinstance(self.scorer, str):
            return parse_scorer(self.scorer)
        if not (hasattr(self.scorer, "fit") and hasattr(self.scorer, "score")):
            raise ConfigError(
                f"scorer must be a scorer object or a name, not {type(self.scorer).__name__}"
            )
        sc = copy.deepcopy(self.scorer)
        if hasattr(sc, "validate"):
            sc.validate()
        return sc

    def scorer_name(self) -> str:
        """The scorer's registry name ("forecast", ...), fitted or not."""
        if getattr(self, "fitted_", False):
            return self.scorer_.name
        return self.scorer.partition(":")[0] if isinstance(self.scorer, str) else self.scorer.name

    def validate(self):
        """Check every option (no data needed); returns the unfitted scorer it builds."""
        from tsrnn.anomaly.catalog import make_normaliser

        scorer = self._new_scorer()
        parse_threshold(self.threshold)
        norm = make_normaliser(self.normaliser)
        if hasattr(norm, "validate"):
            norm.validate()
        if not 0.0 <= self.calibration < 1.0:
            raise ConfigError(f"calibration must be in [0, 1) (got {self.calibration})")
        if (
            isinstance(self.cooldown, bool)
            or not isinstance(self.cooldown, int)
            or self.cooldown < 0
        ):
            raise ConfigError(
                f"cooldown must be 0 (off) or a number of points (got {self.cooldown})"
            )
        if self.refit is not None:
            if not hasattr(self.refit, "points"):
                raise ConfigError("refit must be None or tsrnn.anomaly.refit.Refit(every, history)")
            self.refit.validate(getattr(scorer, "window", None))
        return scorer

    def _panel(self, df: pd.DataFrame) -> Panel:
        if not isinstance(df, pd.DataFrame):
            raise DataError(
                f"expected a long data frame (unique_id, ds, values), got {type(df).__name__}"
            )
        targets = df.attrs.get("targets") or ["y"]
        if getattr(self, "fitted_", False) and list(targets) != self.targets_:
            raise DataError(
                f"the data's value columns {targets} differ from those fitted ({self.targets_})"
            )
        if "freq" not in df.attrs:  # irregular or hand-built frames: freq only matters for STL
            df = df.copy()
            df.attrs["freq"] = None
            df.attrs["targets"] = list(targets)
        p = Panel.from_frame(df, list(targets))
        if not np.isfinite(p.values).all():
            raise DataError(
                f"{df.attrs.get('source', 'data')}: the value columns hold NaN or infinite "
                "values; fill them first (--fill-nan)"
            )
        return p

    def _series_index(self, ids: list[str]) -> list[int]:
        pos = {u: i for i, u in enumerate(self.ids_)}
        unknown = [u for u in ids if u not in pos]
        if unknown:
            raise DataError(
                f"series '{unknown[0]}' was not seen in fit; fit the detector on every "
                "series it judges"
            )
        return [pos[u] for u in ids]

    # -- estimator surface ----------------------------------------------------------------------

    def fit(self, df: pd.DataFrame) -> AnomalyDetector:
        """Learn scaler, scorer, normaliser and one threshold per series from the training frame."""
        from tsrnn.anomaly.catalog import make_normaliser

        self.fitted_ = False
        scorer = self.validate()
        panel = self._panel(df)
        self.scaler_ = SeriesScaler("standard").fit(panel.values, panel.offsets)
        train = [
            self.scaler_.transform(panel.series(s), np.full(len(panel.series(s)), s))
            for s in range(panel.n_series)
        ]
        # the scorer learns from the head of each series; the held-out tail scores out of sample
        keep = [x[: max(1, int(round(len(x) * (1.0 - self.calibration))))] for x in train]
        self.scorer_ = (
            scorer.fit(keep, panel.freq)
            if getattr(scorer, "uses_freq", False)
            else scorer.fit(keep)
        )
        self.ids_, self.targets_, self.freq_ = list(panel.ids), list(panel.targets), panel.freq
        self.fit_lengths_ = [int(n) for n in panel.lengths]
        self.fit_end_ = list(panel.last_ds())
        self.score_scale_, base = [], []
        for k, (uid, x) in enumerate(zip(panel.ids, train)):
            raw = self.series_scorer(k).score(x)
            fin = raw[np.isfinite(raw)]
            if not len(fin):
                w = getattr(self.scorer_, "window", None)
                raise DataError(
                    f"series '{uid}': its {len(x)} training points give no {self.scorer_.name} "
                    f"score (too few for the look-back{f' of window={w}' if w else ''}); "
                    "lower the window or train on more points"
                )
            unit = getattr(self.scorer_, "unit_scale", False)  # already unit-free (tailmax)
            scale = 1.0 if unit or np.mean(fin) <= 1e-12 else float(np.mean(fin))
            self.score_scale_.append(scale)
            base.append(raw / scale)
        self._set_scores(base, make_normaliser(copy.deepcopy(self.normaliser)))
        self.fit_thresholds()
        self._refit_cache = {}
        self.fitted_ = True
        return self

    def _set_scores(self, base: list[np.ndarray], normaliser) -> None:
        """The training scores (base: divided by the series' score scale) through the normaliser."""
        self.base_scores_ = [np.asarray(b, dtype=np.float64) for b in base]
        self.normaliser_ = None if normaliser is None else normaliser.fit(self.base_scores_)
        self.train_scores_ = (
            self.base_scores_
            if normaliser is None
            else [self.normaliser_.transform(b) for b in self.base_scores_]
        )

    def fit_thresholds(self, exclude: list[np.ndarray] | None = None) -> AnomalyDetector:
        """One threshold per series from its training scores; `exclude` (a boolean mask per series,
        aligned with them) leaves points out of the calibration (online refits)."""
        scores = self.train_scores_
        if exclude is not None:
            scores = [np.where(m, np.nan, s) for s, m in zip(scores, exclude)]
        self.thresholds_ = [parse_threshold(self.threshold).fit(s) for s in scores]
        return self

    def refit_threshold(self, threshold: str) -> AnomalyDetector:
        """Switch to another threshold spec without retraining: the per-series thresholds are
        fitted again on the stored training scores (the same as fit with that spec would)."""
        self._check_fitted()
        parse_threshold(threshold)
        self.threshold = threshold
        return self.fit_thresholds()

    def series_scorer(self, k: int):
        """The fitted scorer as it judges fitted series k (a per-series scorer's bind(k))."""
        return self.scorer_.bind(k) if getattr(self.scorer_, "per_series", False) else self.scorer_

    def pipeline(self, k: int) -> SeriesPipeline:
        """A new SeriesPipeline of fitted series k (its threshold a copy of the fitted one)."""
        self._check_fitted()
        return SeriesPipeline(
            self.scaler_.loc_[k],
            self.scaler_.scale_[k],
            self.series_scorer(k),
            self.score_scale_[k],
            self.normaliser_,
            copy.deepcopy(self.thresholds_[k]),
            self.cooldown,
        )

    def score(self, df: pd.DataFrame) -> np.ndarray:
        """(N,) anomaly scores aligned with the rows of `df` (NaN: too little history yet);
        with refit, those of the refitted detectors, as in `detect`."""
        self._check_fitted()
        if self.refit is not None:
            return self.detect(df)["score"].to_numpy()
        panel = self._panel(df)
        return np.concatenate(
            [
                self.pipeline(k).scores(panel.series(s))
                for s, k in enumerate(self._series_index(panel.ids))
            ]
        )

    def detect(self, df: pd.DataFrame) -> pd.DataFrame:
        """The anomaly frame: unique_id, ds, value column(s), score, threshold, is_anomaly;
        attrs["explanations"]: series id -> the threshold it got and why."""
        from tsrnn.anomaly.refit import adapt

        self._check_fitted()
        panel = self._panel(df)
        scores, levels, flags, explained = [], [], [], {}
        for s, k in enumerate(self._series_index(panel.ids)):
            if self.refit is not None:
                ds = panel.ds[panel.offsets[s] : panel.offsets[s + 1]]
                sc, lv, fl, ex = adapt(
                    self, k, self.ids_[k], ds, panel.series(s), self._refit_cache
                )
            else:
                pipe = self.pipeline(k)
                (sc, lv, fl), ex = pipe.judge(panel.series(s)), pipe.explain()
            scores.append(sc)
            levels.append(lv)
            flags.append(fl)
            explained[self.ids_[k]] = ex
        out = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(), "ds": panel.ds})
        for c in panel.targets:
            out[c] = df[c].to_numpy()
        out["score"] = np.concatenate(scores)
        out["threshold"] = np.concatenate(levels)
        out["is_anomaly"] = np.concatenate(flags)
        out.attrs.update({k: v for k, v in df.attrs.items() if k in ("freq", "targets", "source")})
        out.attrs["explanations"] = explained
        return out

    def refitted(self, k: int, frame: pd.DataFrame) -> AnomalyDetector:
        """A detector like this one (without refit or cooldown) fitted on `frame`, one stretch of
        series k, its scorer's epochs scaled so that it runs about as many steps as the first
        fit."""
        ratio = self.fit_lengths_[k] / max(1, len(frame))
        scorer = copy.deepcopy(self._new_scorer())
        for sc in [scorer, *(getattr(scorer, "members", None) or {}).values()]:
            if hasattr(sc, "epochs"):
                sc.epochs = max(1, int(round(sc.epochs * ratio)))
            if hasattr(sc, "quiet"):
                sc.quiet = True
        return self.clone().set_params(scorer=scorer, refit=None, cooldown=0).fit(frame)

    def events(self, detections: pd.DataFrame) -> pd.DataFrame:
        """Events of a `detect` frame, merged with this detector's event_gap / min_event_length."""
        return events_frame(detections, max_gap=self.event_gap, min_length=self.min_event_length)

    def explain(self, detections: pd.DataFrame | None = None) -> str:
        """One line per series: the threshold chosen and why (given a detect frame: as applied)."""
        self._check_fitted()
        ex = (detections.attrs.get("explanations") if detections is not None else None) or {
            u: t.explain() for u, t in zip(self.ids_, self.thresholds_)
        }
        return "\n".join(f"{u}: {e}" for u, e in ex.items())

    def threshold_summary(self) -> str:
        """One line: the threshold spec, its value per series (or their range) and the part of
        each series it was fitted on."""
        self._check_fitted()
        v = np.array([t.value_ for t in self.thresholds_])
        val = (
            f"{v[0]:.4g}" if len(v) == 1 else f"{v.min():.4g} to {v.max():.4g} over {len(v)} series"
        )
        n = np.array(self.fit_lengths_)
        pts = f"{n[0]}" if len(n) == 1 or n.min() == n.max() else f"{n.min()} to {n.max()}"
        adapt = (
            f"; refitted every {self.refit.every} points after it" if self.refit is not None else ""
        )
        units = getattr(self.scorer_, "units", None)
        if units is not None:  # a unit-free score (tailmax): 1 = each member's own tail level
            return (
                f"threshold {self.threshold}: {val} × the {units()}; each level fitted on its "
                f"member's scores of the first {pts} points of each series{adapt}"
            )
        return (
            f"threshold {self.threshold}: {val} (in units of the series' mean training score), "
            f"fitted on the scores of the first {pts} points of each series{adapt}"
        )

    def streamer(self, unique_id: str | None = None, backend: str = "auto"):
        """A one-point-at-a-time scorer for one fitted series (tsrnn.anomaly.streaming); backend
        "auto" (numba where it can run the network, else torch), "numba" or "torch"."""
        self._check_fitted()
        from tsrnn.anomaly.streaming import make_streamer

        return make_streamer(self, unique_id, backend)

    # -- save / load ----------------------------------------------------------------------------

    def save(self, path, force: bool = False) -> None:
        """Write the fitted detector to `path` (safetensors + JSON, no pickle; see
        tsrnn.anomaly.modelfile), atomically; an existing file is replaced only with force."""
        self._check_fitted()
        from tsrnn.anomaly.modelfile import write_detector

        write_detector(path, self, force=force)

    @classmethod
    def load(cls, path) -> AnomalyDetector:
        """Read a detector written by `save`; its thresholds are fitted again on the stored training
        scores (the same as the saved ones). A missing, corrupt or foreign file raises
        ModelFileError."""
        from tsrnn.anomaly.modelfile import read_detector

        return read_detector(path, cls)

    def restore_fitted(self, d: dict, tensors: dict, scorer, normaliser) -> AnomalyDetector:
        """Fitted state from a model file's description (called by modelfile.read_detector)."""
        self.ids_, self.targets_, self.freq_ = list(d["ids"]), list(d["targets"]), d["freq"]
        self.fit_lengths_ = [int(n) for n in d["fit_lengths"]]
        self.fit_end_ = [np.datetime64(t, "ns") for t in d["fit_end"]]
        self.score_scale_ = [float(v) for v in d["score_scale"]]
        self.scaler_ = SeriesScaler.from_dict(d["scaler"])
        n = len(self.ids_)
        sizes = (self.fit_lengths_, self.fit_end_, self.score_scale_, self.scaler_.loc_)
        if any(len(v) != n for v in sizes):
            raise ValueError(f"per-series entries do not all have {n} items")
        scores = [np.asarray(tensors[f"train_scores.{i}"], dtype=np.float64) for i in range(n)]
        base = [
            np.asarray(tensors.get(f"base_scores.{i}", scores[i]), dtype=np.float64)
            for i in range(n)
        ]
        self.scorer_ = scorer.restore(tensors, "", d["scorer"], len(self.targets_))
        self._set_scores(base, normaliser)
        self.train_scores_ = scores  # as saved (a format-1/2 file's scores are the normalised ones)
        self.fit_thresholds()
        self._refit_cache, self.fitted_ = {}, True
        return self
