"""``autograd.compile``: record a function's ops once, replay them as straight-line NumPy.

NOTE [ Record and replay ]
The first call for a guard key runs the function eagerly with a recorder installed (the
dispatch's one ``_state.hooks`` test sends every op call to :meth:`_Recorder.op_call`). The
recording is a list of steps over *slots* (the arrays of the call): the inputs, the parameters
and other tensors read from outside ("externals", read again at every call), each op's output,
and the arrays made by :func:`arrays` and :func:`autograd.random.draw` steps (library code that
computes with arrays outside the ops: batch statistics, dropout masks, in-place buffer updates).
A replay runs ``op.forward`` over the slots' arrays (no Tensor, no Node per op), remaking each
random draw from its generator and each array step, and returns Tensors whose ``grad_fn`` is one
:class:`CompiledNode`. Its ``apply`` runs the recorded VJPs in reverse recording order (the
engine's order, so sums happen in the same order: results are bit-identical to eager), with the
same saved values (arrays) or :class:`~autograd.graph.Meta` the eager nodes had.

Guards: the key is the tensor inputs' shapes, dtypes and ``requires_grad``, the other arguments,
grad mode and (for a Module) the ``training`` flags; at each replay every external is read again
(a module's parameters and buffers through their owner, so ``p.data = ...``, ``load_state_dict``
and optimizers' flat buffers are seen) and checked against the shape, dtype and
``requires_grad`` it was recorded with. A miss records again.

What a replay cannot reproduce makes the recording unusable and the function then runs eagerly,
with one warning naming the file and line (``fullgraph=True``: raises): a traced tensor turned
into a Python value (``item``, ``bool``, ``tolist``, ``numpy``, iteration), an in-place
operation on a traced tensor, a hook registered inside, a random draw not made through
``autograd.random.draw``. ``backward(create_graph=True)`` through a compiled call re-runs the
recorded ops eagerly on Tensors; anomaly mode and the profiler run the function eagerly.
"""

from __future__ import annotations

import builtins
import functools
import os
import sys
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from . import graph as _graph
from .grad_mode import _state
from .graph import Meta, Node
from .tensor import Tensor, _refresh

_ndarray = np.ndarray
_AUTOGRAD_DIR = os.path.dirname(os.path.abspath(__file__))


class CompileFallback(RuntimeError):
    """Raised under ``fullgraph=True`` when the function cannot be recorded."""


# ---------------------------------------------------------------------------------------
# array steps


def arrays(fn: Callable, *args, mutates: tuple = ()):
    """``fn(*arrays)``: NumPy work on tensors' arrays outside the ops, made replayable.

    Library code that computes with ``t._data`` (batch statistics, an in-place update of a
    running buffer) calls it through here, so that an ``autograd.compile`` replay computes it
    again from the current arrays instead of baking the recorded result in.

    Parameters
    ----------
    fn : callable
        ``fn(*vals)`` where each Tensor argument is replaced by its array; returns an array,
        a tuple of arrays, or None.
    mutates : tuple of int
        Indices of Tensor arguments ``fn`` modifies in place (their version is bumped).
    """
    vals = [a._data if isinstance(a, Tensor) else a for a in args]
    out = fn(*vals)
    for i in mutates:
        if args[i] is not None:
            args[i]._bump()
    rec = _state._recorder
    if rec is not None:
        rec.array_step(fn, args, vals, out, mutates)
    return out


# ---------------------------------------------------------------------------------------
# the recording


class _Untraceable(Exception):
    pass


class _HasHooks(Exception):
    """A module of the tree has forward (pre-)hooks: their side effects are not replayable, so
    calls run eagerly while any is registered."""


class _FnOp:
    """Stand-in op record for the compiled node (name and node name)."""

    __slots__ = ("name", "node_name", "vjps", "vjp_all")

    def __init__(self, name):
        self.name = name
        self.node_name = "CompiledFunctionBackward"
        self.vjps = ()
        self.vjp_all = None


_COMPILED_OP = _FnOp("compiled")


def _user_frame() -> str:
    f = sys._getframe(2)
    here = os.path.abspath(__file__)
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if fn != here and not fn.startswith(_AUTOGRAD_DIR + os.sep):
            return f"{f.f_code.co_filename}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


