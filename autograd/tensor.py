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
from .ops import _registry


class Tensor:
    """A multi-dimensional array that can record operations for reverse-mode autodiff.

    Build tensors with :func:`autograd.tensor` and the other factories; ``Tensor(data)``
    also works and, like ``torch.Tensor(data)``, makes a tensor of the default float dtype.
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

    def __init__(self, data: Any = None, requires_grad: bool = False) -> None:
        if data is None:
            data = []
        if isinstance(data, Tensor):
            data = data._data
        arr = np.array(data, dtype=_dt.get_default_dtype())
        self._data = arr
        self.grad = None
        self.grad_fn = None
        self._oi = 0
        self._vc = None
        self._hooks = None
        self._base = None
        self._rg = False
        if requires_grad:
            self.requires_grad_(True)

    # -- construction helpers (internal) ------------------------------------------------
    @classmethod
    def _wrap(cls, arr: np.ndarray, requires_grad: bool = False) -> Tensor:
        t = object.__new__(cls)
        t._data = arr
        t._rg = requires_grad
        t.grad = None
        t.grad_fn = None
        t._oi = 0
        t._vc = None
        t._hooks = None
        t._base = None
        return t

    @classmethod
    def _make(cls, arr, node, oi: int = 0) -> Tensor:
        """A non-leaf tensor that is output ``oi`` of ``node``."""
        t = cls._wrap(arr, True)
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
    def device(self) -> str:
        return "cpu"

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
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The underlying array (no copy). Refuses a tensor that requires grad, as PyTorch
        does: use ``t.detach().numpy()``."""
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
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
        return _F.clone(self)

    def contiguous(self, memory_format=None) -> Tensor:
        if self._data.flags.c_contiguous:
            return self
        return _F.clone(self)

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(other)``, or ``to('cpu')`` (the only device)."""
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        device = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) or a is None:
                device = a
            else:
                dtype = a
        if device not in (None, "cpu") and not str(device).startswith("cpu"):
            raise RuntimeError(f"ndgrad runs on the CPU only; got device {device!r}")
        if dtype is None:
            return _F.clone(self) if copy else self
        dtype = _dt.to_dtype(dtype)
        if dtype == self.dtype and not copy:
            return self
        return _F.cast(self, dtype=dtype)

    def cpu(self) -> Tensor:
        return self

    def type(self, dtype=None):
        if dtype is None:
            return f"autograd.{self.dtype.name}"
        return self.to(dtype)

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
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            lst = self._hooks
        else:
            node = self.grad_fn
            if node.pre_hooks is None:
                node.pre_hooks = {}
            lst = node.pre_hooks.setdefault(self._oi, [])
        lst.append(hook)
        return _RemovableHandle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a backward has added into this leaf's ``.grad``.
        Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._hooks is None:
            self._hooks = []  # the engine looks for post hooks only on leaves with hooks
        lst = getattr(self, "_post_hooks", None)
        if lst is None:
            lst = self._post_hooks = []
        lst.append(hook)
        return _RemovableHandle(lst, hook)

    # -- in-place machinery -----------------------------------------------------------------
    def _check_inplace(self) -> None:
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
        return self._inplace(_F.copy_from, src)

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

    # -- Python protocol ----------------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(got a tensor of shape {tuple(self._data.shape)})"
            )
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
        return _format(self)

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


class _RemovableHandle:
    __slots__ = ("_lst", "_fn")

    def __init__(self, lst, fn):
        self._lst = lst
        self._fn = fn

    def remove(self) -> None:
        try:
            self._lst.remove(self._fn)
        except ValueError:
            pass


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


# -- repr -------------------------------------------------------------------------------------
def _format(t: Tensor) -> str:
    a = t._data
    body = _format_array(a)
    extras = []
    default_ok = a.dtype in (_dt.get_default_dtype(), _dt.int64, _dt.bool)
    if a.size == 0 and a.ndim != 1:
        extras.append(f"size={tuple(a.shape)}")
    if not default_ok:
        extras.append(f"dtype=autograd.{a.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    inner = body if not extras else body + ", " + ", ".join(extras)
    return f"tensor({inner})"


def _format_array(a: np.ndarray) -> str:
    if a.dtype.kind == "f":
        finite = a[np.isfinite(a)]
        if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:

            def fmt(x):
                return f"{x:.0f}." if np.isfinite(x) else str(x)

        else:
            amax = np.abs(finite).max() if finite.size else 0.0
            nz = np.abs(finite[finite != 0])
            amin = nz.min() if nz.size else 0.0
            if amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1000):

                def fmt(x):
                    return f"{x:.4e}" if np.isfinite(x) else str(x)

            else:

                def fmt(x):
                    return f"{x:.4f}" if np.isfinite(x) else str(x)

        formatter = {"float_kind": fmt}
    elif a.dtype.kind == "b":
        formatter = {"bool": lambda x: "True" if x else "False"}
    else:
        formatter = None
    return np.array2string(
        a,
        separator=", ",
        formatter=formatter,
        prefix="tensor(",
        threshold=1000,
        edgeitems=3,
        max_line_width=80,
    )


_registry._Tensor = Tensor

from . import graph as _graph  # noqa: E402

_graph._Tensor = Tensor
_registry._Node = _graph.Node

from . import ops as _F  # noqa: E402  (ops need Tensor defined first)
