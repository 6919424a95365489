"""torch side of the Forecaster: build the network, train it on the device-resident panel,
compute conformal residuals, predict, and rebuild a network from saved weights."""

from __future__ import annotations

import numpy as np
import torch

from tsrnn._container.fields import check_state_shapes
from tsrnn.errors import ConfigError, ModelFileError
from tsrnn.forecast.training import (
    DeviceData,
    conformal_table,
    make_loss,
    point_index,
    predict_windows,
    run_net,
)
from tsrnn.netconfig import NetConfig
from tsrnn.nn.budget import VAL_WINDOWS, forecast_plan
from tsrnn.nn.heads import DirectNet, Seq2SeqNet
from tsrnn.nn.trainer import (
    TrainConfig,
    Trainer,
    resolve_device,
    seed_everything,
    validation_sample,
)


def build_net(cfg: NetConfig) -> torch.nn.Module:
    """The network described by a resolved configuration (see Forecaster.fit)."""
    common = dict(
        horizon=cfg.horizon,
        hidden=cfg.hidden,
        layers=cfg.layers,
        cell=cfg.cell,
        n_outputs=cfg.n_outputs,
        bidirectional=cfg.bidirectional,
        dropout=cfg.dropout,
        layer_norm=cfg.layer_norm,
        n_series=cfg.n_series,
        embedding=cfg.embedding,
    )
    n_in = cfg.net_features  # segment * step features
    if cfg.model == "seq2seq":
        return Seq2SeqNet(
            n_in,
            cfg.n_future,
            attention=cfg.attention,
            point=point_index(cfg.quantiles),
            segment=cfg.segment,
            **common,
        )
    return DirectNet(n_in, decoder=cfg.decoder, **common)


def fit_network(
    est,
    cfg: NetConfig,
    inputs: np.ndarray,
    sidx: np.ndarray,
    train: np.ndarray,
    val: np.ndarray,
    W: int,
):
    """Train the network of `cfg` on step features inputs (N, F) and windows starting at train/val.
    Returns (net, TrainHistory, conformal table, device name)."""
    tc = TrainConfig(
        epochs=int(est.epochs),
        lr=float(est.lr),
        weight_decay=float(est.weight_decay),
        clip=float(est.clip),
        patience=est.patience,
        schedule=est.schedule,
        seed=int(est.seed),
        device=est.device,
        bf16=bool(est.bf16),
        quiet=bool(est.quiet),
    )
    plan = forecast_plan(est, cfg, len(train))  # step budget, time budget, threads
    tc.max_steps, tc.time_budget, tc.threads = plan.max_steps, plan.time_budget, plan.threads
    trainer = Trainer(tc)
    device = trainer.device
    n_cal, n_t = cfg.n_future, cfg.n_targets
    data = DeviceData.build(
        inputs,
        sidx,
        train,
        val,
        cfg.input_len,
        cfg.horizon,
        slice(n_t, n_t + n_cal),
        device,
        n_targets=n_t,
        norm=cfg.window_norm,
        observed=bool(cfg.pad),
        season=cfg.season,
        residual=cfg.residual,
        segment=cfg.segment,
    )
    seed_everything(int(est.seed))
    net = build_net(cfg)
    loss = make_loss(est.loss, cfg.quantiles, device)
    kind, epochs, tf_end = cfg.model, int(est.epochs), float(est.teacher_forcing)

    def batches(epoch: int):
        ratio = 1.0 - (1.0 - tf_end) * (epoch / max(1, epochs - 1))
        return [
            (idx, ratio)
            for idx in data.batches(epoch, int(est.batch_size), int(est.seed), plan.steps_per_epoch)
        ]

    def loss_fn(model, batch):
        idx, ratio = batch
        x, fut, y, sid = data.gather(idx)
        return loss(run_net(model, kind, x, fut, sid, y, ratio), y)

    val_loss = None
    if len(val):
        scored = validation_sample(data.val, VAL_WINDOWS, int(est.seed))

        def val_loss(model):
            total = torch.zeros((), device=device)
            for part in torch.split(scored, 4096):
                x, fut, y, sid = data.gather(part)
                total += loss(run_net(model, kind, x, fut, sid), y).float() * len(part)
            return float(total.item()) / len(scored)

    hist = trainer.fit(net, batches, loss_fn, val_loss)
    # split-conformal half-widths from the validation windows (in-sample windows when none)
    idx = data.val if len(val) else data.train[-4096:]
    with trainer.autocast():
        pred, y = predict_windows(net, kind, data, idx, point_index(cfg.quantiles))
    conformal = conformal_table(np.abs((pred - y).float().cpu().numpy()))
    return net.eval(), hist, conformal, str(device)


def _embed_rows(net, sid: np.ndarray, device) -> torch.Tensor | None:
    """Embedding rows (S, E): the learned row for known series, the mean row for unseen ones."""
    if not getattr(net, "embedding", 0):
        return None
    table = net.embed.weight.detach()
    s = torch.as_tensor(sid, device=device)
    return torch.where((s >= 0)[:, None], table[s.clamp(min=0)], table.mean(0, keepdim=True))


@torch.no_grad()
def torch_predict(
    est, x: np.ndarray, future: np.ndarray | None, sid: np.ndarray, chunk: int = 8192
) -> np.ndarray:
    """Network outputs (S, H, Q) float64, scaled units, for step features x (S, T, F)."""
    net = est.net_
    device = next(net.parameters()).device
    cfg = est.config_
    outs = []
    on_cuda = device.type == "cuda" and est.bf16
    for a in range(0, len(x), chunk):
        xb = torch.from_numpy(np.ascontiguousarray(x[a : a + chunk], dtype=np.float32)).to(device)
        fb = (
            torch.from_numpy(np.ascontiguousarray(future[a : a + chunk], dtype=np.float32)).to(
                device
            )
            if future is not None
            else None
        )
        emb = _embed_rows(net, sid[a : a + chunk], device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=on_cuda):
            out = run_net(net, cfg.model, xb, fb, None, embed=emb)
        outs.append(out.float().cpu().numpy())
    if not outs:
        return np.zeros((0, cfg.horizon, cfg.n_outputs))
    return np.concatenate(outs).astype(np.float64)


def build_net_from_weights(
    cfg: NetConfig, weights: dict[str, np.ndarray], device: str, path
) -> tuple:
    """Rebuild the network of a model file on `device` (weights are CPU float32 arrays). The
    network is first built on torch's "meta" device (shapes only, no memory) and every tensor of
    its state_dict compared with the stored ones, so a configuration that disagrees with the
    weights is refused (ModelFileError) before anything is allocated."""
    dev = resolve_device(device)
    try:
        with torch.device("meta"):
            shell = build_net(cfg)
    except (KeyError, TypeError, ValueError, ConfigError) as e:
        raise ModelFileError(
            f"{path}: the stored configuration does not describe a network "
            f"({type(e).__name__}: {str(e)[:200]})"
        ) from None
    check_state_shapes(shell.state_dict(), weights, path)
    del shell
    net = build_net(cfg)
    state = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in weights.items()}
    try:
        net.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise ModelFileError(
            f"{path}: weights do not match the model's configuration ({first})"
        ) from None
    return net.to(dev).eval(), str(dev)
