"""Forecasting heads and the device data path: attention, teacher forcing, gather, batches,
losses."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tsrnn.data.windows import window_starts, window_view  # noqa: E402
from tsrnn.errors import ConfigError  # noqa: E402
from tsrnn.forecast.training import DeviceData, conformal_table, make_loss  # noqa: E402
from tsrnn.nn.heads import Attention, DirectNet, Seq2SeqNet  # noqa: E402

torch.set_num_threads(1)


@pytest.mark.parametrize("kind", ["bahdanau", "luong", "dot"])
def test_attention_weights_sum_to_one(kind):
    torch.manual_seed(0)
    att = Attention(kind, 6, 6)
    enc = torch.randn(4, 9, 6)
    ctx, w = att(torch.randn(4, 6), enc)
    assert w.shape == (4, 9) and ctx.shape == (4, 6)
    torch.testing.assert_close(w.sum(-1), torch.ones(4))
    assert (w >= 0).all()
    torch.testing.assert_close(ctx, (w[:, :, None] * enc).sum(1))


def test_dot_attention_known_answer():
    att = Attention("dot", 2, 2)
    enc = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    _, w = att(torch.tensor([[2.0, 0.0]]), enc)
    e = np.exp(2.0)
    torch.testing.assert_close(w, torch.tensor([[e / (e + 1), 1 / (e + 1)]], dtype=torch.float32))
    with pytest.raises(ConfigError, match="dot"):
        Attention("dot", 3, 4)


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_seq2seq_attention_over_horizon_sums_to_one(attention):
    torch.manual_seed(0)
    net = Seq2SeqNet(
        3, 2, horizon=5, hidden=8, layers=2, cell="gru", attention=attention, bidirectional=True
    )
    out = net(torch.randn(4, 11, 3), torch.randn(4, 5, 2))
    assert out.shape == (4, 5, 1)
    assert net.last_attention.shape == (4, 5, 11)
    torch.testing.assert_close(net.last_attention.sum(-1), torch.ones(4, 5))


def test_teacher_forcing_vs_free_running():
    torch.manual_seed(0)
    net = Seq2SeqNet(2, 2, horizon=6, hidden=8, layers=1, cell="lstm", attention="bahdanau").eval()
    x, fut = torch.randn(3, 10, 2), torch.randn(3, 6, 2)
    y = torch.randn(3, 6)
    free = net(x, fut)
    free_with_target = net(x, fut, target=y, teacher_ratio=0.0)
    forced = net(x, fut, target=y, teacher_ratio=1.0)
    torch.testing.assert_close(free, free_with_target)  # ratio 0 ignores the truth
    torch.testing.assert_close(
        forced[:, 0], free[:, 0]
    )  # step 0 reads the last observation either way
    assert (forced[:, 1:] - free[:, 1:]).abs().min() > 0  # later steps read the truth instead
    # with full teacher forcing, changing the truth at step 2 changes outputs from step 3 on only
    y2 = y.clone()
    y2[:, 2] += 5.0
    forced2 = net(x, fut, target=y2, teacher_ratio=1.0)
    torch.testing.assert_close(forced2[:, :3], forced[:, :3])
    assert (forced2[:, 3] - forced[:, 3]).abs().min() > 0


def test_direct_net_embedding_and_shapes():
    torch.manual_seed(0)
    net = DirectNet(
        4, horizon=3, hidden=5, layers=2, cell="rnn", n_outputs=2, n_series=7, embedding=3
    )
    assert net.core.input_size == 7
    assert net.head.weight.shape == (6, 5)
    x, sid = torch.randn(2, 8, 4), torch.tensor([1, 6])
    out = net(x, sid)
    assert out.shape == (2, 3, 2)
    torch.testing.assert_close(out, net(x, embed=net.embed.weight[sid]))
    # the layout documented for the numba runtime: core on [x, embedding], head on core.last
    xe = torch.cat([x, net.embed.weight[sid][:, None].expand(-1, 8, -1)], -1)
    o, _ = net.core(xe)
    torch.testing.assert_close(out.reshape(2, 6), net.head(o[:, -1]))


def _data(device="cpu"):
    rng = np.random.default_rng(0)
    offsets = np.array([0, 30, 45, 80])
    inputs = rng.normal(size=(80, 3)).astype(np.float32)
    sid = np.repeat(np.arange(3), np.diff(offsets))
    cut = np.array([25, 15, 28])  # relative training ends
    train = window_starts(offsets, 10, last_end=cut)
    val = window_starts(offsets, 10, first=cut - 6)
    return (
        inputs,
        sid,
        offsets,
        DeviceData.build(inputs, sid, train, val, 6, 4, slice(1, 3), torch.device(device)),
    )


def test_gather_equals_window_view_on_same_indices():
    inputs, sid, offsets, data = _data()
    idx = data.train[torch.tensor([0, 5, 3, 17])]
    x, fut, y, s = data.gather(idx)
    ref = window_view(inputs, 10)[idx.numpy()]  # (B, 10, F)
    np.testing.assert_array_equal(x.numpy(), ref[:, :6])
    np.testing.assert_array_equal(y.numpy(), ref[:, 6:, 0])
    np.testing.assert_array_equal(fut.numpy(), ref[:, 6:, 1:3])
    np.testing.assert_array_equal(s.numpy(), sid[idx.numpy()])
    # no window crosses a series boundary
    assert (sid[idx.numpy()] == sid[idx.numpy() + 9]).all()


def test_batches_are_a_seeded_permutation():
    _, _, _, data = _data()
    a = data.batches(3, 8, seed=1)
    b = data.batches(3, 8, seed=1)
    c = data.batches(4, 8, seed=1)
    cat = torch.cat(a)
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not torch.equal(cat, torch.cat(c))
    assert sorted(cat.tolist()) == sorted(data.train.tolist())
    assert max(len(t) for t in a) == 8
    assert len(torch.cat(data.batches(0, 8, seed=1, steps=2))) == 16


def test_train_and_val_windows_respect_the_split():
    inputs, sid, offsets, data = _data()
    cut = np.array([25, 15, 28]) + offsets[:-1]
    tr, va = data.train.numpy(), data.val.numpy()
    assert (tr + 10 <= cut[sid[tr]]).all()  # training windows end before the cut
    assert (va + 6 >= cut[sid[va]]).all()  # validation targets lie after it
    assert len(tr) == 16 + 6 + 19 and len(va) == 2 + 0 + 4


def test_losses_and_conformal_table():
    pred = torch.tensor([[[1.0, 2.0, 3.0]]])
    y = torch.tensor([[2.5]])
    pin = make_loss("mae", [0.1, 0.5, 0.9], torch.device("cpu"))(pred, y)
    torch.testing.assert_close(pin, torch.tensor((0.1 * 1.5 + 0.5 * 0.5 + 0.1 * 0.5) / 3))
    torch.testing.assert_close(
        make_loss("mse", None, torch.device("cpu"))(pred[..., :1], y), torch.tensor(2.25)
    )
    res = np.tile(np.arange(1, 101, dtype=float)[:, None], (1, 2))
    tab = np.asarray(conformal_table(res))
    assert tab.shape == (99, 2)
    assert tab[79, 0] == 81.0 and tab[49, 1] == 51.0  # ceil((n+1)·L)/n quantile
    assert (np.diff(tab[:, 0]) >= 0).all()


@pytest.mark.gpu
def test_cuda_gather_matches_cpu():
    _, _, _, cpu = _data("cpu")
    _, _, _, gpu = _data("cuda")
    idx = cpu.train[:7]
    for a, b in zip(cpu.gather(idx), gpu.gather(idx.cuda()), strict=True):
        torch.testing.assert_close(a, b.cpu())
