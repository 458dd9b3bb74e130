"""``check_precision``: where a float32 module loses precision, layer by layer.

A float32 gradient check fails for two reasons: a wrong backward, or a forward that loses so
much precision in float32 that finite differences (or the gradients themselves) are noise.
``check_precision`` tells the two apart: it runs a float64 copy beside a float32 copy on the
same inputs (the float32 values, exactly), records every leaf layer's output and the gradient
flowing into it, and reports each layer's relative error against float64, naming the first
layer (in forward order) where the error jumps, and the first (in backward order) where the
gradient's error jumps.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..grad_mode import enable_grad
from ..tensor import Tensor
from ._target import _copy_input, _RngGuard, float_outputs, kit_rng


def _rel(a, b) -> float:
    """``||a - b|| / ||b||`` over lists of arrays (0 when both are 0)."""
    num = sum(float(np.sum((np.asarray(x, np.float64) - y) ** 2)) for x, y in zip(a, b))
    den = sum(float(np.sum(np.asarray(y, np.float64) ** 2)) for y in b)
    if den == 0:
        return 0.0 if num == 0 else float("inf")
    return float(np.sqrt(num / den))


@dataclass
class LayerPrecision:
    """One row of :class:`PrecisionReport`: a layer's relative errors in the checked dtype."""

    name: str  # dotted module name (with "#k" for the k-th call of a module called repeatedly)
    kind: str  # the module's class name
    forward: float  # relative error of its output
    backward: float | None  # relative error of the gradient flowing into its output


@dataclass
class PrecisionReport:
    """Per-layer relative errors of a float32 (or other dtype) module against float64.

    Attributes
    ----------
    layers : list of LayerPrecision
        In forward (call) order; the whole module's output is the last row.
    parameters : dict
        Relative error of each parameter's gradient.
    inputs : dict
        Relative error of each floating input's gradient.
    first_jump : str or None
        The first layer (forward order) whose output error jumps by ``jump`` times over
        everything before it (and exceeds ``floor``).
    first_backward_jump : str or None
        The same for gradients, scanning in backward order (from the output).
    """

    dtype: str = ""
    layers: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    first_jump: str | None = None
    first_backward_jump: str | None = None
    jump: float = 10.0

    def __str__(self) -> str:
        w = max([len(r.name) for r in self.layers] + [5])
        k = max([len(r.kind) for r in self.layers] + [4])
        lines = [
            f"precision of {self.dtype} against float64 (relative errors):",
            f"  {'layer':<{w}}  {'type':<{k}}  {'output':>10}  {'grad in':>10}",
        ]
        for r in self.layers:
            b = "-" if r.backward is None else f"{r.backward:10.3g}"
            mark = ""
            if r.name == self.first_jump:
                mark += "  <- forward error jumps here"
            if r.name == self.first_backward_jump:
                mark += "  <- gradient error jumps here"
            lines.append(f"  {r.name:<{w}}  {r.kind:<{k}}  {r.forward:10.3g}  {b:>10}{mark}")
        if self.parameters:
            lines.append("  parameter gradients:")
            for n, e in self.parameters.items():
                lines.append(f"    {n}: {e:.3g}")
        if self.inputs:
            lines.append("  input gradients:")
            for n, e in self.inputs.items():
                lines.append(f"    {n}: {e:.3g}")
        if self.first_jump is None and self.first_backward_jump is None:
            lines.append(f"  no layer's error jumps by {self.jump:g}x")
        return "\n".join(lines)

    __repr__ = __str__


def _first_jump(rows, errs, floor, jump, start):
    best = start
    for r, e in zip(rows, errs):
        if e is None:
            continue
        if e > floor and e > jump * best:
            return r.name
        best = max(best, e)
    return None


