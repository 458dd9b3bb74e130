"""The numerics of a check: analytic gradients by backward, numeric ones by central
differences, and the second opinions consulted before an entry is called a failure.

NOTE [ What is compared ]
A target's outputs are measured as a vector ``m`` of ``P`` numbers:

- ``project`` (the default): ``P = 1``, ``m = sum_k <v_k, out_k>`` with fixed random ``v_k``
  (every output element matters; one backward gives the analytic gradient of ``m``);
- ``jacobian``: ``m`` is every output element (``P`` = output size, one backward per element:
  the full Jacobian, as ``autograd.gradcheck`` compares it);
- ``reduce``: ``m = reduction(output)``, the user's scalar.

The exact mode perturbs each leaf element by ``+-eps`` (2 forwards per element). The fast mode
compares, per leaf, the directional derivative along a few random unit directions ``u``
(``<grad, u>`` from the same backward against ``(m(x + eps u) - m(x - eps u)) / 2 eps``: 2
forwards per direction whatever the leaf's size) and falls back to the exact mode on a leaf
that fails, to locate the element.

NOTE [ Second opinions ]
An entry with ``|analytic - numeric| > atol + rtol * |numeric|`` is not yet a failure:

1. *Kink.* The one-sided differences ``(m(x) - m(x - h)) / h`` and ``(m(x + h) - m(x)) / h``
   come free with the central difference. When they differ markedly (by more than ten
   tolerances) the function is not differentiable within ``h`` of the point; the entry passes
   if the analytic value lies between them (a valid subgradient) and is reported as a kink.
2. *Finite-difference error.* Otherwise a more accurate estimate is computed: the complex step
   ``Im m(x + i h) / h`` when the user declared the function analytic and its forward runs on
   complex128 arrays (every op's NumPy forward, no op casting the imaginary part away), else
   Richardson extrapolation of central differences at ``h`` and ``h / 2`` with a larger ``h``
   (error ``O(h^4)``). If the analytic value agrees with it, the mismatch was the finite
   difference's error and the entry passes with a note; otherwise the failure is confirmed.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..engine import grad as _grad
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from ._report import Mismatch
from ._target import float_outputs


class Measure:
    """Turns a forward's raw result into the vector ``m`` (see NOTE [ What is compared ])."""

    def __init__(self, kind: str, reduction=None, seed: int = 0) -> None:
        self.kind = kind
        self.reduction = reduction
        self.seed = seed
        self.vs = None  # projection arrays, one per float output, made on first use

    def projections(self, outs) -> list:
        """The projection tensors, drawn on first use. Output elements that are not finite
        there (e.g. -inf from a pooling window that is all padding) get weight 0: they have
        no derivative to check, and would make the projected sum inf or NaN."""
        if self.vs is None:
            rng = np.random.default_rng(self.seed)
            self.vs = [
                np.where(np.isfinite(o._data), rng.standard_normal(o._data.shape), 0.0)
                for o in outs
            ]
        return self.vs

    def __call__(self, raw) -> np.ndarray:
        if self.kind == "reduce":
            r = self.reduction(raw)
            if not isinstance(r, Tensor) or r.numel() != 1:
                raise ValueError(
                    "check: reduction must return a Tensor with one element, got "
                    f"{type(r).__name__}"
                    + (f" of shape {tuple(r.shape)}" if isinstance(r, Tensor) else "")
                )
            return np.asarray(r._data).reshape(1)
        outs = float_outputs(raw, "fc")
        if self.kind == "jacobian":
            if not outs:
                return np.zeros(0)
            return np.concatenate([np.asarray(o._data).reshape(-1) for o in outs])
        vs = self.projections(outs)
        if len(vs) != len(outs):
            raise RuntimeError("check: the number of floating outputs changed between calls")
        with np.errstate(invalid="ignore"):
            return np.array(
                [sum(np.sum(np.where(v != 0, v * o._data, 0)) for v, o in zip(vs, outs))]
            )


