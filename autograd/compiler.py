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
same saved values (arrays) or :class:`~autograd.graph.Meta` the eager nodes had; each VJP as the
ops it calls (NOTE [ Traced VJPs ]) where that is provably the computation it makes, else called
as it is. Both are generated code (NOTE [ Straight-line code ]).

Guards: the key is the tensor inputs' shapes, dtypes and ``requires_grad``, the other arguments
(with their types), grad mode and (for a Module) the module tree itself and its ``training``
flags (NOTE [ Guard fast path ] for the call that repeats the last); at each replay every
external is read again
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
import threading
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
        self.values = {}  # slot -> its array at recording time (the backward traces read them)
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
            self.values[s] = arr
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
        # What the dispatch adds to ``op.forward``'s result here: ``asarray`` (a NumPy scalar
        # returned) and PyTorch's dtype rule (``_promote``); a replay adds the same, only there.
        raw = [a._data if isinstance(a, Tensor) else a for a in args]
        rkw = {k: a._data if isinstance(a, Tensor) else a for k, a in kwargs.items()}
        r = op.forward(*raw, **rkw)
        wrap = type(r) is not _ndarray
        promote = op.promote is not None and np.asarray(r).dtype != out._data.dtype
        self.steps.append(("op", op, vals, refs, kw, krefs, s, bwd, promote, wrap))
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
# traced VJPs

# NOTE [ Traced VJPs ]
# A VJP is written with the ops (so that ``create_graph=True`` can differentiate it), and a plain
# backward runs it on arrays, each op call going through the dispatch's array path to
# ``op.forward``. A replay does better: once a plan is recorded, each op's VJPs are run once on
# Tensors (:class:`_Probe`) with a :class:`_VjpTracer` installed, which records the ops they call;
# the generated backward then calls those ops' ``forward`` directly, as the generated forward does
# (a VJP that returns its gradient unchanged, add's, costs nothing at all). Only the steps whose
# results are delivered are kept. A trace is used only when it is provably the computation the
# array path makes, else the generated backward calls the VJP itself:
#
# * every op it calls has arguments that are the VJP's own inputs, results of earlier ops of the
#   trace, or constants that hold no array the VJP was not given (an array made inside the VJP
#   may be computed from values: a mask, an index);
# * nothing reads a traced tensor's array behind the ops' back (:class:`_Probe` sees any read
#   outside an op and outside ``Tensor``'s own methods), turns it into a Python value, mutates
#   it, draws a random number or calls an ``autograd.Function``;
# * each op's array-path result has the dtype and shape the dispatch gave (no dtype promotion);
# * the trace, replayed on the recording's values and a gradient, gives results bit-identical
#   to the VJP's own on the same arrays;
# * both recordings of the key (NOTE [ Recorded twice ]) traced the same steps and constants.

_DATA = Tensor.__dict__["_data"]  # the ``_data`` slot itself (what ``_Probe`` shadows)
_TENSOR_FILE = Tensor.detach.__code__.co_filename


class _Probe(Tensor):
    """A Tensor given to (or made by an op inside) a VJP being traced."""

    __slots__ = ()

    def _get_data(self):
        tr = _state._recorder
        if type(tr) is _VjpTracer and tr.depth == 0:
            if sys._getframe(1).f_code.co_filename != _TENSOR_FILE:
                tr.bad = True  # the array read outside the ops: the VJP computes with values
        return _DATA.__get__(self, Tensor)

    def _set_data(self, value):
        _DATA.__set__(self, value)

    _data = property(_get_data, _set_data)


def _raw(t):
    return _DATA.__get__(t, Tensor)


def _foreign(v, allowed) -> bool:
    """Whether ``v`` holds an array (or Tensor) that is not one of ``allowed`` (ids)."""
    if type(v) is _ndarray or isinstance(v, np.ndarray):
        return id(v) not in allowed
    if isinstance(v, Tensor):
        return True
    if isinstance(v, (tuple, list)):
        return any(_foreign(x, allowed) for x in v)
    if isinstance(v, dict):
        return any(_foreign(x, allowed) for x in v.values())
    return False


def _array_ids(v, out) -> set:
    if isinstance(v, np.ndarray):
        out.add(id(v))
    elif isinstance(v, (tuple, list)):
        for x in v:
            _array_ids(x, out)
    elif isinstance(v, dict):
        for x in v.values():
            _array_ids(x, out)
    return out


class _VjpTracer:
    """Installed as the recorder while a VJP runs on :class:`_Probe` tensors: records the ops
    it calls (NOTE [ Traced VJPs ]); anything else marks the trace unusable."""

    fullgraph = False

    def __init__(self, names, anames, allowed):
        self.names = names  # id(tensor) -> local name in the generated backward
        self.anames = anames  # id(array) -> local name
        self.allowed = allowed  # ids of the arrays the VJP was given as constants
        self.steps = []  # (op, vals, refs, kw, krefs, name)
        self.alive = []
        self.depth = 0
        self.bad = False
        self.n = 0

    def untraceable(self, t, what) -> None:
        self.bad = True

    def array_step(self, *args) -> None:
        self.bad = True

    def draw_step(self, *args) -> None:
        self.bad = True

    def function_call(self, cls, args, kwargs):
        self.bad = True
        st = _state
        st.recorder = None
        self.depth += 1
        try:
            return cls.apply(*args, **kwargs)
        finally:
            st.recorder = self
            self.depth -= 1

    def _arg(self, a):
        """(constant value, local name or None, array-path value) of one argument."""
        if isinstance(a, Tensor):
            d = _raw(a)
            n = self.names.get(id(a)) or self.anames.get(id(d))
            if n is None:  # a tensor made inside the VJP, outside the ops
                self.bad = True
            return None, n, d
        if type(a) is _ndarray:
            n = self.anames.get(id(a))
            if n is None and id(a) not in self.allowed:
                self.bad = True
            return (None if n is not None else a), n, a
        if _foreign(a, self.allowed):
            self.bad = True
        return a, None, a

    def op_call(self, op, args, kwargs):
        st = _state
        st.recorder = None
        self.depth += 1
        try:
            out = op(*args, **kwargs)
        finally:
            st.recorder = self
            self.depth -= 1
        if self.bad:
            return out
        if not isinstance(out, Tensor):
            self.bad = True
            return out
        vals, refs, raw = [], [], []
        for i, a in enumerate(args):
            v, n, r = self._arg(a)
            vals.append(v)
            raw.append(r)
            if n is not None:
                refs.append((i, n))
        kw, krefs, rkw = {}, [], {}
        for key, a in kwargs.items():
            v, n, r = self._arg(a)
            kw[key] = v
            rkw[key] = r
            if n is not None:
                krefs.append((key, n))
        if self.bad:
            return out
        od = _raw(out)
        try:
            r = np.asarray(op.forward(*raw, **rkw))  # what the array path computes
        except Exception:  # noqa: BLE001 - the array path differs: not traceable
            self.bad = True
            return out
        if r.dtype != od.dtype or r.shape != od.shape:
            self.bad = True  # the dispatch promoted the dtype: the array path does not
            return out
        name = f"t{self.n}"
        self.n += 1
        if type(out) is Tensor:
            out.__class__ = _Probe
        self.names[id(out)] = name
        self.anames.setdefault(id(od), name)
        self.alive.append(out)
        self.steps.append((op, vals, refs, kw, krefs, name))
        return out


class _ArrayTracer:
    """Records, by wrapping every op's ``forward`` for the time of one VJP call, the op calls
    the VJP makes on arrays (the dispatch's array path, exactly what a plain backward runs);
    arrays are told apart by identity (NOTE [ Traced VJPs ])."""

    def __init__(self, anames, allowed):
        self.anames = dict(anames)  # id(array) -> local name
        self.allowed = allowed
        self.steps = []
        self.alive = []
        self.depth = 0
        self.bad = False
        self.n = 0
        self.thread = threading.get_ident()

    def _arg(self, a):
        if type(a) is _ndarray or isinstance(a, np.generic):
            n = self.anames.get(id(a))
            if n is not None:
                return None, n
            if type(a) is _ndarray and id(a) not in self.allowed:
                self.bad = True
            return a, None
        if _foreign(a, self.allowed):
            self.bad = True
        return a, None

    def record(self, op, args, kwargs, out) -> None:
        vals, refs = [], []
        for i, a in enumerate(args):
            v, n = self._arg(a)
            vals.append(v)
            if n is not None:
                refs.append((i, n))
        kw, krefs = {}, []
        for key, a in kwargs.items():
            v, n = self._arg(a)
            kw[key] = v
            if n is not None:
                krefs.append((key, n))
        if not (type(out) is _ndarray or isinstance(out, np.generic)):
            self.bad = True
            return
        name = f"t{self.n}"
        self.n += 1
        self.anames[id(out)] = name
        self.alive.append(out)
        self.steps.append((op, vals, refs, kw, krefs, name))

    def wrap(self, op, forward):
        def traced(*args, **kwargs):
            if self.depth or threading.get_ident() != self.thread:
                return forward(*args, **kwargs)
            self.depth += 1
            try:
                out = forward(*args, **kwargs)
            finally:
                self.depth -= 1
            self.record(op, args, kwargs, out)
            return out

        return traced


