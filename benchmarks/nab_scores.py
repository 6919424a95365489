"""NAB score cache and the cheap ablation of score normalisers, combinations, thresholds, cooldowns.

Step 1 (expensive, once): every scorer below is fitted on the first 15% of each of the 31 NAB
series (as in benchmarks/nab.py) and scores the whole series; the per-point raw scores (divided by
the series' mean training score, no local normalisation) are cached as .npy files under
$TSRNN_NAB_CACHE (default /work/cache/nab), one per (scorer, seed, series):

    python benchmarks/nab_scores.py fill --scorers forecast,iforest-48 --seeds 0,1,2,3,4

Step 2 (cheap numpy over the cache): every variant (normaliser, combination, threshold, cooldown)
is judged on the 85% after each training part with the library's event F1 and NAB scorer, and
each ablation step is chosen by leave-one-category-out cross-validation
(tsrnn.anomaly.selection), 5 seeds:

    python benchmarks/nab_scores.py ablate --csv benchmarks/nab_scores_rows.csv
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.nab import NAB, TRAIN_FRAC, load  # noqa: E402
from tsrnn.anomaly.split import train_rows  # noqa: E402

CACHE = Path(os.environ.get("TSRNN_NAB_CACHE", "/work/cache/nab"))
_REC = dict(hidden=32, epochs=30, lr=3e-3, batch_size=32, cell="lstm")
# cached scorer label -> AnomalyDetector parameters (local_norm 0: the raw per-point score)
SCORERS = {
    "forecast": dict(method="forecast", window=64, stride=4, **_REC),
    "forecast-zs": dict(
        method="forecast", window=64, stride=4, input_norm=64, error="scaled", **_REC
    ),
    "forecast-in": dict(method="forecast", window=64, stride=4, input_norm=64, **_REC),
    "forecast-w16": dict(method="forecast", window=16, stride=2, **_REC),
    "forecast-w128": dict(method="forecast", window=128, stride=8, **_REC),
    "forecast-gru": dict(method="forecast", window=64, stride=4, **{**_REC, "cell": "gru"}),
    "forecast-h64": dict(method="forecast", window=64, stride=4, **{**_REC, "hidden": 64}),
    # seasonality-aware: the scorer judges x[t] - x[t - P], P = points per day (below)
    "forecast-sd": dict(method="forecast", window=64, stride=4, season=True, **_REC),
    "zscore-sd": dict(method="zscore", window=64, season=True),
    "iforest-48": dict(method="iforest", window=48, n_estimators=100),
    "zscore-64": dict(method="zscore", window=64),
    "zscore-288": dict(method="zscore", window=288),
    "tail-48": dict(method="tail", window=48),
    # computed here, not cached: tsrnn.anomaly.level_shift on the series standardised by its
    # training part
    "shift-16-64": dict(method="level_shift", short=16, long=64),
}
SEEDLESS = ("zscore", "tail", "level_shift")


def series_names() -> list[str]:
    return sorted(json.loads((NAB / "labels" / "combined_windows.json").read_text()))


def cache_path(label: str, seed: int, name: str) -> Path:
    return CACHE / label / f"s{seed}" / (name.replace("/", "__") + ".npy")


def cached(label: str, seed: int, name: str) -> np.ndarray:
    """The cached score array (T,) of one scorer, seed and series (seedless scorers: seed 0)."""
    if SCORERS[label]["method"] == "level_shift":
        return level_shift_scores(label, name)
    if SCORERS[label]["method"] in SEEDLESS:
        seed = 0
    return np.load(cache_path(label, seed, name))


def level_shift_scores(label: str, name: str) -> np.ndarray:
    """tsrnn.anomaly.level_shift.LevelShiftScorer over one series, its values standardised by the
    mean and std of its training part (as the detector scales them)."""
    from tsrnn.anomaly.level_shift import LevelShiftScorer

    y = load(name)["y"].to_numpy(np.float64)
    tr = y[: train_rows(len(y), TRAIN_FRAC)]
    x = (y - tr.mean()) / max(float(tr.std()), 1e-12)
    opts = {k: v for k, v in SCORERS[label].items() if k != "method"}
    return LevelShiftScorer(**opts).fit([x[: len(tr), None]]).score(x[:, None])


def season_points(df: pd.DataFrame, n_train: int, window: int) -> int:
    """Points per day from the median time step, or 0 (no differencing) when the training part
    cannot hold one season plus two windows of the differenced series."""
    step = float(
        np.median(np.diff(df["ds"].to_numpy()).astype("timedelta64[s]").astype(np.float64))
    )
    p = int(round(86400.0 / step)) if step > 0 else 0
    return p if p >= 2 and n_train - p >= 2 * window + 2 else 0


def fill(labels: list[str], seeds: list[int], names: list[str]) -> None:
    """Score every (scorer, seed, series) missing from the cache; progress on stdout."""
    import torch

    from tsrnn.anomaly.detector import AnomalyDetector

    torch.set_num_threads(1)
    for label in labels:
        if SCORERS[label]["method"] == "level_shift":
            continue  # computed from the values when read (cached())
        for seed in seeds[:1] if SCORERS[label]["method"] in SEEDLESS else seeds:
            for name in names:
                p = cache_path(label, seed, name)
                if p.exists():
                    continue
                df = load(name)
                n_train = train_rows(len(df), TRAIN_FRAC)
                train = df.iloc[:n_train].copy()
                train.attrs.update(df.attrs)
                t0 = time.perf_counter()
                params = dict(SCORERS[label])
                lag = (
                    season_points(df, n_train, params["window"])
                    if params.pop("season", False)
                    else 0
                )
                if lag:  # the seasonal difference; its first `lag` points have no value (score NaN)
                    d = df.iloc[lag:].copy()
                    d["y"] = df["y"].to_numpy()[lag:] - df["y"].to_numpy()[:-lag]
                    d.attrs.update(df.attrs)
                    train = d.iloc[: n_train - lag].copy()
                    train.attrs.update(df.attrs)
                det = AnomalyDetector(
                    threshold="pot:1e-3", seed=seed, local_norm=0, cooldown=0, **params
                ).fit(train)
                s = np.concatenate([np.full(lag, np.nan), det.score(d if lag else df)])
                p.parent.mkdir(parents=True, exist_ok=True)
                np.save(p, s.astype(np.float64))
                print(
                    f"{label:12s} seed {seed} {name:58s} {time.perf_counter() - t0:6.1f}s",
                    flush=True,
                )


# -- the cheap part: variants over the cache -----------------------------------------------------


class Series:
    """One NAB series as the judge sees it: length, training part, label windows (row positions)."""

    def __init__(self, name: str, windows: list):
        from tsrnn.anomaly.labels import label_mask, windows_to_index

        df = load(name)
        self.name, self.category, self.n = name, name.split("/")[0], len(df)
        self.n_train = train_rows(self.n, TRAIN_FRAC)
        self.windows = windows_to_index(
            df["ds"].to_numpy(), [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows], name
        )
        self.label = label_mask(self.n, self.windows)[self.n_train :]


def judge(pred: np.ndarray, sr: Series) -> dict:
    """Event F1 and NAB of the rows after the training part (tsrnn.anomaly.evaluate.judged_metrics
    without AUC-PR, which the caller computes once per score)."""
    from tsrnn.anomaly.evaluate import judged_metrics

    return judged_metrics(pred, None, sr.windows, sr.n_train)


def qnorm(s: np.ndarray, n_train: int) -> np.ndarray:
    """The ensemble's quantile normalisation by the training part: 1 + (s - median)/(q99 -
    median)."""
    from tsrnn.anomaly.ensemble import SPREAD_FLOOR, normalise

    tr = s[:n_train][np.isfinite(s[:n_train])]
    med, q = float(np.median(tr)), float(np.quantile(tr, 0.99))
    return normalise(s, med, max(q - med, SPREAD_FLOOR))


def combine(parts: list[np.ndarray], how: str) -> np.ndarray:
    p = np.stack(parts)
    out = p.mean(axis=0) if how == "mean" else p.max(axis=0)
    return np.where(np.isfinite(p).all(axis=0), out, np.nan)


def lik_of(s: np.ndarray, spec: str) -> np.ndarray:
    """spec 'lik:short:long[:min_std]' -> AnomalyLikelihood(short, long).transform(s)."""
    from tsrnn.anomaly.likelihood import AnomalyLikelihood

    parts = spec.split(":")
    short, long = int(parts[1]), int(parts[2])
    min_std = float(parts[3]) if len(parts) > 3 else 0.05
    return AnomalyLikelihood(
        short=short, long=long, min_history=min(64, long), min_std=min_std
    ).transform(s)


_MEMO: dict = {}


def member(m: str, mnorm: str, seed: int, sr: Series) -> np.ndarray:
    """One member's cached score, normalised (memoised: SPOT ratios cost a loop per point)."""
    key = (m, mnorm, 0 if SCORERS[m]["method"] in SEEDLESS else seed, sr.name)
    if key not in _MEMO:
        s = cached(m, seed, sr.name)
        if mnorm == "q":
            s = qnorm(s, sr.n_train)
        elif mnorm.startswith("lik"):
            s = lik_of(s, mnorm)
        elif mnorm.startswith("t="):  # the library normaliser, fitted on this series' training part
            from tsrnn.anomaly.likelihood import TailLevelRatio

            s = TailLevelRatio(mnorm[2:]).fit([s[: sr.n_train]]).transform(s)
        _MEMO[key] = s
    return _MEMO[key]