class _Recorder:
    def __init__(self, owners: dict):
        self.owners = owners  # id(tensor) -> (module, dict name, key)
        self.steps = []  # (kind, ...)
        self.tslot = {}  # id(tensor) -> slot
        self.aslot = {}  # id(array) -> slot
        self.alive = []  # keeps recorded objects alive (ids stay unique)
        self.nslots = 0
        self.inputs = []  # slot of each tensor input
        self.externals = []  # (slot, tensor, owner, shape, dtype, rg)
        self.nodeslot = {}  # (id(node), oi) -> slot
        self.bad = None

    def new_slot(self, obj=None, arr=None):
        s = self.nslots
        self.nslots += 1
        if obj is not None:
            self.tslot[id(obj)] = s
            self.alive.append(obj)
            arr = obj._data
        if arr is not None:
            self.aslot[id(arr)] = s
            self.alive.append(arr)
        return s

    def untraceable(self, t, what) -> None:
        if (
            t is not None
            and id(t) not in self.tslot
            and id(t._data) not in self.aslot
            and id(t) not in self.owners
        ):
            if what != "an in-place operation":
                return  # a tensor the recording never saw (made inside from constants)
        if self.bad is None:
            kind = (
                "an in-place operation that mutates an input"
                if (t is not None and self._is_input(t))
                else what
            )
            self.bad = (kind, _user_frame())
            if self.fullgraph:
                raise CompileFallback(
                    f"autograd.compile(fullgraph=True): the function uses {kind} at "
                    f"{self.bad[1]}, which a replay cannot reproduce"
                )

    def _is_input(self, t):
        s = self.tslot.get(id(t))
        if s is None and t._base is not None:
            s = self.tslot.get(id(t._base))
        return s is not None and s in self.input_set

    # -- slot lookup -------------------------------------------------------------------
    def ref(self, a):
        """The slot of a Tensor or array argument, or None (a constant)."""
        if isinstance(a, Tensor):
            s = self.tslot.get(id(a))
            if s is not None:
                return s
            s = self.aslot.get(id(a._data))
            if s is not None:
                self.tslot[id(a)] = s
                self.alive.append(a)
                return s
            owner = self.owners.get(id(a))
            if owner is not None or self.free_externals:
                s = self.new_slot(a)
                d = a._data
                self.externals.append((s, a, owner, d.shape, d.dtype, a._rg))
                return s
            return None
        if type(a) is _ndarray:
            return self.aslot.get(id(a))
        return None

    def template(self, args, kwargs):
        vals = []
        refs = []
        for i, a in enumerate(args):
            s = self.ref(a)
            if s is None:
                vals.append(a._data if isinstance(a, Tensor) else a)
            else:
                vals.append(None)
                refs.append((i, s))
        kw = dict(kwargs)
        krefs = []
        for k, a in kwargs.items():
            s = self.ref(a)
            if s is not None:
                kw[k] = None
                krefs.append((k, s))
            elif isinstance(a, Tensor):
                kw[k] = a._data
        return vals, refs, kw, krefs

    # -- hooks from the dispatch -------------------------------------------------------
    def op_call(self, op, args, kwargs):
        st = _state
        st.recorder = None
        try:
            out = op(*args, **kwargs)
        finally:
            st.recorder = self
        if self.bad is not None:
            return out
        vals, refs, kw, krefs = self.template(args, kwargs)
        s = self.new_slot(out)
        node = out.grad_fn
        bwd = None
        if node is not None:
            self.nodeslot[(id(node), 0)] = s
            bwd = self._backward_plan(node, args, refs, vals)
        promote = False
        if op.promote is not None:  # whether PyTorch's dtype rule changes NumPy's result here
            raw = [a._data if isinstance(a, Tensor) else a for a in args]
            rkw = {k: a._data if isinstance(a, Tensor) else a for k, a in kwargs.items()}
            promote = np.asarray(op.forward(*raw, **rkw)).dtype != out._data.dtype
        self.steps.append(("op", op, vals, refs, kw, krefs, s, bwd, promote))
        return out

    def _backward_plan(self, node, args, refs, vals):
        """Edges (input slot, shape, dtype) and the VJP arguments' template."""
        argslot = dict(refs)
        edges = []
        for i, e in enumerate(node.next):
            if e is None:
                edges.append(None)
                continue
            s = argslot.get(i)
            if s is None or not self._edge_matches(e, s):
                raise _Untraceable("a gradient edge the recording cannot follow")
            edges.append((s, node.shapes[i], node.dtypes[i]))
        bvals = list(vals)
        brefs = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                if node.saved[i] is None:
                    bvals[i] = Meta(node.shapes[i], node.dtypes[i])
                elif i in argslot:
                    brefs.append((i, argslot[i]))
            elif i in argslot:  # an array made by an array step or a draw
                brefs.append((i, argslot[i]))
        return edges, bvals, brefs, node.out is not None

    def _edge_matches(self, e, s):
        target, oi = e
        if oi >= 0:
            return self.nodeslot.get((id(target), oi)) == s
        return self.tslot.get(id(target)) == s

    def function_call(self, cls, args, kwargs):
        """An ``autograd.Function`` call: recorded as one step that runs the Function."""
        st = _state
        st.recorder = None
        try:
            outs = cls.apply(*args, **kwargs)
        finally:
            st.recorder = self
        if self.bad is not None:
            return outs
        single = not isinstance(outs, tuple)
        tup = (outs,) if single else outs
        vals, refs, kw, krefs = self.template(args, kwargs)
        if krefs:
            raise _Untraceable("a Tensor keyword argument of an autograd.Function")
        slots = []
        node = None
        for o in tup:
            if isinstance(o, Tensor):
                slots.append(self.new_slot(o))
                if o.grad_fn is not None:
                    node = o.grad_fn
                    self.nodeslot[(id(node), o._oi)] = slots[-1]
            else:
                slots.append(None)
        edges = None
        if node is not None:
            argslot = dict(refs)
            edges = []
            for i, e in enumerate(node.next):
                s = argslot.get(i)
                if e is None:
                    edges.append(None)
                elif s is None or not self._edge_matches(e, s):
                    raise _Untraceable("a gradient edge the recording cannot follow")
                else:
                    edges.append((s, node.shapes[i], node.dtypes[i]))
        rgs = [isinstance(a, Tensor) and a._rg for a in args]
        ext = {s for s, *_ in self.externals}
        self.steps.append(("fn", cls, vals, refs, kw, slots, edges, single, rgs, ext))
        return outs

    def array_step(self, fn, args, vals, out, mutates):
        refs = []
        vals = list(vals)
        for i, a in enumerate(args):
            s = self.ref(a)
            if s is not None:
                refs.append((i, s))
                vals[i] = None
        if out is None:
            slots = None
        elif isinstance(out, tuple):
            slots = tuple(self.new_slot(arr=o) if type(o) is _ndarray else None for o in out)
            if None in slots:
                raise _Untraceable("an array step returning non-arrays")
        elif type(out) is _ndarray:
            slots = self.new_slot(arr=out)
        else:
            raise _Untraceable("an array step returning non-arrays")
        mut = tuple(s for i, s in refs if i in mutates)
        self.steps.append(("arr", fn, vals, refs, slots, mut))

    def draw_step(self, generator, fn, arr):
        if type(arr) is not _ndarray:
            raise _Untraceable("a random draw returning a non-array")
        self.steps.append(("draw", generator, fn, self.new_slot(arr=arr)))


