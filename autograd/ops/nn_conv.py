"""Fused primitives of the convolution and pooling layers.

Convolution is im2col (a strided window view, no Python loop over pixels or batch) plus one
BLAS contraction per call. Average pooling and its adjoint are a pair of primitives (one
vectorised slice-add per kernel position). Max pooling finds each window's argmax here
(``window_argmax``) and gathers it with the ``take``/``put`` pair of ``indexing.py``.

NOTE [ Convolution primitives ]
Three primitives, closed under differentiation:
  y  = conv2d(x, w)                 forward
  dx = conv2d_input_grad(gy, w)     transposed convolution (col2im)
  dw = conv2d_weight_grad(x, gy)    correlation of input and output gradient
The VJPs of each are the other two, so convolution is differentiable to any order.
Options (stride, padding, dilation, groups, the input shape) travel as keyword arguments.
"""

from __future__ import annotations

import numpy as np

from ._registry import Op
from .indexing import getitem_p
from .shape import sum_p


def _zero_pad(x, ph, pw):
    """``x`` (N, C, H, W) with ``ph`` zero rows and ``pw`` zero columns on each side (a plain
    copy into a zeroed buffer: several times cheaper than ``np.pad``)."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _windows(x, kh, kw, stride, padding, dilation):
    """(N, C, Ho, Wo, kh, kw) strided view of the zero-padded input."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if ph or pw:
        x = _zero_pad(x, ph, pw)
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    v = np.lib.stride_tricks.sliding_window_view(x, (ekh, ekw), axis=(2, 3))
    return v[:, :, ::sh, ::sw, ::dh, ::dw]


