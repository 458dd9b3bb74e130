"""Gradient checks for users' own functions, ``autograd.Function``s and ``nn.Module``s.

``check_function(fn, *inputs)`` and ``check_module(module, *inputs)`` compare the analytic
gradient of every floating input and every parameter with central finite differences, in float64
on copies (the caller's tensors and module are untouched), and also check invariants that value
checks miss. A failure raises ``AssertionError`` carrying a diagnosis (or, with
``raise_exception=False``, returns a falsy :class:`GradReport` that prints the same text).

NOTE [ Reading a failure ]
For each failing element the report gives the analytic and numeric values and their relative
error. Two second opinions keep false alarms out:
- a five-point (Richardson) estimate of the same derivative: if it agrees with the analytic value,
  the central difference was the inaccurate one and the element passes;
- one-sided differences: where they disagree with each other the point sits on a kink; the
  element passes when the analytic value lies between them (a valid subgradient), and the
  report says how far the point is from the kinks you named.
"""

from __future__ import annotations

import copy
import gc
import weakref
from dataclasses import dataclass, field

import numpy as np

from .. import random as _random
from ..grad_mode import enable_grad, no_grad
from ..gradcheck import gradgradcheck
from ..tensor import Tensor

__all__ = ["check_function", "check_module", "check_precision", "GradReport", "Mismatch"]


@dataclass
class Mismatch:
    """One element whose analytic and numeric derivatives disagree."""

    name: str
    index: tuple
    analytic: float
    numeric: float
    rel_error: float
    note: str = ""

    def __str__(self) -> str:
        s = (
            f"  {self.name}{list(self.index)}: analytic {self.analytic:.6g}, numeric "
            f"{self.numeric:.6g}, relative error {self.rel_error:.3g}"
        )
        return s + (f" ({self.note})" if self.note else "")


@dataclass
class GradReport:
    """The outcome of a check: truthy when everything passed; ``str()`` is the diagnosis."""

    subject: str
    mismatches: list = field(default_factory=list)
    invariant_failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    checked: int = 0

    def __bool__(self) -> bool:
        return not self.mismatches and not self.invariant_failures

    def __str__(self) -> str:
        if self:
            head = f"gradient check of {self.subject}: OK ({self.checked} elements checked)"
            return "\n".join([head] + self.notes)
        lines = [f"gradient check of {self.subject}: FAILED"]
        if self.mismatches:
            by_name = {}
            for m in self.mismatches:
                by_name.setdefault(m.name, []).append(m)
            lines.append(
                f"{len(self.mismatches)} element(s) disagree, in {', '.join(by_name)}; worst first:"
            )
            worst = sorted(self.mismatches, key=lambda m: -m.rel_error)[:5]
            lines += [str(m) for m in worst]
        lines += [f"  invariant: {f}" for f in self.invariant_failures]
        return "\n".join(lines + self.notes)

    __repr__ = __str__

    @property
    def failing_names(self) -> list:
        return sorted({m.name for m in self.mismatches})


# -- the numerics ---------------------------------------------------------------------------
def _rel(a, n):
    return abs(a - n) / max(abs(a), abs(n), 1e-12)


def _diagnose(name, idx, flat, k, f, a, eps, atol, rtol, kinks):
    """Decide one element: returns a Mismatch or None (passes)."""
    orig = flat[k]

    def at(h):
        flat[k] = orig + h
        try:
            return f()
        finally:
            flat[k] = orig

    fp, fm, f0 = at(eps), at(-eps), at(0.0)
    central = (fp - fm) / (2 * eps)
    if abs(a - central) <= atol + rtol * abs(central):
        return None
    # five-point estimate: rules out finite-difference error at smooth points
    fp2, fm2 = at(2 * eps), at(-2 * eps)
    five = (-fp2 + 8 * fp - 8 * fm + fm2) / (12 * eps)
    right, left = (fp - f0) / eps, (f0 - fm) / eps
    kinked = abs(right - left) > 10 * (atol + rtol * max(abs(right), abs(left)))
    dist = ""
    if kinks:
        dist = f"; distance to the nearest kink {min(abs(orig - c) for c in kinks):.3g}"
    if kinked:
        lo, hi = min(left, right), max(left, right)
        if lo - atol <= a <= hi + atol:
            return None  # a valid subgradient at a kink
        return Mismatch(
            name,
            idx,
            a,
            central,
            _rel(a, central),
            f"at a kink: one-sided differences {left:.6g} and {right:.6g}, the "
            f"analytic value lies outside them{dist}",
        )
    if abs(a - five) <= atol + rtol * abs(five):
        return None  # the central difference was the inaccurate one
    return Mismatch(
        name, idx, a, central, _rel(a, central), f"five-point estimate {five:.6g}{dist}"
    )