# ---------------------------------------------------------------------------------------
# the plan (a finished recording)


class _Plan:
    __slots__ = (
        "nslots",
        "inputs",
        "externals",
        "steps",
        "outputs",
        "sources",
        "treedef",
        "forward",
        "backward",
        "verified",
        "saved",
    )

    def __init__(self, rec, outputs, treedef):
        self.nslots = rec.nslots
        self.inputs = rec.inputs
        self.externals = [
            (s, t if owner is None else None, owner, shape, dtype, rg)
            for s, t, owner, shape, dtype, rg in rec.externals
        ]
        self.steps = rec.steps
        self.outputs = outputs  # per output leaf: ("slot", slot, rg) or ("const", obj)
        self.treedef = treedef
        # the input and external slots a gradient reaches (the compiled node's edges)
        ins = set(rec.inputs) | {e[0] for e in rec.externals}
        srcs = []
        for st in rec.steps:
            if st[0] == "op":
                edges = st[7][0] if st[7] is not None else None
            else:
                edges = st[6] if st[0] == "fn" else None
            for e in edges or ():
                if e is not None and e[0] in ins and e[0] not in srcs:
                    srcs.append(e[0])
        for o in outputs:  # an input returned as it is still passes its gradient on
            if o[0] == "slot" and o[1] in ins and o[3] and o[1] not in srcs:
                srcs.append(o[1])
        self.sources = srcs
        # the inputs and externals whose values the backward reads (their versions are checked)
        saved = set()
        for st in rec.steps:
            if st[0] == "op" and st[7] is not None:
                saved.update(s for _, s in st[7][2])
        self.saved = sorted(saved & ins)
        self.forward, self.backward = _generate(self)
        self.verified = False


def _flatten(obj, leaves):
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return ("T",)
    if isinstance(obj, (tuple, list)):
        return (type(obj), tuple(_flatten(o, leaves) for o in obj))
    if isinstance(obj, dict):
        return (dict, tuple((k, _flatten(v, leaves)) for k, v in obj.items()))
    return ("C", obj)


def _unflatten(tree, it):
    tag = tree[0]
    if tag == "T":
        return next(it)
    if tag == "C":
        return tree[1]
    if tag is dict:
        return {k: _unflatten(v, it) for k, v in tree[1]}
    items = [_unflatten(v, it) for v in tree[1]]
    return tuple(items) if tag is tuple else (tag(items) if tag is not list else items)


def _fill(vals, refs, env):
    vals = list(vals)
    for i, s in refs:
        vals[i] = env[s]
    return vals


