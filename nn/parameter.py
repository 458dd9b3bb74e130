"""``Parameter`` and ``Buffer``: tensors that a :class:`~nn.Module` registers when assigned; and
``UninitializedParameter``/``UninitializedBuffer``, the not-yet-shaped ones of lazy modules."""

from __future__ import annotations

import numpy as np

from autograd.serialization import _register_parameter_class
from autograd.tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


def _array_of(data, kind: str) -> np.ndarray:
    if data is None:
        return np.empty((0,), dtype=np.float32)
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    raise TypeError(f"{kind}: data must be a Tensor, got {type(data).__name__}")


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a :class:`~nn.Module` attribute
    registers it in ``parameters()`` and ``state_dict()``.

    Parameters
    ----------
    data : Tensor, optional
        The value. The parameter shares its memory (no copy). ``None`` gives an empty tensor.
    requires_grad : bool
        Default ``True``.

    Notes
    -----
    Ops on a parameter return plain :class:`~autograd.Tensor` objects, and ``detach()``,
    ``data`` and ``clone()`` do too, as in PyTorch.
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        arr = _array_of(data, "Parameter")
        p = cls._wrap(arr)
        if isinstance(data, Tensor):
            # Shares memory and version counter; the parameter is always a leaf (as in PyTorch).
            if data._vc is None:
                data._vc = [0]
            p._vc = data._vc
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass  # all done in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor that, assigned to a :class:`~nn.Module` attribute, is registered as a buffer
    (``module.register_buffer(name, data, persistent)``), as ``torch.nn.Buffer`` is.

    The module stores a plain :class:`~autograd.Tensor` sharing this buffer's memory.
    """

    def __new__(cls, data=None, *, persistent: bool = True):
        b = cls._wrap(_array_of(data, "Buffer"))
        b.persistent = bool(persistent)
        return b

    def __init__(self, data=None, *, persistent: bool = True) -> None:
        pass


# NOTE [ Uninitialized parameters ]
# A lazy module (``nn.LazyLinear``, ...) holds ``UninitializedParameter``/``UninitializedBuffer``
# objects until its first forward (or a ``load_state_dict``) gives them a shape: ``materialize``
# then gives the object its array and turns it, in place, into a ``Parameter`` (a plain
# ``Tensor`` for a buffer), so an optimizer built on the lazy module holds the right objects. As
# in PyTorch, an uninitialized tensor refuses to be used: reading ``shape`` raises PyTorch's
# RuntimeError, calling a method other than a few dtype and device ones raises its ValueError,
# and its array is an empty ``_UninitializedArray`` that refuses every NumPy function, so an op
# fed one fails too (as a RuntimeError naming the op). ``dtype``, ``ndim``, ``size()``,
# ``requires_grad`` and the dtype conversions (``to``, ``double``, ...) work, so ``module.to``
# and ``module.double()`` work on a lazy module.
_UNINIT_METHODS_ALLOWED = frozenset(
    {
        "size",
        "copy_",
        "is_complex",
        "is_floating_point",
        "half",
        "float",
        "double",
        "char",
        "short",
        "int",
        "long",
        "cuda",
        "cpu",
        "to",
        "get_device",
        "type",
        "materialize",
        "share_memory_",
    }
)


def _uninit_message(cls_name: str, what: str) -> str:
    return (
        f"Attempted to use an uninitialized parameter in {what}. This error happens when you "
        "are using a `LazyModule` or explicitly manipulating "
        f"`torch.nn.parameter.{cls_name}` objects. When using LazyModules Call `forward` with a "
        "dummy batch to initialize the parameters before calling torch functions"
    )


class _UninitializedArray(np.ndarray):
    """The empty array of an uninitialized tensor: every NumPy function on it raises."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise ValueError(_uninit_message("UninitializedParameter", repr(ufunc)))

    def __array_function__(self, func, types, args, kwargs):
        raise ValueError(_uninit_message("UninitializedParameter", f"<function {func.__name__}>"))


def _empty_uninit(dtype) -> np.ndarray:
    from autograd import dtypes as _dt

    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    return np.empty((0,), dtype=dt).view(_UninitializedArray)


_blocked_methods: frozenset | None = None


def _blocked() -> frozenset:
    """The public Tensor methods an uninitialized tensor refuses (all but the allowed ones)."""
    global _blocked_methods
    if _blocked_methods is None:
        _blocked_methods = frozenset(
            n
            for n in dir(Tensor)
            if not n.startswith("_")
            and n not in _UNINIT_METHODS_ALLOWED
            and callable(getattr(Tensor, n, None))
        )
    return _blocked_methods