def build(variant: str, seed: int, sr: Series) -> np.ndarray:
    """The score of a variant on one series and seed. Grammar (left to right):
    MEMBERS '|' MEMBER_NORM '|' COMBINE '|' POST, e.g. 'forecast|raw|-|lik:8:1024',
    'forecast+zscore-64|lik:8:1024|max|-', 'forecast+zscore-64|q|mean|lik:8:1024'.
    MEMBER_NORM: raw (score / mean training score) | q (quantile-normalised) | lik:... |
    t=SPEC (score / the level of threshold SPEC fitted on the training part: t=pot:1e-3,
    t=spot:1e-3);
    POST: - | local:W (local_ratio) | lik:short:long[:min_std] | lik:S1/S2/S3:long (max over
    shorts)."""
    from tsrnn.anomaly.arrays import local_ratio

    members, mnorm, how, post = variant.split("|")
    parts = [member(m, mnorm, seed, sr) for m in members.split("+")]
    s = parts[0] if len(parts) == 1 else combine(parts, how)
    if post.startswith("local:"):
        s = local_ratio(s, int(post.split(":")[1]))
    elif post.startswith("lik:") and "/" in post:
        _, shorts, rest = post.split(":", 2)
        s = combine([lik_of(s, f"lik:{k}:{rest}") for k in shorts.split("/")], "max")
    elif post.startswith("lik:"):
        s = lik_of(s, post)
    return s


