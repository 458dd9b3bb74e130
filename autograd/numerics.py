"""Dtype queries and process-wide settings of the ``torch`` namespace: ``finfo``, ``iinfo``,
``result_type``, ``promote_types``, ``can_cast``, ``broadcast_shapes``, the BLAS thread count
and the determinism switch."""

from __future__ import annotations

import builtins
import os
import warnings
from typing import Any

import numpy as np

from . import dtypes as _dt
from .tensor import Size, Tensor

__all__ = [
    "are_deterministic_algorithms_enabled",
    "broadcast_shapes",
    "can_cast",
    "finfo",
    "get_num_threads",
    "iinfo",
    "is_deterministic_algorithms_warn_only_enabled",
    "promote_types",
    "result_type",
    "set_num_threads",
    "use_deterministic_algorithms",
]


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating dtype (default: the default float dtype), with PyTorch's
    fields: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``),
    ``resolution`` and ``dtype`` (the name, e.g. ``'float32'``)."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002
        d = _dt.get_default_dtype() if type is None else _dt.to_dtype(type)
        if d.kind != "f":
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                "'torch.finfo'"
            )
        fi = np.finfo(d)
        self.bits = builtins.int(fi.bits)
        self.eps = builtins.float(fi.eps)
        self.max = builtins.float(fi.max)
        self.min = builtins.float(fi.min)
        self.tiny = self.smallest_normal = builtins.float(fi.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(fi.precision)  # 1e-06, not float32(1e-06)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype`` (the name)."""

    def __init__(self, type: Any) -> None:  # noqa: A002
        d = _dt.to_dtype(type)
        if d.kind not in "iu":
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                "'torch.iinfo'"
            )
        ii = np.iinfo(d)
        self.bits = builtins.int(ii.bits)
        self.max = builtins.int(ii.max)
        self.min = builtins.int(ii.min)
        self.dtype = d.name

    def __repr__(self) -> str:
        lo, hi = builtins.float(self.min), builtins.float(self.max)
        return f"iinfo(min={lo:g}, max={hi:g}, dtype={self.dtype})"


def _operand(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (builtins.bool, builtins.int, builtins.float)):
        return x
    raise TypeError(f"result_type(): expected a Tensor or a Python number, got {type(x).__name__}")


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype an arithmetic op on ``tensor1`` and ``tensor2`` (Tensors or Python numbers)
    returns, by PyTorch's promotion rules."""
    return _dt.result_type([_operand(tensor1), _operand(tensor2)])


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The smallest dtype both promote to, by PyTorch's rules: within a category (bool < int <
    float) as NumPy; across categories the higher category's dtype (``int64`` with
    ``float16`` gives ``float16``)."""
    return _dt.promote_types(_dt.to_dtype(type1), _dt.to_dtype(type2))


def can_cast(from_: Any, to: Any) -> builtins.bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to``: never to a lower category
    (float to int, int or float to bool)."""
    return _dt._category(_dt.to_dtype(from_)) <= _dt._category(_dt.to_dtype(to))


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape ``shapes`` broadcast to (ints count as 1-d shapes), as an ``autograd.Size``."""
    norm = [(s,) if isinstance(s, (builtins.int, np.integer)) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*norm))
    except ValueError:
        raise RuntimeError(
            f"Shape mismatch: objects cannot be broadcast to a single shape: {norm}"
        ) from None


# -- threads ------------------------------------------------------------------------------------
_threads: builtins.int | None = None


def set_num_threads(num: builtins.int) -> None:
    """Set the BLAS thread pool's size through ``threadpoolctl`` when it is installed
    (``pip install 'ndgrad[threads]'``); otherwise warn that the call had no effect."""
    global _threads
    num = builtins.int(num)
    if num < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {num}")
    try:
        import threadpoolctl
    except ImportError:
        warnings.warn(
            "autograd.set_num_threads had no effect: it sets the BLAS thread pool through "
            "threadpoolctl, which is not installed (pip install 'ndgrad[threads]'); or set "
            "OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before starting Python.",
            UserWarning,
            stacklevel=2,
        )
        return
    threadpoolctl.threadpool_limits(limits=num, user_api="blas")
    _threads = num


def get_num_threads() -> builtins.int:
    """The BLAS thread pool's size (``threadpoolctl``), else the CPU count."""
    try:
        import threadpoolctl
    except ImportError:
        return _threads or os.cpu_count() or 1
    counts = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    return builtins.max(counts) if counts else (_threads or os.cpu_count() or 1)


def set_num_interop_threads(num: builtins.int) -> None:
    """Accepted: ndgrad runs no inter-op thread pool."""


def get_num_interop_threads() -> builtins.int:
    """Always 1: ndgrad runs no inter-op thread pool."""
    return 1


# -- determinism -------------------------------------------------------------------------------
# Every ndgrad op is deterministic (NumPy on the CPU, no atomics), so the switch only records.
_deterministic = False
_warn_only = False


def use_deterministic_algorithms(mode: builtins.bool, *, warn_only: builtins.bool = False) -> None:
    """Record the switch; ndgrad's ops are all deterministic, so nothing else changes."""
    global _deterministic, _warn_only
    if not isinstance(mode, builtins.bool):
        raise TypeError(
            f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}"
        )
    _deterministic, _warn_only = mode, builtins.bool(warn_only)


def are_deterministic_algorithms_enabled() -> builtins.bool:
    """Whether :func:`use_deterministic_algorithms` was switched on."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> builtins.bool:
    """The ``warn_only`` flag given to :func:`use_deterministic_algorithms`."""
    return _warn_only
