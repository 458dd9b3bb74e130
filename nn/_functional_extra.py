"""More of ``nn.functional``: shrink/threshold activations, GLU, RReLU, alpha dropout, distances,
resampling (``interpolate``, ``pixel_shuffle``, ``unfold``/``fold``), instance and local
response norm, ``embedding_bag``, ``gumbel_softmax`` and the remaining losses.

Everything is composed from differentiable ops (so gradients of any order), except
``unfold``/``fold`` (the ``im2col``/``col2im`` primitive pair of ``autograd/ops/nn_conv.py``)
and ``ctc_loss`` (the fused ``ctc_loss`` primitive of ``autograd/ops/nn.py``).
"""

from __future__ import annotations

import math

import numpy as np

import autograd as _ag
from autograd.compiler import arrays as _arrays
from autograd.ops.indexing import getitem_p
from autograd.ops.linalg import matmul_p
from autograd.ops.nn import ctc_loss_p, rrelu_p, rrelu_result_p
from autograd.ops.nn_conv import fold_p, unfold_p
from autograd.ops.shape import index_select_p
from autograd.random import _rng
from autograd.random import draw as _draw
from autograd.tensor import Tensor

__all__ = [
    "threshold",
    "threshold_",
    "hardshrink",
    "softshrink",
    "glu",
    "rrelu",
    "rrelu_",
    "alpha_dropout",
    "feature_alpha_dropout",
    "pairwise_distance",
    "pdist",
    "local_response_norm",
    "instance_norm",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "unfold",
    "fold",
    "embedding_bag",
    "gumbel_softmax",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "triplet_margin_loss",
    "ctc_loss",
]


def _t(x, like=None):
    if isinstance(x, Tensor):
        return x
    return _ag.tensor(x, dtype=None if like is None else like.dtype)


