"""Invariants of a backward pass, checked in the caller's own dtypes (not only values).

NOTE [ Invariants ]
One forward and one backward (incoming gradient: the check's random projection, in each
output's dtype) on fresh copies, then:

- backward modified no input, parameter or constant tensor in place;
- backward modified no incoming gradient in place;
- every gradient has its tensor's shape and dtype (whatever broadcasting happened inside);
- no gradient shares memory with an incoming gradient or with another gradient (an optimizer
  updating one in place would silently change the other);
- gradients are finite where the forward output is;
- the graph is freed: every node reached by backward has dropped its saved tensors, and once
  the outputs are dropped the nodes are garbage without the cycle collector (a reference cycle
  would keep every saved array alive until the next ``gc`` run).
"""

from __future__ import annotations

import gc
import weakref

import numpy as np

from ..engine import backward as _backward
from ..grad_mode import enable_grad
from ..graph import Node
from ..tensor import Tensor
from ._target import float_outputs


def _graph_nodes(roots) -> list:
    """Every Node reachable from ``roots`` (iteratively)."""
    seen = {}
    stack = [o.grad_fn for o in roots if o.grad_fn is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        for e in n.next:
            if e is not None and isinstance(e[0], Node):
                stack.append(e[0])
    return list(seen.values())


def _holds_saved(node) -> bool:
    if node.ctx is not None:
        return bool(node.ctx._saved)
    if node.out is not None:
        return True
    return node.saved is not None and any(isinstance(s, Tensor) for s in node.saved)


def check_invariants(target, measure) -> tuple:
    """Run the invariant checks on ``target``: (violations, notes, grads by leaf or None)."""
    violations = []
    notes = []
    leaves = target.leaves
    watched = [(n, t) for n, t in zip(target.names, leaves)]
    watched += [(f"constant tensor {i}", t) for i, t in enumerate(target.extra)]
    for x in leaves:
        x.grad = None
    with enable_grad():
        raw = target.forward()
        outs = float_outputs(raw)
        vs = measure.projections(outs)
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not pairs:
        return violations, notes, None
    roots = [o for o, _ in pairs]
    gos = [np.array(v, dtype=o._data.dtype) for o, v in pairs]
    gos_copy = [g.copy() for g in gos]
    before = [t._data.copy() for _, t in watched]
    finite_out = all(np.isfinite(o._data).all() for o in roots)
    node_refs = [weakref.ref(n) for n in _graph_nodes(roots)]
    try:
        _backward(roots, [Tensor._wrap(g) for g in gos])
    except Exception as e:  # noqa: BLE001  (a failing backward is a finding, reported)
        violations.append(f"backward raised {type(e).__name__}: {e}")
        return violations, notes, None
    for (name, t), b in zip(watched, before):
        if t._data.shape != b.shape or not np.array_equal(t._data, b, equal_nan=True):
            violations.append(f"backward modified {name} in place")
    for k, (g, c) in enumerate(zip(gos, gos_copy)):
        if not np.array_equal(g, c, equal_nan=True):
            violations.append(f"backward modified the incoming gradient of output {k} in place")
    grads = []
    for name, x in zip(target.names, leaves):
        g = x.grad
        if g is None:
            grads.append(None)
            continue
        ga = g._data
        if ga.shape != x._data.shape:
            violations.append(
                f"gradient of {name} has shape {ga.shape}, but {name} has shape {x._data.shape}"
            )
        if ga.dtype != x._data.dtype:
            violations.append(
                f"gradient of {name} has dtype {ga.dtype}, but {name} has dtype {x._data.dtype}"
            )
        if finite_out and not np.isfinite(ga).all():
            violations.append(f"gradient of {name} has non-finite entries (the output is finite)")
        for k, gin in enumerate(gos):
            if np.shares_memory(ga, gin):
                violations.append(f"gradient of {name} shares memory with incoming gradient {k}")
        for other, og in zip(target.names, grads):
            if og is not None and np.shares_memory(ga, og):
                violations.append(f"gradient of {name} shares memory with gradient of {other}")
        grads.append(ga)
    stale = [r() for r in node_refs]
    stale = [n for n in stale if n is not None and _holds_saved(n)]
    if stale:
        names = sorted({n.name() for n in stale})
        violations.append(
            f"graph not freed: after backward {len(stale)} node(s) still hold saved tensors "
            f"({', '.join(names)})"
        )
    copies = [None if g is None else g.copy() for g in grads]
    was = gc.isenabled()
    gc.disable()
    try:
        stale = raw = outs = roots = pairs = g = None  # drop every reference to the graph
        _check_collected(node_refs, violations, notes)
    finally:
        if was:
            gc.enable()
    return violations, notes, copies


def _check_collected(node_refs, violations, notes):
    """With the outputs dropped, the graph must be garbage without the cycle collector."""
    alive = [r for r in node_refs if r() is not None]
    if not alive:
        return
    gc.collect()
    still = [r for r in alive if r() is not None]
    cyc = len(alive) - len(still)
    if cyc:
        violations.append(
            f"graph not freed: {cyc} node(s) are kept alive by a reference cycle after "
            f"backward and only the cycle collector frees them"
        )
    if still:
        notes.append(
            f"{len(still)} graph node(s) stay alive after backward because something holds "
            f"a reference to them (e.g. an output stored on the module)"
        )