def _run_forward(plan, env, ext_tensors):
    """Replay the forward (the generated straight-line code); returns the Function nodes made
    (by step index)."""
    fnodes = {}
    plan.forward(env, ext_tensors, fnodes)
    return fnodes


def _one_step(k, st, env, ext_tensors, fnodes):
    """One array, draw or Function step of a replay."""
    from .random import _raw_rng

    kind = st[0]
    if kind == "draw":
        _, gen, fn, s = st
        env[s] = fn(_raw_rng(gen))
    elif kind == "arr":
        _, fn, vals, refs, slots, mut = st
        out = fn(*_fill(vals, refs, env))
        if slots is not None:
            if isinstance(slots, tuple):
                for s, o in zip(slots, out):
                    env[s] = o
            else:
                env[slots] = out
        for s in mut:
            t = ext_tensors.get(s)
            if t is not None:
                t._bump()
    else:  # "fn": an autograd.Function, run on Tensors
        _, cls, vals, refs, kw, slots, edges, single, rgs, ext = st
        args = list(vals)
        for i, r in refs:
            t = ext_tensors.get(r)
            args[i] = t if t is not None else Tensor._wrap(env[r], rgs[i])
        prev = _state.grad
        _state.grad = edges is not None and prev
        try:
            outs = cls.apply(*args, **kw)
        finally:
            _state.grad = prev
        tup = (outs,) if single else outs
        node = None
        for s, o in zip(slots, tup):
            if s is not None:
                env[s] = o._data
                if o.grad_fn is not None:
                    node = o.grad_fn
        fnodes[k] = node


# NOTE [ Straight-line code ]
# A plan's forward and backward are generated as Python source, one line per op call
# (``E[7] = f3(E[2], E[5], **k3)``), so a replay runs no interpreter loop over the steps: the
# "straight-line NumPy" of the recording. Array, draw and Function steps call helpers bound in
# the generated functions' namespace. The backward repeats the engine's arithmetic exactly: a
# node's VJPs all run before its gradients are delivered, sums are ``prev + g`` in the same
# order, and ``_reduce`` runs under the same test.


