"""Op-table rows: convolution, pooling and normalization.

Every parameter (weight, bias) is passed to the functional form as a tensor input, so the input's
and every parameter's gradient are checked against central differences, and second order too.
Hypothesis draws the shapes and the hyper-parameters together (kernel, stride, padding,
dilation, groups, ceil_mode, ... and batch size 1); each draw is valid for its layer.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
import nn.functional as F
from tests.autograd.op_table import Row

# NOTE [ Joint draws ]
# The op table draws the shapes first and then the keyword arguments from the shapes. A layer's
# valid options depend on the shapes and the shapes on the options, so each strategy below draws
# both at once and returns ``(shapes, options)``; ``_joint`` files the options under the shapes
# (a hashable tuple) for the row's ``kwargs`` to pick up right after.
_OPTS = {}


def _joint(case):
    def stash(t):
        shapes, opts = t
        _OPTS[shapes] = opts
        return shapes

    return case.map(stash), lambda shapes: st.just(dict(_OPTS[shapes]))


def _distinct(arrs, kw):
    """Distinct input values 0.1 apart (max pooling: no ties within a window)."""
    a = arrs[0]
    rng = np.random.default_rng(a.size + int(1e3 * a.reshape(-1)[0]) % 1000)
    vals = (rng.permutation(a.size) - a.size / 2) * 0.1
    return [vals.reshape(a.shape)] + list(arrs[1:])


# -- convolution ----------------------------------------------------------------------------


@st.composite
def _conv2d_case(draw):
    g = draw(st.sampled_from([1, 2]))
    # cout = 4 cin takes the input gradient's col2im branch at stride 1 (see nn_conv.py)
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.sampled_from([1, 2, 4]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    n = draw(st.integers(1, 2))
    h = max(d[0] * (kh - 1) + 1 - 2 * p[0], 1) + draw(st.integers(0, 2))
    w = max(d[1] * (kw - 1) + 1 - 2 * p[1], 1) + draw(st.integers(0, 2))
    bias = draw(st.booleans())
    shapes = ((n, cin, h, w), (cout, cin // g, kh, kw)) + (((cout,),) if bias else ())
    return shapes, {"stride": s, "padding": p, "dilation": d, "groups": g}


@st.composite
def _conv2d_same_case(draw):
    cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 3))  # even kernels pad asymmetrically
    d = (draw(st.integers(1, 2)), 1)
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    return ((1, cin, h, w), (cout, cin, kh, kw)), {"padding": "same", "dilation": d}


@st.composite
def _conv1d_case(draw):
    g = draw(st.sampled_from([1, 2]))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    k, s, p, d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(0, 2)),
                  draw(st.integers(1, 2)))  # fmt: skip
    n = draw(st.integers(1, 2))
    length = max(d * (k - 1) + 1 - 2 * p, 1) + draw(st.integers(0, 3))
    unbatched = draw(st.booleans())
    x = (cin, length) if unbatched else (n, cin, length)
    return (x, (cout, cin // g, k), (cout,)), {
        "stride": s,
        "padding": p,
        "dilation": d,
        "groups": g,
    }


@st.composite
def _conv_transpose2d_case(draw):
    g = draw(st.sampled_from([1, 2]))
    cin, cout_g = g * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    # output_padding must be smaller than the stride or the dilation (PyTorch's rule)
    op = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(2))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    n, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (kh, kw)
    for i, size in enumerate((h, w)):  # the output must be at least one pixel
        if (size - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 < 1:
            p = tuple(0 if j == i else p[j] for j in range(2))
    return ((n, cin, h, w), (cin, cout_g, kh, kw), (cout_g * g,)), {
        "stride": s,
        "padding": p,
        "output_padding": op,
        "groups": g,
        "dilation": d,
    }


# -- pooling --------------------------------------------------------------------------------


def _empty_window(size, k, s, p, d, ceil):
    """Whether some max-pooling window has every (dilated) tap in the padding: its output is
    -inf, where finite differences are undefined."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return any(not any(0 <= o * s - p + i * d < size for i in range(k)) for o in range(max(out, 0)))


@st.composite
def _pool2d_case(draw, dilation=True):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if k == (1, 1):
        k = (2, 1)
    stride = draw(st.sampled_from([None, 1, 2, (1, 2), 3]))
    pad = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h = max(d[0] * (k[0] - 1) + 1 - 2 * pad[0], 1) + draw(st.integers(0, 2))
    w = max(d[1] * (k[1] - 1) + 1 - 2 * pad[1], 1) + draw(st.integers(0, 2))
    ceil = draw(st.booleans())
    s = (1, 1) if stride is None else (stride, stride) if isinstance(stride, int) else stride
    s = k if stride is None else s
    # dilation 1 never leaves a window empty (PyTorch's ceil_mode keeps only windows that
    # start inside the input or its left padding)
    d = tuple(1 if _empty_window(size, k[i], s[i], pad[i], d[i], ceil) else d[i]
              for i, size in enumerate((h, w)))  # fmt: skip
    opts = {"kernel_size": k, "stride": stride, "padding": pad, "ceil_mode": ceil}
    if dilation:
        opts["dilation"] = d
    return ((n, c, h, w),), opts


