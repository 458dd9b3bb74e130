"""Sorting and selection (sort, argsort, topk, kthvalue, median, unique) and a few ops common
in training scripts (cumprod, logaddexp, nan_to_num, meshgrid).

Values come out of ``sort``/``topk`` through ``gather`` with the indices, so their gradient is a
scatter to the chosen positions, exactly as in PyTorch.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ._registry import Op
from .elementwise import _logaddexp, div, exp, mul, sub, where
from .shape import flip_p, gather_p, reshape_p, wrap_dim

_Sorted = namedtuple("sort", ["values", "indices"])
_TopK = namedtuple("topk", ["values", "indices"])
_KthValue = namedtuple("kthvalue", ["values", "indices"])


def _Tensor():
    from ..tensor import Tensor

    return Tensor


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


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    """Sort along ``dim``; returns ``(values, indices)``. Ties keep their order (stable)."""
    T = _Tensor()
    if input.ndim == 0:
        return _Sorted(input * 1, T._wrap(np.array(0, dtype=np.int64)))
    d = wrap_dim(dim, input.ndim, "sort")
    idx = _stable_argsort(input._data, d, descending)
    return _Sorted(gather_p(input, idx, axis=d), T._wrap(idx.astype(np.int64)))


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    return sort(input, dim, descending, stable=stable).indices


def msort(input):  # noqa: A002
    return sort(input, 0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``."""
    T = _Tensor()
    d = wrap_dim(dim, input.ndim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, size of dim {d} is {n})")
    if input.ndim == 0:
        return _TopK(input * 1, T._wrap(np.array(0, dtype=np.int64)))
    idx = _stable_argsort(input._data, d, largest)
    idx = np.take(idx, np.arange(k), axis=d)
    return _TopK(gather_p(input, idx, axis=d), T._wrap(idx.astype(np.int64)))


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The ``k``-th smallest element (1-based) along ``dim``: ``(values, indices)``."""
    T = _Tensor()
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


def unique(
    input,
    sorted: bool = True,
    return_inverse: bool = False,  # noqa: A002
    return_counts: bool = False,
    dim=None,
):
    """Unique elements (sorted), optionally with the inverse indices and counts. No gradient."""
    T = _Tensor()
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported")
    vals, inv, counts = np.unique(input._data, return_inverse=True, return_counts=True)
    out = [T._wrap(vals)]
    if return_inverse:
        out.append(T._wrap(inv.reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(T._wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength: int = 0):  # noqa: A002
    T = _Tensor()
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    r = np.bincount(a, weights=w, minlength=minlength)
    return T._wrap(r if w is not None else r.astype(np.int64))


# ---------------------------------------------------------------------------------------
# cumprod, logaddexp, nan_to_num


def _cumprod_fwd(x, axis):
    return np.cumprod(x, axis=axis)


def _cumprod_vjp(grad, ans, x, axis):
    # d out_i / d x_j = out_i / x_j for i >= j: the reversed cumulative sum of grad * out,
    # divided by x. Inputs with zeros are handled by the product-of-others form below.
    if _has_zero(x):
        return cumprod_zero_grad_p(grad, x, axis=axis)
    s = flip_p(_cumsum(flip_p(mul(grad, ans), axis=(axis,)), axis), axis=(axis,))
    return div(s, x)


def _has_zero(x):
    d = x._data if hasattr(x, "_data") else x
    return bool(np.any(d == 0))


def _cumsum(x, axis):
    from .reduction import cumsum_p

    return cumsum_p(x, axis=axis)


cumprod_p = Op("cumprod", _cumprod_fwd, save=(0,), save_out=True).defvjp(_cumprod_vjp)


def _cumprod_zero_grad_fwd(g, x, axis):
    """The cumprod VJP by explicit sums, exact when x has zeros (O(n^2) along ``axis``)."""
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(g, axis, -1)
    n = xm.shape[-1]
    out = np.zeros_like(xm)
    for j in range(n):
        # sum_{i >= j} g_i * prod_{k <= i, k != j} x_k
        before = np.prod(xm[..., :j], axis=-1)
        after = np.cumprod(xm[..., j + 1 :], axis=-1)
        terms = gm[..., j] + np.sum(gm[..., j + 1 :] * after, axis=-1)
        out[..., j] = before * terms
    return np.moveaxis(out, -1, axis)


def _cumprod_zero_grad_vjp_g(grad, ans, g, x, axis):
    raise NotImplementedError(
        "cumprod: double backward through inputs containing zeros is not implemented"
    )


cumprod_zero_grad_p = Op("cumprod_zero_grad", _cumprod_zero_grad_fwd).defvjp(
    _cumprod_zero_grad_vjp_g, _cumprod_zero_grad_vjp_g
)


def cumprod(input, dim: int, *, dtype=None):  # noqa: A002
    if dtype is not None:
        input = input.to(dtype)
    d = wrap_dim(dim, input.ndim, "cumprod")
    if input.ndim == 0:
        return mul(input, 1)
    return cumprod_p(input, axis=d)


def _logaddexp_vjp_x(grad, ans, x, y):
    return mul(grad, exp(sub(x, ans)))


def _logaddexp_vjp_y(grad, ans, x, y):
    return mul(grad, exp(sub(y, ans)))


logaddexp = Op("logaddexp", _logaddexp, save=(0, 1), save_out=True, promote="float").defvjp(
    _logaddexp_vjp_x, _logaddexp_vjp_y
)


def _nan_to_num_fwd(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _nan_to_num_vjp(grad, ans, x, nan=0.0, posinf=None, neginf=None):
    from .elementwise import isfinite

    return where(isfinite(x), grad, 0.0)


nan_to_num_p = Op("nan_to_num", _nan_to_num_fwd, save=(0,)).defvjp(_nan_to_num_vjp)


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None):  # noqa: A002
    """Replace NaN, +inf and -inf by finite numbers (gradient zero at the replaced entries)."""
    return nan_to_num_p(input, nan=nan, posinf=posinf, neginf=neginf)


def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D tensors (``indexing='ij'`` as PyTorch's default, or 'xy')."""
    from .shape import expand

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}"
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"meshgrid expects all tensors to have 0 or 1 dimensions, got {t.ndim}"
            )
    sizes = [builtins.max(t.numel(), 1) if t.ndim else 1 for t in tensors]
    ts = list(tensors)
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        shp = [1] * len(ts)
        shp[i] = sizes[i]
        out.append(expand(reshape_p(t, shape=tuple(shp)), *sizes))
    if indexing == "xy" and len(out) >= 2:
        out = [o.transpose(0, 1) for o in out]
        out[0], out[1] = out[1], out[0]
    return tuple(out)


__all__ = [
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
    "median",
    "unique",
    "bincount",
    "cumprod",
    "logaddexp",
    "nan_to_num",
    "meshgrid",
]
