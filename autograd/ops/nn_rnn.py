"""Fused whole-sequence recurrences: one op per layer and direction for RNN, LSTM and GRU.

NOTE [ Fused recurrences ]
A recurrent layer is split in two. The input projection of every time step is one
``linear_p`` over ``(T, B, in)`` (a single BLAS call); what is left, the recurrence proper, is
one op here that loops over time in NumPy: per step one matmul with ``W_hh`` and a few
elementwise calls, and no graph node. Composing the same thing from registered ops would record
about fifteen nodes per step.

The op's output packs, per time step, every intermediate its VJP reads (the activated gates,
the cell state, ...) beside the hidden state; the layer hands the user views of it. So the VJP
(backpropagation through time) reads the forward's values from ``ans`` and recomputes nothing.

Two versions of each VJP compute the same maths:

* ``_*_bptt_np`` (a plain backward: arrays): bare NumPy with in-place updates into
  preallocated buffers, skipping the gradients of the packed intermediates when they are all
  zero (always so in a first-order backward);
* ``_*_vjp_graph`` (``create_graph=True``: Tensors): written with registered ops, so it
  records a graph in which ``ans`` is this op's own output. A second derivative then flows back
  into this same VJP as gradients on the packed intermediates, which is why the VJPs take a
  gradient for every packed plane, not only for the hidden state: double backward is exact.

The tests check that both versions give the same first-order gradients.

Layouts of the packed output (``H`` = hidden size). Each quantity is a contiguous ``(B, H)``
plane per step, because NumPy calls on column slices of a wider array run several times slower
than on contiguous blocks (measured: 3.3 us against 1.1 us for a (16, 64) multiply). The
NumPy code also avoids whole-sequence temporaries beyond the output and the gradients it
returns: on this machine the page faults of a fresh 300 KB array cost more than the extra
per-step calls (an LSTM(32, 64) forward over 20 steps: 1.6 ms with one such temporary, 0.86 ms
without):

* ``rnn_seq``:  ``(T, B, H)``, the hidden states;
* ``lstm_seq``: ``(T, 7, B, H)``, planes ``i, f, g, o, tanh(c), c, h`` (gates activated);
* ``gru_seq``:  ``(T, 5, B, H)``, planes ``r, z, n, W_hn h + b_hn, h`` (gates activated).

Inputs: ``xg`` is the projected input ``(T, B, G)`` holding ``x W_ih^T + b_ih`` with the gates
in PyTorch's order along its last axis; ``b_hh`` is added inside, where PyTorch adds it.
``h0`` (and ``c0``) are ``(B, H)``, ``w_hh`` is ``(G, H)``, ``b_hh`` is ``(G,)`` or ``None``.
With ``reverse=True`` the recurrence runs from the last time step to the first (the backward
direction of a bidirectional layer); outputs stay in time order, so its final state is at
step 0.
"""

from __future__ import annotations

import numpy as np

from ._registry import Op
from .elementwise import add_p, gt, mul, square, sub_p
from .indexing import getitem_p
from .linalg import _mT, matmul_p
from .shape import cat_p, permute_p, reshape_p, stack_p, sum_p

_ALL = slice(None)


def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev(t, T, reverse):
    """The step whose state step ``t`` starts from (``None``: the initial state)."""
    p = t + 1 if reverse else t - 1
    return None if p < 0 or p >= T else p


def _sigmoid_(a):
    """In place: ``a <- 1 / (1 + exp(-a))`` (exp overflowing to inf gives the right limit 0)."""
    np.negative(a, out=a)
    with np.errstate(over="ignore", under="ignore"):  # inf and 0 are the right limits
        np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)
    return a


