"""Sorting and selection: sort, argsort, msort, topk, kthvalue, median, mode, unique,
unique_consecutive, bincount, bucketize, searchsorted, histc.

Values come out of ``sort``/``topk`` through ``gather`` with the indices, so their gradient is a
scatter to the chosen positions, exactly as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import return_types as _rt
from ..tensor import Tensor
from ._registry import Op, public
from .shape import gather_p, reshape_p, wrap_dim

_Sorted = _rt.sort
_TopK = _rt.topk
_KthValue = _rt.kthvalue


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
    # indices read the values: through ``arrays``, so a compiled replay computes them again
    idx = _arrays()(lambda a: _stable_argsort(a, d, descending).astype(np.int64), input)
    return _Sorted(gather_p(input, idx, axis=d), T._wrap(idx))


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
    idx = _arrays()(
        lambda a: np.take(_stable_argsort(a, d, largest), np.arange(k), axis=d).astype(np.int64),
        input,
    )
    return _TopK(gather_p(input, idx, axis=d), T._wrap(idx))


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
    shp = tuple(s for i, s in enumerate(input.shape) if i != d)

    def indices(a):
        idx = np.take(_stable_argsort(a, d, False), [k - 1], axis=d).astype(np.int64)
        return idx, idx if keepdim else idx.reshape(shp)

    idx, out_idx = _arrays()(indices, input)
    vals = gather_p(input, idx, axis=d)
    if not keepdim:
        vals = reshape_p(vals, shape=shp)
    return _KthValue(vals, T._wrap(out_idx))


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


def _no_derivative(name):
    def vjp(grad, ans, *args, **kwargs):
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")

    vjp.__name__ = vjp.__qualname__ = f"_{name.strip('_')}_vjp"
    return vjp


def _unique_all(a, dim):
    """``np.unique`` as PyTorch's: every NaN its own value; ``dim`` compares whole slices."""
    if dim is None:
        vals, inv, counts = np.unique(
            a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
        )
        return vals, inv.reshape(a.shape), counts
    if a.shape[dim] == 0:
        return a.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64)
    vals, inv, counts = np.unique(
        a, return_inverse=True, return_counts=True, axis=dim, equal_nan=False
    )
    return vals, inv.reshape(-1), counts


def _unique_values(x, dim=None):
    return _unique_all(x, dim)[0]


# The values of unique / unique_consecutive record a node, as in PyTorch, whose backward raises
# (PyTorch's derivatives.yaml marks them not implemented); inverse and counts are integers.
unique_p = Op("_unique2", _unique_values).defvjp(_no_derivative("_unique2"))
unique_dim_p = Op("unique_dim", _unique_values).defvjp(_no_derivative("unique_dim"))


@public(method=True)
def unique(
    input,
    sorted: bool = True,
    return_inverse: bool = False,  # noqa: A002
    return_counts: bool = False,
    dim=None,
):
    """Unique elements (sorted; every NaN counts as distinct), optionally with the inverse
    indices and counts; with ``dim``, unique slices along ``dim`` (sorted lexicographically).

    The values record a node (``Unique2Backward0``, ``UniqueDimBackward0``) when ``input``
    requires grad, and backward through it raises ``NotImplementedError``, as in PyTorch.
    ``sorted=False`` sorts too (as PyTorch's CPU kernel does)."""
    T = Tensor
    d = None if dim is None else wrap_dim(dim, max(input.ndim, 1), "unique")
    vals_inv_counts = _unique_all(input._data, d)
    out = [(unique_p if d is None else unique_dim_p)(input, dim=d)]
    if return_inverse:
        out.append(T._wrap(vals_inv_counts[1].astype(np.int64)))
    if return_counts:
        out.append(T._wrap(vals_inv_counts[2].astype(np.int64)))
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


# ---------------------------------------------------------------------------------------
# mode, unique_consecutive, bucketize, searchsorted, histc

_Mode = _rt.mode


