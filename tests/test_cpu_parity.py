"""The numba runtime (tsrnn.cpu) against torch: every cell, 1–3 layers, uni- and bidirectional,
float32 and float64, whole windows and step-by-step streaming.

Compile budget: the kernels are generic over cell, sizes and layers, so this module compiles one
block kernel and one streaming kernel per dtype, plus the parallel batch kernel for float32.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tsrnn.cpu import kernels as K  # noqa: E402
from tsrnn.cpu.net import NumbaNet  # noqa: E402
from tsrnn.cpu.rnn import NumbaRNN  # noqa: E402
from tsrnn.errors import ConfigError, ModelFileError  # noqa: E402

torch.set_num_threads(1)
CELLS = ["rnn", "rnn_relu", "lstm", "gru"]
TOL = {"float32": 1e-5, "float64": 1e-10}
TDT = {"float32": torch.float32, "float64": torch.float64}


def torch_rnn(cell, input_size, hidden, layers, bidirectional, dtype):
    kw = dict(
        input_size=input_size,
        hidden_size=hidden,
        num_layers=layers,
        batch_first=True,
        bidirectional=bidirectional,
    )
    if cell == "lstm":
        m = torch.nn.LSTM(**kw)
    elif cell == "gru":
        m = torch.nn.GRU(**kw)
    else:
        m = torch.nn.RNN(nonlinearity="relu" if cell == "rnn_relu" else "tanh", **kw)
    return m.to(TDT[dtype]).eval()


def as_numpy(module, prefix=""):
    return {prefix + k: v.detach().numpy() for k, v in module.state_dict().items()}


# seeded grid of random sizes: (cell, layers, bidirectional, dtype) × sizes drawn per case
GRID = [
    (c, L, bi, dt)
    for c in CELLS
    for L in (1, 2, 3)
    for bi in (False, True)
    for dt in ("float32", "float64")
]


@pytest.mark.parametrize("cell,layers,bi,dtype", GRID)
def test_stack_matches_torch(cell, layers, bi, dtype):
    seed = zlib.crc32(f"{cell}-{layers}-{bi}-{dtype}".encode())
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n_in, H = int(rng.integers(1, 6)), int(rng.integers(1, 20))
    B, T = int(rng.integers(1, K.BLOCK + 1)), int(rng.integers(1, 15))
    m = torch_rnn(cell, n_in, H, layers, bi, dtype)
    x = torch.randn(B, T, n_in, dtype=TDT[dtype])
    D = 2 if bi else 1
    h0 = torch.randn(layers * D, B, H, dtype=TDT[dtype]) * 0.5
    state = (h0, torch.randn_like(h0) * 0.5) if cell == "lstm" else h0
    with torch.no_grad():
        ref, ref_state = m(x, state)
    net = NumbaRNN(cell, as_numpy(m), dtype)
    st_np = tuple(s.numpy() for s in state) if cell == "lstm" else state.numpy()
    out, got_state = net.forward(x.numpy(), st_np)
    assert out.dtype == np.dtype(dtype) and out.shape == (B, T, D * H)
    tol = TOL[dtype]
    np.testing.assert_allclose(out, ref.numpy(), rtol=0, atol=tol)
    if cell == "lstm":
        np.testing.assert_allclose(got_state[0], ref_state[0].numpy(), rtol=0, atol=tol)
        np.testing.assert_allclose(got_state[1], ref_state[1].numpy(), rtol=0, atol=tol)
    else:
        np.testing.assert_allclose(got_state, ref_state.numpy(), rtol=0, atol=tol)


@pytest.mark.parametrize("cell", CELLS)
def test_parallel_batch_matches_torch(cell):
    """B > BLOCK (not a multiple of it) goes through the prange kernel: every sequence right."""
    torch.manual_seed(7)
    B = 3 * K.BLOCK + 5
    m = torch_rnn(cell, 3, 24, 2, True, "float32")
    x = torch.randn(B, 17, 3)
    with torch.no_grad():
        ref, _ = m(x)
    out, _ = NumbaRNN(cell, as_numpy(m)).forward(x.numpy())
    np.testing.assert_allclose(out, ref.numpy(), rtol=0, atol=1e-5)
    # a sequence's result does not depend on its neighbours in the batch
    alone, _ = NumbaRNN(cell, as_numpy(m)).forward(x.numpy()[B - 1 : B])
    np.testing.assert_allclose(alone[0], out[B - 1], rtol=0, atol=1e-6)


def direct_net(
    cell, layers, bi, layer_norm, embedding, n_features, horizon, n_outputs, seed, dtype="float32"
):
    from tsrnn.nn.heads import DirectNet

    torch.manual_seed(seed)
    net = DirectNet(
        n_features,
        horizon=horizon,
        hidden=12,
        layers=layers,
        cell=cell,
        n_outputs=n_outputs,
        bidirectional=bi,
        layer_norm=layer_norm,
        n_series=5,
        embedding=embedding,
    )
    with torch.no_grad():  # move LayerNorm and biases off their 1 / 0 initial values
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    cfg = dict(
        cell=cell,
        hidden=12,
        layers=layers,
        bidirectional=bi,
        layer_norm=layer_norm,
        horizon=horizon,
        n_outputs=n_outputs,
        input_size=n_features + embedding,
        embedding=embedding,
        n_targets=1,
    )
    return net.to(TDT[dtype]).eval(), cfg


NETS = [
    ("rnn", 1, False, False, 0),
    ("rnn_relu", 2, True, True, 0),
    ("lstm", 2, True, True, 3),
    ("lstm", 3, False, True, 2),
    ("gru", 1, True, False, 2),
    ("gru", 2, False, True, 0),
]


@pytest.mark.parametrize("cell,layers,bi,layer_norm,embedding", NETS)
def test_direct_network_matches_torch(cell, layers, bi, layer_norm, embedding):
    net, cfg = direct_net(
        cell, layers, bi, layer_norm, embedding, n_features=3, horizon=4, n_outputs=3, seed=3
    )
    x = torch.randn(6, 10, 3)
    sid = torch.tensor([0, 1, 2, 3, 4, 0])
    with torch.no_grad():
        ref = net(x, sid if embedding else None).reshape(6, -1).numpy()
    nn = NumbaNet.from_state(cfg, as_numpy(net))
    got = nn.forward(x.numpy(), series=sid.numpy() if embedding else None)
    assert got.shape == (6, 12)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)
    if embedding:  # the Forecaster appends the embedding itself
        e = as_numpy(net)["embed.weight"][sid.numpy()]
        xe = np.concatenate([x.numpy(), np.repeat(e[:, None, :], 10, axis=1)], -1)
        np.testing.assert_allclose(nn.forward(xe), ref, rtol=0, atol=1e-5)


STREAMS = [(c, L, dt) for c in CELLS for L in (1, 3) for dt in ("float32", "float64")]


@pytest.mark.parametrize("cell,layers,dtype", STREAMS)
def test_streaming_equals_full_sequence(cell, layers, dtype):
    """Step-by-step updates give, after every step, the forward() of everything fed so far."""
    net, cfg = direct_net(
        cell,
        layers,
        False,
        layers == 3,
        0,
        n_features=1,
        horizon=3,
        n_outputs=1,
        seed=11,
        dtype=dtype,
    )
    nn = NumbaNet.from_state(cfg, as_numpy(net), dtype=dtype)
    rng = np.random.default_rng(5)
    loc, scale = 40.0, 7.5
    ys = loc + scale * rng.standard_normal(25)
    st = nn.streamer(loc=loc, scale=scale)
    xs = ((ys - loc) / scale).astype(dtype)[None, :, None]
    with torch.no_grad():
        full = net(torch.from_numpy(xs)).reshape(1, -1).numpy()[0] * scale + loc
    tol = TOL[dtype] * scale
    for t, y in enumerate(ys):
        first = st.update(y)
        expect = nn.forward(xs[:, : t + 1])[0] * scale + loc
        np.testing.assert_allclose(st.forecast().ravel(), expect, rtol=0, atol=tol)
        assert abs(first - expect[0]) <= tol
    np.testing.assert_allclose(st.forecast().ravel(), full, rtol=0, atol=tol)  # and torch's
    st.reset()
    again = st.run(ys[:5])
    expect = [nn.forward(xs[:, : t + 1])[0, 0] * scale + loc for t in range(5)]
    np.testing.assert_allclose(again, expect, rtol=0, atol=tol)


def test_streaming_with_features_and_embedding():
    """Steps that read [target, calendar/exog features] plus a per-series embedding."""
    net, cfg = direct_net("lstm", 2, False, False, 2, n_features=3, horizon=2, n_outputs=3, seed=2)
    nn = NumbaNet.from_state(cfg, as_numpy(net))
    rng = np.random.default_rng(1)
    T = 12
    y = 5 + 2 * rng.standard_normal(T)
    feats = rng.standard_normal((T, 2))
    xs = np.concatenate([((y - 5) / 2)[:, None], feats], 1)[None].astype(np.float32)
    with torch.no_grad():
        ref = net(torch.from_numpy(xs), torch.tensor([3])).reshape(-1).numpy() * 2 + 5
    st = nn.streamer(loc=5.0, scale=2.0, series=3)
    outs = [st.update(y[t], feats[t]) for t in range(T)]
    np.testing.assert_allclose(
        st.forecast().ravel(), ref, rtol=0, atol=2e-5
    )  # 1e-5 in scaled units × scale 2
    assert abs(outs[-1] - ref[1]) < 2e-5  # horizon step 0, the middle of 3 outputs
    with pytest.raises(ConfigError, match="features"):
        st.update(1.0)
    with pytest.raises(ConfigError, match="embedding"):
        nn.streamer(loc=5.0, scale=2.0)


def test_bidirectional_cannot_stream_and_bad_weights_are_named():
    net, cfg = direct_net("gru", 1, True, False, 0, n_features=1, horizon=1, n_outputs=1, seed=0)
    nn = NumbaNet.from_state(cfg, as_numpy(net))
    with pytest.raises(ConfigError, match="bidirectional"):
        nn.streamer()
    w = as_numpy(net)
    del w["core.rnn.bias_hh_l0_reverse"]
    with pytest.raises(ModelFileError, match="bias_hh_l0_reverse"):
        NumbaNet.from_state(cfg, w)
    w = as_numpy(net)
    w["head.weight"] = w["head.weight"][:, :3]
    with pytest.raises(ModelFileError, match="head.weight"):
        NumbaNet.from_state(cfg, w)
    with pytest.raises(ConfigError, match="float32 or float64"):
        NumbaNet.from_state(cfg, as_numpy(net), dtype="float16")


def test_stream_step_allocates_nothing(tmp_path):
    """The compiled step allocates no memory: 500 steps driven from compiled code leave numba's
    allocation counters unchanged (a Python-level call only adds the dispatcher's argument
    boxing)."""
    import subprocess
    import sys

    code = """
