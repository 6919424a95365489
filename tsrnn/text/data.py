"""Readers for the text data sets and the fixed, seeded splits.

- sentence polarity: a folder with `*.pos` and `*.neg` (one snippet a line), or a CSV with
  `text` and `label` columns;
- plain text for the character LM, split by position (no shuffling: the validation text is the
  end of the stream);
- CoNLL files (token<TAB>tag, any line with an empty token field ends a sentence).
Torch-free.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsrnn.errors import ConfigError, DataError


def _read_text_file(path: Path) -> str:
    if not path.exists():
        raise DataError(f"{path} does not exist")
    if path.is_dir():
        raise DataError(f"{path} is a directory; give a text file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text (byte {e.start}); convert it to UTF-8") from e


def read_labelled_text(path: str | Path) -> tuple[list[str], list[str]]:
    """Texts and string labels. A folder: every `*.pos` / `*.neg` file, one text a line, labelled
    "pos" / "neg" (negatives first, files in name order). A CSV: columns `text` and `label`."""
    p = Path(path)
    texts: list[str] = []
    labels: list[str] = []
    if p.is_dir():
        files = sorted(p.glob("*.neg")) + sorted(p.glob("*.pos"))
        if not files:
            raise DataError(
                f"{p} holds no *.pos or *.neg files; give a folder of them or a CSV with text,label"
            )
        for f in files:
            lab = f.suffix[1:]
            for line in _read_text_file(f).splitlines():
                if line.strip():
                    texts.append(line.strip())
                    labels.append(lab)
    elif p.suffix.lower() in (".csv", ".tsv"):
        import pandas as pd

        if not p.exists():
            raise DataError(f"{p} does not exist")
        df = pd.read_csv(
            p, sep="\t" if p.suffix.lower() == ".tsv" else ",", dtype=str, keep_default_na=False
        )
        for col in ("text", "label"):
            if col not in df.columns:
                raise DataError(f"{p}: no column '{col}' (columns: {', '.join(df.columns)})")
        texts, labels = df["text"].tolist(), df["label"].tolist()
    else:
        raise DataError(
            f"{p}: give a folder of *.pos/*.neg files or a .csv/.tsv with text,label columns"
        )
    if not texts:
        raise DataError(f"{p}: no texts found")
    if len(set(labels)) < 2:
        raise DataError(f"{p}: only one label ({labels[0]}); a classifier needs at least two")
    return texts, labels


def read_sentences(path: str | Path) -> list[list[str]]:
    """One sentence a line, tokens split on whitespace (blank lines skipped)."""
    return [ln.split() for ln in read_lines(path)]


def read_lines(path: str | Path) -> list[str]:
    """Non-empty lines of a UTF-8 text file (for prediction input)."""
    return [ln.strip() for ln in _read_text_file(Path(path)).splitlines() if ln.strip()]


def split_indices(
    n: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded random train/validation/test partition of range(n) (sizes floor(f·n),
    rest → test)."""
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-9 or min(fractions) < 0:
        raise ConfigError(
            f"split fractions must be three non-negative numbers summing to 1 (got {fractions})"
        )
    perm = np.random.default_rng(seed).permutation(n)
    a = int(fractions[0] * n)
    b = a + int(fractions[1] * n)
    return np.sort(perm[:a]), np.sort(perm[a:b]), np.sort(perm[b:])


def split_labelled(
    texts: list[str],
    labels: list[str],
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> list[tuple[list, list]]:
    """(texts, labels) of the train, validation and test parts of split_indices(len(texts))."""
    return [
        ([texts[i] for i in idx], [labels[i] for i in idx])
        for idx in split_indices(len(texts), fractions, seed)
    ]


def read_text(path: str | Path) -> str:
    text = _read_text_file(Path(path))
    if not text:
        raise DataError(f"{path} is empty")
    return text


def split_by_position(text: str, train_fraction: float = 0.9) -> tuple[str, str]:
    """First `train_fraction` of the characters for training, the rest for validation."""
    if not 0 < train_fraction < 1:
        raise ConfigError(f"train fraction must lie in (0, 1) (got {train_fraction})")
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]


def read_conll(
    path: str | Path, require_tags: bool = True
) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences of a CoNLL file: (tokens, tags). Each line is token<TAB>tag (split on the tab
    only; a token may hold spaces); a line whose token field is empty ends a sentence (WNUT-17's
    train file marks breaks with a lone tab as well as with blank lines). With require_tags=False a
    line may hold a token alone (its tag is then "")."""
    p = Path(path)
    sents: list[list[str]] = []
    tags: list[list[str]] = []
    cur_t: list[str] = []
    cur_y: list[str] = []
    for lineno, line in enumerate(_read_text_file(p).split("\n"), start=1):
        line = line.rstrip("\r")
        token, sep, tag = line.partition("\t")
        if token == "":
            if cur_t:
                sents.append(cur_t)
                tags.append(cur_y)
                cur_t, cur_y = [], []
            continue
        if require_tags and (not sep or not tag.strip()):
            raise DataError(f"{p}, line {lineno}: expected token<TAB>tag, got {line[:40]!r}")
        cur_t.append(token)
        cur_y.append(tag.strip())
    if cur_t:
        sents.append(cur_t)
        tags.append(cur_y)
    if not sents:
        raise DataError(f"{p}: no sentences found")
    return sents, tags


def read_tagged(
    path: str | Path, lines: bool = False
) -> tuple[list[list[str]], list[list[str]] | None]:
    """Sentences to tag and their gold tags, or None where the file does not give every token a
    tag: a CoNLL file (token, or token<TAB>tag, a line) or, with lines, one sentence a line."""
    if lines:
        return read_sentences(path), None
    sents, gold = read_conll(path, require_tags=False)
    return sents, (None if any(t == "" for ts in gold for t in ts) else gold)


def format_conll(sents: list[list[str]], tags: list[list[str]]) -> str:
    """CoNLL text: token<TAB>tag lines, a blank line between sentences, a final newline."""
    return (
        "\n\n".join("\n".join(f"{w}\t{t}" for w, t in zip(s, p)) for s, p in zip(sents, tags))
        + "\n"
    )
