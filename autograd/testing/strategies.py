"""Hypothesis strategies for gradient tests: shapes, broadcastable shapes, dims, arrays and
tensors, with values kept away from kinks on request.

Why kinks: at a point where a function is not differentiable (0 for ``relu``/``abs``, ties for
``max``), a central difference straddles the kink and measures the average of the two slopes,
which no analytic gradient equals. ``kinks=(0.0,)`` keeps every drawn value at least ``margin``
from 0, so a failure means a wrong gradient, not an unlucky point. (The checks also recognise a
point at a kink and then run a subgradient test instead, see ``check_function``.)

Every strategy shrinks towards small shapes: fewer dims, sides of ``min_side``, so a failing
hypothesis test reports the smallest shapes and batch that still fail.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = ["arrays", "broadcastable_shapes", "dims", "elements", "shapes", "tensors"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Shapes as tuples of ints: ``min_dims`` to ``max_dims`` dims, each side in
    ``[min_side, max_side]``. Shrinks to ``min_dims`` dims of ``min_side``."""
    if min_dims < 0 or max_dims < min_dims:
        raise ValueError(f"shapes: need 0 <= min_dims <= max_dims, got {min_dims}, {max_dims}")
    if min_side < 0 or max_side < min_side:
        raise ValueError(f"shapes: need 0 <= min_side <= max_side, got {min_side}, {max_side}")
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(
        tuple
    )


@st.composite
def broadcastable_shapes(
    draw,
    shape,
    min_dims: int = 0,
    max_dims: int | None = None,
    min_side: int = 1,
    max_side: int | None = None,
):
    """A shape that broadcasts with ``shape`` to ``shape`` or to a shape with extra leading
    dims: trailing dims are equal to ``shape``'s or 1 (a 1 in ``shape`` may face any side),
    leading dims may be dropped or, with ``max_dims > len(shape)``, added."""
    shape = tuple(shape)
    max_dims = len(shape) if max_dims is None else max_dims
    nd = draw(st.integers(min_dims, max(min_dims, max_dims)))
    out = []
    for i in range(1, nd + 1):
        if i <= len(shape):
            s = shape[-i]
            out.append(
                draw(st.sampled_from([s, 1]))
                if s != 1
                else draw(st.integers(min_side, max_side or max(min_side, 3)))
            )
        else:
            out.append(draw(st.integers(min_side, max_side or 3)))
    return tuple(reversed(out))


@st.composite
def dims(draw, ndim: int, allow_negative: bool = True, allow_tuple: bool = False):
    """A valid ``dim`` for a tensor of ``ndim`` dims, negative ones included (for a 0-d tensor,
    0 or -1, as PyTorch allows), or with ``allow_tuple`` sometimes a tuple of distinct dims."""
    n = max(ndim, 1)
    lo = -n if allow_negative else 0
    if allow_tuple and ndim > 0 and draw(st.booleans()):
        picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        return tuple(d - ndim if allow_negative and draw(st.booleans()) else d for d in picked)
    return draw(st.integers(lo, n - 1))


def _push_from_kinks(a, kinks, margin):
    for k in kinks:
        close = np.abs(a - k) < margin
        if close.any():
            a = np.where(close, k + np.where(a >= k, margin, -margin), a)
    return a


def elements(low: float = -2.0, high: float = 2.0, kinks=(), margin: float = 1e-2):
    """Floats in ``[low, high]`` at least ``margin`` from every kink (a value that lands near
    a kink is pushed out to ``kink +- margin``), for ``tensors(elements=...)``."""
    kinks = tuple(float(k) for k in kinks)
    base = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if not kinks:
        return base
    return base.map(lambda v: float(_push_from_kinks(np.float64(v), kinks, margin)))


@st.composite
def arrays(
    draw,
    shape,
    dtype=np.float64,
    low: float = -2.0,
    high: float = 2.0,
    kinks=(),
    margin: float = 1e-2,
):
    """A float array of ``shape`` with values in ``[low, high]``, at least ``margin`` from each
    kink. Values come from one drawn seed (fast for any size); sometimes an end of the interval
    is hit exactly."""
    n = int(np.prod(shape)) if shape else 1
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, size=n).reshape(shape)
    # occasionally hit the ends of the interval exactly (but never a kink)
    if n and draw(st.booleans()):
        a.reshape(-1)[0] = draw(st.sampled_from([low, high]))
    a = _push_from_kinks(a, kinks, margin)
    return a.astype(dtype)


@st.composite
def tensors(
    draw,
    shape=None,
    dtype=np.float64,
    elements=None,
    requires_grad: bool = False,
    low: float = -2.0,
    high: float = 2.0,
    kinks=(),
    margin: float = 1e-2,
):
    """An ``autograd.Tensor``.

    Parameters
    ----------
    shape : tuple or strategy of tuples, optional
        Default: ``shapes()`` (0 to 3 dims, sides 1 to 4).
    dtype : dtype or strategy of dtypes
        E.g. ``st.sampled_from([autograd.float32, autograd.float64])`` to test both.
    elements : strategy of floats, optional
        Draw every element from it (e.g. :func:`elements`); default: uniform in
        ``[low, high]`` from one drawn seed (fast for large tensors).
    requires_grad : bool
        Make the tensor a leaf that requires grad.
    low, high, kinks, margin
        The value range, and points every value stays at least ``margin`` away from (also
        applied to values drawn from ``elements``).
    """
    from .. import tensor

    if shape is None:
        shape = shapes()
    if isinstance(shape, SearchStrategy):
        shape = draw(shape)
    shape = tuple(int(s) for s in shape)
    if isinstance(dtype, SearchStrategy):
        dtype = draw(dtype)
    dtype = np.dtype(dtype)
    if elements is not None:
        from hypothesis.extra import numpy as hnp

        a = draw(hnp.arrays(np.float64, shape, elements=elements))
        a = _push_from_kinks(a, tuple(kinks), margin) if kinks else a
        a = a.astype(dtype)
    else:
        a = draw(arrays(shape, dtype, low, high, kinks, margin))
    t = tensor(a, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t
