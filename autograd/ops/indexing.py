"""Indexing: ``x[key]`` and ``x[key] = v``, and the primitives behind them and behind gather-like
layers (max pooling's ``take``/``put``).

Primitives come in pairs that are each other's VJP (getitem/index_grad, take/put), so indexing
is differentiable to any order. ``getitem`` and ``setitem`` are what ``Tensor.__getitem__`` and
``Tensor.__setitem__`` call: they check the key once, naming the bad index, dimension and size.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..grad_mode import _state
from ..tensor import Tensor, operator_index
from ._registry import Op, public

# ---------------------------------------------------------------------------------------
# primitives


def _getitem_fwd(x, idx):
    r = x[idx]
    if not isinstance(r, np.ndarray) and isinstance(r, np.generic):
        # one element: NumPy hands back a copied scalar; PyTorch's select is a 0-d view
        # (``y[0].mul_(2)`` writes into ``y``), as indexing with a trailing Ellipsis gives
        r = x[(*idx, Ellipsis)] if type(idx) is tuple else x[idx, ...]
    return r


def _getitem_vjp(grad, ans, x, idx):
    return index_grad(grad, idx=idx, shape=x.shape)


def _getitem_node_name(node) -> str:
    # PyTorch applies an index left to right; its node is the last step that does something
    for k in reversed(node.kw["idx"]):
        if k is Ellipsis or k == slice(None):
            continue
        if k is None:
            return "UnsqueezeBackward0"
        return "SliceBackward0" if isinstance(k, slice) else "SelectBackward0"
    return "AliasBackward0"


getitem_p = Op("getitem", _getitem_fwd, view=True, node_name=_getitem_node_name).defvjp(
    _getitem_vjp
)


def _is_basic(idx) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (builtins.int, slice)) for i in idx)


def _index_grad_fwd(g, idx, shape):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(idx):
        out[idx] = g
    else:
        np.add.at(out, idx, g)
    return out


def _index_grad_vjp(grad, ans, g, idx, shape):
    return getitem_p(grad, idx=idx)


index_grad = Op("index_grad", _index_grad_fwd).defvjp(_index_grad_vjp)


def _index_put_fwd(x, v, idx, accumulate=False):
    out = x.copy()
    if accumulate:
        np.add.at(out, idx, v)
    else:
        out[idx] = v
    return out


def _index_put_vjp_x(grad, ans, x, v, idx, accumulate=False):
    return grad if accumulate else index_put_p(grad, 0.0, idx=idx)


def _index_put_vjp_v(grad, ans, x, v, idx, accumulate=False):
    g = getitem_p(grad, idx=idx)
    # v was broadcast to the indexed shape; the engine sums it back to v's shape
    return g


index_put_p = Op("index_put", _index_put_fwd, promote=None).defvjp(
    _index_put_vjp_x, _index_put_vjp_v
)


def _take_fwd(x, idx, unique):
    return np.take(x.reshape(-1), idx)


def _take_vjp(grad, ans, x, idx, unique):
    return put_p(grad, idx=idx, shape=tuple(x.shape), unique=unique)


take_p = Op("take", _take_fwd).defvjp(_take_vjp)


def _put_fwd(g, idx, shape, unique):
    """Scatter-add ``g`` to the flat indices ``idx`` of a zero array of ``shape`` (a plain
    assignment when no index repeats, e.g. pooling windows that do not overlap)."""
    size = int(np.prod(shape))
    if unique:
        out = np.zeros(size, dtype=g.dtype)
        out[idx.reshape(-1)] = g.reshape(-1)
    else:
        out = np.bincount(idx.reshape(-1), weights=g.reshape(-1), minlength=size)
        out = out.astype(g.dtype, copy=False)
    return out.reshape(shape)


def _put_vjp(grad, ans, g, idx, shape, unique):
    return take_p(grad, idx=idx, unique=unique)


put_p = Op("put", _put_fwd).defvjp(_put_vjp)


# In-place ops on views (NOTE [ In-place on views ] in tensor.py): a view described by its
# elements' flat positions in its root (``geom``, a ``tensor._Geometry``), read out of the root
# (PyTorch's AsStridedBackward0) and written back into it (PyTorch's CopySlices).


def _view_from_base_fwd(x, geom):
    return np.take(x.reshape(-1), geom.idx)


def _view_from_base_vjp(grad, ans, x, geom):
    return put_p(grad, idx=geom.idx, shape=tuple(x.shape), unique=geom.unique)


view_from_base = Op("view_from_base", _view_from_base_fwd, node_name="AsStridedBackward0").defvjp(
    _view_from_base_vjp
)


def _copy_slices_fwd(base, r, geom):
    """``base`` with the view's elements replaced by ``r`` (broadcast to the view's shape)."""
    out = np.array(base, order="C")
    out.reshape(-1)[geom.idx] = r
    return out


def _copy_slices_vjp_base(grad, ans, base, r, geom):
    return copy_slices(grad, 0.0, geom=geom)


def _copy_slices_vjp_r(grad, ans, base, r, geom):
    return view_from_base(grad, geom=geom)


copy_slices = Op("copy_slices", _copy_slices_fwd, node_name="torch::autograd::CopySlices").defvjp(
    _copy_slices_vjp_base, _copy_slices_vjp_r
)


# ---------------------------------------------------------------------------------------
# x[key] and x[key] = v


def _normalize_index(t, key):
    """Turn a user index into a tuple NumPy understands, checking bounds so that a bad index
    gets an error naming the index, the dimension and its size."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    advanced = False
    shape = t._data.shape
    # which dim does each entry address?
    n_consumed = builtins.sum(
        1 if not (k is None or k is Ellipsis) else 0
        for k in key
        if not (isinstance(k, (Tensor, np.ndarray)) and _is_bool(k))
    ) + builtins.sum(_ndim(k) for k in key if isinstance(k, (Tensor, np.ndarray)) and _is_bool(k))
    if n_consumed > len(shape):
        raise IndexError(
            f"too many indices for tensor of dimension {len(shape)} (got {n_consumed} indices)"
        )
    dim = 0
    for k in key:
        if k is Ellipsis:
            out.append(k)
            dim = len(shape) - (n_consumed - dim)
            continue
        if k is None:
            out.append(None)
            continue
        if isinstance(k, Tensor):
            k = k._data
        if isinstance(k, range):  # logits[range(n), target]
            k = np.arange(k.start, k.stop, k.step)
        elif isinstance(k, (list, tuple)):
            k = np.asarray([v._data if isinstance(v, Tensor) else v for v in k])
            if k.size == 0:
                k = k.astype(np.int64)
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if isinstance(k, np.ndarray):
            if k.dtype == np.bool_:
                if k.shape != shape[dim : dim + k.ndim]:
                    raise IndexError(
                        f"The shape of the mask {tuple(k.shape)} at index {dim} does not match "
                        f"the shape of the indexed tensor {tuple(shape[dim : dim + k.ndim])}"
                    )
                advanced = True
                out.append(k)
                dim += k.ndim
                continue
            if k.dtype.kind not in "iu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if k.ndim == 0:  # a 0-d integer index is an integer (a view), as in PyTorch
                k = int(k)
                n = shape[dim]
                if not -n <= k < n:
                    raise IndexError(
                        f"index {k} is out of bounds for dimension {dim} with size {n}"
                    )
                out.append(k)
                dim += 1
                continue
            n = shape[dim]
            if k.size and (k.max() >= n or k.min() < -n):
                bad = k.max() if k.max() >= n else k.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
            advanced = True
            out.append(k)
            dim += 1
            continue
        if isinstance(k, slice):
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(
                slice(
                    *(None if v is None else operator_index(v) for v in (k.start, k.stop, k.step))
                )
            )
            dim += 1
            continue
        try:
            i = operator_index(k)
        except TypeError:
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                f"byte Variables are valid indices (got {type(k).__name__})"
            ) from None
        n = shape[dim]
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
        out.append(i)
        dim += 1
    return tuple(out), advanced


