"""Reductions with ``dim`` (int or tuple) and ``keepdim``, plus softmax and log-softmax.

``logsumexp``, ``softmax`` and ``log_softmax`` are fused primitives: composing them from exp,
sum and log would overflow for large inputs and cost extra passes over memory.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from ..graph import named
from ..tensor import Tensor
from ._registry import Op, public
from .elementwise import _exp, div_p, eq, exp, mul, sqrt, sub_p, where_p
from .shape import (
    _unreduce,
    flip_p,
    gather_p,
    reshape_p,
    sum_p,
    wrap_dim,
    wrap_dims,
)

# ---------------------------------------------------------------------------------------
# primitives


def _mean_fwd(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _count(shape, axis):
    n = 1
    for i in range(len(shape)) if axis is None else axis:
        n *= shape[i]
    return n


def _mean_vjp(grad, ans, x, axis=None, keepdims=False):
    return div_p(_unreduce(grad, x.shape, axis, keepdims), _count(x.shape, axis))


mean_p = Op(
    "mean",
    _mean_fwd,
    node_name=lambda n: "MeanBackward0" if n.kw.get("axis") is None else "MeanBackward1",
).defvjp(_mean_vjp)


def _prod_fwd(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(grad, ans, x, axis=None, keepdims=False):
    # d prod / d x_i = product of the others: computed by a primitive that handles zeros
    return mul(_unreduce(grad, x.shape, axis, keepdims), prod_others_p(x, axis=axis))


prod_p = Op("prod", _prod_fwd, save=(0,)).defvjp(_prod_vjp)


def _prod_others_fwd(x, axis):
    """For each element, the product of the other elements of its reduction group."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
    lead = moved.shape[: moved.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(
        np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], axis=-1), -1), axis=-1), -1
    )
    out = (left * right).reshape(moved.shape)
    return np.moveaxis(out, tuple(range(-len(axes), 0)), axes)


def _prod_others_vjp(grad, ans, x, axis):
    # d/dx_j sum_i g_i prod_{k != i} x_k = sum_{i != j} g_i prod_{k != i, j} x_k
    return prod_others_grad_p(grad, x, axis=axis)


prod_others_p = Op("prod_others", _prod_others_fwd, save=(0,)).defvjp(_prod_others_vjp)


def _prod_others_grad_fwd(g, x, axis):
    axes = tuple(range(x.ndim)) if axis is None else axis
    moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
    gm = np.moveaxis(np.broadcast_to(g, x.shape), axes, tuple(range(-len(axes), 0)))
    lead = moved.shape[: moved.ndim - len(axes)]
    xf = moved.reshape(lead + (-1,))
    gf = gm.reshape(lead + (-1,))
    n = xf.shape[-1]
    out = np.zeros_like(xf)
    if n <= 1:  # prod_others is the constant 1: its derivative is 0
        return np.zeros(x.shape, dtype=x.dtype)
    for j in range(n):  # O(n^2) but only reached by double backward of prod
        others = np.delete(xf, j, axis=-1)
        gothers = np.delete(gf, j, axis=-1)
        out[..., j] = np.sum(gothers * _prod_others_fwd(others, (others.ndim - 1,)), axis=-1)
    return np.moveaxis(out.reshape(moved.shape), tuple(range(-len(axes), 0)), axes)


def _third_order_vjp(*args, **kwargs):
    raise NotImplementedError("prod: derivatives of order 3 and above are not implemented")


prod_others_grad_p = Op("prod_others_grad", _prod_others_grad_fwd).defvjp(
    _third_order_vjp, _third_order_vjp
)


def _amax_fwd(x, axis=None, keepdims=False):
    return np.amax(x, axis=axis, keepdims=keepdims)


def _amin_fwd(x, axis=None, keepdims=False):
    return np.amin(x, axis=axis, keepdims=keepdims)


