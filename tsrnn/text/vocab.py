"""Tokenisation (character and word level) and a vocabulary with min-frequency, `<pad>` and `<unk>`.

A Vocab is plain data: `to_dict()` / `Vocab.from_dict()` round-trip through JSON and are stored
in the model file's metadata, so a saved model encodes text exactly as it did in training.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from tsrnn.errors import ConfigError, ModelFileError

PAD = "<pad>"
UNK = "<unk>"
PAD_ID = 0
UNK_ID = 1

# A word: letters/digits with inner apostrophes or hyphens ("he's", "co-writer"); else one symbol.
_WORD_RE = re.compile(r"\w+(?:['\-]\w+)*|[^\w\s]", re.UNICODE)


def word_tokenize(text: str, lower: bool = False) -> list[str]:
    """Split text into words and single punctuation marks; `lower` lower-cases first."""
    if lower:
        text = text.lower()
    return _WORD_RE.findall(text)


def char_tokenize(text: str, lower: bool = False) -> list[str]:
    """Split text into characters (every character, spaces and newlines included)."""
    return list(text.lower() if lower else text)


def tokenize(text: str, level: str = "word", lower: bool = False) -> list[str]:
    """Tokenise at `level` "word" or "char"."""
    if level == "word":
        return word_tokenize(text, lower)
    if level == "char":
        return char_tokenize(text, lower)
    raise ConfigError(f"unknown tokenisation level '{level}'; use 'word' or 'char'")


class Vocab:
    """Token ↔ id map. Id 0 is `<pad>`, id 1 is `<unk>`; other tokens follow by falling frequency
    (ties broken alphabetically, so the same corpus always gives the same ids)."""

    def __init__(self, tokens: Sequence[str], lower: bool = False, level: str = "word"):
        self.itos: list[str] = list(tokens)
        if self.itos[:2] != [PAD, UNK]:
            raise ConfigError("a Vocab's first two tokens must be '<pad>' and '<unk>'")
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ConfigError("a Vocab's tokens must be unique")
        self.lower = lower
        self.level = level

    @classmethod
    def build(
        cls,
        sequences: Iterable[Iterable[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        lower: bool = False,
        level: str = "word",
    ) -> Vocab:
        """Count tokens over `sequences` (already tokenised) and keep those seen ≥ min_freq times
        (at most max_size of them, specials excluded)."""
        if min_freq < 1:
            raise ConfigError(f"min_freq must be ≥ 1 (got {min_freq})")
        counts: Counter[str] = Counter()
        for seq in sequences:
            counts.update(t.lower() for t in seq) if lower else counts.update(seq)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in (PAD, UNK)),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            kept = kept[:max_size]
        return cls([PAD, UNK, *kept], lower=lower, level=level)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return (token.lower() if self.lower else token) in self.stoi

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Token ids; unknown tokens map to `<unk>` (1)."""
        s = self.stoi
        if self.lower:
            return [s.get(t.lower(), UNK_ID) for t in tokens]
        return [s.get(t, UNK_ID) for t in tokens]

    def encode_text(self, text: str) -> list[int]:
        """Tokenise `text` at this vocab's level and encode it."""
        return self.encode(tokenize(text, self.level, self.lower))

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_dict(self) -> dict:
        return {"tokens": self.itos, "lower": self.lower, "level": self.level}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        try:
            return cls(d["tokens"], lower=bool(d.get("lower", False)), level=d.get("level", "word"))
        except (KeyError, TypeError, ConfigError) as e:
            raise ModelFileError(
                f"the stored vocabulary is malformed ({e}); the model file is corrupt"
            ) from e

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, level={self.level!r}, lower={self.lower})"