def _exact(named, f, analytic, eps, atol, rtol, kinks, report):
    for (name, t), g in zip(named, analytic):
        flat = t._data.reshape(-1)
        ga = g.reshape(-1)
        for k in range(flat.size):
            report.checked += 1
            m = _diagnose(
                name,
                tuple(int(i) for i in np.unravel_index(k, t.shape)) if t.ndim else (),
                flat,
                k,
                f,
                float(ga[k]),
                eps,
                atol,
                rtol,
                kinks,
            )
            if m is not None:
                report.mismatches.append(m)


def _fast(named, f, analytic, eps, atol, rtol, n_dirs, rng):
    """Directional derivatives along random directions: True when all agree."""
    for _ in range(n_dirs):
        dirs = [rng.standard_normal(t.shape) for _, t in named]
        a = sum(float(np.sum(g * u)) for g, u in zip(analytic, dirs))
        origs = [t._data.copy() for _, t in named]
        try:
            for (_, t), u, o in zip(named, dirs, origs):
                t._data[...] = o + eps * u
            fp = f()
            for (_, t), u, o in zip(named, dirs, origs):
                t._data[...] = o - eps * u
            fm = f()
        finally:
            for (_, t), o in zip(named, origs):
                t._data[...] = o
        if abs(a - (fp - fm) / (2 * eps)) > atol + rtol * abs((fp - fm) / (2 * eps)):
            return False
    return True


def _projection(outs, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape) for o in outs]