def _amax_vjp(grad, ans, x, axis=None, keepdims=False):
    # ties share the gradient evenly, as in PyTorch's amax/amin and full max/min
    a = _unreduce(ans, x.shape, axis, keepdims)
    mask = eq(x, a)
    count = sum_p(mask, axis=axis, keepdims=True)
    return div_p(mul(_unreduce(grad, x.shape, axis, keepdims), mask), count)


amax_p = Op("amax", _amax_fwd, save=(0,), save_out=True).defvjp(_amax_vjp)
amin_p = Op("amin", _amin_fwd, save=(0,), save_out=True).defvjp(_amax_vjp)


def _norm2_fwd(x, axis=None, keepdims=False):
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _norm2_vjp(grad, ans, x, axis=None, keepdims=False):
    # x / ||x||, taken as 0 where the norm is 0 (PyTorch's subgradient)
    n = _unreduce(ans, x.shape, axis, keepdims)
    safe = where_p(eq(n, 0), 1.0, n)
    return mul(_unreduce(grad, x.shape, axis, keepdims), where_p(eq(n, 0), 0.0, div_p(x, safe)))


norm2_p = Op(
    "norm2", _norm2_fwd, save=(0,), save_out=True, node_name="LinalgVectorNormBackward0"
).defvjp(_norm2_vjp)


