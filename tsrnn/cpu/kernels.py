"""numba kernels for RNN (tanh / relu), LSTM and GRU stacks, sharing torch's semantics.

Cells (torch.nn.RNN / LSTM / GRU; ``x`` the step input, ``h`` the previous hidden state):

- rnn:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)       (rnn_relu: relu instead of tanh)
- lstm: gates i, f, g, o (in that order) = W_ih x + b_ih + W_hh h + b_hh;
        c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c')
- gru:  gates r, z, n; r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise,
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) n + z h

Weights come packed by `tsrnn.cpu.layout.pack_stack`: one flat array ``W`` (float32 or float64)
holding, for every (layer, direction), W_ih transposed (I, G*H), W_hh transposed (H, G*H), b_ih
(G*H,) and b_hh (G*H,) — the gate blocks keep torch's order, so row k of a transposed matrix is
the contiguous gate vector that input (or hidden) unit k adds to, and the inner loop vectorises.
``lay`` (L*D, 5) int64 gives, per (layer, direction) = l*D + d, the offsets of those four blocks
and the block's input size.

float32 uses a rational tanh (Eigen's coefficients, |error| < 3e-7) and σ(x) = (1 + tanh(x/2))/2,
which vectorise; float64 uses libm's tanh / exp. Accumulation is in the weights' dtype.
Every kernel is ``@njit(cache=CACHE)``; nothing compiles until a kernel is first called. The
on-disk cache lives in a user folder (tsrnn._cache: $NUMBA_CACHE_DIR, else
~/.cache/tsrnn/numba), never in the installed package; CACHE is False (kernels compile in memory
on every run) when that folder is not writable.
"""

from __future__ import annotations

import math

import numpy as np

from tsrnn._cache import numba_cache

CACHE = numba_cache()  # before numba is imported: numba reads NUMBA_CACHE_DIR on import

from numba import njit, prange, types  # noqa: E402
from numba.extending import overload  # noqa: E402

RNN_TANH, RNN_RELU, LSTM, GRU = 0, 1, 2, 3
CELL_CODES = {"rnn": RNN_TANH, "rnn_relu": RNN_RELU, "lstm": LSTM, "gru": GRU}
GATES = {RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3}

# Sequences processed together by one thread in `run_stack`: each weight row loaded from cache
# serves this many sequences.
BLOCK = 8

_FM = {"contract"}  # allow fused multiply-add, nothing that changes results beyond rounding
# error_model="numpy": a float division never raises, so the loops that divide can vectorise.
_JIT = {"cache": CACHE, "fastmath": _FM, "error_model": "numpy"}


def tanh_(x):  # pragma: no cover - replaced by the overload inside jitted code
    return math.tanh(x)


def sigmoid_(x):  # pragma: no cover - replaced by the overload inside jitted code
    return 1.0 / (1.0 + math.exp(-x))