import numpy as np
from numba import njit
from numba.core.runtime import rtsys
from tsrnn.cpu import kernels as K
from tsrnn.cpu.net import NumbaNet
rng = np.random.default_rng(0)
w = {"core.rnn.weight_ih_l0": rng.standard_normal((12, 1)),
     "core.rnn.weight_hh_l0": rng.standard_normal((12, 3)),
     "core.rnn.bias_ih_l0": rng.standard_normal(12), "core.rnn.bias_hh_l0": rng.standard_normal(12),
     "core.rnn.weight_ih_l1": rng.standard_normal((12, 3)),
     "core.rnn.weight_hh_l1": rng.standard_normal((12, 3)),
     "core.rnn.bias_ih_l1": rng.standard_normal(12), "core.rnn.bias_hh_l1": rng.standard_normal(12),
     "head.weight": rng.standard_normal((2, 3)), "head.bias": rng.standard_normal(2)}
net = NumbaNet.from_state({"cell": "lstm", "hidden": 3, "layers": 2, "horizon": 2, "n_outputs": 1,
                           "layer_norm": False}, w)
st = net.streamer(loc=1.0, scale=2.0)
st.update(0.5)

@njit
def drive(W, meta, s, n):
    acc = 0.0
    for i in range(n):
        acc += K.stream_update(W, meta, s, 0.1 * i)
    return acc