def seedless_variant(variant: str) -> bool:
    return all(SCORERS[m]["method"] in SEEDLESS for m in variant.split("|")[0].split("+"))


def cooldown_points(cd, sr: Series) -> int:
    """A cooldown in points: an int as it is; 'rF' is F times the series' training length (known
    before any judged point), rounded up."""
    return int(math.ceil(float(cd[1:]) * sr.n_train)) if isinstance(cd, str) else int(cd)


def variant_rows(variant: str, thresholds, cooldowns, seeds, series: list[Series]) -> list[dict]:
    """One row per (threshold, cooldown, seed, series) of a variant, nab.py's columns."""
    from tsrnn.anomaly.evaluate import auc_pr
    from tsrnn.anomaly.flags import suppress_repeats
    from tsrnn.anomaly.thresholds import parse_threshold

    rows = []
    run = seeds[:1] if seedless_variant(variant) else seeds
    for seed in run:
        for sr in series:
            s = build(variant, seed, sr)
            auc = auc_pr(s[sr.n_train :], sr.label)
            for thr in thresholds:
                tr = s[: sr.n_train]
                one, _, extra = thr.partition("+mean")
                fit_on = tr[np.isfinite(tr)] if one.startswith("pot") else tr
                _, flag = parse_threshold(one).fit(fit_on).apply(s)
                if extra:  # two-level rule: also flag where the mean of the last K scores > LO
                    k, lo = extra.split(">")
                    flag = flag | (pd.Series(s).rolling(int(k)).mean().to_numpy() > float(lo))
                flag = flag & np.isfinite(s)
                for cd in cooldowns:
                    m = judge(suppress_repeats(flag, cooldown_points(cd, sr)), sr)
                    base = {
                        "config": f"{variant}@{thr}@cd{cd}",
                        "label": variant,
                        "threshold": thr,
                        "cooldown": cd,
                        "series": sr.name,
                        "category": sr.category,
                        "auc_pr": auc,
                        **m,
                    }
                    rows += [
                        {**base, "seed": k}
                        for k in (seeds if seed == run[0] and len(run) == 1 else [seed])
                    ]
    return rows


# -- the ablation: one out-of-fold row per step ---------------------------------------------------

POT = ("pot:1e-2", "pot:1e-3", "pot:1e-4")
LEVELS = ("fixed:3", "fixed:4", "fixed:6", "fixed:8")  # likelihood levels: tail probability 1e-k
MARGINS = ("fixed:1", "fixed:1.25", "fixed:1.5", "fixed:2")  # on score / tail level
COOLS = (0, 16, 64, 256, 1024)
LIKS = ("lik:1:1024", "lik:1:4096", "lik:4:1024", "lik:4:4096", "lik:16:1024", "lik:16:4096")
ENS = (
    "forecast+zscore-64",
    "forecast+iforest-48",
    "forecast+tail-48",
    "forecast+forecast-in",
    "forecast+zscore-64+iforest-48",
    "forecast+forecast-in+zscore-64",
)
MULTI = (
    "forecast+forecast-w16",
    "forecast+forecast-w16+forecast-w128",
    "forecast-w16+forecast-w128",
)
SPOT_ENS = (
    "forecast+zscore-64",
    "forecast+iforest-48",
    "forecast+forecast-in",
    "forecast+forecast-in+zscore-64",
    "forecast+zscore-64+iforest-48",
)
SPOT_SEASON = (
    "forecast+forecast-sd",
    "forecast+forecast-sd+zscore-64",
    "forecast+forecast-in+forecast-sd+zscore-64",
    "forecast+forecast-in+zscore-64+zscore-sd",
    "forecast+forecast-sd+zscore-64+zscore-sd",
)
SPOT_MULTI = (
    "forecast+forecast-w16",
    "forecast+forecast-w16+zscore-64",
    "forecast+forecast-gru+zscore-64",
    "forecast+forecast-w16+forecast-in+zscore-64",
)


