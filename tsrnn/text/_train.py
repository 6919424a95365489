"""Glue between the text estimators and tsrnn.nn.trainer (the one training loop of the project)."""

from __future__ import annotations

from tsrnn.errors import ConfigError


def make_trainer(est):
    """A Trainer configured from an estimator's training parameters."""
    from tsrnn.nn.trainer import TrainConfig, Trainer

    cfg = TrainConfig(
        epochs=est.epochs,
        lr=est.lr,
        weight_decay=est.weight_decay,
        clip=est.clip,
        patience=est.patience,
        schedule=est.schedule,
        seed=est.seed,
        device=est.device,
        bf16=False,
        quiet=est.quiet,
    )
    return Trainer(cfg)


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(f"{name} '{value}' is unknown; use one of {', '.join(map(str, choices))}")


def check_positive(**values) -> None:
    for k, v in values.items():
        if v is None or v < 1:
            raise ConfigError(f"{k} must be ≥ 1 (got {v})")


def check_dropout(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ConfigError(f"dropout must lie in [0, 1) (got {p})")
