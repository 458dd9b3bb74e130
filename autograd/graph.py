"""Graph nodes (``grad_fn``): what backward needs from one recorded op.

A :class:`Node` keeps the op record, one edge per input (the input's ``grad_fn`` and output
index, or the leaf tensor itself, or ``None`` when no gradient flows there), the inputs' shapes
and dtypes (to reduce and cast gradients), the saved values the op's VJPs read, and the version
of every saved tensor at save time (see NOTE [ Version counters ] in ``tensor.py``). Once its
VJPs have run in a backward without ``retain_graph``, a node drops its saved values, output and
array arguments (:meth:`Node.release`) but keeps its edges, so ``grad_fn``/``next_functions``
can still be inspected while the graph holds no activations.
"""

from __future__ import annotations

import itertools

import numpy as np

from .tensor import Tensor, _refresh

# Creation order of nodes: a node's consumers are always created after it, so running nodes by
# decreasing sequence number is a topological order (the engine's ready heap relies on this).
_sequence = itertools.count()


class Meta:
    """Shape and dtype of an input whose value an op did not save (what its VJP receives)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)


_new_meta = object.__new__


class Node:
    __slots__ = (
        "op",
        "next",
        "saved",
        "out",
        "kw",
        "shapes",
        "dtypes",
        "vcs",
        "freed",
        "pre_hooks",
        "retains",
        "nout",
        "ctx",
        "trace",
        "seq",
        "label",  # set only by :func:`named` (read with getattr): PyTorch's name for a composite
        "__weakref__",
    )

    # One pass over the inputs when the op's saved inputs are fixed (``save``), two when they
    # depend on which inputs need a gradient (``save_for``). The loops count by hand:
    # ``enumerate``/``zip`` allocate iterators per node, measured at 2-5% of a small-op chain's
    # forward + backward (callgrind, CPython 3.11). An input that is a view reads its history
    # through ``_refresh`` (stale after an in-place op on its root: NOTE [ In-place on views ]
    # in tensor.py); saving an inference tensor raises where its version is read (NOTE
    # [ Inference tensors ]).
    def __init__(self, op, args, vals, kw, out_tensor):
        self.seq = next(_sequence)
        self.op = op
        self.kw = kw
        self.nout = 1
        self.freed = False
        self.pre_hooks = None
        self.retains = None
        self.ctx = None
        vjps = op.vjps
        all_diff = op.vjp_all is not None
        save_for = op.save_for
        nxt = []
        shapes = []
        dtypes = []
        saved = []
        vcs = []
        if save_for is None:
            save = op.save
            save_all = save == "all"
            i = 0
            for a in args:
                if isinstance(a, Tensor):
                    d = a._data
                    shape = d.shape
                    shapes.append(shape)
                    dtypes.append(d.dtype)
                    if a._rg and (all_diff or vjps[i] is not None):
                        fn = a.grad_fn if a._base is None else _refresh(a, self)
                        nxt.append((fn, a._oi) if fn is not None else (a, -1))
                    else:
                        nxt.append(None)
                    if save_all or i in save:
                        saved.append(a)
                        vc = a._vc
                        if vc is None:
                            vc = a._vc = [0]
                        vcs.append((vc, vc[0], shape))
                    else:
                        saved.append(None)
                else:
                    nxt.append(None)
                    shapes.append(None)
                    dtypes.append(None)
                    saved.append(a)
                i += 1
        else:
            save = ()
            i = 0
            for a in args:
                if isinstance(a, Tensor):
                    d = a._data
                    shapes.append(d.shape)
                    dtypes.append(d.dtype)
                    if a._rg and (all_diff or vjps[i] is not None):
                        fn = a.grad_fn if a._base is None else _refresh(a, self)
                        nxt.append((fn, a._oi) if fn is not None else (a, -1))
                        save += save_for[i]
                    else:
                        nxt.append(None)
                else:
                    nxt.append(None)
                    shapes.append(None)
                    dtypes.append(None)
                i += 1
            i = 0
            for a in args:
                if not isinstance(a, Tensor):
                    saved.append(a)
                elif i in save:
                    saved.append(a)
                    vc = a._vc
                    if vc is None:
                        vc = a._vc = [0]
                    vcs.append((vc, vc[0], a._data.shape))
                else:
                    saved.append(None)
                i += 1
        self.next = nxt
        self.shapes = shapes
        self.dtypes = dtypes
        self.saved = saved
        if op.save_out:
            self.out = out_tensor._data
            vc = out_tensor._vc
            if vc is None:
                vc = out_tensor._vc = [0]
            vcs.append((vc, vc[0], None))
        else:
            self.out = None
        self.vcs = vcs

    def name(self) -> str:
        n = getattr(self, "label", None) or self.op.node_name
        return n if type(n) is str else n(self)  # a rule (see ``Op``'s ``node_name``)

    @property
    def next_functions(self):
        out = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif isinstance(e[0], Node):
                out.append(e)
            else:
                out.append((AccumulateGrad(e[0]), 0))
        return tuple(out)

    def __repr__(self) -> str:
        # PyTorch's repr names the class: ``torch::autograd::CopySlices`` shows as CopySlices
        return f"<{self.name().rsplit('::', 1)[-1]} object at {id(self):#x}>"

    # NOTE [ Node hooks ] ``grad_fn.register_prehook``/``register_hook`` (PyTorch's Node
    # hooks) live in ``pre_hooks`` beside the tensor hooks (int keys: output index) under the
    # keys "pre" and "post", so a node without hooks costs the engine nothing more.
    def _hook_dict(self, kind: str) -> dict:
        from .grad_mode import _state
        from .tensor import _py_value

        if _state.hooks:
            _py_value(None, f"grad_fn.register_{'prehook' if kind == 'pre' else 'hook'}()")
        if self.pre_hooks is None:
            self.pre_hooks = {}
        return self.pre_hooks.setdefault(kind, {})

    def register_prehook(self, fn):
        """Call ``fn(grad_outputs)`` before this node's backward runs; ``grad_outputs`` is a
        tuple with one gradient (or None) per output of the node; a returned tuple replaces
        it. Runs after the output tensors' own hooks. Returns a handle with ``remove()``.
        """
        from .hooks import RemovableHandle

        hooks = self._hook_dict("pre")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def register_hook(self, fn):
        """Call ``fn(grad_inputs, grad_outputs)`` after this node's backward ran:
        ``grad_inputs`` has one gradient per input of the node, in the input's shape (None
        where no gradient flows); a returned tuple replaces it. Returns a handle with
        ``remove()``."""
        from .hooks import RemovableHandle

        hooks = self._hook_dict("post")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    # -- used by the engine ------------------------------------------------------------
    def apply(self, grads: list, differentiable: bool):
        """Run the VJPs on the output gradients ``grads``: one gradient per input (``None``
        where none flows; in the broadcast output shape), or ``None`` when nothing flows.

        The VJPs get the saved values as arrays, or as Tensors when ``differentiable``; an
        input that was not saved arrives as a :class:`Meta` (shape and dtype only). Raises if
        the saved values were freed, or modified in place since they were saved.
        """
        if self.ctx is not None:  # a user autograd.Function
            return self.ctx._backward(grads, differentiable)
        g = grads[0]
        if g is None:
            return None
        if self.freed:
            raise RuntimeError(_FREED)
        for vc, ver, shape in self.vcs:
            if vc[0] != ver:
                what = "its output" if shape is None else f"a tensor of shape {shape}"
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: {what}, saved by {self.op.name} "
                    f"({self.name()}), is at version {vc[0]}; expected version {ver} instead."
                )
        args = []
        i = 0
        for s in self.saved:
            if s is None:  # ``Meta(shape, dtype)`` without the call of ``__init__``
                m = _new_meta(Meta)
                m.shape = self.shapes[i]
                m.dtype = self.dtypes[i]
                args.append(m)
            elif isinstance(s, Tensor):
                args.append(s if differentiable else s._data)
            else:
                args.append(s)
            i += 1
        ans = self.out
        if differentiable and ans is not None:
            ans = Tensor._make(ans, self)
        op = self.op
        kw = self.kw
        if op.vjp_all is not None:
            return op.vjp_all(g, ans, *args, **kw)
        vjps = op.vjps
        in_grads = []
        i = 0
        if kw:
            for e in self.next:
                in_grads.append(None if e is None else vjps[i](g, ans, *args, **kw))
                i += 1
        else:
            for e in self.next:
                in_grads.append(None if e is None else vjps[i](g, ans, *args))
                i += 1
        return in_grads

    def release(self) -> None:
        """Drop what the VJPs would read (after a backward without ``retain_graph``): saved
        tensors, the output, array arguments. The node and its edges stay, for introspection;
        running it again raises. A node that holds none of these can run again, as in PyTorch.
        """
        if self.ctx is not None:
            self.ctx._release()
        elif self.freed:
            return
        elif self.vcs or self.out is not None or _holds_array(self.saved, self.kw):
            self.saved = None
            self.out = None
            if self.kw and _holds_array((), self.kw):
                self.kw = None  # an index array; scalar arguments stay for name rules
            self.vcs = ()
            self.freed = True


def named(out, name: str, *inputs):
    """Show ``name`` as ``out.grad_fn``'s name: a composite op (``mse_loss``, ``view``) whose
    last primitive is another op shows the name PyTorch shows for it. ``inputs`` are the
    op's inputs: an ``out`` that is one of them (a no-op call) keeps its own name."""
    fn = getattr(out, "grad_fn", None)
    if fn is not None and type(fn) is Node:
        for t in inputs:
            if out is t:
                return out
        fn.label = name
    return out


_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def _holds_array(saved, kw) -> bool:
    """Whether a node that saved no tensor still holds an array argument (an index, a mask)."""
    for v in saved:
        if v is not None and _is_array_arg(v):
            return True
    if kw:
        for v in kw.values():
            if v is not None and _is_array_arg(v):
                return True
    return False


def _is_array_arg(v) -> bool:
    """An array, or a tuple or list holding one (an index tuple)."""
    if isinstance(v, np.ndarray):
        return True
    if isinstance(v, (tuple, list)):
        for x in v:
            if isinstance(x, np.ndarray):
                return True
    return False


class AccumulateGrad:
    """Stand-in for a leaf in ``next_functions`` (PyTorch shows the same name)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"
