"""User-defined differentiable ops: subclass :class:`Function` with static ``forward`` and
``backward``, call ``MyFn.apply(...)``.

A Function call becomes an ordinary graph :class:`~autograd.graph.Node` whose ``ctx`` runs the
user's backward, so the engine has a single code path.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from . import graph as _graph
from .grad_mode import _state, no_grad
from .graph import Node
from .tensor import Tensor, _refresh


class _FunctionOp:
    """Stands in for an op record on a Function's node (name and node name)."""

    __slots__ = ("name", "node_name", "vjps", "vjp_all")

    def __init__(self, cls):
        self.name = cls.__name__
        self.node_name = cls.__name__ + "Backward"
        self.vjps = ()
        self.vjp_all = None


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``."""

    def __init__(self):
        self._saved = ()
        self._saved_versions = ()
        self.needs_input_grad = ()
        self._non_diff = set()
        self._materialize = True
        self._freed = False
        self._cls = None
        self._out_meta = ()
        self._in_meta = ()
        self._node = None

    def save_for_backward(self, *tensors) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors, but argument {i} is "
                    f"of type {type(t).__name__}"
                )
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time."
            )
        out = []
        for s, ver in zip(self._saved, self._saved_versions):
            if isinstance(s, tuple):  # an output of this Function: rebuilt without a cycle
                data, k = s
                node = self._node() if self._node is not None else None
                out.append(Tensor._make(data, node, k) if node is not None else Tensor._wrap(data))
                continue
            if s is not None and ver is not None and s._vc[0] != ver:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: a tensor of shape {tuple(s.shape)} saved by "
                    f"{self._cls.__name__}, is at version {s._vc[0]}; expected version {ver} "
                    f"instead."
                )
            out.append(s)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Accepted for compatibility; in-place Functions are tracked through version counters."""

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    # -- used by the engine -----------------------------------------------------------------
    def _release(self) -> None:
        """Drop the saved tensors (after a backward without ``retain_graph``)."""
        if self._saved:
            self._saved = ()
            self._saved_versions = ()
            self._freed = True

    def _backward(self, grads, create_graph):
        cls = self._cls
        if self._freed:
            _ = self.saved_tensors  # raises the freed-graph error
        gts = []
        for g, (shape, dtype) in zip(grads, self._out_meta):
            if g is None:
                if self._materialize:
                    g = np.zeros(shape, dtype)
                else:
                    gts.append(None)
                    continue
            gts.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
        with _GradMode(create_graph):
            res = cls.backward(self, *gts)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self._in_meta)
        if len(res) != n_in:
            if len(res) > n_in and all(r is None for r in res[n_in:]):
                res = res[:n_in]
            else:
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an incorrect number of gradients "
                    f"(expected {n_in}, got {len(res)})"
                )
        out = []
        node_next = self._node().next
        for i, (r, meta) in enumerate(zip(res, self._in_meta)):
            if r is None or meta is None or node_next[i] is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(
                    f"function {cls.__name__}Backward returned a gradient of type "
                    f"{type(r).__name__} at index {i}; expected a Tensor or None"
                )
            shape = meta[0]
            try:
                if np.broadcast_shapes(tuple(r.shape), shape) != tuple(r.shape):
                    raise ValueError
            except ValueError:
                raise RuntimeError(
                    f"Function {cls.__name__}Backward returned an invalid gradient at index {i} "
                    f"- got {list(r.shape)} but expected shape compatible with {list(shape)}"
                ) from None
            out.append(r if create_graph else r._data)
        return out


class _GradMode:
    __slots__ = ("mode", "prev")

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = _state.grad
        _state.grad = self.mode

    def __exit__(self, *exc):
        _state.grad = self.prev


class Function:
    """Base class for custom differentiable operations.

    Examples
    --------
    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> y = Square.apply(x)
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your "
            "custom autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        if _state.hooks and _state._recorder is not None:  # inside an autograd.compile recording
            return _state._recorder.function_call(cls, args, kwargs)
        ctx = FunctionCtx()
        ctx._cls = cls
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        record = _state.grad and any(ctx.needs_input_grad)
        new_outs = []
        for o in outs:
            if isinstance(o, Tensor) and any(o is a for a in args):
                o = Tensor._wrap(o._data)  # an input returned as is: give it its own identity
            new_outs.append(o)
        outs = tuple(new_outs)
        if record:
            node = _make_node(cls, ctx, args, outs)
            for k, o in enumerate(outs):
                if isinstance(o, Tensor) and o.dtype.kind == "f" and id(o) not in ctx._non_diff:
                    o.grad_fn = node
                    o._rg = True
                    o._oi = k
        else:
            ctx._saved = ()
        return outs[0] if single else outs


def _make_node(cls, ctx, args, outs):
    node = Node.__new__(Node)
    node.seq = next(_graph._sequence)
    node.op = _FunctionOp(cls)
    node.kw = {}
    node.nout = len(outs)
    node.freed = False
    node.pre_hooks = None
    node.retains = None
    node.ctx = ctx
    nxt = []
    shapes = []
    dtypes = []
    in_meta = []
    for a in args:
        if isinstance(a, Tensor):
            shapes.append(a._data.shape)
            dtypes.append(a._data.dtype)
            in_meta.append((a._data.shape, a._data.dtype))
            if a._rg:
                fn = a.grad_fn if a._base is None else _refresh(a, node)
                nxt.append((fn, a._oi) if fn is not None else (a, -1))
            else:
                nxt.append(None)
        else:
            shapes.append(None)
            dtypes.append(None)
            in_meta.append(None)
            nxt.append(None)
    node.next = tuple(nxt)
    node.shapes = tuple(shapes)
    node.dtypes = tuple(dtypes)
    node.saved = ()
    node.out = None
    node.vcs = []
    ctx._node = weakref.ref(node)  # node -> ctx is strong; no cycle back
    ctx._in_meta = tuple(in_meta)
    ctx._out_meta = tuple(
        (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), np.float64) for o in outs
    )
    # Saved outputs are kept as raw data (no reference cycle through the output tensor).
    saved = []
    versions = []
    for s in ctx._saved:
        k = next((j for j, o in enumerate(outs) if s is o), None)
        if k is not None:
            saved.append((s._data, k))
            versions.append(None)
        elif isinstance(s, Tensor):
            if s._vc is None:
                s._vc = [0]
            saved.append(s)
            versions.append(s._vc[0])
        else:
            saved.append(s)
            versions.append(None)
    ctx._saved = tuple(saved)
    ctx._saved_versions = tuple(versions)
    return node


def once_differentiable(fn):
    """Decorate a ``backward`` that is not itself differentiable: it runs with grad off."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper
