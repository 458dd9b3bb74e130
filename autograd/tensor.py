"""The :class:`Tensor`: one NumPy array plus what autograd needs. No derivative maths here.

NOTE [ Version counters ]
An op that saves a tensor for backward records the tensor's version counter and its value at
save time. Every in-place op bumps the counter (shared between a tensor and its views), and the
engine compares before running a VJP, so modifying a saved tensor in place makes backward raise
a ``RuntimeError`` naming the op, never a silently wrong gradient. Counters are created lazily:
a tensor that is never saved nor viewed never allocates one.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import dtypes as _dt
from .grad_mode import _state
from .hooks import RemovableHandle


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
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
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
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing this one's memory; in-place changes through it are not
        tracked by autograd (as in PyTorch)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def _version(self) -> int:
        return 0 if self._vc is None else self._vc[0]

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
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if _state.hooks:
            _py_value(self, "retain_grad()")
        if self.grad_fn is None:
            return
        import weakref

        node = self.grad_fn
        if node.retains is None:
            node.retains = {}
        node.retains[self._oi] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        n = self.grad_fn
        return n is not None and n.retains is not None and self._oi in n.retains

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return
        value replaces the gradient. Returns a handle with ``remove()``."""
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
    def _check_inplace(self) -> None:
        if _state.hooks:
            _py_value(self, "an in-place operation")
        if _state.grad and self._rg:
            if self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
        base = self._base
        if base is not None and _state.grad and base._rg:
            if base.grad_fn is None:
                raise RuntimeError(
                    "a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation."
                )

    def _bump(self) -> None:
        if self._vc is not None:
            self._vc[0] += 1

    def _inplace(self, fn, *args, **kwargs) -> Tensor:
        """Run the out-of-place ``fn(self, *args)`` and write its result into ``self``.

        When the result is recorded, ``self`` takes the new node as its ``grad_fn``; the node
        refers to an alias of the old ``self`` (same memory and version counter), so a VJP that
        needs the old value raises a version error rather than reading the new one.
        """
        self._check_inplace()
        recording = _state.grad and (self._rg or any(isinstance(a, Tensor) and a._rg for a in args))
        if recording and self._base is not None and self._base._rg:
            raise RuntimeError(
                "ndgrad: in-place modification of a view of a tensor that requires grad is not "
                "supported; use the out-of-place op, or index assignment on the base tensor."
            )
        src = self
        if recording:
            src = Tensor._wrap(self._data, self._rg)
            src.grad_fn = self.grad_fn
            src._oi = self._oi
            if self._vc is None:
                self._vc = [0]
            src._vc = self._vc
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
        if rd is not self._data:
            np.copyto(self._data, rd, casting="unsafe")
        self._bump()
        if recording and isinstance(r, Tensor) and r.grad_fn is not None:
            self.grad_fn = r.grad_fn
            self._oi = r._oi
            self._rg = True
        return self

    def _raw_inplace(self, fn) -> Tensor:
        """In-place update that is never recorded (fill_, zero_, random fills)."""
        self._check_inplace()
        if _state.grad and self._rg and self.grad_fn is not None:
            # Overwriting a non-leaf cuts its history, as in PyTorch.
            self.grad_fn = None
        fn(self._data)
        self._bump()
        return self

    def zero_(self) -> Tensor:
        return self._raw_inplace(lambda a: a.fill(0))

    def fill_(self, value) -> Tensor:
        if isinstance(value, Tensor):
            value = value.item()
        return self._raw_inplace(lambda a: a.fill(value))

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        if not isinstance(src, Tensor):
            src = Tensor._wrap(np.asarray(src))
        return self._inplace(_E.copy_from, src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(lambda d: d.__setitem__(..., g.uniform(a, b, d.shape)))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(lambda d: d.__setitem__(..., g.normal(mean, std, d.shape)))

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(lambda d: d.__setitem__(..., g.random(d.shape) < p))

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        return self._raw_inplace(lambda d: d.__setitem__(..., g.exponential(1 / lambd, d.shape)))

    def random_(self, low: int = 0, high: int | None = None, *, generator=None) -> Tensor:
        from .random import _rng

        g = _rng(generator)
        if high is None:
            low, high = 0, low if low else 2**24
        return self._raw_inplace(lambda d: d.__setitem__(..., g.integers(low, high, d.shape)))

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
        return (self[i] for i in range(self._data.shape[0]))

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
    t._vc = None
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
from .ops import elementwise as _E  # noqa: E402
from .ops import indexing as _I  # noqa: E402