def _diff(a, b):
    """``a - b``, with 0 where the two are equal (an output that stays at +-inf does not move:
    its derivative is 0, not NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(a == b, 0.0, a - b)


def evaluate(target, measure) -> np.ndarray:
    with no_grad():
        return measure(target.forward())


def analytic(target, measure, p_size: int) -> list:
    """For each leaf, its analytic gradient of ``m``: an array (numel, P)."""
    leaves = target.leaves
    res = [np.zeros((x._data.size, p_size)) for x in leaves]
    with enable_grad():
        raw = target.forward()
        if measure.kind == "reduce":
            r = measure.reduction(raw)
            roots = [r] if r.requires_grad else []
            gos = [[np.ones_like(r._data)]]
        else:
            outs = float_outputs(raw)
            if measure.kind == "project":
                vs = measure.projections(outs)
                roots = [o for o in outs if o.requires_grad]
                gos = [[v.astype(o._data.dtype) for v, o in zip(vs, outs) if o.requires_grad]]
            else:
                roots = [o for o in outs if o.requires_grad]
                gos = []
                col = 0
                for o in outs:
                    for j in range(o._data.size):
                        g = [np.zeros(r._data.shape, r._data.dtype) for r in roots]
                        if o.requires_grad:
                            k = next(i for i, r in enumerate(roots) if r is o)
                            g[k].reshape(-1)[j] = 1.0
                            gos.append((col, g))
                        col += 1
    if not roots:
        return res
    if measure.kind == "jacobian":
        for n, (col, g) in enumerate(gos):
            gs = _grad(
                roots,
                leaves,
                grad_outputs=[Tensor._wrap(a) for a in g],
                retain_graph=n < len(gos) - 1,
                allow_unused=True,
            )
            for r, gi in zip(res, gs):
                if gi is not None:
                    r[:, col] = gi._data.reshape(-1)
        return res
    gs = _grad(roots, leaves, grad_outputs=[Tensor._wrap(a) for a in gos[0]], allow_unused=True)
    for r, gi in zip(res, gs):
        if gi is not None:
            r[:, 0] = gi._data.reshape(-1)
    return res


def _at(target, measure, leaf, k, value):
    """``m`` with element ``k`` of ``leaf`` set to ``value``, and the value actually stored."""
    flat = leaf._data.reshape(-1)
    orig = flat[k]
    flat[k] = value
    stored = flat[k]
    try:
        return evaluate(target, measure), stored
    finally:
        flat[k] = orig


def exact_leaf(target, measure, leaf, eps):
    """Central differences for every element of ``leaf``: (numeric, plus, minus, steps)."""
    flat = leaf._data.reshape(-1)
    if not np.shares_memory(flat, leaf._data):
        raise RuntimeError("check: a checked tensor is not contiguous")
    n = flat.size
    plus = minus = None
    hp = np.empty(n)
    hm = np.empty(n)
    for k in range(n):
        x = flat[k]
        mp, sp = _at(target, measure, leaf, k, x + eps)
        mm, sm = _at(target, measure, leaf, k, x - eps)
        if plus is None:
            plus = np.empty((n, mp.size), dtype=mp.dtype)
            minus = np.empty((n, mp.size), dtype=mp.dtype)
        plus[k] = mp
        minus[k] = mm
        hp[k] = sp - x
        hm[k] = x - sm
    if plus is None:
        return None
    num = _diff(plus, minus) / (hp + hm)[:, None]
    return num, plus, minus, hp, hm


def directional(target, measure, leaf, u, eps):
    """Central difference of ``m`` along direction ``u`` (same shape as the leaf, unit norm)."""
    orig = leaf._data.copy()
    try:
        leaf._data[...] = orig + eps * u
        mp = evaluate(target, measure)
        leaf._data[...] = orig - eps * u
        mm = evaluate(target, measure)
    finally:
        leaf._data[...] = orig
    return _diff(mp, mm) / (2 * eps)


def complex_step(target, measure, leaf, k, h=1e-20):
    """``Im m(x + i h e_k) / h``, or None when the forward cannot run on complex numbers."""
    orig = leaf._data
    z = orig.astype(np.complex128)
    z.reshape(-1)[k] += 1j * h
    leaf._data = z
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            with no_grad():
                raw = target.forward()
                outs = float_outputs(raw, "fc")
                if measure.kind != "reduce" and any(o._data.dtype.kind != "c" for o in outs):
                    return None
                m = measure(raw)
        if m.dtype.kind != "c":
            return None
        return m.imag / h
    except Exception:  # an op without a complex forward: fall back to Richardson
        return None
    finally:
        leaf._data = orig


def richardson(target, measure, leaf, k, h):
    """Richardson extrapolation of central differences at ``h`` and ``h / 2``."""
    x = leaf._data.reshape(-1)[k]

    def central(step):
        mp, sp = _at(target, measure, leaf, k, x + step)
        mm, sm = _at(target, measure, leaf, k, x - step)
        return _diff(mp, mm) / (sp - sm)

    d1 = central(h)
    d2 = central(h / 2)
    return (4 * d2 - d1) / 3


def _tol(atol, rtol, ref):
    return atol + rtol * np.abs(ref)


def compare_leaf(
    target,
    measure,
    li,
    ana,
    fd,
    *,
    atol,
    rtol,
    kinks,
    analytic_fn,
    max_confirm,
    notes,
    what="gradient",
):
    """Entries of leaf ``li`` that fail after the second opinions: (mismatches, n_failing)."""
    leaf = target.leaves[li]
    name = target.names[li]
    num, plus, minus, hp, hm = fd
    bad = ~(np.abs(ana - num) <= _tol(atol, rtol, num))  # NaN counts as bad
    if not bad.any():
        return [], 0
    base = evaluate(target, measure)
    left = _diff(base[None, :], minus) / hm[:, None]
    right = _diff(plus, base[None, :]) / hp[:, None]
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    gap = np.abs(right - left)
    is_kink = bad & (gap > 10 * _tol(atol, rtol, np.maximum(np.abs(left), np.abs(right))))
    tol_k = _tol(atol, rtol, np.maximum(np.abs(lo), np.abs(hi)))
    ok_kink = is_kink & (ana >= lo - tol_k) & (ana <= hi + tol_k)
    n_kink = int(ok_kink.sum())
    if n_kink:
        notes.append(
            f"{name}: {n_kink} entr{'y' if n_kink == 1 else 'ies'} at a kink passed the "
            f"subgradient check (analytic value between the one-sided differences)"
        )
    bad &= ~ok_kink
    rows = np.flatnonzero(bad.any(axis=1))
    excess = (np.abs(ana - num) / _tol(atol, rtol, num))[rows]
    excess = np.where(np.isnan(excess), np.inf, excess).max(axis=1)
    order = rows[np.argsort(-excess, kind="stable")]
    flat = leaf._data.reshape(-1)
    shape = leaf._data.shape
    mism = []
    confirmed_rows = 0
    rescued = 0
    method_used = None
    for k in order:
        if confirmed_rows >= max_confirm:
            break  # enough confirmed; the rest stay counted as failing, unverified
        cols = np.flatnonzero(bad[k])
        est = None
        method = None
        if not is_kink[k, cols].any():
            if analytic_fn:
                est = complex_step(target, measure, leaf, k)
                method = "complex-step"
            if est is None:
                x = float(flat[k])
                est = richardson(target, measure, leaf, k, 1e-3 * max(1.0, abs(x)))
                method = "Richardson"
            method_used = method
            agree = np.abs(ana[k, cols] - est[cols]) <= _tol(atol, rtol, est[cols])
            rescued += int(agree.sum())
            bad[k, cols[agree]] = False
            cols = cols[~agree]
            if not len(cols):
                continue
        confirmed_rows += 1
        value = float(flat[k])
        kd = min(abs(value - c) for c in kinks) if kinks else None
        for c in cols:
            mism.append(
                Mismatch(
                    name=name,
                    element=tuple(int(i) for i in np.unravel_index(k, shape)) if shape else (),
                    analytic=float(ana[k, c]),
                    numeric=float(num[k, c]),
                    tol=float(_tol(atol, rtol, num[k, c])),
                    output=int(c) if measure.kind == "jacobian" else None,
                    value=value,
                    kink_distance=kd,
                    one_sided=(float(left[k, c]), float(right[k, c])) if is_kink[k, c] else None,
                    cross_check=(method, float(est[c])) if est is not None else None,
                    what=what,
                )
            )
    if rescued:
        notes.append(
            f"{name}: {rescued} entr{'y' if rescued == 1 else 'ies'} failed the central "
            f"difference but agree with the more accurate {method_used} estimate "
            f"(finite-difference error, not a wrong gradient)"
        )
    return mism, int(bad.sum())