def _float_outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _run(
    subject,
    named,
    call,
    reduction,
    *,
    eps,
    atol,
    rtol,
    mode,
    kinks,
    seed,
    raise_exception,
    invariants_inputs,
):
    report = GradReport(subject)
    # the reduction: the user's, or a fixed random projection of every output element
    with enable_grad():
        _random.manual_seed(seed)
        out = call()
    outs = _float_outputs(out)
    if not outs:
        raise ValueError(f"{subject}: the function returned no floating-point tensor")
    proj = _projection(outs, seed + 1) if reduction is None else None

    def reduce(o):
        if reduction is not None:
            r = reduction(o)
            return r
        total = None
        for t, v in zip(_float_outputs(o), proj):
            s = (t * Tensor._wrap(v)).sum()
            total = s if total is None else total + s
        return total

    def scalar():
        with no_grad():
            _random.manual_seed(seed)
            return float(reduce(call()).item())

    # analytic gradients, with the invariants around the backward
    with enable_grad():
        _random.manual_seed(seed)
        out = call()
        loss = reduce(out)
    node_ref = weakref.ref(loss.grad_fn) if loss.grad_fn is not None else None
    before = [t._data.copy() for _, t in invariants_inputs]
    seed_grad = np.ones((), dtype=loss.dtype)
    seed_copy = seed_grad.copy()
    tensors = [t for _, t in named]
    for t in tensors:
        t.grad = None
    try:
        loss.backward(Tensor._wrap(seed_grad), inputs=tensors)
    except RuntimeError as e:  # e.g. a backward returning a gradient of the wrong shape
        report.invariant_failures.append(f"backward failed: {e}")
        return _finish(report, raise_exception)
    grads = [t.grad for t in tensors]
    if not np.array_equal(seed_grad, seed_copy):
        report.invariant_failures.append("backward modified the incoming gradient")
    for (name, t), b in zip(invariants_inputs, before):
        if not np.array_equal(t._data, b, equal_nan=True):
            report.invariant_failures.append(f"backward modified input {name}")
    analytic = []
    for (name, t), g in zip(named, grads):
        if g is None:
            analytic.append(np.zeros(t.shape))
            continue
        if tuple(g.shape) != tuple(t.shape):
            report.invariant_failures.append(
                f"gradient of {name} has shape {tuple(g.shape)}, but {name} has shape "
                f"{tuple(t.shape)}"
            )
        if g.dtype != t.dtype:
            report.invariant_failures.append(
                f"gradient of {name} has dtype {g.dtype}, but {name} has dtype {t.dtype}"
            )
        analytic.append(
            np.asarray(g._data, dtype=np.float64).reshape(t.shape)
            if g.numel() == t.numel()
            else np.zeros(t.shape)
        )
    arrays = [g._data for g in grads if g is not None]
    names = [n for (n, _), g in zip(named, grads) if g is not None]
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            if arrays[i].size and np.shares_memory(arrays[i], arrays[j]):
                report.invariant_failures.append(
                    f"the gradients of {names[i]} and {names[j]} share memory"
                )
    del out, loss, grads
    gc.collect()
    if node_ref is not None and node_ref() is not None and node_ref().vcs and not node_ref().freed:
        report.invariant_failures.append("the graph was not freed after backward")

    if mode == "fast":
        ok = _fast(named, scalar, analytic, eps, atol, rtol, 4, np.random.default_rng(seed))
        report.notes.append("fast mode: 4 random directional derivatives")
        if ok:
            report.checked = sum(t.numel() for _, t in named)
            return _finish(report, raise_exception)
        report.notes.append("a directional derivative disagreed: located element by element")
    _exact(named, scalar, analytic, eps, atol, rtol, kinks, report)
    return _finish(report, raise_exception)


def _finish(report, raise_exception):
    if not report and raise_exception:
        raise AssertionError(str(report))
    return report


def _float64_leaf(x):
    c = Tensor._wrap(np.array(x._data if isinstance(x, Tensor) else x, dtype=np.float64))
    c._rg = True
    return c


def check_function(
    fn,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    second_order: bool = False,
    mode: str = "exact",
    kinks=(),
    reduction=None,
    seed: int = 0,
    raise_exception: bool = True,
) -> GradReport:
    """Check the gradients of ``fn(*inputs)`` with respect to every floating input.

    Parameters
    ----------
    fn : callable
        A function of tensors (e.g. ``MyFunction.apply``) returning a tensor or a tuple.
    *inputs : Tensor or array or other
        Floating tensors/arrays are checked (as float64 copies); other arguments are passed
        through unchanged.
    mode : {'exact', 'fast'}
        'exact' checks every element; 'fast' compares a few random directional derivatives and
        falls back to 'exact' to locate a failure.
    second_order : bool
        Also run ``gradgradcheck``.
    kinks : sequence of float
        Input values where ``fn`` has kinks (reported as distances on failure).
    reduction : callable, optional
        Output(s) -> scalar tensor; default a fixed random projection of every output element.

    Returns
    -------
    GradReport
        Truthy when every check passed. Raises ``AssertionError`` with the same text on failure
        unless ``raise_exception=False``.
    """
    args = []
    named = []
    for i, x in enumerate(inputs):
        if (
            isinstance(x, (Tensor, np.ndarray))
            and np.asarray(x._data if isinstance(x, Tensor) else x).dtype.kind == "f"
        ):
            c = _float64_leaf(x)
            args.append(c)
            named.append((f"input {i}", c))
        else:
            args.append(x)
    if not named:
        raise ValueError("check_function: no floating-point tensor among the inputs")
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):  # MyFunction.apply
        subject = f"{owner.__name__}.{fn.__name__}"
    else:
        subject = getattr(fn, "__qualname__", None) or repr(fn)
    report = _run(
        subject,
        named,
        lambda: fn(*args),
        reduction,
        eps=eps,
        atol=atol,
        rtol=rtol,
        mode=mode,
        kinks=kinks,
        seed=seed,
        raise_exception=False,
        invariants_inputs=named,
    )
    if second_order and report:
        ok = gradgradcheck(
            lambda *a: fn(*a), tuple(args), eps=eps, atol=atol, rtol=rtol, raise_exception=False
        )
        if not ok:
            report.invariant_failures.append("second derivatives disagree (gradgradcheck)")
        else:
            report.notes.append("second order: gradgradcheck passed")
    return _finish(report, raise_exception)


