"""Functional convolution, pooling and normalization (``nn.functional.conv2d``, ...).

Convolutions use the im2col primitives of ``autograd/ops/nn_conv.py``. Max pooling gathers the
window maxima from the padded, flattened input (its gradient is a scatter to the argmax, and
double backward comes for free); average pooling sums strided slices; the norms are composed
from autograd ops, so every function here is differentiable to any order.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.ops.nn_conv import conv2d_input_grad_p, conv2d_p
from autograd.ops.shape import gather_p, pad_p

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


def _batched(input, nd, name):  # noqa: A002
    if input.ndim == nd:
        return input.unsqueeze(0), True
    if input.ndim == nd + 1:
        return input, False
    raise RuntimeError(
        f"Expected {nd}D (unbatched) or {nd + 1}D (batched) input to {name}, but "
        f"got input of size: {list(input.shape)}"
    )


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
    out = conv2d_p(x, weight, stride=s, padding=p, dilation=d, groups=groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
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
    """Transposed 2-D convolution; weight ``(C_in, C_out / groups, kH, kW)``."""
    x, unb = _batched(input, 3, "conv_transpose2d")
    cin, cog, kh, kw = weight.shape
    if x.shape[1] != cin:
        raise RuntimeError(
            f"conv_transpose2d: expected input with {cin} channels, got "
            f"{x.shape[1]} (input shape {tuple(input.shape)})"
        )
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    op = _pair(output_padding)
    n, _, h, w = x.shape
    ho = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wo = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
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
    # pad with -inf, plus extra rows/cols at the end for ceil_mode windows
    need_h = (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1
    extra_h = max(0, need_h - (h + 2 * p[0]))
    extra_w = max(0, need_w - (w + 2 * p[1]))
    pads = ((0, 0), (0, 0), (p[0], p[0] + extra_h), (p[1], p[1] + extra_w))
    xp = pad_p(x, pad=pads, value=-np.inf) if any(a or b for a, b in pads) else x
    hp, wp = xp.shape[2], xp.shape[3]
    win = np.lib.stride_tricks.sliding_window_view(
        xp._data, (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1), axis=(2, 3)
    )[:, :, :: s[0], :: s[1], :: d[0], :: d[1]][:, :, :ho, :wo]
    flat_win = win.reshape(n, c, ho, wo, -1)
    am = np.argmax(flat_win, axis=-1)  # NaN counts as the max, as in PyTorch
    nan = np.isnan(flat_win)
    if nan.any():
        am = np.where(nan.any(-1), np.argmax(nan, axis=-1), am)
    i, j = np.divmod(am, k[1])
    rows = np.arange(ho)[:, None] * s[0] + i * d[0]
    cols = np.arange(wo)[None, :] * s[1] + j * d[1]
    idx = (rows * wp + cols).reshape(n, c, ho * wo)
    out = gather_p(xp.reshape(n, c, hp * wp), idx, axis=2).reshape(n, c, ho, wo)
    if return_indices:
        # PyTorch's indices address the unpadded input: row * W + col
        r0, c0 = rows - p[0], cols - p[1]
        ind = ag.tensor((r0 * w + c0).reshape(n, c, ho, wo).astype(np.int64))
        if unb:
            return out.squeeze(0), ind.squeeze(0)
        return out, ind
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
    is False)."""
    x, unb = _batched(input, 3, "avg_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(
            f"avg_pool2d: pad should be at most half of kernel size, but got "
            f"pad={p} and kernel_size={k}"
        )
    n, c, h, w = x.shape
    ho = _pool_out(h, k[0], s[0], p[0], 1, ceil_mode)
    wo = _pool_out(w, k[1], s[1], p[1], 1, ceil_mode)
    extra_h = max(0, (ho - 1) * s[0] + k[0] - (h + 2 * p[0]))
    extra_w = max(0, (wo - 1) * s[1] + k[1] - (w + 2 * p[1]))
    pads = ((0, 0), (0, 0), (p[0], p[0] + extra_h), (p[1], p[1] + extra_w))
    xp = pad_p(x, pad=pads, value=0.0) if any(a or b for a, b in pads) else x
    total = None
    for i in range(k[0]):
        for j in range(k[1]):
            part = xp[:, :, i : i + s[0] * (ho - 1) + 1 : s[0], j : j + s[1] * (wo - 1) + 1 : s[1]]
            total = part if total is None else total + part
    if divisor_override:
        div = float(divisor_override)
    else:
        # window sizes: padding counts when count_include_pad, the ceil-mode overhang never does
        ones = np.zeros((h + 2 * p[0] + extra_h, w + 2 * p[1] + extra_w))
        if count_include_pad:
            ones[: h + 2 * p[0], : w + 2 * p[1]] = 1.0
        else:
            ones[p[0] : p[0] + h, p[1] : p[1] + w] = 1.0
        cnt = sum(
            ones[i : i + s[0] * (ho - 1) + 1 : s[0], j : j + s[1] * (wo - 1) + 1 : s[1]]
            for i in range(k[0])
            for j in range(k[1])
        )
        div = cnt.astype(x.dtype)
    out = total / div
    return out.squeeze(0) if unb else out


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average over adaptive bins: bin ``i`` spans ``[floor(i H / oh), ceil((i + 1) H / oh))``."""
    x, unb = _batched(input, 3, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    oh, ow = (
        _pair(output_size)
        if not isinstance(output_size, (tuple, list))
        else (
            h if output_size[0] is None else output_size[0],
            w if output_size[1] is None else output_size[1],
        )
    )
    if (oh, ow) == (1, 1):
        out = x.mean(dim=(2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        out = x.reshape(x.shape[0], x.shape[1], oh, h // oh, ow, w // ow).mean(dim=(3, 5))
    else:
        rows = []
        for i in range(oh):
            r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            cols = []
            for j in range(ow):
                c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
                cols.append(x[:, :, r0:r1, c0:c1].mean(dim=(2, 3)))
            rows.append(ag.stack(cols, -1))
        out = ag.stack(rows, -2)
    return out.squeeze(0) if unb else out


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
    """Normalise over every dim but the channel dim 1; in training, batch statistics (and the
    running statistics are updated in place: biased mean, unbiased variance); else running."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected 2D or more input, got {input.ndim}D")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input "
                f"size {list(input.shape)}"
            )
        mean = input.mean(dim=axes, keepdim=True)
        diff = input - mean
        var = (diff * diff).mean(dim=axes, keepdim=True)
        if running_mean is not None:
            with ag.no_grad():
                m = mean.detach().numpy().reshape(c)
                v = var.detach().numpy().reshape(c) * (n / (n - 1))
                rm, rv = running_mean.numpy(), running_var.numpy()
                rm *= 1 - momentum
                rm += momentum * m
                rv *= 1 - momentum
                rv += momentum * v
                running_mean._bump()
                running_var._bump()
        out = diff * ag.rsqrt(var + eps)
    else:
        if running_mean is None:
            raise RuntimeError(
                "batch_norm: running_mean and running_var are needed when not training"
            )
        out = (input - running_mean.reshape(shape)) * ag.rsqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the trailing ``normalized_shape`` dims (biased variance)."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns) :]) != ns:
        raise RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape [*, "
            f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}"
        )
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    mean = input.mean(dim=axes, keepdim=True)
    diff = input - mean
    var = (diff * diff).mean(dim=axes, keepdim=True)
    out = diff * ag.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise ``(N, C, *)`` over each group of ``C / num_groups`` channels and ``*``."""
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by "
            f"num_groups, but got input of shape {list(input.shape)} and "
            f"num_groups={num_groups}"
        )
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(dim=2, keepdim=True)
    diff = x - mean
    var = (diff * diff).mean(dim=2, keepdim=True)
    out = (diff * ag.rsqrt(var + eps)).reshape(tuple(input.shape))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out