def _bits_equal(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def _run_trace(steps, env):
    for op, vals, refs, kw, krefs, name in steps:
        a = list(vals)
        for i, n in refs:
            a[i] = env[n]
        if krefs:
            kw = dict(kw)
            for key, n in krefs:
                kw[key] = env[n]
        env[name] = op.forward(*a, **kw)


def _same_steps(p, q) -> bool:
    if len(p) != len(q):
        return False
    for x, y in zip(p, q):
        if x[0] is not y[0] or x[2] != y[2] or x[4] != y[4] or x[5] != y[5]:
            return False
        if not (_same(x[1], y[1]) and _same(x[3], y[3])):
            return False
    return True


def _call_vjps(op, edges, g, ans, args, kw):
    if op.vjp_all is not None:
        res = op.vjp_all(g, ans, *args, **kw)
        return [None] * len(edges) if res is None else list(res)
    return [None if e is None else op.vjps[i](g, ans, *args, **kw) for i, e in enumerate(edges)]


def _trace_vjps(values, st, rng):
    """The VJPs of op step ``st`` traced (NOTE [ Traced VJPs ]): ``(steps, results, reduce)``,
    one result name (or None) and one reduce flag per input; None when not traceable."""
    from .ops._registry import REGISTRY

    _, op, vals, refs, kw, krefs, s, bwd, _, _ = st
    edges, bvals, brefs, save_out = bwd
    out = values.get(s)
    if out is None or out.dtype.kind != "f":
        return None
    garr = np.asarray(rng.uniform(0.5, 1.5, out.shape)).astype(out.dtype)
    names, anames, env = {}, {}, {}

    def probe(arr, name):
        t = _Probe._wrap(arr)
        names[id(t)] = name
        anames.setdefault(id(arr), name)
        env[name] = arr
        return t

    allowed = set()
    _array_ids([v for i, v in enumerate(bvals) if i not in dict(brefs)], allowed)
    kd = dict(krefs)
    _array_ids({k: v for k, v in kw.items() if k not in kd}, allowed)
    try:
        g = probe(garr, f"g{s}")
        ans = probe(out, f"e{s}") if save_out else None
        args, aargs = list(bvals), list(bvals)
        for i, r in brefs:
            args[i] = probe(values[r], f"e{r}")
            aargs[i] = values[r]
        tkw, akw = dict(kw), dict(kw)
        for key, r in krefs:
            tkw[key] = probe(values[r], f"e{r}")
            akw[key] = values[r]
    except KeyError:
        return None
    ans_a = out if save_out else None
    st_ = _state
    prev_grad = st_.grad
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        # 1. on Tensors: every read of a value outside the ops is seen
        tracer = _VjpTracer(names, anames, allowed)
        st_.recorder = tracer
        st_.grad = False
        try:
            res = _call_vjps(op, edges, g, ans, args, tkw)
        except Exception:  # noqa: BLE001 - a VJP that fails on Tensors is called as it is
            return None
        finally:
            st_.recorder = None
            st_.grad = prev_grad
        if tracer.bad or len(res) < len(edges):
            return None
        results = []
        for e, r in zip(edges, res):
            if e is None or r is None:
                results.append(None)
                continue
            if isinstance(r, Tensor):
                n = names.get(id(r)) or anames.get(id(_raw(r)))
            elif type(r) is _ndarray:
                n = anames.get(id(r))
            else:
                n = None
            if n is None:
                return None
            results.append(n)
        # 2. on arrays, as a plain backward runs it: the op calls must be the same
        atracer = _ArrayTracer({id(env[n]): n for n in env}, allowed)
        ops = list(REGISTRY.values())
        forwards = [o.forward for o in ops]
        st_.grad = False
        try:
            for o, f in zip(ops, forwards):
                o.forward = atracer.wrap(o, f)
            actual = _call_vjps(op, edges, garr, ans_a, aargs, akw)
        except Exception:  # noqa: BLE001
            return None
        finally:
            for o, f in zip(ops, forwards):
                o.forward = f
            st_.grad = prev_grad
        if atracer.bad or len(actual) < len(edges):
            return None
        if not _same_steps(tracer.steps, atracer.steps):
            return None  # the VJP computes otherwise on arrays than on Tensors
        for e, n, a in zip(edges, results, actual):
            if (n is None) != (e is None or a is None):
                return None
            if n is not None and atracer.anames.get(id(a)) != n:
                return None
        # keep the steps whose results are delivered
        need = {n for n in results if n is not None}
        kept = []
        for step in reversed(atracer.steps):
            if step[5] in need:
                kept.append(step)
                need.update(n for _, n in step[2])
                need.update(n for _, n in step[4])
        kept.reverse()
        # 3. the kept steps, replayed on the same arrays, give the VJPs' results bit for bit
        try:
            _run_trace(kept, env)
        except Exception:  # noqa: BLE001
            return None
    reduce = []
    for e, n, a in zip(edges, results, actual):
        if n is None:
            reduce.append(False)
            continue
        t = env[n]
        if not _bits_equal(t, a):
            return None
        reduce.append(type(t) is not _ndarray or t.shape != e[1] or t.dtype != e[2])
    return kept, results, reduce


def _same_trace(a, b) -> bool:
    if a is None or b is None:
        return a is b
    (sa, ra, da), (sb, rb, db) = a, b
    if ra != rb or da != db or len(sa) != len(sb):
        return False
    for x, y in zip(sa, sb):
        if x[0] is not y[0] or x[2] != y[2] or x[4] != y[4] or x[5] != y[5]:
            return False
        if not (_same(x[1], y[1]) and _same(x[3], y[3])):
            return False
    return True


# ---------------------------------------------------------------------------------------
# the plan (a finished recording)


class _Plan:
    __slots__ = (
        "nslots",
        "inputs",
        "input_refs",
        "externals",
        "steps",
        "outputs",
        "sources",
        "treedef",
        "replay",
        "fast",
        "backward",
        "verified",
        "saved",
        "traces",
        "env_slots",
        "meta",
        "module_free",
        "__weakref__",
    )

    def __init__(self, rec, outputs, treedef, input_refs, module_free):
        self.module_free = module_free  # a function (not a Module) called without keywords
        self.nslots = rec.nslots
        self.inputs = rec.inputs
        self.input_refs = input_refs  # per tensor input: ("A", position) or ("K", name)
        self.externals = [
            (s, t if owner is None else None, owner, shape, dtype, rg)
            for s, t, owner, shape, dtype, rg in rec.externals
        ]
        self.steps = rec.steps
        self.outputs = outputs  # per output leaf: ("slot", slot, rg, has_fn) or ("const", obj)
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
        # recorded shape and dtype of the inputs and externals (the guards keep them)
        self.meta = {s: (rec.values[s].shape, rec.values[s].dtype) for s in ins}
        # the inputs and externals whose values the backward reads (their versions are checked)
        saved = set()
        for st in rec.steps:
            if st[0] == "op" and st[7] is not None:
                saved.update(s for _, s in st[7][2])
                saved.update(s for _, s in st[5])
        self.saved = sorted(saved & ins)
        rng = np.random.default_rng(0)
        self.traces = {
            k: _trace_vjps(rec.values, st, rng)
            for k, st in enumerate(rec.steps)
            if st[0] == "op" and st[7] is not None
        }
        self.replay = self.fast = self.backward = None
        self.env_slots = ()
        self.verified = False

    def finish(self, key) -> None:
        """Generate the replay and backward (NOTE [ Straight-line code ]) for guard ``key``."""
        self.replay, self.fast, self.backward, self.env_slots = _generate(self, key)


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


def _fn_step(st, vals, tens):
    """An ``autograd.Function`` step of a replay, run on Tensors: ``(node, output arrays)``."""
    _, cls, cvals, refs, kw, slots, edges, single, rgs, ext = st
    args = list(cvals)
    for (i, _), v, t in zip(refs, vals, tens):
        args[i] = t if t is not None else Tensor._wrap(v, rgs[i])
    prev = _state.grad
    _state.grad = edges is not None and prev
    try:
        outs = cls.apply(*args, **kw)
    finally:
        _state.grad = prev
    tup = (outs,) if single else outs
    node = None
    arrs = []
    for s, o in zip(slots, tup):
        if s is not None:
            arrs.append(o._data)
            if o.grad_fn is not None:
                node = o.grad_fn
        else:
            arrs.append(None)
    return node, arrs


# NOTE [ Straight-line code ]
# A plan's replay and backward are generated as Python source, one line per op call
# (``e7 = _f3(e2, e5, **_k3)``) over local variables, so a replay runs no interpreter loop over
# the steps: the "straight-line NumPy" of the recording. The replay also reads the inputs and
# the externals (checking the guards of NOTE [ Record and replay ]), makes the compiled node and
# the outputs. Array, draw and Function steps call their functions (or a helper) from the
# generated code. Steps whose results nothing reads are left out. The backward repeats the
# engine's arithmetic exactly: a node's VJPs all run before its gradients are delivered, sums are
# ``prev + g`` in the same order, and ``_reduce`` runs under the same test (decided once, at
# generation, for a traced VJP: NOTE [ Traced VJPs ]). Whether a gradient is still None at each
# point is tracked while generating, so most ``is None`` tests are not generated at all.


def _generate(plan, guard_key):
    from .engine import _reduce
    from .ops._registry import _promote
    from .random import _raw_rng

    ns = {
        "asarray": np.asarray,
        "_P": _promote,
        "_R": _reduce,
        "_RNG": _raw_rng,
        "_MISS": _MISS,
        "_W": Tensor._wrap,
        "_MK": Tensor._make,
        "_NEW": CompiledNode.__new__,
        "_CN": CompiledNode,
        "_SEQ": _graph._sequence,
        "_REFRESH": _refresh,
        "_next": next,
        "_COP": _COMPILED_OP,
        "_PLAN": plan,
        "_UNF": _unflatten,
        "_iter": iter,
        "_ST": _state,
        "_TENSOR": Tensor,
    }
    nd = _ndarray

    def const(name, value):
        ns[name] = value
        return name

    steps = plan.steps
    n_steps = len(steps)
    ext_slots = {e[0]: e for e in plan.externals}
    input_slots = set(plan.inputs)
    traces = plan.traces

    # -- liveness -------------------------------------------------------------------------
    # Op steps whose outputs nothing reads are dropped (the others have effects); no gradient
    # can reach them either, so the backward reads only what live steps saved.
    live = [True] * n_steps
    used = {o[1] for o in plan.outputs if o[0] == "slot"}
    for k in range(n_steps - 1, -1, -1):
        st = steps[k]
        if st[0] == "op":
            if st[6] not in used:
                live[k] = False
                continue
            used.update(r for _, r in (*st[3], *st[5]))
        elif st[0] in ("arr", "fn"):
            used.update(r for _, r in st[3])
    bwd_reads = set()  # forward slots the backward reads
    fn_nodes = []  # steps whose Function node the backward calls
    for k, st in enumerate(steps):
        if not live[k]:
            continue
        if st[0] == "op" and st[7] is not None:
            tr = traces.get(k)
            if tr is not None:
                for step in tr[0]:
                    bwd_reads.update(int(n[1:]) for _, n in (*step[2], *step[4]) if n[0] == "e")
                bwd_reads.update(int(n[1:]) for n in tr[1] if n is not None and n[0] == "e")
            else:
                bwd_reads.update(r for _, r in st[7][2])
                bwd_reads.update(r for _, r in st[5])
                if st[7][3]:
                    bwd_reads.add(st[6])
        elif st[0] == "fn" and st[6] is not None:
            fn_nodes.append(k)
    # what the node keeps: what the backward reads, and for a create_graph re-run the inputs,
    # draws and array steps' results (NOTE [ Record and replay ])
    env_set = set(bwd_reads) | input_slots
    for st in steps:
        if st[0] == "draw":
            env_set.add(st[3])
        elif st[0] == "arr" and st[4] is not None:
            env_set.update(st[4] if isinstance(st[4], tuple) else (st[4],))
    keep = env_set | set(ext_slots) | {o[1] for o in plan.outputs if o[0] == "slot"}
    for st in steps:
        if st[0] == "fn":
            keep.update(r for _, r in st[3])
            keep.update(x for x in st[5] if x is not None)
    last = {}
    for k, st in enumerate(steps):
        if not live[k]:
            continue
        if st[0] == "op":
            for _, r in (*st[3], *st[5]):
                last[r] = k
        elif st[0] in ("arr", "fn"):
            for _, r in st[3]:
                last[r] = k
    dead_after = {}
    for r, k in last.items():
        if r not in keep:
            dead_after.setdefault(k, []).append(r)

    def call_args(k, tag, vals, refs, kw, krefs, names=None):
        refd = dict(refs)
        nm = (lambda r: f"e{r}") if names is None else names
        parts = [
            nm(refd[i]) if i in refd else const(f"_{tag}{k}_{i}", v) for i, v in enumerate(vals)
        ]
        if krefs:
            kd = dict(krefs)
            for key, v in kw.items():
                parts.append(
                    f"{key}={nm(kd[key])}" if key in kd else f"{key}={const(f'_{tag}{k}_{key}', v)}"
                )
        elif kw:
            parts.append(f"**{const(f'_{tag}k{k}', kw)}")
        return ", ".join(parts)

    # -- the replay: inputs, guards, forward, node, outputs ---------------------------------
    fwd = ["def replay(A, K):"]
    first_input = {}
    for (where, key), s in zip(plan.input_refs, plan.inputs):
        src = f"A[{key}]" if where == "A" else f"K[{key!r}]"
        if s in first_input:  # the same tensor passed twice when recorded
            fwd.append(f"    if {src} is not i{s}:")
            fwd.append("        return _MISS")
            continue
        first_input[s] = True
        fwd.append(f"    i{s} = {src}")
        fwd.append(f"    e{s} = i{s}._data")
    for s, t, owner, shape, dtype, rg in plan.externals:
        if owner is None:
            fwd.append(f"    x{s} = {const(f'_T{s}', t)}")
        else:
            m, dname, key = owner
            fwd.append(f"    x{s} = {const(f'_O{s}', m)}.{dname}.get({const(f'_N{s}', key)})")
            fwd.append(f"    if x{s} is None:")
            fwd.append("        return _MISS")
        fwd.append(f"    e{s} = x{s}._data")
        fwd.append(
            f"    if e{s}.shape != {const(f'_S{s}', shape)} or e{s}.dtype != "
            f"{const(f'_D{s}', dtype)} or x{s}._rg != {rg!r}:"
        )
        fwd.append("        return _MISS")

    for k, st in enumerate(steps):
        kind = st[0]
        if not live[k]:
            continue
        if kind == "op":
            _, op, vals, refs, kw, krefs, s, _, promote, wrap = st
            f = const(f"_f{k}", op.forward)
            fwd.append(f"    e{s} = {f}({call_args(k, 'c', vals, refs, kw, krefs)})")
            if wrap:
                fwd.append(f"    e{s} = asarray(e{s})")
            if promote:
                plain = call_args(k, "c", vals, refs, {}, ())
                fwd.append(f"    e{s} = _P({const(f'_op{k}', op)}, [{plain}], e{s})")
        elif kind == "draw":
            _, gen, fn, s = st
            fwd.append(f"    e{s} = {const(f'_fn{k}', fn)}(_RNG({const(f'_gen{k}', gen)}))")
        elif kind == "arr":
            _, fn, vals, refs, slots, mut = st
            call = f"{const(f'_h{k}', fn)}({call_args(k, 'a', vals, refs, {}, ())})"
            if slots is None:
                fwd.append(f"    {call}")
            elif isinstance(slots, tuple):
                fwd.append(f"    t = {call}")
                fwd += [f"    e{o} = t[{j}]" for j, o in enumerate(slots)]
            else:
                fwd.append(f"    e{slots} = {call}")
            fwd += [f"    x{m}._bump()" for m in mut if m in ext_slots]
        else:  # an autograd.Function
            refs = st[3]
            vals = ", ".join(f"e{r}" for _, r in refs)
            tens = ", ".join(f"x{r}" if r in ext_slots else "None" for _, r in refs)
            fwd.append(f"    n{k}, t = {const(f'_H{k}', functools.partial(_fn_step, st))}(")
            fwd.append(f"        [{vals}], [{tens}])")
            fwd += [f"    e{o} = t[{j}]" for j, o in enumerate(st[5]) if o is not None]
        for r in dead_after.get(k, ()):
            fwd.append(f"    e{r} = None")

    env_names = [f"e{r}" for r in sorted(env_set)] + [f"n{k}" for k in fn_nodes]
    env_slots = [int(n[1:]) if n[0] == "e" else None for n in env_names]

    def tensor_of(s):
        return f"i{s}" if s in first_input else f"x{s}"

    def outputs(with_node):
        leaves = []
        for k, o in enumerate(plan.outputs):
            if o[0] == "const":
                leaves.append(const(f"_C{k}", o[1]))
                continue
            s, rg, has_fn = o[1], o[2], o[3]
            if not has_fn and (s in ext_slots or s in first_input):
                leaves.append(tensor_of(s))
            elif has_fn and with_node and rg:
                leaves.append(f"_MK(e{s}, node, {k})")
            else:
                leaves.append(f"_W(e{s})")
        if plan.treedef == ("T",):
            return leaves[0]
        return f"_UNF({const('_TREE', plan.treedef)}, _iter([{', '.join(leaves)}]))"

    if plan.sources:
        fwd.append("    node = _NEW(_CN)")
        fwd.append("    node.seq = _next(_SEQ)")
        fwd += [
            "    node.op = _COP",
            "    node.kw = {}",
            f"    node.nout = {len(plan.outputs)}",
            "    node.freed = False",
            "    node.pre_hooks = None",
            "    node.retains = None",
            "    node.ctx = None",
            "    node.saved = ()",
            "    node.out = None",
            "    node.plan = _PLAN",
        ]
        fwd.append(f"    node.env = ({''.join(n + ', ' for n in env_names)})")
        fwd.append(f"    node.ext = ({''.join(f'x{e[0]}, ' for e in plan.externals)})")
        srcs = [tensor_of(s) for s in plan.sources]
        fwd.append(f"    node.src_tensors = ({''.join(t + ', ' for t in srcs)})")
        nxt = []
        for t in srcs:
            # a view reads its history through ``_refresh`` (NOTE [ In-place on views ])
            fn = f"({t}.grad_fn if {t}._base is None else _REFRESH({t}, node))"
            edge = f"({t}, -1) if (_f := {fn}) is None else (_f, {t}._oi)"
            nxt.append(f"({edge}) if {t}._rg else None")
        fwd.append(f"    node.next = [{', '.join(nxt)}]")
        shapes, dtypes = [], []
        for s in plan.sources:
            shapes.append(plan.meta[s][0])
            dtypes.append(plan.meta[s][1])
        fwd.append(f"    node.shapes = {const('_SHAPES', shapes)}")
        fwd.append(f"    node.dtypes = {const('_DTYPES', dtypes)}")
        vcs = []
        for s in plan.saved:
            t = tensor_of(s)
            fwd.append(f"    v = {t}._vc")
            fwd.append("    if v is None:")
            fwd.append(f"        v = {t}._vc = [0]")
            fwd.append(f"    v{s} = v")
            vcs.append(f"(v{s}, v{s}[0], {const(f'_VS{s}', plan.meta[s][0])})")
        fwd.append(f"    node.vcs = [{', '.join(vcs)}]")
        fwd.append(f"    return {outputs(True)}")
    else:
        fwd.append(f"    return {outputs(False)}")

    # -- the backward ---------------------------------------------------------------------
    bwd = ["def backward(E, grads):"]
    if env_names:
        bwd.append(f"    {', '.join(env_names)}, = E")
    body = []
    state = {}  # gradient slot -> 0 (None), 1 (maybe None), 2 (not None)
    gslots = set()
    for k, o in enumerate(plan.outputs):
        if o[0] != "slot":
            continue
        s = o[1]
        gslots.add(s)
        st_ = state.get(s, 0)
        if st_ == 0:
            body.append(f"    g{s} = grads[{k}]")
        else:
            body += [
                f"    g = grads[{k}]",
                "    if g is not None:",
                f"        g{s} = g if g{s} is None else g{s} + g",
            ]
        state[s] = 1
    if len(plan.outputs) == 1 and gslots:  # one output: its gradient is there or nothing is
        (s,) = gslots
        body += [f"    if g{s} is None:", f"        return {[None] * len(plan.sources)!r}"]
        state[s] = 2

    def deliver(lines, k, i, r, edge, ind, maybe, reduce, local):
        """``r`` (None when ``maybe``) into the gradient of ``edge``'s slot; ``local`` is the
        block's view of ``state``."""
        t, shape, dtype = edge
        gslots.add(t)
        if maybe:
            lines.append(f"{ind}if {r} is not None:")
            ind += "    "
        if reduce is None:  # decided at run time (a VJP called as it is)
            sh = const(f"_S{k}_{i}", shape)
            dt = const(f"_D{k}_{i}", dtype)
            lines.append(f"{ind}if type({r}) is not nd or {r}.shape != {sh} or {r}.dtype != {dt}:")
            lines.append(f"{ind}    {r} = _R({r}, {sh}, {dt}, False)")
        elif reduce:
            sh = const(f"_S{k}_{i}", shape)
            dt = const(f"_D{k}_{i}", dtype)
            lines.append(f"{ind}{r} = _R({r}, {sh}, {dt}, False)")
        cur = local.get(t, state.get(t, 0))
        if cur == 0:
            lines.append(f"{ind}g{t} = {r}")
        elif cur == 2:
            lines.append(f"{ind}g{t} = g{t} + {r}")
        else:
            lines.append(f"{ind}g{t} = {r} if g{t} is None else g{t} + {r}")
        local[t] = 2 if (cur == 2 or not maybe) else 1

    def merge(local, conditional):
        for t, v in local.items():
            before = state.get(t, 0)
            state[t] = 2 if before == 2 or (v == 2 and not conditional) else 1

    ns["nd"] = nd
    for k in range(n_steps - 1, -1, -1):
        st = steps[k]
        if not live[k]:
            continue
        if st[0] == "op" and st[7] is not None:
            s = st[6]
            cur = state.get(s, 0)
            if cur == 0:
                continue  # no gradient ever reaches this step
            lines = []
            ind = "    "
            if cur == 1:
                lines.append(f"    if g{s} is not None:")
                ind = "        "
            _, op, vals, refs, kw, krefs, _, (edges, bvals, brefs, save_out), _, _ = st
            tr = traces.get(k)
            local = {}
            temps = []
            if tr is not None:
                tsteps, results, reduce = tr
                alias = {}  # a step that repeats an earlier one of the block: its name
                done = []
                for j, (top, tvals, trefs, tkw, tkrefs, name) in enumerate(tsteps):
                    trefs = [(i, alias.get(n, n)) for i, n in trefs]
                    tkrefs = [(key, alias.get(n, n)) for key, n in tkrefs]
                    same = next(
                        (
                            d[5]
                            for d in done
                            if d[0] is top
                            and d[2] == trefs
                            and d[4] == tkrefs
                            and _same(d[1], tvals)
                            and _same(d[3], tkw)
                        ),
                        None,
                    )
                    if same is not None:  # (``mul(x, x)``'s two VJPs compute the same array)
                        alias[name] = same
                        continue
                    done.append((top, tvals, trefs, tkw, tkrefs, name))
                    f = const(f"_tf{k}_{j}", top.forward)
                    a = call_args(f"{k}_{j}", "tc", tvals, trefs, tkw, tkrefs, names=lambda n: n)
                    lines.append(f"{ind}{name} = {f}({a})")
                    temps.append(name)
                for i, e in enumerate(edges):
                    if e is None or results[i] is None:
                        continue
                    r = alias.get(results[i], results[i])
                    if reduce[i]:
                        lines.append(f"{ind}r{i} = {r}")
                        r = f"r{i}"
                        temps.append(r)
                    deliver(lines, k, i, r, e, ind, False, reduce[i], local)
            else:
                ans = f"e{s}" if save_out else "None"
                bargs = call_args(k, "b", bvals, brefs, kw, krefs)
                if op.vjp_all is not None:
                    va = const(f"_va{k}", op.vjp_all)
                    lines.append(f"{ind}res = {va}(g{s}, {ans}, {bargs})")
                    lines.append(f"{ind}if res is not None:")
                    for i, e in enumerate(edges):
                        if e is not None:
                            lines.append(f"{ind}    r{i} = res[{i}]")
                            temps.append(f"r{i}")
                            deliver(lines, k, i, f"r{i}", e, ind + "    ", True, None, local)
                    temps.append("res")
                else:
                    for i, e in enumerate(edges):
                        if e is not None:
                            v = const(f"_v{k}_{i}", op.vjps[i])
                            lines.append(f"{ind}r{i} = {v}(g{s}, {ans}, {bargs})")
                            temps.append(f"r{i}")
                    for i, e in enumerate(edges):
                        if e is not None:
                            deliver(lines, k, i, f"r{i}", e, ind, True, None, local)
            lines.append(f"{ind}g{s} = None")
            if temps:
                lines.append(f"{ind}{' = '.join(dict.fromkeys(temps))} = None")
            merge(local, cur != 2)
            state[s] = 0
            body += lines
        elif st[0] == "fn" and st[6] is not None:
            slots, edges = st[5], st[6]
            live_slots = [x for x in slots if x is not None and state.get(x, 0)]
            if not live_slots:
                continue
            gs = ", ".join("None" if (x is None or not state.get(x, 0)) else f"g{x}" for x in slots)
            lines = []
            if any(state[x] == 2 for x in live_slots):
                ind = "    "
            else:
                lines.append(f"    if {' or '.join(f'g{x} is not None' for x in live_slots)}:")
                ind = "        "
            lines.append(f"{ind}gs = [{gs}]")
            lines += [f"{ind}g{x} = None" for x in live_slots]
            lines.append(f"{ind}res = n{k}.apply(gs, False)")
            lines.append(f"{ind}if res is not None:")
            local = {}
            for i, e in enumerate(edges):
                if e is not None:
                    lines.append(f"{ind}    r{i} = res[{i}]")
                    deliver(lines, k, i, f"r{i}", e, ind + "    ", True, None, local)
            merge(local, True)
            for x in live_slots:
                state[x] = 0
            body += lines
    if gslots:
        bwd.append(f"    {' = '.join(f'g{x}' for x in sorted(gslots))} = None")
    bwd += body
    rets = [f"g{s}" if state.get(s, 0) else "None" for s in plan.sources]
    bwd.append(f"    return [{', '.join(rets)}]")
    # the same replay, behind the guard key's own checks (NOTE [ Guard fast path ])
    guards = _fast_guards(guard_key, const) if plan.module_free else None
    if guards is not None:
        fwd += ["", "def fast(A, K):", *guards, *fwd[1:]]
    src = "\n".join(fwd) + "\n\n" + "\n".join(bwd) + "\n"
    exec(builtins.compile(src, "<autograd.compile plan>", "exec"), ns)  # noqa: S102
    return ns["replay"], ns.get("fast"), ns["backward"], env_slots


# NOTE [ Guard fast path ]
# The guard key (``_Compiled._key``) is a tuple built at every call, then compared with the last
# replay's key (and hashed for the cache when it differs). For a function (not a Module) called
# with positional arguments only, each plan also gets ``fast``: the replay preceded by the key's
# checks written out (grad mode, the number of arguments, each Tensor argument's shape, dtype and
# ``requires_grad``, each other argument's type and value), so the call that repeats the last
# one builds no key. Non-Tensor arguments of other types than None, bool, int, float and str
# leave the plan without ``fast`` (comparing them could raise or mean something else).
_FAST_TYPES = (type(None), bool, int, float, str)


def _fast_guards(key, const):
    """The lines that check ``A`` and ``K`` against guard ``key``, or None."""
    lines = [
        f"    if K or len(A) != {len(key) - 1} or _ST.grad != {key[0]!r}:",
        "        return _MISS",
    ]
    for i, k in enumerate(key[1:]):
        if len(k) == 3:  # a Tensor: (shape, dtype, requires_grad)
            lines += [
                f"    a = A[{i}]",
                "    if not isinstance(a, _TENSOR):",
                "        return _MISS",
                "    d = a._data",
                f"    if d.shape != {const(f'_GS{i}', k[0])} or d.dtype != "
                f"{const(f'_GD{i}', k[1])} or a._rg != {k[2]!r}:",
                "        return _MISS",
            ]
        else:
            t, v = k
            if t not in _FAST_TYPES:
                return None
            lines += [
                f"    if type(A[{i}]) is not {const(f'_GT{i}', t)} or A[{i}] != "
                f"{const(f'_GV{i}', v)}:",
                "        return _MISS",
            ]
    return lines


class CompiledNode(Node):
    """The one graph node of a compiled call: its VJP replays the recorded backward."""

    __slots__ = ("plan", "env", "ext", "src_tensors")

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
        return self.plan.backward(self.env, grads)

    def _apply_eager(self, grads):
        """``create_graph=True``: re-run the recorded ops on Tensors, differentiate that."""
        from .engine import grad as _grad

        plan = self.plan
        env = {s: v for s, v in zip(plan.env_slots, self.env) if s is not None}
        tens = dict(zip(plan.sources, self.src_tensors))
        tens.update(zip((e[0] for e in plan.externals), self.ext))
        for st in plan.steps:
            kind = st[0]
            if kind == "op":
                op, vals, refs, kw, krefs, s = st[1:7]
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
        for o, g in zip(plan.outputs, grads):
            if g is not None:
                outs.append(tens[o[1]])
                gs.append(g)
        srcs = self.src_tensors
        res = _grad(outs, srcs, gs, retain_graph=True, create_graph=True, allow_unused=True)
        return list(res)

    def release(self) -> None:
        self.env = None
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
        self.last_key = self.last_plan = None  # the key replayed last, and its plan
        self.fast = None  # that plan's replay behind its own guards (NOTE [ Guard fast path ])
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
        # (a non-Tensor argument goes in with its type, so that comparing a key with the last
        # one never compares values of different types, an array with a float say)
        key = [_state.grad]
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                key.append((d.shape, d.dtype, a._rg))
            else:
                key.append((type(a), a))
        for k, a in kwargs.items():
            if isinstance(a, Tensor):
                d = a._data
                key.append((k, d.shape, d.dtype, a._rg))
            else:
                key.append((k, type(a), a))
        if self.module is not None:
            # the module tree itself (a submodule replaced by another is a new key) and the
            # ``training`` flags
            flags = []
            stack = [self.module]
            seen = set()
            while stack:  # (a walk of its own: ``modules()`` also builds every name)
                m = stack.pop()
                if id(m) in seen:
                    continue
                seen.add(id(m))
                if m._forward_hooks or m._forward_pre_hooks:
                    raise _HasHooks
                flags.append(m)
                flags.append(m.training)
                kids = m._modules
                if kids:
                    stack.extend(c for c in kids.values() if c is not None)
            key.append(tuple(flags))
        return tuple(key)

    def __call__(self, *args, **kwargs):
        st = _state
        if self.eager is not None or st.hooks:  # fallen back, or anomaly/profiler/recording
            return self.fn(*args, **kwargs)
        fast = self.fast
        if fast is not None:  # NOTE [ Guard fast path ]
            out = fast(args, kwargs)
            if out is not _MISS:
                self.hits += 1
                return out
        try:
            key = self._key(args, kwargs)
        except _HasHooks:  # module hooks: eager
            return self.fn(*args, **kwargs)
        plan = None
        try:  # the key of the last replay (compared, not hashed)
            if key == self.last_key:
                plan = self.last_plan
        except Exception:  # noqa: BLE001 - incomparable arguments: the hashed lookup decides
            pass
        if plan is None:
            try:
                plan = self.cache.get(key)
            except TypeError:  # an unhashable argument: eager
                return self.fn(*args, **kwargs)
            if plan is not None:
                if not plan.verified:  # NOTE [ Recorded twice ]
                    self.verifications += 1
                    return self._record(key, args, kwargs, check=plan)
                self.cache.move_to_end(key)
        if plan is not None:
            out = plan.replay(args, kwargs)
            if out is not _MISS:
                self.hits += 1
                self.last_key, self.last_plan, self.fast = key, plan, plan.fast
                return out
        self.last_key = self.last_plan = self.fast = None
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
        input_refs = [("A", i) for i, a in enumerate(args) if isinstance(a, Tensor)]
        input_refs += [("K", k) for k, a in kwargs.items() if isinstance(a, Tensor)]
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
        plan = _Plan(rec, outputs, tree, input_refs, self.module is None and not kwargs)
        if check is not None:
            diff = _difference(check, plan)
            if diff is not None:
                self._fall_back((diff, "<recorded twice>"))
                return out
            for k, tr in plan.traces.items():  # NOTE [ Traced VJPs ]
                if not _same_trace(tr, check.traces.get(k)):
                    plan.traces[k] = None
            plan.finish(key)
            plan.verified = True
        self.cache[key] = plan
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return out

    def _fall_back(self, bad):
        self.eager = bad
        self.cache.clear()
        self.last_key = self.last_plan = self.fast = None
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
