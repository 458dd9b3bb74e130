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
   tolerances), two more evaluations at ``h / 2`` tell a kink at the point (the gap between
   the one-sided differences stays) from curvature or a kink between ``h / 2`` and ``h`` (the
   gap shrinks). At a kink the entry passes if the analytic value lies between the one-sided
   differences (a valid subgradient) and is reported as a kink; if it lies outside, the
   failure shows both one-sided differences.
2. *Finite-difference error.* Otherwise a more accurate estimate is computed: Richardson
   extrapolation of central differences at ``h`` and ``h / 2`` with ``h = 1e-3 max(1, |x|)``
   (error ``O(h^4)``; for a kink between ``h / 2`` and ``eps`` the half-step estimates are
   used too). For a function the user declares analytic, the complex step
   ``Im m(x + i h) / h`` (``h = 1e-20``: no subtraction, so no rounding error) is computed by
   running the forward on complex128 arrays; it is used only where it agrees with Richardson,
   because an op whose NumPy forward drops the imaginary part (``abs``, comparisons, a
   stable ``sigmoid``) gives a silently wrong complex step. If the analytic value agrees
   with the estimate, the mismatch was the finite difference's error and the entry passes
   with a note; otherwise the failure is confirmed and the estimate is shown.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..engine import grad as _grad
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from ._report import Mismatch
from ._target import float_outputs, kit_rng


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
            rng = kit_rng(self.seed, 1)
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


def _plural(n, one, many):
    return f"{n} {one if n == 1 else many}"


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
    """Entries of leaf ``li`` that fail after the second opinions (NOTE [ Second opinions ]):
    (mismatches of the worst rows, number of failing entries)."""
    leaf = target.leaves[li]
    name = target.names[li]
    num, plus, minus, hp, hm = fd
    bad = ~(np.abs(ana - num) <= _tol(atol, rtol, num))  # NaN counts as bad
    if not bad.any():
        return [], 0
    base = evaluate(target, measure)
    left = _diff(base[None, :], minus) / hm[:, None]
    right = _diff(plus, base[None, :]) / hp[:, None]
    gap = np.abs(right - left)
    rows = np.flatnonzero(bad.any(axis=1))
    excess = (np.abs(ana - num) / _tol(atol, rtol, num))[rows]
    excess = np.where(np.isnan(excess), np.inf, excess).max(axis=1)
    order = rows[np.argsort(-excess, kind="stable")]
    flat = leaf._data.reshape(-1)
    shape = leaf._data.shape
    mism = []
    confirmed_rows = 0
    n_kink = 0
    rescued = {}
    unreliable = []
    for k in order:
        if confirmed_rows >= max_confirm:
            break  # enough confirmed; the rest stay counted as failing, unverified
        cols = np.flatnonzero(bad[k])
        a = ana[k, cols]
        x = float(flat[k])
        big_gap = gap[k, cols] > 10 * _tol(
            atol, rtol, np.maximum(np.abs(left[k, cols]), np.abs(right[k, cols]))
        )
        resolved = np.zeros(len(cols), bool)
        at_kink = np.zeros(len(cols), bool)
        est = np.full(len(cols), np.nan)
        method = [None] * len(cols)
        if big_gap.any():
            # The one-sided differences disagree. Halve the step: at a kink at the point their
            # gap stays; from smooth curvature (or a kink between h/2 and h) it shrinks.
            h2 = hp[k] / 2
            mp2, sp2 = _at(target, measure, leaf, k, x + h2)
            mm2, sm2 = _at(target, measure, leaf, k, x - h2)
            left2 = _diff(base, mm2)[cols] / (x - sm2)
            right2 = _diff(mp2, base)[cols] / (sp2 - x)
            at_kink = big_gap & (np.abs(right2 - left2) > 0.75 * gap[k, cols])
            lo = np.minimum.reduce([left[k, cols], right[k, cols], left2, right2])
            hi = np.maximum.reduce([left[k, cols], right[k, cols], left2, right2])
            tk = _tol(atol, rtol, np.maximum(np.abs(lo), np.abs(hi)))
            ok = at_kink & (a >= lo - tk) & (a <= hi + tk)
            n_kink += int(ok.sum())
            resolved |= ok
            d2 = (_diff(mp2, mm2) / (sp2 - sm2))[cols]
            half = {
                "half-step central difference": d2,
                "half-step Richardson": (4 * d2 - num[k, cols]) / 3,
            }
        # Not at a kink: a more accurate estimate rules out finite-difference error.
        smooth = ~at_kink
        if smooth.any():
            e = richardson(target, measure, leaf, k, 1e-3 * max(1.0, abs(x)))[cols]
            m = "Richardson"
            if analytic_fn:
                # Trusted only where it agrees with Richardson: an op whose NumPy forward drops
                # the imaginary part (abs, comparisons) silently gives a wrong complex step.
                cs = complex_step(target, measure, leaf, k)
                if cs is not None:
                    cs = cs[cols]
                    if np.all(np.abs(cs - e) <= 10 * _tol(atol, rtol, e)):
                        e, m = cs, "complex-step"
                    else:
                        unreliable.append(k)
            agree = smooth & (np.abs(a - e) <= _tol(atol, rtol, e))
            if agree.any():
                rescued[m] = rescued.get(m, 0) + int(agree.sum())
            resolved |= agree
            if big_gap.any():
                # a kink between h/2 and h: the half step no longer straddles it
                for hm_name, d in half.items():
                    ok = big_gap & smooth & ~resolved & (np.abs(a - d) <= _tol(atol, rtol, d))
                    if ok.any():
                        rescued[hm_name] = rescued.get(hm_name, 0) + int(ok.sum())
                    resolved |= ok
            est = np.where(smooth, e, est)
            method = [m if sm else None for sm in smooth]
        bad[k, cols[resolved]] = False
        if resolved.all():
            continue
        confirmed_rows += 1
        kd = min(abs(x - c) for c in kinks) if kinks else None
        for j in np.flatnonzero(~resolved):
            c = cols[j]
            mism.append(
                Mismatch(
                    name=name,
                    element=tuple(int(i) for i in np.unravel_index(k, shape)) if shape else (),
                    analytic=float(ana[k, c]),
                    numeric=float(num[k, c]),
                    tol=float(_tol(atol, rtol, num[k, c])),
                    output=int(c) if measure.kind == "jacobian" else None,
                    value=x,
                    kink_distance=kd,
                    one_sided=(float(left[k, c]), float(right[k, c])) if at_kink[j] else None,
                    cross_check=(method[j], float(est[j])) if method[j] is not None else None,
                    what=what,
                )
            )
    if n_kink:
        notes.append(
            f"{name}: {_plural(n_kink, 'entry', 'entries')} at a kink passed the subgradient "
            f"check (analytic value between the one-sided differences)"
        )
    if unreliable:
        notes.append(
            f"{name}: the complex step disagrees with Richardson extrapolation at "
            f"{_plural(len(unreliable), 'element', 'elements')}: the forward is not analytic in "
            f"complex arithmetic (an op dropped the imaginary part); Richardson was used"
        )
    for m, n in rescued.items():
        notes.append(
            f"{name}: {_plural(n, 'entry', 'entries')} failed the central difference but "
            f"agree with the more accurate {m} estimate (finite-difference error, not a wrong "
            f"gradient)"
        )
    return mism, int(bad.sum())
