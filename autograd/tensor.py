"""The :class:`Tensor`: one NumPy array plus what autograd needs. No derivative maths here.

NOTE [ Version counters ]
An op that saves a tensor for backward records the tensor's version counter and its value at
save time. Every in-place op bumps the counter (shared between a tensor and its views), and the
engine compares before running a VJP, so modifying a saved tensor in place makes backward raise
a ``RuntimeError`` naming the op, never a silently wrong gradient. Counters are created lazily:
a tensor that is never saved nor viewed never allocates one.

NOTE [ In-place on views ]
A view (the result of an op registered with ``view=True`` that shares memory with its input:
basic indexing, ``view``/``reshape`` without a copy, ``permute``/``transpose``/``t``,
``unsqueeze``/``squeeze``, ``narrow``/``select``, ``diagonal``, ``expand``, ...) keeps its root
tensor in ``_base`` (views of views point at the same root) and shares its version counter.
An in-place op on a view that autograd records *rebases history*, as PyTorch does:

* the op runs out of place on an alias of the view's old value, giving ``r``;
* ``r`` is written into the view's memory, which is the root's;
* the root's ``grad_fn`` becomes a ``CopySlices`` node (``copy_slices``): its gradient is the
  root's gradient with the view's region zeroed for the root's old history, and the region
  itself for ``r`` (whose history reaches the old view, hence the old root);
* the view's ``grad_fn`` becomes ``AsStridedBackward0`` (``view_from_base``): the view read
  back out of the new root.

Both nodes describe the view by the flat positions of its elements in the root
(:class:`_Geometry`, computed from the arrays' strides; no view op needs to be replayed). Any
*other* view of the same root now holds a stale ``grad_fn``: a view's history is stale when
its root's ``grad_fn`` was made after its own (``Node.seq``). :func:`_refresh` rebuilds it
(as ``view_from_base`` of the root) wherever a view's history is read: when an op records a
node (``Node.__init__``), at the start of a backward, in ``requires_grad``/``is_leaf``, hooks,
``repr`` and in-place ops. (A user reading ``t.grad_fn`` of such a view directly sees the old
node, whose name may differ; the gradient is computed from the refreshed one.)

As in PyTorch, an in-place op that needs a gradient may not modify a view of a leaf that
requires grad, a view made in no-grad or inference mode, or one output of a function that
returns several views (``unbind``, ``split``, ``chunk``); ``_vm`` (set only on such views)
says which; nor a tensor with internal overlap (``expand``). An in-place op whose VJP reads
the old value of its target (``sin_``) gets that value through the alias, which keeps a copy
when a node saved it (PyTorch's ``original_self``).

NOTE [ Inference tensors ]
Tensors made in inference mode (factory results, results of ops that are not views of a normal
tensor) are inference tensors: their version counter is the shared :data:`_INFERENCE` object,
so every check costs one identity test where a counter is already read. Reading its version
raises PyTorch's "Inference tensors cannot be saved for backward" error: that is how
``Node.__init__`` refuses to save one (no extra test on the op path). Outside inference mode,
an in-place update of one (``_check_inplace``, ``_bump``), reading ``_version`` and
``requires_grad_()`` raise PyTorch's errors. Views share the counter, so views of inference
tensors are inference tensors; a view of a normal tensor made in inference mode is normal (and
may not be modified in place outside it when that needs a gradient). Inference mode turns
``_state.hooks`` on, so the dispatch's results are made by ``ops/_registry._inference_call``
(no cost on the normal path); ``_init`` marks every other tensor made in inference mode. As in
PyTorch, ``t.data`` of an inference tensor has a working counter of its own
(:class:`_InferenceDataCounter`) and is still an inference tensor.
"""

from __future__ import annotations

import builtins
import sys
import weakref
from typing import Any

import numpy as np
from numpy.lib.array_utils import byte_bounds as _byte_bounds

from . import dtypes as _dt
from .grad_mode import _modes, _state
from .hooks import RemovableHandle

_INFERENCE_SAVE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead "
    "of `torch.inference_mode()`."
)
_INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)


class _NoVersionCounter:
    """The version counter of every inference tensor (NOTE [ Inference tensors ]): reading it
    raises, as saving an inference tensor for backward does in PyTorch."""

    __slots__ = ()

    def __getitem__(self, i):
        raise RuntimeError(_INFERENCE_SAVE)

    def __setitem__(self, i, v):
        raise RuntimeError(_INFERENCE_INPLACE)

    def __repr__(self) -> str:
        return "<no version counter: inference tensor>"


