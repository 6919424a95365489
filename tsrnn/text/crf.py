"""Linear-chain CRF and Viterbi decoding (written here, no external CRF package).

Scores of a tag path y over T positions: start[y_0] + Σ_t emit[t, y_t] + Σ_t trans[y_{t-1}, y_t]
+ end[y_{T-1}]. `trans[i, j]` is the score of moving from tag i to tag j. Masks are prefixes
(True for the first `length` positions of each row). Transitions that BIO forbids (O → I-X,
B-X/I-X → I-Y with Y ≠ X, start → I-X) can be pinned to -inf-like scores with `bio_constraints`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

NEG = -1e4  # a finite "impossible" score: keeps logsumexp and gradients finite


def bio_constraints(labels: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Allowed-transition masks for BIO labels: (K, K) bool trans_ok[i, j] and (K,) start_ok."""
    K = len(labels)
    trans_ok = torch.ones(K, K, dtype=torch.bool)
    start_ok = torch.ones(K, dtype=torch.bool)
    for j, lj in enumerate(labels):
        if lj.startswith("I-"):
            start_ok[j] = False
            for i, li in enumerate(labels):
                if li[2:] != lj[2:] or li == "O" or li[:2] not in ("B-", "I-"):
                    trans_ok[i, j] = False
    return trans_ok, start_ok


def viterbi(
    emissions: torch.Tensor,
    trans: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    lengths: torch.Tensor,
) -> list[list[int]]:
    """Best tag path for each sequence.

    emissions: (B, T, K) scores; trans: (K, K); start, end: (K,); lengths: (B,) valid lengths (≥ 1).
    Returns B lists of tag ids, each of its sequence's length.
    """
    B, T, K = emissions.shape
    lengths = lengths.to(emissions.device)
    score = start + emissions[:, 0]  # (B, K)
    back = []
    for t in range(1, T):
        cand = score.unsqueeze(2) + trans.unsqueeze(0)  # (B, K_prev, K)
        best, idx = cand.max(dim=1)  # (B, K)
        new = best + emissions[:, t]
        live = (t < lengths).unsqueeze(1)
        score = torch.where(live, new, score)  # finished rows keep their score
        back.append(idx)
    score = score + end
    paths = []
    last = score.argmax(dim=1).tolist()
    back_cpu = [b.cpu() for b in back]
    for b in range(B):
        n = int(lengths[b])
        tag = last[b]
        path = [tag]
        for t in range(n - 1, 0, -1):
            tag = int(back_cpu[t - 1][b, tag])
            path.append(tag)
        paths.append(path[::-1])
    return paths


class CRF(nn.Module):
    """CRF output layer over K tags: `nll` for training, `decode` (Viterbi) for prediction."""

    def __init__(self, num_tags: int):
        super().__init__()
        self.num_tags = num_tags
        self.trans = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        self.register_buffer(
            "trans_mask", torch.zeros(num_tags, num_tags)
        )  # 0 allowed, NEG forbidden
        self.register_buffer("start_mask", torch.zeros(num_tags))

    def constrain(self, trans_ok: torch.Tensor, start_ok: torch.Tensor) -> None:
        """Forbid transitions where trans_ok is False and first tags where start_ok is False."""
        self.trans_mask.copy_(torch.where(trans_ok, 0.0, NEG))
        self.start_mask.copy_(torch.where(start_ok, 0.0, NEG))

    def _params(self):
        return self.trans + self.trans_mask, self.start + self.start_mask, self.end

    def log_partition(self, emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """log Z for each sequence (forward algorithm): emissions (B, T, K), lengths (B,) → (B,)."""
        trans, start, end = self._params()
        T = emissions.shape[1]
        alpha = start + emissions[:, 0]
        for t in range(1, T):
            new = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where((t < lengths).unsqueeze(1), new, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def path_score(
        self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """Score of the given tag paths:
        emissions (B, T, K), tags (B, T) long, lengths (B,) → (B,)."""
        trans, start, end = self._params()
        B, T, _ = emissions.shape
        mask = torch.arange(T, device=emissions.device).unsqueeze(0) < lengths.unsqueeze(
            1
        )  # (B, T)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        s = start[tags[:, 0]] + (emit * mask).sum(1)
        tr = trans[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        s = s + (tr * mask[:, 1:]).sum(1)
        last = tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
        return s + end[last]

    def nll(
        self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """Negative log-likelihood of `tags` per sequence, (B,)."""
        lengths = lengths.to(emissions.device)
        return self.log_partition(emissions, lengths) - self.path_score(emissions, tags, lengths)

    def decode(self, emissions: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        trans, start, end = self._params()
        return viterbi(emissions, trans, start, end, lengths)
