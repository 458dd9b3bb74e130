"""Convolution as im2col (a strided window view, no Python loop over pixels or batch) plus one
BLAS contraction per call.

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
from .shape import getitem


def _windows(x, kh, kw, stride, padding, dilation):
    """(N, C, Ho, Wo, kh, kw) strided view of the zero-padded input."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
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


def _conv2d_fwd(x, w, stride, padding, dilation, groups):
    o, cg, kh, kw = w.shape
    cols, ho, wo = _cols(x, kh, kw, stride, padding, dilation, groups)
    wg = w.reshape(groups, o // groups, cg * kh * kw)
    out = np.matmul(wg, cols)  # (N, G, O/G, Ho*Wo): one batched GEMM, output already NCHW
    return out.reshape(x.shape[0], o, ho, wo)


def _conv2d_input_grad_fwd(gy, w, stride, padding, dilation, groups, xshape):
    n, c, h, wd = xshape
    o, cg, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    if (sh, sw) == (1, 1) and qh >= 0 and qw >= 0:
        # stride 1: a full correlation of gy with the flipped, channel-swapped kernel
        eh, ew = h - (ho + dh * (kh - 1) - 2 * ph), wd - (wo + dw * (kw - 1) - 2 * pw)
        gp = np.pad(gy, ((0, 0), (0, 0), (qh, qh + eh), (qw, qw + ew)))
        wt = w.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
        wt = wt.reshape(c, o // groups, kh, kw)
        return _conv2d_fwd(gp, wt, (1, 1), (0, 0), dilation, groups)
    wg = w.reshape(groups, o // groups, cg * kh * kw)
    gyg = gy.reshape(n, groups, o // groups, ho * wo)
    dcols = np.matmul(wg.swapaxes(-1, -2), gyg).reshape(n, c, kh, kw, ho, wo)
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=dcols.dtype)
    for i in range(kh):  # col2im: one vectorised add per kernel position
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


def _conv_kw(kw):
    return {k: kw[k] for k in ("stride", "padding", "dilation", "groups")}


def _crop_to(out, shape):
    """Crop a convolution output to ``shape``: an input grown by a transposed convolution's
    output_padding can hold more (stride-1) windows than the output it pairs with."""
    ho, wo = shape[2:]
    if tuple(out.shape[2:]) != (ho, wo):
        out = getitem(out, idx=(slice(None), slice(None), slice(0, ho), slice(0, wo)))
    return out


def _conv2d_vjp_x(grad, ans, x, w, **kw):
    return conv2d_input_grad_p(grad, w, xshape=tuple(x.shape), **kw)


def _conv2d_vjp_w(grad, ans, x, w, **kw):
    return conv2d_weight_grad_p(x, grad, wshape=tuple(w.shape), **kw)


conv2d_p = Op("conv2d", _conv2d_fwd, save_for=((1,), (0,)), promote="arith").defvjp(
    _conv2d_vjp_x, _conv2d_vjp_w
)


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