def _generate(plan):
    from .engine import _reduce
    from .ops._registry import _promote
    from .random import _raw_rng

    ns = {"nd": _ndarray, "asarray": np.asarray, "P": _promote, "R": _reduce, "RNG": _raw_rng}
    fwd = ["def forward(E, X, FN):"]
    bwd = ["def backward(E, G, FN):"]

    def const(name, value):
        ns[name] = value
        return name

    # Liveness: an intermediate the backward does not read is dropped after its last forward
    # use (as eager drops a tensor no node saved), so a replay holds no more memory than eager.
    keep = set(plan.inputs) | {e[0] for e in plan.externals}
    keep |= {o[1] for o in plan.outputs if o[0] == "slot"}
    last = {}
    for k, st in enumerate(plan.steps):
        if st[0] == "draw":
            keep.add(st[3])
        if st[0] == "op":
            for _, r in (*st[3], *st[5]):
                last[r] = k
            if st[7] is not None:
                keep.update(r for _, r in st[7][2])
                keep.update(r for _, r in st[5])
                if st[7][3]:
                    keep.add(st[6])
        elif st[0] in ("arr", "fn"):
            for _, r in st[3]:
                last[r] = k
            if st[0] == "arr" and st[4] is not None:  # kept for a create_graph re-run
                keep.update(st[4] if isinstance(st[4], tuple) else (st[4],))
            if st[0] == "fn":
                keep.update(r for _, r in st[3])
                keep.update(x for x in st[5] if x is not None)
    dead_after = {}
    for r, k in last.items():
        if r not in keep:
            dead_after.setdefault(k, []).append(r)

    def call_args(k, tag, vals, refs, kw, krefs):
        refd = dict(refs)
        parts = [
            f"E[{refd[i]}]" if i in refd else const(f"{tag}{k}_{i}", v) for i, v in enumerate(vals)
        ]
        if krefs:
            kd = dict(krefs)
            for key, v in kw.items():
                parts.append(
                    f"{key}=E[{kd[key]}]" if key in kd else f"{key}={const(f'{tag}{k}_{key}', v)}"
                )
        elif kw:
            parts.append(f"**{const(f'k{k}', kw)}")
        return ", ".join(parts)

    def deliver(lines, k, i, r, edge, ind):
        t, shape, dtype = edge
        sh = const(f"S{k}_{i}", shape)
        dt = const(f"D{k}_{i}", dtype)
        lines += [
            f"{ind}if {r} is not None:",
            f"{ind}    if type({r}) is not nd or {r}.shape != {sh} or {r}.dtype != {dt}:",
            f"{ind}        {r} = R({r}, {sh}, {dt}, False)",
            f"{ind}    p = G[{t}]",
            f"{ind}    G[{t}] = {r} if p is None else p + {r}",
        ]

    for k, st in enumerate(plan.steps):
        kind = st[0]
        for r in dead_after.get(k - 1, ()):
            fwd.append(f"    E[{r}] = None")
        if kind == "op":
            _, op, vals, refs, kw, krefs, s, bwd_plan, promote = st
            f = const(f"f{k}", op.forward)
            args = call_args(k, "c", vals, refs, kw, krefs)
            fwd.append(f"    t = {f}({args})")
            fwd.append("    if type(t) is not nd:")
            fwd.append("        t = asarray(t)")
            if promote:
                plain = call_args(k, "c", vals, refs, {}, ())
                fwd.append(f"    t = P({const(f'op{k}', op)}, [{plain}], t)")
            fwd.append(f"    E[{s}] = t")
            if bwd_plan is None:
                continue
            edges, bvals, brefs, save_out = bwd_plan
            bargs = call_args(k, "b", bvals, brefs, kw, krefs)
            ans = f"E[{s}]" if save_out else "None"
            lines = [f"    g = G[{s}]", "    if g is not None:", f"        G[{s}] = None"]
            if op.vjp_all is not None:
                va = const(f"va{k}", op.vjp_all)
                lines.append(f"        res = {va}(g, {ans}, {bargs})")
                lines.append("        if res is not None:")
                for i, e in enumerate(edges):
                    if e is not None:
                        lines.append(f"            r{i} = res[{i}]")
                        deliver(lines, k, i, f"r{i}", e, "            ")
            else:
                for i, e in enumerate(edges):
                    if e is not None:
                        v = const(f"v{k}_{i}", op.vjps[i])
                        lines.append(f"        r{i} = {v}(g, {ans}, {bargs})")
                for i, e in enumerate(edges):
                    if e is not None:
                        deliver(lines, k, i, f"r{i}", e, "        ")
            bwd[1:1] = lines  # reverse order: later steps first
        elif kind == "draw":
            _, gen, fn, s = st
            fwd.append(f"    E[{s}] = {const(f'fn{k}', fn)}(RNG({const(f'gen{k}', gen)}))")
        else:  # array and Function steps: the interpreter's code, one step
            h = const(f"h{k}", functools.partial(_one_step, k, st))
            fwd.append(f"    {h}(E, X, FN)")
            if kind == "fn" and st[6] is not None:
                lines = [
                    f"    gs = [None if s is None else G[s] for s in {const(f'sl{k}', st[5])}]",
                    "    if any(x is not None for x in gs):",
                ]
                lines += [f"        G[{sl}] = None" for sl in st[5] if sl is not None]
                lines.append(f"        res = FN[{k}].apply(gs, False)")
                lines.append("        if res is not None:")
                for i, e in enumerate(st[6]):
                    if e is not None:
                        lines.append(f"            r{i} = res[{i}]")
                        deliver(lines, k, i, f"r{i}", e, "            ")
                bwd[1:1] = lines
    for r in dead_after.get(len(plan.steps) - 1, ()):
        fwd.append(f"    E[{r}] = None")
    fwd.append("    return None")
    bwd.append("    return None")
    src = "\n".join(fwd) + "\n\n" + "\n".join(bwd) + "\n"
    exec(builtins.compile(src, "<autograd.compile plan>", "exec"), ns)  # noqa: S102
    return ns["forward"], ns["backward"]


class CompiledNode(Node):
    """The one graph node of a compiled call: its VJP replays the recorded backward."""

    __slots__ = ("plan", "env", "fnodes", "src_tensors", "ext_tensors", "out_slots", "call")

    def apply(self, grads: list, differentiable: bool):
        if self.freed:
            raise RuntimeError(_graph._FREED)
        for vc, ver, shape in self.vcs:
            if vc[0] != ver:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: a tensor of shape {shape}, read by a compiled "
                    f"call, is at version {vc[0]}; expected version {ver} instead."
                )
        if differentiable:
            return self._apply_eager(grads)
        plan = self.plan
        G = [None] * plan.nslots
        for s, g in zip(self.out_slots, grads):
            if g is not None and s >= 0:
                prev = G[s]
                G[s] = g if prev is None else prev + g
        plan.backward(self.env, G, self.fnodes)
        return [G[s] for s in plan.sources]

    def _apply_eager(self, grads):
        """``create_graph=True``: re-run the recorded ops on Tensors, differentiate that."""
        from .engine import grad as _grad

        plan = self.plan
        env = self.env
        tens = dict(zip(plan.sources, self.src_tensors))
        tens.update(self.ext_tensors)
        for st in plan.steps:
            kind = st[0]
            if kind == "op":
                _, op, vals, refs, kw, krefs, s, _, _ = st
                args = list(vals)
                for i, r in refs:
                    args[i] = tens[r] if r in tens else env[r]
                kw = dict(kw)
                for key, r in krefs:
                    kw[key] = tens[r] if r in tens else env[r]
                tens[s] = op(*args, **kw)
            elif kind == "fn":
                raise RuntimeError(
                    "autograd.compile: backward(create_graph=True) through a compiled call that "
                    f"runs autograd.Function {st[1].__name__} is not supported; call the "
                    "function without autograd.compile for higher-order gradients"
                )
        outs, gs = [], []
        for s, g in zip(self.out_slots, grads):
            if g is not None:
                outs.append(tens[s])
                gs.append(g)
        srcs = self.src_tensors
        res = _grad(outs, srcs, gs, retain_graph=True, create_graph=True, allow_unused=True)
        return list(res)

    def release(self) -> None:
        self.env = None
        self.fnodes = None
        self.freed = True


# ---------------------------------------------------------------------------------------
# the compiled callable


class _Compiled:
    def __init__(self, fn, module, fullgraph, cache_size):
        self.fn = fn
        self.module = module
        self.fullgraph = fullgraph
        self.cache_size = cache_size
        self.cache = OrderedDict()
        self.eager = None  # (reason, where) once the function proved unrecordable
        self.hits = self.misses = self.verifications = 0
        functools.update_wrapper(self, fn)

    def cache_info(self) -> dict:
        """Recordings kept, hits (replays), misses (recordings) and the fallback, if any."""
        return {
            "recordings": len(self.cache),
            "maxsize": self.cache_size,
            "hits": self.hits,
            "misses": self.misses,
            "verifications": self.verifications,
            "eager_fallback": None if self.eager is None else f"{self.eager[0]} at {self.eager[1]}",
        }

    def _key(self, args, kwargs):
        key = [_state.grad]
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                key.append((d.shape, d.dtype, a._rg))
            else:
                key.append(a)
        for k, a in kwargs.items():
            if isinstance(a, Tensor):
                d = a._data
                key.append((k, d.shape, d.dtype, a._rg))
            else:
                key.append((k, a))
        if self.module is not None:
            flags = []
            for m in self.module.modules():
                if m._forward_hooks or m._forward_pre_hooks:
                    raise _HasHooks
                flags.append(m.training)
            key.append(tuple(flags))
        return tuple(key)

    def __call__(self, *args, **kwargs):
        st = _state
        if self.eager is not None or st.hooks:  # fallen back, or anomaly/profiler/recording
            return self.fn(*args, **kwargs)
        try:
            key = self._key(args, kwargs)
            hash(key)
        except (TypeError, _HasHooks):  # an unhashable argument, or module hooks: eager
            return self.fn(*args, **kwargs)
        plan = self.cache.get(key)
        if plan is not None and not plan.verified:  # NOTE [ Recorded twice ]
            self.verifications += 1
            return self._record(key, args, kwargs, check=plan)
        if plan is not None:
            out = _replay(plan, args, kwargs)
            if out is not _MISS:
                self.hits += 1
                self.cache.move_to_end(key)
                return out
        self.misses += 1
        return self._record(key, args, kwargs)

    def _record(self, key, args, kwargs, check=None):
        owners = {}
        if self.module is not None:
            for m in self.module.modules():
                for dname in ("_parameters", "_buffers"):
                    for name, t in getattr(m, dname).items():
                        if t is not None:
                            owners[id(t)] = (m, dname, name)
        rec = _Recorder(owners)
        rec.fullgraph = self.fullgraph
        rec.free_externals = self.module is None
        flat = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        for t in flat:
            rec.inputs.append(rec.tslot.get(id(t)) if id(t) in rec.tslot else rec.new_slot(t))
        rec.input_set = set(rec.inputs)
        st = _state
        st.recorder = rec
        reason = None
        try:
            out = self.fn(*args, **kwargs)
        except _Untraceable as e:
            st.recorder = None
            reason = str(e)
            out = None
        finally:
            st.recorder = None
        if reason is not None:  # could not finish the recording: run it again, eagerly
            self._fall_back((reason, "<recording>"))
            return self.fn(*args, **kwargs)
        if rec.bad is not None:
            self._fall_back(rec.bad)
            return out
        leaves = []
        tree = _flatten(out, leaves)
        outputs = []
        for t in leaves:
            s = rec.ref(t)
            if s is None:
                outputs.append(("const", t))
            else:
                outputs.append(("slot", s, t._rg, t.grad_fn is not None))
        plan = _Plan(rec, outputs, tree)
        if check is not None:
            diff = _difference(check, plan)
            if diff is not None:
                self._fall_back((diff, "<recorded twice>"))
                return out
            plan.verified = True
        self.cache[key] = plan
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return out

    def _fall_back(self, bad):
        self.eager = bad
        self.cache.clear()
        msg = (
            f"autograd.compile: {getattr(self.fn, '__qualname__', self.fn)} uses {bad[0]} at "
            f"{bad[1]}, which a replay cannot reproduce; it runs eagerly from now on"
        )
        if self.fullgraph:
            raise CompileFallback(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=4)


_MISS = object()

# NOTE [ Recorded twice ]
# Library code may compute an array from a traced tensor outside the ops (``t._data`` read
# directly) without going through :func:`arrays`; a replay would then reuse the recorded array.
# To catch that, the second call for a key records again instead of replaying, and the two
# recordings must agree: the same steps, and equal constant arguments. An array constant that
# differs was computed from the call's values: the function falls back to eager (with the op
# named in the warning). Only then does the key replay.


def _difference(a, b):
    """How two recordings of one key differ (a phrase for the warning), or None."""
    if len(a.steps) != len(b.steps):
        return "data-dependent control flow (two calls recorded different op sequences)"
    if len(a.externals) != len(b.externals):
        return "data-dependent control flow (two calls read different tensors)"
    for ea, eb in zip(a.externals, b.externals):
        ta, tb = ea[1], eb[1]
        if ea[2] != eb[2] or (ta is not tb and (ta is None or tb is None)):
            return "data-dependent control flow (two calls read different tensors)"
        if ta is not tb and not _same(ta._data, tb._data):  # a tensor made inside, from values
            return (
                "an array computed from traced values outside the ops (a tensor made inside the "
                "function changed between two calls)"
            )
    for sa, sb in zip(a.steps, b.steps):
        kind = sa[0]
        if kind != sb[0] or (kind in ("op", "fn") and sa[1] is not sb[1]):
            return "data-dependent control flow (two calls recorded different op sequences)"
        if kind == "draw":
            continue
        name = sa[1].name if kind == "op" else getattr(sa[1], "__name__", "an array step")
        same = sa[3] == sb[3] and _same(sa[2], sb[2])
        if same and kind in ("op", "fn"):
            same = _same(sa[4], sb[4]) and (kind == "fn" or sa[5] == sb[5])
        if not same:
            return (
                f"an array computed from traced values outside the ops (an argument of "
                f"{name} changed between two calls)"
            )
    if len(a.outputs) != len(b.outputs) or any(
        x[0] != y[0] or x[1] != y[1] if x[0] == "slot" else x[0] != y[0]
        for x, y in zip(a.outputs, b.outputs)
    ):
        return "data-dependent outputs"
    return None


def _same(x, y) -> bool:
    if type(x) is _ndarray or type(y) is _ndarray:
        if type(x) is not type(y) or x.shape != y.shape or x.dtype != y.dtype:
            return False
        return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    if isinstance(x, (tuple, list)):
        return type(x) is type(y) and len(x) == len(y) and all(map(_same, x, y))
    if isinstance(x, dict):
        return type(y) is dict and x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, Meta):
        return isinstance(y, Meta) and x.shape == y.shape and x.dtype == y.dtype
    try:
        return bool(x == y)
    except Exception:  # noqa: BLE001 - incomparable: the same object or different
        return x is y


def _replay(plan, args, kwargs):
    env = [None] * plan.nslots
    flat = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    for s, t in zip(plan.inputs, flat):
        env[s] = t._data
    ext_tensors = {}
    for s, t, owner, shape, dtype, rg in plan.externals:
        if owner is not None:
            t = getattr(owner[0], owner[1]).get(owner[2])
            if t is None:
                return _MISS
        d = t._data
        if d.shape != shape or d.dtype != dtype or t._rg != rg:
            return _MISS
        env[s] = d
        ext_tensors[s] = t
    fnodes = _run_forward(plan, env, ext_tensors)
    node = None
    if _state.grad and plan.sources:
        tens = {}
        for s, t in zip(plan.inputs, flat):
            tens[s] = t
        tens.update(ext_tensors)
        node = _make_node(plan, env, fnodes, tens, ext_tensors)
    leaves = []
    for k, o in enumerate(plan.outputs):
        if o[0] == "const":
            leaves.append(o[1])
            continue
        s, rg, has_fn = o[1], o[2], o[3]
        if not has_fn:
            t = ext_tensors.get(s)
            if t is None:
                t = next((x for x, si in zip(flat, plan.inputs) if si == s), None)
            leaves.append(t if t is not None else Tensor._wrap(env[s]))
        elif node is not None and rg:
            leaves.append(Tensor._make(env[s], node, k))
        else:
            leaves.append(Tensor._wrap(env[s]))
    return _unflatten(plan.treedef, iter(leaves))


