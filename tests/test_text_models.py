"""Text models on tiny slices: packed = unpacked, learning, TBPTT carry, sampling, tagging, model
files, int8 quantisation and ONNX parity."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tsrnn.errors import ConfigError, DataError, ModelFileError, NotFittedError  # noqa: E402
from tsrnn.text.charlm import CharLM, streams  # noqa: E402
from tsrnn.text.classifier import TextClassifier, build_net  # noqa: E402
from tsrnn.text.tagger import Tagger  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


POS = [
    "a great and moving film",
    "wonderful acting , great fun",
    "a moving , wonderful story",
    "great fun",
]
NEG = ["a dull and boring mess", "boring , awful acting", "an awful dull story", "dull mess"]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention"])
def test_packed_batch_equals_each_sentence_alone(cell, pooling):
    from tsrnn.text.batching import pad

    torch.manual_seed(0)
    net = build_net(
        30,
        2,
        embed=8,
        hidden=6,
        layers=2,
        cell=cell,
        bidirectional=True,
        pooling=pooling,
        dropout=0.0,
    ).eval()
    seqs = [[5, 6, 7, 8, 9, 10], [11, 12], [13, 14, 15, 16], [17]]
    ids, lengths = pad(seqs)
    with torch.no_grad():
        batched = net(ids, lengths)
        alone = torch.cat([net(torch.tensor([s]), None) for s in seqs])
        padded_unpacked = net(ids, None)  # padding read as tokens: differs, which is why we pack
    assert torch.allclose(batched, alone, atol=1e-6)
    assert not torch.allclose(padded_unpacked[1], alone[1], atol=1e-4)


def test_classifier_learns_tiny_slice_and_round_trips(tmp_path):
    texts, labels = POS + NEG, ["pos"] * 4 + ["neg"] * 4
    clf = TextClassifier(
        embed=16,
        hidden=16,
        min_freq=1,
        epochs=20,
        lr=2e-2,
        batch_size=4,
        dropout=0.0,
        patience=None,
        device="cpu",
        quiet=True,
        seed=1,
    )
    with pytest.raises(NotFittedError):
        clf.predict(["x"])
    clf.fit(texts, labels, texts, labels)
    assert clf.history_.train_loss[-1] < 0.05 < clf.history_.train_loss[0]
    assert clf.predict(["great fun", "dull mess"]) == ["pos", "neg"]
    path = tmp_path / "clf.tsrnn"
    clf.save(path)
    with pytest.raises(ConfigError, match="--force"):
        clf.save(path)
    back = TextClassifier.load(path)
    assert back.get_params() == clf.get_params() and back.labels_ == ["neg", "pos"]
    assert (back.logits(texts) == clf.logits(texts)).all()
    # the same seed reproduces the same model
    again = TextClassifier(**clf.get_params()).fit(texts, labels, texts, labels)
    assert (again.logits(texts) == clf.logits(texts)).all()


def test_model_file_errors(tmp_path):
    bad = tmp_path / "bad.tsrnn"
    bad.write_bytes(b"\x00\x01 not a safetensors file")
    with pytest.raises(ModelFileError, match="not a tsrnn text model file or it is corrupt"):
        TextClassifier.load(bad)
    with pytest.raises(ModelFileError, match="does not exist"):
        TextClassifier.load(tmp_path / "missing.tsrnn")
    lm = CharLM(embed=4, hidden=8, layers=1, seq_len=4, batch_size=2, epochs=1, device="cpu").fit(
        "abcabcabcabc"
    )
    lm.save(tmp_path / "lm.tsrnn")
    with pytest.raises(ModelFileError, match="'generate' model"):
        TextClassifier.load(tmp_path / "lm.tsrnn")
    # a safetensors file that is not ours, and one of ours from a newer tsrnn
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import save_file

    save_file({"w": np.zeros(2, dtype=np.float32)}, str(tmp_path / "plain.st"))
    with pytest.raises(ModelFileError, match="without tsrnn metadata"):
        CharLM.load(tmp_path / "plain.st")
    with safe_open(str(tmp_path / "lm.tsrnn"), framework="numpy") as f:
        meta, arrays = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    save_file(arrays, str(tmp_path / "new.tsrnn"), metadata={**meta, "format_version": "99"})
    with pytest.raises(
        ModelFileError, match="format version 99 is not supported.*tsrnn text generate train"
    ):
        CharLM.load(tmp_path / "new.tsrnn")
    # truncated file
    data = (tmp_path / "lm.tsrnn").read_bytes()
    (tmp_path / "cut.tsrnn").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        CharLM.load(tmp_path / "cut.tsrnn")


def test_streams_layout():
    import numpy as np

    X, Y = streams(np.arange(11), 2)
    assert X.tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] and Y.tolist() == [
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
    ]
    with pytest.raises(DataError):
        streams(np.arange(3), 4)


def test_char_lm_carries_state_across_windows():
    # "aab" repeated: after an 'a' the next char depends on the char before it. With one-character
    # windows only the carried (detached) state can know it: ≥ (2/3)·ln 2 ≈ 0.46 nats without carry.
    text = "aab" * 120
    lm = CharLM(
        embed=8,
        hidden=16,
        layers=1,
        dropout=0.0,
        seq_len=1,
        batch_size=8,
        epochs=10,
        lr=2e-2,
        patience=None,
        device="cpu",
        seed=0,
    ).fit(text, "aab" * 40)
    assert lm.history_.val_loss[-1] < 0.15
    assert lm.evaluate("aab" * 40)["nats_per_char"] < 0.15


def test_char_lm_learns_and_samples(tmp_path):
    text = "the cat sat on the mat. " * 40
    lm = CharLM(
        embed=8,
        hidden=32,
        layers=2,
        dropout=0.0,
        seq_len=16,
        batch_size=4,
        epochs=10,
        lr=1e-2,
        patience=None,
        device="cpu",
        seed=0,
    ).fit(text, text[:200])
    assert lm.history_.train_loss[0] > 1.5 and lm.history_.val_loss[-1] < 0.5
    ev = lm.evaluate(text[:200])
    assert ev["bits_per_char"] == pytest.approx(ev["nats_per_char"] / 0.6931471805599453)
    greedy = lm.sample(20, prime="sat on the m", top_k=1)
    assert greedy.startswith("at. the cat sat on")
    s1 = lm.sample(50, prime="the", temperature=1.5, seed=3)
    assert s1 == lm.sample(50, prime="the", temperature=1.5, seed=3) and len(s1) == 50
    assert set(s1) <= set(text)
    with pytest.raises(ConfigError, match="never saw"):
        lm.sample(5, prime="xyz!")
    with pytest.raises(ConfigError):
        lm.sample(5, temperature=0)
    lm.save(tmp_path / "lm.tsrnn")
    back = CharLM.load(tmp_path / "lm.tsrnn")
    assert back.sample(30, prime="the", seed=5) == lm.sample(30, prime="the", seed=5)


SENTS = [
    ["I", "met", "Alice", "in", "Paris"],
    ["Bob", "lives", "in", "London"],
    ["Alice", "and", "Bob"],
    ["Paris", "is", "big"],
    ["we", "saw", "Carol", "Smith", "today"],
    ["London", "calling"],
]
TAGS = [
    ["O", "O", "B-person", "O", "B-location"],
    ["B-person", "O", "O", "B-location"],
    ["B-person", "O", "B-person"],
    ["B-location", "O", "O"],
    ["O", "O", "B-person", "I-person", "O"],
    ["B-location", "O"],
]


@pytest.mark.parametrize("output", ["crf", "softmax"])
def test_tagger_learns_tiny_slice(output, tmp_path):
    tg = Tagger(
        output=output,
        word_embed=16,
        char_embed=8,
        char_hidden=8,
        hidden=16,
        dropout=0.0,
        word_dropout=0.0,
        epochs=25,
        lr=2e-2,
        batch_size=3,
        patience=None,
        device="cpu",
        seed=0,
    )
    tg.fit(SENTS, TAGS, SENTS, TAGS)
    assert tg.history_.train_loss[-1] < 0.1 < tg.history_.train_loss[0]
    r = tg.evaluate(SENTS, TAGS)
    assert r["f1"] == 1.0
    assert tg.predict([[], ["Alice"]])[0] == []
    tg.save(tmp_path / "t.tsrnn")
    back = Tagger.load(tmp_path / "t.tsrnn")
    assert back.predict(SENTS) == tg.predict(SENTS)


def test_tagger_rejects_bad_input():
    with pytest.raises(DataError, match="sentence 0"):
        Tagger(device="cpu").fit([["a", "b"]], [["O"]])
    with pytest.raises(DataError, match="not a BIO"):
        Tagger(device="cpu").fit([["a"]], [["PER"]])
    with pytest.raises(ConfigError):
        Tagger(output="hmm", device="cpu").fit([["a"]], [["O"]])


def test_int8_quantised_classifier_agrees():
    from tsrnn.text.export import quantize, state_bytes

    texts, labels = POS + NEG, ["pos"] * 4 + ["neg"] * 4
    clf = TextClassifier(
        embed=16,
        hidden=32,
        min_freq=1,
        epochs=30,
        lr=1e-2,
        batch_size=4,
        dropout=0.0,
        patience=None,
        device="cpu",
        seed=1,
    ).fit(texts, labels)
    q = quantize(clf.net_)
    assert type(q.core.rnn).__module__.startswith("torch.ao.nn.quantized.dynamic")
    assert clf.predict(texts, net=q) == clf.predict(texts)
    assert abs(clf.logits(texts, net=q) - clf.logits(texts)).max() < 0.5
    assert state_bytes(quantize(clf.net_, embedding=True)) < 0.5 * state_bytes(clf.net_)


def test_int8_classifier_saved_as_int8_loads_unchanged(tmp_path):
    """The int8 file stores int8 weights and scales; loading gives bit-identical outputs (no new
    quantisation)."""
    from safetensors.numpy import load_file

    texts, labels = POS + NEG, ["pos"] * 4 + ["neg"] * 4
    clf = TextClassifier(
        embed=16,
        hidden=8,
        layers=2,
        min_freq=1,
        epochs=3,
        pooling="attention",
        device="cpu",
        seed=1,
    ).fit(texts, labels)
    clf.save(tmp_path / "f.tsrnn")
    for embedding in (False, True):
        q = clf.quantized(embedding=embedding)
        assert (
            clf.int8_ is None and type(clf.net_.core.rnn).__name__ == "LSTM"
        )  # the float estimator is untouched
        assert type(clf.net_.core.rnn).__module__.startswith("torch.nn")
        q.save(tmp_path / "q.tsrnn", force=True)
        stored = load_file(tmp_path / "q.tsrnn")
        assert (
            stored["core.rnn.weight_ih_l1_reverse"].dtype == np.int8
            and stored["out.weight"].dtype == np.int8
        )
        assert stored["embed.weight"].dtype == (np.uint8 if embedding else np.float32)
        back = TextClassifier.load(tmp_path / "q.tsrnn")
        assert back.int8_ == {"embedding": embedding}
        assert type(back.net_.core.rnn).__module__.startswith("torch.ao.nn.quantized.dynamic")
        assert np.array_equal(back.logits(texts), q.logits(texts))
        assert (tmp_path / "q.tsrnn").stat().st_size < (tmp_path / "f.tsrnn").stat().st_size
    with pytest.raises(ConfigError, match="already int8"):
        back.quantized()
    stored["out.weight"] = stored["out.weight"][:1]  # a corrupt int8 file is a ModelFileError
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(tmp_path / "q.tsrnn"), framework="np") as fh:
        meta = fh.metadata()
    save_file(stored, str(tmp_path / "bad.tsrnn"), metadata=meta)
    with pytest.raises(ModelFileError, match="does not match its digest"):
        TextClassifier.load(tmp_path / "bad.tsrnn")
    from tsrnn._container import with_digest  # with a matching digest, the int8 check refuses it

    save_file(stored, str(tmp_path / "bad.tsrnn"), metadata=with_digest(stored, meta))
    with pytest.raises(ModelFileError, match="int8 weights do not match"):
        TextClassifier.load(tmp_path / "bad.tsrnn")


def test_onnx_export_parity(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from tsrnn.text.export import export_onnx, onnx_parity

    clf = TextClassifier(
        embed=8, hidden=8, min_freq=1, epochs=2, device="cpu", pooling="attention"
    ).fit(POS + NEG, ["p"] * 4 + ["n"] * 4)
    export_onnx(clf, tmp_path / "c.onnx")
    assert onnx_parity(clf, tmp_path / "c.onnx", POS + NEG) < 1e-5


def test_tagger_batched_emissions_equal_each_sentence_alone():
    from tsrnn.text.tagger_net import build_net

    torch.manual_seed(0)
    net = build_net(
        20,
        12,
        5,
        word_embed=6,
        char_embed=4,
        char_hidden=3,
        hidden=5,
        layers=2,
        cell="lstm",
        dropout=0.0,
        output="crf",
        shape_embed=3,
    ).eval()
    words = [[2, 3, 4, 5], [6], [7, 8]]
    chars = [[[2, 3], [4], [5, 6, 7], [8]], [[9, 10, 11]], [[2], [3, 4]]]
    shapes = [[1, 3, 2, 10], [7], [9, 1]]
    enc = (words, chars, shapes)
    idx = list(range(3))
    inputs, _ = Tagger._batch(enc, idx)
    with torch.no_grad():
        em = net(*inputs)
        for i in idx:
            alone = net(*Tagger._batch(enc, [i])[0])[0]
            assert torch.allclose(em[i, : len(words[i])], alone, atol=1e-6)


def test_word_shapes():
    from tsrnn.text.tagger_net import SHAPES, word_shape

    got = {
        t: SHAPES[word_shape(t)]
        for t in [
            "paris",
            "NASA",
            "Paris",
            "iPhone",
            "2017",
            "3.5",
            "R2D2",
            "@bob",
            "#nlp",
            "https://t.co/x",
            ",",
            "…",
            "I",
            "é",
        ]
    }
    assert got == {
        "paris": "lower",
        "NASA": "upper",
        "Paris": "title",
        "iPhone": "mixed",
        "2017": "number",
        "3.5": "number",
        "R2D2": "alnum",
        "@bob": "mention",
        "#nlp": "hashtag",
        "https://t.co/x": "url",
        ",": "punct",
        "…": "punct",
        "I": "title",
        "é": "lower",
    }


def test_tagger_calibration_shift_raises_recall():
    """A larger O shift never predicts fewer entities, and the chosen shift is the best on the
    data."""
    from tsrnn.text.metrics import span_prf
    from tsrnn.text.tagger import O_SHIFTS

    tg = Tagger(
        word_embed=8,
        char_embed=4,
        char_hidden=4,
        hidden=8,
        dropout=0.0,
        word_dropout=0.0,
        epochs=3,
        lr=1e-2,
        batch_size=3,
        patience=None,
        device="cpu",
        seed=0,
    )
    tg.fit(SENTS, TAGS, SENTS, TAGS)
    enc = tg._encode(SENTS)
    with torch.no_grad():
        ems = tg._emissions(tg.net_, enc, "cpu")
    preds = [tg._paths(tg.net_.crf, ems, len(SENTS), s) for s in O_SHIFTS]
    n_pred = [span_prf(TAGS, p)["predicted"] for p in preds]
    f1 = [span_prf(TAGS, p)["f1"] for p in preds]
    assert n_pred[-1] >= n_pred[0]
    assert tg.o_shift_ == O_SHIFTS[f1.index(max(f1))]
    assert tg.predict(SENTS) == preds[O_SHIFTS.index(tg.o_shift_)]


def test_tagger_file_from_before_word_shapes_loads(tmp_path):
    """A tagger file whose config lacks shape_embed / calibrate (and extra lacks o_shift) still
    loads."""
    import json

    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    tg = Tagger(
        word_embed=8,
        char_embed=4,
        char_hidden=4,
        hidden=8,
        shape_embed=0,
        calibrate=False,
        epochs=2,
        device="cpu",
    ).fit(SENTS, TAGS)
    tg.save(tmp_path / "new.tsrnn")
    with safe_open(str(tmp_path / "new.tsrnn"), framework="np") as fh:
        meta = fh.metadata()
    cfg, extra = json.loads(meta["config"]), json.loads(meta["extra"])
    for k in ("shape_embed", "calibrate"):
        cfg.pop(k)
    extra.pop("o_shift")
    # a format-1 file: written before digests
    meta |= {"config": json.dumps(cfg), "extra": json.dumps(extra), "format_version": "1"}
    meta.pop("digest")
    save_file(load_file(tmp_path / "new.tsrnn"), str(tmp_path / "old.tsrnn"), metadata=meta)
    old = Tagger.load(tmp_path / "old.tsrnn")
    assert old.shape_embed == 0 and old.o_shift_ == 0.0
    assert old.predict(SENTS) == tg.predict(SENTS)
