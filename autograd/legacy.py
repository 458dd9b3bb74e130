"""PyTorch's legacy constructors: ``torch.Tensor(3, 4)``, ``torch.Tensor([1, 2])``,
``torch.FloatTensor(...)``, ``torch.LongTensor(...)``, ... and their type checks.

``T(*sizes)`` (ints, or one ``autograd.Size``) makes a tensor of that shape, zero-filled where
PyTorch leaves the memory uninitialised; ``T(data)`` (a sequence, an array or a tensor) makes a
tensor holding ``data`` in ``T``'s dtype; ``T()`` is empty. ``torch.Tensor`` uses the default
float dtype, and ``torch.Tensor(t)`` of a tensor shares ``t``'s memory and keeps its dtype.
``isinstance(x, torch.FloatTensor)`` checks the dtype, as in PyTorch; the legacy types are not
subclasses of ``Tensor`` (``issubclass(torch.FloatTensor, torch.Tensor)`` is False there too).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import dtypes as _dt
from .devices import _check_device
from .tensor import Size, Tensor

__all__ = [
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
]


def new_array(args: tuple, dtype: np.dtype | None, device: Any = None) -> np.ndarray:
    """The array for ``torch.Tensor(*args)`` (``dtype=None``: the default float) or
    ``torch.<Type>Tensor(*args)``."""
    _check_device(device, "Tensor()")
    target = dtype if dtype is not None else _dt.get_default_dtype()
    if not args:
        return np.empty((0,), dtype=target)
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if all(_is_int(a) for a in args):
        shape = tuple(builtins.int(a) for a in args)
        for s in shape:
            if s < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {s}: {list(shape)}"
                )
        return np.zeros(shape, dtype=target)
    if len(args) > 1:
        raise TypeError(
            f"new() received an invalid combination of arguments - got "
            f"({', '.join(type(a).__name__ for a in args)}): expected sizes (ints), or one "
            f"data argument (a sequence, an array or a Tensor)"
        )
    data = args[0]
    if isinstance(data, Tensor):
        if dtype is None or data.dtype == dtype:
            return data._data
        return data._data.astype(dtype)
    if isinstance(data, (list, tuple, np.ndarray)):
        from .factories import _to_array

        return _to_array(data, target, copy=True)
    raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")


def _is_int(a: Any) -> builtins.bool:
    if isinstance(a, (builtins.bool, np.bool_)):
        return False
    return isinstance(a, (builtins.int, np.integer))


class _LegacyType(type):
    """Metaclass of the legacy types: calling one constructs, ``isinstance`` checks the dtype."""

    dtype: np.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        arr = new_array(args, cls.dtype, device)
        if isinstance(args[0] if len(args) == 1 else None, Tensor) and arr is args[0]._data:
            return args[0]
        return Tensor._wrap(arr)

    def __instancecheck__(cls, obj: Any) -> builtins.bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dtype: np.dtype) -> type:
    doc = f"``torch.{name}``: the legacy constructor and type check for {dtype} tensors."
    return _LegacyType(name, (), {"dtype": dtype, "__doc__": doc, "__slots__": ()})


FloatTensor = _legacy("FloatTensor", _dt.float32)
DoubleTensor = _legacy("DoubleTensor", _dt.float64)
HalfTensor = _legacy("HalfTensor", _dt.float16)
LongTensor = _legacy("LongTensor", _dt.int64)
IntTensor = _legacy("IntTensor", _dt.int32)
ShortTensor = _legacy("ShortTensor", _dt.int16)
CharTensor = _legacy("CharTensor", _dt.int8)
ByteTensor = _legacy("ByteTensor", _dt.uint8)
BoolTensor = _legacy("BoolTensor", _dt.bool)

#: dtype -> legacy type name, for ``Tensor.type()`` ('torch.FloatTensor', as PyTorch prints).
TYPE_NAMES = {
    t.dtype: f"torch.{t.__name__}"
    for t in (
        FloatTensor,
        DoubleTensor,
        HalfTensor,
        LongTensor,
        IntTensor,
        ShortTensor,
        CharTensor,
        ByteTensor,
        BoolTensor,
    )
}


def type_to_dtype(t: Any) -> np.dtype:
    """``x.type(T)`` for a legacy type, its name ('torch.LongTensor') or a dtype."""
    if isinstance(t, _LegacyType):
        return t.dtype
    if isinstance(t, str):
        for d, n in TYPE_NAMES.items():
            if t in (n, n[len("torch.") :], "autograd." + n[len("torch.") :]):
                return d
        if t.startswith(("torch.", "autograd.")):
            t = t.split(".", 1)[1]
    return _dt.to_dtype(t)
