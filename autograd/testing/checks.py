"""``check_function`` and ``check_module``: gradient checks for users' own functions, custom
``autograd.Function``s and ``nn.Module``s, with a diagnosis rather than a dump.

A check runs, on copies (the caller's tensors and module are never touched):

1. the invariants of NOTE [ Invariants ] (``_invariants.py``), in the caller's own dtypes;
2. float64 analytic gradients against central finite differences (NOTE [ What is compared ]
   and NOTE [ Second opinions ] in ``_numeric.py``), exact or fast mode;
3. for tensors that are not float64 (e.g. a float32 module), their analytic gradients against
   the float64 analytic gradients at the same point, so a backward that is wrong for one dtype
   only is caught;
4. optionally the second derivatives (the same checks on the map (inputs, grad_outputs) ->
   gradients, built with ``create_graph=True``).
"""

from __future__ import annotations

import numpy as np

from . import _numeric as nm
from ._invariants import check_invariants
from ._report import GradientCheckError, GradientCheckReport, Mismatch
from ._target import (
    _RngGuard,
    checked_input_indices,
    function_target,
    kit_rng,
    module_target,
    second_order_target,
)

_MODES = ("exact", "fast", "none")

# Tolerances of the dtype comparison: (rtol, atol relative to the largest float64 gradient
# entry, absolute atol). The incoming gradient is standard normal, so gradients are O(1) and an
# absolute floor absorbs the rounding noise of entries that cancel to (almost) zero.
_DTYPE_TOL = {
    np.dtype(np.float32): (1e-2, 1e-3, 1e-4),
    np.dtype(np.float16): (1e-1, 1e-2, 1e-2),
}


def _settings(mode, kind, eps, atol, rtol, seed, n_directions):
    m = {
        "project": f"output projected on a fixed random tensor (seed {seed})",
        "jacobian": "every output element (full Jacobian)",
        "reduce": "through the given reduction",
    }[kind]
    if mode == "none":
        return "no finite differences (mode='none'): invariants and dtype comparison only"
    md = "exact mode" if mode == "exact" else f"fast mode ({n_directions} random directions)"
    return f"float64 central differences, eps={eps:g}, atol={atol:g}, rtol={rtol:g}, {md}, {m}"


def _numerics(target, measure, opts, report, what="gradient"):
    """Steps 2 of the module docstring on ``target`` (float64); returns the analytic grads."""
    p = nm.evaluate(target, measure).size
    try:
        ana = nm.analytic(target, measure, p)
    except Exception as e:  # noqa: BLE001  (a failing backward is a finding)
        report.violations.append(f"backward raised {type(e).__name__}: {e}")
        return None
    for li, leaf in enumerate(target.leaves):
        label = target.names[li] if what == "gradient" else f"{target.names[li]} [{what}]"
        report.checked.append((label, leaf._data.shape))
        if leaf._data.size == 0 or p == 0:
            continue
        if opts["mode"] == "fast":
            if _fast_leaf_ok(target, measure, li, ana[li], opts, report, what):
                continue
        fd = nm.exact_leaf(target, measure, leaf, opts["eps"])
        mism, n_bad = nm.compare_leaf(
            target,
            measure,
            li,
            ana[li],
            fd,
            atol=opts["atol"],
            rtol=opts["rtol"],
            kinks=opts["kinks"],
            analytic_fn=opts["analytic"],
            max_confirm=opts["max_confirm"],
            notes=report.notes,
            what=what,
        )
        if n_bad:
            report.mismatches.extend(mism)
            report.counts[target.names[li]] = (n_bad, ana[li].size)
        elif opts["mode"] == "fast" and li in opts.get("_dir_failed", {}):
            m = opts["_dir_failed"].pop(li)
            report.mismatches.append(m)
            report.counts[target.names[li]] = (1, 1)
            report.notes.append(
                f"{target.names[li]}: the directional derivative fails but every element passes "
                f"within tolerance; the error is spread thinly over many elements"
            )
    return ana