@overload(tanh_, jit_options={"fastmath": _FM, "error_model": "numpy"})
def _ol_tanh(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:

        def impl(x):
            # Eigen's generic_fast_tanh_float: rational approximation on the clamped range.
            v = min(max(x, np.float32(-7.90531110763549805)), np.float32(7.90531110763549805))
            v2 = v * v
            p = v2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
            p = v2 * p + np.float32(-8.60467152213735e-11)
            p = v2 * p + np.float32(5.12229709037114e-08)
            p = v2 * p + np.float32(1.48572235717979e-05)
            p = v2 * p + np.float32(6.37261928875436e-04)
            p = v2 * p + np.float32(4.89352455891786e-03)
            p = v * p
            q = v2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
            q = v2 * q + np.float32(2.26843463243900e-03)
            q = v2 * q + np.float32(4.89352518554385e-03)
            return p / q

        return impl

    def impl(x):
        return math.tanh(x)

    return impl


@overload(sigmoid_, jit_options={"fastmath": _FM, "error_model": "numpy"})
def _ol_sigmoid(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:

        def impl(x):
            return np.float32(0.5) + np.float32(0.5) * tanh_(np.float32(0.5) * x)

        return impl

    def impl(x):
        return 1.0 / (1.0 + math.exp(-x))

    return impl


@njit(**_JIT)
def _project(W, o_w, o_b, n_in, GH, src, nb, zz):
    """zz[b, :] = b + src[b, :] @ Wᵀ for b < nb. src (nb, n_in); W block at o_w is (n_in, GH).

    Four input rows per pass: each load and store of zz serves four multiply-adds.
    """
    # offsets are >= 0; saying so lets LLVM drop numba's negative-index wraparound and vectorise
    o_w = max(o_w, 0)
    o_b = max(o_b, 0)
    for b in range(nb):
        for j in range(GH):
            zz[b, j] = W[o_b + j]
    k4 = n_in - n_in % 4
    for k in range(0, k4, 4):
        o0 = o_w + k * GH
        o1, o2, o3 = o0 + GH, o0 + 2 * GH, o0 + 3 * GH
        for b in range(nb):
            v0, v1, v2, v3 = src[b, k], src[b, k + 1], src[b, k + 2], src[b, k + 3]
            for j in range(GH):
                zz[b, j] += v0 * W[o0 + j] + v1 * W[o1 + j] + v2 * W[o2 + j] + v3 * W[o3 + j]
    for k in range(k4, n_in):
        o = o_w + k * GH
        for b in range(nb):
            v = src[b, k]
            for j in range(GH):
                zz[b, j] += v * W[o + j]


@njit(**_JIT)
def _project_flat(W, o_w, bias, o_b, src, o_s, n_in, GH, zz, o_z):
    """zz[o_z : o_z+GH] = bias[o_b : o_b+GH] + src[o_s : o_s+n_in] @ Wᵀ
    (W block at o_w: (n_in, GH)).
    All 1-D arrays of one dtype (the streaming state and the weights)."""
    o_w, o_b, o_s, o_z = max(o_w, 0), max(o_b, 0), max(o_s, 0), max(o_z, 0)
    for j in range(GH):
        zz[o_z + j] = bias[o_b + j]
    k4 = n_in - n_in % 4
    for k in range(0, k4, 4):
        o0 = o_w + k * GH
        o1, o2, o3 = o0 + GH, o0 + 2 * GH, o0 + 3 * GH
        v0, v1, v2, v3 = src[o_s + k], src[o_s + k + 1], src[o_s + k + 2], src[o_s + k + 3]
        for j in range(GH):
            zz[o_z + j] += v0 * W[o0 + j] + v1 * W[o1 + j] + v2 * W[o2 + j] + v3 * W[o3 + j]
    for k in range(k4, n_in):
        o = o_w + k * GH
        v = src[o_s + k]
        for j in range(GH):
            zz[o_z + j] += v * W[o + j]


@njit(**_JIT)
def _cell_update(cell, H, zx, zh, h, c, nb):
    """Apply the cell's gates: zx = W_ih x + b_ih, zh = W_hh h + b_hh (nb, G*H);
    update h, c (nb, H)."""
    one = h.dtype.type(1)
    zero = h.dtype.type(0)
    if cell == LSTM:
        for b in range(nb):
            for j in range(H):
                ig = sigmoid_(zx[b, j] + zh[b, j])
                fg = sigmoid_(zx[b, H + j] + zh[b, H + j])
                gg = tanh_(zx[b, 2 * H + j] + zh[b, 2 * H + j])
                og = sigmoid_(zx[b, 3 * H + j] + zh[b, 3 * H + j])
                cn = fg * c[b, j] + ig * gg
                c[b, j] = cn
                h[b, j] = og * tanh_(cn)
    elif cell == GRU:
        for b in range(nb):
            for j in range(H):
                r = sigmoid_(zx[b, j] + zh[b, j])
                z = sigmoid_(zx[b, H + j] + zh[b, H + j])
                n = tanh_(zx[b, 2 * H + j] + r * zh[b, 2 * H + j])
                h[b, j] = (one - z) * n + z * h[b, j]
    elif cell == RNN_RELU:
        for b in range(nb):
            for j in range(H):
                a = zx[b, j] + zh[b, j]
                h[b, j] = a if a > 0 else zero
    else:
        for b in range(nb):
            for j in range(H):
                h[b, j] = tanh_(zx[b, j] + zh[b, j])


@njit(**_JIT)
def _run_direction(
    inp,
    b_in,
    W,
    o_ih,
    o_hh,
    o_bih,
    o_bhh,
    n_in,
    cell,
    H,
    G,
    reverse,
    h,
    c,
    dst,
    b_dst,
    col,
    zx,
    zh,
    src,
):
    """Run one direction of one layer over a block of nb = h.shape[0] sequences.

    inp[b_in + b, t, :n_in] is sequence b's input at step t; h, c (nb, H): initial state, updated
    in place to the final one; h_t goes to dst[b_dst + b, t, col : col+H]. zx, zh (nb, G*H) and
    src (nb, >= n_in) are scratch.
    """
    nb, T = h.shape[0], inp.shape[1]
    GH = G * H
    for s in range(T):
        t = T - 1 - s if reverse else s
        for b in range(nb):
            for i in range(n_in):
                src[b, i] = inp[b_in + b, t, i]
        _project(W, o_ih, o_bih, n_in, GH, src, nb, zx)
        _project(W, o_hh, o_bhh, H, GH, h, nb, zh)
        _cell_update(cell, H, zx, zh, h, c, nb)
        for b in range(nb):
            for j in range(H):
                dst[b_dst + b, t, col + j] = h[b, j]


@njit(**_JIT)
def _run_block(x, b0, nb, W, lay, cell, H, L, D, G, h0, c0, out, hn, cn):
    """Run the whole stack over sequences b0 .. b0+nb-1 of x (B, T, I0)."""
    T = x.shape[1]
    GH = G * H
    dt = x.dtype
    # the inner layers' outputs for this block, alternating between two buffers: (nb, T, D*H)
    bufs = np.empty((2, nb, T, D * H), dt)
    zx = np.empty((nb, GH), dt)
    zh = np.empty((nb, GH), dt)
    h = np.empty((nb, H), dt)
    c = np.empty((nb, H), dt)
    src = np.empty((nb, max(x.shape[2], D * H)), dt)
    for layer in range(L):
        for d in range(D):
            k = layer * D + d
            for b in range(nb):
                for j in range(H):
                    h[b, j] = h0[k, b0 + b, j]
                    c[b, j] = c0[k, b0 + b, j]
            a = (lay[k, 0], lay[k, 1], lay[k, 2], lay[k, 3], lay[k, 4], cell, H, G, d == 1, h, c)
            if layer == 0 and layer == L - 1:
                _run_direction(x, b0, W, *a, out, b0, d * H, zx, zh, src)
            elif layer == 0:
                _run_direction(x, b0, W, *a, bufs[0], 0, d * H, zx, zh, src)
            elif layer == L - 1:
                _run_direction(bufs[(layer - 1) % 2], 0, W, *a, out, b0, d * H, zx, zh, src)
            else:
                _run_direction(
                    bufs[(layer - 1) % 2], 0, W, *a, bufs[layer % 2], 0, d * H, zx, zh, src
                )
            for b in range(nb):
                for j in range(H):
                    hn[k, b0 + b, j] = h[b, j]
                    cn[k, b0 + b, j] = c[b, j]


@njit(parallel=True, **_JIT)
def run_stack(x, W, lay, cell, H, L, D, h0, c0, out, hn, cn):
    """Run a packed stack over a batch of sequences, in parallel over blocks of sequences.

    x: (B, T, I0); W: packed weights; lay: (L*D, 5) layout; cell: cell code; H hidden size;
    L layers; D directions (1 or 2); h0, c0: (L*D, B, H) initial states (c0 ignored except LSTM).
    Writes out (B, T, D*H) (last layer, direction d in columns d*H:(d+1)*H), hn and cn (L*D, B, H).
    """
    B = x.shape[0]
    G = 4 if cell == LSTM else (3 if cell == GRU else 1)
    nblocks = (B + BLOCK - 1) // BLOCK
    for blk in prange(nblocks):
        b0 = blk * BLOCK
        nb = min(BLOCK, B - b0)
        _run_block(x, b0, nb, W, lay, cell, H, L, D, G, h0, c0, out, hn, cn)


# --- streaming -------------------------------------------------------------------------------
# A streamer keeps everything one step needs in three arrays (W, shared by every streamer of a
# net, meta and st), so an update is a single call:
#   meta (int64): M_* header (sizes, then offsets into W and st; M_POINT: where in st the value
#                 `update` returns lies), then lay (L, 5) flattened (layer 0's input size counts
#                 only the features fed per step: the embedding is folded into bias0)
#   st (float):   h (L, H) | c (L, H) | zx (G*H) | zh (G*H) | x (I0) | feat (H) | out (n_out)
#                 | bias0 (G*H) | loc_in, scale_in (n_y) | loc_out, scale_out (n_out)
M_CELL, M_H, M_L, M_NY, M_NIN, M_NOUT, M_NORM, M_HEADW, M_HEADB, M_NORMW, M_NORMB = range(11)
M_ST_H, M_ST_C, M_ST_ZX, M_ST_ZH, M_ST_X, M_ST_FEAT, M_ST_OUT, M_ST_B0 = range(11, 19)
M_ST_LOCIN, M_ST_SCIN, M_ST_LOCOUT, M_ST_SCOUT, M_POINT = range(19, 24)
M_LAY = 24  # start of the (L, 5) layout


@njit(**_JIT)
def _stream_rows(W, meta, st, eps):
    """One step of every layer from st's input x, then LayerNorm (optional) and the head."""
    # every offset is clamped at 0: knowing it is not negative lets LLVM drop numba's
    # negative-index wraparound from the loops below, which then vectorise
    cell, H, L = meta[M_CELL], max(meta[M_H], 0), meta[M_L]
    G = 4 if cell == LSTM else (3 if cell == GRU else 1)
    GH = G * H
    one = st.dtype.type(1)
    zero = st.dtype.type(0)
    ozx, ozh = max(meta[M_ST_ZX], 0), max(meta[M_ST_ZH], 0)
    for layer in range(L):
        base = M_LAY + 5 * layer
        o_ih, o_hh = max(meta[base], 0), max(meta[base + 1], 0)
        o_bih, o_bhh, n_in = max(meta[base + 2], 0), max(meta[base + 3], 0), meta[base + 4]
        oh = max(meta[M_ST_H], 0) + layer * H
        oc = max(meta[M_ST_C], 0) + layer * H
        # layer 0 reads x with the stream's own bias (b_ih plus the folded-in embedding);
        # deeper layers read the previous layer's new h with b_ih
        if layer == 0:
            _project_flat(W, o_ih, st, meta[M_ST_B0], st, meta[M_ST_X], n_in, GH, st, ozx)
        else:
            _project_flat(W, o_ih, W, o_bih, st, oh - H, n_in, GH, st, ozx)
        _project_flat(W, o_hh, W, o_bhh, st, oh, H, GH, st, ozh)
        if cell == LSTM:
            for j in range(H):
                ig = sigmoid_(st[ozx + j] + st[ozh + j])
                fg = sigmoid_(st[ozx + H + j] + st[ozh + H + j])
                gg = tanh_(st[ozx + 2 * H + j] + st[ozh + 2 * H + j])
                og = sigmoid_(st[ozx + 3 * H + j] + st[ozh + 3 * H + j])
                cn = fg * st[oc + j] + ig * gg
                st[oc + j] = cn
                st[oh + j] = og * tanh_(cn)
        elif cell == GRU:
            for j in range(H):
                r = sigmoid_(st[ozx + j] + st[ozh + j])
                z = sigmoid_(st[ozx + H + j] + st[ozh + H + j])
                n = tanh_(st[ozx + 2 * H + j] + r * st[ozh + 2 * H + j])
                st[oh + j] = (one - z) * n + z * st[oh + j]
        elif cell == RNN_RELU:
            for j in range(H):
                a = st[ozx + j] + st[ozh + j]
                st[oh + j] = a if a > 0 else zero
        else:
            for j in range(H):
                st[oh + j] = tanh_(st[ozx + j] + st[ozh + j])
    # final features: last layer's h, LayerNorm'd if the network has one
    oh = max(meta[M_ST_H], 0) + (L - 1) * H
    of = max(meta[M_ST_FEAT], 0)
    if meta[M_NORM]:
        m = 0.0
        for j in range(H):
            m += st[oh + j]
        m /= H
        var = 0.0
        for j in range(H):
            dlt = st[oh + j] - m
            var += dlt * dlt
        inv = 1.0 / math.sqrt(var / H + eps)
        onw, onb = max(meta[M_NORMW], 0), max(meta[M_NORMB], 0)
        for j in range(H):
            st[of + j] = (st[oh + j] - m) * inv * W[onw + j] + W[onb + j]
    else:
        for j in range(H):
            st[of + j] = st[oh + j]
    # head: out = head_w @ feat + head_b (head_w stored transposed, (H, n_out)), inverse scaling
    n_out = max(meta[M_NOUT], 0)
    ow, ob, oo = max(meta[M_HEADW], 0), max(meta[M_HEADB], 0), max(meta[M_ST_OUT], 0)
    olo, osc = max(meta[M_ST_LOCOUT], 0), max(meta[M_ST_SCOUT], 0)
    for r in range(n_out):
        st[oo + r] = W[ob + r]
    for j in range(H):
        v = st[of + j]
        o = ow + j * n_out
        for r in range(n_out):
            st[oo + r] += v * W[o + r]
    for r in range(n_out):
        st[oo + r] = st[oo + r] * st[osc + r] + st[olo + r]


@njit(**_JIT)
def stream_update(W, meta, st, y):
    """Feed one new value y (a float): the stream's (first) target.

    Scales y with the stream's loc/scale into the step row x in st (whose other entries, if the
    step reads more, the caller has written), runs one step of every layer, the LayerNorm
    (optional), the head and the inverse scaling; returns st[meta[M_POINT]] (the next step's
    forecast) and leaves the whole forecast (n_out,) in st at meta[M_ST_OUT].
    """
    ox = meta[M_ST_X]
    st[ox] = (y - st[meta[M_ST_LOCIN]]) / st[meta[M_ST_SCIN]]
    _stream_rows(W, meta, st, 1e-5)
    return st[meta[M_POINT]]
