"""Text models on tiny slices: packed = unpacked, learning, TBPTT carry, sampling, tagging, model files,
int8 quantisation and ONNX parity."""

from __future__ import annotations

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


POS = ["a great and moving film", "wonderful acting , great fun", "a moving , wonderful story", "great fun"]
NEG = ["a dull and boring mess", "boring , awful acting", "an awful dull story", "dull mess"]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention"])
def test_packed_batch_equals_each_sentence_alone(cell, pooling):
    from tsrnn.text.batching import pad

    torch.manual_seed(0)
    net = build_net(30, 2, embed=8, hidden=6, layers=2, cell=cell, bidirectional=True, pooling=pooling,
                    dropout=0.0).eval()
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
    clf = TextClassifier(embed=16, hidden=16, min_freq=1, epochs=20, lr=2e-2, batch_size=4, dropout=0.0, patience=None,
                         device="cpu", quiet=True, seed=1)
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
    with pytest.raises(ModelFileError, match="not a readable"):
        TextClassifier.load(bad)
    with pytest.raises(ModelFileError, match="does not exist"):
        TextClassifier.load(tmp_path / "missing.tsrnn")
    lm = CharLM(embed=4, hidden=8, layers=1, seq_len=4, batch_size=2, epochs=1, device="cpu").fit("abcabcabcabc")
    lm.save(tmp_path / "lm.tsrnn")
    with pytest.raises(ModelFileError, match="'generate' model"):
        TextClassifier.load(tmp_path / "lm.tsrnn")
    # truncated file
    data = (tmp_path / "lm.tsrnn").read_bytes()
    (tmp_path / "cut.tsrnn").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        CharLM.load(tmp_path / "cut.tsrnn")


def test_streams_layout():
    import numpy as np

    X, Y = streams(np.arange(11), 2)
    assert X.tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] and Y.tolist() == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    with pytest.raises(DataError):
        streams(np.arange(3), 4)


def test_char_lm_carries_state_across_windows():
    # "aab" repeated: after an 'a' the next char depends on the char before it. With one-character
    # windows only the carried (detached) state can know it: ≥ (2/3)·ln 2 ≈ 0.46 nats without carry.
    text = "aab" * 120
    lm = CharLM(embed=8, hidden=16, layers=1, dropout=0.0, seq_len=1, batch_size=8, epochs=10, lr=2e-2,
                patience=None, device="cpu", seed=0).fit(text, "aab" * 40)
    assert lm.history_.val_loss[-1] < 0.15
    assert lm.evaluate("aab" * 40)["nats_per_char"] < 0.15


def test_char_lm_learns_and_samples(tmp_path):
    text = "the cat sat on the mat. " * 40
    lm = CharLM(embed=8, hidden=32, layers=2, dropout=0.0, seq_len=16, batch_size=4, epochs=10, lr=1e-2,
                patience=None, device="cpu", seed=0).fit(text, text[:200])
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


SENTS = [["I", "met", "Alice", "in", "Paris"], ["Bob", "lives", "in", "London"], ["Alice", "and", "Bob"],
         ["Paris", "is", "big"], ["we", "saw", "Carol", "Smith", "today"], ["London", "calling"]]
TAGS = [["O", "O", "B-person", "O", "B-location"], ["B-person", "O", "O", "B-location"],
        ["B-person", "O", "B-person"], ["B-location", "O", "O"], ["O", "O", "B-person", "I-person", "O"],
        ["B-location", "O"]]


@pytest.mark.parametrize("output", ["crf", "softmax"])
def test_tagger_learns_tiny_slice(output, tmp_path):
    tg = Tagger(output=output, word_embed=16, char_embed=8, char_hidden=8, hidden=16, dropout=0.0,
                word_dropout=0.0, epochs=25, lr=2e-2, batch_size=3, patience=None, device="cpu", seed=0)
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
    clf = TextClassifier(embed=16, hidden=32, min_freq=1, epochs=30, lr=1e-2, batch_size=4, dropout=0.0, patience=None,
                         device="cpu", seed=1).fit(texts, labels)
    q = quantize(clf.net_)
    assert type(q.core.rnn).__module__.startswith("torch.ao.nn.quantized.dynamic")
    assert clf.predict(texts, net=q) == clf.predict(texts)
    assert abs(clf.logits(texts, net=q) - clf.logits(texts)).max() < 0.5
    assert state_bytes(quantize(clf.net_, embedding=True)) < 0.5 * state_bytes(clf.net_)


def test_onnx_export_parity(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from tsrnn.text.export import export_onnx, onnx_parity

    clf = TextClassifier(embed=8, hidden=8, min_freq=1, epochs=2, device="cpu", pooling="attention").fit(POS + NEG, ["p"] * 4 + ["n"] * 4)
    export_onnx(clf, tmp_path / "c.onnx")
    assert onnx_parity(clf, tmp_path / "c.onnx", POS + NEG) < 1e-5


def test_tagger_batched_emissions_equal_each_sentence_alone():
    from tsrnn.text.tagger import build_net

    torch.manual_seed(0)
    net = build_net(20, 12, 5, word_embed=6, char_embed=4, char_hidden=3, hidden=5, layers=2, cell="lstm",
                    dropout=0.0, output="crf").eval()
    words = [[2, 3, 4, 5], [6], [7, 8]]
    chars = [[[2, 3], [4], [5, 6, 7], [8]], [[9, 10, 11]], [[2], [3, 4]]]
    idx = list(range(3))
    W, C, CL, N, _ = Tagger._batch(words, chars, idx)
    with torch.no_grad():
        em = net(W, C, CL, N)
        for i in idx:
            w, c, cl, n, _ = Tagger._batch(words, chars, [i])
            alone = net(w, c, cl, n)[0]
            assert torch.allclose(em[i, : len(words[i])], alone, atol=1e-6)