def _fast_leaf_ok(target, measure, li, ana, opts, report, what) -> bool:
    """Directional checks along random unit directions; False when one fails."""
    leaf = target.leaves[li]
    rng = kit_rng(opts["seed"], 3, li)
    atol, rtol = opts["atol"], opts["rtol"]
    for _ in range(opts["n_directions"]):
        u = rng.standard_normal(leaf._data.shape)
        u /= np.linalg.norm(u) or 1.0
        a = u.reshape(-1) @ ana
        n = nm.directional(target, measure, leaf, u, opts["eps"])
        bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
        if bad.any():
            c = int(np.flatnonzero(bad)[0])
            opts.setdefault("_dir_failed", {})[li] = Mismatch(
                name=target.names[li],
                element=(),
                analytic=float(a[c]),
                numeric=float(n[c]),
                tol=float(atol + rtol * abs(n[c])),
                output=c if measure.kind == "jacobian" else None,
                what=f"directional derivative ({what})",
            )
            return False
    return True


def _dtype_check(grads, ref_target, ref_grads, orig_leaves, report, kinks):
    """Step 3: analytic gradients in the caller's dtype against float64 ones."""
    for name, g, r, x in zip(ref_target.names, grads, ref_grads, orig_leaves):
        dt = x._data.dtype
        if dt == np.float64 or g is None:
            continue
        rtol, arel, atol = _DTYPE_TOL.get(dt, _DTYPE_TOL[np.dtype(np.float32)])
        r = r.reshape(g.shape)
        g64 = g.astype(np.float64)
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        tol = rtol * np.abs(r) + arel * scale + atol
        bad = ~(np.abs(g64 - r) <= tol)
        if not bad.any():
            continue
        err = np.where(bad, np.abs(g64 - r) / tol, 0)
        err = np.where(np.isnan(err), np.inf, err)
        order = np.argsort(-err.reshape(-1), kind="stable")[: report.max_report]
        for k in order:
            if not bad.reshape(-1)[k]:
                break
            report.mismatches.append(
                Mismatch(
                    name=name,
                    element=tuple(int(i) for i in np.unravel_index(k, g.shape)) if g.ndim else (),
                    analytic=float(g64.reshape(-1)[k]),
                    numeric=float(r.reshape(-1)[k]),
                    tol=float(tol.reshape(-1)[k]),
                    value=float(x._data.reshape(-1)[k]),
                    kink_distance=(
                        min(abs(float(x._data.reshape(-1)[k]) - c) for c in kinks)
                        if kinks
                        else None
                    ),
                    what=f"{dt} gradient",
                    reference="float64 analytic gradient at the same point",
                )
            )
        report.counts[f"{name} ({dt})"] = (int(bad.sum()), bad.size)


def _run_checks(make_target, opts, subject) -> GradientCheckReport:
    kind = opts["kind"]
    report = GradientCheckReport(
        subject=subject,
        max_report=opts["max_report"],
        settings=_settings(
            opts["mode"],
            kind,
            opts["eps"],
            opts["atol"],
            opts["rtol"],
            opts["seed"],
            opts["n_directions"],
        ),
    )
    with _RngGuard(opts["seed"]) as rng:
        t64 = make_target(np.float64, rng)
        measure = nm.Measure(kind, opts["reduction"], opts["seed"])
        # the projection (and the invariants' incoming gradient) is fixed by the first call
        nm.evaluate(t64, measure)
        orig = make_target(None, rng)
        grads = None
        if opts["invariants"] or opts["dtype_check"]:
            proj = nm.Measure("project", None, opts["seed"])
            proj.vs = measure.vs if kind == "project" else None
            viol, notes, grads = check_invariants(orig, proj)
            if opts["invariants"]:
                report.violations.extend(viol)
                report.notes.extend(notes)
        if opts["first_order"] and opts["mode"] != "none":
            ana = _numerics(t64, measure, opts, report)
        else:
            ana = None
            for li, leaf in enumerate(t64.leaves):
                report.checked.append((t64.names[li], leaf._data.shape))
        if opts["dtype_check"] and grads is not None:
            if any(x._data.dtype != np.float64 for x in orig.leaves):
                if kind == "project" and ana is not None:
                    ref = [a[:, 0] for a in ana]
                else:
                    ref = [a[:, 0] for a in nm.analytic(t64, proj, 1)]
                _dtype_check(grads, t64, ref, orig.leaves, report, opts["kinks"])
        if opts["gradgrad"] and opts["mode"] != "none":
            t2 = second_order_target(make_target(np.float64, rng), opts["seed"])
            m2 = nm.Measure(kind if kind != "reduce" else "project", None, opts["seed"] + 1)
            nm.evaluate(t2, m2)
            _numerics(t2, m2, opts, report, what="second-order gradient")
    return report


