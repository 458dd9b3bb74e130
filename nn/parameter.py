"""``Parameter`` and ``Buffer``: tensors that a :class:`~nn.Module` registers when assigned."""

from __future__ import annotations

import numpy as np

from autograd.serialization import _register_parameter_class
from autograd.tensor import Tensor

__all__ = ["Parameter", "Buffer"]


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


_register_parameter_class(Parameter)  # autograd.save/load restore Parameters
