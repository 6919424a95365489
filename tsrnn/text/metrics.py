"""Entity-level (span) precision / recall / F1 in the CoNLL convention (conlleval), and accuracy.

Spans are read from BIO (also IOBES) tags exactly as conlleval reads them: a chunk starts at B-X,
at S-X, or at an I-X/E-X whose previous tag is O or of another type ("I-PER" after "O" opens a
PER chunk); a chunk ends before O, B-, S-, or a change of type. A predicted entity counts as
correct only when its start, end and type all equal a gold entity's. Torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence

from tsrnn.errors import DataError


def _split(tag: str) -> tuple[str, str]:
    if tag == "O" or tag == "":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[0], tag[2:]
    raise DataError(
        f"tag '{tag}' is not a BIO/IOBES tag (expected O, B-TYPE, I-TYPE, E-TYPE or S-TYPE)"
    )


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag != "O" and prev_type != type_


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag != "O" and prev_type != type_


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity spans of one sentence as (start, end_exclusive, type), in order."""
    spans = []
    prev_tag, prev_type, start = "O", "", None
    for i, t in enumerate(list(tags) + ["O"]):  # a sentence end closes any open chunk
        tag, type_ = _split(t)
        if start is not None and _end_of_chunk(prev_tag, tag, prev_type, type_):
            spans.append((start, i, prev_type))
            start = None
        if _start_of_chunk(prev_tag, tag, prev_type, type_):
            start = i
        prev_tag, prev_type = tag, type_
    return spans


def _prf(correct: int, n_pred: int, n_gold: int) -> dict:
    p = correct / n_pred if n_pred else 0.0
    r = correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": f,
        "correct": correct,
        "predicted": n_pred,
        "gold": n_gold,
    }


def span_prf(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Micro-averaged entity P/R/F1 over sentences (lists of tags), plus `per_type` the same
    per type.

    Returns {"precision", "recall", "f1", "correct", "predicted", "gold",
    "per_type": {type: {...}}}; precision/recall/F1 are fractions in [0, 1]
    (conlleval prints them ×100).
    """
    if len(gold) != len(pred):
        raise DataError(f"gold has {len(gold)} sentences but the prediction has {len(pred)}")
    counts: dict[str, list[int]] = {}  # type -> [correct, predicted, gold]
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise DataError(f"sentence {i}: gold has {len(g)} tags but the prediction has {len(p)}")
        gs, ps = set(bio_spans(g)), set(bio_spans(p))
        for s in gs:
            counts.setdefault(s[2], [0, 0, 0])[2] += 1
        for s in ps:
            c = counts.setdefault(s[2], [0, 0, 0])
            c[1] += 1
            c[0] += s in gs
    tot = [sum(c[k] for c in counts.values()) for k in range(3)]
    out = _prf(*tot)
    out["per_type"] = {t: _prf(*c) for t, c in sorted(counts.items())}
    return out


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    if len(y_true) != len(y_pred):
        raise DataError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    if not len(y_true):
        return 0.0
    return sum(int(a == b) for a, b in zip(y_true, y_pred)) / len(y_true)