def _options(
    eps,
    atol,
    rtol,
    mode,
    reduction,
    jacobian,
    seed,
    gradgrad,
    invariants,
    dtype_check,
    kinks,
    analytic,
    n_directions,
    max_report,
):
    if mode not in _MODES:
        raise ValueError(f"check: mode must be one of {_MODES}, got {mode!r}")
    if reduction is not None and jacobian:
        raise ValueError("check: pass either reduction= or jacobian=True, not both")
    if reduction is not None and not callable(reduction):
        raise TypeError(f"check: reduction must be callable, got {type(reduction).__name__}")
    if gradgrad not in (False, True, "only"):
        raise ValueError(f"check: gradgrad must be False, True or 'only', got {gradgrad!r}")
    for nme, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not (isinstance(v, (int, float)) and v >= 0):
            raise ValueError(f"check: {nme} must be a non-negative number, got {v!r}")
    if eps <= 0:
        raise ValueError(f"check: eps must be positive, got {eps!r}")
    kind = "reduce" if reduction is not None else "jacobian" if jacobian else "project"
    return dict(
        eps=float(eps),
        atol=float(atol),
        rtol=float(rtol),
        mode=mode,
        kind=kind,
        reduction=reduction,
        seed=int(seed),
        gradgrad=bool(gradgrad),
        first_order=gradgrad != "only",
        invariants=bool(invariants),
        dtype_check=bool(dtype_check),
        kinks=tuple(float(k) for k in kinks),
        analytic=bool(analytic),
        n_directions=int(n_directions),
        max_report=int(max_report),
        max_confirm=max(10, int(max_report)),
    )


def _finish(report, raise_exception):
    if not report.passed and raise_exception:
        raise GradientCheckError(report)
    return report


def check_function(
    fn,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    mode: str = "exact",
    reduction=None,
    jacobian: bool = False,
    seed: int = 0,
    gradgrad=False,
    invariants: bool = True,
    dtype_check: bool = True,
    kinks=(),
    analytic: bool = False,
    n_directions: int = 2,
    max_report: int = 5,
    raise_exception: bool = True,
) -> GradientCheckReport:
    """Check the gradients of ``fn(*inputs)`` (a plain function or a custom
    ``autograd.Function``'s ``apply``) against float64 finite differences.

    Parameters
    ----------
    fn : callable
        Takes ``inputs`` positionally, returns a Tensor or (nested) tuples/lists/dicts of them.
        Integer and boolean outputs are ignored.
    *inputs
        Tensors and other arguments. The floating tensors that require grad are checked; if
        none requires grad, every floating tensor is. Other arguments pass through unchanged.
    eps, atol, rtol : float
        Finite-difference step and tolerance: an entry passes when
        ``|analytic - numeric| <= atol + rtol * |numeric|``.
    mode : {'exact', 'fast', 'none'}
        ``'exact'``: every element (two forwards per element). ``'fast'``: per tensor, the
        derivative along ``n_directions`` random unit directions (two forwards each), falling
        back to the exact mode on a tensor that fails, to locate the element. ``'none'``: no
        finite differences, only the invariants and the dtype comparison (one forward and
        backward in each dtype).
    reduction : callable, optional
        ``reduction(output) -> scalar Tensor`` to check through. Default: a fixed random
        projection of every floating output, so every output element matters.
    jacobian : bool
        Compare every output element separately (the full Jacobian, as ``autograd.gradcheck``
        does; one backward per output element).
    seed : int
        Seeds the projection and the default generator, which is reset to this seed before
        every forward (so random ops draw the same numbers each time); the caller's generator
        state is restored afterwards.
    gradgrad : bool or 'only'
        Also check second derivatives (``'only'``: only them).
    invariants : bool
        Check the backward invariants (no mutation of inputs or incoming gradient, no aliased
        gradients, shapes and dtypes, graph freed) in the inputs' own dtypes.
    dtype_check : bool
        For inputs that are not float64, compare their analytic gradients with float64 ones.
    kinks : sequence of float
        Points where ``fn`` is not differentiable; a failing element's distance from them is
        reported.
    analytic : bool
        Declare ``fn`` analytic (holomorphic): a failing entry is cross-checked with the
        complex step (run on complex128 arrays) instead of Richardson extrapolation.
    n_directions : int
        Random directions per tensor in fast mode.
    max_report : int
        Worst entries shown in the diagnosis.
    raise_exception : bool
        Raise :class:`GradientCheckError` (an ``AssertionError``) on failure; with False,
        return the report (falsy on failure).

    Returns
    -------
    GradientCheckReport
        Truthy when everything passed; ``str()`` gives the diagnosis.

    Examples
    --------
    >>> x = autograd.randn(3, 4, dtype=autograd.float64)
    >>> check_function(lambda x: (x * x).sum(-1), x)
    """
    opts = _options(
        eps,
        atol,
        rtol,
        mode,
        reduction,
        jacobian,
        seed,
        gradgrad,
        invariants,
        dtype_check,
        kinks,
        analytic,
        n_directions,
        max_report,
    )
    if not checked_input_indices(inputs):
        raise ValueError("check_function: no floating-point tensor among the inputs to check")
    subject = getattr(fn, "__qualname__", None) or type(fn).__name__
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):  # MyFunction.apply
        subject = f"{owner.__name__}.{getattr(fn, '__name__', 'apply')}"
    report = _run_checks(lambda dt, rng: function_target(fn, inputs, dt, rng), opts, subject)
    return _finish(report, raise_exception)