@st.composite
def _avg_pool2d_case(draw):
    shapes, opts = draw(_pool2d_case(dilation=False))
    opts["count_include_pad"] = draw(st.booleans())
    opts["divisor_override"] = draw(st.sampled_from([None, None, 3]))
    return shapes, opts


@st.composite
def _max_pool1d_case(draw):
    k = draw(st.integers(2, 3))
    s = draw(st.sampled_from([None, 1, 2]))
    p = draw(st.integers(0, k // 2))
    d = draw(st.integers(1, 2))
    length = max(d * (k - 1) + 1 - 2 * p, 1) + draw(st.integers(0, 3))
    x = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), length)
    ceil = draw(st.booleans())
    if _empty_window(length, k, k if s is None else s, p, d, ceil):
        d = 1
    opts = {"kernel_size": k, "stride": s, "padding": p, "dilation": d}
    return (x,), dict(opts, ceil_mode=ceil)


@st.composite
def _adaptive_case(draw):
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    out = (draw(st.integers(1, 4)), draw(st.sampled_from([None, 1, 2, 3])))
    x = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)
    if draw(st.booleans()):
        x = x[1:]
    return (x,), {"output_size": out}


# -- normalization --------------------------------------------------------------------------


@st.composite
def _batch_norm_case(draw):
    c = draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    rest = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    if n * int(np.prod(rest)) < 2:
        n = 2  # training needs more than one value per channel
    affine = draw(st.booleans())
    shapes = ((n, c) + rest,) + (((c,), (c,)) if affine else ())
    return shapes, {"training": True}


@st.composite
def _batch_norm_eval_case(draw):
    c = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 3)), c) + tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return (shape, (c,), (c,)), {"training": False}


def _bn(x, w=None, b=None, training=True):
    c = x.shape[1]
    if training:
        return F.batch_norm(x, None, None, w, b, training=True)
    rng = np.random.default_rng(c)
    rm = ag.tensor(rng.standard_normal(c))
    rv = ag.tensor(rng.uniform(0.5, 2.0, c))
    return F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3)


@st.composite
def _layer_norm_case(draw):
    ns = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    if int(np.prod(ns)) < 2:
        ns = ns[:-1] + (2,)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    affine = draw(st.booleans())
    return ((lead + ns,) + ((ns, ns) if affine else ())), {"normalized_shape": ns}


@st.composite
def _group_norm_case(draw):
    g = draw(st.integers(1, 3))
    c = g * draw(st.integers(1, 2))
    rest = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    if c // g * int(np.prod(rest)) < 2:
        rest = rest + (2,)
    n = draw(st.integers(1, 2))
    affine = draw(st.booleans())
    return ((n, c) + rest,) + (((c,), (c,)) if affine else ()), {"num_groups": g}


def _row(name, fn, case, nin, **kw):
    """A row over a joint draw; ``nin`` is the largest number of tensor inputs (optional ones,
    such as a bias, are left out of some draws)."""
    shapes, kwargs = _joint(case)
    return Row(name, fn, nin, shapes=shapes, kwargs=kwargs, **kw)


ROWS = [
    _row(
        "conv2d",
        lambda x, w, b=None, **o: F.conv2d(x, w, b, **o),
        _conv2d_case(),
        3,
        covers=("conv2d", "conv2d_input_grad", "conv2d_weight_grad"),
    ),
    _row(
        "conv2d_same",
        lambda x, w, **o: F.conv2d(x, w, **o),
        _conv2d_same_case(),
        2,
        covers=("conv2d", "conv2d_input_grad", "conv2d_weight_grad"),
    ),
    _row("conv1d", lambda x, w, b, **o: F.conv1d(x, w, b, **o), _conv1d_case(), 3),
    _row(
        "conv_transpose2d",
        lambda x, w, b, **o: F.conv_transpose2d(x, w, b, **o),
        _conv_transpose2d_case(),
        3,
        covers=("conv2d_input_grad",),
    ),
    _row(
        "max_pool2d",
        lambda x, **o: F.max_pool2d(x, **o),
        _pool2d_case(),
        1,
        prep=_distinct,
        covers=("take", "put"),
    ),
    _row("max_pool1d", lambda x, **o: F.max_pool1d(x, **o), _max_pool1d_case(), 1, prep=_distinct),
    _row(
        "avg_pool2d",
        lambda x, **o: F.avg_pool2d(x, **o),
        _avg_pool2d_case(),
        1,
        covers=("avg_pool2d", "avg_pool2d_grad"),
    ),
    _row(
        "adaptive_avg_pool2d",
        lambda x, **o: F.adaptive_avg_pool2d(x, **o),
        _adaptive_case(),
        1,
    ),
    _row("batch_norm", _bn, _batch_norm_case(), 3, covers=("norm",)),
    _row("batch_norm_eval", _bn, _batch_norm_eval_case(), 3),
    _row(
        "layer_norm",
        lambda x, w=None, b=None, **o: F.layer_norm(x, o["normalized_shape"], w, b),
        _layer_norm_case(),
        3,
        covers=("norm",),
    ),
    _row(
        "group_norm",
        lambda x, w=None, b=None, **o: F.group_norm(x, o["num_groups"], w, b),
        _group_norm_case(),
        3,
        covers=("norm",),
    ),
]
