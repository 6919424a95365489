"""Choosing a detector configuration by cross-validation across series, and judging the choice.

The per-series rows of a benchmark (one row per configuration, seed and series: event counts,
event F1, NAB raw / null / perfect, ...) hold everything a selection needs. `cross_validate`
splits the series into folds (for NAB: one fold per category, "leave one category out"); for each
fold it picks the configuration that is best on the *other* folds only, and returns that
configuration's rows on the held-out fold. Concatenated, those out-of-fold rows are an honest
estimate of "the procedure that picks a configuration on labelled series, then runs it on new
ones": no fold is judged by a choice made with its own labels.

    oof, chosen = cross_validate(rows, folds=rows.set_index("series")["category"].to_dict(),
                                 config="config", objective=nab_f1_objective)

`objective(rows) -> float` scores a set of rows of one configuration (all seeds together; higher is
better); ties go to the configuration that sorts first, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from tsrnn.errors import ConfigError

__all__ = ["cross_validate", "nab_f1_objective", "fold_of"]


def nab_f1_objective(rows: pd.DataFrame) -> float:
    """The default selection criterion: the mean of (mean event F1) and (NAB standard score / 100)
    over the rows (pooled over series and seeds; NAB from summed raw, null and perfect scores, so
    false alarms on series without any window count against it). Both of the benchmark's headline
    metrics weigh equally."""
    from tsrnn.anomaly.evaluate import corpus_metrics

    m = corpus_metrics(rows)
    nab = m["NAB"] if m["NAB"] == m["NAB"] else 0.0  # nan (no window anywhere): F1 alone decides
    return 0.5 * (m["mean event F1"] + nab / 100.0)


def fold_of(series: pd.Series, folds: Mapping) -> pd.Series:
    """The fold of every row (by its series name); a series missing from `folds` is an error."""
    missing = sorted(set(series) - set(folds))
    if missing:
        raise ConfigError(f"series '{missing[0]}' has no fold; give every series a fold")
    return series.map(folds)


def cross_validate(
    rows: pd.DataFrame,
    folds: Mapping,
    config: str = "config",
    objective: Callable[[pd.DataFrame], float] = nab_f1_objective,
    candidates: list | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Out-of-fold rows of the configuration chosen for each fold on the other folds.

    rows: one row per configuration (column `config`), seed and series (column "series").
    folds: series name -> fold id. candidates: the configurations to choose among (default: every
    value of `config`); each must have rows on every training fold, or it is skipped for that fold.
    Returns (oof, chosen): oof holds, for every fold, the rows of its chosen configuration on that
    fold's series (with a "fold" column); chosen has one row per fold: fold, the chosen
    configuration, its training objective and the number of training series. The rows of a fold
    are never read when choosing its configuration.
    """
    if config not in rows or "series" not in rows:
        raise ConfigError(f"the rows need the columns '{config}' and 'series'")
    rows = rows.assign(fold=fold_of(rows["series"], folds))
    cands = sorted(rows[config].unique()) if candidates is None else list(candidates)
    if not cands:
        raise ConfigError("no configuration to choose from")
    fold_ids = sorted(rows["fold"].unique(), key=str)
    if len(fold_ids) < 2:
        raise ConfigError("cross-validation needs at least two folds")
    oof, chosen = [], []
    for f in fold_ids:
        train = rows[rows["fold"] != f]  # the held-out fold's rows are dropped before any choice
        n_train = train["series"].nunique()
        best, best_val = None, float("-inf")
        for c in cands:
            g = train[train[config] == c]
            if g["series"].nunique() < n_train:
                continue  # not run on every training series: not comparable
            val = float(objective(g))
            if val > best_val:
                best, best_val = c, val
        if best is None:
            raise ConfigError(f"no configuration has rows on every training series of fold '{f}'")
        test = rows[(rows["fold"] == f) & (rows[config] == best)]
        oof.append(test)
        chosen.append(
            {
                "fold": f,
                config: best,
                "train objective": best_val,
                "train series": n_train,
                "test series": int(rows.loc[rows["fold"] == f, "series"].nunique()),
            }
        )
    return pd.concat(oof, ignore_index=True), pd.DataFrame(chosen)