#: the shared version counter of inference tensors
_INFERENCE = _NoVersionCounter()


class _InferenceDataCounter(list):
    """The version counter of ``t.data`` for an inference tensor ``t`` (and of its
    ``detach()``): PyTorch gives that tensor a working counter, so it may be modified in place
    and reports its ``_version``, but it is still an inference tensor (its views have no
    counter, and it cannot be saved for backward: reading ``vc[0]`` raises)."""

    __slots__ = ()

    def __getitem__(self, i):
        raise RuntimeError(_INFERENCE_SAVE)


def _is_inference_vc(t) -> bool:
    """Whether ``t`` is an inference tensor without a version counter of its own."""
    vc = t._vc
    return vc is _INFERENCE or (type(vc) is _InferenceDataCounter and t._base is not None)


# ``Tensor._vm``: how a view was made when an in-place op on it is restricted
_NO_GRAD_VIEW = "no_grad"
_INFERENCE_VIEW = "inference"


class Tensor:
    """A multi-dimensional array that can record operations for reverse-mode autodiff.

    Build tensors with :func:`autograd.tensor` and the other factories. As in PyTorch,
    ``Tensor(data)`` makes a tensor of the default float dtype holding ``data`` and
    ``Tensor(3, 4)`` one of shape ``(3, 4)`` (zero-filled); see ``legacy.py``.
    """

    __slots__ = (
        "_data",
        "_rg",
        "grad",
        "grad_fn",
        "_oi",
        "_vc",
        "_hooks",
        "_base",
        "_post_hooks",  # set on first use (read with getattr): register_post_accumulate_grad_hook
        "_vm",  # set on restricted views only (read with getattr): NOTE [ In-place on views ]
        "__weakref__",
    )
    __array_priority__ = 1000
    __array_ufunc__ = None  # make NumPy defer to our reflected operators

    def __init__(self, *args: Any, device: Any = None) -> None:
        # ``Tensor(3, 4)`` (sizes), ``Tensor([1, 2])`` (data) or ``Tensor(t)`` (shares ``t``):
        # PyTorch's legacy constructor, in ``legacy.py``.
        from .legacy import new_array

        _init(self, new_array(args, None, device))

    # -- construction (internal): every Tensor is made by ``_wrap`` or ``__init__``, both
    # through ``_init``; ``_make`` is ``_wrap`` for an output of a graph node.
    @classmethod
    def _wrap(cls, arr: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A tensor (or subclass instance) around ``arr`` (no copy), outside any graph."""
        t = _new_tensor(cls)
        _init(t, arr, requires_grad)
        return t

    @staticmethod
    def _make(arr: np.ndarray, node, oi: int = 0) -> Tensor:
        """A non-leaf tensor that is output ``oi`` of ``node``."""
        t = _wrap(arr, True)
        t.grad_fn = node
        t._oi = oi
        return t

    # -- properties ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> Any:
        """``device(type='cpu')``: ndgrad computes on the CPU (NOTE [ One device ])."""
        return _CPU

    @property
    def is_cpu(self) -> bool:
        """Always True: tensors live on the CPU."""
        return True

    def get_device(self) -> int:
        """``-1``, PyTorch's answer for a CPU tensor."""
        return -1

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def requires_grad(self) -> bool:
        if self._base is not None:
            _refresh(self)
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.is_inference() and not _state.inference:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        if self.grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self._rg = builtins.bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        if self._base is not None:
            return _refresh(self) is None
        return self.grad_fn is None

    def is_inference(self) -> bool:
        """Whether this is an inference tensor: made in :class:`~autograd.inference_mode`, or
        a view of one (NOTE [ Inference tensors ])."""
        vc = self._vc
        return vc is _INFERENCE or type(vc) is _InferenceDataCounter

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing this one's memory; in-place changes through it are not
        tracked by autograd (as in PyTorch)."""
        t = Tensor._wrap(self._data)
        if self.is_inference():  # an inference tensor with a counter of its own
            t._vc = _InferenceDataCounter([0])
        return t

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def _version(self) -> int:
        vc = self._vc
        if vc is None:
            return 0
        if type(vc) is not list:
            if _is_inference_vc(self):
                raise RuntimeError("Inference tensors do not track version counter.")
            return list.__getitem__(vc, 0)
        return vc[0]

    @property
    def T(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(
                f"The use of Tensor.T on tensors of dimension other than 2 to reverse their "
                f"shape is not supported (got ndim={self.ndim}); use permute instead."
            )
        return _F.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return _F.transpose(self, -2, -1)

    @property
    def H(self) -> Tensor:
        return self.T

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def element_size(self) -> int:
        return self._data.itemsize

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self.ndim, "stride")]

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    # -- conversion -----------------------------------------------------------------------
    def item(self):
        if _state.hooks:
            _py_value(self, "item()")
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        if _state.hooks:
            _py_value(self, "tolist()")
        return self._data.tolist()

    @property
    def real(self) -> Tensor:
        """The tensor itself for a real dtype (as PyTorch); the real part (a view) of a
        complex one."""
        if self._data.dtype.kind != "c":
            return self
        return Tensor._wrap(self._data.real)

    @property
    def imag(self) -> Tensor:
        """The imaginary part (a view) of a complex tensor."""
        if self._data.dtype.kind != "c":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return Tensor._wrap(self._data.imag)

    def numpy(self, force: bool = False) -> np.ndarray:
        """The underlying array (no copy). Refuses a tensor that requires grad, as PyTorch
        does: use ``t.detach().numpy()``."""
        if _state.hooks:
            _py_value(self, "numpy()")
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        # ``np.asarray(t)`` is ``t.numpy()``, as in PyTorch: refused when ``t`` requires grad
        if _state.hooks:
            _py_value(self, "__array__()")
        if self._rg:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        a = self._data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's memory and version counter, outside the graph."""
        t = Tensor._wrap(self._data)
        if self._vc is None:
            self._vc = [0]
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(_DETACH_VIEW)
        self.grad_fn = None
        self._rg = False
        return self

    def clone(self, *, memory_format=None) -> Tensor:
        return _E.clone(self)

    def contiguous(self, memory_format=None) -> Tensor:
        if self._data.flags.c_contiguous:
            return self
        return _E.clone(self)

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``, with
        ``non_blocking=`` and ``copy=``: returns ``self`` when nothing changes and ``copy`` is
        False. A device other than the CPU raises (NOTE [ One device ])."""
        from .devices import parse_to

        dtype, copy = parse_to(args, kwargs, "to")
        if dtype is None:
            return _E.clone(self) if copy else self
        dtype = _dt.to_dtype(dtype)
        if dtype == self.dtype and not copy:
            return self
        return _E.cast(self, dtype=dtype)

    def cpu(self, memory_format: Any = None) -> Tensor:
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False, memory_format: Any = None):
        """Raises: ndgrad runs on the CPU (NOTE [ One device ])."""
        from .devices import _check_device

        _check_device("cuda" if device is None else _cuda_name(device), "Tensor.cuda()")

    def type(self, dtype: Any = None, non_blocking: bool = False):
        """No argument: the legacy type name PyTorch prints (``'torch.FloatTensor'``); else
        ``to`` the dtype of a dtype, a legacy type or its name."""
        from .legacy import TYPE_NAMES, type_to_dtype

        if dtype is None:
            return TYPE_NAMES[self.dtype]
        return self.to(type_to_dtype(dtype))

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def bool(self) -> Tensor:
        return self.to(_dt.bool)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # -- autograd -------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves."""
        from .engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._base is not None:
            _refresh(self)
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if _state.hooks:
            _py_value(self, "retain_grad()")
        if self.grad_fn is None:
            return
        node = self.grad_fn
        if node.retains is None:
            node.retains = {}
        node.retains[self._oi] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        n = self.grad_fn if self._base is None else _refresh(self)
        return n is not None and n.retains is not None and self._oi in n.retains

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return
        value replaces the gradient. Returns a handle with ``remove()``."""
        if self._base is not None:
            _refresh(self)
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if _state.hooks:
            _py_value(self, "register_hook()")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node.pre_hooks is None:
                node.pre_hooks = {}
            hooks = node.pre_hooks.setdefault(self._oi, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a backward has added into this leaf's ``.grad``.
        Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if _state.hooks:
            _py_value(self, "register_hook()")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._hooks is None:
            self._hooks = {}  # the engine looks for post hooks only on leaves with hooks
        hooks = getattr(self, "_post_hooks", None)
        if hooks is None:
            hooks = self._post_hooks = {}
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # -- in-place machinery -----------------------------------------------------------------
    def _check_inplace(self, other_rg: bool = False) -> bool:
        """Raise PyTorch's error when an in-place op may not modify this tensor; return
        whether autograd records it (grad mode on, and this tensor or another input,
        ``other_rg``, requires grad). See NOTE [ In-place on views ]."""
        st = _state
        if st.hooks:
            _py_value(self, "an in-place operation")
        if type(self._vc) is not list and self._vc is not None:
            if _is_inference_vc(self) and not st._inference:
                raise RuntimeError(_INFERENCE_INPLACE)
        d = self._data
        if 0 in d.strides and _internal_overlap(d):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )
        if not st._grad or st._inference:
            return False
        base = self._base
        if base is None:
            if self._rg and self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            return self._rg or other_rg
        vm = getattr(self, "_vm", None)
        if vm is None:
            _refresh(self)
            rg = self._rg
        elif vm is _NO_GRAD_VIEW:  # PyTorch: such a view requires grad when its base is a non-leaf
            rg = base._rg and base.grad_fn is not None
        elif vm is _INFERENCE_VIEW:
            rg = base._rg
        else:
            rg = self._rg
        if not (rg or other_rg):
            return False
        if vm is None and rg and _of_multi_output_view(self.grad_fn):
            vm = ("multi", self._oi, self.grad_fn.name().removesuffix("Backward0"))
        if vm is not None:
            raise RuntimeError(_view_error(self, vm))
        if rg and base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        return True

    def _bump(self) -> None:
        vc = self._vc
        if vc is None:  # no node saved it and no view shares it yet: its first write
            self._vc = [1]
        else:
            if type(vc) is list:
                vc[0] += 1
            elif _is_inference_vc(self):
                if not _state.inference:
                    raise RuntimeError(_INFERENCE_INPLACE)
            else:  # ``.data`` of an inference tensor
                list.__setitem__(vc, 0, list.__getitem__(vc, 0) + 1)

    def _inplace(self, fn, *args, **kwargs) -> Tensor:
        """Run the out-of-place ``fn(self, *args)`` and write its result into ``self``.

        When the update is recorded, ``fn`` runs on an alias of the old ``self`` (same memory,
        its own version counter; it keeps a copy of the old values if a node saved it), and
        ``self`` takes the new node as its ``grad_fn``; for a view, the root's history is
        rebased (NOTE [ In-place on views ]).
        """
        other_rg = False
        if _state.grad:
            for a in args:
                if isinstance(a, Tensor) and a._rg:
                    other_rg = True
                    break
        recording = self._check_inplace(other_rg)
        src = self
        if recording:
            src = _wrap(self._data, self._rg)
            src.grad_fn = self.grad_fn
            src._oi = self._oi
            svc = src._vc = [0]
            refs = sys.getrefcount(src)
            vrefs = sys.getrefcount(svc)
        r = fn(src, *args, **kwargs)
        rd = r._data if isinstance(r, Tensor) else np.asarray(r)
        if rd.dtype != self._data.dtype and not np.can_cast(
            rd.dtype, self._data.dtype, "same_kind"
        ):
            raise RuntimeError(
                f"result type {rd.dtype} can't be cast to the desired output type "
                f"{self._data.dtype}"
            )
        if rd.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {tuple(self._data.shape)} doesn't match the broadcast "
                f"shape {tuple(rd.shape)}"
            )
        if recording:
            # Did ``fn`` keep the old value? Each node that saved ``src`` holds a reference to it
            # and to its counter; a view of ``src`` (``_base``) holds one of each too, and each
            # node that saved such a view (or its output, when it is one) one more counter.
            saved = sys.getrefcount(src) - refs
            views = sys.getrefcount(svc) - vrefs - saved
            if views > 0:  # a view of the old value was saved: it would see the new values,
                svc[0] += 1  # so the nodes that saved it raise a version error in backward
            elif saved:  # ``sin_``: the nodes keep a copy of the old value (PyTorch's
                src._data = src._data.copy()  # original_self)
        if rd is not self._data:
            np.copyto(self._data, rd, casting="unsafe")
        if recording and self._vc is None:
            self._vc = [0]
        self._bump()
        if recording:
            node = r.grad_fn if isinstance(r, Tensor) else None
            if node is not None and node.out is rd:
                # a node that saved its output (``exp_``) saved this tensor, as in PyTorch: a
                # later in-place change of it makes that node's backward raise
                vc = self._vc
                node.out = self._data
                node.vcs = [(vc, vc[0], None) if e[0] is r._vc else e for e in node.vcs]
            if not (isinstance(r, Tensor) and r.grad_fn is not None):
                # no differentiable path from the inputs (``gt_``): a zero gradient flows back
                r = _E.overwrite(src, _wrap(rd), name=_node_name(fn))
            base = self._base
            geom = None if base is None else _Geometry.of(self._data, base._data)
            if geom is None:
                if r.grad_fn is not None:
                    self.grad_fn = r.grad_fn
                    self._oi = r._oi
                    self._rg = True
            else:
                _rebase(self, base, geom, r)
        return self

    def _raw_inplace(self, fn, name: str) -> Tensor:
        """``fn(array)`` writes new values into this tensor's memory (``fill_``, ``zero_``,
        random fills). Recorded as an op named ``name`` with a zero gradient, as in PyTorch."""
        if not self._check_inplace():
            fn(self._data)
            self._bump()
            return self
        new = self._data.copy()
        fn(new)
        return self._inplace(lambda src: _E.overwrite(src, _wrap(new), name=name))

    def zero_(self) -> Tensor:
        return self._raw_inplace(lambda a: a.fill(0), "ZeroBackward0")

    def fill_(self, value) -> Tensor:
        if isinstance(value, Tensor):
            value = value.item()
        return self._raw_inplace(lambda a: a.fill(value), "FillBackward2")

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        if not isinstance(src, Tensor):
            src = Tensor._wrap(np.asarray(src))
        return self._inplace(_E.copy_from, src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(
            lambda d: d.__setitem__(..., g.uniform(a, b, d.shape)), "UniformBackward0"
        )

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(
            lambda d: d.__setitem__(..., g.normal(mean, std, d.shape)), "NormalBackward0"
        )

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(
            lambda d: d.__setitem__(..., g.random(d.shape) < p), "BernoulliBackward2"
        )

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(
            lambda d: d.__setitem__(..., g.exponential(1 / lambd, d.shape)), "ExponentialBackward0"
        )

    def random_(self, low: int = 0, high: int | None = None, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        if high is None:
            low, high = 0, low if low else 2**24
        return self._raw_inplace(
            lambda d: d.__setitem__(..., g.integers(low, high, d.shape)), "RandomBackward0"
        )

    # -- Python operators: each calls the op it names (autograd/ops/elementwise.py, linalg.py,
    # indexing.py). The named methods (``t.exp()``, ``t.add_()``, ...) are generated from the op
    # declarations: see NOTE [ How ops are exposed ] in ``ops/_registry.py``.
    def __add__(self, other):
        return _E.add_p(self, other)

    def __radd__(self, other):
        return _E.add_p(other, self)

    def __sub__(self, other):
        return _E.sub_p(self, other)

    def __rsub__(self, other):
        return _E.sub_p(other, self)

    def __mul__(self, other):
        return _E.mul(self, other)

    def __rmul__(self, other):
        return _E.mul(other, self)

    def __truediv__(self, other):
        return _E.div_p(self, other)

    def __rtruediv__(self, other):
        return _E.div_p(other, self)

    def __floordiv__(self, other):
        return _E.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _E.floor_divide(other, self)

    def __mod__(self, other):
        return _E.remainder(self, other)

    def __rmod__(self, other):
        return _E.remainder(other, self)

    def __pow__(self, other):
        return _E.pow(self, other)

    def __rpow__(self, other):
        return _E.pow(other, self)

    def __matmul__(self, other):
        return _F.matmul(self, other)

    def __rmatmul__(self, other):
        return _F.matmul(_wrap(np.asarray(other)), self)

    def __neg__(self):
        return _E.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _E.abs(self)

    def __invert__(self):
        return _E.logical_not(self) if self.dtype == np.bool_ else _E.bitwise_not(self)

    def __and__(self, other):
        return _E.bitwise_and(self, other)

    def __rand__(self, other):
        return _E.bitwise_and(other, self)

    def __or__(self, other):
        return _E.bitwise_or(self, other)

    def __ror__(self, other):
        return _E.bitwise_or(other, self)

    def __xor__(self, other):
        return _E.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _E.bitwise_xor(other, self)

    def __eq__(self, other):  # type: ignore[override]
        return _E.eq(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _E.ne(self, other)

    def __lt__(self, other):
        return _E.lt(self, other)

    def __le__(self, other):
        return _E.le(self, other)

    def __gt__(self, other):
        return _E.gt(self, other)

    def __ge__(self, other):
        return _E.ge(self, other)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __getitem__(self, key):
        return _I.getitem(self, key)

    def __setitem__(self, key, value) -> None:
        _I.setitem(self, key, value)

    # -- new tensors like this one ------------------------------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _factories().tensor(
            data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _factories().zeros(
            *size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _factories().ones(
            *size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_full(
        self, size, fill_value, dtype=None, device=None, requires_grad: bool = False
    ) -> Tensor:
        return _factories().full(
            size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _factories().empty(
            *size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    # -- Python protocol ----------------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if _state.hooks:
            _py_value(self, "iteration")
        return _rows(self)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(got a tensor of shape {tuple(self._data.shape)})"
            )
        if _state.hooks:
            _py_value(self, "bool()")
        return builtins.bool(self._data.reshape(()))

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        new = type(self).__new__(type(self))
        Tensor.__init__(new)
        new._data = self._data.copy()
        new._rg = self._rg
        if self.grad is not None:
            new.grad = Tensor._wrap(self.grad._data.copy())
        if hasattr(self, "__dict__"):
            import copy

            for k, v in self.__dict__.items():
                setattr(new, k, copy.deepcopy(v, memo))
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        raise TypeError(
            "ndgrad tensors are not picklable (loading a pickle can execute code); use "
            "autograd.save/autograd.load"
        )

    def __getstate__(self):
        raise TypeError("ndgrad tensors are not picklable; use autograd.save/autograd.load")


def _init(t: Tensor, arr: np.ndarray, requires_grad: bool = False) -> None:
    """Set every slot of a new tensor (the one place that knows them)."""
    t._data = arr
    t._rg = requires_grad
    t.grad = None
    t.grad_fn = None
    t._oi = 0
    # made in inference mode: an inference tensor (NOTE [ Inference tensors ])
    t._vc = _INFERENCE if _modes.nondefault and _state._inference else None
    t._hooks = None
    t._base = None


def _py_value(t: Tensor, what: str) -> None:
    """Tell an ``autograd.compile`` recording in progress that ``t`` was read as a Python
    value, modified in place or hooked (which a replay cannot reproduce)."""
    rec = _state._recorder
    if rec is not None:
        rec.untraceable(t, what)


def _wrap(arr: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor around ``arr`` (no copy), outside any graph."""
    t = _new_tensor(Tensor)
    _init(t, arr, requires_grad)
    return t


