"""What the training loop (tsrnn.nn.trainer) is given and gives back: TrainConfig (its settings),
TrainHistory (losses per epoch, steps, why it stopped), and the set-up helpers resolve_device,
seed_everything and validation_sample."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch

from tsrnn.errors import ConfigError

SCHEDULES = ("cosine", "plateau", "none")


@dataclass
class TrainConfig:
    """Training options. lr/weight_decay for AdamW; clip: max gradient L2 norm (0 = off);
    patience: epochs without validation improvement before stopping (None = never stop early);
    device: "auto" (cuda if available, else cpu), "cpu", "cuda" or "cuda:N"; bf16: autocast to
    bfloat16 on CUDA (ignored on CPU); max_steps: stop after this many optimisation steps in all
    (None = epochs alone decide); time_budget: seconds of training after which the loop stops
    (checked after every step, leaving time for the last validation pass; None = no limit);
    threads: torch CPU threads while training ("auto": see tsrnn.nn.budget.resolve_threads;
    None: leave torch's setting). The cosine schedule follows the largest of the fractions of
    epochs, steps and time budget used, so it anneals fully whichever budget ends training.
    A step budget keeps runs reproducible; a time budget stops at a point that depends on the
    machine's speed and load, so two runs may train for different numbers of steps."""

    epochs: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-4
    clip: float = 1.0
    patience: int | None = 5
    schedule: str = "cosine"
    seed: int = 0
    device: str = "auto"
    bf16: bool = True
    quiet: bool = False
    max_steps: int | None = None
    time_budget: float | None = None
    threads: int | str | None = "auto"


@dataclass
class TrainHistory:
    """Per-epoch mean training loss and validation loss (empty without a validation function;
    the last epoch may be partial when a budget ended it), the 0-based epoch whose weights were
    kept, the wall time of fit in seconds, the optimisation steps taken, the step count at the
    kept weights, and why training ended: "epochs", "early_stopping", "max_steps" or
    "time_budget"."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0
    steps: int = 0
    best_step: int = 0
    stopped: str = ""

    def to_dict(self) -> dict:
        """JSON-ready losses, best epoch, steps and stop reason (for model files)."""
        return {
            "train_loss": list(self.train_loss),
            "val_loss": list(self.val_loss),
            "best_epoch": self.best_epoch,
            "steps": self.steps,
            "best_step": self.best_step,
            "stopped": self.stopped,
        }

    @classmethod
    def from_dict(cls, d: dict | None) -> TrainHistory:
        d = d or {}
        return cls(
            list(d.get("train_loss", [])),
            list(d.get("val_loss", [])),
            int(d.get("best_epoch", -1)),
            0.0,
            int(d.get("steps", 0)),
            int(d.get("best_step", 0)),
            str(d.get("stopped", "")),
        )


def resolve_device(device: str) -> torch.device:
    """ "auto" → cuda if available else cpu; "cpu", "cuda", "cuda:N" as given.
    Raises ConfigError for an unknown name or for cuda on a machine without CUDA."""
    name = (device or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device '{device}' was asked for but CUDA is not available here; use --device "
                "cpu or auto"
            )
        try:
            dev = torch.device(name)
        except RuntimeError:
            raise ConfigError(
                f"device '{device}' is not a valid device name; use auto, cpu, cuda or cuda:N"
            ) from None
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(
                f"device '{device}' does not exist; this machine has "
                f"{torch.cuda.device_count()} GPU(s)"
            )
        return dev
    raise ConfigError(f"device '{device}' is unknown; use auto, cpu, cuda or cuda:N")


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (CPU and all CUDA devices) random generators."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def validation_sample(idx: torch.Tensor, limit: int, seed: int) -> torch.Tensor:
    """At most `limit` entries of idx (W,), a fixed sample drawn with `seed` (kept in order), so
    that every validation pass scores the same windows at a bounded cost."""
    if len(idx) <= limit:
        return idx
    g = torch.Generator().manual_seed(seed * 7919 + 17)
    keep = torch.randperm(len(idx), generator=g)[:limit].sort().values
    return idx[keep.to(idx.device)]