def _cols(x, kh, kw, stride, padding, dilation, groups, out_hw=None):
    """im2col in GEMM layout: (N, G, C/G * kh * kw, Ho * Wo), C-contiguous (one copy).
    ``out_hw`` crops the windows (an input grown by a transposed conv's output_padding)."""
    v = _windows(x, kh, kw, stride, padding, dilation)  # (N, C, Ho, Wo, kh, kw)
    if out_hw is not None:
        v = v[:, :, : out_hw[0], : out_hw[1]]
    n, c, ho, wo = v.shape[:4]
    cols = np.ascontiguousarray(v.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kh, kw, Ho, Wo)
    return cols.reshape(n, groups, (c // groups) * kh * kw, ho * wo), ho, wo


def _conv2d_fwd(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    o, cg, kh, kw = w.shape
    cols, ho, wo = _cols(x, kh, kw, stride, padding, dilation, groups)
    wg = w.reshape(groups, o // groups, cg * kh * kw)
    out = np.matmul(wg, cols)  # (N, G, O/G, Ho*Wo): one batched GEMM, output already NCHW
    out = out.reshape(x.shape[0], o, ho, wo)
    if b is not None:
        out += b.reshape(o, 1, 1)
    return out


def _conv2d_input_grad_fwd(gy, w, stride, padding, dilation, groups, xshape):
    n, c, h, wd = xshape
    o, cg, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    if (sh, sw) == (1, 1) and qh >= 0 and qw >= 0 and 4 * c > o:
        # stride 1: a full correlation of gy with the flipped, channel-swapped kernel (its
        # im2col has O * kh * kw rows; with few input channels, col2im below moves less data)
        eh, ew = h - (ho + dh * (kh - 1) - 2 * ph), wd - (wo + dw * (kw - 1) - 2 * pw)
        gp = np.zeros(gy.shape[:2] + (ho + 2 * qh + eh, wo + 2 * qw + ew), dtype=gy.dtype)
        gp[:, :, qh : qh + ho, qw : qw + wo] = gy
        wt = w.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
        wt = wt.reshape(c, o // groups, kh, kw)
        return _conv2d_fwd(gp, wt, None, (1, 1), (0, 0), dilation, groups)
    wg = w.reshape(groups, o // groups, cg * kh * kw)
    gyg = gy.reshape(n, groups, o // groups, ho * wo)
    dcols = np.matmul(wg.swapaxes(-1, -2), gyg).reshape(n, c, kh, kw, ho, wo)
    return _col2im(dcols, (h, wd), stride, padding, dilation)


def _col2im(dcols, hw, stride, padding, dilation):
    """The adjoint of im2col: add ``dcols`` (N, C, kh, kw, Ho, Wo) back onto the (N, C, H, W)
    positions each window element was read from (one vectorised add per kernel position)."""
    n, c, kh, kw, ho, wo = dcols.shape
    h, wd = hw
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dh, j * dw
            xp[:, :, r0 : r0 + sh * (ho - 1) + 1 : sh, c0 : c0 + sw * (wo - 1) + 1 : sw] += dcols[
                :, :, i, j
            ]
    return xp[:, :, ph : ph + h, pw : pw + wd]


def _conv2d_weight_grad_fwd(x, gy, stride, padding, dilation, groups, wshape):
    o, cg, kh, kw = wshape
    n = x.shape[0]
    cols, ho, wo = _cols(x, kh, kw, stride, padding, dilation, groups, gy.shape[2:])
    gyg = gy.reshape(n, groups, o // groups, ho * wo)
    dw = np.matmul(gyg, cols.swapaxes(-1, -2)).sum(axis=0)  # (G, O/G, C/G*kh*kw)
    return dw.reshape(wshape)


def _crop_to(out, shape):
    """Crop a convolution output to ``shape``: an input grown by a transposed convolution's
    output_padding can hold more (stride-1) windows than the output it pairs with."""
    ho, wo = shape[2:]
    if tuple(out.shape[2:]) != (ho, wo):
        out = getitem_p(out, idx=(slice(None), slice(None), slice(0, ho), slice(0, wo)))
    return out


def _conv2d_vjp_x(grad, ans, x, w, b=None, **kw):
    return conv2d_input_grad_p(grad, w, xshape=tuple(x.shape), **kw)


def _conv2d_vjp_w(grad, ans, x, w, b=None, **kw):
    return conv2d_weight_grad_p(x, grad, wshape=tuple(w.shape), **kw)


def _conv2d_vjp_b(grad, ans, x, w, b=None, **kw):
    return sum_p(grad, axis=(0, 2, 3))


conv2d_p = Op(
    "conv2d",
    _conv2d_fwd,
    save_for=((1,), (0,), ()),
    promote="arith",
    node_name="ConvolutionBackward0",
).defvjp(_conv2d_vjp_x, _conv2d_vjp_w, _conv2d_vjp_b)


def _input_grad_vjp_gy(grad, ans, gy, w, xshape, **kw):
    return _crop_to(conv2d_p(grad, w, **kw), gy.shape)


def _input_grad_vjp_w(grad, ans, gy, w, xshape, **kw):
    return conv2d_weight_grad_p(grad, gy, wshape=tuple(w.shape), **kw)


conv2d_input_grad_p = Op("conv2d_input_grad", _conv2d_input_grad_fwd, save_for=((1,), (0,))).defvjp(
    _input_grad_vjp_gy, _input_grad_vjp_w
)


def _weight_grad_vjp_x(grad, ans, x, gy, wshape, **kw):
    return conv2d_input_grad_p(gy, grad, xshape=tuple(x.shape), **kw)


def _weight_grad_vjp_gy(grad, ans, x, gy, wshape, **kw):
    return _crop_to(conv2d_p(x, grad, **kw), gy.shape)


conv2d_weight_grad_p = Op(
    "conv2d_weight_grad", _conv2d_weight_grad_fwd, save_for=((1,), (0,))
).defvjp(_weight_grad_vjp_x, _weight_grad_vjp_gy)


# ---------------------------------------------------------------------------------------------
# unfold (im2col) and fold (col2im): a linear map and its adjoint, each the other's VJP
#   cols = unfold(x): (N, C, H, W) -> (N, C * kh * kw, L), PyTorch's ``F.unfold`` layout
#   x = fold(cols):   (N, C * kh * kw, L) -> (N, C, H, W), overlapping windows summed


def _unfold_fwd(x, kernel, dilation, padding, stride):
    kh, kw = kernel
    cols, ho, wo = _cols(x, kh, kw, stride, padding, dilation, 1)
    return cols.reshape(x.shape[0], -1, ho * wo)


def _fold_blocks(hw, kernel, dilation, padding, stride):
    """Number of sliding blocks along each spatial dim."""
    return tuple(
        (hw[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
        for i in range(2)
    )


def _fold_fwd(cols, kernel, dilation, padding, stride, out_hw):
    kh, kw = kernel
    ho, wo = _fold_blocks(out_hw, kernel, dilation, padding, stride)
    n, ckk = cols.shape[:2]
    d = cols.reshape(n, ckk // (kh * kw), kh, kw, ho, wo)
    return _col2im(d, out_hw, stride, padding, dilation)


def _unfold_vjp(grad, ans, x, **kw):
    return fold_p(grad, out_hw=tuple(x.shape[2:]), **kw)


def _fold_vjp(grad, ans, cols, out_hw, **kw):
    return unfold_p(grad, **kw)


unfold_p = Op("im2col", _unfold_fwd).defvjp(_unfold_vjp)
fold_p = Op("col2im", _fold_fwd).defvjp(_fold_vjp)


# ---------------------------------------------------------------------------------------------
# average pooling: a linear map and its adjoint, each the other's VJP


def _window(i, j, out_hw, stride):
    """Index of the elements that kernel position ``(i, j)`` reads in every window."""
    (ho, wo), (sh, sw) = out_hw, stride
    return (
        slice(None),
        slice(None),
        slice(i, i + sh * (ho - 1) + 1, sh),
        slice(j, j + sw * (wo - 1) + 1, sw),
    )


def _avg_pool2d_fwd(x, kernel, stride, pads, out_hw, scale):
    """Window sums times ``scale`` (1 / divisor: a number or an ``(Ho, Wo)`` array).
    ``pads = ((top, bottom), (left, right))`` zeros; the windows start at the padded origin."""
    if any(pads[0]) or any(pads[1]):
        x = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    kh, kw = kernel
    out = x[_window(0, 0, out_hw, stride)].copy()
    for i in range(kh):  # one vectorised add per kernel position
        for j in range(kw):
            if i or j:
                out += x[_window(i, j, out_hw, stride)]
    out *= scale
    return out.astype(x.dtype, copy=False)


def _avg_pool2d_grad_fwd(gy, kernel, stride, pads, out_hw, scale, in_hw):
    """The adjoint of :func:`_avg_pool2d_fwd`: spread ``gy * scale`` over each window."""
    (pt, pb), (pl, pr) = pads
    h, w = in_hw
    n, c = gy.shape[:2]
    g = (gy * scale).astype(gy.dtype, copy=False)
    xp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=g.dtype)
    kh, kw = kernel
    for i in range(kh):
        for j in range(kw):
            xp[_window(i, j, out_hw, stride)] += g
    return xp[:, :, pt : pt + h, pl : pl + w]


def _avg_pool2d_vjp(grad, ans, x, **kw):
    return avg_pool2d_grad_p(grad, in_hw=tuple(x.shape[2:]), **kw)


avg_pool2d_p = Op("avg_pool2d", _avg_pool2d_fwd, node_name="AvgPool2DBackward0").defvjp(
    _avg_pool2d_vjp
)


def _avg_pool2d_grad_vjp(grad, ans, gy, in_hw, **kw):
    return avg_pool2d_p(grad, **kw)


avg_pool2d_grad_p = Op("avg_pool2d_grad", _avg_pool2d_grad_fwd).defvjp(_avg_pool2d_grad_vjp)


# ---------------------------------------------------------------------------------------------
# max pooling: the window maxima are a gather at flat indices (found in NumPy by the caller,
# see ``window_argmax``); its VJP is the scatter back, whose VJP is the gather again.


def window_argmax(x, kernel, stride, padding, dilation, out_hw):
    """Flat indices into ``x`` (N, C, H, W) of each pooling window's maximum, PyTorch's way:
    the first maximum in row-major window order, a NaN wins (the last one), padding never does;
    a window with no element in the input (dilated taps all in the padding) gets index -1.
    One vectorised compare per kernel position over strided views. Returns ``(global,
    plane)``: indices into ``x.ravel()`` and into each ``H * W`` plane (``return_indices``)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = out_hw
    r0 = np.arange(ho) * sh - ph  # first row/col of each window, in input coordinates
    c0 = np.arange(wo) * sw - pw
    eh = max(0, (ho - 1) * sh + dh * (kh - 1) + 1 - (h + 2 * ph))  # ceil_mode overhang
    ew = max(0, (wo - 1) * sw + dw * (kw - 1) + 1 - (w + 2 * pw))
    if ph or pw or eh or ew:
        xp = np.full((n, c, h + 2 * ph + eh, w + 2 * pw + ew), -np.inf, dtype=x.dtype)
        xp[:, :, ph : ph + h, pw : pw + w] = x
    else:
        xp = x
    # branch-free updates (masked copies with data-dependent masks are several times slower):
    # ``tap`` holds 1 + the kernel position of the window's max so far (0: none yet); taps come
    # in increasing order, so "replace where taken" is a maximum
    best = np.full((n, c, ho, wo), -np.inf, dtype=x.dtype)
    tap = np.zeros((n, c, ho, wo), dtype=np.int32)
    nan = bool(np.isnan(x).any())
    pending = True  # some window has no tap yet (its first in-range tap is taken as is)
    for i in range(kh):
        rok = (r0 + i * dh >= 0) & (r0 + i * dh < h)
        for j in range(kw):
            cok = (c0 + j * dw >= 0) & (c0 + j * dw < w)
            rs = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            v = xp[:, :, rs, j * dw : j * dw + sw * (wo - 1) + 1 : sw]
            take = v > best
            if nan:
                take |= np.isnan(v)
            if pending:
                first = tap == 0
                if not (rok.all() and cok.all()):
                    first &= rok[:, None] & cok[None, :]
                take |= first
            np.maximum(best, v, out=best)  # a NaN stays, as PyTorch's value
            np.maximum(tap, np.multiply(take, i * kw + j + 1, dtype=np.int32), out=tap)
            if pending:
                pending = not tap.all()
    # flat offset of each kernel position inside its window, looked up by ``tap``
    offs = np.zeros(kh * kw + 1, dtype=np.int64)
    offs[1:] = (np.arange(kh)[:, None] * dh * w + np.arange(kw)[None, :] * dw).reshape(-1)
    plane = (r0[:, None] * w + c0[None, :]) + np.take(offs, tap)
    glob = plane + (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1, 1)
    if pending:  # windows with no tap in the input (dilation skipping it): index -1
        plane[tap == 0] = -1
        glob[tap == 0] = -1
    return glob, plane
