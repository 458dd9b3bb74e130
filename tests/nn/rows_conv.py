"""Op-table rows: convolution, pooling and normalization (input and every weight checked)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import nn.functional as F
from tests.autograd.op_table import Row


@st.composite
def _conv_case(draw):
    g = draw(st.sampled_from([1, 2]))
    cin = g * draw(st.integers(1, 2))
    cout = g * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), 1)
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    n = draw(st.integers(1, 2))
    h = max(d[0] * (kh - 1) + 1 - 2 * p[0], 1) + draw(st.integers(0, 2))
    w = max(kw - 2 * p[1], 1) + draw(st.integers(0, 2))
    return ((n, cin, h, w), (cout, cin // g, kh, kw), (cout,)), dict(
        stride=s, padding=p, dilation=d, groups=g
    )


_CONV = _conv_case()
_OPTS = {}


def _stash(t):
    """Keep the options drawn with the shapes, keyed by the shapes (a hashable tuple)."""
    shapes = t[:3]
    _OPTS[shapes] = t[3]
    return shapes


def _distinct(arrs, kw):
    a = arrs[0]
    vals = (np.random.default_rng(a.size).permutation(a.size) - a.size / 2) * 0.1
    return [vals.reshape(a.shape)] + list(arrs[1:])


def _pool_shapes():
    return st.tuples(
        st.integers(1, 2), st.integers(1, 2), st.integers(3, 5), st.integers(3, 5)
    ).map(lambda s: (s,))


def _pool_kw(shapes):
    return st.fixed_dictionaries(
        {
            "kernel_size": st.sampled_from([2, 3, (2, 3)]),
            "stride": st.sampled_from([None, 1, 2]),
            "ceil_mode": st.booleans(),
        }
    )


ROWS = [
    Row(
        "conv2d",
        lambda x, w, b, opts: F.conv2d(x, w, b, **opts),
        3,
        shapes=_CONV.map(lambda c: c[0] + (c[1],)).map(lambda t: _stash(t)),
        kwargs=lambda s: st.just({"opts": _OPTS[s]}),
        covers=("conv2d", "conv2d_input_grad", "conv2d_weight_grad"),
    ),
    Row(
        "conv1d",
        lambda x, w: F.conv1d(x, w, stride=2, padding=1),
        2,
        shapes=st.just(((2, 2, 5), (3, 2, 3))),
    ),
    Row(
        "conv_transpose2d",
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        3,
        shapes=st.just(((1, 2, 3, 3), (2, 3, 3, 2), (3,))),
        covers=("conv2d_input_grad",),
    ),
    Row(
        # stride 1 with output_padding (dilation 2): the grown output holds extra windows
        "conv_transpose2d_stride1_output_padding",
        lambda x, w: F.conv_transpose2d(x, w, output_padding=1, groups=2, dilation=2),
        2,
        shapes=st.just(((1, 2, 3, 2), (2, 1, 2, 2))),
        covers=("conv2d_input_grad",),
    ),
    Row(
        "max_pool2d",
        lambda x, **kw: F.max_pool2d(x, **kw),
        1,
        shapes=_pool_shapes(),
        kwargs=_pool_kw,
        prep=_distinct,
        covers=("gather", "pad"),
    ),
    Row(
        "max_pool1d",
        lambda x: F.max_pool1d(x, 2, 1, 1),
        1,
        shapes=st.just(((2, 2, 5),)),
        prep=_distinct,
    ),
    Row(
        "avg_pool2d",
        lambda x, **kw: F.avg_pool2d(x, count_include_pad=False, **kw),
        1,
        shapes=_pool_shapes(),
        kwargs=_pool_kw,
    ),
    Row(
        "adaptive_avg_pool2d",
        lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
        1,
        shapes=st.just(((1, 2, 5, 4),)),
    ),
    Row(
        "batch_norm",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        3,
        shapes=st.just(((3, 2, 2, 2), (2,), (2,))),
    ),
    Row(
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, (3,), w, b),
        3,
        shapes=st.just(((2, 3), (3,), (3,))),
    ),
    Row(
        "group_norm",
        lambda x, w, b: F.group_norm(x, 2, w, b),
        3,
        shapes=st.just(((2, 4, 3), (4,), (4,))),
    ),
]