@public(method=True)
def mode(input, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The most frequent value along ``dim`` (the smallest one on ties) and the index of its
    last occurrence, as PyTorch: ``(values, indices)``. The gradient goes to that index."""
    T = Tensor
    if input.ndim == 0:
        return _Mode(input * 1, T._wrap(np.array(0, dtype=np.int64)))
    d = wrap_dim(dim, input.ndim, "mode")
    n = input.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    idx_k, out_idx = _arrays()(lambda a: _mode_indices(a, d, n, keepdim), input)
    vals = gather_p(input, idx_k, axis=d)
    if not keepdim:
        vals = reshape_p(vals, shape=_drop(input.shape, d))
    return _Mode(vals, T._wrap(out_idx))


def _arrays():
    from ..compiler import arrays  # (the compiler imports the ops)

    return arrays


def _mode_indices(a, d, n, keepdim):
    """The index of the last occurrence of the smallest most frequent value along ``d``:
    ``(kept-dim indices for gather, the returned indices)``, int64."""
    shape = a.shape
    a = np.moveaxis(a, d, -1)
    lead = a.shape[:-1]
    rows = a.reshape(-1, n)
    order = np.argsort(rows, axis=-1, kind="stable")
    s = np.take_along_axis(rows, order, -1)
    pos = np.arange(n)
    start = np.ones_like(s, dtype=bool)
    start[:, 1:] = s[:, 1:] != s[:, :-1]
    # length of the run of equal values so far; its first maximum ends the smallest most
    # frequent value's run, whose last element (stable order) is the last occurrence
    run = pos - np.maximum.accumulate(np.where(start, pos, 0), axis=-1) + 1
    best = np.argmax(run, axis=-1)
    idx = order[np.arange(order.shape[0]), best].reshape(lead).astype(np.int64)
    idx_k = np.expand_dims(idx, d)
    return idx_k, idx_k if keepdim else idx.reshape(_drop(shape, d))


def _drop(shape, d):
    return tuple(s for i, s in enumerate(shape) if i != d)


def _unique_consecutive_all(a, dim):
    if dim is None:
        flat = a.reshape(-1)
        n = flat.shape[0]
        start = np.ones(n, dtype=bool)
        start[1:] = flat[1:] != flat[:-1]
        vals = flat[start]
        inv_shape = a.shape
    else:
        m = np.moveaxis(a, dim, 0)
        n = m.shape[0]
        rows = m.reshape(n, -1)
        start = np.ones(n, dtype=bool)
        start[1:] = np.any(rows[1:] != rows[:-1], axis=1)
        vals = np.moveaxis(m[start], 0, dim)
        inv_shape = (n,)
    inv = (np.cumsum(start) - 1).reshape(inv_shape)
    counts = np.diff(np.append(np.flatnonzero(start), n))
    return np.ascontiguousarray(vals), inv, counts


def _unique_consecutive_values(x, dim=None):
    return _unique_consecutive_all(x, dim)[0]


unique_consecutive_p = Op("unique_consecutive", _unique_consecutive_values).defvjp(
    _no_derivative("unique_consecutive")
)


@public(method=True)
def unique_consecutive(
    input,  # noqa: A002
    return_inverse: bool = False,
    return_counts: bool = False,
    dim=None,
):
    """Keep the first of each run of equal consecutive elements (of equal slices along
    ``dim``); optionally the index of each element's run and the run lengths.

    The values record a node (``UniqueConsecutiveBackward0``) when ``input`` requires grad, and
    backward through it raises ``NotImplementedError``, as in PyTorch."""
    T = Tensor
    d = None if dim is None else wrap_dim(dim, input.ndim, "unique_consecutive")
    _, inv, counts = _unique_consecutive_all(input._data, d)
    out = [unique_consecutive_p(input, dim=d)]
    if return_inverse:
        out.append(T._wrap(inv.astype(np.int64)))
    if return_counts:
        out.append(T._wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _values_arg(v):
    return v._data if isinstance(v, Tensor) else np.asarray(v)


@public()
def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):  # noqa: A002
    """The bucket of each value: the index ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``boundaries[i-1] <= x < boundaries[i]`` with ``right=True``).

    Parameters
    ----------
    input : Tensor or number
    boundaries : Tensor
        1-D, increasing.
    """
    b = boundaries._data
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    r = np.searchsorted(b, _values_arg(input), side="right" if right else "left")
    return Tensor._wrap(np.asarray(r, dtype=np.int32 if out_int32 else np.int64))


@public()
def searchsorted(
    sorted_sequence,
    values,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter=None,
):
    """Where ``values`` would be inserted in the innermost dim of ``sorted_sequence`` to keep it
    sorted (``side='left'``: the first such index, ``'right'``: the last).

    Parameters
    ----------
    sorted_sequence : Tensor
        ``(*, n)``; 1-D, or with the same leading dims as ``values``.
    values : Tensor or number
        ``(*, m)``.
    sorter : Tensor, optional
        Indices that sort ``sorted_sequence`` along its last dim.
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if side == "left" and right:
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(values, Tensor)
    v = _values_arg(values)
    if scalar and seq.ndim != 1:
        raise RuntimeError(
            f"torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
            f"dim({v.ndim}) numel({v.size})"
        )
    if seq.ndim != 1 and (seq.ndim != v.ndim or seq.shape[:-1] != v.shape[:-1]):
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            f"dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(v.shape)}"
        )
    srt = None
    if sorter is not None:
        srt = sorter._data if isinstance(sorter, Tensor) else np.asarray(sorter)
        if srt.shape != seq.shape:
            raise RuntimeError(
                f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)} and got sorter tensor {list(srt.shape)}"
            )
    s = "right" if right else "left"
    if seq.ndim == 1:
        r = np.searchsorted(seq, v, side=s, sorter=srt)
    else:  # one search per row of the leading dims
        rows = seq.reshape(-1, seq.shape[-1])
        vr = v.reshape(rows.shape[0], -1)
        sr = None if srt is None else srt.reshape(rows.shape)
        r = np.stack(
            [
                np.searchsorted(rows[i], vr[i], side=s, sorter=None if sr is None else sr[i])
                for i in range(rows.shape[0])
            ]
        ).reshape(v.shape)
    return Tensor._wrap(np.asarray(r, dtype=np.int32 if out_int32 else np.int64))


@public(method=True)
def histc(input, bins: int = 100, min=0, max=0):  # noqa: A002
    """Histogram of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range when
    both are equal); values outside are ignored. Same dtype as ``input``; no gradient.

    Each value goes to bin ``int((x - min) * bins / (max - min))`` (``max`` itself to the last
    bin), computed in ``input``'s dtype, as PyTorch does.
    """
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{a.dtype}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = a.dtype.type(min), a.dtype.type(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and a.size:
        lo, hi = a.min(), a.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    x = a.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]  # NaN fails both
    with np.errstate(over="ignore", invalid="ignore"):
        pos = ((x - lo) * a.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return Tensor._wrap(np.bincount(pos, minlength=bins).astype(a.dtype))
