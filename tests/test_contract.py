"""One estimator contract over every tsrnn estimator (in the style of scikit-learn's checks).

Every BaseEstimator subclass the library defines is collected from its modules (and every scorer
and normaliser from tsrnn.anomaly.catalog); the test fails if one has no case below. For each
case: `__init__` stores its arguments and nothing else; get_params / set_params / clone round
trips; NotFittedError (one sentence naming the estimator and fit) before fit; fit returns self
and leaves the parameters as they were; predicting, detecting, scoring, transforming and
streaming leave the fitted state unchanged (deep comparison, arrays and weights included); a
second fit on the same data gives the same outputs; save -> load gives the same outputs, and save
refuses an existing file without force=True.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import math
import pkgutil
import sys
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn.base import BaseEstimator, LocalModel
from tsrnn.errors import ConfigError, NotFittedError, TsrnnError

torch = pytest.importorskip("torch")

from tsrnn.anomaly import catalog  # noqa: E402
from tsrnn.anomaly.scorers import Scorer  # noqa: E402

ABSTRACT = {BaseEstimator, LocalModel, Scorer}


# -- the estimators the library defines ---------------------------------------------------------


def library_estimators() -> set[type]:
    """Every public BaseEstimator subclass defined in a tsrnn module, plus tsrnn's public names
    and the catalog's scorers and normalisers (imported by name)."""
    found: set[type] = set()
    for info in pkgutil.walk_packages(tsrnn.__path__, "tsrnn."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.add(obj)
    for name in tsrnn.__all__:
        obj = getattr(tsrnn, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            found.add(obj)
    unshadow_lazy_names()
    found |= {catalog.scorer_class(n) for n in catalog.SCORERS}
    found |= {catalog._class(catalog.NORMALISERS, "normaliser", n) for n in catalog.NORMALISERS}
    return found - ABSTRACT


def unshadow_lazy_names() -> None:
    """Importing a submodule sets it as an attribute of its package; where a lazy public name is
    also a submodule's name (none today; tsrnn.backtest once was) the
    walk above would leave the module in its place for the tests that run after it. Drop such
    attributes so that the lazy name resolves to its own object again."""
    for name, module in list(sys.modules.items()):
        lazy = getattr(module, "_LAZY", None) if name.startswith("tsrnn") else None
        for attr in lazy or ():
            if isinstance(vars(module).get(attr), types.ModuleType):
                delattr(module, attr)


# -- tiny data ----------------------------------------------------------------------------------


def forecast_frame(n: int = 48, ids: str = "ab", shift: float = 0.0) -> pd.DataFrame:
    t = np.arange(n)
    parts = [
        pd.DataFrame(
            {
                "unique_id": u,
                "ds": pd.date_range("2000-01-01", periods=n, freq="MS"),
                "y": 20 + k + shift + 0.3 * t + 3 * np.sin(2 * np.pi * t / 12 + k),
            }
        )
        for k, u in enumerate(ids)
    ]
    df = pd.concat(parts, ignore_index=True)
    df.attrs.update(freq="MS", targets=["y"])
    return df


def anomaly_frame(n: int = 160, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    parts = []
    for k, u in enumerate("ab"):
        y = np.sin(2 * np.pi * t / 24 + k) + 0.1 * rng.standard_normal(n)
        y[n - 20 + k] += 4.0
        parts.append(
            pd.DataFrame(
                {"unique_id": u, "ds": pd.date_range("2000-01-01", periods=n, freq="h"), "y": y}
            )
        )
    df = pd.concat(parts, ignore_index=True)
    df.attrs.update(freq="h", targets=["y"])
    return df


def train_part(df: pd.DataFrame, n: int = 110) -> pd.DataFrame:
    out = df.groupby("unique_id", sort=False).head(n).reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


Y = forecast_frame().loc[lambda d: d.unique_id == "a", "y"].to_numpy()
FC_DF, FC_NEW = forecast_frame(), forecast_frame(40, shift=5.0)
AN_DF = anomaly_frame()
AN_TRAIN = train_part(AN_DF)
RNG = np.random.default_rng(3)
SCORE_TRAIN = [np.abs(RNG.standard_normal(120)) for _ in range(2)]
SCORES = np.abs(RNG.standard_normal(80))
SCORES[60] = 9.0
SERIES_TRAIN = [AN_TRAIN.loc[AN_TRAIN.unique_id == u, ["y"]].to_numpy() for u in "ab"]
SERIES = AN_DF.loc[AN_DF.unique_id == "a", ["y"]].to_numpy()
TEXTS = [
    "good fine film",
    "bad awful plot",
    "fine good acting",
    "awful bad film",
    "good acting fine",
    "bad plot awful",
]
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg"]
CHARS = "the cat sat on the mat. the dog sat on the log. " * 4
SENTS = [
    ["John", "lives", "in", "Paris"],
    ["Mary", "went", "to", "Rome"],
    ["Paris", "is", "big"],
    ["John", "met", "Mary"],
]
TAGS = [
    ["B-PER", "O", "O", "B-LOC"],
    ["B-PER", "O", "O", "B-LOC"],
    ["B-LOC", "O", "O"],
    ["B-PER", "O", "B-PER"],
]

# small options for every scorer that takes them (a new catalog scorer gets them too)
SMALL = dict(
    window=16,
    hidden=4,
    epochs=1,
    n_estimators=10,
    period=24,
    batch_size=16,
    stride=4,
    quiet=True,
    device="cpu",
)
NET = dict(hidden=4, layers=1, epochs=1, quiet=True, device="cpu", input_len=12)


def small_scorer(name: str):
    """The catalog scorer `name` with the SMALL options it takes (an ensemble of two members)."""
    if name == "ensemble":
        return catalog.make_scorer("ensemble", members="zscore,tail", window=16)
    if name == "tailmax":
        return catalog.make_scorer(
            "tailmax", members="zscore+level_shift", window=16, short=4, long=8, tail="spot:1e-2"
        )
    names = catalog._options(catalog.scorer_class(name))
    return catalog.make_scorer(name, **{k: v for k, v in SMALL.items() if k in names})


# -- one case per estimator configuration -------------------------------------------------------


@dataclass
class Case:
    """An estimator configuration and how to drive it.

    make: a new unfitted estimator. fit: fits it, returns what fit returned. use: every method that
    reads the fitted estimator (predict, detect, score, transform, ...), returning its outputs.
    needs_fit: calls that must raise NotFittedError on an unfitted estimator (empty: the estimator
    is stateless and `use` must give the same on an unfitted one). file: save / load apply.
    covers: the classes this case exercises."""

    id: str
    make: Callable[[], BaseEstimator]
    fit: Callable | None = None
    use: Callable | None = None
    needs_fit: dict[str, Callable] = field(default_factory=dict)
    file: bool = False
    covers: tuple = ()

    def __post_init__(self):
        self.covers = self.covers or (type(self.make()),)


def local_case(cls) -> Case:
    def make():
        return cls(season_length=12) if "season_length" in cls._param_names() else cls()

    return Case(
        cls.__name__,
        make,
        fit=lambda e: e.fit(Y),
        use=lambda e: e.predict(4, [80]),
        needs_fit={"predict": lambda e: e.predict(4, [80])},
    )


def forecaster_case(model: str) -> Case:
    def make():
        return tsrnn.Forecaster(model=model, horizon=3, **NET)

    return Case(
        f"Forecaster-{model}",
        make,
        fit=lambda e: e.fit(FC_DF),
        use=lambda e: (e.predict(level=[80]), e.predict(df=FC_NEW)),
        needs_fit={"predict": lambda e: e.predict(), "predict_panel": lambda e: e.predict_panel()},
        file=True,
    )


def core_case() -> Case:
    def make():
        return tsrnn.Forecast(
            [tsrnn.Naive(), tsrnn.SeasonalNaive(), tsrnn.Forecaster(model="gru", **NET)], horizon=3
        )

    return Case(
        "Forecast",
        make,
        fit=lambda e: e.fit(FC_DF),
        use=lambda e: (e.predict(level=[80]), e.predict(df=FC_NEW), e.specs()),
        needs_fit={"predict": lambda e: e.predict(), "specs": lambda e: e.specs()},
    )


def detector_case(name: str, normaliser=None, refit=None, tag: str = "", file: bool = True) -> Case:
    def make():
        return tsrnn.AnomalyDetector(
            scorer=small_scorer(name), normaliser=normaliser, refit=refit, cooldown=8
        )

    def use(e):
        out = e.detect(AN_DF)
        streamed = []
        if e.scorer_.causal:  # one point at a time: SPOT thresholds and refits stay in the stream
            st = e.streamer("a", backend="torch")
            streamed = [st.update(v) for v in SERIES[:, 0]]
        return e.score(AN_DF), out, e.events(out), e.explain(), streamed

    covers = [tsrnn.AnomalyDetector, type(small_scorer(name))]
    if name == "ensemble":
        covers += [type(m) for m in small_scorer(name).members.values()]
    covers += [type(p) for p in (normaliser, refit) if p is not None]
    return Case(
        f"AnomalyDetector-{name}{tag}",
        make,
        fit=lambda e: e.fit(AN_TRAIN),
        use=use,
        needs_fit={"detect": lambda e: e.detect(AN_DF), "score": lambda e: e.score(AN_DF)},
        file=file,
        covers=tuple(covers),
    )


def scorer_case(name: str) -> Case:
    stateless = name in ("zscore", "level_shift")

    def fit(e):
        return e.fit(SERIES_TRAIN, "h") if getattr(e, "uses_freq", False) else e.fit(SERIES_TRAIN)

    def use(e):
        one = e.bind(0) if getattr(e, "per_series", False) else e  # per-series state: series 0
        if not e.causal:
            return one.score(SERIES)
        st = one.stepper(1, "torch")
        return one.score(SERIES), [st.update(v) for v in SERIES]

    return Case(
        f"scorer-{name}",
        lambda: small_scorer(name),
        fit=fit,
        use=use,
        needs_fit={} if stateless else {"score": lambda e: e.score(SERIES)},
    )


def part_cases() -> list[Case]:
    from tsrnn.anomaly.likelihood import AnomalyLikelihood, TailLevelRatio
    from tsrnn.anomaly.normalisers import LocalRatio
    from tsrnn.anomaly.refit import Refit
    from tsrnn.anomaly.tail_combine import TailRatioMax

    def streamed(e, s):
        st = e.stepper()
        return np.array([st.update(v) for v in s])

    def norm(cls, stateless, **kw):
        return Case(
            cls.__name__,
            lambda: cls(**kw),
            fit=lambda e: e.fit(SCORE_TRAIN),
            use=lambda e: (e.transform(SCORES), streamed(e, SCORES)),
            needs_fit={}
            if stateless
            else {"transform": lambda e: e.transform(SCORES), "stepper": lambda e: e.stepper()},
        )

    member_train = [SCORE_TRAIN[0], SCORE_TRAIN[1] * 2]
    members = np.stack([SCORES, SCORES[::-1] * 2])
    return [
        norm(LocalRatio, True, window=16),
        norm(AnomalyLikelihood, True, short=4, long=32, min_history=8),
        norm(TailLevelRatio, False, threshold="spot:1e-2"),
        Case(
            "TailRatioMax",
            lambda: TailRatioMax("spot:1e-2"),
            fit=lambda e: e.fit(member_train),
            use=lambda e: (e.transform(members), streamed(e, members.T)),
            needs_fit={
                "transform": lambda e: e.transform(members),
                "stepper": lambda e: e.stepper(),
            },
        ),
        Case("Refit", lambda: Refit(every=40, history=0)),  # options only (a detector part)
    ]


def text_cases() -> list[Case]:
    from tsrnn import CharLM, Tagger, TextClassifier

    common = dict(epochs=1, device="cpu", quiet=True, seed=0)
    return [
        Case(
            "TextClassifier",
            lambda: TextClassifier(embed=8, hidden=8, min_freq=1, batch_size=4, **common),
            fit=lambda e: e.fit(TEXTS, LABELS),
            use=lambda e: (e.predict(TEXTS), e.predict_proba(TEXTS), e.score(TEXTS, LABELS)),
            needs_fit={
                "predict": lambda e: e.predict(TEXTS),
                "predict_proba": lambda e: e.predict_proba(TEXTS),
                "score": lambda e: e.score(TEXTS, LABELS),
            },
            file=True,
        ),
        Case(
            "CharLM",
            lambda: CharLM(embed=8, hidden=8, layers=1, seq_len=8, batch_size=2, **common),
            fit=lambda e: e.fit(CHARS),
            use=lambda e: (e.evaluate(CHARS), e.sample(20, prime="the", seed=1)),
            needs_fit={
                "evaluate": lambda e: e.evaluate(CHARS),
                "sample": lambda e: e.sample(5, seed=1),
            },
            file=True,
        ),
        Case(
            "Tagger",
            lambda: Tagger(
                word_embed=8,
                char_embed=4,
                char_hidden=4,
                hidden=8,
                shape_embed=2,
                min_freq=1,
                batch_size=2,
                **common,
            ),
            fit=lambda e: e.fit(SENTS, TAGS),
            use=lambda e: (e.predict(SENTS), e.evaluate(SENTS, TAGS)),
            needs_fit={
                "predict": lambda e: e.predict(SENTS),
                "evaluate": lambda e: e.evaluate(SENTS, TAGS),
            },
            file=True,
        ),
    ]


def all_cases() -> list[Case]:
    from tsrnn.anomaly.likelihood import AnomalyLikelihood, TailLevelRatio
    from tsrnn.anomaly.normalisers import LocalRatio
    from tsrnn.anomaly.refit import Refit

    local = sorted(
        (c for c in library_estimators() if issubclass(c, LocalModel)), key=lambda c: c.__name__
    )
    return [
        *[local_case(c) for c in local],
        forecaster_case("gru"),
        forecaster_case("seq2seq"),
        core_case(),
        *[detector_case(n) for n in catalog.SCORERS],
        detector_case("zscore", normaliser=LocalRatio(16), tag="-local"),
        detector_case("zscore", refit=Refit(every=20), tag="-refit"),
        detector_case("zscore", normaliser=AnomalyLikelihood(4, 32, 8), tag="-likelihood"),
        detector_case("zscore", normaliser=TailLevelRatio("spot:1e-2"), tag="-tail-level"),
        *[scorer_case(n) for n in catalog.SCORERS],
        *part_cases(),
        *text_cases(),
    ]


CASES = all_cases()
BY_ID = {c.id: c for c in CASES}
FITTED = [c.id for c in CASES if c.fit is not None]
FILES = [c.id for c in CASES if c.file]


# -- deep comparison ----------------------------------------------------------------------------


def same(a, b, where: str = "value", seen: dict | None = None) -> None:
    """AssertionError naming the first place where a and b differ (arrays, tensors, frames,
    torch modules, estimators and plain objects compared by content)."""
    seen = {} if seen is None else seen
    if (id(a), id(b)) in seen:
        return
    seen[id(a), id(b)] = (a, b)  # held, so that no id is reused by a later temporary
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.shape == b.shape and a.dtype == b.dtype, f"{where}: shape or dtype differs"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{where}: values differ"
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: tensor shape or dtype differs"
        assert torch.equal(a, b) or (
            a.is_floating_point()
            and torch.equal(a.isnan(), b.isnan())
            and torch.equal(a.nan_to_num(), b.nan_to_num())
        ), f"{where}: tensor values differ"
    elif isinstance(a, torch.nn.Module):
        # a network is its class, its mode and its weights (torch's own caches do not count)
        assert [m.training for m in a.modules()] == [m.training for m in b.modules()], (
            f"{where}: train/eval mode differs"
        )
        same(dict(a.state_dict()), dict(b.state_dict()), f"{where}.state_dict()", seen)
    elif type(a).__module__.split(".")[0] == "statsmodels":
        # statsmodels caches per-call values on its results (predict_start, _sigma2): a fit is
        # what it learned, its parameters, and the data it was fitted on
        for attr in ("params", "model"):
            assert hasattr(a, attr) == hasattr(b, attr), f"{where}: {attr}"
        if hasattr(a, "params"):
            same(np.asarray(a.params), np.asarray(b.params), f"{where}.params", seen)
        if hasattr(a, "model"):
            data = [getattr(m, "endog", getattr(m, "endog_orig", None)) for m in (a.model, b.model)]
            same(np.asarray(data[0]), np.asarray(data[1]), f"{where}.model.endog", seen)
    elif isinstance(a, weakref.ref):
        pass  # a reference, not state
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{where}: {a} != {b}"
    elif isinstance(
        a,
        (
            int,
            str,
            bytes,
            bool,
            type(None),
            complex,
            range,
            torch.dtype,
            torch.device,
            pd.Timestamp,
            np.dtype,
        ),
    ):
        assert a == b, f"{where}: {a!r} != {b!r}"
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]", seen)
    elif isinstance(a, (list, tuple, set, frozenset)):
        a2, b2 = (
            (sorted(a, key=repr), sorted(b, key=repr))
            if isinstance(a, (set, frozenset))
            else (a, b)
        )
        assert len(a2) == len(b2), f"{where}: length {len(a2)} != {len(b2)}"
        for i, (x, y) in enumerate(zip(a2, b2)):
            same(x, y, f"{where}[{i}]", seen)
    elif callable(a) and not hasattr(a, "__dict__") or inspect.isroutine(a):
        assert getattr(a, "__qualname__", repr(a)) == getattr(b, "__qualname__", repr(b)), where
    else:
        sa, sb = object_state(a), object_state(b)
        same(sa, sb, f"{where}.", seen)


def object_state(obj):
    """What an object holds: its instance dict (and slots), else its pickling state."""
    if hasattr(obj, "__dict__") or hasattr(type(obj), "__slots__"):
        state = dict(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            for s in getattr(cls, "__slots__", ()):
                if hasattr(obj, s):
                    state[s] = getattr(obj, s)
        return state
    if hasattr(obj, "__getstate__"):
        return obj.__getstate__()
    return repr(obj)


def fitted_state(est) -> dict:
    """The fitted attributes: public names ending in `_`."""
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


def params_same(a: dict, b: dict, where: str) -> None:
    """Parameters compare by content; nested estimators by class and their own parameters."""
    assert list(a) == list(b), f"{where}: parameter names differ"
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, BaseEstimator):
            assert type(x) is type(y), f"{where}[{k}]: {type(x)} != {type(y)}"
            params_same(x.get_params(), y.get_params(), f"{where}[{k}]")
        elif isinstance(x, (list, tuple)) and any(isinstance(v, BaseEstimator) for v in x):
            assert len(x) == len(y)
            for i, (u, v) in enumerate(zip(x, y)):
                assert type(u) is type(v)
                params_same(u.get_params(), v.get_params(), f"{where}[{k}][{i}]")
        elif isinstance(x, dict) and any(isinstance(v, BaseEstimator) for v in x.values()):
            params_same(x, y, f"{where}[{k}]")
        else:
            same(x, y, f"{where}[{k}]")


def nested(params: dict) -> list[BaseEstimator]:
    """Estimators among the parameter values (directly, in lists and in dicts), recursively."""
    out = []
    for v in params.values():
        vals = (
            v if isinstance(v, (list, tuple)) else list(v.values()) if isinstance(v, dict) else [v]
        )
        for x in vals:
            if isinstance(x, BaseEstimator):
                out += [x, *nested(x.get_params())]
    return out


# -- the collection is complete -----------------------------------------------------------------


def test_every_library_estimator_has_a_case():
    covered = {c for case in CASES for c in case.covers}
    missing = sorted(c.__qualname__ for c in library_estimators() - covered)
    assert not missing, f"estimators without a contract case in tests/test_contract.py: {missing}"
    # the collection itself finds the estimators it should
    names = {c.__name__ for c in library_estimators()}
    assert {
        "Forecaster",
        "Forecast",
        "AnomalyDetector",
        "Naive",
        "MSTL",
        "ZScoreScorer",
        "ForecastScorer",
        "EnsembleScorer",
        "LocalRatio",
        "Refit",
        "TailRatioMax",
        "TextClassifier",
        "CharLM",
        "Tagger",
    } <= names


# which estimators have no model file of their own, and where their fitted state goes instead
NO_FILE = {
    LocalModel: "fitted per series by tsrnn.Forecast at every fit; no model file",
    tsrnn.Forecast: "a fit of several models; each global model saves its own file",
    Scorer: "saved inside the detector's file (state / restore)",
}


def no_file_reason(cls) -> str | None:
    from tsrnn.anomaly.likelihood import AnomalyLikelihood, TailLevelRatio
    from tsrnn.anomaly.normalisers import LocalRatio
    from tsrnn.anomaly.refit import Refit
    from tsrnn.anomaly.tail_combine import TailRatioMax

    parts = {
        LocalRatio: "saved inside the detector's file (its parameters)",
        Refit: "saved inside the detector's file (its parameters)",
        AnomalyLikelihood: "stateless score normaliser (parameters only)",
        TailLevelRatio: "a part of TailRatioMax and of the NAB benchmark; no file",
        TailRatioMax: "combines member scores in the NAB benchmark; no file",
    }
    table = {**NO_FILE, **parts}
    return next((why for base, why in table.items() if issubclass(cls, base)), None)


@pytest.mark.parametrize(
    "cls", sorted(library_estimators(), key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_save_and_load_have_the_common_signature(cls):
    if not hasattr(cls, "save"):
        assert no_file_reason(cls), f"{cls.__name__} has no save(path, force=False)"
        assert not hasattr(cls, "load")
        return
    save = inspect.signature(cls.save).parameters
    assert list(save)[:3] == ["self", "path", "force"] and save["force"].default is False
    assert isinstance(inspect.getattr_static(cls, "load"), classmethod)
    assert list(inspect.signature(cls.load).parameters)[0] == "path"
    assert any(c.file for c in CASES if cls in c.covers[:1]), f"{cls.__name__}: no file case"


# -- construction and parameters ----------------------------------------------------------------


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_init_stores_exactly_its_arguments(case_id):
    case = BY_ID[case_id]
    est = case.make()
    cls = type(est)
    names = cls._param_names()
    params = est.get_params()
    assert list(params) == names
    # nothing but the arguments is set: no fitted (`_`) attribute, nothing derived
    assert sorted(vars(est)) == sorted(names), f"{cls.__name__}.__init__ sets {sorted(vars(est))}"
    # any values are stored as given (no validation, conversion or copying in __init__)
    marks = {n: object() for n in names}
    odd = cls(**marks)
    assert all(odd.get_params()[n] is marks[n] for n in names)
    assert sorted(vars(odd)) == sorted(names)
    # the defaults are the signature's own
    defaults = {
        p.name: p.default
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name in names and p.default is not p.empty
    }
    bare = cls(**{n: params[n] for n in names if n not in defaults})
    for n, d in defaults.items():
        assert bare.get_params()[n] is d, f"{cls.__name__}: default of {n} is not stored as is"


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_params_round_trip_clone_and_set_params(case_id):
    case = BY_ID[case_id]
    est = case.make()
    params = est.get_params()
    again = type(est)(**params)
    params_same(again.get_params(), params, "rebuilt")
    assert all(again.get_params()[k] is v for k, v in params.items())
    twin = est.clone()
    assert twin is not est and type(twin) is type(est)
    params_same(twin.get_params(), params, "clone")
    assert not fitted_state(twin)
    for name in params:
        e = case.make()
        before = e.get_params()
        mark = object()
        assert e.set_params(**{name: mark}) is e
        after = e.get_params()
        assert after[name] is mark
        assert all(after[k] is before[k] for k in before if k != name)
    with pytest.raises(ConfigError, match=f"{type(est).__name__} has no parameter 'nonsense'"):
        est.set_params(nonsense=1)
    assert repr(est).startswith(f"{type(est).__name__}(")


# -- before fit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", FITTED)
def test_unfitted_use_raises_not_fitted_error(case_id, tmp_path):
    case = BY_ID[case_id]
    calls = dict(case.needs_fit)
    if case.file:
        calls["save"] = lambda e: e.save(tmp_path / "m.tsrnn")
    if not calls:  # a stateless estimator: what it gives needs no fit
        same(case.use(case.make()), case.use(case.fit(case.make())), f"{case.id} unfitted")
        return
    name = type(case.make()).__name__
    for what, call in calls.items():
        est = case.make()
        with pytest.raises(NotFittedError) as err:
            call(est)
        msg = str(err.value)
        fit = inspect.signature(type(est).fit).parameters.values()
        call = f"fit({', '.join(p.name for p in fit if p.name != 'self' and p.default is p.empty)})"
        assert name in msg and f"call {call} first" in msg, f"{what}: {msg}"
        assert "\n" not in msg and msg.count(". ") == 0, f"{what}: not one sentence: {msg}"
        assert not fitted_state(est), f"{what} on an unfitted estimator left fitted state"
    assert not (tmp_path / "m.tsrnn").exists()


# -- fit and use --------------------------------------------------------------------------------


FIT_CACHE: dict[str, tuple] = {}


def fitted(case: Case):
    """(the estimator, its parameters before fit, what fit returned), fitted once per session;
    a deep copy is handed out so that tests do not share state."""
    if case.id not in FIT_CACHE:
        est = case.make()
        before = copy.deepcopy(est.get_params())
        returned = case.fit(est)
        FIT_CACHE[case.id] = (est, before, returned is est)
    est, before, returned_self = FIT_CACHE[case.id]
    return copy.deepcopy(est), before, returned_self


@pytest.mark.parametrize("case_id", FITTED)
def test_fit_returns_self_and_keeps_its_parameters(case_id):
    case = BY_ID[case_id]
    est, before, returned_self = fitted(case)
    assert returned_self, f"{case.id}: fit does not return self"
    if case.needs_fit:  # a stateless estimator (no needs_fit) may learn nothing
        assert fitted_state(est), f"{case.id}: fit leaves no fitted (`_`) attribute"
    params_same(est.get_params(), before, f"{case.id} params after fit")
    same(est.get_params(), before, f"{case.id} params after fit")
    for part in nested(est.get_params()):  # parts given as parameters are not fitted in place
        assert not fitted_state(part), f"{case.id}: fit fitted the parameter {part!r} in place"


@pytest.mark.parametrize("case_id", FITTED)
def test_use_leaves_the_fitted_state_unchanged(case_id):
    case = BY_ID[case_id]
    est, _, _ = fitted(case)
    state = copy.deepcopy(fitted_state(est))
    params = copy.deepcopy(est.get_params())
    first = case.use(est)
    same(fitted_state(est), state, f"{case.id} fitted state")
    same(est.get_params(), params, f"{case.id} params")
    same(case.use(est), first, f"{case.id} outputs of a second call")


@pytest.mark.parametrize("case_id", FILES)
def test_save_load_gives_the_same_outputs_and_refuses_to_overwrite(case_id, tmp_path):
    case = BY_ID[case_id]
    est, _, _ = fitted(case)
    path = tmp_path / "model.tsrnn"
    est.save(path)
    content = path.read_bytes()
    with pytest.raises(TsrnnError, match="already exists"):
        est.save(path)
    assert path.read_bytes() == content
    est.save(path, force=True)
    back = type(est).load(path)
    assert type(back) is type(est) and back is not est
    params_same(back.get_params(), est.get_params(), f"{case.id} loaded params")
    same(case.use(back), case.use(est), f"{case.id} outputs after load")


@pytest.mark.parametrize("case_id", FITTED)
def test_fit_again_gives_the_same_outputs(case_id):
    """A second fit on the same data starts afresh: same seed, same outputs (nothing is carried
    over from the first fit)."""
    case = BY_ID[case_id]
    est, _, _ = fitted(case)
    first = case.use(est)
    assert case.fit(est) is est
    same(case.use(est), first, f"{case.id} outputs after a second fit")
