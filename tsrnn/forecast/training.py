"""The training data path (torch): the scaled panel lives on the device as ONE tensor (N, F);
a batch is an index tensor of window starts; windows are gathered on the device with
``torch_window_view(panel, input_len + horizon)[idx]`` — no DataLoader, no per-sample Python.
Device memory for the data ≈ N × F floats (the raw series), never input_len × N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from tsrnn.data.windows import torch_window_view
from tsrnn.forecast.inputs import point_index, window_ref  # noqa: F401  (point_index re-exported for the torch side)
from tsrnn.forecast.transforms import seasonal_base, to_segments


@dataclass
class DeviceData:
    """Everything training needs, on one device.

    panel: (N, F) float32 step features of all series stacked; sid: (N,) int64 series number of
    every row; train/val: (W,) int64 global start rows of the training / validation windows;
    input_len, horizon; cal: slice of the calendar columns (for seq2seq decoders); n_targets C;
    norm: the Forecaster's window_norm (None | "last" | "mean"); observed: whether the last
    column is the "observed" flag of a left-padded panel; season: the season of window_norm
    "season"; residual: the season of the seasonal-naive base the target is taken relative to
    (0 = off); segment: rows per network step (1 = one row per step; tsrnn.forecast.transforms).
    """

    panel: Tensor
    sid: Tensor
    train: Tensor
    val: Tensor
    input_len: int
    horizon: int
    cal: slice
    n_targets: int = 1
    norm: str | None = None
    observed: bool = False
    season: int = 1
    residual: int = 0
    segment: int = 1

    @classmethod
    def build(
        cls,
        inputs: np.ndarray,
        sid: np.ndarray,
        train: np.ndarray,
        val: np.ndarray,
        input_len: int,
        horizon: int,
        cal: slice,
        device: torch.device,
        n_targets: int = 1,
        norm: str | None = None,
        observed: bool = False,
        season: int = 1,
        residual: int = 0,
        segment: int = 1,
    ) -> DeviceData:
        to = lambda a, dt: torch.as_tensor(np.ascontiguousarray(a), dtype=dt).to(device)  # noqa: E731
        return cls(
            to(inputs, torch.float32),
            to(sid, torch.int64),
            to(train, torch.int64),
            to(val, torch.int64),
            input_len,
            horizon,
            cal,
            n_targets,
            norm,
            observed,
            season,
            residual,
            segment,
        )

    def gather(self, idx: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """idx (B,) window starts → x (B, input_len / segment, segment * F), future calendar
        (B, horizon, K), target (B, horizon) scaled, series numbers (B,). One gather on the device;
        with window_norm the targets of x and the target are taken relative to the window's
        reference level, with residual the target also relative to the seasonal-naive base."""
        w = torch_window_view(self.panel, self.input_len + self.horizon)[idx]  # (B, L+H, F)
        L, C = self.input_len, self.n_targets
        x, y = w[:, :L], w[:, L:, 0]
        ref = window_ref(x, C, self.norm, self.observed, self.season)
        if ref is not None:
            x = torch.cat([x[:, :, :C] - ref[:, None, :], x[:, :, C:]], dim=2)
            y = y - ref[:, :1]
        if self.residual:
            y = y - seasonal_base(x[:, :, 0], self.residual, self.horizon)
        return to_segments(x, self.segment), w[:, L:, self.cal], y, self.sid[idx]

    def batches(
        self, epoch: int, batch_size: int, seed: int, steps: int | None = None
    ) -> list[Tensor]:
        """The index batches of one epoch: a permutation of the training windows drawn from a
        generator seeded by (seed, epoch) — the same on every device, in every process and after
        a resume. Under torchrun with P processes the permutation is cut into global batches of
        batch_size × P and this process takes its share of each (tsrnn.nn.distributed.shard)."""
        from tsrnn.nn.distributed import rank_and_size, shard

        size = batch_size * rank_and_size()[1]
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        perm = torch.randperm(len(self.train), generator=g).to(self.train.device)
        if steps is not None:
            perm = perm[: steps * size]
        idx = self.train[perm]
        return shard(list(torch.split(idx, size)), batch_size)


def make_loss(loss: str, quantiles: list[float] | None, device: torch.device):
    """(pred (B, H, Q), target (B, H)) → scalar: pinball averaged over quantiles, or mae / mse."""
    if quantiles:
        q = torch.tensor(quantiles, dtype=torch.float32, device=device)

        def pinball(pred: Tensor, y: Tensor) -> Tensor:
            d = y[..., None].float() - pred.float()
            return torch.maximum(q * d, (q - 1) * d).mean()

        return pinball
    if loss == "mse":
        return lambda pred, y: ((pred[..., 0].float() - y.float()) ** 2).mean()
    return lambda pred, y: (pred[..., 0].float() - y.float()).abs().mean()


def run_net(
    net,
    kind: str,
    x: Tensor,
    future: Tensor,
    sid: Tensor | None,
    target: Tensor | None = None,
    teacher: float = 0.0,
    embed: Tensor | None = None,
) -> Tensor:
    """Call a DirectNet or Seq2SeqNet uniformly → (B, H, Q)."""
    if kind == "seq2seq":
        return net(x, future, sid, target, teacher, embed=embed)
    return net(x, sid, embed=embed)


@torch.no_grad()
def predict_windows(
    net, kind: str, data: DeviceData, idx: Tensor, point: int, chunk: int = 4096
) -> tuple[Tensor, Tensor]:
    """Point predictions and targets (both (W, H), scaled) of the windows starting at idx."""
    preds, ys = [], []
    for part in torch.split(idx, chunk):
        x, fut, y, sid = data.gather(part)
        out = run_net(net, kind, x, fut, sid)
        preds.append(out[..., point].float())
        ys.append(y)
    if not preds:
        empty = torch.zeros(0, data.horizon, device=idx.device)
        return empty, empty
    return torch.cat(preds), torch.cat(ys)


def conformal_table(abs_res: np.ndarray) -> list[list[float]]:
    """Split-conformal half-widths: abs_res (W, H) scaled absolute residuals → (99, H) table whose
    row L-1 is the finite-sample-corrected L% quantile of each horizon step's residuals."""
    n = len(abs_res)
    if n == 0:
        return []
    k = np.minimum(n, np.ceil((n + 1) * np.arange(1, 100) / 100.0 - 1e-9).astype(np.int64))
    return np.sort(abs_res, axis=0)[k - 1].tolist()
