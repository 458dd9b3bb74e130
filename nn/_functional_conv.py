"""Functional convolution, pooling and normalization (``nn.functional.conv2d``, ...).

Convolutions use the im2col primitives of ``autograd/ops/nn_conv.py``. Max pooling gathers the
window maxima from the padded, flattened input (its gradient is a scatter to the argmax, and
double backward comes for free); average pooling sums strided slices; the norms are composed
from autograd ops, so every function here is differentiable to any order.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.compiler import arrays as _arrays
from autograd.ops.indexing import take_p
from autograd.ops.linalg import matmul_p
from autograd.ops.nn_conv import (
    avg_pool2d_p,
    conv2d_input_grad_p,
    conv2d_p,
    window_argmax,
)
from autograd.ops.nn_norm import moments, norm_p
from autograd.ops.shape import index_select_p

__all__ = [
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "batch_norm",
    "layer_norm",
    "group_norm",
]


def _pair(v, name="value"):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
        return (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _check_conv_args(name, stride, padding, dilation, bias, cout):
    if min(stride) < 1:
        raise RuntimeError(f"{name}: non-positive stride is not supported, got stride={stride}")
    if min(dilation) < 1:
        raise RuntimeError(f"{name}: dilation should be greater than zero, got dilation={dilation}")
    if not isinstance(padding, str) and min(padding) < 0:
        raise RuntimeError(f"{name}: negative padding is not supported, got padding={padding}")
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(
            f"{name}: expected bias to be 1-dimensional with {cout} elements, but got bias of "
            f"size {list(bias.shape)} instead"
        )


def _batched(input, nd, name):  # noqa: A002
    if input.ndim == nd:
        return input.unsqueeze(0), True
    if input.ndim == nd + 1:
        return input, False
    raise RuntimeError(
        f"Expected {nd}D (unbatched) or {nd + 1}D (batched) input to {name}, but "
        f"got input of size: {list(input.shape)}"
    )


def _pad_mode(x, pads, mode):
    """Pad the trailing ``len(pads)`` dims of ``x`` by ``pads = ((lo, hi), ...)`` with
    ``mode`` 'reflect', 'replicate' or 'circular' (a conv's ``padding_mode``): one index
    selection per dim, so the gradient flows back to the elements copied."""
    nd = len(pads)
    for i, (lo, hi) in enumerate(pads):
        if not (lo or hi):
            continue
        axis = x.ndim - nd + i
        n = x.shape[axis]
        j = np.arange(-lo, n + hi)
        if mode == "reflect":
            if lo >= n or hi >= n:
                raise RuntimeError(
                    f"Padding size should be less than the corresponding input dimension, "
                    f"but got: padding ({lo}, {hi}) at dimension {axis} of input "
                    f"{list(x.shape)}"
                )
            j = np.abs(j)
            j = np.where(j > n - 1, 2 * (n - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, n - 1)
        elif mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError(
                    f"Padding value causes wrapping around more than once: padding ({lo}, "
                    f"{hi}) at dimension {axis} of input {list(x.shape)}"
                )
            j = j % n
        else:
            raise ValueError(
                f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got {mode!r}"
            )
        x = index_select_p(x, j, axis=axis)
    return x


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution: input ``(N, C_in, H, W)`` (or unbatched ``(C_in, H, W)``), weight
    ``(C_out, C_in / groups, kH, kW)``, output ``(N, C_out, H_out, W_out)``."""
    x, unb = _batched(input, 3, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(
            f"conv2d: weight must be 4D (C_out, C_in/groups, kH, kW), got shape "
            f"{tuple(weight.shape)}"
        )
    o, cg, kh, kw = weight.shape
    c = x.shape[1]
    if groups < 1 or c % groups or o % groups:
        raise RuntimeError(
            f"conv2d: groups={groups} must divide in_channels ({c}) and out_channels ({o})"
        )
    if cg * groups != c:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {cg * groups} channels, but got {c} channels instead"
        )
    s, d = _pair(stride, "stride"), _pair(dilation, "dilation")
    _check_conv_args(
        "conv2d", s, padding if isinstance(padding, str) else _pair(padding), d, bias, o
    )
    if isinstance(padding, str):
        if padding == "valid":
            p = (0, 0)
        elif padding == "same":
            if s != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            tot = (d[0] * (kh - 1), d[1] * (kw - 1))
            if tot[0] % 2 or tot[1] % 2:  # asymmetric: pad the extra row/col at the end
                x = ag.ops.shape.pad(x, (0, tot[1] % 2, 0, tot[0] % 2))
            p = (tot[0] // 2, tot[1] // 2)
        else:
            raise ValueError(
                f"Invalid padding string {padding!r}, should be one of 'valid', 'same'"
            )
    else:
        p = _pair(padding, "padding")
    h, w = x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1]
    if h < d[0] * (kh - 1) + 1 or w < d[1] * (kw - 1) + 1:
        raise RuntimeError(
            f"conv2d: Calculated padded input size per channel: ({h} x {w}). Kernel size: "
            f"({d[0] * (kh - 1) + 1} x {d[1] * (kw - 1) + 1}). Kernel size can't be greater "
            f"than actual input size"
        )
    kw = {"stride": s, "padding": p, "dilation": d, "groups": groups}
    out = conv2d_p(x, weight, **kw) if bias is None else conv2d_p(x, weight, bias, **kw)
    return out.squeeze(0) if unb else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D convolution: input ``(N, C_in, L)``, weight ``(C_out, C_in / groups, k)``."""
    x, unb = _batched(input, 2, "conv1d")
    if weight.ndim != 3:
        raise RuntimeError(
            f"conv1d: weight must be 3D (C_out, C_in/groups, k), got shape {tuple(weight.shape)}"
        )
    if isinstance(padding, (tuple, list)):
        padding = padding[0]
    pad2 = padding if isinstance(padding, str) else (0, int(padding))
    s = stride[0] if isinstance(stride, (tuple, list)) else stride
    dl = dilation[0] if isinstance(dilation, (tuple, list)) else dilation
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), pad2, (1, dl), groups)
    out = out.squeeze(2)
    return out.squeeze(0) if unb else out


def conv_transpose2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,  # noqa: A002
    groups=1,
    dilation=1,
):
    """Transposed 2-D convolution (the input-gradient of :func:`conv2d`): input
    ``(N, C_in, H, W)`` or ``(C_in, H, W)``, weight ``(C_in, C_out / groups, kH, kW)``, output
    ``H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1``."""
    x, unb = _batched(input, 3, "conv_transpose2d")
    if weight.ndim != 4:
        raise RuntimeError(
            f"conv_transpose2d: weight must be 4D (C_in, C_out/groups, kH, kW), got shape "
            f"{tuple(weight.shape)}"
        )
    cin, cog, kh, kw = weight.shape
    if groups < 1 or cin % groups:
        raise RuntimeError(
            f"conv_transpose2d: groups={groups} must divide the weight's in_channels ({cin})"
        )
    if x.shape[1] != cin:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {cin} channels, but got {x.shape[1]} channels instead"
        )
    s, p, d = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    op = _pair(output_padding, "output_padding")
    _check_conv_args("conv_transpose2d", s, p, d, bias, cog * groups)
    if any(op[i] >= max(s[i], d[i]) for i in range(2)):
        raise RuntimeError(
            f"conv_transpose2d: output padding must be smaller than either stride or "
            f"dilation, but got output_padding={op}, stride={s}, dilation={d}"
        )
    n, _, h, w = x.shape
    ho = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wo = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    if ho < 1 or wo < 1:
        raise RuntimeError(
            f"conv_transpose2d: Given input size per channel: ({h} x {w}). Calculated output "
            f"size per channel: ({ho} x {wo}). Output size is too small"
        )
    out = conv2d_input_grad_p(
        x, weight, stride=s, padding=p, dilation=d, groups=groups, xshape=(n, cog * groups, ho, wo)
    )
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unb else out


def _pool_out(size, k, s, p, d, ceil):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p:  # the last window must start inside the input
        out -= 1
    return out


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,  # noqa: A002
    return_indices=False,
):
    """Max over windows; input ``(N, C, H, W)`` or ``(C, H, W)``. Ties pick the first max."""
    x, unb = _batched(input, 3, "max_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(
            f"max_pool2d: pad should be at most half of effective kernel size, "
            f"but got pad={p} and kernel_size={k}"
        )
    n, c, h, w = x.shape
    ho = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise RuntimeError(
            f"max_pool2d: Given input size: ({c}x{h}x{w}). Calculated output "
            f"size: ({c}x{ho}x{wo}). Output size is too small"
        )
    if not x.dtype.kind == "f":
        raise RuntimeError(f"max_pool2d: expected a floating-point input, got {x.dtype}")
    glob, plane = _arrays(window_argmax, x, k, s, p, d, (ho, wo))
    # windows that cannot overlap send each input element at most one gradient
    unique = s[0] >= d[0] * (k[0] - 1) + 1 and s[1] >= d[1] * (k[1] - 1) + 1
    empty = glob < 0
    if empty.any():  # windows whose dilated taps all fall in the padding: -inf, no gradient
        out = ag.where(
            ag.tensor(empty), -np.inf, take_p(x, idx=_arrays(np.maximum, glob, 0), unique=False)
        )
    else:
        out = take_p(x, idx=glob, unique=unique)
    if return_indices:
        ind = ag.tensor(plane)  # PyTorch's indices: row * W + col in each input plane
        return (out.squeeze(0), ind.squeeze(0)) if unb else (out, ind)
    return out.squeeze(0) if unb else out


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,  # noqa: A002
    return_indices=False,
):
    """Max pooling over the last dimension: ``(N, C, L)`` or ``(C, L)`` in, ``(N, C, L_out)``
    out.
    """
    x, unb = _batched(input, 2, "max_pool1d")
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    st = None if stride is None or stride == [] else (1, one(stride))
    r = max_pool2d(
        x.unsqueeze(2),
        (1, one(kernel_size)),
        st,
        (0, one(padding)),
        (1, one(dilation)),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        out, ind = r
        out, ind = out.squeeze(2), ind.squeeze(2)
        return (out.squeeze(0), ind.squeeze(0)) if unb else (out, ind)
    out = r.squeeze(2)
    return out.squeeze(0) if unb else out


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,  # noqa: A002
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over windows (zero padding counts in the divisor unless ``count_include_pad``
    is False; a ceil-mode window hanging over the padded edge never counts it)."""
    x, unb = _batched(input, 3, "avg_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(
            f"avg_pool2d: pad should be at most half of kernel size, but got "
            f"pad={p} and kernel_size={k}"
        )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    n, c, h, w = x.shape
    ho = _pool_out(h, k[0], s[0], p[0], 1, ceil_mode)
    wo = _pool_out(w, k[1], s[1], p[1], 1, ceil_mode)
    if ho < 1 or wo < 1:
        raise RuntimeError(
            f"avg_pool2d: Given input size: ({c}x{h}x{w}). Calculated output "
            f"size: ({c}x{ho}x{wo}). Output size is too small"
        )
    extra_h = max(0, (ho - 1) * s[0] + k[0] - (h + 2 * p[0]))
    extra_w = max(0, (wo - 1) * s[1] + k[1] - (w + 2 * p[1]))
    pads = ((p[0], p[0] + extra_h), (p[1], p[1] + extra_w))
    if divisor_override:
        scale = 1.0 / float(divisor_override)
    elif not (extra_h or extra_w or (any(p) and not count_include_pad)):
        scale = 1.0 / (k[0] * k[1])  # every window is whole
    else:
        # per-window counts, from the rows and the columns separately (the window is a product)
        def counts(size, kk, ss, pp, oo):
            lo = np.arange(oo) * ss - pp  # first row of each window, in input coordinates
            hi = lo + kk
            if count_include_pad:
                return np.minimum(hi, size + pp) - lo
            return np.minimum(hi, size) - np.maximum(lo, 0)

        cnt = np.outer(counts(h, k[0], s[0], p[0], ho), counts(w, k[1], s[1], p[1], wo))
        scale = (1.0 / cnt).astype(x.dtype)
    out = avg_pool2d_p(x, kernel=k, stride=s, pads=pads, out_hw=(ho, wo), scale=scale)
    return out.squeeze(0) if unb else out


def _bins(size, out):
    """``(out, size)`` averaging matrix of adaptive pooling: bin ``i`` spans
    ``[floor(i * size / out), ceil((i + 1) * size / out))``."""
    i = np.arange(out)
    lo, hi = (i * size) // out, -(-((i + 1) * size) // out)
    r = np.arange(size)
    m = (r >= lo[:, None]) & (r < hi[:, None])
    return m / (hi - lo)[:, None]


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average over adaptive bins: bin ``i`` spans ``[floor(i H / oh), ceil((i + 1) H / oh))``.
    As two BLAS products with constant averaging matrices, ``A @ x @ B.T``."""
    x, unb = _batched(input, 3, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(
                f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size}"
            )
        oh = h if output_size[0] is None else int(output_size[0])
        ow = w if output_size[1] is None else int(output_size[1])
    else:
        oh = ow = int(output_size)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be positive, got {(oh, ow)}")
    if h == 0 or w == 0:
        raise RuntimeError(
            f"adaptive_avg_pool2d: expected input with non-zero spatial size, got "
            f"{list(input.shape)}"
        )
    if (oh, ow) == (1, 1):
        out = x.mean(dim=(2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        out = x.reshape(x.shape[0], x.shape[1], oh, h // oh, ow, w // ow).mean(dim=(3, 5))
    else:
        a = _bins(h, oh).astype(x.dtype)
        bt = np.ascontiguousarray(_bins(w, ow).T.astype(x.dtype))
        out = matmul_p(matmul_p(a, x), bt)
    return out.squeeze(0) if unb else out


def _stats(x, axes, eps):
    mean, var = moments(x, axes)
    return mean, var, 1.0 / np.sqrt(var + eps)


def _update_running(running_mean, running_var, mean, var, momentum, n, c):
    """PyTorch's running statistics: the batch mean and the unbiased batch variance."""
    for a, stat in ((running_mean, mean), (running_var, var * (n / (n - 1)))):
        if a is not None:
            a *= 1 - momentum
            a += momentum * stat.reshape(c)


def _norm(x, weight, bias, axes, eps):
    """``(x - mean) * rstd * weight + bias`` over ``axes`` as one fused op (NOTE [ Fused
    normalization ]); also returns the statistics (arrays, with kept dims)."""
    mean, var, rstd = _arrays(_stats, x, axes, eps)
    return norm_p(x, weight, bias, mean=mean, rstd=rstd, axes=axes, eps=eps), mean, var


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,  # noqa: A002
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Normalise ``(N, C, *)`` over every dim but the channel dim 1.

    In training, with batch statistics; the running statistics (when given) are updated in
    place with ``momentum``: the batch mean and the *unbiased* batch variance, as PyTorch.
    Otherwise with the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected 2D or more input, got {input.ndim}D")
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(
                f"batch_norm: {name} should have shape ({c},) for input of shape "
                f"{tuple(input.shape)}, got {tuple(t.shape)}"
            )
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input "
                f"size {list(input.shape)}"
            )
        axes = (0,) + tuple(range(2, input.ndim))
        w = None if weight is None else weight.reshape(shape)
        b = None if bias is None else bias.reshape(shape)
        out, mean, var = _norm(input, w, b, axes, eps)
        if running_mean is not None or running_var is not None:
            _arrays(
                _update_running,
                running_mean,
                running_var,
                mean,
                var,
                momentum,
                n,
                c,
                mutates=(0, 1),
            )
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var are needed when not training")
    # eval: an affine map per channel, x * scale + shift (two passes over x)
    scale = ag.rsqrt(running_var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the trailing ``normalized_shape`` dims (biased variance)."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not ns or tuple(input.shape[input.ndim - len(ns) :]) != ns or input.ndim < len(ns):
        raise RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape [*, "
            f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(
                f"layer_norm: {name} should have shape {ns} (normalized_shape), got "
                f"{tuple(t.shape)}"
            )
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    return _norm(input, weight, bias, axes, eps)[0]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise ``(N, C, *)`` over each group of ``C / num_groups`` channels and ``*``."""
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected input of shape (N, C, *), got {list(input.shape)}"
        )
    n, c = input.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by "
            f"num_groups, but got input of shape {list(input.shape)} and "
            f"num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(
                f"group_norm: {name} should have shape ({c},) (num_channels), got {tuple(t.shape)}"
            )
    # (N, G, C/G, S): statistics over the last two axes, weight and bias per (G, C/G)
    g = num_groups
    x = input.reshape(n, g, c // g, -1)
    pshape = (1, g, c // g, 1)
    w = None if weight is None else weight.reshape(pshape)
    b = None if bias is None else bias.reshape(pshape)
    return _norm(x, w, b, (2, 3), eps)[0].reshape(tuple(input.shape))