def _make_node(plan, env, fnodes, tens, ext_tensors):
    node = CompiledNode.__new__(CompiledNode)
    node.seq = next(_graph._sequence)
    node.op = _COMPILED_OP
    node.kw = {}
    node.nout = len(plan.outputs)
    node.freed = False
    node.pre_hooks = None
    node.retains = None
    node.ctx = None
    node.saved = ()
    node.out = None
    node.plan = plan
    node.env = env
    node.fnodes = fnodes
    node.ext_tensors = ext_tensors
    node.out_slots = [o[1] if o[0] == "slot" else -1 for o in plan.outputs]
    nxt, shapes, dtypes, srcs, vcs = [], [], [], [], []
    for s in plan.sources:
        t = tens[s]
        srcs.append(t)
        d = t._data
        shapes.append(d.shape)
        dtypes.append(d.dtype)
        if t._rg:
            fn = t.grad_fn if t._base is None else _refresh(t, node)
            nxt.append((fn, t._oi) if fn is not None else (t, -1))
        else:
            nxt.append(None)
    for s in plan.saved:
        t = tens[s]
        vc = t._vc
        if vc is None:
            vc = t._vc = [0]
        vcs.append((vc, vc[0], tuple(t._data.shape)))
    node.next = nxt
    node.shapes = shapes
    node.dtypes = dtypes
    node.src_tensors = srcs
    node.vcs = vcs
    return node


# ---------------------------------------------------------------------------------------
# public entry point


def compile(  # noqa: A001 - torch.compile's name
    model: Any = None,
    *,
    fullgraph: bool = False,
    dynamic: Any = None,
    backend: Any = "numpy",
    mode: Any = None,
    options: Any = None,
    disable: bool = False,
    cache_size: int = 8,
):
    """Record ``model`` (a function or a Module) once per guard key; replay the recording as
    straight-line NumPy (NOTE [ Record and replay ] in ``autograd/compiler.py``).

    Parameters
    ----------
    model : callable or nn.Module
        What to compile; omitted, ``compile`` returns a decorator.
    fullgraph : bool
        Raise ``autograd.compiler.CompileFallback`` instead of falling back to eager.
    dynamic, backend, mode, options
        Accepted for ``torch.compile`` compatibility; ignored.
    disable : bool
        Return ``model`` unchanged.
    cache_size : int
        Recordings kept (least recently used dropped first).

    Returns
    -------
    callable or OptimizedModule
        Same signature as ``model``; for a Module, a wrapper Module (``_orig_mod``) whose
        parameters, buffers, ``state_dict`` and ``train()/eval()`` are the original's.
    """
    if model is None:
        return lambda m: compile(
            m,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            disable=disable,
            cache_size=cache_size,
        )
    if disable:
        return model
    if not callable(model):
        raise TypeError(f"compile expected a callable or a Module, got {type(model).__name__}")
    try:
        from nn.modules.module import Module
    except ImportError:  # pragma: no cover - nn is part of ndgrad
        Module = ()
    if isinstance(model, Module):
        return _optimized_module(model, fullgraph, cache_size)
    return _Compiled(model, None, fullgraph, cache_size)


def _optimized_module(mod, fullgraph, cache_size):
    from nn.modules.module import Module

    global OptimizedModule
    if OptimizedModule is None:

        class _OptimizedModule(Module):
            """A compiled Module: forwards run through the recording; everything else (the
            parameters, ``state_dict``, ``train()``) is the original's (``_orig_mod``)."""

            def __init__(self, orig, fullgraph, cache_size):
                super().__init__()
                self._orig_mod = orig
                object.__setattr__(
                    self, "_compiled", _Compiled(orig.__call__, orig, fullgraph, cache_size)
                )

            def forward(self, *args, **kwargs):
                return self._compiled(*args, **kwargs)

            def __call__(self, *args, **kwargs):
                return self._compiled(*args, **kwargs)

            def cache_info(self) -> dict:
                return self._compiled.cache_info()

            def state_dict(self, *args, **kwargs):
                return self._orig_mod.state_dict(*args, **kwargs)

            def load_state_dict(self, *args, **kwargs):
                return self._orig_mod.load_state_dict(*args, **kwargs)

            def train(self, mode: bool = True):
                self._orig_mod.train(mode)
                object.__setattr__(self, "training", self._orig_mod.training)
                return self

            def __getattr__(self, name):
                try:
                    return super().__getattr__(name)
                except AttributeError:
                    mods = self.__dict__.get("_modules")
                    if not mods or "_orig_mod" not in mods:
                        raise
                    return getattr(mods["_orig_mod"], name)

            def __deepcopy__(self, memo):
                import copy

                c = self._compiled
                return type(self)(copy.deepcopy(self._orig_mod, memo), c.fullgraph, c.cache_size)

            def __repr__(self):
                return f"OptimizedModule({self._orig_mod!r})"

        _OptimizedModule.__name__ = _OptimizedModule.__qualname__ = "OptimizedModule"
        OptimizedModule = _OptimizedModule
    return OptimizedModule(mod, fullgraph, cache_size)


OptimizedModule = None
