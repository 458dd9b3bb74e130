"""Python operators and methods of :class:`Tensor`, made from the public op functions.

Kept apart from ``tensor.py`` so that the Tensor class holds no maths: every method here is a
one-line call into ``autograd.ops``.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import ops as F
from .grad_mode import _state
from .ops import elementwise as E
from .ops import shape as S
from .tensor import Tensor


# -- indexing ----------------------------------------------------------------------------------
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
        if isinstance(k, (list, tuple)):
            k = np.asarray([v._data if isinstance(v, Tensor) else v for v in k])
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
            out.append(slice(*(None if v is None else _int(v) for v in (k.start, k.stop, k.step))))
            dim += 1
            continue
        try:
            i = _int(k)
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


def _int(v):
    import operator

    if isinstance(v, Tensor):
        return v.__index__()
    return operator.index(v)


def _index_fwd(x, idx):
    return x[idx]


# advanced indexing copies: a separate op that is not a view
index_p = F.Op("index", _index_fwd).defvjp(S._getitem_vjp)


def __getitem__(self, key):
    idx, adv = _normalize_index(self, key)
    return (index_p if adv else S.getitem)(self, idx=idx)


def __setitem__(self, key, value):
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
    if not recording:
        self._check_inplace()
        self._data[idx] = v._data if isinstance(v, Tensor) else v
        self._bump()
        return
    self._inplace(lambda src, val: S.index_put_p(src, val, idx=idx), v)


# -- in-place ops --------------------------------------------------------------------------------
def _ufunc_inplace(name, ufunc, fn):
    def method(self, other, *args, **kwargs):
        o = other._data if isinstance(other, Tensor) else other
        recording = _state.grad and (self._rg or (isinstance(other, Tensor) and other._rg))
        if recording or args or kwargs:
            return self._inplace(fn, other, *args, **kwargs)
        self._check_inplace()
        try:
            ufunc(self._data, o, out=self._data, casting="same_kind")
        except np._core._exceptions._UFuncOutputCastingError:
            raise RuntimeError(
                f"result type {np.result_type(self._data, o)} can't be cast to the desired "
                f"output type {self._data.dtype}"
            ) from None
        except ValueError as e:
            raise RuntimeError(
                f"{name}: {e} (self {tuple(self.shape)}, other {np.shape(o)})"
            ) from None
        self._bump()
        return self

    method.__name__ = name
    return method


def _simple_inplace(name, fn):
    def method(self, *args, **kwargs):
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = name
    return method


def _install():
    T = Tensor
    # operators
    T.__add__ = lambda s, o: E.add(s, o)
    T.__radd__ = lambda s, o: E.add(o, s)
    T.__sub__ = lambda s, o: E.sub(s, o)
    T.__rsub__ = lambda s, o: E.sub(o, s)
    T.__mul__ = lambda s, o: E.mul(s, o)
    T.__rmul__ = lambda s, o: E.mul(o, s)
    T.__truediv__ = lambda s, o: E.div(s, o)
    T.__rtruediv__ = lambda s, o: E.div(o, s)
    T.__floordiv__ = lambda s, o: E.floor_divide(s, o)
    T.__rfloordiv__ = lambda s, o: E.floor_divide(o, s)
    T.__mod__ = lambda s, o: E.remainder(s, o)
    T.__rmod__ = lambda s, o: E.remainder(o, s)
    T.__pow__ = lambda s, o: E.pow(s, o)
    T.__rpow__ = lambda s, o: E.pow(o, s)
    T.__matmul__ = lambda s, o: F.matmul(s, o)
    T.__rmatmul__ = lambda s, o: F.matmul(Tensor._wrap(np.asarray(o)), s)
    T.__neg__ = lambda s: E.neg(s)
    T.__pos__ = lambda s: s
    T.__abs__ = lambda s: E.abs(s)
    T.__invert__ = lambda s: E.logical_not(s) if s.dtype == np.bool_ else E.bitwise_not(s)
    T.__and__ = lambda s, o: E.bitwise_and(s, o)
    T.__rand__ = lambda s, o: E.bitwise_and(o, s)
    T.__or__ = lambda s, o: E.bitwise_or(s, o)
    T.__ror__ = lambda s, o: E.bitwise_or(o, s)
    T.__xor__ = lambda s, o: E.bitwise_xor(s, o)
    T.__rxor__ = lambda s, o: E.bitwise_xor(o, s)
    T.__eq__ = lambda s, o: E.eq(s, o)
    T.__ne__ = lambda s, o: E.ne(s, o)
    T.__lt__ = lambda s, o: E.lt(s, o)
    T.__le__ = lambda s, o: E.le(s, o)
    T.__gt__ = lambda s, o: E.gt(s, o)
    T.__ge__ = lambda s, o: E.ge(s, o)
    T.__getitem__ = __getitem__
    T.__setitem__ = __setitem__
    T.__hash__ = object.__hash__

    # in-place
    T.add_ = _ufunc_inplace("add_", np.add, F.add)
    T.sub_ = _ufunc_inplace("sub_", np.subtract, F.sub)
    T.mul_ = _ufunc_inplace("mul_", np.multiply, F.mul)
    T.div_ = _ufunc_inplace("div_", np.true_divide, F.div)
    T.pow_ = _simple_inplace("pow_", F.pow)
    T.__iadd__ = lambda s, o: s.add_(o)
    T.__isub__ = lambda s, o: s.sub_(o)
    T.__imul__ = lambda s, o: s.mul_(o)
    T.__itruediv__ = lambda s, o: s.div_(o)
    T.__ipow__ = lambda s, o: s.pow_(o)
    for name in [
        "neg",
        "abs",
        "exp",
        "log",
        "log1p",
        "expm1",
        "sqrt",
        "rsqrt",
        "sin",
        "cos",
        "tan",
        "tanh",
        "sigmoid",
        "relu",
        "sign",
        "floor",
        "ceil",
        "round",
        "trunc",
        "reciprocal",
        "square",
        "erf",
        "frac",
        "clamp",
        "clip",
        "masked_fill",
        "scatter",
        "scatter_add",
        "lerp",
        "fmod",
        "remainder",
        "maximum",
        "minimum",
        "floor_divide",
        "tril",
        "triu",
        "atan2",
        "log2",
        "log10",
        "exp2",
        "sinh",
        "cosh",
        "asin",
        "acos",
        "atan",
    ]:
        setattr(T, name + "_", _simple_inplace(name + "_", getattr(F, name)))
    T.clamp_min_ = _simple_inplace("clamp_min_", lambda s, v: F.clamp(s, min=v))
    T.clamp_max_ = _simple_inplace("clamp_max_", lambda s, v: F.clamp(s, max=v))
    T.index_fill_ = _simple_inplace(
        "index_fill_", lambda s, d, i, v: F.masked_fill(s, _index_mask(s, d, i), v)
    )

    # methods that are the public function with ``self`` first
    for name in [
        "abs",
        "acos",
        "asin",
        "atan",
        "atan2",
        "cos",
        "cosh",
        "exp",
        "exp2",
        "expm1",
        "erf",
        "floor",
        "ceil",
        "trunc",
        "frac",
        "round",
        "log",
        "log1p",
        "log2",
        "log10",
        "neg",
        "negative",
        "reciprocal",
        "relu",
        "rsqrt",
        "sigmoid",
        "sign",
        "signbit",
        "sin",
        "sinh",
        "sqrt",
        "square",
        "tan",
        "tanh",
        "add",
        "sub",
        "subtract",
        "mul",
        "multiply",
        "div",
        "divide",
        "true_divide",
        "floor_divide",
        "remainder",
        "fmod",
        "pow",
        "float_power",
        "clamp",
        "clip",
        "maximum",
        "minimum",
        "lerp",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "logical_and",
        "logical_or",
        "logical_xor",
        "logical_not",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "bitwise_not",
        "isnan",
        "isinf",
        "isfinite",
        "isclose",
        "allclose",
        "equal",
        "where",
        "nonzero",
        "argwhere",
        "masked_fill",
        "masked_select",
        "sum",
        "nansum",
        "mean",
        "prod",
        "max",
        "min",
        "amax",
        "amin",
        "argmax",
        "argmin",
        "var",
        "std",
        "norm",
        "logsumexp",
        "cumsum",
        "all",
        "any",
        "count_nonzero",
        "softmax",
        "log_softmax",
        "reshape",
        "view",
        "view_as",
        "reshape_as",
        "flatten",
        "unflatten",
        "squeeze",
        "unsqueeze",
        "permute",
        "transpose",
        "swapaxes",
        "swapdims",
        "t",
        "movedim",
        "moveaxis",
        "expand",
        "expand_as",
        "broadcast_to",
        "repeat",
        "tile",
        "flip",
        "fliplr",
        "flipud",
        "roll",
        "narrow",
        "select",
        "split",
        "chunk",
        "tensor_split",
        "unbind",
        "gather",
        "take_along_dim",
        "scatter",
        "scatter_add",
        "index_select",
        "tril",
        "triu",
        "diag",
        "diagonal",
        "diag_embed",
        "sum_to_size",
        "matmul",
        "mm",
        "bmm",
        "mv",
        "dot",
        "inner",
        "outer",
        "ger",
        "addmm",
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
    ]:
        setattr(T, name, getattr(F, name))
    T.greater = F.gt
    T.less = F.lt
    T.greater_equal = F.ge
    T.less_equal = F.le
    T.not_equal = F.ne
    T.absolute = F.abs
    T.arctan2 = F.atan2
    T.clamp_min = lambda s, v: F.clamp(s, min=v)
    T.clamp_max = lambda s, v: F.clamp(s, max=v)
    T.new_tensor = lambda s, data, dtype=None, requires_grad=False: _factories().tensor(
        data, dtype=dtype or s.dtype, requires_grad=requires_grad
    )
    T.new_zeros = lambda s, *size, dtype=None, requires_grad=False: _factories().zeros(
        *size, dtype=dtype or s.dtype, requires_grad=requires_grad
    )
    T.new_ones = lambda s, *size, dtype=None, requires_grad=False: _factories().ones(
        *size, dtype=dtype or s.dtype, requires_grad=requires_grad
    )
    T.new_full = lambda s, size, fill_value, dtype=None, requires_grad=False: _factories().full(
        size, fill_value, dtype=dtype or s.dtype, requires_grad=requires_grad
    )
    T.new_empty = lambda s, *size, dtype=None, requires_grad=False: _factories().empty(
        *size, dtype=dtype or s.dtype, requires_grad=requires_grad
    )


def _factories():
    from . import factories

    return factories


def _index_mask(t, dim, index):
    d = S.wrap_dim(dim, t.ndim, "index_fill_")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    m = np.zeros(t.shape[d], dtype=bool)
    m[idx] = True
    shp = [1] * t.ndim
    shp[d] = t.shape[d]
    return m.reshape(shp)


_install()
