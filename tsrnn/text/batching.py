"""Padding, length-sorted buckets and packing helpers for variable-length token sequences.

Batches are formed from sequences of similar length (sorted, then cut into batches whose order is
shuffled each epoch), so little padding is made; the recurrent core then packs each batch with
`pack_padded_sequence` (lengths given), so padded positions cost no compute and never reach the
state that is read out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tsrnn.text.vocab import PAD_ID


def pad(seqs: Sequence[Sequence[int]], pad_id: int = PAD_ID, min_len: int = 1):
    """Right-pad id lists: → ids (B, T) int64 tensor, lengths (B,) int64 tensor (T = max length).
    Empty sequences are given one `pad_id` token (length 1) so the recurrent core can read them."""
    import torch

    lengths = np.array([max(len(s), min_len) for s in seqs], dtype=np.int64)
    T = int(lengths.max()) if len(seqs) else 0
    out = np.full((len(seqs), T), pad_id, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return torch.from_numpy(out), torch.from_numpy(lengths)


def bucket_batches(
    lengths: Sequence[int], batch_size: int, shuffle: bool = False, seed: int = 0
) -> list[np.ndarray]:
    """Index batches of sequences of similar length.

    Sorted by length (ties broken at random when shuffling), cut into batches of `batch_size`, and
    the batch order shuffled when `shuffle`. The same (lengths, batch_size, seed) gives the same
    batches. Returns a list of int64 index arrays.
    """
    lengths = np.asarray(lengths)
    n = len(lengths)
    if shuffle:
        rng = np.random.default_rng(seed)
        order = np.lexsort((rng.random(n), lengths))
    else:
        order = np.argsort(lengths, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if shuffle:
        perm = np.random.default_rng(seed + 1).permutation(len(batches))
        batches = [batches[i] for i in perm]
    return batches


def length_mask(lengths, T: int):
    """(B, T) bool mask, True at positions < length: lengths (B,) tensor."""
    import torch

    return torch.arange(T, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)
