"""Fused whole-sequence recurrences: one op per layer and direction for RNN, LSTM and GRU.

NOTE [ Fused recurrences ]
A recurrent layer is split in two. The input projection of every time step is one
``linear_p`` over ``(T, B, in)`` (a single BLAS call); what is left, the recurrence proper, is
one op here that loops over time in NumPy: per step one ``(B, H) @ (H, G)`` matmul and a few
elementwise calls on ``(B, G)`` arrays, and no graph node. Composing the same thing from
registered ops would record about fifteen nodes per step.

The op's output packs, per time step, every intermediate its VJP reads (the activated gates,
the cell state, ...) beside the hidden state; the layer hands the user views of it. So the VJP
(backpropagation through time) reads the forward's values from ``ans`` and recomputes nothing.
It is written with registered ops: in a plain backward they run on arrays at NumPy speed, and
with ``create_graph=True`` they record a graph in which ``ans`` is this op's own output, so a
second derivative flows back into this same VJP as gradients on the packed intermediates.
That is why the VJP takes a gradient for every packed column, not only for the hidden state:
double backward through these ops is exact.

Layouts of the packed output ``Y`` (last axis, per time step, ``H`` = hidden size):

* ``rnn_seq``:  ``[h]``                            (``T, B, H``)
* ``lstm_seq``: ``[i, f, g, o, tanh(c), c, h]``    (``T, B, 7H``), gates activated
* ``gru_seq``:  ``[r, z, n, W_hn h + b_hn, h]``    (``T, B, 5H``), gates activated

Inputs: ``xg`` is the projected input ``(T, B, G)`` (for the LSTM and the plain RNN it holds
``x W_ih^T + b_ih``; ``b_hh`` is added inside, as PyTorch adds it), ``h0`` (and ``c0``) are
``(B, H)``, ``w_hh`` is ``(G, H)``, ``b_hh`` is ``(G,)`` or ``None``. With ``reverse=True``
the recurrence runs from the last time step to the first (the backward direction of a
bidirectional layer); outputs stay in time order, so the final state is at ``Y[0]``.
"""

from __future__ import annotations

import numpy as np

from ._registry import Op
from .elementwise import add, gt, mul, square, sub
from .linalg import _mT, matmul_p
from .shape import cat_p, getitem, reshape_p, stack_p, sum_p

_ALL = slice(None)


def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _sigmoid_(a):
    """In place: ``a <- 1 / (1 + exp(-a))`` (exp overflowing to inf gives the right limit 0)."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)
    return a


def _prev_states(ans, h0, cols, reverse):
    """``(T, B, H)``: the state each step started from (``h0`` for the first step)."""
    T = ans.shape[0]
    first = reshape_p(h0, shape=(1,) + tuple(h0.shape))
    if T == 1:
        return first
    if reverse:
        return cat_p(getitem(ans, idx=(slice(1, T), _ALL, cols)), first, axis=0)
    return cat_p(first, getitem(ans, idx=(slice(0, T - 1), _ALL, cols)), axis=0)


def _weight_grads(dpre, hprev):
    """``d w_hh`` and ``d b_hh`` from the pre-activation gradients ``(T, B, G)``."""
    T, B, G = dpre.shape
    d2 = reshape_p(dpre, shape=(T * B, G))
    dw = matmul_p(_mT(d2), reshape_p(hprev, shape=(T * B, hprev.shape[-1])))
    db = sum_p(d2, axis=(0,), keepdims=False)
    return dw, db


def _stack_time(per_step, reverse):
    """Stack per-step gradients collected in backward order into time order."""
    if not reverse:
        per_step = per_step[::-1]
    return stack_p(*per_step, axis=0)


# --------------------------------------------------------------------------- plain RNN


def _rnn_seq_fwd(xg, h0, w_hh, b_hh=None, *, nonlinearity="tanh", reverse=False):
    T, B, H = xg.shape
    dt = np.result_type(xg, h0, w_hh)
    Y = np.empty((T, B, H), dtype=dt)
    a = xg + b_hh if b_hh is not None else xg
    wT = w_hh.T
    h = h0
    for t in _steps(T, reverse):
        y = Y[t]
        np.matmul(h, wT, out=y)
        y += a[t]
        if nonlinearity == "tanh":
            np.tanh(y, out=y)
        else:
            np.maximum(y, 0, out=y)
        h = y
    return Y


def _rnn_seq_vjp(grad, ans, xg, h0, w_hh, b_hh=None, *, nonlinearity="tanh", reverse=False):
    T = ans.shape[0]
    if nonlinearity == "tanh":
        deriv = sub(1.0, square(ans))
    else:
        deriv = gt(ans, 0)  # relu'(0) = 0, as PyTorch
    dpre = []
    dh_next = None
    for t in _steps(T, not reverse):
        dh = getitem(grad, idx=(t,))
        if dh_next is not None:
            dh = add(dh, dh_next)
        da = mul(dh, getitem(deriv, idx=(t,)))
        dpre.append(da)
        dh_next = matmul_p(da, w_hh)
    dxg = _stack_time(dpre, reverse)
    dw, db = _weight_grads(dxg, _prev_states(ans, h0, _ALL, reverse))
    return [dxg, dh_next, dw, db]


rnn_seq = Op("rnn_seq", _rnn_seq_fwd, save=(1, 2), save_out=True).defvjp_all(_rnn_seq_vjp)


# --------------------------------------------------------------------------- LSTM


def _lstm_seq_fwd(xg, h0, c0, w_hh, b_hh=None, *, reverse=False):
    T, B, G = xg.shape
    H = G // 4
    dt = np.result_type(xg, h0, c0, w_hh)
    Y = np.empty((T, B, 7 * H), dtype=dt)
    a = xg + b_hh if b_hh is not None else xg
    wT = w_hh.T
    h, c = h0, c0
    with np.errstate(over="ignore"):
        for t in _steps(T, reverse):
            y = Y[t]
            gates = y[:, : 4 * H]
            np.matmul(h, wT, out=gates)
            gates += a[t]
            i, f, g, o = (y[:, k * H : (k + 1) * H] for k in range(4))
            tc, cn, hn = y[:, 4 * H : 5 * H], y[:, 5 * H : 6 * H], y[:, 6 * H :]
            tc[...] = g  # park g's pre-activation: one sigmoid call covers all four gates
            _sigmoid_(gates)
            np.tanh(tc, out=g)
            np.multiply(f, c, out=cn)
            cn += i * g
            np.tanh(cn, out=tc)
            np.multiply(o, tc, out=hn)
            h, c = hn, cn
    return Y


def _lstm_seq_vjp(grad, ans, xg, h0, c0, w_hh, b_hh=None, *, reverse=False):
    T = ans.shape[0]
    H = ans.shape[-1] // 7
    sl = [slice(k * H, (k + 1) * H) for k in range(7)]
    # derivative of each activation with respect to its pre-activation, all steps at once
    sig_if = getitem(ans, idx=(_ALL, _ALL, slice(0, 2 * H)))
    g_all = getitem(ans, idx=(_ALL, _ALL, sl[2]))
    o_all = getitem(ans, idx=(_ALL, _ALL, sl[3]))
    deriv = cat_p(
        mul(sig_if, sub(1.0, sig_if)), sub(1.0, square(g_all)), mul(o_all, sub(1.0, o_all)), axis=-1
    )
    dpre = []
    dh_next = dc_next = None
    for t in _steps(T, not reverse):
        y = getitem(ans, idx=(t,))
        gy = getitem(grad, idx=(t,))
        i, f, g, o, tc = (getitem(y, idx=(_ALL, sl[k])) for k in range(5))
        if reverse:
            c_prev = c0 if t == T - 1 else getitem(ans, idx=(t + 1, _ALL, sl[5]))
        else:
            c_prev = c0 if t == 0 else getitem(ans, idx=(t - 1, _ALL, sl[5]))
        dh = getitem(gy, idx=(_ALL, sl[6]))
        if dh_next is not None:
            dh = add(dh, dh_next)
        dtc = add(getitem(gy, idx=(_ALL, sl[4])), mul(dh, o))
        dc = add(getitem(gy, idx=(_ALL, sl[5])), mul(dtc, sub(1.0, square(tc))))
        if dc_next is not None:
            dc = add(dc, dc_next)
        dact = cat_p(mul(dc, g), mul(dc, c_prev), mul(dc, i), mul(dh, tc), axis=-1)
        dact = add(dact, getitem(gy, idx=(_ALL, slice(0, 4 * H))))
        da = mul(dact, getitem(deriv, idx=(t,)))
        dpre.append(da)
        dh_next = matmul_p(da, w_hh)
        dc_next = mul(dc, f)
    dxg = _stack_time(dpre, reverse)
    dw, db = _weight_grads(dxg, _prev_states(ans, h0, sl[6], reverse))
    return [dxg, dh_next, dc_next, dw, db]


lstm_seq = Op("lstm_seq", _lstm_seq_fwd, save=(1, 2, 3), save_out=True).defvjp_all(_lstm_seq_vjp)


# --------------------------------------------------------------------------- GRU


def _gru_seq_fwd(xg, h0, w_hh, b_hh=None, *, reverse=False):
    T, B, G = xg.shape
    H = G // 3
    dt = np.result_type(xg, h0, w_hh)
    Y = np.empty((T, B, 5 * H), dtype=dt)
    wT = w_hh.T
    hg = np.empty((B, G), dtype=dt)
    h = h0
    with np.errstate(over="ignore"):
        for t in _steps(T, reverse):
            y = Y[t]
            x = xg[t]
            np.matmul(h, wT, out=hg)
            if b_hh is not None:
                hg += b_hh
            rz = y[:, : 2 * H]
            np.add(x[:, : 2 * H], hg[:, : 2 * H], out=rz)
            _sigmoid_(rz)
            r, z = y[:, :H], y[:, H : 2 * H]
            n, hn, hnew = y[:, 2 * H : 3 * H], y[:, 3 * H : 4 * H], y[:, 4 * H :]
            hn[...] = hg[:, 2 * H :]
            np.multiply(r, hn, out=n)
            n += x[:, 2 * H :]
            np.tanh(n, out=n)
            # h' = (1 - z) * n + z * h = n + z * (h - n)
            np.subtract(h, n, out=hnew)
            hnew *= z
            hnew += n
            h = hnew
    return Y


def _gru_seq_vjp(grad, ans, xg, h0, w_hh, b_hh=None, *, reverse=False):
    T = ans.shape[0]
    H = ans.shape[-1] // 5
    sl = [slice(k * H, (k + 1) * H) for k in range(5)]
    rz_all = getitem(ans, idx=(_ALL, _ALL, slice(0, 2 * H)))
    drz_all = mul(rz_all, sub(1.0, rz_all))
    dxs, dhs = [], []
    dh_next = None
    for t in _steps(T, not reverse):
        y = getitem(ans, idx=(t,))
        gy = getitem(grad, idx=(t,))
        r, z, n, hn = (getitem(y, idx=(_ALL, sl[k])) for k in range(4))
        if reverse:
            h_prev = h0 if t == T - 1 else getitem(ans, idx=(t + 1, _ALL, sl[4]))
        else:
            h_prev = h0 if t == 0 else getitem(ans, idx=(t - 1, _ALL, sl[4]))
        dh = getitem(gy, idx=(_ALL, sl[4]))
        if dh_next is not None:
            dh = add(dh, dh_next)
        dn = add(getitem(gy, idx=(_ALL, sl[2])), sub(dh, mul(dh, z)))
        dz = add(getitem(gy, idx=(_ALL, sl[1])), mul(dh, sub(h_prev, n)))
        dan = mul(dn, sub(1.0, square(n)))
        dr = add(getitem(gy, idx=(_ALL, sl[0])), mul(dan, hn))
        dhn = add(getitem(gy, idx=(_ALL, sl[3])), mul(dan, r))
        drz = mul(cat_p(dr, dz, axis=-1), getitem(drz_all, idx=(t,)))
        dxs.append(cat_p(drz, dan, axis=-1))
        dhg = cat_p(drz, dhn, axis=-1)
        dhs.append(dhg)
        dh_next = add(mul(dh, z), matmul_p(dhg, w_hh))
    dxg = _stack_time(dxs, reverse)
    dhg_all = _stack_time(dhs, reverse)
    dw, db = _weight_grads(dhg_all, _prev_states(ans, h0, sl[4], reverse))
    return [dxg, dh_next, dw, db]


gru_seq = Op("gru_seq", _gru_seq_fwd, save=(1, 2), save_out=True).defvjp_all(_gru_seq_vjp)