def steps() -> list[tuple[str, list[tuple[str, tuple]]]]:
    """(step name, [(variant, thresholds)]) in the order of the ablation; cooldowns COOLS for
    all."""
    return [
        ("1 forecast error, no normaliser", [("forecast|raw|-|-", POT)]),
        ("2 forecast error / recent level (local_ratio 64)", [("forecast|raw|-|local:64", POT)]),
        (
            "3 forecast error -> anomaly likelihood",
            [(f"forecast|raw|-|{k}", POT + LEVELS) for k in LIKS],
        ),
        (
            "4 ensemble of quantile-normalised scores (forecast + z/iforest/tail/input-norm "
            "forecast)",
            [(f"{m}|q|{h}|-", POT) for m in ENS for h in ("mean", "max")],
        ),
        (
            "5 ensemble of per-member likelihoods (max)",
            [(f"{m}|{k}|max|-", POT + LEVELS) for m in ENS for k in ("lik:4:1024", "lik:4:4096")],
        ),
        (
            "6 multi-scale forecasters (windows 16/64/128), quantile-normalised",
            [(f"{m}|q|{h}|-", POT) for m in MULTI for h in ("mean", "max")],
        ),
        (
            "7 forecast error / its streaming tail level (SPOT)",
            [("forecast|t=spot:1e-3|-|-", MARGINS)],
        ),
        (
            "8 ensemble, each member / its training tail level (POT), max",
            [(f"{m}|t=pot:1e-3|max|-", MARGINS) for m in SPOT_ENS],
        ),
        (
            "9 ensemble, each member / its streaming tail level (SPOT), max",
            [(f"{m}|t=spot:1e-3|max|-", MARGINS) for m in SPOT_ENS],
        ),
        (
            "10 as 9 with multi-scale / GRU forecasters",
            [(f"{m}|t=spot:1e-3|max|-", MARGINS) for m in SPOT_ENS + SPOT_MULTI],
        ),
        (
            "11 as 9 with seasonality-aware members (forecast / z-score of x[t] - x[t-day])",
            [(f"{m}|t=spot:1e-3|max|-", MARGINS) for m in SPOT_ENS + SPOT_SEASON],
        ),
    ]


SHIFT_ENS = (
    "forecast+forecast-in+zscore-64+shift-16-64",
    "forecast+zscore-64+shift-16-64",
    "forecast+forecast-in+shift-16-64",
)
OTHER_NEW = ("forecast+forecast-in+zscore-64+tail-48", "forecast+forecast-in+zscore-64+forecast-zs")
TWO = tuple(f"{m}+mean{k}>{lo}" for m in MARGINS for k, lo in ((4, 1.0), (8, 1.0), (8, 0.8)))
# times the training length (NAB windows: 10% of a series / its number of anomalies)
REL_COOLS = ("r0.02", "r0.05", "r0.1", "r0.2")
BEST = "forecast+forecast-in+zscore-64+shift-16-64"


def new_steps() -> list[tuple[str, list[tuple]]]:
    """Steps after the first union (12, 13): (name, [(variant, thresholds[, cooldowns])])."""
    sp = "|t=spot:1e-3|max|-"
    return [
        (
            "14 as 9 with a level-shift member (LevelShiftScorer 16/64), a tail or a scaled-error "
            "member",
            [(f"{m}{sp}", MARGINS) for m in SPOT_ENS + SHIFT_ENS + OTHER_NEW],
        ),
        (
            "15 as 9 with a two-level rule (margin, or the mean of the last K ratios above LO)",
            [(f"{m}{sp}", MARGINS + TWO) for m in SPOT_ENS],
        ),
        (
            "16 as 9 with cooldowns relative to the training length",
            [(f"{m}{sp}", MARGINS, REL_COOLS) for m in SPOT_ENS],
        ),
        (
            "17 as 14 with fixed and relative cooldowns",
            [(f"{m}{sp}", MARGINS, COOLS + REL_COOLS) for m in SPOT_ENS + SHIFT_ENS],
        ),
        (
            "18 few candidates: forecast + input-norm forecast + z-score + level shift, 1.25-1.5x, "
            "cd 16 or 0.1 n_train",
            [(f"{BEST}{sp}", ("fixed:1.25", "fixed:1.5"), (16, "r0.1"))],
        ),
    ]


