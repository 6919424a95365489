"""Tokenisation, vocabulary, batching and data readers of tsrnn.text (torch-light, fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tsrnn.errors import ConfigError, DataError, ModelFileError
from tsrnn.text.batching import bucket_batches, pad
from tsrnn.text.data import read_conll, read_labelled_text, split_by_position, split_indices
from tsrnn.text.vocab import PAD_ID, UNK_ID, Vocab, char_tokenize, tokenize, word_tokenize


def test_word_and_char_tokenisation():
    assert word_tokenize("He's a co-writer, isn't he?") == [
        "He's",
        "a",
        "co-writer",
        ",",
        "isn't",
        "he",
        "?",
    ]
    assert word_tokenize("Hello World", lower=True) == ["hello", "world"]
    assert char_tokenize("Ab c") == ["A", "b", " ", "c"]
    assert tokenize("Ab", "char", lower=True) == ["a", "b"]
    with pytest.raises(ConfigError):
        tokenize("x", "byte")


def test_vocab_min_freq_specials_and_unknowns():
    v = Vocab.build([["b", "a", "b"], ["c", "b", "a"]], min_freq=2)
    assert v.itos == ["<pad>", "<unk>", "b", "a"]  # by falling count, c dropped (seen once)
    assert v.encode(["a", "c", "b"]) == [3, UNK_ID, 2]
    assert PAD_ID == 0 and v.decode([2, 3]) == ["b", "a"]
    lo = Vocab.build([["The", "the", "THE", "cat"]], min_freq=2, lower=True)
    assert lo.itos == ["<pad>", "<unk>", "the"] and lo.encode(["tHe", "cat"]) == [2, UNK_ID]


def test_vocab_json_round_trip_and_bad_data():
    v = Vocab.build([list("hello world")], level="char")
    back = Vocab.from_dict(json.loads(json.dumps(v.to_dict())))
    assert back == v and back.encode_text("low") == v.encode(list("low"))
    with pytest.raises(ModelFileError):
        Vocab.from_dict({"tokens": ["x", "y"]})
    with pytest.raises(ModelFileError):
        Vocab.from_dict({"no": "tokens"})


def test_pad_and_bucket_batches():
    ids, lengths = pad([[5, 6, 7], [8], []])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]] and lengths.tolist() == [3, 1, 1]
    lens = np.random.default_rng(0).integers(1, 50, size=103)
    bs = bucket_batches(lens, 10, shuffle=True, seed=3)
    flat = np.concatenate(bs)
    assert sorted(flat.tolist()) == list(range(103))  # every item exactly once
    assert [b.tolist() for b in bs] == [
        b.tolist() for b in bucket_batches(lens, 10, shuffle=True, seed=3)
    ]
    # sorted buckets: the spread of lengths inside a batch is far below the data's spread
    spread = np.mean([lens[b].max() - lens[b].min() for b in bs])
    assert spread < 8 < lens.max() - lens.min()
    assert [b.tolist() for b in bs] != [
        b.tolist() for b in bucket_batches(lens, 10, shuffle=True, seed=4)
    ]


def test_split_indices_disjoint_seeded():
    a, b, c = split_indices(1000, seed=7)
    assert (len(a), len(b), len(c)) == (800, 100, 100)
    assert len(set(a) | set(b) | set(c)) == 1000
    assert np.array_equal(a, split_indices(1000, seed=7)[0]) and not np.array_equal(
        a, split_indices(1000, seed=8)[0]
    )
    with pytest.raises(ConfigError):
        split_indices(10, (0.5, 0.5, 0.5))


def test_split_by_position():
    tr, va = split_by_position("abcdefghij", 0.9)
    assert (tr, va) == ("abcdefghi", "j")


def test_read_conll_breaks_on_empty_token(tmp_path):
    f = tmp_path / "x.conll"
    f.write_text(
        "New York\tB-location\ncity\tO\n\t\nHi\tO\n\nthere\tO\n"
    )  # lone tab and blank line both break
    sents, tags = read_conll(f)
    assert sents == [["New York", "city"], ["Hi"], ["there"]]
    assert tags == [["B-location", "O"], ["O"], ["O"]]
    bad = tmp_path / "bad.conll"
    bad.write_text("word\tO\nnotab\n")
    with pytest.raises(DataError, match="line 2"):
        read_conll(bad)


def test_real_data_sizes(shared_data):
    d = shared_data / "text"
    counts = [
        len(read_conll(d / "wnut17" / f)[0])
        for f in ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated")
    ]
    assert counts == [3394, 1009, 1287]
    texts, labels = read_labelled_text(d / "sentence_polarity")
    assert len(texts) == 10662 and labels.count("pos") == 5331 and labels.count("neg") == 5331


def test_read_labelled_text_errors(tmp_path):
    with pytest.raises(DataError, match="no \\*.pos"):
        read_labelled_text(tmp_path)
    (tmp_path / "a.csv").write_text("text,lab\nx,1\n")
    with pytest.raises(DataError, match="no column 'label'"):
        read_labelled_text(tmp_path / "a.csv")
