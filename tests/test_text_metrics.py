"""Span P/R/F1 (CoNLL convention) on hand examples; CRF and Viterbi against brute force."""

from __future__ import annotations

import itertools
import math

import pytest

from tsrnn.errors import DataError
from tsrnn.text.metrics import accuracy, bio_spans, span_prf


def test_bio_spans_conlleval_rules():
    assert bio_spans(["B-PER", "I-PER", "O", "B-LOC"]) == [(0, 2, "PER"), (3, 4, "LOC")]
    # I- after O opens a chunk (conlleval), a type change closes one, B- after B- splits
    assert bio_spans(["O", "I-PER", "I-PER", "I-LOC"]) == [(1, 3, "PER"), (3, 4, "LOC")]
    assert bio_spans(["B-PER", "B-PER", "I-PER"]) == [(0, 1, "PER"), (1, 3, "PER")]
    assert bio_spans(["B-ORG", "I-PER"]) == [(0, 1, "ORG"), (1, 2, "PER")]
    assert bio_spans(["I-X"]) == [(0, 1, "X")] and bio_spans(["O", "O"]) == []
    assert bio_spans(["S-A", "B-A", "E-A", "I-A"]) == [
        (0, 1, "A"),
        (1, 3, "A"),
        (3, 4, "A"),
    ]  # IOBES
    with pytest.raises(DataError):
        bio_spans(["PER"])


def test_span_prf_hand_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "I-ORG", "B-PER"]]
    # gold: PER(0,2) LOC(3,4) | ORG(0,1) PER(2,3) = 4; pred: PER(0,2) | ORG(0,2) PER(2,3) = 3;
    # correct: PER(0,2), PER(2,3) = 2 (ORG has the wrong end)
    r = span_prf(gold, pred)
    assert (r["correct"], r["predicted"], r["gold"]) == (2, 3, 4)
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(0.5)
    assert r["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert r["per_type"]["PER"]["f1"] == 1.0 and r["per_type"]["ORG"]["f1"] == 0.0
    assert r["per_type"]["LOC"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "correct": 0,
        "predicted": 0,
        "gold": 1,
    }


def test_span_prf_edge_cases():
    assert span_prf([["O"]], [["O"]])["f1"] == 0.0  # nothing to find, nothing found
    # a span continued across an O-I boundary counts as two spans under conlleval
    r = span_prf([["B-A", "I-A", "I-A"]], [["B-A", "O", "I-A"]])
    assert (r["correct"], r["predicted"], r["gold"]) == (0, 2, 1)
    with pytest.raises(DataError):
        span_prf([["O"]], [["O", "O"]])
    assert accuracy(["a", "b", "b"], ["a", "b", "a"]) == pytest.approx(2 / 3)


def _brute(em, trans, start, end, n):
    K = em.shape[1]
    scores = {}
    for path in itertools.product(range(K), repeat=n):
        s = float(start[path[0]]) + sum(float(em[t, path[t]]) for t in range(n))
        s += sum(float(trans[path[t - 1], path[t]]) for t in range(1, n)) + float(end[path[-1]])
        scores[path] = s
    logz = math.log(sum(math.exp(v) for v in scores.values()))
    return scores, logz, list(max(scores, key=scores.get))


def test_crf_partition_path_score_and_viterbi_match_brute_force():
    import torch

    from tsrnn.text.crf import CRF

    torch.manual_seed(0)
    K, T = 3, 5
    crf = CRF(K)
    with torch.no_grad():
        crf.trans.normal_()
        crf.start.normal_()
        crf.end.normal_()
    em = torch.randn(3, T, K)
    lengths = torch.tensor([5, 3, 1])
    tags = torch.randint(0, K, (3, T))
    logz = crf.log_partition(em, lengths).detach()
    ps = crf.path_score(em, tags, lengths).detach()
    paths = crf.decode(em, lengths)
    for b in range(3):
        n = int(lengths[b])
        scores, z, best = _brute(em[b], crf.trans.detach(), crf.start.detach(), crf.end.detach(), n)
        assert float(logz[b]) == pytest.approx(z, abs=1e-4)
        assert float(ps[b]) == pytest.approx(scores[tuple(tags[b, :n].tolist())], abs=1e-4)
        assert paths[b] == best
    nll = crf.nll(em, tags, lengths)
    assert bool((nll > 0).all())


def test_bio_constraints_block_invalid_paths():
    import torch

    from tsrnn.text.crf import CRF, bio_constraints

    labels = ["O", "B-A", "I-A", "B-B", "I-B"]
    ok, start_ok = bio_constraints(labels)
    assert not ok[0, 2] and not ok[3, 2] and not ok[4, 2]  # O→I-A, B-B→I-A, I-B→I-A forbidden
    assert ok[1, 2] and ok[2, 2] and ok[2, 3] and ok[0, 1]
    assert start_ok.tolist() == [True, True, False, True, False]
    crf = CRF(len(labels))
    crf.constrain(ok, start_ok)
    em = torch.zeros(1, 3, 5)
    em[0, :, 2] = 5.0  # emissions want I-A everywhere; the constraint forces B-A first
    assert [labels[k] for k in crf.decode(em, torch.tensor([3]))[0]] == ["B-A", "I-A", "I-A"]
