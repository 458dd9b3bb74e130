"""Sorting and selection: sort, argsort, msort, topk, kthvalue, median, unique, bincount.

Values come out of ``sort``/``topk`` through ``gather`` with the indices, so their gradient is a
scatter to the chosen positions, exactly as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..tensor import Tensor
from ._registry import public
from .shape import gather_p, reshape_p, wrap_dim

_Sorted = namedtuple("sort", ["values", "indices"])
_TopK = namedtuple("topk", ["values", "indices"])
_KthValue = namedtuple("kthvalue", ["values", "indices"])


def _stable_argsort(a, axis, descending):
    if descending:
        # stable descending order: sort the negated keys (NaN goes first, like PyTorch)
        if a.dtype.kind == "f":
            key = np.where(np.isnan(a), -np.inf, -a)
            idx = np.argsort(key, axis=axis, kind="stable")
            nan_first = np.argsort(
                ~np.isnan(np.take_along_axis(a, idx, axis)), axis=axis, kind="stable"
            )
            return np.take_along_axis(idx, nan_first, axis)
        if a.dtype == np.bool_:
            a = a.astype(np.int8)
        return np.argsort(
            -a.astype(np.int64) if a.dtype.kind == "u" else -a, axis=axis, kind="stable"
        )
    return np.argsort(a, axis=axis, kind="stable")


@public(method=True)
def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    """Sort along ``dim``; returns ``(values, indices)``. Ties keep their order (stable)."""
    T = Tensor
    if input.ndim == 0:
        return _Sorted(input * 1, T._wrap(np.array(0, dtype=np.int64)))
    d = wrap_dim(dim, input.ndim, "sort")
    idx = _stable_argsort(input._data, d, descending)
    return _Sorted(gather_p(input, idx, axis=d), T._wrap(idx.astype(np.int64)))


@public(method=True)
def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    return sort(input, dim, descending, stable=stable).indices


@public(method=True)
def msort(input):  # noqa: A002
    return sort(input, 0).values


@public(method=True)
def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``."""
    T = Tensor
    d = wrap_dim(dim, input.ndim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, size of dim {d} is {n})")
    if input.ndim == 0:
        return _TopK(input * 1, T._wrap(np.array(0, dtype=np.int64)))
    idx = _stable_argsort(input._data, d, largest)
    idx = np.take(idx, np.arange(k), axis=d)
    return _TopK(gather_p(input, idx, axis=d), T._wrap(idx.astype(np.int64)))


@public(method=True)
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The ``k``-th smallest element (1-based) along ``dim``: ``(values, indices)``."""
    T = Tensor
    d = wrap_dim(dim, input.ndim, "kthvalue")
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(
            f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n})"
        )
    idx = _stable_argsort(input._data, d, False)
    idx = np.take(idx, [k - 1], axis=d)
    vals = gather_p(input, idx, axis=d)
    if not keepdim:
        shp = tuple(s for i, s in enumerate(input.shape) if i != d)
        vals = reshape_p(vals, shape=shp)
        idx = idx.reshape(shp)
    return _KthValue(vals, T._wrap(idx.astype(np.int64)))


@public(method=True)
def median(input, dim=None, keepdim: bool = False):  # noqa: A002
    """The lower median (PyTorch's definition: no averaging of the two middle values)."""
    if dim is None:
        flat = reshape_p(input, shape=(-1,))
        n = flat.shape[0]
        if n == 0:
            raise RuntimeError("median() input tensor cannot be empty")
        return kthvalue(flat, (n + 1) // 2, 0).values
    d = wrap_dim(dim, input.ndim, "median")
    n = input.shape[d] if input.ndim else 1
    return kthvalue(input, (n + 1) // 2, d, keepdim)


@public(method=True)
def unique(
    input,
    sorted: bool = True,
    return_inverse: bool = False,  # noqa: A002
    return_counts: bool = False,
    dim=None,
):
    """Unique elements (sorted), optionally with the inverse indices and counts. No gradient."""
    T = Tensor
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported")
    vals, inv, counts = np.unique(input._data, return_inverse=True, return_counts=True)
    out = [T._wrap(vals)]
    if return_inverse:
        out.append(T._wrap(inv.reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(T._wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@public(method=True)
def bincount(input, weights=None, minlength: int = 0):  # noqa: A002
    T = Tensor
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    r = np.bincount(a, weights=w, minlength=minlength)
    return T._wrap(r if w is not None else r.astype(np.int64))


__all__ = [
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
    "median",
    "unique",
    "bincount",
]