def _instrument(module):
    """Forward hooks on every leaf module (and the root) recording outputs and, via tensor
    hooks, the gradients flowing into them. Returns (records, handles)."""
    records = []
    counts = {}
    handles = []
    mods = [(n, m) for n, m in module.named_modules() if not any(True for _ in m.children())]
    if not any(m is module for _, m in mods):
        mods.append(("", module))
    for name, m in mods:

        def hook(mod, args, out, name=name):
            k = counts.get(name, 0) + 1
            counts[name] = k
            label = (name or "(output)") + (f"#{k}" if k > 1 else "")
            outs = float_outputs(out)
            rec = {
                "name": label,
                "kind": type(mod).__name__,
                "out": [o._data.copy() for o in outs],
                "grad": [None] * len(outs),
            }
            for i, o in enumerate(outs):
                if o.requires_grad:

                    def store(g, i=i, rec=rec):
                        rec["grad"][i] = g._data.copy()

                    o.register_hook(store)
            records.append(rec)

        handles.append(m.register_forward_hook(hook))
    return records, handles


def check_precision(
    module,
    *inputs,
    dtype=None,
    train=None,
    seed: int = 0,
    jump: float = 10.0,
    floor: float | None = None,
) -> PrecisionReport:
    """Compare a copy of ``module`` in its own dtype (float32, typically) with a float64 copy,
    layer by layer, on the same inputs.

    Parameters
    ----------
    module : nn.Module
        Left untouched (the comparison runs on deep copies).
    *inputs
        The forward's arguments; floating tensors are used in ``dtype`` for the low-precision
        copy and cast (exactly) to float64 for the reference.
    dtype : dtype, optional
        The low precision to test; default: the dtype of the module's first floating
        parameter (float32 for a default module).
    train : bool, optional
        Mode of the copies; default: the module's.
    seed : int
        The default generator is reset to it before each forward (same dropout masks), and it
        seeds the random projection of the output that is backpropagated.
    jump : float
        A layer's error "jumps" when it exceeds ``jump`` times the largest error before it.
    floor : float, optional
        Errors below it never count as a jump; default ``100 * eps`` of ``dtype``.

    Returns
    -------
    PrecisionReport
        Per-layer errors (print it), ``first_jump`` and ``first_backward_jump``.
    """
    if dtype is None:
        ps = [p for p in module.parameters() if p.dtype.kind == "f"]
        dtype = ps[0].dtype if ps else np.dtype(np.float32)
    dtype = np.dtype(dtype)
    eps = float(np.finfo(dtype).eps)
    floor = 100 * eps if floor is None else float(floor)
    results = []
    for dt in (dtype, np.dtype(np.float64)):
        m = copy.deepcopy(module).to(dt)
        if train is not None:
            m.train(bool(train))
        args = [_copy_input(x, dtype, False) for x in inputs]  # round to the low precision...
        args = [_copy_input(x, dt, True) for x in args]  # ...then (exactly) to this copy's
        records, handles = _instrument(m)
        with _RngGuard(seed), enable_grad():
            out = float_outputs(m(*args))
            rng = kit_rng(seed, 1)
            roots = [o for o in out if o.requires_grad]
            gos = [Tensor._wrap(rng.standard_normal(o._data.shape).astype(dt)) for o in roots]
            if roots:
                from ..engine import backward

                backward(roots, gos)
        for h in handles:
            h.remove()
        pgrads = {n: (None if p.grad is None else p.grad._data) for n, p in m.named_parameters()}
        igrads = {
            f"input {i}": a.grad._data
            for i, a in enumerate(args)
            if isinstance(a, Tensor) and a.grad is not None
        }
        results.append((records, pgrads, igrads))
    (r_lo, p_lo, i_lo), (r_hi, p_hi, i_hi) = results
    report = PrecisionReport(dtype=str(dtype), jump=jump)
    for a, b in zip(r_lo, r_hi):
        fw = _rel(a["out"], b["out"])
        if any(g is None for g in a["grad"] + b["grad"]):
            bw = None
        else:
            bw = _rel(a["grad"], b["grad"])
        report.layers.append(LayerPrecision(a["name"], a["kind"], fw, bw))
    for n, g in p_lo.items():
        if g is not None and p_hi.get(n) is not None:
            report.parameters[n] = _rel([g], [p_hi[n]])
    for n, g in i_lo.items():
        if n in i_hi:
            report.inputs[n] = _rel([g], [i_hi[n]])
    rows = report.layers
    report.first_jump = _first_jump(rows, [r.forward for r in rows], floor, jump, eps)
    rev = rows[::-1]
    report.first_backward_jump = _first_jump(rev, [r.backward for r in rev], floor, jump, eps)
    return report
