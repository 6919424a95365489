"""RecurrentCore: shapes, weight names, packing and `last` against direct computation."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tsrnn.errors import ConfigError  # noqa: E402
from tsrnn.nn.core import RecurrentCore  # noqa: E402


@pytest.mark.parametrize("cell", ["rnn", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes_and_weight_names(cell, bidirectional):
    torch.manual_seed(0)
    core = RecurrentCore(3, 5, layers=2, cell=cell, bidirectional=bidirectional, layer_norm=True)
    x = torch.randn(4, 7, 3)
    out, state = core(x)
    dirs = 2 if bidirectional else 1
    assert out.shape == (4, 7, 5 * dirs) and core.out_size == 5 * dirs
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2 * dirs, 4, 5)
    keys = set(core.state_dict())
    assert "rnn.weight_ih_l0" in keys and "rnn.weight_hh_l1" in keys
    assert ("rnn.weight_hh_l0_reverse" in keys) == bidirectional
    gates = {"lstm": 4, "gru": 3}.get(cell, 1)
    assert core.state_dict()["rnn.weight_ih_l0"].shape == (gates * 5, 3)
    assert core.last(out).shape == (4, 5 * dirs)


def test_relu_cell_is_relu():
    core = RecurrentCore(2, 4, cell="rnn_relu")
    out, _ = core(torch.randn(3, 6, 2))
    assert (out >= 0).all() and core.rnn.nonlinearity == "relu"


def test_lengths_match_unpadded_runs():
    torch.manual_seed(1)
    core = RecurrentCore(2, 3, layers=1, cell="gru", bidirectional=True).eval()
    x = torch.randn(3, 6, 2)
    lengths = torch.tensor([6, 2, 4])
    out, _ = core(x, lengths=lengths)
    last = core.last(out, lengths)
    for b, n in enumerate(lengths.tolist()):
        ref, _ = core(x[b : b + 1, :n])
        torch.testing.assert_close(out[b, :n], ref[0], rtol=1e-5, atol=1e-6)
        assert torch.all(out[b, n:] == 0)
        # forward half at the last valid step, backward half at step 0
        torch.testing.assert_close(
            last[b], torch.cat([ref[0, n - 1, :3], ref[0, 0, 3:]]), rtol=1e-5, atol=1e-6
        )


def test_bad_cell():
    with pytest.raises(ConfigError, match="cell 'tcn'"):
        RecurrentCore(1, 2, cell="tcn")