CONTROLS = [
    (
        "control: rolling z-score -> anomaly likelihood (no recurrent model)",
        [(f"zscore-64|raw|-|{k}", POT + LEVELS) for k in LIKS],
    ),
    (
        "control: z-score (+ IsolationForest) / streaming tail level, max (no recurrent model)",
        [(f"{m}|t=spot:1e-3|max|-", MARGINS) for m in ("zscore-64", "zscore-64+iforest-48")],
    ),
]
UNION = "12 all recurrent candidates of steps 1-11, chosen by the CV"
UNION_CD0 = "13 = 12 without cooldown (cd0 only)"
UNION_ALL = "19 all recurrent candidates of steps 1-11 and 14-18, chosen by the CV"
UNION_NEW = "20 all candidates of steps 14-17, chosen by the CV"


def baseline_rows() -> pd.DataFrame:
    """z-score, IsolationForest and PyOD ECOD rows of benchmarks/nab_rows.csv (copied to every
    seed)."""
    from benchmarks.nab import all_seeds

    rows = pd.read_csv(ROOT / "benchmarks" / "nab_rows.csv")
    rows = rows[rows["label"].str.match(r"(zscore|iforest|pyod)-")]
    return all_seeds(rows)


def oof_tables(
    rows: pd.DataFrame, fams: dict[str, list[str]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Leave one category out for each family (name -> candidate configs): per-seed and mean tables,
    picks."""
    from benchmarks.nab import mean_table, per_seed_table
    from tsrnn.anomaly.selection import cross_validate

    folds = rows.drop_duplicates("series").set_index("series")["category"].to_dict()
    oofs, picks = [], []
    for fam, cands in fams.items():
        sub = rows[rows["config"].isin(cands)]
        oof, chosen = cross_validate(sub, folds, config="config", candidates=sorted(cands))
        oofs.append(oof.assign(family=fam))
        picks.append(chosen.assign(family=fam))
    oof = pd.concat(oofs, ignore_index=True)
    per_seed = per_seed_table(oof, "family")
    return per_seed, mean_table(per_seed, "family"), pd.concat(picks, ignore_index=True)


def ablate(seeds: list[int], csv: str | None, record: bool) -> None:
    from tsrnn.anomaly.selection import nab_f1_objective

    t0 = time.perf_counter()
    load0 = os.getloadavg()
    windows = json.loads((NAB / "labels" / "combined_windows.json").read_text())
    series = [Series(n, windows[n]) for n in series_names()]
    plan = steps() + CONTROLS + new_steps()
    rows, fams, done = [], {}, set()
    for name, variants in plan:
        fams[name] = []
        for v, thr, *cd in variants:
            cools = cd[0] if cd else COOLS
            todo = [t for t in thr if any(f"{v}@{t}@cd{c}" not in done for c in cools)]
            if todo:
                rows += variant_rows(v, todo, cools, seeds, series)
                done |= {f"{v}@{t}@cd{c}" for t in todo for c in cools}
            fams[name] += [f"{v}@{t}@cd{c}" for t in thr for c in cools]
        print(
            f"{name}: {len(fams[name])} configurations, {time.perf_counter() - t0:.0f}s", flush=True
        )
    ours = pd.DataFrame(rows).drop_duplicates(["config", "seed", "series"])
    fams[UNION] = sorted({c for n, _ in steps() for c in fams[n]})
    fams[UNION_CD0] = [c for c in fams[UNION] if c.endswith("@cd0")]
    fams[UNION_ALL] = sorted({c for n, _ in steps() + new_steps() for c in fams[n]})
    fams[UNION_NEW] = sorted({c for n, _ in new_steps()[:4] for c in fams[n]})
    base = baseline_rows()
    base = base[base["seed"].isin(seeds)]
    bfams = {
        "z-score": [c for c in base["config"].unique() if c.startswith("zscore-")],
        "IsolationForest": [c for c in base["config"].unique() if c.startswith("iforest-")],
        "PyOD ECOD": [c for c in base["config"].unique() if c.startswith("pyod-")],
    }
    ps_b, mean_b, picks_b = oof_tables(base, bfams)
    ps_o, mean_o, picks_o = oof_tables(ours, fams)
    per_seed = pd.concat([ps_b, ps_o], ignore_index=True)
    table = pd.concat([mean_b, mean_o], ignore_index=True)
    picks = pd.concat([picks_b, picks_o], ignore_index=True)
    # the configuration the same criterion picks on all 31 series (what a default is set to)
    full = ours[ours["config"].isin(fams[UNION_ALL])]
    winner = max(sorted(fams[UNION_ALL]), key=lambda c: nab_f1_objective(full[full["config"] == c]))
    ov = table[table["category"] == "overall"]
    best = ov[ov["family"].str.match(r"\d")].sort_values("NAB", ascending=False).iloc[0]["family"]
    best_pick = max(sorted(fams[best]), key=lambda c: nab_f1_objective(full[full["config"] == c]))
    print(
        f"done in {time.perf_counter() - t0:.0f}s; in-sample choice {winner}; in step {best}: "
        f"{best_pick}",
        flush=True,
    )
    cols = [
        "family",
        "category",
        "series",
        "seeds",
        "mean event F1",
        "F1 std",
        "pooled event F1",
        "AUC-PR",
        "NAB",
        "NAB std",
        "NAB raw",
        "events",
    ]
    if csv:
        table[cols].to_csv(csv, index=False, float_format="%.4f")
    md = report(table, per_seed, picks, winner, full[full["config"] == winner], seeds, cols)
    from benchmarks.nab import mean_table, per_seed_table

    fixed = mean_table(per_seed_table(full[full["config"] == best_pick], "config"), "config")
    fixed = fixed[fixed["category"] == "overall"].iloc[0]
    md += (
        f'\nThe best step by out-of-fold NAB is "{best}" (that pick of a step is made on the '
        "judged "
        "folds, so its row is slightly optimistic as an estimate; the all-candidates row above is "
        "the "
        "strict one). The same criterion on all 31 series among that step's candidates picks "
        f"`{best_pick}` "
        f"(in-sample, every seed: mean event F1 {fixed['mean event F1']:.3f} ± "
        f"{fixed['F1 std']:.3f}, "
        f"NAB {fixed['NAB']:.1f} ± {fixed['NAB std']:.1f}).\n"
    )
    load1 = os.getloadavg()
    md = (
        f"- load average (1, 5, 15 min): {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} at the "
        "start, "
        f"{load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} at the end; {time.perf_counter() - t0:.0f} "
        "s over the "
        f"cache in {CACHE} (filled by `python benchmarks/nab_scores.py fill`, one torch thread)\n"
        f"- seeds: {', '.join(map(str, seeds))}\n\n" + md
    )
    print(md)
    if record:
        from benchmarks._results import update_section

        update_section("NAB score ablation (out of fold)", md)


def versus(per_seed: pd.DataFrame, table: pd.DataFrame, fam: str, base: str) -> str:
    ov = table[table["category"] == "overall"].set_index("family")
    ps = per_seed[per_seed["category"] == "overall"]
    parts = []
    for col, std in (("mean event F1", "F1 std"), ("NAB", "NAB std")):
        a, b = ov.loc[fam, col], ov.loc[base, col]
        sa = ps[ps["family"] == fam].set_index("seed")[col]
        sb = ps[ps["family"] == base].set_index("seed")[col]
        won = int(sum(sa[s] > sb.get(s, sb.iloc[0]) for s in sa.index))
        spread = max(ov.loc[fam, std], ov.loc[base, std])
        parts.append(
            f"{col} {a:.3f} vs {b:.3f} ({a - b:+.3f}; ahead in {won} of {len(sa)} seeds; "
            f"{'beyond' if abs(a - b) > spread else 'within'} the seed std {spread:.3f})"
        )
    return f"- step {fam.split(' ')[0]} vs {base}: " + "; ".join(parts)


def report(table, per_seed, picks, winner, winner_rows, seeds, cols) -> str:
    from benchmarks._results import markdown_table
    from tsrnn.anomaly.evaluate import corpus_metrics

    ov = table[table["category"] == "overall"]
    m = corpus_metrics(winner_rows)
    best = ov[ov["family"].str.match(r"\d")].sort_values("NAB", ascending=False).iloc[0]["family"]
    lines = [
        versus(per_seed, table, fam, b)
        for fam in (UNION_ALL, best)
        for b in ("z-score", "IsolationForest", "PyOD ECOD")
    ]
    nab = float(ov.set_index("family").loc[UNION_ALL, "NAB"])
    by = ov.set_index("family")
    s1 = by.loc[steps()[0][0]]
    deltas = "".join(
        f"- step {f.split(' ')[0]} vs step 1 (forecast error, no normaliser): mean event F1 "
        f"{r['mean event F1'] - s1['mean event F1']:+.3f}, NAB {r['NAB'] - s1['NAB']:+.1f}\n"
        for f, r in by.iterrows()
        if f[0].isdigit() and not f.startswith("1 ")
    )
    pick_txt = "\n".join(
        f"- {fam}: " + ", ".join(f"{r['fold']} ← `{r['config']}`" for _, r in g.iterrows())
        for fam, g in picks.groupby("family", sort=False)
    )
    return (
        "Cheap ablation over cached per-point scores (`benchmarks/nab_scores.py`): every scorer "
        "was fitted "
        "once per seed and series on the first 15% and scored the whole series (raw score divided "
        "by the "
        "series' mean training score, `local_norm=0`); every normaliser, combination, threshold "
        "and "
        "cooldown below is numpy over that cache, judged on the remaining 85% with the library's "
        "event F1 "
        "and NAB standard-profile scorer exactly as benchmarks/nab.py does (the cached `forecast`, "
        "`zscore-64` and `iforest-48` scores reproduce nab_rows.csv's rows). Each row is out of "
        "fold: each "
        "category judged by the configuration of that step (variant, threshold, cooldown) that is "
        "best on "
        "the other four (tsrnn.anomaly.selection, criterion (mean event F1 + NAB/100)/2, all "
        "seeds); mean "
        f"over seeds {', '.join(map(str, seeds))}, std seed to seed. Baseline rows: "
        "benchmarks/nab_rows.csv "
        "under the same protocol. Thresholds: `pot:*` fitted on each series' training-part scores; "
        "`fixed:k` on a likelihood = tail probability 10^-k. Cooldowns "
        + ", ".join(map(str, COOLS))
        + ". "
        "Variant grammar: `members|member normaliser|combine|post normaliser` (`q`: the ensemble's "
        "quantile "
        "normalisation by the training part; `lik:short:long`: "
        "tsrnn.anomaly.likelihood.AnomalyLikelihood; "
        "`t=SPEC`: tsrnn.anomaly.likelihood.TailLevelRatio(SPEC) fitted on the member's "
        "training-part scores of "
        "that series, so `fixed:m` on it means m times the member's own tail level, and `max` over "
        "such "
        "members is tsrnn.anomaly.tail_combine.TailRatioMax; `local:64`: local_ratio). Members: "
        "`forecast` "
        "(AnomalyDetector method forecast, window 64, stride 4, LSTM hidden 32, 30 epochs, lr "
        "3e-3, batch 32), "
        "`forecast-in` (the same with input_norm=64), `forecast-w16` / `-w128` (window 16 stride 2 "
        "/ window "
        "128 stride 8), `forecast-gru`, `forecast-sd` / `zscore-sd` (the forecast / z-score "
        "detector on "
        "x[t] - x[t-P], P = points per day, where the training part holds P + 130 points; else P = "
        "0), "
        "`zscore-64`, `iforest-48`, `tail-48` (the library's scorers), `shift-16-64` "
        "(tsrnn.anomaly.level_shift.LevelShiftScorer(16, 64) on the series standardised by its "
        "training part). Rules: `fixed:m+meanK>LO` also flags where the mean of the last K ratios "
        "exceeds LO; `cdrF` is a "
        "cooldown of F times the series' training length. Rows per category: "
        "benchmarks/nab_scores_rows.csv.\n\n"
        + markdown_table(ov[cols].to_dict("records"))
        + "\nOut-of-fold comparison:\n\n"
        + "\n".join(lines)
        + "\n"
        + deltas
        + f"- NAB standard score of step 19 out of fold: {nab:.1f} (target >= 60: "
        f"{'met' if nab >= 60 else 'NOT met'})\n\n"
        f"The criterion on all 31 series (in-sample) picks `{winner}` among the step 19 "
        "candidates: "
        f"mean event F1 {m['mean event F1']:.3f}, NAB {m['NAB']:.1f} on those series (chosen on "
        "them; "
        "the step 19 row is the honest estimate).\n\n"
        + READING
        + "\nChoices per held-out category:\n\n"
        + pick_txt
        + "\n"
    )


READING = """Reading (of the rows above):

- The "recent level" normalisers do not generalise: local_ratio (step 2) and the anomaly likelihood
  (step 3; per member, step 5) are behind the raw forecast error with a POT threshold (step 1).
  Dividing by the recent error level mutes the sustained error bursts that NAB labels, and the CV
  asks for likelihood levels of 1e-4 to 1e-8, a sign that a Gaussian tail of the short-term mean is
  far too light for these heavy-tailed errors.
- What generalises is putting every member on its own tail scale: score / the series' own 1e-3
  tail level (POT on the training part, step 8; SPOT, which keeps learning from the judged points,
  step 9), then the maximum over members. An alarm then means the same on every series and member,
  so one margin (1.25-1.5 times the level) and one cooldown (16) chosen on four categories carry to
  the fifth. On the forecast error alone it gains nothing (step 7): the gain is the combination of
  members that miss different windows (forecast errors, input-normalised forecast errors, the
  rolling z-score). The quantile normalisation by the training median and 99th percentile does not
  give a comparable tail scale and loses (step 4).
- Multi-scale and GRU forecasters (step 10) are never chosen. Seasonality-aware members (step 11)
  raise the in-sample figures (the all-series choice above includes one) but lower the out-of-fold
  ones, and with them among the candidates choosing among everything (step 12) falls behind step 9:
  more candidates, more room to fit the training categories.
- The cooldown matters for NAB (step 13 vs 12): without it every burst of exceedances adds false
  alarms. The recurrent members matter too: the same tail-scale maximum over z-score (and
  IsolationForest) alone (second control row) is behind step 9.
- What step 9 missed (read on its alarms): windows whose anomaly is a change of the local level
  that neither the forecasters (they adapt within their input window) nor the point z-score see
  as one extreme point (art_increase_spike_density, art_daily_jumpsdown, art_daily_flatmiddle,
  exchange-3_cpc's third window, occupancy_6005). A level-shift member
  (tsrnn.anomaly.level_shift.LevelShiftScorer: |mean of the last 16 points - mean of the 64
  before them| / their std) on its own SPOT tail level, added to the maximum (step 14), is chosen
  on every fold (with all of step 9's sets and the tail-48 and scaled-error alternatives among the
  candidates) and lifts the out-of-fold figures to those of its row (step 9: 0.599, 58.0). With
  the step 9 set at 1.5x and cooldown 16 (seed 0) it adds the windows of
  art_increase_spike_density, exchange-3_cpc (third) and occupancy_6005 for 12 more false alarms;
  the out-of-fold row has fewer alarms than step 9 because realKnownCause is then judged at 1.5x
  instead of 1.25x. jumpsdown, flatmiddle (and nojump) stay missed. Its windows 16/64 were the first
  tried, not tuned; the member was designed after looking at step 9's misses on all five
  categories, so it is not blind to the held-out ones. A variance-change member (|log| of the
  std of the last 16 first differences over that of the 128 before them), tried with the same
  protocol in a preliminary run outside this script, was chosen on no fold.
- Earlier alarms by a two-level rule (the margin, or the mean of the last K ratios above LO; step
  15) and cooldowns relative to the training length (0.02-0.2 n_train; step 16) each raise NAB a
  little over step 9 (59.5, 60.3) and lower the mean event F1 (0.583, 0.582): fewer false alarms
  after a burst, but also fewer separate hits. With the level-shift member (step 17) the
  relative cooldown adds nothing beyond the seed spread (63.1 vs 62.5, F1 0.610 vs 0.622).
  Detections come near the middle of NAB's windows (the labelled point), so a rule that fires a
  few points earlier gains little; a window hit or missed is worth far more than its timing.
- Fewer candidates (step 18: the one member set and margin of step 14's picks, cooldown 16 or
  0.1 n_train; 4 configurations) gives NAB 66.0 ± 0.3, F1 0.618 out of fold, but its four
  candidates were named after seeing steps 14 and 17 on every category, so that row is an upper
  bound, not an estimate. Choosing among all candidates of steps 1-11 and 14-18 (step 19) falls to
  NAB 52.5 (F1 0.554): the two-level and seasonal candidates fit the training categories and are
  chosen for three folds. Among the candidates of steps 14-17 only (step 20) the choice gives
  NAB 60.0 ± 0.3 (59.7-60.4 by seed) but F1 0.582: the two-level rule is chosen for three
  folds and loses F1. The strict figure for "choose among everything" stays below 60; the
  figure for the level-shift family (step 14: NAB per seed 63.7, 63.9, 60.9, 61.8, 62.1) is
  above it on every seed.
- The configuration step 14 picks on 4 of 5 folds and on all 31 series: members forecast,
  forecast-in, zscore-64, shift-16-64, each over its own SPOT 1e-3 tail level, max, 1.5x,
  cooldown 16 (in-sample 0.629 ± 0.004, NAB 65.4 ± 0.4).
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill", help="score and cache")
    f.add_argument("--scorers", default=",".join(SCORERS))
    f.add_argument("--seeds", default="0,1,2,3,4")
    a = sub.add_parser("ablate", help="judge variants over the cache")
    a.add_argument("--seeds", default="0,1,2,3,4")
    a.add_argument("--csv", default=None)
    a.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.cmd == "fill":
        fill(args.scorers.split(","), seeds, series_names())
    else:
        ablate(seeds, args.csv, not args.no_record)


if __name__ == "__main__":
    main()