def check_module(
    module,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    mode: str = "exact",
    reduction=None,
    check_inputs: bool = True,
    kinks=(),
    seed: int = 0,
    raise_exception: bool = True,
) -> GradReport:
    """Check every parameter's (and floating input's) gradient of an ``nn.Module``.

    The module is deep-copied and cast to float64 (the caller's module is untouched); its
    train/eval mode is kept; the random generator is reseeded before every evaluation, so
    stochastic layers (dropout) draw the same mask each time. Failures name the parameter
    (``'fc.weight'``) or input and the element. See :func:`check_function` for the options.
    """
    m = copy.deepcopy(module)
    m.double()
    named = [(n, p) for n, p in m.named_parameters() if p.requires_grad]
    args = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            c = _float64_leaf(x)
            c._rg = check_inputs
            args.append(c)
            if check_inputs:
                named.append((f"input {i}", c))
        else:
            args.append(x)
    if not named:
        raise ValueError("check_module: nothing to check (no parameters or floating inputs)")
    return _run(
        type(module).__name__,
        named,
        lambda: m(*args),
        reduction,
        eps=eps,
        atol=atol,
        rtol=rtol,
        mode=mode,
        kinks=kinks,
        seed=seed,
        raise_exception=raise_exception,
        invariants_inputs=[(n, t) for n, t in named if n.startswith("input")],
    )


@dataclass
class PrecisionReport:
    """Per-layer relative error of a float32 module against its float64 copy."""

    rows: list
    first_jump: str | None

    def __str__(self) -> str:
        lines = [f"{'layer':30s} {'relative error':>15s}"]
        lines += [f"{n:30s} {e:15.3g}" for n, e in self.rows]
        lines.append(f"first jump: {self.first_jump}" if self.first_jump else "no jump")
        return "\n".join(lines)

    __repr__ = __str__


def check_precision(module, *inputs, jump: float = 10.0, seed: int = 0) -> PrecisionReport:
    """Run ``module`` in float32 and a float64 copy side by side; report each submodule's
    output relative error and the first layer where it grows ``jump`` times (or past 1e-3)."""
    m32 = copy.deepcopy(module).float()
    m64 = copy.deepcopy(module).double()
    outs = {32: {}, 64: {}}
    handles = []
    for bits, m in ((32, m32), (64, m64)):
        for name, sub in m.named_modules():
            if not name:
                continue

            def hook(mod, args, out, name=name, bits=bits):
                o = out[0] if isinstance(out, tuple) else out
                if isinstance(o, Tensor):
                    outs[bits][name] = np.array(o._data, dtype=np.float64)

            handles.append(sub.register_forward_hook(hook))
    with no_grad():
        for bits, m in ((32, m32), (64, m64)):
            _random.manual_seed(seed)
            args = [
                x.to(np.float32 if bits == 32 else np.float64)
                if isinstance(x, Tensor) and x.dtype.kind == "f"
                else x
                for x in inputs
            ]
            outs[bits]["(output)"] = np.array(_float_outputs(m(*args))[0]._data, dtype=np.float64)
    for h in handles:
        h.remove()
    rows = []
    for name in outs[64]:
        a, b = outs[32].get(name), outs[64][name]
        if a is None or a.shape != b.shape:
            continue
        rows.append((name, float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))))
    first = None
    prev = None
    for name, e in rows:
        if e > 1e-3 or (prev is not None and prev > 0 and e > jump * prev):
            first = name
            break
        prev = e
    return PrecisionReport(rows, first)
