"""Trainer: learns, is deterministic, stops on NaN, early-stops, checkpoints and resumes."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tsrnn.errors import ConfigError, TrainingError  # noqa: E402
from tsrnn.nn.trainer import TrainConfig, Trainer, resolve_device  # noqa: E402

torch.set_num_threads(1)


def _problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(256, 4, generator=g)
    w = torch.tensor([1.0, -2.0, 0.5, 3.0])
    y = X @ w
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 1)

    def batches(epoch):
        perm = torch.randperm(256, generator=torch.Generator().manual_seed(epoch))
        return [perm[i : i + 64] for i in range(0, 256, 64)]

    def loss_fn(m, idx):
        return torch.nn.functional.mse_loss(m(X[idx]).squeeze(-1), y[idx])

    def val(m):
        return float(torch.nn.functional.mse_loss(m(X[:64]).squeeze(-1), y[:64]))

    return model, batches, loss_fn, val


def test_learns_and_is_deterministic():
    res = []
    for _ in range(2):
        model, batches, loss_fn, val = _problem()
        hist = Trainer(TrainConfig(epochs=40, lr=0.05, quiet=True, patience=None)).fit(
            model, batches, loss_fn, val
        )
        res.append((hist, model.weight.detach().clone()))
    (h1, w1), (h2, w2) = res
    assert h1.train_loss[-1] < 0.01 * h1.train_loss[0]
    assert h1.train_loss == h2.train_loss and torch.equal(w1, w2)
    assert len(h1.val_loss) == 40 and h1.best_epoch == min(range(40), key=h1.val_loss.__getitem__)


def test_nan_loss_raises_training_error():
    model, batches, _, _ = _problem()

    def bad_loss(m, idx):
        return m.weight.sum() * float("nan")

    with pytest.raises(TrainingError, match="epoch 1"):
        Trainer(TrainConfig(epochs=3, quiet=True)).fit(model, batches, bad_loss)


def test_early_stopping_restores_best():
    model, batches, loss_fn, _ = _problem()
    calls = []

    def val(m):  # improves twice, then gets worse forever
        calls.append(1)
        return [3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0, 9.0][len(calls) - 1]

    states = []

    def val_and_snap(m):
        states.append(m.weight.detach().clone())
        return val(m)

    hist = Trainer(TrainConfig(epochs=8, patience=2, quiet=True)).fit(
        model, batches, loss_fn, val_and_snap
    )
    assert hist.best_epoch == 2 and len(hist.train_loss) == 5
    torch.testing.assert_close(model.weight, states[2])


def test_checkpoint_resume_equals_uninterrupted(tmp_path):
    ck = tmp_path / "ck.pt"
    cfg = dict(epochs=6, lr=0.05, quiet=True, patience=None)
    model_a, batches, loss_fn, val = _problem()
    full = Trainer(TrainConfig(**cfg)).fit(model_a, batches, loss_fn, val)

    model_b, _, _, _ = _problem()  # same initial weights as model_a

    def interrupted(epoch):  # the run dies at the start of epoch 4
        if epoch >= 3:
            raise KeyboardInterrupt
        return batches(epoch)

    with pytest.raises(KeyboardInterrupt):
        Trainer(TrainConfig(**cfg), checkpoint=ck).fit(model_b, interrupted, loss_fn, val)
    assert ck.exists()
    model_c, _, _, _ = _problem()
    model_c.weight.data.fill_(123.0)  # resume must overwrite these from the checkpoint
    hist = Trainer(TrainConfig(**cfg), checkpoint=ck).fit(
        model_c, batches, loss_fn, val, resume=True
    )
    assert hist.train_loss == pytest.approx(full.train_loss, rel=1e-6)
    torch.testing.assert_close(model_c.weight, model_a.weight)


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ConfigError, match="unknown"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda")


@pytest.mark.gpu
def test_cuda_bf16_training_learns_and_checkpoint_loads_on_cpu(tmp_path):
    model, batches, _, _ = _problem()
    g = torch.Generator().manual_seed(0)
    X = torch.randn(256, 4, generator=g).cuda()
    y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0], device="cuda")

    def loss_fn(m, idx):
        return torch.nn.functional.mse_loss(m(X[idx.cuda()]).squeeze(-1).float(), y[idx.cuda()])

    ck = tmp_path / "ck.pt"
    hist = Trainer(
        TrainConfig(epochs=30, lr=0.05, device="cuda", bf16=True, quiet=True, patience=None),
        checkpoint=ck,
    ).fit(model, batches, loss_fn)
    assert next(model.parameters()).device.type == "cuda"
    assert hist.train_loss[-1] < 0.05 * hist.train_loss[0]
    state = torch.load(ck, map_location="cpu", weights_only=True)  # a CUDA checkpoint read on CPU
    assert state["model"]["weight"].device.type == "cpu"


def test_resume_continues_the_step_budget(tmp_path):
    # the step count is part of the checkpoint: the cosine rate and max_steps continue from it
    ck = tmp_path / "ck.pt"
    cfg = dict(epochs=10, lr=0.05, quiet=True, patience=None, max_steps=22)
    model_a, batches, loss_fn, val = _problem()
    full = Trainer(TrainConfig(**cfg)).fit(model_a, batches, loss_fn, val)
    assert full.steps == 22 and full.stopped == "max_steps" and len(full.train_loss) == 6

    model_b, _, _, _ = _problem()

    def interrupted(epoch):
        if epoch >= 2:
            raise KeyboardInterrupt
        return batches(epoch)

    with pytest.raises(KeyboardInterrupt):
        Trainer(TrainConfig(**cfg), checkpoint=ck).fit(model_b, interrupted, loss_fn, val)
    model_c, _, _, _ = _problem()
    hist = Trainer(TrainConfig(**cfg), checkpoint=ck).fit(
        model_c, batches, loss_fn, val, resume=True
    )
    assert hist.steps == 22 and hist.train_loss == pytest.approx(full.train_loss, rel=1e-6)
    torch.testing.assert_close(model_c.weight, model_a.weight)
    d = hist.to_dict()
    assert d["steps"] == 22 and d["stopped"] == "max_steps"
    back = type(hist).from_dict(d)
    assert (back.steps, back.best_step, back.stopped) == (hist.steps, hist.best_step, hist.stopped)
