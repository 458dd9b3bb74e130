"""Hypothesis strategies for tensors, shapes, broadcastable shapes and dims.

Values can be kept away from kinks (``kinks=(0.0,)`` for relu/abs) so that central finite
differences are meaningful.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Shapes as tuples of ints."""
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
    """A shape that broadcasts with ``shape`` (some dims set to 1 or dropped, maybe extra
    leading dims)."""
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
    """A valid ``dim`` for a tensor of ``ndim`` dims (negative too), or a tuple of them."""
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
    """A float array of ``shape`` with values in [low, high], at least ``margin`` from each
    kink."""
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
    """An ``autograd.Tensor``; ``shape`` may be a tuple or a strategy of tuples."""
    from .. import Tensor, tensor

    if shape is None:
        shape = shapes()
    if not isinstance(shape, tuple):
        shape = draw(shape)
    if elements is not None:
        from hypothesis.extra import numpy as hnp

        a = draw(hnp.arrays(dtype, shape, elements=elements))
    else:
        a = draw(arrays(shape, dtype, low, high, kinks, margin))
    t = tensor(a)
    assert isinstance(t, Tensor)
    if requires_grad:
        t.requires_grad_(True)
    return t
