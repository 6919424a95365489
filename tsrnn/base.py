"""scikit-learn habits for every tsrnn estimator, and the forecasting contract.

`__init__` only stores its arguments; `get_params` is read from the signature; learned state lives
in attributes ending in `_`; using an estimator before `fit` raises NotFittedError.

The forecasting contract. Every forecaster is a BaseEstimator whose `alias` parameter (default
None) is stored as given; `label()` resolves the value of the forecast frame's `model` column
(the alias, else the model's own name). `check_params()` raises ConfigError for an invalid
parameter without any data. Forecasters never see frames: `tsrnn.Forecast` (tsrnn/core.py) owns
the frame, grouping, season lengths, fan-out, intervals and cross-validation, and hands models
arrays. There are two kinds:

- Local models (`LocalModel`: the statistical models of tsrnn.baselines) are fitted once per
  series, by the core, on a clone each::

      fit(y: ndarray (T,) float64) -> self
      predict(h: int, levels: list[int] = ()) -> Prediction   # mean (h,), {L: (lo (h,), hi (h,))}

  `min_obs` is the shortest history they accept. A `season_length` of None is filled in by the
  core (the frequency's season, or the core's own season_length) before fit; fitted directly
  with None, a model is non-seasonal.

- Global models (`GLOBAL = True`: the recurrent Forecaster) are fitted once on the whole panel::

      input_columns(targets: list[str], available: list[str], source: str) -> list[str]
      fit_panel(panel: Panel, source: str = "data") -> self
      predict_panel(panel: Panel | None = None, source: str = "data",
                    levels: list[int] = ()) -> PanelForecast

  `input_columns` names the value columns the model reads from the frame's `targets` and the
  `available` columns (DataError naming a missing one). `panel` is a tsrnn.data.panel.Panel:
  those value columns stacked (N, V) with series offsets (S + 1,), the timestamps ds (N,)
  datetime64[ns], the series ids and the frequency (for calendar inputs). `predict_panel(None)`
  continues the fitted series; a panel gives new history (no refit). `source` names the data in
  error messages. The horizon is the model's `horizon` parameter (the core sets it).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from tsrnn.errors import ConfigError, NotFittedError


class BaseEstimator:
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]

    def get_params(self) -> dict:
        """The constructor arguments, as stored."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> BaseEstimator:
        names = self._param_names()
        for k, v in params.items():
            if k not in names:
                raise ConfigError(
                    f"{type(self).__name__} has no parameter '{k}'; "
                    f"parameters are: {', '.join(names)}"
                )
            setattr(self, k, v)
        return self

    def clone(self) -> BaseEstimator:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    fit_call = "fit(df)"  # how this estimator is fitted, for the NotFittedError message

    def _check_fitted(self, attr: str = "fitted_") -> None:
        """NotFittedError unless fitted: `attr` is true where it is set, else the estimator holds
        some fitted (public, ending in `_`) attribute."""
        state = vars(self)
        done = (
            state[attr]
            if attr in state
            else any(k.endswith("_") and not k.startswith("_") for k in state)
        )
        if not done:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet; call {self.fit_call} first"
            )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


@dataclass
class PanelForecast:
    """What a global model predicts for S series: ids (S,), last_ds (S,) datetime64[ns] (the last
    observed timestamp of each series), mean (S, H) and intervals
    {level: (lo (S, H), hi (S, H))}."""

    ids: list[str]
    last_ds: np.ndarray
    mean: np.ndarray
    intervals: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


class LocalModel(BaseEstimator):
    """A model fitted to one series at a time (see the contract above). Subclasses set
    `default_alias` and `min_obs` and implement fit(y) / predict(h, levels)."""

    GLOBAL = False
    default_alias = "model"
    fit_call = "fit(y)"
    min_obs = 2

    def label(self) -> str:
        """The forecast frame's `model` value: the alias given, else the model's own name."""
        return self.alias or self.default_alias

    def check_params(self) -> None:
        """ConfigError for an invalid season_length or alias (no data needed)."""
        m = getattr(self, "season_length", None)
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1):
            raise ConfigError(
                f"{type(self).__name__}: season_length must be a positive whole "
                f"number or None (from the frequency), got {m!r}"
            )
        if self.alias is not None and (not isinstance(self.alias, str) or not self.alias):
            raise ConfigError(
                f"{type(self).__name__}: alias must be a non-empty string or None, "
                f"got {self.alias!r}"
            )

    def _m(self) -> int:
        """The season length in use (1 when None)."""
        return int(getattr(self, "season_length", None) or 1)