def _is_bool(k):
    return (k._data if isinstance(k, Tensor) else k).dtype == np.bool_


def _ndim(k):
    return (k._data if isinstance(k, Tensor) else k).ndim


def _index_fwd(x, idx):
    return x[idx]


# advanced indexing copies: a separate op that is not a view
index_p = Op("index", _index_fwd).defvjp(_getitem_vjp)


def getitem(self: Tensor, key) -> Tensor:
    """``self[key]``: basic indexing gives a view (``getitem_p``), advanced indexing a copy
    (``index_p``)."""
    idx, adv = _normalize_index(self, key)
    return (index_p if adv else getitem_p)(self, idx=idx)


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value``, in place; recorded as ``index_put`` when a gradient flows."""
    idx, _ = _normalize_index(self, key)
    v = value
    if isinstance(value, Tensor):
        try:
            np.broadcast_shapes(self._data[idx].shape, value._data.shape)
        except ValueError:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {tuple(value.shape)} cannot be broadcast "
                f"to indexing result of shape {self._data[idx].shape}"
            ) from None
    recording = _state.grad and (self._rg or (isinstance(v, Tensor) and v._rg))
    if not recording and not self._check_inplace():
        self._data[idx] = v._data if isinstance(v, Tensor) else v
        self._bump()
        return
    self._inplace(lambda src, val: index_put_p(src, val, idx=idx), v)


# ---------------------------------------------------------------------------------------
# take


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """The elements of ``input`` read as a flat array at ``index`` (negative indices count
    from the end); the result has ``index``'s shape.

    Its gradient adds back into the flat positions (repeated indices accumulate).
    """
    if not isinstance(index, Tensor):
        raise TypeError(
            f"take(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}"
        )
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {idx.dtype}")
    n = input.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    idx = np.where(idx < 0, idx + n, idx).astype(np.int64, copy=False)
    return take_p(input, idx=idx, unique=False)


public(take, method=True)
