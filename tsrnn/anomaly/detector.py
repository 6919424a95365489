"""AnomalyDetector: the frame-facing estimator behind `tsrnn detect`.

    det = AnomalyDetector(method="forecast", threshold="pot").fit(train_df)
    scores = det.score(df)          # (N,) per-point scores aligned with df's rows
    out = det.detect(df)            # unique_id, ds, <values>, score, threshold, is_anomaly
    det.events(out)                 # unique_id, start, end, peak, peak_score, n_points
    det.explain()                   # which threshold each series got, and why

`fit` scales every series by its own statistics (SeriesScaler), fits the scorer on the scaled
training series, scores them, divides scores by each series' mean training score (so a score reads
as "times the typical error of this series") and fits one threshold per series on those training
scores (with `local_norm` = W > 0, each score is then divided by the mean of the W scores before
it: "surprise relative to the recent score level", see scorers.local_ratio). `detect` scores new data of the same series (typically the full series, training part
included) and applies each series' threshold. NaN scores (points with too little history for the
method) are never anomalous.
"""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pandas as pd

from tsrnn.anomaly.events import events_frame
from tsrnn.anomaly.flags import judged_flags, series_frame, suppress_repeats
from tsrnn.anomaly.thresholds import parse_threshold
from tsrnn.base import BaseEstimator
from tsrnn.data.panel import Panel
from tsrnn.data.scaling import SeriesScaler
from tsrnn.errors import ConfigError, DataError

__all__ = ["AnomalyDetector", "METHODS"]

METHODS = ("autoencoder", "forecast", "zscore", "stl", "iforest", "tail", "ensemble")
MEMBERS = ("zscore", "iforest", "tail", "forecast", "autoencoder", "stl")


