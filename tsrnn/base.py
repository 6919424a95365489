"""scikit-learn habits for every tsrnn estimator (forecasters and detectors).

`__init__` only stores its arguments; `get_params` is read from the signature; learned state lives
in attributes ending in `_`; using an estimator before `fit` raises NotFittedError.
"""

from __future__ import annotations

import inspect

from tsrnn.errors import ConfigError, NotFittedError


class BaseEstimator:
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD or p.kind is p.KEYWORD_ONLY]

    def get_params(self) -> dict:
        """The constructor arguments, as stored."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> BaseEstimator:
        names = self._param_names()
        for k, v in params.items():
            if k not in names:
                raise ConfigError(f"{type(self).__name__} has no parameter '{k}'; parameters are: {', '.join(names)}")
            setattr(self, k, v)
        return self

    def clone(self) -> BaseEstimator:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def _check_fitted(self, attr: str = "fitted_") -> None:
        if not getattr(self, attr, False):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(df) first")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