# -- activations -----------------------------------------------------------------------------------
def _threshold(input, threshold, value):  # noqa: A002
    return _ag.where(input > threshold, input, _ag.tensor(value, dtype=input.dtype))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` where ``x > threshold``, else ``value`` (written into ``input`` with
    ``inplace=True``)."""
    if inplace:
        return input._inplace(_threshold, threshold, value)
    return _threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """In-place :func:`threshold`: ``input`` where ``input > threshold``, else ``value``,
    written into ``input``, which is returned."""
    return input._inplace(_threshold, threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x`` where ``|x| > lambd``, else 0."""
    return _ag.where(input.abs() > lambd, input, _ag.tensor(0.0, dtype=input.dtype))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = _ag.tensor(0.0, dtype=input.dtype)
    return _ag.where(input > lambd, input - lambd, _ag.where(input < -lambd, input + lambd, zero))


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the halves of ``input`` along
    ``dim``; ``(*, 2n, *) -> (*, n, *)``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim if -input.ndim <= dim < input.ndim else None
    if d is None:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, "
            f"{input.ndim - 1}], but got {dim})"
        )
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, dim=d)
    return a * b.sigmoid()


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: inputs ``x <= 0`` times a slope drawn ``U(lower, upper)`` per
    element in training (from ndgrad's generator), times ``(lower + upper) / 2`` otherwise
    (PyTorch's ``rrelu_with_noise``; in place, backward in eval mode needs a non-negative
    slope, as in PyTorch)."""
    op = rrelu_result_p if inplace else rrelu_p
    if training:
        shape, dt = tuple(input.shape), input.dtype
        r = _draw(None, lambda g: g.uniform(lower, upper, shape).astype(dt))
        kw = {"noise": _arrays(_rrelu_noise, input, r)}
    else:
        kw = {"negative_slope": (lower + upper) / 2}
    return input._inplace(op, **kw) if inplace else op(input, **kw)


def _rrelu_noise(x, r):
    """The slope of each element: the drawn one where ``x <= 0``, 1 elsewhere."""
    return np.where(x <= 0, r, np.ones((), r.dtype))


def rrelu_(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
) -> Tensor:
    """:func:`rrelu` written into ``input``."""
    return rrelu(input, lower, upper, training, True)


_SELU_ALPHA_PRIME = 1.7580993408473766  # scale * alpha of SELU


def _alpha_dropout(input, p, training, feature, inplace):  # noqa: A002
    """PyTorch's ``_dropout_impl`` with ``alpha_dropout``: ``input * (keep * a) + b``, done as
    ``mul_`` then ``add_`` in place."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    dt = input.dtype
    keep = _draw(None, lambda r: (r.random(shape) >= p).astype(dt))
    scale, shift = _arrays(_alpha_noise, keep, p)
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


def _alpha_noise(keep, p):
    alpha = _SELU_ALPHA_PRIME
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    return keep * a, ((keep - 1.0) * (alpha * a) + alpha * a * p).astype(keep.dtype)


def alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped elements are set to
    SELU's negative saturation, then an affine map restores the statistics."""
    return _alpha_dropout(input, p, training, False, inplace)


def feature_alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """:func:`alpha_dropout` of whole channels."""
    return _alpha_dropout(input, p, training, True, inplace)


# -- distances -------------------------------------------------------------------------------------
def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    return (x1 - x2 + eps).norm(p=p, dim=-1, keepdim=keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:  # noqa: A002
    """Distances between the rows of ``(N, M)``: the upper triangle, ``(N * (N - 1) / 2,)``."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return (input[i] - input[j]).norm(p=p, dim=-1)


# -- normalization ---------------------------------------------------------------------------------
def local_response_norm(
    input: Tensor,  # noqa: A002
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """``x / (k + alpha * mean of x^2 over a window of size channels)^beta`` on ``(N, C, *)``;
    the window is ``[c - size // 2, c + (size - 1) // 2]``, zero-padded."""
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    c = input.shape[1]
    pad = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    sq = _pad_const(input * input, pad)
    acc = None
    for i in range(size):
        part = getitem_p(sq, idx=(slice(None), slice(i, i + c)))
        acc = part if acc is None else acc + part
    div = (acc * (alpha / size) + k) ** beta
    return input / div


def _pad_const(x, pad):
    from autograd.ops.shape import pad as _pad

    return _pad(x, pad, "constant", 0.0)


def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each ``(n, c)`` slice of ``(N, C, *)`` over ``*`` (the fused norm op).

    With ``use_input_stats`` the running statistics (when given) are updated in place with the
    batch average of the per-instance mean and unbiased variance; otherwise they normalise.
    """
    from ._functional_conv import _norm

    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected 3D or more input, got {input.ndim}D")
    n, c = input.shape[:2]
    shape = (1, c) + (1,) * (input.ndim - 2)
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(
                f"instance_norm: {name} should have shape ({c},) for input of shape "
                f"{tuple(input.shape)}, got {tuple(t.shape)}"
            )
    w = None if weight is None else weight.reshape(shape)
    b = None if bias is None else bias.reshape(shape)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        scale = _ag.rsqrt(running_var + eps)
        if weight is not None:
            scale = scale * weight
        shift = -running_mean * scale
        if bias is not None:
            shift = shift + bias
        return input * scale.reshape(shape) + shift.reshape(shape)
    axes = tuple(range(2, input.ndim))
    m = int(np.prod(input.shape[2:]))
    if m <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size "
            f"{list(input.shape)}"
        )
    out, mean, var = _norm(input, w, b, axes, eps)
    if running_mean is not None or running_var is not None:
        with _ag.no_grad():
            for buf, stat in ((running_mean, mean), (running_var, var * (m / (m - 1)))):
                if buf is not None:
                    a = buf.numpy()
                    a *= 1 - momentum
                    a += momentum * stat.reshape(n, c).mean(0).astype(a.dtype)
                    buf._bump()
    return out


# -- resampling ------------------------------------------------------------------------------------
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _scale_value(scale, in_size, out_size, dtype):
    # PyTorch: 1 / scale_factor when one is used, else in / out
    if scale is not None and scale > 0:
        return dtype(1.0) / dtype(scale)
    return dtype(in_size) / dtype(out_size)


def _nearest_index(in_size, out_size, scale, exact):
    if out_size == in_size and not exact:
        return np.arange(out_size)
    s = _scale_value(scale, in_size, out_size, np.float32)
    dst = np.arange(out_size, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * s) if exact else np.floor(dst * s)
    return np.minimum(src.astype(np.int64), in_size - 1)


def _source_index(in_size, out_size, scale, align_corners, cubic, dtype):
    if align_corners:
        s = dtype(in_size - 1) / dtype(out_size - 1) if out_size > 1 else dtype(0)
        return np.arange(out_size, dtype=dtype) * s
    s = _scale_value(scale, in_size, out_size, dtype)
    src = s * (np.arange(out_size, dtype=dtype) + dtype(0.5)) - dtype(0.5)
    return src if cubic else np.maximum(src, dtype(0))


def _linear_matrix(in_size, out_size, scale, align_corners, dtype):
    """``(out, in)`` matrix of 1-D linear interpolation, PyTorch's source indices."""
    src = _source_index(in_size, out_size, scale, align_corners, False, dtype)
    i0 = src.astype(np.int64)
    i1 = np.where(i0 < in_size - 1, i0 + 1, i0)
    l1 = np.clip(src - i0, 0, 1)
    m = np.zeros((out_size, in_size), dtype=dtype)
    r = np.arange(out_size)
    np.add.at(m, (r, i0), 1 - l1)
    np.add.at(m, (r, i1), l1)
    return m


def _cubic_matrix(in_size, out_size, scale, align_corners, dtype):
    """``(out, in)`` matrix of 1-D cubic convolution (A = -0.75), borders clamped."""
    src = _source_index(in_size, out_size, scale, align_corners, True, dtype)
    i = np.floor(src).astype(np.int64)
    t = src - i
    A = -0.75

    def c1(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    w = (c2(t + 1), c1(t), c1(1 - t), c2(2 - t))
    m = np.zeros((out_size, in_size), dtype=dtype)
    r = np.arange(out_size)
    for k in range(4):
        np.add.at(m, (r, np.clip(i - 1 + k, 0, in_size - 1)), w[k])
    return m


# NOTE [ Antialiased resampling ]
# PyTorch's ``antialias=True`` (aten's separable ``_upsample_{bilinear,bicubic}2d_aa``, after
# Pillow's resampler): output pixel ``i`` of an axis is a weighted sum of the inputs within
# ``support`` of its centre ``scale * (i + 0.5)``, where ``scale`` is in/out (or 1/scale_factor,
# or (in-1)/(out-1) with align_corners) and the filter (the triangle, or Keys' cubic with
# a = -0.5) is stretched by ``scale`` when downsampling, so every input pixel contributes. The
# weights of each output are normalised to sum to 1. Here each axis is the ``(out, in)`` matrix
# of those weights, built in the input's float type with PyTorch's arithmetic, applied by one
# matmul (``_along``): the width first, then the height, and an axis whose size does not change
# is left alone, as PyTorch does. The gradient is the transposed product.
def _aa_triangle(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0)


def _aa_keys_cubic(x):
    a = -0.5
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0))


_AA_FILTERS = {"bilinear": (2, _aa_triangle), "bicubic": (4, _aa_keys_cubic)}


def _aa_matrix(in_size, out_size, scale, align_corners, mode, dtype):
    """``(out, in)`` weights of antialiased resampling along one axis (NOTE [ Antialiased
    resampling ]), in ``dtype`` with PyTorch's mix of float and double steps."""
    interp_size, filt = _AA_FILTERS[mode]
    f64 = np.float64
    if align_corners:
        s = dtype(in_size - 1) / dtype(out_size - 1) if out_size > 1 else dtype(0)
    elif scale is not None and scale > 0:
        s = dtype(1.0 / scale)
    else:
        s = dtype(in_size) / dtype(out_size)
    down = s >= 1
    support = dtype(interp_size * 0.5 * f64(s)) if down else dtype(interp_size * 0.5)
    width = int(np.ceil(support)) * 2 + 1
    invscale = dtype(1.0 / f64(s)) if down else dtype(1)
    center = (f64(s) * (np.arange(out_size) + 0.5)).astype(dtype)
    # C++ casts to int64 by truncation toward zero
    xmin = np.maximum(np.trunc((center - support).astype(f64) + 0.5).astype(np.int64), 0)
    xmax = np.minimum(np.trunc((center + support).astype(f64) + 0.5).astype(np.int64), in_size)
    xsize = np.clip(xmax - xmin, 0, width)
    j = np.arange(width)
    idx = xmin[:, None] + j
    arg = ((idx.astype(dtype) - center[:, None]).astype(f64) + 0.5) * f64(invscale)
    w = np.where(j < xsize[:, None], filt(arg.astype(dtype)), dtype(0)).astype(dtype)
    total = np.cumsum(w, axis=1)[:, -1:]  # summed in order, as the C++ loop
    w = np.where(total != 0, w / np.where(total != 0, total, dtype(1)), w)
    m = np.zeros((out_size, in_size + width), dtype=dtype)  # room for taps past the end
    np.add.at(m, (np.arange(out_size)[:, None], idx), w)
    return m[:, :in_size]


def _along(x, axis, m):
    """Apply the ``(out, in)`` matrix ``m`` along ``axis`` of ``x`` (one BLAS product)."""
    xt = x.movedim(axis, -1)
    y = matmul_p(xt, _ag.tensor(np.ascontiguousarray(m.T)))
    return y.movedim(-1, axis)


def interpolate(
    input: Tensor,  # noqa: A002
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize ``(N, C, *spatial)`` (1 to 3 spatial dims) to ``size`` or by ``scale_factor``.

    Modes: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'``,
    ``'bicubic'`` (4-D), ``'trilinear'`` (5-D), ``'area'``; source coordinates exactly as
    PyTorch computes them (``align_corners``, ``recompute_scale_factor``). The linear and
    cubic modes are one constant matrix product per spatial dim.

    ``antialias=True`` (bilinear and bicubic on 4-D input) resamples as PyTorch does, with the
    filter widened by the downsampling factor (NOTE [ Antialiased resampling ]).

    Notes
    -----
    With ``antialias=True`` and a ``scale_factor`` that leaves a size unchanged (``5 * 1.1``
    floors to 5), PyTorch's forward leaves that axis alone while its backward still applies
    the weights of the scale; here the gradient is that of the forward (the identity there).
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif mode in _LINEAR_MODES:
        if align_corners is None:
            align_corners = False
    else:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    dim = input.ndim - 2
    if dim < 1 or dim > 3:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    scales = [None] * dim
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(in_sizes)} and output size of "
                    f"{list(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format."
                )
            out_sizes = [int(s) for s in size]
        else:
            out_sizes = [int(size)] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(in_sizes)} and "
                    f"scale_factor of shape {list(scale_factor)}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format."
                )
            sf = [float(s) for s in scale_factor]
        else:
            sf = [float(scale_factor)] * dim
        out_sizes = [int(math.floor(in_sizes[i] * sf[i])) for i in range(dim)]
        if not recompute_scale_factor:
            scales = sf
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in out_sizes):
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input "
            f"({', '.join(map(str, in_sizes))}) and output ({', '.join(map(str, out_sizes))})"
        )
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    need = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if need is not None and need != dim:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input"
        )
    x = input
    if mode in ("nearest", "nearest-exact"):
        for i in range(dim):
            idx = _nearest_index(in_sizes[i], out_sizes[i], scales[i], mode == "nearest-exact")
            if not (len(idx) == in_sizes[i] and np.array_equal(idx, np.arange(in_sizes[i]))):
                x = index_select_p(x, idx, axis=2 + i)
        return x
    if mode == "area":
        from ._functional_conv import _bins

        for i in range(dim):
            x = _along(x, 2 + i, _bins(in_sizes[i], out_sizes[i]).astype(x.dtype))
        return x
    dt = np.float64 if x.dtype == np.float64 else np.float32
    if antialias:
        for i in reversed(range(dim)):  # the width first, as PyTorch
            if out_sizes[i] != in_sizes[i]:
                m = _aa_matrix(in_sizes[i], out_sizes[i], scales[i], align_corners, mode, dt)
                x = _along(x, 2 + i, m.astype(x.dtype))
        return x
    make = _cubic_matrix if mode == "bicubic" else _linear_matrix
    for i in range(dim):
        m = make(in_sizes[i], out_sizes[i], scales[i], align_corners, dt)
        x = _along(x, 2 + i, m.astype(x.dtype))
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """Deprecated alias of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """Nearest-neighbour upsampling: ``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """Bilinear upsampling with ``align_corners=True`` (``interpolate``)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``."""
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    lead = tuple(input.shape[:-3])
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``, the inverse of :func:`pixel_shuffle`."""
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input "
            f"with {input.ndim} dimension(s)"
        )
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if h % r:
        raise RuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but "
            f"input.size(-2)={h} is not divisible by {r}"
        )
    if w % r:
        raise RuntimeError(
            "pixel_unshuffle expects width to be divisible by downscale_factor, but "
            f"input.size(-1)={w} is not divisible by {r}"
        )
    lead = tuple(input.shape[:-3])
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def _pair_arg(v, name, fn):
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise RuntimeError(f"{fn}(): argument '{name}' must be an int or a pair of ints")
        return tuple(int(a) for a in v)
    return (int(v), int(v))


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Sliding local blocks (im2col): ``(N, C, H, W) -> (N, C * kh * kw, L)`` (or unbatched
    ``(C, H, W) -> (C * kh * kw, L)``), channel-major within each block, as PyTorch."""
    k = _pair_arg(kernel_size, "kernel_size", "unfold")
    d, p, s = (
        _pair_arg(v, n, "unfold")
        for v, n in ((dilation, "dilation"), (padding, "padding"), (stride, "stride"))
    )
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    if min(k) <= 0 or min(d) <= 0 or min(s) <= 0 or min(p) < 0:
        raise RuntimeError(
            f"unfold: kernel_size {k}, dilation {d} and stride {s} must be positive and "
            f"padding {p} non-negative"
        )
    x = input.unsqueeze(0) if input.ndim == 3 else input
    from autograd.ops.nn_conv import _fold_blocks

    blocks = _fold_blocks(tuple(x.shape[2:]), k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={k}, "
            f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as "
            f"{blocks}, but its components must be at least one."
        )
    out = unfold_p(x, kernel=k, dilation=d, padding=p, stride=s)
    return out.squeeze(0) if input.ndim == 3 else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Sum sliding local blocks back into an image (col2im), the adjoint of :func:`unfold`:
    ``(N, C * kh * kw, L) -> (N, C, *output_size)`` (or unbatched)."""
    o = _pair_arg(output_size, "output_size", "fold")
    k = _pair_arg(kernel_size, "kernel_size", "fold")
    d, p, s = (
        _pair_arg(v, n, "fold")
        for v, n in ((dilation, "dilation"), (padding, "padding"), (stride, "stride"))
    )
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    x = input.unsqueeze(0) if input.ndim == 2 else input
    from autograd.ops.nn_conv import _fold_blocks

    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={k}"
        )
    bh, bw = _fold_blocks(o, k, d, p, s)
    if bh < 1 or bw < 1 or bh * bw != x.shape[2]:
        raise RuntimeError(
            f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
            f"expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {bh} * {bw} = {bh * bw}, but got input.size(2)={x.shape[2]}."
        )
    out = fold_p(x, kernel=k, dilation=d, padding=p, stride=s, out_hw=o)
    return out.squeeze(0) if input.ndim == 2 else out


# -- embedding bag ---------------------------------------------------------------------------------
def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm=None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embeddings: ``(B, N)`` indices (each row a bag) or 1-D
    indices cut into bags at ``offsets`` -> ``(B, embedding_dim)``. Entries equal to
    ``padding_idx`` are left out (of the count too); an empty bag gives zeros.
    ``per_sample_weights`` (``mode='sum'`` only) scales each looked-up row."""
    from .functional import embedding

    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    idx = np.asarray(input._data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding_bag: Expected tensor for argument #1 'indices' to have an integer "
            f"dtype, but got {idx.dtype}"
        )
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != idx.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
            f"None, then it must have the same shape as the input ({idx.shape})"
        )
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"if input is 2D, then offsets has to be None, as input is treated is a "
                f"mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets).__name__}"
            )
        nb, length = idx.shape
        starts = np.arange(nb) * length
        ends = starts + length
        flat = idx.reshape(-1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        off = np.asarray(offsets._data if isinstance(offsets, Tensor) else offsets)
        if off.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        off = off.astype(np.int64)
        if off.size and off[0] != 0:
            raise RuntimeError(
                f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {int(off[0])}"
            )
        if off.size and off[-1] > idx.size:
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length ({idx.size}), but got "
                f"offsets[-1] of {int(off[-1])}"
            )
        if include_last_offset:
            starts, ends = off[:-1], off[1:]
        else:
            starts, ends = off, np.append(off[1:], idx.size)
        nb = len(starts)
        flat = idx
        psw = per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    n_emb = weight.shape[0]
    if padding_idx is not None:
        if not -n_emb <= padding_idx < n_emb:
            raise AssertionError("padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += n_emb
    rows = embedding(
        _ag.tensor(flat), weight, padding_idx, max_norm, norm_type, scale_grad_by_freq
    )  # (n, D)
    n = flat.size
    bag = np.repeat(np.arange(nb), np.maximum(ends - starts, 0))
    pos = (
        np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if nb else np.zeros(0, int)
    )
    keep = np.ones(n, dtype=bool) if padding_idx is None else flat != padding_idx
    if mode == "max":
        counts = np.zeros(nb, dtype=np.int64)
        np.add.at(counts, bag[keep[pos]], 1)
        width = max(int(counts.max()) if nb else 0, 1)
        table = np.full((nb, width), n, dtype=np.int64)  # n: the -inf row
        slot = np.zeros(nb, dtype=np.int64)
        for j, b in zip(pos[keep[pos]], bag[keep[pos]]):
            table[b, slot[b]] = j
            slot[b] += 1
        ext = _ag.cat([rows, _ag.full((1, weight.shape[1]), -np.inf, dtype=rows.dtype)])
        out = getitem_p(ext, idx=(table,)).amax(1)
        empty = (counts == 0)[:, None]
        return _ag.where(_ag.tensor(empty), _ag.tensor(0.0, dtype=out.dtype), out)
    m = np.zeros((nb, n), dtype=weight.dtype)
    m[bag, pos] = keep[pos]
    if mode == "mean":
        cnt = m.sum(1, keepdims=True)
        m = m / np.maximum(cnt, 1)
    if psw is not None:
        rows = rows * psw.unsqueeze(-1)
    return matmul_p(_ag.tensor(m.astype(weight.dtype)), rows)


# -- sampling --------------------------------------------------------------------------------------
def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """``softmax((logits + g) / tau)`` with Gumbel(0, 1) noise ``g`` from ndgrad's generator;
    with ``hard``, the one-hot argmax in the forward and the soft sample's gradient
    (straight-through)."""
    e = _rng(None).exponential(size=tuple(logits.shape)).astype(logits.dtype)
    gumbels = (logits + _ag.tensor(-np.log(e))) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    k = y_soft.detach().numpy().argmax(axis=dim)
    y_hard = np.zeros(tuple(logits.shape), dtype=logits.dtype)
    np.put_along_axis(y_hard, np.expand_dims(k, dim), 1.0, axis=dim)
    return _ag.tensor(y_hard) - y_soft.detach() + y_soft


# -- losses ----------------------------------------------------------------------------------------
def _red(size_average, reduce, reduction):
    from .functional import _reduction

    return _reduction(size_average, reduce, reduction)


def _apply(loss, reduction):
    from .functional import _reduce

    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    reduction = _red(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != _t(target).ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: "
            f"{tuple(_t(target).shape)} "
        )
    loss = (-_t(target, input1) * (input1 - input2) + margin).clamp_min(0)
    return _apply(loss, reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1``."""
    reduction = _red(size_average, reduce, reduction)
    y = _t(target).detach().numpy()
    zero = _ag.tensor(0.0, dtype=input.dtype)
    m = _ag.where(_ag.tensor(y != 1), (margin - input).clamp_min(0), zero)
    s = _ag.where(_ag.tensor(y != -1), input, zero)
    return _apply(m + s, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)`` where ``y = -1``
    (cosine over the last dim)."""
    reduction = _red(size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(
            f"cosine_embedding_loss: expected 1D or 2D inputs of the same shape, got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    y = _t(target).detach().numpy()
    if y.ndim != input1.ndim - 1:
        raise RuntimeError(
            f"{input1.ndim - 1}D target tensor expects {input1.ndim}D input tensors, but found "
            f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    eps = 1e-12
    prod = (input1 * input2).sum(-1)
    m1 = (input1 * input1).sum(-1) + eps
    m2 = (input2 * input2).sum(-1) + eps
    cos = prod / (m1 * m2).sqrt()
    zero = _ag.tensor(0.0, dtype=input1.dtype)
    pos = _ag.where(_ag.tensor(y == 1), 1 - cos, zero)
    neg = _ag.where(_ag.tensor(y == -1), (cos - margin).clamp_min(0), zero)
    return _apply(pos + neg, reduction)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``exp(x) - y x`` (``log_input``) or ``x - y log(x + eps)``; with ``full`` the Stirling
    term ``y log y - y + log(2 pi y) / 2`` where ``y > 1``."""
    reduction = _red(size_average, reduce, reduction)
    target = _t(target, input)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        y = target.detach().numpy()
        ys = np.where(y > 1, y, 1.0)
        st = np.where(y > 1, ys * np.log(ys) - ys + 0.5 * np.log(2 * np.pi * ys), 0.0)
        loss = loss + _ag.tensor(st.astype(loss.dtype))
    return _apply(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """``(log(max(var, eps)) + (x - y)^2 / max(var, eps)) / 2`` (the clamp passes gradients
    through unchanged, as PyTorch's no-grad clamp); ``var`` the input's shape, one dim short,
    or with one broadcast dim."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _ag.full(tuple(input.shape), float(var), dtype=input.dtype)
    elif bool((var.detach().numpy() < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and (
            sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1
        ):
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    v = var.detach().numpy()
    var = var + _ag.tensor((np.maximum(v, eps) - v).astype(v.dtype))  # clamp, gradient 1
    loss = 0.5 * (var.log() + (input - _t(target, input)) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply(loss, reduction)


def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``log(1 + exp(-y x))``."""
    from .functional import softplus

    reduction = _red(size_average, reduce, reduction)
    return _apply(softplus(-_t(target, input) * input), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy with logits per class, averaged over the classes (last dim)."""
    from .functional import logsigmoid

    reduction = _red(size_average, reduce, reduction)
    y = _t(target, input)
    loss = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[-1] if input.ndim else 1
    loss = loss.sum(-1) / c if input.ndim else loss
    return _apply(loss, reduction)


def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    p: int = 1,
    margin: float = 1,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: ``sum_{i != y} w[y] max(0, margin - x[y] + x[i])^p / C``."""
    reduction = _red(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if input.ndim not in (1, 2) or (input.ndim == 2 and input.shape[1] == 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    x = input if input.ndim == 2 else input.unsqueeze(0)
    y = np.asarray(_t(target).detach().numpy()).reshape(-1).astype(np.int64)
    n, c = x.shape
    if y.shape[0] != n:
        raise RuntimeError(
            f"inconsistent target size, expected {n} but got {list(_t(target).shape)}"
        )
    if y.size and (y.min() < 0 or y.max() >= c):
        raise RuntimeError("target out of range")
    xy = x.gather(1, _ag.tensor(y[:, None]))
    z = (margin - xy + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[_ag.tensor(y)].unsqueeze(1)
    other = np.ones((n, c), dtype=x.dtype)
    other[np.arange(n), y] = 0
    loss = (z * _ag.tensor(other)).sum(1) / c
    if input.ndim == 1:
        loss = loss.squeeze(0)
    return _apply(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the pairwise ``p``-distance (with
    ``swap``, ``d(a, n)`` is replaced by ``min(d(a, n), d(p, n))``)."""
    reduction = _red(size_average, reduce, reduction)
    a, po, ne = anchor.ndim, positive.ndim, negative.ndim
    if not (a == po == ne):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {po}D, and negative {ne}D inputs"
        )
    if margin <= 0:
        raise ValueError(
            f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = _ag.minimum(d_neg, d_swap)
    loss = (margin + d_pos - d_neg).clamp_min(0)
    return _apply(loss, reduction)


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist temporal classification loss (Graves et al. 2006).

    Parameters
    ----------
    log_probs : Tensor
        ``(T, N, C)`` (or unbatched ``(T, C)``) log-probabilities (``log_softmax`` output).
    targets : Tensor
        ``(N, S)`` padded, or all target sequences concatenated ``(sum(target_lengths),)``;
        no entry may be ``blank``.
    input_lengths, target_lengths : Tensor or sequence of int
        ``(N,)``.
    reduction : {'mean', 'sum', 'none'}
        'mean': each loss divided by its target length, then the batch mean.
    zero_infinity : bool
        Infinite losses (no alignment possible) and their gradients become 0.

    Returns
    -------
    Tensor
        ``(N,)`` with ``reduction='none'`` (``()`` unbatched), else a scalar.

    Notes
    -----
    One fused primitive: the alpha/beta recursions run in log space in NumPy, vectorised over
    the batch and the extended label positions; the VJP is the exact gradient with respect to
    ``log_probs`` (the posterior of each label at each step).
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3:
        raise RuntimeError(
            f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
            f"{list(log_probs.shape)}"
        )
    T, N, C = lp.shape
    tg = np.asarray(_t(targets).detach().numpy())
    il = (
        np.asarray(
            _t(input_lengths).detach().numpy()
            if not isinstance(input_lengths, (list, tuple))
            else input_lengths
        )
        .reshape(-1)
        .astype(np.int64)
    )
    tl = (
        np.asarray(
            _t(target_lengths).detach().numpy()
            if not isinstance(target_lengths, (list, tuple))
            else target_lengths
        )
        .reshape(-1)
        .astype(np.int64)
    )
    if unbatched:
        tg = tg.reshape(1, -1) if tg.ndim <= 1 else tg
    if tg.dtype.kind not in "iu":
        raise RuntimeError(f"ctc_loss: targets must be integers, got {tg.dtype}")
    if il.shape[0] != N:
        raise RuntimeError(
            f"Expected input_lengths to have value at most {T}, but got tensor of size "
            f"{il.shape[0]} for batch size {N}"
        )
    if tl.shape[0] != N:
        raise RuntimeError(
            f"Expected tensor to have size at least {N} at dimension 0, but got size "
            f"{tl.shape[0]} for argument #2 'target_lengths'"
        )
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.size and (il.max() > T or il.min() < 0):
        raise RuntimeError(
            f"Expected input_lengths to have value at most {T}, but got value {il.max()}"
        )
    S = int(tl.max()) if tl.size else 0
    padded = np.zeros((N, max(S, 1)), dtype=np.int64)
    if tg.ndim == 1 and not unbatched:
        if tg.shape[0] < tl.sum():
            raise RuntimeError(
                f"Expected tensor to have size at least {tl.sum()} at dimension 0, but got "
                f"size {tg.shape[0]} for argument #2 'targets'"
            )
        o = 0
        for b in range(N):
            padded[b, : tl[b]] = tg[o : o + tl[b]]
            o += tl[b]
    else:
        if tg.ndim != 2 or tg.shape[0] != N:
            raise RuntimeError(f"ctc_loss: expected targets of shape (N, S), got {list(tg.shape)}")
        for b in range(N):
            if tl[b] > tg.shape[1]:
                raise RuntimeError(
                    f"Expected tensor to have size at least {tl[b]} at dimension 1, but got size "
                    f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                    "ctc_loss_cpu)"
                )
            padded[b, : tl[b]] = tg[b, : tl[b]]
    if S and ((padded < 0) | (padded >= C)).any():
        raise RuntimeError("ctc_loss: target labels must be in [0, C)")
    nll = ctc_loss_p(
        lp,
        targets=padded,
        input_lengths=il,
        target_lengths=tl,
        blank=blank,
        zero_infinity=bool(zero_infinity),
    )
    if unbatched:
        nll = nll.squeeze(0)
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    denom = np.maximum(tl, 1).astype(nll.dtype)
    return (nll / _ag.tensor(denom if not unbatched else denom[0])).mean()
