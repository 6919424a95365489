"""The tagger's network and its inputs: word shapes, the TaggerNet builder and padded batches.

`word_shape` maps a token to its shape id (index into SHAPES); `build_net` makes the torch network
(word, word-shape and character encoders → BiLSTM/GRU → emissions, with a CRF when asked);
`pad_batch` pads encoded sentences into its input tensors. torch is imported inside the functions.
"""

from __future__ import annotations

import numpy as np

MAX_WORD_CHARS = 24  # longer tokens (URLs) are cut for the character encoder
SHAPES = (
    "<pad>",
    "lower",
    "upper",
    "title",
    "mixed",
    "number",
    "alnum",
    "mention",
    "hashtag",
    "url",
    "punct",
    "other",
)


def word_shape(token: str) -> int:
    """Shape id of a token (index into SHAPES): capitalisation pattern, numbers, mentions, hashtags,
    URLs and punctuation; 0 is reserved for padding."""
    if token.startswith("@") and len(token) > 1:
        return 7
    if token.startswith("#") and len(token) > 1:
        return 8
    low = token.lower()
    if low.startswith(("http:", "https:", "www.")):
        return 9
    letters = [c for c in token if c.isalpha()]
    if not letters:
        if any(c.isdigit() for c in token):
            return 5
        return 10 if token and all(not c.isalnum() for c in token) else 11
    if any(c.isdigit() for c in token):
        return 6
    if all(c.islower() for c in letters):
        return 1
    if all(c.isupper() for c in letters):
        return 2 if len(letters) > 1 else 3
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return 3
    return 4


def build_net(
    n_words: int,
    n_chars: int,
    n_tags: int,
    word_embed: int,
    char_embed: int,
    char_hidden: int,
    hidden: int,
    layers: int,
    cell: str,
    dropout: float,
    output: str,
    shape_embed: int = 0,
):
    import torch
    from torch import nn

    from tsrnn.nn.core import RecurrentCore
    from tsrnn.text.crf import CRF

    class TaggerNet(nn.Module):
        """words (B, T), chars (B, T, L), char_lengths (B, T), lengths (B,)[, shapes (B, T) when
        shape_embed > 0] → emissions (B, T, n_tags)."""

        def __init__(self):
            super().__init__()
            self.wemb = nn.Embedding(n_words, word_embed, padding_idx=0)
            self.cemb = nn.Embedding(n_chars, char_embed, padding_idx=0)
            self.char_core = RecurrentCore(char_embed, char_hidden, cell=cell, bidirectional=True)
            self.semb = (
                nn.Embedding(len(SHAPES), shape_embed, padding_idx=0) if shape_embed else None
            )
            self.drop = nn.Dropout(dropout)
            self.core = RecurrentCore(
                word_embed + shape_embed + self.char_core.out_size,
                hidden,
                layers=layers,
                cell=cell,
                bidirectional=True,
                dropout=dropout,
            )
            self.emit = nn.Linear(self.core.out_size, n_tags)
            self.crf = CRF(n_tags) if output == "crf" else None

        def forward(self, words, chars, char_lengths, lengths, shapes=None):
            B, T = words.shape
            mask = torch.arange(T, device=words.device).unsqueeze(0) < lengths.to(
                words.device
            ).unsqueeze(1)
            flat = mask.reshape(-1).nonzero().squeeze(1)  # real tokens only
            cl = char_lengths.reshape(-1)[flat]
            cout, _ = self.char_core(self.cemb(chars.reshape(B * T, -1)[flat]), lengths=cl)
            cvec = words.new_zeros((B * T, self.char_core.out_size), dtype=cout.dtype)
            cvec[flat] = self.char_core.last(cout, cl)
            parts = [self.wemb(words), cvec.view(B, T, -1)]
            if self.semb is not None:
                parts.append(self.semb(shapes))
            x = torch.cat(parts, dim=-1)
            out, _ = self.core(self.drop(x), lengths=lengths)
            return self.emit(self.drop(out))

    return TaggerNet()


def pad_batch(enc, idx, tags=None):
    """Padded tensors of the encoded sentences `idx`: inputs (words (B, T), chars (B, T, L),
    char_lengths (B, T), lengths (B,), shapes (B, T)) and tags (B, T) (0 where padded)
    or None."""
    import torch

    words, chars, shapes = enc
    B = len(idx)
    lengths = np.array([max(len(words[i]), 1) for i in idx], dtype=np.int64)
    T = int(lengths.max())
    L = max((len(c) for i in idx for c in chars[i]), default=1)
    W = np.zeros((B, T), dtype=np.int64)
    C = np.zeros((B, T, max(L, 1)), dtype=np.int64)
    CL = np.ones((B, T), dtype=np.int64)
    S = np.zeros((B, T), dtype=np.int64)
    Y = np.zeros((B, T), dtype=np.int64) if tags is not None else None
    for r, i in enumerate(idx):
        W[r, : len(words[i])] = words[i]
        S[r, : len(shapes[i])] = shapes[i]
        for t, c in enumerate(chars[i]):
            C[r, t, : len(c)] = c
            CL[r, t] = max(len(c), 1)
        if tags is not None:
            Y[r, : len(tags[i])] = tags[i]
    inputs = tuple(torch.from_numpy(a) for a in (W, C, CL, lengths, S))
    return inputs, (torch.from_numpy(Y) if Y is not None else None)