def check_module(
    module,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    mode: str = "exact",
    reduction=None,
    jacobian: bool = False,
    train=None,
    check_inputs: bool = True,
    seed: int = 0,
    gradgrad=False,
    invariants: bool = True,
    dtype_check: bool = True,
    kinks=(),
    analytic: bool = False,
    n_directions: int = 2,
    max_report: int = 5,
    raise_exception: bool = True,
) -> GradientCheckReport:
    """Check the gradients of every parameter and floating input of ``module(*inputs)``.

    The check runs on deep copies of ``module``: one cast to float64 for the finite
    differences and one in the module's own dtype for the invariants and the dtype check.
    ``module`` itself (its parameters, buffers, ``.grad`` and mode) is left untouched.

    Parameters
    ----------
    module : nn.Module
        Any module; frozen parameters (``requires_grad=False``) are not checked.
    *inputs
        The forward's arguments. Floating tensor inputs are checked too (those that require
        grad, or all of them if none does); ``check_inputs=False`` checks parameters only.
    train : bool, optional
        Put the copies in training (True) or evaluation (False) mode; default: the module's
        current mode. In training mode a stochastic layer (Dropout) draws the same mask in
        every evaluation (the default generator is reset to ``seed`` before each forward) and
        buffers (running statistics) are restored before each forward.
    eps, atol, rtol, mode, reduction, jacobian, seed, gradgrad, invariants, dtype_check, kinks,
    analytic, n_directions, max_report, raise_exception
        As for :func:`check_function`.

    Returns
    -------
    GradientCheckReport
        Truthy when everything passed; failures name the parameter (``'fc.weight'``) or input,
        the element, the analytic and numeric values and the relative error, worst first.
    """
    opts = _options(
        eps,
        atol,
        rtol,
        mode,
        reduction,
        jacobian,
        seed,
        gradgrad,
        invariants,
        dtype_check,
        kinks,
        analytic,
        n_directions,
        max_report,
    )
    if not hasattr(module, "named_parameters") or not callable(module):
        raise TypeError(f"check_module expects an nn.Module, got {type(module).__name__}")
    if not any(p.requires_grad for p in module.parameters()) and not (
        check_inputs and checked_input_indices(inputs)
    ):
        raise ValueError("check_module: nothing to check (no trainable parameter or float input)")
    report = _run_checks(
        lambda dt, rng: module_target(module, inputs, dt, rng, train, check_inputs),
        opts,
        type(module).__name__,
    )
    return _finish(report, raise_exception)


__all__ = ["check_function", "check_module", "GradientCheckError", "GradientCheckReport"]