class AnomalyDetector(BaseEstimator):
    """Per-point anomaly scores, thresholds and decisions for every series of a long frame.

    The defaults are the configuration chosen by leave-one-category-out cross-validation on the
    31 NAB series of benchmarks/nab.py, among the causal (streamable) candidates
    (`forecast@pot:1e-3@cd64` there): the LSTM one-step forecast error over 64-point training
    windows taken every 4 points (hidden 32, 30 epochs, lr 3e-3, batch 32), POT threshold at risk
    1e-3, cooldown 64 (one alarm per burst). Fit it on a leading part of each series and judge the
    rest. Its out-of-fold NAB figures are in benchmarks/RESULTS.md.

    method: "autoencoder" | "forecast" (recurrent, several value columns allowed) | "zscore" |
        "stl" | "iforest" (baselines) | "tail" (empirical tail surprise of window features,
        tsrnn.anomaly.tails) | "ensemble" (several of them, see members).
    threshold: a spec for `tsrnn.anomaly.thresholds.parse_threshold` ("pot", "spot", "dynamic",
        "quantile:0.99", "contamination:0.01", "sigma:4", "fixed:3").
    window: autoencoder window, forecaster training chunk, z-score look-back, IsolationForest
        feature window. period: STL season length (None: from the data's frequency).
    hidden/layers/cell/epochs/lr/batch_size/stride/device: recurrent model and training options
        (stride: step between training windows, and between scored windows for the autoencoder).
    event_gap/min_event_length: how `events` merges anomalous points.
    calibration: share of each training series (its tail) held out from the scorer's fit; the
        thresholds are still fitted on the scores of the whole training series, so that part of
        them is out of sample (0: the scorer sees everything).
    local_norm: 0 (off) or a window W: every score (after division by the series' mean training
        score) is divided by the mean of the W scores before it, floored at 0.1 (causal; the first
        W/2 scores are NaN); a burst of large errors in a noisy stretch then alarms once, not at
        every point. Meant for the recurrent methods' error scores; works for every method.
    input_norm: 0 (off) or a window W, forecast method only: the network sees each value
        standardised by the mean and std of the W values before it (the rolling z-score's
        statistics) and predicts the next such value; the score is the prediction error in those
        units. A drift in level or scale away from the training part then stops mattering once
        the look-back has passed it (see tsrnn.anomaly.recurrent).
    error: "abs" (|x - x̂|) or "scaled", forecast method only: the network also predicts the scale
        of its error at each point (Laplace likelihood) and the score is |x - x̂| divided by it.
    refit_every: 0 (off) or N, online adaptation while judging. The points after the end of a
        series' training part are judged in blocks of N: the first block by the fitted detector,
        every later block by a detector fitted again (same settings and seed) on the series up to
        that block, whose model and thresholds then judge it. Each series adapts on its own.
        As in SPOT, the points already flagged are left out of a refit's threshold calibration
        (its model still learns from them), so one past anomaly does not raise every later
        threshold; when more than 1% of the judged points were flagged, the flags are taken for a
        change of regime and every point calibrates (`judged_flags`). `detect` leaves the fitted
        detector unchanged; the streamer refits at the same points.
    members/combine: the ensemble method's scorers (comma-separated methods, each with this
        detector's settings) and how their quantile-normalised scores are combined ("mean" or
        "max"), see tsrnn.anomaly.ensemble.
    cooldown: 0 (off) or N: a point above its threshold raises an alarm only when none of the N
        points before it was above (one alarm per burst of exceedances, at its first point;
        `suppress_repeats`); with refit_every it acts on the whole series after the refits, whose
        calibration sees the flags before it.
    refit_history: the points a refit learns from: the last `refit_history` before the block
        (0: all of the series so far). A refit runs about as many optimisation steps as the
        first fit: its epochs are scaled by (points of the first fit / points of the refit),
        rounded, at least 1.
    """

    METHODS = METHODS  # the method names (model files check against it)

    def __init__(self, method: str = "forecast", threshold: str = "pot:1e-3", window: int = 64, hidden: int = 32,
                 layers: int = 1, cell: str = "lstm", epochs: int = 30, lr: float = 3e-3, batch_size: int = 32,
                 stride: int = 4, period: int | None = None, n_estimators: int = 100, event_gap: int = 0,
                 min_event_length: int = 1, calibration: float = 0.0, local_norm: int = 0, input_norm: int = 0,
                 error: str = "abs", refit_every: int = 0, refit_history: int = 0,
                 members: str = "zscore,iforest,forecast", combine: str = "mean", cooldown: int = 64,
                 seed: int = 0,
                 device: str = "cpu", quiet: bool = True):
        self.method, self.threshold, self.window, self.hidden = method, threshold, window, hidden
        self.layers, self.cell, self.epochs, self.lr, self.batch_size = layers, cell, epochs, lr, batch_size
        self.stride, self.period, self.n_estimators = stride, period, n_estimators
        self.event_gap, self.min_event_length, self.seed, self.device, self.quiet = (
            event_gap, min_event_length, seed, device, quiet)
        self.calibration, self.local_norm, self.input_norm, self.error = calibration, local_norm, input_norm, error
        self.refit_every, self.refit_history = refit_every, refit_history
        self.members, self.combine, self.cooldown = members, combine, cooldown

    # -- building blocks ------------------------------------------------------------------------

    def _make_scorer(self, freq: str | None):
        m = self.method
        if m not in METHODS:
            raise ConfigError(f"method '{m}' is unknown; use one of {', '.join(METHODS)}")
        if self.window < 2:
            raise ConfigError(f"window must be >= 2 (got {self.window})")
        if m == "ensemble":
            from tsrnn.anomaly.ensemble import EnsembleScorer

            names = [n.strip() for n in str(self.members).split(",") if n.strip()]
            bad = [n for n in names if n not in MEMBERS]
            if not names or bad or len(set(names)) != len(names):
                raise ConfigError(f"members must name distinct methods among {', '.join(MEMBERS)} "
                                  f"(got '{self.members}')")
            # input_norm and error belong to the forecast member; the others take their defaults
            def member(n):
                own = {} if n == "forecast" else {"input_norm": 0, "error": "abs"}
                return self.clone().set_params(method=n, **own)._make_scorer(freq)

            return EnsembleScorer({n: member(n) for n in names}, self.combine)
        if self.input_norm and (m != "forecast" or self.input_norm < 2):
            raise ConfigError(f"input_norm must be 0 (off) or a window >= 2, and only the forecast method takes it "
                              f"(got {self.input_norm} with method {m})")
        if self.error not in ("abs", "scaled") or (self.error == "scaled" and m != "forecast"):
            raise ConfigError(f"error must be 'abs' or 'scaled', and only the forecast method takes 'scaled' "
                              f"(got '{self.error}' with method {m})")
        if m == "zscore":
            from tsrnn.anomaly.scorers import ZScoreScorer

            return ZScoreScorer(self.window)
        if m == "stl":
            from tsrnn.anomaly.scorers import STLScorer
            from tsrnn.data.freq import season_length

            return STLScorer(self.period or season_length(freq))
        if m == "tail":
            from tsrnn.anomaly.tails import TailScorer

            return TailScorer(self.window)
        if m == "iforest":
            from tsrnn.anomaly.scorers import IForestScorer

            return IForestScorer(self.window, self.n_estimators, self.seed)
        from tsrnn.anomaly.recurrent import AutoencoderScorer, ForecastScorer

        opts = dict(window=self.window, hidden=self.hidden, layers=self.layers, cell=self.cell, epochs=self.epochs,
                    lr=self.lr, batch_size=self.batch_size, stride=self.stride, seed=self.seed, device=self.device,
                    quiet=self.quiet)
        if m == "autoencoder":
            return AutoencoderScorer(**opts)
        return ForecastScorer(**opts, input_norm=self.input_norm, error=self.error)

    def _panel(self, df: pd.DataFrame) -> Panel:
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"expected a long data frame (unique_id, ds, values), got {type(df).__name__}")
        targets = df.attrs.get("targets") or ["y"]
        if getattr(self, "fitted_", False) and list(targets) != self.targets_:
            raise DataError(f"the data's value columns {targets} differ from those fitted ({self.targets_})")
        if "freq" not in df.attrs:  # irregular or hand-built frames: freq only matters for STL's default period
            df = df.copy()
            df.attrs["freq"] = None
            df.attrs["targets"] = list(targets)
        p = Panel.from_frame(df, list(targets))
        if not np.isfinite(p.values).all():
            raise DataError(f"{df.attrs.get('source', 'data')}: the value columns hold NaN or infinite values; "
                            "fill them first (--fill-nan)")
        return p

    def _series_index(self, ids: list[str]) -> list[int]:
        pos = {u: i for i, u in enumerate(self.ids_)}
        unknown = [u for u in ids if u not in pos]
        if unknown:
            raise DataError(f"series '{unknown[0]}' was not seen in fit; fit the detector on every series it judges")
        return [pos[u] for u in ids]

    # -- estimator surface ----------------------------------------------------------------------

    def fit(self, df: pd.DataFrame) -> AnomalyDetector:
        """Learn scaler, scorer and one threshold per series from the (training) frame."""
        self.fitted_ = False
        panel = self._panel(df)
        scorer = self._make_scorer(panel.freq)
        parse_threshold(self.threshold)  # fail early on a bad spec
        self.scaler_ = SeriesScaler("standard").fit(panel.values, panel.offsets)
        train = [self.scaler_.transform(panel.series(s), np.full(len(panel.series(s)), s))
                 for s in range(panel.n_series)]
        if not 0.0 <= self.calibration < 1.0:
            raise ConfigError(f"calibration must be in [0, 1) (got {self.calibration})")
        if self.local_norm != 0 and self.local_norm < 2:
            raise ConfigError(f"local_norm must be 0 (off) or a window >= 2 (got {self.local_norm})")
        if self.refit_history and self.refit_history <= self.window:
            raise ConfigError(f"refit_history ({self.refit_history}) must exceed the window ({self.window}): a refit "
                              "learns from at least one window")
        if self.cooldown < 0:
            raise ConfigError(f"cooldown must be 0 (off) or a number of points (got {self.cooldown})")
        if self.refit_every < 0 or self.refit_history < 0 or (self.refit_history and not self.refit_every):
            raise ConfigError(f"refit_every must be 0 (off) or a number of points, and refit_history 0 (all) or a "
                              f"number of points used only with refit_every (got refit_every={self.refit_every}, "
                              f"refit_history={self.refit_history})")
        # the scorer learns from the head of each series; the held-out tail gives out-of-sample scores
        keep = [x[: max(1, int(round(len(x) * (1.0 - self.calibration))))] for x in train]
        self.scorer_ = scorer.fit(keep)
        self.ids_, self.targets_, self.freq_ = list(panel.ids), list(panel.targets), panel.freq
        self.fit_lengths_ = [int(n) for n in panel.lengths]
        self.fit_end_ = list(panel.last_ds())
        self._refits_ = {}
        self.score_scale_, self.train_scores_ = [], []
        for uid, x in zip(panel.ids, train):
            raw = self.scorer_.score(x)
            fin = raw[np.isfinite(raw)]
            if not len(fin):
                raise DataError(f"series '{uid}': its {len(x)} training points give no {self.method} score (too few for "
                                f"the look-back of window={self.window}); lower the window or train on more points")
            scale = float(np.mean(fin)) if np.mean(fin) > 1e-12 else 1.0
            self.score_scale_.append(scale)
            self.train_scores_.append(self._local(raw / scale))
        self._fit_thresholds()
        self.fitted_ = True
        return self

    def _fit_thresholds(self, exclude: list[np.ndarray] | None = None) -> None:
        """One threshold per series from its training scores; `exclude` (one boolean mask per series,
        aligned with them) leaves points out of the calibration."""
        scores = self.train_scores_
        if exclude is not None:
            scores = [np.where(m, np.nan, s) for s, m in zip(scores, exclude)]
        self.thresholds_ = [parse_threshold(self.threshold).fit(s) for s in scores]
        self.explanations_ = None

    def refit_threshold(self, threshold: str) -> AnomalyDetector:
        """Switch to another threshold spec without retraining: the per-series thresholds are
        fitted again on the stored training scores (the same as fit(..., threshold=...) would)."""
        self._check_fitted()
        parse_threshold(threshold)
        self.threshold = threshold
        self._fit_thresholds()
        return self

    def _scores(self, panel: Panel) -> list[np.ndarray]:
        idx = self._series_index(panel.ids)
        out = []
        for s, k in enumerate(idx):
            x = self.scaler_.transform(panel.series(s), np.full(len(panel.series(s)), k))
            out.append(self._local(self.scorer_.score(x) / self.score_scale_[k]))
        return out

    def _local(self, s: np.ndarray) -> np.ndarray:
        if not self.local_norm:
            return s
        from tsrnn.anomaly.scorers import local_ratio

        return local_ratio(s, self.local_norm)

    def score(self, df: pd.DataFrame) -> np.ndarray:
        """(N,) anomaly scores aligned with the rows of `df` (NaN: too little history for the method);
        with refit_every, those of the refitted detectors, as in `detect`."""
        self._check_fitted()
        if self.refit_every:
            return self.detect(df)["score"].to_numpy()
        return np.concatenate(self._scores(self._panel(df)))

    def detect(self, df: pd.DataFrame) -> pd.DataFrame:
        """The anomaly frame: unique_id, ds, value column(s), score, threshold, is_anomaly."""
        self._check_fitted()
        panel = self._panel(df)
        scores = self._scores(panel)
        levels, flags = [], []
        self.explanations_ = {}
        used: dict = {}
        for i, (s, k) in enumerate(zip(scores, self._series_index(panel.ids))):
            thr = copy.deepcopy(self.thresholds_[k])  # judging never changes the fitted state (SPOT)
            level, flag = thr.apply(s)
            flag = flag & np.isfinite(s)
            self.explanations_[self.ids_[k]] = thr.explain()
            if self.refit_every:
                self._adapt(panel, i, k, s, level, flag, used)
            flag = suppress_repeats(flag, getattr(self, "cooldown", 0))
            levels.append(level)
            flags.append(flag)
        out = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(), "ds": panel.ds})
        for c in panel.targets:
            out[c] = df[c].to_numpy()
        out["score"] = np.concatenate(scores)
        out["threshold"] = np.concatenate(levels)
        out["is_anomaly"] = np.concatenate(flags)
        out.attrs.update({k: v for k, v in df.attrs.items() if k in ("freq", "targets", "source")})
        self._refits_ = used
        return out

    # -- online adaptation (refit_every) ----------------------------------------------------------

    def refit_points(self, n: int, start: int) -> list[tuple[int, int, int]]:
        """(lo, b, e) for every refit over a series of n points whose training part ends before row
        `start`: fit on rows lo:b, judge rows b:e."""
        N, H = self.refit_every, self.refit_history
        return [(max(0, b - H) if H else 0, b, min(b + N, n)) for b in range(start + N, n, N)]

    def refitted(self, k: int, frame: pd.DataFrame) -> AnomalyDetector:
        """A detector like this one (without adaptation) fitted on `frame`, one stretch of series k,
        with its epochs scaled so that it runs about as many steps as the first fit."""
        epochs = max(1, int(round(self.epochs * self.fit_lengths_[k] / max(1, len(frame)))))
        # cooldown 0: the refit judges raw flags; the cooldown is applied over the whole series
        return self.clone().set_params(refit_every=0, refit_history=0, epochs=epochs, cooldown=0,
                                       quiet=True).fit(frame)

    def _series_frame(self, panel: Panel, s: int, lo: int, hi: int) -> pd.DataFrame:
        o = int(panel.offsets[s])
        return series_frame(panel.ids[s], panel.ds[o + lo : o + hi], panel.values[o + lo : o + hi],
                            panel.targets, panel.freq)

    def _adapt(self, panel: Panel, s: int, k: int, score, level, flag, used: dict) -> None:
        """Overwrite, block by block, the judgement of series s (fitted series k) by refitted detectors."""
        n = int(panel.lengths[s])
        ds = panel.ds[panel.offsets[s] : panel.offsets[s + 1]]
        start = int(np.searchsorted(ds, np.datetime64(self.fit_end_[k], "ns"), side="right"))
        refits = self.refit_points(n, start)
        o = int(panel.offsets[s])
        for lo, b, e in refits:
            # a refit depends on its data and the settings only: kept between detect calls (a new
            # threshold spec is applied to it by refit_threshold)
            key = (k, lo, b, hashlib.blake2b(panel.values[o + lo : o + b].tobytes(), digest_size=16).hexdigest())
            sub = self._refits_.get(key)
            if sub is None:
                sub = self.refitted(k, self._series_frame(panel, s, lo, b))
            # as in SPOT, a point judged anomalous does not calibrate a later threshold: the flags
            # depend on the threshold spec, so the cached refit is re-thresholded every time
            sub.threshold = self.threshold
            left_out = judged_flags(flag[lo:b], lo, start)
            sub._fit_thresholds([left_out])
            used[key] = sub
            out = sub.detect(self._series_frame(panel, s, lo, e))
            score[b:e] = out["score"].to_numpy()[b - lo :]
            level[b:e] = out["threshold"].to_numpy()[b - lo :]
            flag[b:e] = out["is_anomaly"].to_numpy()[b - lo :]
        if refits:
            self.explanations_[self.ids_[k]] = (f"{sub.explanations_[self.ids_[k]]} (refit {len(refits)} time(s), "
                                                f"every {self.refit_every} points; this is the last, calibrated "
                                                f"without the {int(left_out.sum())} point(s) flagged before it)")

    def events(self, detections: pd.DataFrame) -> pd.DataFrame:
        """Events of a `detect` frame, merged with this detector's event_gap / min_event_length."""
        return events_frame(detections, max_gap=self.event_gap, min_length=self.min_event_length)

    def explain(self) -> str:
        """One line per series: the threshold chosen and why (after detect: as applied)."""
        self._check_fitted()
        ex = getattr(self, "explanations_", None) or {u: t.explain() for u, t in zip(self.ids_, self.thresholds_)}
        return "\n".join(f"{u}: {e}" for u, e in ex.items())

    def streamer(self, unique_id: str | None = None, backend: str = "auto"):
        """A one-point-at-a-time scorer for one fitted series; backend "auto" (numba where it can
        run the network, else torch), "numba" or "torch" for the forecast method; see
        tsrnn.anomaly.streaming."""
        self._check_fitted()
        from tsrnn.anomaly.streaming import make_streamer

        return make_streamer(self, unique_id, backend)

    # -- save / load ----------------------------------------------------------------------------

    def save(self, path, force: bool = False) -> None:
        """Write the fitted detector to `path` (safetensors + JSON, no pickle; see
        tsrnn.anomaly.modelfile), atomically; an existing file is replaced only with force.
        An IsolationForest detector is stored as the (scaled) series its forest learned from, and
        load fits the seeded forest on them again. An ensemble stores each member under
        ``ens.<member>.`` and the members' normalisation (median, spread) in its JSON."""
        self._check_fitted()
        from tsrnn.anomaly.modelfile import write_detector
        from tsrnn.output import check_writable

        check_writable(path, force, "the detector path")
        tensors = {f"train_scores.{i}": np.asarray(s, dtype=np.float64) for i, s in enumerate(self.train_scores_)}
        if self.method == "ensemble":
            scorer = {"members": {n: _scorer_state(m, n, f"ens.{n}.", tensors)
                                  for n, m in self.scorer_.members.items()},
                      "stats": {n: [float(v) for v in st] for n, st in self.scorer_.stats_.items()}}
        else:
            scorer = _scorer_state(self.scorer_, self.method, "", tensors)
        write_detector(path, tensors, {
            "params": self.get_params(), "ids": [str(u) for u in self.ids_], "targets": list(self.targets_),
            "freq": self.freq_, "fit_lengths": self.fit_lengths_,
            "fit_end": [str(np.datetime64(t, "ns")) for t in self.fit_end_],
            "score_scale": [float(v) for v in self.score_scale_], "scaler": self.scaler_.to_dict(), "scorer": scorer},
            force=force)

    @classmethod
    def load(cls, path) -> AnomalyDetector:
        """Read a detector written by `save`; its thresholds are fitted again on the stored training
        scores (the same as the saved ones). A missing, corrupt or foreign file raises ModelFileError."""
        from tsrnn.anomaly.modelfile import read_detector
        from tsrnn.errors import ModelFileError

        tensors, d = read_detector(path, cls)
        try:
            det = cls(**d["params"])
            det.ids_, det.targets_, det.freq_ = list(d["ids"]), list(d["targets"]), d["freq"]
            det.fit_lengths_ = [int(n) for n in d["fit_lengths"]]
            det.fit_end_ = [np.datetime64(t, "ns") for t in d["fit_end"]]
            det.score_scale_ = [float(v) for v in d["score_scale"]]
            det.scaler_ = SeriesScaler.from_dict(d["scaler"])
            n = len(det.ids_)
            if not (len(det.fit_lengths_) == len(det.fit_end_) == len(det.score_scale_) == len(det.scaler_.loc_) == n):
                raise ValueError(f"per-series entries do not all have {n} items")
            det.train_scores_ = [np.asarray(tensors[f"train_scores.{i}"], dtype=np.float64) for i in range(n)]
            scorer, info = det._make_scorer(det.freq_), d["scorer"]
            C = len(det.targets_)
            if det.method == "ensemble":
                for name, m in scorer.members.items():
                    _restore_scorer(m, name, f"ens.{name}.", tensors, info["members"][name], det, C, n)
                scorer.stats_ = {k: (float(a), float(b)) for k, (a, b) in info["stats"].items()}
                if set(scorer.stats_) != set(scorer.members):
                    raise ValueError("the ensemble's stored members differ from its settings")
            else:
                _restore_scorer(scorer, det.method, "", tensors, info, det, C, n)
        except (KeyError, TypeError, ValueError, RuntimeError, ConfigError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ModelFileError(f"{path}: the detector file does not hold a usable detector ({type(e).__name__}: "
                                 f"{first})") from None
        det.scorer_, det._refits_ = scorer, {}
        det._fit_thresholds()
        det.fitted_ = True
        return det


def _scorer_state(sc, method: str, prefix: str, tensors: dict) -> dict:
    """Put a fitted scorer's state into `tensors` (keys under `prefix`); returns its JSON part."""
    info: dict = {}
    if method in ("forecast", "autoencoder"):
        model = sc.model_
        tensors.update({f"{prefix}net.{k}": v.detach().float().cpu().numpy() for k, v in model.state_dict().items()})
        if method == "forecast":
            info["n_outputs"] = int(model.head.out_features)
    elif method == "stl":
        tensors[f"{prefix}stl.med"] = np.asarray(sc.med_, dtype=np.float64)
        tensors[f"{prefix}stl.mad"] = np.asarray(sc.mad_, dtype=np.float64)
        info["period"] = int(sc.period)
    elif method == "iforest":
        tensors.update({f"{prefix}iforest.train.{i}": x for i, x in enumerate(sc.train_)})  # one per series
    elif method == "tail":
        tensors[f"{prefix}tail.sorted"] = np.asarray(sc.sorted_, dtype=np.float64)
    return info


def _restore_scorer(sc, method: str, prefix: str, tensors: dict, info: dict, det, C: int, n: int) -> None:
    """The inverse of _scorer_state on a freshly built scorer `sc` of `det`'s settings."""
    if method in ("forecast", "autoencoder"):
        import torch

        from tsrnn.anomaly.recurrent import OneStepNet, RecurrentAutoencoder

        net = (OneStepNet(C, det.hidden, det.layers, det.cell, n_outputs=int(info["n_outputs"]))
               if method == "forecast" else RecurrentAutoencoder(C, det.hidden, det.layers, det.cell))
        key = f"{prefix}net."
        net.load_state_dict({k[len(key):]: torch.from_numpy(np.array(v, dtype=np.float32))
                             for k, v in tensors.items() if k.startswith(key)}, strict=True)
        sc.model_ = net.eval()
    elif method == "stl":
        sc.period = int(info["period"])
        sc.med_, sc.mad_ = np.asarray(tensors[f"{prefix}stl.med"]), np.asarray(tensors[f"{prefix}stl.mad"])
    elif method == "iforest":
        sc.fit([np.asarray(tensors[f"{prefix}iforest.train.{i}"]) for i in range(n)])
    elif method == "tail":
        sc.sorted_ = np.asarray(tensors[f"{prefix}tail.sorted"], dtype=np.float64)
