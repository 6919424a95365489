"""Training loop shared by every tsrnn network: AdamW, gradient-norm clipping, an LR schedule,
early stopping on a validation loss, bf16 autocast on CUDA, NaN/Inf detection, a step budget and
a wall-clock budget (the best validation weights are kept), progress (steps, loss, time left),
checkpoints and resume; data-parallel over several processes when started by torchrun
(tsrnn.nn.distributed).

The loop never calls ``.item()`` per step: the epoch's loss is summed on the device and read
once per epoch (one host sync); the progress bar reads the current loss at most twice a second.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tsrnn.errors import ConfigError, ModelFileError, TrainingError
from tsrnn.nn import distributed
from tsrnn.nn.train_setup import (  # noqa: F401 - part of this module's interface
    SCHEDULES,
    TrainConfig,
    TrainHistory,
    resolve_device,
    seed_everything,
    validation_sample,
)


class Trainer:
    """Fits a model by minimising ``loss_fn(model, batch)`` over ``batches(epoch)``.

    checkpoint: optional path written after every epoch (model, optimizer, scheduler, epoch,
    history, best weights: tensors and plain containers only, loaded with weights_only=True).
    """

    def __init__(self, config: TrainConfig, checkpoint: str | Path | None = None):
        if config.schedule not in SCHEDULES:
            raise ConfigError(
                f"schedule '{config.schedule}' is unknown; use one of {', '.join(SCHEDULES)}"
            )
        if config.epochs < 1:
            raise ConfigError(f"epochs must be >= 1 (got {config.epochs})")
        ms, tb = config.max_steps, config.time_budget
        if ms is not None and (int(ms) != ms or ms < 1):
            raise ConfigError(f"max_steps must be a positive whole number or None (got {ms!r})")
        if tb is not None and not tb > 0:
            raise ConfigError(f"time_budget must be a positive number of seconds (got {tb!r})")
        self.config = config
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        # under torchrun: join the process group; one GPU per process (LOCAL_RANK)
        self.device = distributed.setup(resolve_device(config.device))

    # -- public -------------------------------------------------------------------------------

    def autocast(self):
        """The autocast context used for forward passes (bf16 on CUDA when enabled, else off)."""
        on = self.config.bf16 and self.device.type == "cuda"
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=on)

    def fit(
        self,
        model: nn.Module,
        batches: Callable[[int], Iterable[Any]],
        loss_fn: Callable[[nn.Module, Any], torch.Tensor],
        val_loss: Callable[[nn.Module], float] | None = None,
        resume: bool = False,
    ) -> TrainHistory:
        """Train `model` in place (moved to ``self.device``) and return its history.

        batches(epoch) yields the batches of one epoch (already on the device; a sized iterable
        lets the schedule and the progress bar count steps within the epoch); loss_fn returns a
        scalar tensor; val_loss(model) returns the validation loss as a float (called in eval
        mode under no_grad once per epoch, and once more when a budget ends an epoch early).
        With a validation function (or early stopping) the weights of the best validation are
        restored at the end, also when max_steps or time_budget stopped the loop.
        Raises TrainingError when an epoch's loss is NaN or infinite.
        """
        from tsrnn.nn.budget import resolve_threads

        cfg = self.config
        t0 = time.perf_counter()
        threads = resolve_threads(cfg.threads, self.device.type)
        old_threads = torch.get_num_threads()
        if threads is not None:
            torch.set_num_threads(threads)
        try:
            return self._fit(model, batches, loss_fn, val_loss, resume, t0)
        finally:
            torch.set_num_threads(old_threads)

    def _fit(self, model, batches, loss_fn, val_loss, resume, t0) -> TrainHistory:
        cfg = self.config
        deadline = t0 + float(cfg.time_budget) if cfg.time_budget else None
        seed_everything(cfg.seed)
        model.to(self.device)
        params = [p for p in model.parameters() if p.requires_grad]
        opt_kw: dict[str, Any] = {"lr": cfg.lr, "weight_decay": cfg.weight_decay}
        if self.device.type == "cuda":
            opt_kw["fused"] = True
        opt = torch.optim.AdamW(params, **opt_kw)
        sched = self._scheduler(opt)
        hist = TrainHistory()
        best, best_state, bad, start = math.inf, None, 0, 0
        if resume:
            start, best, best_state, bad, hist = self._load_checkpoint(model, opt, sched)
        step = hist.steps
        # several processes: DDP averages the gradients; validation and the saved state use `model`
        stepped = distributed.wrap(model, self.device)
        several = distributed.launched()
        progress = self._progress() if distributed.is_main() else None
        task = None
        if progress is not None:
            progress.start()
            task = progress.add_task(
                "training", total=cfg.max_steps, completed=step, loss="", left=""
            )
        # duration of the last validation pass: the time budget leaves room for one more
        val_seconds = 0.0
        shown = 0.0
        try:
            for epoch in range(start, cfg.epochs):
                model.train()
                epoch_batches = batches(epoch)
                n_epoch = len(epoch_batches) if hasattr(epoch_batches, "__len__") else None
                if progress is not None and n_epoch:
                    planned = step + n_epoch * (cfg.epochs - epoch)
                    progress.update(task, total=min(planned, cfg.max_steps or planned))
                total = torch.zeros((), device=self.device, dtype=torch.float32)
                steps = 0
                for batch in epoch_batches:
                    if cfg.schedule == "cosine":
                        self._cosine(opt, epoch, steps, n_epoch, step, t0, several)
                    with self.autocast():
                        loss = loss_fn(stepped, batch)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if cfg.clip and cfg.clip > 0:
                        nn.utils.clip_grad_norm_(params, cfg.clip)
                    opt.step()
                    total += loss.detach().float()
                    steps += 1
                    step += 1
                    now = time.perf_counter()
                    if progress is not None and now - shown >= 0.5:
                        shown = now
                        progress.update(
                            task,
                            completed=step,
                            loss=f"loss {float(loss.detach()):.4f}",
                            left=self._time_left(progress, task, now, deadline),
                        )
                    if cfg.max_steps is not None and step >= cfg.max_steps:
                        hist.stopped = "max_steps"
                        break
                    if deadline is not None and self._out_of_time(
                        now + val_seconds, deadline, several
                    ):
                        hist.stopped = "time_budget"
                        break
                if steps == 0:
                    raise TrainingError(
                        f"epoch {epoch + 1}: no training batches; the series are too short for "
                        "the window"
                    )
                # the one host sync of the epoch (several processes: the mean of their sums; they
                # all take the same number of steps)
                train = float(distributed.mean_over_processes(total).item()) / steps
                if not math.isfinite(train):
                    raise TrainingError(
                        f"training diverged at epoch {epoch + 1}: the loss became {train}; likely "
                        f"causes are a learning rate too high (lr={cfg.lr}), NaN/Inf or extreme "
                        "values in the data, or unscaled inputs; lower lr, check the data or keep "
                        "gradient clipping on"
                    )
                hist.train_loss.append(train)
                hist.steps = step
                monitor = train
                if val_loss is not None:
                    tv = time.perf_counter()
                    model.eval()
                    with torch.no_grad(), self.autocast():
                        v = float(val_loss(model))
                    val_seconds = time.perf_counter() - tv
                    hist.val_loss.append(v)
                    if math.isfinite(v):
                        monitor = v
                    else:
                        raise TrainingError(
                            f"validation loss became {v} at epoch {epoch + 1}; likely causes are a "
                            f"learning rate too high (lr={cfg.lr}) or NaN/Inf values in the data"
                        )
                if monitor < best - 1e-12:
                    best, bad, hist.best_epoch, hist.best_step = monitor, 0, epoch, step
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    bad += 1
                if cfg.schedule == "plateau":
                    sched.step(monitor)
                if progress is not None:
                    vtxt = f" val {hist.val_loss[-1]:.4f}" if hist.val_loss else ""
                    left = self._time_left(progress, task, time.perf_counter(), deadline)
                    progress.update(task, completed=step, loss=f"loss {train:.4f}{vtxt}", left=left)
                if self.checkpoint is not None and distributed.is_main():
                    self._save_checkpoint(model, opt, sched, epoch, best, best_state, bad, hist)
                if hist.stopped:
                    break
                if val_loss is not None and cfg.patience is not None and bad >= cfg.patience:
                    hist.stopped = "early_stopping"
                    break
                late = time.perf_counter() + val_seconds
                if deadline is not None and self._out_of_time(late, deadline, several):
                    hist.stopped = "time_budget"
                    break
        finally:
            if progress is not None:
                progress.stop()
        hist.stopped = hist.stopped or "epochs"
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        hist.seconds = time.perf_counter() - t0
        return hist

    # -- internals ----------------------------------------------------------------------------

    def _scheduler(self, opt):
        cfg = self.config
        if cfg.schedule == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
        return None

    def _cosine(
        self, opt, epoch: int, i: int, n_epoch: int | None, step: int, t0: float, several: bool
    ) -> None:
        """Set the learning rate of step `i` of `epoch`: cosine from lr down to lr/20 over the
        largest fraction used of the epochs, the step budget and (one process only) the time
        budget."""
        cfg = self.config
        frac = (epoch + (i / n_epoch if n_epoch else 0.0)) / cfg.epochs
        if cfg.max_steps:
            frac = max(frac, step / cfg.max_steps)
        if cfg.time_budget and not several:  # processes must agree on the rate; time differs
            frac = max(frac, (time.perf_counter() - t0) / cfg.time_budget)
        low = cfg.lr * 0.05
        lr = low + (cfg.lr - low) * 0.5 * (1.0 + math.cos(math.pi * min(frac, 1.0)))
        for group in opt.param_groups:
            group["lr"] = lr

    def _out_of_time(self, when: float, deadline: float, several: bool) -> bool:
        """Whether `when` passes the deadline (several processes: any of them, so all stop)."""
        late = when >= deadline
        if not several:
            return late
        flag = torch.tensor(1.0 if late else 0.0, device=self.device)
        return bool(distributed.mean_over_processes(flag).item() > 0)

    @staticmethod
    def _time_left(progress, task, now: float, deadline: float | None) -> str:
        """Time left: from the step rate and the planned steps, capped by the time budget."""
        t = progress.tasks[task]
        left = None
        if t.total and t.completed and t.elapsed:
            left = t.elapsed / t.completed * max(t.total - t.completed, 0)
        if deadline is not None:
            left = min(left if left is not None else math.inf, max(deadline - now, 0.0))
        if left is None or not math.isfinite(left):
            return ""
        m, sec = divmod(int(round(left)), 60)
        return f"{m}:{sec:02d} left"

    def _progress(self):
        if self.config.quiet:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps  {task.fields[loss]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
            console=Console(file=sys.stderr),
            transient=False,
        )

    def _save_checkpoint(self, model, opt, sched, epoch, best, best_state, bad, hist) -> None:
        from tsrnn.output import atomic_write

        state = {
            "model": {k: v.detach().to("cpu") for k, v in model.state_dict().items()},
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict() if sched is not None else {},
            "epoch": epoch,
            "best": float(best),
            "best_state": {k: v.to("cpu") for k, v in best_state.items()}
            if best_state is not None
            else {},
            "bad": bad,
            "history": asdict(hist),
            "torch_rng": torch.get_rng_state(),
        }
        atomic_write(self.checkpoint, lambda p: torch.save(state, p))

    def _load_checkpoint(self, model, opt, sched):
        if self.checkpoint is None or not self.checkpoint.exists():
            raise ModelFileError(f"cannot resume: checkpoint {self.checkpoint} does not exist")
        try:
            state = torch.load(self.checkpoint, map_location=self.device, weights_only=True)
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            if sched is not None and state["scheduler"]:
                sched.load_state_dict(state["scheduler"])
        except (RuntimeError, KeyError, OSError, EOFError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelFileError(
                f"{self.checkpoint}: not a usable tsrnn checkpoint for this model ({first})"
            ) from None
        torch.set_rng_state(state["torch_rng"].cpu())
        h = state["history"]
        hist = TrainHistory(
            list(h["train_loss"]),
            list(h["val_loss"]),
            int(h["best_epoch"]),
            0.0,
            int(h.get("steps", 0)),
            int(h.get("best_step", 0)),
        )
        best_state = {k: v.to(self.device) for k, v in state["best_state"].items()} or None
        return int(state["epoch"]) + 1, float(state["best"]), best_state, int(state["bad"]), hist