class _Refused:
    """A blocked method of an uninitialized tensor: calling it raises PyTorch's ValueError."""

    __slots__ = ("cls", "name")

    def __init__(self, cls: str, name: str) -> None:
        self.cls = cls
        self.name = name

    def __call__(self, *args, **kwargs):
        raise ValueError(_uninit_message(self.cls, f"<method '{self.name}' of 'Tensor' objects>"))


class UninitializedTensorMixin:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share (NOTE [ Uninitialized
    parameters ])."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def __getattribute__(self, name):
        if name in _blocked():  # the method is there; calling it raises, as in PyTorch
            return _Refused(type(self).__name__, name)
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (its dtype, or ``dtype``) and make it, in place, a
        ``Parameter`` (a ``Tensor`` for a buffer).

        Parameters
        ----------
        shape : tuple of int
            The shape of the materialized tensor.
        device : str or device, optional
            Only the CPU.
        dtype : dtype, optional
            Default: the uninitialized tensor's dtype.
        """
        from autograd import dtypes as _dt
        from autograd.devices import _check_device

        if device is not None:
            _check_device(device, "materialize")
        dt = self._data.dtype if dtype is None else _dt.to_dtype(dtype)
        self._data = np.zeros(tuple(int(d) for d in shape), dtype=dt)  # zeros, as ag.empty
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes."
        )

    @property
    def data(self) -> Tensor:
        return Tensor._wrap(np.asarray(self._data).view(np.ndarray))

    @data.setter
    def data(self, value) -> None:
        Tensor.data.fset(self, value)

    def to(self, *args, **kwargs):
        """A dtype conversion gives an uninitialized tensor of that dtype; the CPU is the only
        device."""
        from autograd import dtypes as _dt
        from autograd.devices import parse_to

        dtype, _ = parse_to(args, kwargs, "to")
        if dtype is None or _dt.to_dtype(dtype) == self._data.dtype:
            return self
        return self._like(_dt.to_dtype(dtype))

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    def __len__(self):
        raise ValueError(_uninit_message(type(self).__name__, "<function Tensor.__len__>"))

    def __iter__(self):
        raise ValueError(_uninit_message(type(self).__name__, "<function Tensor.__iter__>"))

    def __getitem__(self, index):
        raise ValueError(_uninit_message(type(self).__name__, "<method '__getitem__'>"))

    def __setitem__(self, index, value):
        raise ValueError(_uninit_message(type(self).__name__, "<method '__setitem__'>"))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = self._like(self._data.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param) -> bool:
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward).

    It holds no data: reading ``shape`` or using it in an op raises, as in PyTorch (NOTE [
    Uninitialized parameters ]). ``materialize(shape)`` turns it, in place, into a
    :class:`Parameter`.

    Parameters
    ----------
    requires_grad : bool
        Default ``True``.
    device, dtype
        The dtype it will be materialized with (default: the default dtype); the CPU only.
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        if device is not None:
            from autograd.devices import _check_device

            _check_device(device, "UninitializedParameter")
        p = Tensor._wrap.__func__(cls, _empty_uninit(dtype))
        p._rg = bool(requires_grad)
        return p

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass

    def _like(self, dtype):
        return UninitializedParameter(self._rg, dtype=dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy module's running statistics, until its
    first forward). ``materialize(shape)`` turns it, in place, into a :class:`~autograd.Tensor`.

    Assigned to a :class:`~nn.Module` attribute, it is registered as a buffer (persistent unless
    ``persistent=False``), as ``torch.nn.UninitializedBuffer`` is.
    """

    __slots__ = ()  # Tensor's layout, so that materialize can make it a Tensor
    cls_to_become = Tensor
    persistent = True

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent=True):
        if device is not None:
            from autograd.devices import _check_device

            _check_device(device, "UninitializedBuffer")
        kind = cls if persistent else _NonPersistentUninitializedBuffer
        b = Tensor._wrap.__func__(kind, _empty_uninit(dtype))
        b._rg = bool(requires_grad)
        return b

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True) -> None:
        pass

    def _like(self, dtype):
        return UninitializedBuffer(self._rg, dtype=dtype, persistent=self.persistent)

    def __deepcopy__(self, memo):
        # PyTorch defines a deepcopy for the parameter only: a buffer refuses, as any method
        raise ValueError(_uninit_message("UninitializedBuffer", "<function Tensor.__deepcopy__>"))


class _NonPersistentUninitializedBuffer(UninitializedBuffer):
    """An ``UninitializedBuffer(persistent=False)`` (a class attribute, since the object has
    Tensor's slots only)."""

    __slots__ = ()
    persistent = False

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"


_register_parameter_class(Parameter)  # autograd.save/load restore Parameters
