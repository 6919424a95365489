"""Training budgets: durations, the default step budget, the thread choice, the Trainer stopping
on a step or time budget with the best validation weights kept, a Forecaster's step budget being
reproducible, and the CLI's --time-budget / --threads."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from tsrnn.errors import ConfigError  # noqa: E402
from tsrnn.nn.budget import (  # noqa: E402
    MAX_STEPS,
    MIN_STEPS,
    auto_steps,
    parse_duration,
    plan_epochs,
    resolve_threads,
)
from tsrnn.nn.trainer import TrainConfig, Trainer, validation_sample  # noqa: E402


def test_parse_duration():
    assert parse_duration(None) is None
    assert parse_duration(90) == 90.0
    assert parse_duration("90") == 90.0
    assert parse_duration("90s") == 90.0
    assert parse_duration("10m") == 600.0
    assert parse_duration("1.5h") == 5400.0
    assert parse_duration("1h30m") == 5400.0
    for bad in ("10x", "", "m", "-5", 0, "ten minutes", True):
        with pytest.raises(ConfigError):
            parse_duration(bad)
    with pytest.raises(ConfigError, match="--time-budget"):
        parse_duration("soon", "--time-budget")


def test_auto_steps_follow_the_cost_of_a_step():
    base = auto_steps(256, 96, 48, 64, 2, 7, "lstm")
    assert MIN_STEPS < base < MAX_STEPS
    # twice the window length → about half the steps; GRU (3 gates) affords more than LSTM (4)
    assert auto_steps(256, 192, 48, 64, 2, 7, "lstm") == pytest.approx(base / 2, rel=0.01)
    assert auto_steps(256, 96, 48, 64, 2, 7, "gru") > base
    assert auto_steps(256, 96, 48, 64, 2, 7, "lstm", seq2seq=True) < base
    assert auto_steps(4096, 512, 48, 512, 4, 7, "lstm") == MIN_STEPS
    assert auto_steps(8, 8, 1, 4, 1, 1, "rnn") == MAX_STEPS


def test_plan_epochs_spreads_a_step_budget_over_the_epochs():
    # 100 000 windows / 256 = 391 steps an epoch; 30 epochs would be 11 730 steps
    assert plan_epochs(100_000, 256, 30, None, None) == (391, None)
    assert plan_epochs(100_000, 256, 30, 1500, None) == (50, 1500)
    assert plan_epochs(1000, 256, 30, 1500, None) == (4, 1500)  # small data: full epochs fit
    assert plan_epochs(100_000, 256, 30, None, 10) == (10, None)


def test_resolve_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert resolve_threads("auto", "cpu") == 1
    assert resolve_threads("auto", "cuda") is None
    assert resolve_threads(None, "cpu") is None
    assert resolve_threads(np.int64(3), "cpu") == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert resolve_threads("auto", "cpu") == 2
    for bad in (0, -1, "many", 1.5, True):
        with pytest.raises(ConfigError, match="threads"):
            resolve_threads(bad, "cpu")


def _problem(n=256, batch=32):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 4, generator=g)
    y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)

    def batches(epoch):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))
        return [perm[i : i + batch] for i in range(0, n, batch)]

    def loss_fn(m, idx):
        return torch.nn.functional.mse_loss(m(X[idx]).squeeze(-1), y[idx])

    return model, batches, loss_fn


def test_step_budget_stops_mid_epoch_and_keeps_the_best_weights():
    model, batches, loss_fn = _problem()  # 8 steps an epoch
    scores = iter([3.0, 1.0, 2.0, 5.0])  # the second validation is the best
    snaps = []

    def val(m):
        snaps.append(m.weight.detach().clone())
        return next(scores)

    hist = Trainer(TrainConfig(epochs=100, max_steps=27, patience=None, quiet=True)).fit(
        model, batches, loss_fn, val
    )
    # 3 full epochs of 8 steps and 3 steps of the fourth, which is validated too
    assert hist.steps == 27 and hist.stopped == "max_steps"
    assert len(hist.train_loss) == 4 and len(hist.val_loss) == 4
    assert hist.best_epoch == 1 and hist.best_step == 16
    torch.testing.assert_close(model.weight, snaps[1])


def test_time_budget_stops_training_and_keeps_the_best_weights(monkeypatch):
    # a fake clock that advances 0.1 s each time the trainer reads it: the stop is deterministic
    import types

    import tsrnn.nn.trainer as trainer_module

    ticks = iter(range(10**9))
    monkeypatch.setattr(
        trainer_module, "time", types.SimpleNamespace(perf_counter=lambda: 0.1 * next(ticks))
    )
    model, batches, loss_fn = _problem()  # 8 steps an epoch
    calls, snaps = [], []

    def val(m):  # improves twice, then only gets worse
        calls.append(1)
        snaps.append(m.weight.detach().clone())
        return [3.0, 2.0, 1.0][len(calls) - 1] if len(calls) <= 3 else 10.0 + len(calls)

    hist = Trainer(TrainConfig(epochs=10_000, time_budget=6.0, patience=None, quiet=True)).fit(
        model, batches, loss_fn, val
    )
    assert hist.stopped == "time_budget"
    assert 3 * 8 < hist.steps < 10 * 8  # some epochs, far fewer than asked for
    assert len(hist.val_loss) == len(hist.train_loss) >= 4
    assert hist.best_epoch == 2
    torch.testing.assert_close(model.weight, snaps[2])


def test_time_budget_on_the_real_clock():
    model, batches, loss_fn = _problem()

    def slow_loss(m, idx):
        time.sleep(0.01)
        return loss_fn(m, idx)

    hist = Trainer(TrainConfig(epochs=10_000, time_budget=0.5, patience=None, quiet=True)).fit(
        model, batches, slow_loss
    )
    # 10 000 epochs of 8 sleeping steps would take over 13 minutes
    assert hist.stopped == "time_budget" and 1 <= hist.steps < 10_000 * 8


def test_cosine_anneals_over_the_step_budget():
    model, batches, loss_fn = _problem()
    seen = []

    def loss_lr(m, idx):
        return loss_fn(m, idx)

    tr = Trainer(TrainConfig(epochs=1000, max_steps=40, lr=0.01, patience=None, quiet=True))
    orig = tr._cosine

    def spy(opt, *a):
        orig(opt, *a)
        seen.append(opt.param_groups[0]["lr"])

    tr._cosine = spy
    tr.fit(model, batches, loss_lr)
    assert len(seen) == 40
    assert seen[0] == pytest.approx(0.01)
    assert seen[-1] == pytest.approx(
        0.01 * 0.05 + 0.01 * 0.95 * 0.5 * (1 + np.cos(np.pi * 39 / 40))
    )
    assert all(a >= b for a, b in zip(seen, seen[1:]))


def test_trainer_uses_its_threads_and_restores_them():
    model, batches, loss_fn = _problem()
    before = torch.get_num_threads()
    inside = []

    def spy_loss(m, idx):
        inside.append(torch.get_num_threads())
        return loss_fn(m, idx)

    Trainer(TrainConfig(epochs=1, threads=1, quiet=True)).fit(model, batches, spy_loss)
    assert set(inside) == {1}
    assert torch.get_num_threads() == before


def test_validation_sample_is_fixed_and_bounded():
    idx = torch.arange(10_000) * 3
    a, b = validation_sample(idx, 500, 0), validation_sample(idx, 500, 0)
    assert len(a) == 500 and torch.equal(a, b) and bool((a[1:] > a[:-1]).all())
    assert set(a.tolist()) <= set(idx.tolist())
    assert not torch.equal(a, validation_sample(idx, 500, 1))
    assert torch.equal(validation_sample(idx[:100], 500, 0), idx[:100])


def _panel():
    t = np.arange(400)
    rows = []
    for k, uid in enumerate(["a", "b", "c"]):
        y = (
            10
            + k
            + np.sin(2 * np.pi * t / 24 + k)
            + 0.1 * np.random.default_rng(k).normal(size=len(t))
        )
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": pd.date_range("2024-01-01", periods=len(t), freq="h"),
                    "y": y,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    df.attrs["freq"] = "h"
    return df


def test_forecaster_step_budget_is_reproducible():
    from tsrnn import Forecaster

    df = _panel()
    kw = dict(
        model="gru", horizon=12, hidden=16, layers=1, epochs=4, max_steps=10, quiet=True, seed=3
    )
    a = Forecaster(**kw).fit(df)
    b = Forecaster(**kw).fit(df)
    assert a.train_history_.steps == 10 and a.train_history_.stopped == "max_steps"
    # 10 steps over 4 epochs: 3 a epoch, the last epoch cut to 1
    assert len(a.train_history_.train_loss) == 4
    np.testing.assert_array_equal(a.predict()["yhat"].to_numpy(), b.predict()["yhat"].to_numpy())
    assert a.train_history_.val_loss == b.train_history_.val_loss
    c = Forecaster(**{**kw, "seed": 4}).fit(df)
    assert not np.array_equal(a.predict()["yhat"].to_numpy(), c.predict()["yhat"].to_numpy())


def test_forecaster_default_step_budget_and_bad_options():
    from tsrnn import Forecaster

    df = _panel()
    est = Forecaster(model="lstm", horizon=12, hidden=8, layers=1, epochs=2, quiet=True).fit(df)
    # small data: two full epochs are below the automatic step budget
    assert est.train_history_.stopped == "epochs" and est.get_params()["max_steps"] == "auto"
    for bad in (
        dict(time_budget="10x"),
        dict(max_steps=0),
        dict(max_steps="many"),
        dict(threads=0),
    ):
        with pytest.raises(ConfigError):
            Forecaster(model="lstm", horizon=12, **bad).fit(df)


def test_cli_time_budget_and_threads(tmp_path):
    from test_forecaster_cli import _app
    from typer.testing import CliRunner

    df = _panel()
    path = tmp_path / "panel.csv"
    df.to_csv(path, index=False)
    runner = CliRunner()
    out = tmp_path / "m.tsrnn"
    res = runner.invoke(
        _app(),
        [
            "train",
            str(path),
            "-o",
            str(out),
            "--horizon",
            "12",
            "--hidden",
            "8",
            "--layers",
            "1",
            "--epochs",
            "3",
            "--time-budget",
            "30s",
            "--threads",
            "1",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.exists()
    res = runner.invoke(
        _app(),
        [
            "forecast",
            str(path),
            "--model",
            "gru",
            "--horizon",
            "12",
            "--time-budget",
            "later",
            "--quiet",
        ],
    )
    assert res.exit_code == 2 and "--time-budget 'later' is not a duration" in res.output
