"""Every op of ndgrad, as public functions; ``_install`` makes the Tensor methods from them."""

from __future__ import annotations

from . import elementwise, linalg, nn, nn_conv, reduction, shape, sorting
from ._registry import REGISTRY, Op
from .elementwise import (
    abs,
    acos,
    asin,
    atan,
    atan2,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    cast,
    ceil,
    clone,
    copy_from,
    cos,
    cosh,
    digamma,
    eq,
    erf,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    fmod,
    frac,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lgamma,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    ne,
    neg,
    polygamma,
    reciprocal,
    relu,
    remainder,
    round,
    rsqrt,
    sigmoid,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)
from .elementwise import add as _add
from .elementwise import clamp as _clamp
from .elementwise import div as _div
from .elementwise import mul as _mul
from .elementwise import pow as _pow
from .elementwise import sub as _sub
from .elementwise import where as _where
from .linalg import (
    bmm,
    dot,
    einsum,
    ger,
    inner,
    matmul,
    mm,
    mv,
    outer,
    tensordot,
    vdot,
)
from .reduction import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    nansum,
    norm,
    prod,
    softmax,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from .shape import (
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    diag,
    diag_embed,
    diagonal,
    expand,
    expand_as,
    flatten,
    flip,
    fliplr,
    flipud,
    gather,
    hstack,
    index_select,
    masked_fill,
    masked_select,
    movedim,
    narrow,
    permute,
    repeat,
    reshape,
    reshape_as,
    roll,
    scatter,
    scatter_add,
    select,
    split,
    squeeze,
    stack,
    sum_to_size,
    swapaxes,
    swapdims,
    t,
    take_along_dim,
    tensor_split,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    view,
    view_as,
    vstack,
)
from .sorting import (
    argsort,
    bincount,
    cumprod,
    kthvalue,
    logaddexp,
    median,
    meshgrid,
    msort,
    nan_to_num,
    sort,
    topk,
    unique,
)

moveaxis = movedim
negative = neg
absolute = abs
arctan2 = atan2


def add(input, other, *, alpha=1):  # noqa: A002
    """``input + alpha * other``, with broadcasting."""
    if alpha != 1:
        other = _mul(other, alpha)
    return _add(input, other)


def sub(input, other, *, alpha=1):  # noqa: A002
    """``input - alpha * other``, with broadcasting."""
    if alpha != 1:
        other = _mul(other, alpha)
    return _sub(input, other)


subtract = sub


def mul(input, other):  # noqa: A002
    return _mul(input, other)


multiply = mul


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """True division; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient."""
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        q = _div(input, other)
        return (
            trunc(q).to(_result_dtype_like(input, other))
            if q.dtype.kind == "f" and _int_inputs(input, other)
            else trunc(q)
        )
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
        f"found '{rounding_mode}'"
    )


def _int_inputs(a, b):
    from ..tensor import Tensor

    kinds = [
        x.dtype.kind if isinstance(x, Tensor) else ("i" if isinstance(x, int) else "f")
        for x in (a, b)
    ]
    return all(k in "iub" for k in kinds)


def _result_dtype_like(a, b):
    from .. import dtypes as _dt
    from ..tensor import Tensor

    return _dt.result_type([x._data if isinstance(x, Tensor) else x for x in (a, b)])


divide = true_divide = div


def pow(input, exponent):  # noqa: A001,A002
    """``input ** exponent`` (either may be a tensor or a number)."""
    return _pow(input, exponent)


float_power = pow


def clamp(input, min=None, max=None):  # noqa: A001,A002,F811
    """Limit values to ``[min, max]``; ``min``/``max`` may be numbers or tensors."""
    from ..tensor import Tensor

    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return _clamp(input, min=min, max=max)


clip = clamp


def where(condition, input=None, other=None):  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (either may be a number)."""
    from ..tensor import Tensor

    if input is None and other is None:
        c = condition._data if isinstance(condition, Tensor) else condition
        import numpy as _np

        return tuple(Tensor._wrap(i.astype(_np.int64)) for i in _np.nonzero(c))
    cond = condition._data if isinstance(condition, Tensor) else condition
    import numpy as _np

    cond = _np.asarray(cond)
    if cond.dtype != _np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {cond.dtype}"
        )
    return _where(condition, input, other)


def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    import numpy as _np

    from ..tensor import Tensor

    idx = _np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(_np.int64)) for i in idx)
    return Tensor._wrap(
        _np.stack(idx, axis=-1).astype(_np.int64) if idx else _np.zeros((0, 0), _np.int64)
    )


def argwhere(input):  # noqa: A002
    return nonzero(input)


def equal(input, other) -> bool:  # noqa: A002
    """True if both tensors have the same shape and elements."""
    return tuple(input.shape) == tuple(other.shape) and bool((input._data == other._data).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    import numpy as _np

    from ..tensor import Tensor

    b = other._data if isinstance(other, Tensor) else other
    return bool(_np.allclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def lerp(input, end, weight):  # noqa: A002
    return add(input, _mul(weight, _sub(end, input)))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    out = mm(mat1, mat2)
    if alpha != 1:
        out = _mul(out, alpha)
    return add(_mul(input, beta) if beta != 1 else input, out)


__all__ = [
    n
    for n in dir()
    if not n.startswith("_")
    and n
    not in {
        "annotations",
        "elementwise",
        "linalg",
        "nn",
        "reduction",
        "shape",
        "sorting",
        "nn_conv",
        "REGISTRY",
        "Op",
    }
]