drive(st._W, st._meta, st._st, 1)
a = rtsys.get_allocation_stats()
drive(st._W, st._meta, st._st, 500)
b = rtsys.get_allocation_stats()
print(b.alloc - a.alloc - 3, b.free - a.free - 3)  # the 3 array arguments of `drive` itself
"""
    env = dict(__import__("os").environ, NUMBA_NRT_STATS="1")
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["0", "0"]


def test_single_sequence_empty_batch_and_readonly_input():
    torch.manual_seed(4)
    m = torch_rnn("gru", 2, 5, 2, False, "float32")
    net = NumbaRNN("gru", as_numpy(m))
    x = torch.randn(7, 2)
    with torch.no_grad():
        ref, ref_h = m(x[None])
    out, h = net.forward(x.numpy())  # (T, I): one sequence, torch's unbatched shapes
    assert out.shape == (7, 5) and h.shape == (2, 5)
    np.testing.assert_allclose(out, ref[0].numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(h, ref_h[:, 0].numpy(), rtol=0, atol=1e-5)
    ro = np.broadcast_to(x.numpy()[None], (3, 7, 2))  # read-only view
    out3, _ = net.forward(ro)
    np.testing.assert_allclose(out3, np.broadcast_to(out, (3, 7, 5)), rtol=0, atol=0)
    out0, h0 = net.forward(np.zeros((0, 4, 2), np.float32))
    assert out0.shape == (0, 4, 5) and h0.shape == (2, 0, 5)
    with pytest.raises(ConfigError, match=r"\(B, T, 2\)"):
        net.forward(np.zeros((1, 4, 3), np.float32))


def test_streaming_several_targets():
    """Steps reading two target columns, each scaled by its own statistics; outputs in column 0's
    units."""
    net, cfg = direct_net("gru", 2, False, True, 0, n_features=2, horizon=3, n_outputs=1, seed=8)
    cfg["n_targets"] = 2
    nn = NumbaNet.from_state(cfg, as_numpy(net))
    rng = np.random.default_rng(3)
    loc, scale = np.array([10.0, -4.0]), np.array([2.0, 0.25])
    ys = loc + scale * rng.standard_normal((15, 2))
    xs = ((ys - loc) / scale).astype(np.float32)[None]
    with torch.no_grad():
        ref = net(torch.from_numpy(xs)).reshape(-1).numpy() * scale[0] + loc[0]
    st = nn.streamer(loc=loc, scale=scale)
    for y in ys:
        st.update(y)
    np.testing.assert_allclose(st.forecast().ravel(), ref, rtol=0, atol=2e-5)
    with pytest.raises(ConfigError, match="2 target"):
        st.update(1.0)


SEQ2SEQ = [
    ("lstm", "bahdanau", False, False, 1, 0),
    ("gru", "luong", True, True, 1, 2),
    ("rnn", "dot", False, True, 3, 0),
    ("lstm", "luong", True, False, 2, 3),
    ("gru", "bahdanau", True, True, 2, 2),
]


@pytest.mark.parametrize("cell,attention,bi,layer_norm,segment,embedding", SEQ2SEQ)
def test_seq2seq_matches_torch(cell, attention, bi, layer_norm, segment, embedding):
    """NumbaSeq2Seq (free running) equals Seq2SeqNet: every attention kind, bidirectional
    encoders (directions summed into the decoder), LayerNorm, segments (a last decoder step past
    the horizon) and embeddings."""
    from tsrnn.cpu.seq2seq import NumbaSeq2Seq
    from tsrnn.netconfig import NetConfig
    from tsrnn.nn.heads import Seq2SeqNet

    torch.manual_seed(5)
    F_row, K_fut, T, B, horizon, hidden = 3, 2, 4, 3, 5, 6  # "dot" needs a unidirectional encoder
    net = Seq2SeqNet(
        F_row * segment,
        K_fut,
        horizon=horizon,
        hidden=hidden,
        layers=2,
        cell=cell,
        n_outputs=3,
        attention=attention,
        bidirectional=bi,
        layer_norm=layer_norm,
        n_series=4,
        embedding=embedding,
        point=1,
        segment=segment,
    ).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    cfg = NetConfig(
        model="seq2seq",
        cell=cell,
        horizon=horizon,
        hidden=hidden,
        layers=2,
        attention=attention,
        bidirectional=bi,
        layer_norm=layer_norm,
        n_outputs=3,
        quantiles=(0.1, 0.5, 0.9),
        embedding=embedding,
        n_series=4,
        n_features=F_row,
        n_future=K_fut,
        segment=segment,
        input_len=T * segment,
    )
    x = torch.randn(B, T, F_row * segment)
    fut = torch.randn(B, horizon, K_fut)
    emb = torch.randn(B, embedding) if embedding else None
    with torch.no_grad():
        ref = net(x, fut, None, None, 0.0, embed=emb).numpy()
    got = NumbaSeq2Seq(cfg, as_numpy(net)).forward(
        x.numpy(), fut.numpy(), None if emb is None else emb.numpy()
    )
    assert got.shape == ref.shape == (B, horizon, 3)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)