def _logsumexp_fwd(x, axis, keepdims=False):
    m = np.amax(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(_exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _logsumexp_vjp(grad, ans, x, axis, keepdims=False):
    a = _unreduce(ans, x.shape, axis, keepdims)
    return mul(_unreduce(grad, x.shape, axis, keepdims), exp(sub_p(x, a)))


logsumexp_p = Op("logsumexp", _logsumexp_fwd, save=(0,), save_out=True).defvjp(_logsumexp_vjp)


def _softmax_fwd(x, axis):
    e = _exp(x - np.amax(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _softmax_vjp(grad, ans, x, axis):
    # ans * (grad - sum(grad * ans))
    s = sum_p(mul(grad, ans), axis=(axis,), keepdims=True)
    return mul(ans, sub_p(grad, s))


softmax_p = Op("softmax", _softmax_fwd, save_out=True).defvjp(_softmax_vjp)


def _log_softmax_fwd(x, axis):
    m = np.amax(x, axis=axis, keepdims=True)
    sh = x - m
    return sh - np.log(np.sum(_exp(sh), axis=axis, keepdims=True))


def _log_softmax_vjp(grad, ans, x, axis):
    # grad - softmax * sum(grad)
    s = sum_p(grad, axis=(axis,), keepdims=True)
    return sub_p(grad, mul(exp(ans), s))


log_softmax_p = Op("log_softmax", _log_softmax_fwd, save_out=True).defvjp(_log_softmax_vjp)


def _cumsum_fwd(x, axis, dtype=None):
    return np.cumsum(x, axis=axis, dtype=dtype)


def _cumsum_vjp(grad, ans, x, axis, dtype=None):
    from .shape import flip_p

    return flip_p(cumsum_p(flip_p(grad, axis=(axis,)), axis=axis), axis=(axis,))


cumsum_p = Op("cumsum", _cumsum_fwd).defvjp(_cumsum_vjp)


def _nograd(name, fn):
    return Op(name, fn, differentiable=False).defvjp(None)


argmax_p = _nograd(
    "argmax", lambda x, axis=None, keepdims=False: np.argmax(x, axis=axis, keepdims=keepdims)
)
argmin_p = _nograd(
    "argmin", lambda x, axis=None, keepdims=False: np.argmin(x, axis=axis, keepdims=keepdims)
)
all_p = _nograd("all", lambda x, axis=None, keepdims=False: np.all(x, axis=axis, keepdims=keepdims))
any_p = _nograd("any", lambda x, axis=None, keepdims=False: np.any(x, axis=axis, keepdims=keepdims))
count_nonzero_p = _nograd("count_nonzero", lambda x, axis=None: np.count_nonzero(x, axis=axis))

# ---------------------------------------------------------------------------------------
# public functions


def _sum_dtype(input, dtype):
    if dtype is not None:
        return _dt.to_dtype(dtype)
    if input.dtype.kind in "biu":
        return _dt.int64
    return None


@public(method=True)
def sum(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A001,A002
    """Sum over ``dim`` (all dims when None); integer and bool inputs sum to int64."""
    axes = wrap_dims(dim, input.ndim, "sum")
    if axes == ():
        axes = None if dim is None or dim == () else axes
    return sum_p(input, axis=axes, keepdims=keepdim, dtype=_sum_dtype(input, dtype))


@public(method=True)
def nansum(input, dim=None, keepdim: bool = False):  # noqa: A002
    return sum(where_p(input.isnan(), 0.0, input), dim, keepdim)


@public(method=True)
def mean(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype}"
        )
    return mean_p(input, axis=wrap_dims(dim, input.ndim, "mean"), keepdims=keepdim)


@public(method=True)
def prod(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        return prod_p(input, axis=None, keepdims=False)
    return prod_p(input, axis=wrap_dims(dim, input.ndim, "prod"), keepdims=keepdim)


@public(method=True)
def amax(input, dim=(), keepdim: bool = False):  # noqa: A002
    axes = None if dim in ((), None) else wrap_dims(dim, input.ndim, "amax")
    _check_nonempty(input, axes, "amax")
    return amax_p(input, axis=axes, keepdims=keepdim)


@public(method=True)
def amin(input, dim=(), keepdim: bool = False):  # noqa: A002
    axes = None if dim in ((), None) else wrap_dims(dim, input.ndim, "amin")
    _check_nonempty(input, axes, "amin")
    return amin_p(input, axis=axes, keepdims=keepdim)


def _check_nonempty(input, axes, name):
    shp = tuple(input.shape)
    if input.numel() == 0 and (axes is None or any(shp[a] == 0 for a in axes)):
        raise IndexError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == "
            f"0. Specify the reduction dim with the 'dim' argument."
        )


def _max_min(input, dim, keepdim, other, name, red, arg):  # noqa: A002
    T = Tensor
    if other is not None or isinstance(dim, T):
        from .elementwise import maximum, minimum

        other = dim if other is None else other
        return (maximum if name == "max" else minimum)(input, other)
    if dim is None:
        _check_nonempty(input, None, name)
        return named(red(input, axis=None, keepdims=False), f"{name.capitalize()}Backward1")
    d = wrap_dim(dim, input.ndim, name)
    _check_nonempty(input, (d,) if input.ndim else None, name)
    if input.ndim == 0:
        return getattr(_rt, name)(input * 1, T._wrap(np.array(0, dtype=np.int64)))
    # indices read the values: computed through ``arrays`` so a compiled replay recomputes them
    shp = tuple(s for i, s in enumerate(input.shape) if i != d)

    def indices(a):
        idx = arg(a, axis=d, keepdims=True).astype(np.int64)
        return idx, idx if keepdim else idx.reshape(shp)

    idx, out_idx = _arrays()(indices, input)
    vals = gather_p(input, idx, axis=d)
    if not keepdim:
        vals = reshape_p(vals, shape=shp)
    vals = named(vals, f"{name.capitalize()}Backward0")
    return getattr(_rt, name)(vals, T._wrap(out_idx))


@public(method=True)
def max(input, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001,A002
    """``max(x)``: the largest value; ``max(x, dim)``: ``(values, indices)``; ``max(x, y)``:
    elementwise maximum."""
    return _max_min(input, dim, keepdim, other, "max", amax_p, _nanargmax)


@public(method=True)
def min(input, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001,A002
    return _max_min(input, dim, keepdim, other, "min", amin_p, _nanargmin)


def _nanargmax(a, axis, keepdims):
    # NaN propagates as the maximum, as in PyTorch
    nan = np.isnan(a) if a.dtype.kind == "f" else None
    if nan is not None and nan.any():
        return np.argmax(nan, axis=axis, keepdims=keepdims)
    return np.argmax(a, axis=axis, keepdims=keepdims)


def _nanargmin(a, axis, keepdims):
    nan = np.isnan(a) if a.dtype.kind == "f" else None
    if nan is not None and nan.any():
        return np.argmax(nan, axis=axis, keepdims=keepdims)
    return np.argmin(a, axis=axis, keepdims=keepdims)


@public(method=True)
def argmax(input, dim=None, keepdim: bool = False):  # noqa: A002
    if dim is None:
        _check_nonempty(input, None, "argmax")
    return _arg_index(input, dim, keepdim, "argmax", _nanargmax)


@public(method=True)
def argmin(input, dim=None, keepdim: bool = False):  # noqa: A002
    if dim is None:
        _check_nonempty(input, None, "argmin")
    return _arg_index(input, dim, keepdim, "argmin", _nanargmin)


def _arrays():
    from ..compiler import arrays  # (the compiler imports the ops)

    return arrays


def _arg_index(input, dim, keepdim, name, arg):  # noqa: A002
    """``argmax``/``argmin``: computed through ``arrays``, so that an ``autograd.compile``
    replay computes the indices again from the current values."""
    T = Tensor
    if dim is None:
        shape = (1,) * input.ndim if keepdim else ()
        return T._wrap(
            _arrays()(
                lambda a: np.asarray(arg(a.reshape(-1), 0, False), np.int64).reshape(shape), input
            )
        )
    d = wrap_dim(dim, input.ndim, name)
    if input.ndim == 0:
        return T._wrap(np.array(0, dtype=np.int64))
    return T._wrap(_arrays()(lambda a: np.asarray(arg(a, d, keepdim), dtype=np.int64), input))


def _correction(correction, unbiased, name):
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{name}: cannot pass both correction and unbiased")
    if correction is None:
        return 1 if unbiased is None or unbiased else 0
    return correction


def _var(input, dim, unbiased, keepdim, correction, name):  # noqa: A002
    if isinstance(dim, builtins.bool):  # var(x, False): the old positional ``unbiased``
        unbiased, dim = dim, None
    c = _correction(correction, unbiased, name)
    axes = wrap_dims(dim, input.ndim, name)
    n = _count(tuple(input.shape), axes)
    mu = mean_p(input, axis=axes, keepdims=True)
    d = sub_p(input, mu)
    ss = sum_p(mul(d, d), axis=axes, keepdims=keepdim)
    dof = builtins.max(n - c, 0)
    if dof > 0:
        return div_p(ss, dof)
    # No degrees of freedom left: NaN (inf for a positive sum of squares), with PyTorch's
    # warning; the division by zero is the intended result, not an error to raise.
    warnings.warn(
        f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
        "reduction factor (input numel divided by output numel).",
        UserWarning,
        stacklevel=3,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return div_p(ss, dof)


@public(method=True)
def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):  # noqa: A002
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default, as in PyTorch).

    When ``correction`` is not less than the number of elements reduced (one element with the
    default correction), the result is NaN (inf where the elements differ) and a
    ``UserWarning`` about the degrees of freedom is issued, as in PyTorch.
    """
    return named(_var(input, dim, unbiased, keepdim, correction, "var"), "VarBackward0")


@public(method=True)
def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):  # noqa: A002
    """Standard deviation over ``dim``: the square root of :func:`var` (same arguments and the
    same warning when no degrees of freedom are left)."""
    return named(sqrt(_var(input, dim, unbiased, keepdim, correction, "std")), "StdBackward0")


@public()
def var_mean(
    input,
    dim=None,
    unbiased=None,
    keepdim: bool = False,
    *,  # noqa: A002
    correction=None,
):
    v = _var(input, dim, unbiased, keepdim, correction, "var_mean")
    return v, mean(input, dim, keepdim)


@public()
def std_mean(
    input,
    dim=None,
    unbiased=None,
    keepdim: bool = False,
    *,  # noqa: A002
    correction=None,
):
    s = sqrt(_var(input, dim, unbiased, keepdim, correction, "std_mean"))
    return s, mean(input, dim, keepdim)


@public(method=True)
def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):  # noqa: A002
    """Vector p-norm over ``dim`` (all elements when None); 'fro' is the 2-norm."""
    from .elementwise import abs as _abs
    from .elementwise import pow as _pow

    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {input.dtype}")
    axes = wrap_dims(dim, input.ndim, "norm")
    if p in ("fro", 2, 2.0, None):
        return norm2_p(input, axis=axes, keepdims=keepdim)
    if p == 1:
        return sum_p(_abs(input), axis=axes, keepdims=keepdim)
    if p in (float("inf"), "inf"):
        return amax_p(_abs(input), axis=axes, keepdims=keepdim)
    if p in (float("-inf"), "-inf"):
        return amin_p(_abs(input), axis=axes, keepdims=keepdim)
    if p == 0:
        from .elementwise import ne

        return sum_p(ne(input, 0), axis=axes, keepdims=keepdim).to(input.dtype)
    if isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported norm type {p!r}")
    return _pow(sum_p(_pow(_abs(input), p), axis=axes, keepdims=keepdim), 1.0 / p)


@public(method=True)
def logsumexp(input, dim, keepdim: bool = False):  # noqa: A002
    axes = wrap_dims(dim, input.ndim, "logsumexp")
    if input.dtype.kind != "f":
        input = input.to(_dt.get_default_dtype())
    return logsumexp_p(input, axis=axes, keepdims=keepdim)


def _softmax_dim(input, dim, name):
    if dim is None:
        # PyTorch's legacy implicit choice
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return wrap_dim(dim, input.ndim, name)


@public(method=True)
def softmax(input, dim=None, dtype=None):  # noqa: A002
    """``exp(x) / sum(exp(x))`` along ``dim``, computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"softmax not implemented for '{input.dtype}'")
    d = _softmax_dim(input, dim, "softmax")
    return softmax_p(input, axis=d if input.ndim else None)


@public(method=True)
def log_softmax(input, dim=None, dtype=None):  # noqa: A002
    """``x - logsumexp(x)`` along ``dim``, computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"log_softmax not implemented for '{input.dtype}'")
    d = _softmax_dim(input, dim, "log_softmax")
    return log_softmax_p(input, axis=d if input.ndim else None)


@public(method=True)
def cumsum(input, dim: int, *, dtype=None):  # noqa: A002
    d = wrap_dim(dim, input.ndim, "cumsum")
    if input.ndim == 0:
        return mul(input, 1)
    return cumsum_p(input, axis=d, dtype=_sum_dtype(input, dtype))


@public(method=True)
def all(input, dim=None, keepdim: bool = False):  # noqa: A001,A002
    return all_p(input, axis=wrap_dims(dim, input.ndim, "all"), keepdims=keepdim)


@public(method=True)
def any(input, dim=None, keepdim: bool = False):  # noqa: A001,A002
    return any_p(input, axis=wrap_dims(dim, input.ndim, "any"), keepdims=keepdim)


@public(method=True)
def count_nonzero(input, dim=None):  # noqa: A002
    r = count_nonzero_p(input, axis=wrap_dims(dim, input.ndim, "count_nonzero"))
    return r.to(_dt.int64)


# ---------------------------------------------------------------------------------------
# cumprod


def _cumprod_fwd(x, axis):
    return np.cumprod(x, axis=axis)


def _cumprod_vjp(grad, ans, x, axis):
    # d out_i / d x_j = out_i / x_j for i >= j: the reversed cumulative sum of grad * out,
    # divided by x. Inputs with zeros are handled by the product-of-others form below.
    if _has_zero(x):
        return cumprod_zero_grad_p(grad, x, axis=axis)
    s = flip_p(cumsum_p(flip_p(mul(grad, ans), axis=(axis,)), axis=axis), axis=(axis,))
    return div_p(s, x)


def _has_zero(x):
    d = x._data if hasattr(x, "_data") else x
    return bool(np.any(d == 0))


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


@public(method=True)
def cumprod(input, dim: int, *, dtype=None):  # noqa: A002
    if dtype is not None:
        input = input.to(dtype)
    d = wrap_dim(dim, input.ndim, "cumprod")
    if input.ndim == 0:
        return mul(input, 1)
    return cumprod_p(input, axis=d)


# ---------------------------------------------------------------------------------------
# nanmean


@public(method=True)
def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """The mean over ``dim`` of the entries that are not NaN (NaN where all of them are).

    The gradient is ``1 / count`` at the counted entries and 0 at the NaNs.
    """
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype}"
        )
    if dtype is not None:
        input = input.to(dtype)
    from .elementwise import isnan

    nan = isnan(input)._data
    axes = wrap_dims(dim, input.ndim, "nanmean")
    if axes == ():
        axes = None if dim is None or dim == () else axes
    total = sum_p(where_p(nan, 0.0, input), axis=axes, keepdims=keepdim)
    count = np.sum(~nan, axis=axes, keepdims=keepdim)
    with np.errstate(invalid="ignore", divide="ignore"):
        return div_p(total, count.astype(input.dtype))


# ---------------------------------------------------------------------------------------
# logcumsumexp


def _logcumsumexp_fwd(x, axis):
    # ``logaddexp`` accumulated: every partial result is formed stably, with no common shift
    return np.logaddexp.accumulate(x, axis=axis)


def _reverse_logcumsumexp(x, axis):
    return flip_p(logcumsumexp_p(flip_p(x, axis=(axis,)), axis=axis), axis=(axis,))


def _logcumsumexp_vjp(grad, ans, x, axis):
    """PyTorch's ``logcumsumexp_backward``: ``grad_x[i] = sum_{j >= i} grad[j] exp(x[i] - ans[j])``
    summed in log space, the positive and negative parts of ``grad`` apart; absent terms take
    the dtype's lowest finite value (not -inf), so no ``-inf - -inf`` appears."""
    from .elementwise import abs, gt, log, lt, sub_p

    dt = grad.dtype if not isinstance(grad, Tensor) else grad._data.dtype
    lowest = np.finfo(dt).min
    log_abs = log(abs(grad))
    pos = where_p(gt(grad, 0), log_abs, lowest)
    neg = where_p(lt(grad, 0), log_abs, lowest)
    from .elementwise import add_p

    out_pos = exp(add_p(_reverse_logcumsumexp(sub_p(pos, ans), axis), x))
    out_neg = exp(add_p(_reverse_logcumsumexp(sub_p(neg, ans), axis), x))
    return sub_p(out_pos, out_neg)


logcumsumexp_p = Op("logcumsumexp", _logcumsumexp_fwd, save=(0,), save_out=True).defvjp(
    _logcumsumexp_vjp
)


@public(method=True)
def logcumsumexp(input, dim: int):  # noqa: A002
    """``log(cumsum(exp(input), dim))``, computed without overflow or underflow.

    Shapes: output has ``input``'s shape. Floating inputs only (PyTorch refuses integer ones).
    """
    if input.dtype.kind != "f":
        from ._registry import _torch_dtype_name

        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_torch_dtype_name(input.dtype)}'"
        )
    d = wrap_dim(dim, input.ndim, "logcumsumexp")
    if input.ndim == 0:
        return mul(input, 1)
    return logcumsumexp_p(input, axis=d)