# ---------------------------------------------------------------------------------------
# views and in-place ops (NOTE [ In-place on views ]), inference tensors


class _Geometry:
    """Where a view's elements lie in its root: ``idx``, the flat (C-order) position in the
    root of each element of the view (an int64 array of the view's shape). ``unique`` is False
    when two elements share a position (``expand``). Held by ``copy_slices`` and
    ``view_from_base`` nodes as metadata (like PyTorch's sizes and strides), so it is not
    dropped when a backward releases saved values.
    """

    __slots__ = ("idx", "unique")

    def __init__(self, idx: np.ndarray, unique: bool = True) -> None:
        self.idx = idx
        self.unique = unique

    def __repr__(self) -> str:
        return f"_Geometry(shape={tuple(self.idx.shape)}, unique={self.unique})"

    @staticmethod
    def of(v: np.ndarray, r: np.ndarray) -> _Geometry | None:
        """The geometry of the array ``v`` inside ``r``, or None when ``v`` is not in ``r``'s
        memory (a copy)."""
        if v.dtype.itemsize != r.dtype.itemsize:
            return None
        if v.size == 0:
            return _Geometry(np.zeros(v.shape, np.int64))
        if r.size == 0:
            return None
        vlo, vhi = _byte_bounds(v)
        rlo, rhi = _byte_bounds(r)
        if vlo < rlo or vhi > rhi:
            return None
        isz = r.dtype.itemsize
        vp = v.__array_interface__["data"][0]
        rp = r.__array_interface__["data"][0]
        if r.flags.c_contiguous:
            # memory order is the root's logical order: positions are affine in the index
            idx = np.asarray((vp - rp) // isz, dtype=np.int64)
            nd = v.ndim
            for k in range(nd):
                step = np.arange(v.shape[k], dtype=np.int64) * (v.strides[k] // isz)
                idx = idx + step.reshape((1,) * k + (-1,) + (1,) * (nd - k - 1))
            idx = np.ascontiguousarray(np.broadcast_to(idx, v.shape))
        else:
            if _internal_overlap(r):
                raise RuntimeError(
                    "unsupported operation: more than one element of the written-to tensor "
                    "refers to a single memory location. Please clone() the tensor before "
                    "performing the operation."
                )
            # label each element of the root's memory with its logical position, then read
            # the labels through the view's strides
            from numpy.lib.stride_tricks import as_strided

            buf = np.empty((rhi - rlo) // isz, dtype=np.int64)

            def alias(a, ptr):
                return as_strided(
                    buf[(ptr - rlo) // isz :],
                    shape=a.shape,
                    strides=tuple(st // isz * 8 for st in a.strides),
                )

            alias(r, rp)[...] = np.arange(r.size, dtype=np.int64).reshape(r.shape)
            idx = alias(v, vp).copy()
        return _Geometry(idx, not _internal_overlap(v))


def _internal_overlap(a: np.ndarray) -> bool:
    """Whether two elements of ``a`` share memory through a zero stride (PyTorch's
    ``has_internal_overlap``: other overlaps are too hard to tell, and allowed)."""
    for n, st in zip(a.shape, a.strides):
        if st == 0 and n > 1:
            return True
    return False


def _refresh(t: Tensor, consumer=None):
    """The view ``t``'s ``grad_fn``, rebuilt first when stale: when its root's history was
    replaced by an in-place op after the view's own was made (NOTE [ In-place on views ]).

    ``consumer`` is the node being built with ``t`` as an input (``Node.__init__``): it takes
    a new sequence number, so that it still comes after the node made here (NOTE
    [ Engine order ] in engine.py).
    """
    fn = t.grad_fn
    rf = t._base.grad_fn
    if rf is None or (fn is not None and fn.seq > rf.seq):
        return fn
    if getattr(t, "_vm", None) is not None:  # restricted views keep the history they had
        return fn
    root = t._base
    geom = _Geometry.of(t._data, root._data)
    if geom is None:  # not in the root's memory (a copy)
        return fn
    node = _Node(_I.view_from_base, (root,), None, {"geom": geom}, t)
    t.grad_fn = node
    t._oi = 0
    t._rg = True
    if consumer is not None:
        consumer.seq = next(_sequence)
    return node


def _rebase(view: Tensor, root: Tensor, geom: _Geometry, r: Tensor) -> None:
    """After ``r`` was written into ``view``: the root's history becomes ``copy_slices`` of
    its old history and ``r``, the view's a ``view_from_base`` of the root."""
    old = _wrap(root._data, root._rg)
    old.grad_fn = root.grad_fn
    old._oi = root._oi
    if not (old._rg or r._rg):
        return
    root.grad_fn = _Node(_I.copy_slices, (old, r), None, {"geom": geom}, root)
    root._oi = 0
    root._rg = True
    view.grad_fn = _Node(_I.view_from_base, (root,), None, {"geom": geom}, view)
    view._oi = 0
    view._rg = True


def _view_error(t: Tensor, vm) -> str:
    """PyTorch's message for an in-place op that needs a gradient on a restricted view."""
    if vm is _INFERENCE_VIEW:
        return (
            "A view was created in inference mode and is being modified inplace in normal "
            "mode. Given that this use case is ambiguous and error-prone, it is forbidden. You "
            "can clarify your code by moving both the view and the inplace either both inside "
            "the inference_mode block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked)."
        )
    if vm is _NO_GRAD_VIEW:
        return (
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked)."
        )
    _, i, name = vm  # ("multi", output index, function name)
    head = (
        f"Output {i} of {name} is a view and is being modified inplace."
        if t.grad_fn is not None
        else "A view was created in no_grad mode and is being modified inplace with grad mode "
        "enabled."
    )
    return (
        head + " This view is the output of a function that returns multiple views. Such "
        "functions do not allow the output views to be modified inplace. You should replace "
        "the inplace operation by an out-of-place one."
    )


def _multi_output_views(views, name: str):
    """Mark the outputs of a function that returns several views (``unbind``, ``split``):
    PyTorch forbids in-place ops on them that need a gradient. Returns ``views``."""
    i = 0
    for v in views:
        if v._base is not None and getattr(v, "_vm", None) is None:
            v._vm = ("multi", i, name)
            if v.grad_fn is not None:  # views of it inherit the restriction
                _MULTI_NODES[v.grad_fn] = None
                v.grad_fn.label = f"{name}Backward0"  # the name PyTorch shows
        i += 1
    return views


#: the ``grad_fn`` of each output of a function that returns several views
_MULTI_NODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _of_multi_output_view(fn) -> bool:
    """Whether the history ``fn`` of a view goes, through view ops only, to an output of a
    function that returns several views (``unbind(...)[0][1:]``)."""
    while fn is not None and _MULTI_NODES:
        if fn in _MULTI_NODES:
            return True
        if not getattr(fn.op, "view", False) or not fn.next or fn.next[0] is None:
            return False
        fn = fn.next[0][0]
    return False


def _rows(t: Tensor):
    """``iter(t)``: PyTorch iterates over ``t.unbind(0)``, so the rows are views that may not
    be modified in place when that needs a gradient."""
    for i in range(t._data.shape[0]):
        v = t[i]
        if v._base is not None and getattr(v, "_vm", None) is None:
            v._vm = ("multi", i, "Unbind")
        yield v


def _node_name(fn) -> str:
    """The ``grad_fn`` name of an in-place op with no differentiable path (``gt_``)."""
    n = getattr(fn, "node_name", None)
    return n if type(n) is str else "CopyBackwards"


def _mark_inference(op, args, out) -> None:
    """Mark what ``op`` returned in inference mode (NOTE [ Inference tensors ]): an inference
    tensor, unless it is a view of a normal tensor (then a view made in inference mode)."""
    if not isinstance(out, Tensor) or out._vc is _INFERENCE:
        return
    if op.view and out._base is not None:
        if _shares_memory(out._data, args[0]._data):
            if not out.is_inference():
                out._vm = _INFERENCE_VIEW
            elif getattr(out, "_vm", None) is _NO_GRAD_VIEW:
                del out._vm  # a view of an inference tensor: no restriction of its own
            return
        out._base = None  # a copy (``reshape`` of a non-contiguous tensor)
    out._vc = _INFERENCE


def _shares_memory(d: np.ndarray, s: np.ndarray) -> bool:
    """Whether ``d``, returned by NumPy for a view op on ``s``, is a view of ``s`` (not a
    copy): NumPy points a view at the memory's owner."""
    b = d.base
    if b is (s if s.base is None else s.base):
        return True
    if b is None or b.base is None:  # owns other memory (a copy)
        return False
    return np.may_share_memory(d, s)


def _unview(t: Tensor, src: Tensor) -> Tensor:
    """``t``, made by a view op from ``src``, no longer counts as a view when NumPy had to
    copy (``reshape`` of a non-contiguous tensor). Returns ``t``."""
    if t._base is not None and not _shares_memory(t._data, src._data):
        t._base = None
        t._vc = None
    return t


_DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
    "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
    "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)


_new_tensor = object.__new__


class Size(tuple):
    """The shape of a tensor: a tuple, printed as PyTorch prints ``torch.Size``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"autograd.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _wrap_dim(dim, ndim: int, name: str = "") -> int:
    """Normalise a possibly negative ``dim`` for a tensor of ``ndim`` dims, or raise IndexError
    naming the valid range (0-d tensors accept dims -1 and 0, as in PyTorch)."""
    try:
        d = operator_index(dim)
    except TypeError:
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__}") from None
    n = ndim if ndim > 0 else 1
    if d < -n or d >= n:
        raise IndexError(
            f"{name + ': ' if name else ''}Dimension out of range (expected to be in range of "
            f"[{-n}, {n - 1}], but got {d}) for a tensor with {ndim} dims"
        )
    return d % n if ndim > 0 else 0


def operator_index(v) -> int:
    import operator

    if isinstance(v, Tensor):
        return v.__index__()
    return operator.index(v)


def _cuda_name(device: Any) -> Any:
    return f"cuda:{device}" if isinstance(device, builtins.int) else device


def _factories():
    from . import factories

    return factories


# The ops import Tensor, so they are imported after it is defined.
from . import ops as _F  # noqa: E402
from .devices import CPU as _CPU  # noqa: E402
from .graph import Node as _Node  # noqa: E402
from .graph import _sequence  # noqa: E402
from .ops import elementwise as _E  # noqa: E402
from .ops import indexing as _I  # noqa: E402