def _planes_view(xg, k):
    """``(T, B, k*H)`` seen as ``(T, k, B, H)`` (a strided view, no copy)."""
    T, B, G = xg.shape
    return xg.reshape(T, B, k, G // k).transpose(0, 2, 1, 3)


def _gate_weights(w_hh, k):
    """``(k*H, H)`` -> contiguous ``(k, H, H)`` with ``h @ W[j]`` the j-th gate's term."""
    H = w_hh.shape[1]
    return np.ascontiguousarray(w_hh.reshape(k, H, H).transpose(0, 2, 1))


# --------------------------------------------------------------------------- shared backward


def _weight_grads_np(d, ans, h0, state_idx, reverse):
    """``d w_hh`` and ``d b_hh`` from the row-layout pre-activation gradients ``d``
    ``(T, B, G)``, the hidden states being ``ans[:, state_idx]``."""
    T, B, G = d.shape
    H = h0.shape[-1]
    hprev = np.empty((T, B, H), dtype=ans.dtype)
    states = ans[(_ALL,) + state_idx]
    if reverse:
        hprev[: T - 1] = states[1:]
        hprev[T - 1] = h0
    else:
        hprev[0] = h0
        hprev[1:] = states[: T - 1]
    d2 = d.reshape(T * B, G)
    return d2.T @ hprev.reshape(T * B, H), d2.sum(axis=0)


def _to_rows(dst, planes):
    """Copy planar ``(k, B, H)`` into the row-layout ``(B, k*H)`` array ``dst``."""
    k, B, H = planes.shape
    dst.reshape(B, k, H).transpose(1, 0, 2)[...] = planes


def _row_layout(dpre):
    """Graph version: planar ``(T, k, B, H)`` -> ``(T, B, k*H)``."""
    T, k, B, H = dpre.shape
    return reshape_p(permute_p(dpre, dims=(0, 2, 1, 3)), shape=(T, B, k * H))


def _weight_grads(d, ans, h0, state_idx, reverse):
    """Graph version of the weight gradients from the row-layout ``d`` ``(T, B, G)``."""
    T, B, G = d.shape
    first = reshape_p(h0, shape=(1,) + tuple(h0.shape))
    if T == 1:
        hprev = first
    elif reverse:
        hprev = stack_p(*[getitem_p(ans, idx=(t,) + state_idx) for t in range(1, T)], h0, axis=0)
    else:
        hprev = stack_p(h0, *[getitem_p(ans, idx=(t,) + state_idx) for t in range(T - 1)], axis=0)
    d2 = reshape_p(d, shape=(T * B, G))
    dw = matmul_p(_mT(d2), reshape_p(hprev, shape=(T * B, hprev.shape[-1])))
    return dw, sum_p(d2, axis=(0,), keepdims=False)


def _stack_time(per_step, reverse):
    """Stack per-step gradients collected in backward order into time order."""
    if not reverse:
        per_step = per_step[::-1]
    return stack_p(*per_step, axis=0)


def _rows(x):
    """Graph version: planar ``(k, B, H)`` -> ``(B, k*H)``, to multiply by ``w_hh``."""
    k, B, H = x.shape
    return reshape_p(permute_p(x, dims=(1, 0, 2)), shape=(B, k * H))


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


def _rnn_bptt_np(grad, ans, h0, w_hh, nonlinearity, reverse):
    # NOTE: per-step temporaries rather than whole-sequence ones: fresh large allocations
    # cost page faults that, measured here, outweigh the extra NumPy calls.
    dA = np.empty_like(ans)
    dh = None
    for t in _steps(ans.shape[0], not reverse):
        if dh is None:
            dh = grad[t]
        else:
            dh += grad[t]
        y = ans[t]
        da = dA[t]
        if nonlinearity == "tanh":
            np.multiply(y, y, out=da)
            np.subtract(1.0, da, out=da)
            da *= dh
        else:
            np.multiply(dh, y > 0, out=da)
        dh = da @ w_hh
    dw, db = _weight_grads_np(dA, ans, h0, (), reverse)
    return [dA, dh, dw, db]


def _rnn_seq_vjp_graph(grad, ans, h0, w_hh, nonlinearity, reverse):
    T = ans.shape[0]
    if nonlinearity == "tanh":
        deriv = sub_p(1.0, square(ans))
    else:
        deriv = gt(ans, 0)  # relu'(0) = 0, as PyTorch
    dpre = []
    dh_next = None
    for t in _steps(T, not reverse):
        dh = getitem_p(grad, idx=(t,))
        if dh_next is not None:
            dh = add_p(dh, dh_next)
        da = mul(dh, getitem_p(deriv, idx=(t,)))
        dpre.append(da)
        dh_next = matmul_p(da, w_hh)
    dxg = _stack_time(dpre, reverse)
    dw, db = _weight_grads(dxg, ans, h0, (), reverse)
    return [dxg, dh_next, dw, db]


def _rnn_seq_vjp(grad, ans, xg, h0, w_hh, b_hh=None, *, nonlinearity="tanh", reverse=False):
    if type(ans) is np.ndarray:
        return _rnn_bptt_np(grad, ans, h0, w_hh, nonlinearity, reverse)
    return _rnn_seq_vjp_graph(grad, ans, h0, w_hh, nonlinearity, reverse)


rnn_seq = Op("rnn_seq", _rnn_seq_fwd, save=(1, 2), save_out=True).defvjp_all(_rnn_seq_vjp)


# --------------------------------------------------------------------------- LSTM


def _lstm_seq_fwd(xg, h0, c0, w_hh, b_hh=None, *, reverse=False):
    T, B, G = xg.shape
    H = G // 4
    dt = np.result_type(xg, h0, c0, w_hh)
    Y = np.empty((T, 7, B, H), dtype=dt)
    X = _planes_view(xg, 4)
    b = b_hh.reshape(4, 1, H) if b_hh is not None else None
    W = _gate_weights(w_hh, 4)
    h, c = h0, c0
    with np.errstate(over="ignore"):
        for t in _steps(T, reverse):
            y = Y[t]
            gates = y[:4]
            np.matmul(h, W, out=gates)
            gates += X[t]
            if b is not None:
                gates += b
            i, f, g, o, tc, cn, hn = y
            tc[...] = g  # park g's pre-activation: one sigmoid call covers all four gates
            _sigmoid_(gates)
            np.tanh(tc, out=g)
            np.multiply(i, g, out=tc)
            np.multiply(f, c, out=cn)
            cn += tc
            np.tanh(cn, out=tc)
            np.multiply(o, tc, out=hn)
            h, c = hn, cn
    return Y


def _lstm_bptt_np(grad, ans, h0, c0, w_hh, reverse):
    # Per-step temporaries only (see the note in _rnn_bptt_np).
    T, _, B, H = ans.shape
    # gradients on the packed intermediates are zero in a first-order backward: skip them
    inj_gates = grad[:, :4].any()
    inj_tc = grad[:, 4].any()
    inj_c = grad[:, 5].any()
    d = np.empty((T, B, 4 * H), dtype=ans.dtype)  # row layout, as xg
    da = np.empty((4, B, H), dtype=ans.dtype)
    deriv = np.empty((4, B, H), dtype=ans.dtype)
    dh = dc_next = None
    for t in _steps(T, not reverse):
        y = ans[t]
        i, f, g, o, tc = y[:5]
        gy = grad[t]
        p = _prev(t, T, reverse)
        c_prev = c0 if p is None else ans[p, 5]
        if dh is None:
            dh = gy[6]
        else:
            dh += gy[6]
        dc = tc * tc
        np.subtract(1.0, dc, out=dc)
        dc *= o
        dc *= dh
        if inj_tc:
            dc += (1.0 - tc * tc) * gy[4]
        if inj_c:
            dc += gy[5]
        if dc_next is not None:
            dc += dc_next
        np.multiply(dc, g, out=da[0])
        np.multiply(dc, c_prev, out=da[1])
        np.multiply(dc, i, out=da[2])
        np.multiply(dh, tc, out=da[3])
        if inj_gates:
            da += gy[:4]
        # sigmoid' = s (1 - s) for i, f, o; tanh' = 1 - g^2 for g
        np.subtract(1.0, y[:4], out=deriv)
        deriv *= y[:4]
        np.multiply(g, g, out=deriv[2])
        np.subtract(1.0, deriv[2], out=deriv[2])
        da *= deriv
        _to_rows(d[t], da)
        dh = d[t] @ w_hh
        dc *= f
        dc_next = dc
    dw, db = _weight_grads_np(d, ans, h0, (6,), reverse)
    return [d, dh, dc_next, dw, db]


def _lstm_seq_vjp_graph(grad, ans, h0, c0, w_hh, reverse):
    T = ans.shape[0]
    # derivative of each activation with respect to its pre-activation, all steps at once
    sig_if = getitem_p(ans, idx=(_ALL, slice(0, 2)))
    g_all = getitem_p(ans, idx=(_ALL, slice(2, 3)))
    o_all = getitem_p(ans, idx=(_ALL, slice(3, 4)))
    deriv = cat_p(
        mul(sig_if, sub_p(1.0, sig_if)),
        sub_p(1.0, square(g_all)),
        mul(o_all, sub_p(1.0, o_all)),
        axis=1,
    )
    dpre = []
    dh_next = dc_next = None
    for t in _steps(T, not reverse):
        i, f, g, o, tc = (getitem_p(ans, idx=(t, k)) for k in range(5))
        gy = getitem_p(grad, idx=(t,))
        p = _prev(t, T, reverse)
        c_prev = c0 if p is None else getitem_p(ans, idx=(p, 5))
        dh = getitem_p(gy, idx=(6,))
        if dh_next is not None:
            dh = add_p(dh, dh_next)
        dtc = add_p(getitem_p(gy, idx=(4,)), mul(dh, o))
        dc = add_p(getitem_p(gy, idx=(5,)), mul(dtc, sub_p(1.0, square(tc))))
        if dc_next is not None:
            dc = add_p(dc, dc_next)
        dact = stack_p(mul(dc, g), mul(dc, c_prev), mul(dc, i), mul(dh, tc), axis=0)
        dact = add_p(dact, getitem_p(gy, idx=(slice(0, 4),)))
        da = mul(dact, getitem_p(deriv, idx=(t,)))
        dpre.append(da)
        dh_next = matmul_p(_rows(da), w_hh)
        dc_next = mul(dc, f)
    dxg = _row_layout(_stack_time(dpre, reverse))
    dw, db = _weight_grads(dxg, ans, h0, (6,), reverse)
    return [dxg, dh_next, dc_next, dw, db]


def _lstm_seq_vjp(grad, ans, xg, h0, c0, w_hh, b_hh=None, *, reverse=False):
    if type(ans) is np.ndarray:
        return _lstm_bptt_np(grad, ans, h0, c0, w_hh, reverse)
    return _lstm_seq_vjp_graph(grad, ans, h0, c0, w_hh, reverse)


lstm_seq = Op("lstm_seq", _lstm_seq_fwd, save=(1, 2, 3), save_out=True).defvjp_all(_lstm_seq_vjp)


# --------------------------------------------------------------------------- GRU


def _gru_seq_fwd(xg, h0, w_hh, b_hh=None, *, reverse=False):
    T, B, G = xg.shape
    H = G // 3
    dt = np.result_type(xg, h0, w_hh)
    Y = np.empty((T, 5, B, H), dtype=dt)
    X = _planes_view(xg, 3)
    W = _gate_weights(w_hh, 3)
    bh = b_hh.reshape(3, 1, H) if b_hh is not None else None
    hg = np.empty((3, B, H), dtype=dt)
    h = h0
    with np.errstate(over="ignore"):
        for t in _steps(T, reverse):
            y = Y[t]
            x = X[t]
            np.matmul(h, W, out=hg)
            if bh is not None:
                hg += bh
            r, z, n, hn, hnew = y
            np.add(x[:2], hg[:2], out=y[:2])
            _sigmoid_(y[:2])
            hn[...] = hg[2]
            np.multiply(r, hn, out=n)
            n += x[2]
            np.tanh(n, out=n)
            # h' = (1 - z) * n + z * h = n + z * (h - n)
            np.subtract(h, n, out=hnew)
            hnew *= z
            hnew += n
            h = hnew
    return Y


def _gru_bptt_np(grad, ans, h0, w_hh, reverse):
    # Per-step temporaries only (see the note in _rnn_bptt_np).
    T, _, B, H = ans.shape
    inj = grad[:, :4].any()  # zero in a first-order backward
    dX = np.empty((T, B, 3 * H), dtype=ans.dtype)  # row layout, as xg
    dHG = np.empty((T, B, 3 * H), dtype=ans.dtype)
    dx = np.empty((3, B, H), dtype=ans.dtype)
    dhn = np.empty((B, H), dtype=ans.dtype)
    dh = None
    for t in _steps(T, not reverse):
        y = ans[t]
        r, z, n, hn = y[:4]
        gy = grad[t]
        p = _prev(t, T, reverse)
        h_prev = h0 if p is None else ans[p, 4]
        if dh is None:
            dh = gy[4]
        else:
            dh += gy[4]
        dr, dz, dan = dx
        dhz = dh * z
        np.subtract(dh, dhz, out=dan)  # d n = dh * (1 - z)
        np.subtract(h_prev, n, out=dz)
        dz *= dh
        if inj:
            dan += gy[2]
            dz += gy[1]
        dan *= 1.0 - n * n
        np.multiply(dan, hn, out=dr)
        if inj:
            dr += gy[0]
        rz = y[:2]
        dx[:2] *= rz
        dx[:2] *= 1.0 - rz
        _to_rows(dX[t], dx)
        np.multiply(dan, r, out=dhn)
        if inj:
            dhn += gy[3]
        dHG[t, :, : 2 * H] = dX[t, :, : 2 * H]
        dHG[t, :, 2 * H :] = dhn
        dh = dHG[t] @ w_hh
        dh += dhz
    dw, db = _weight_grads_np(dHG, ans, h0, (4,), reverse)
    return [dX, dh, dw, db]


def _gru_seq_vjp_graph(grad, ans, h0, w_hh, reverse):
    T = ans.shape[0]
    rz_all = getitem_p(ans, idx=(_ALL, slice(0, 2)))
    drz_all = mul(rz_all, sub_p(1.0, rz_all))
    dxs, dhs = [], []
    dh_next = None
    for t in _steps(T, not reverse):
        r, z, n, hn = (getitem_p(ans, idx=(t, k)) for k in range(4))
        gy = getitem_p(grad, idx=(t,))
        p = _prev(t, T, reverse)
        h_prev = h0 if p is None else getitem_p(ans, idx=(p, 4))
        dh = getitem_p(gy, idx=(4,))
        if dh_next is not None:
            dh = add_p(dh, dh_next)
        dn = add_p(getitem_p(gy, idx=(2,)), sub_p(dh, mul(dh, z)))
        dz = add_p(getitem_p(gy, idx=(1,)), mul(dh, sub_p(h_prev, n)))
        dan = mul(dn, sub_p(1.0, square(n)))
        dr = add_p(getitem_p(gy, idx=(0,)), mul(dan, hn))
        dhn = add_p(getitem_p(gy, idx=(3,)), mul(dan, r))
        drz = mul(stack_p(dr, dz, axis=0), getitem_p(drz_all, idx=(t,)))
        dr, dz = getitem_p(drz, idx=(0,)), getitem_p(drz, idx=(1,))
        dxs.append(stack_p(dr, dz, dan, axis=0))
        dhg = stack_p(dr, dz, dhn, axis=0)
        dhs.append(dhg)
        dh_next = add_p(mul(dh, z), matmul_p(_rows(dhg), w_hh))
    dxg = _row_layout(_stack_time(dxs, reverse))
    dhg_all = _row_layout(_stack_time(dhs, reverse))
    dw, db = _weight_grads(dhg_all, ans, h0, (4,), reverse)
    return [dxg, dh_next, dw, db]


def _gru_seq_vjp(grad, ans, xg, h0, w_hh, b_hh=None, *, reverse=False):
    if type(ans) is np.ndarray:
        return _gru_bptt_np(grad, ans, h0, w_hh, reverse)
    return _gru_seq_vjp_graph(grad, ans, h0, w_hh, reverse)


gru_seq = Op("gru_seq", _gru_seq_fwd, save=(1, 2), save_out=True).defvjp_all(_gru_seq_vjp)
