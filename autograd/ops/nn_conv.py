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


def _windows(x, kh, kw, stride, padding, dilation):
    """(N, C, Ho, Wo, kh, kw) strided view of the zero-padded input."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    v = np.lib.stride_tricks.sliding_window_view(x, (ekh, ekw), axis=(2, 3))
    return v[:, :, ::sh, ::sw, ::dh, ::dw]


def _conv2d_fwd(x, w, stride, padding, dilation, groups):
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    cols = _windows(x, kh, kw, stride, padding, dilation)  # (N, C, Ho, Wo, kh, kw)
    ho, wo = cols.shape[2:4]
    if groups == 1:
        out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, O)
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
    cols = cols.reshape(n, groups, cg, ho, wo, kh, kw)
    wg = w.reshape(groups, o // groups, cg, kh, kw)
    out = np.einsum("ngchwij,gocij->ngohw", cols, wg, optimize=True)
    return np.ascontiguousarray(out.reshape(n, o, ho, wo))


def _conv2d_input_grad_fwd(gy, w, stride, padding, dilation, groups, xshape):
    n, c, h, wd = xshape
    o, cg, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if groups == 1:
        dcols = np.tensordot(gy, w, axes=([1], [0]))  # (N, Ho, Wo, C, kh, kw)
        dcols = dcols.transpose(0, 3, 1, 2, 4, 5)
    else:
        gyg = gy.reshape(n, groups, o // groups, ho, wo)
        wg = w.reshape(groups, o // groups, cg, kh, kw)
        dcols = np.einsum("ngohw,gocij->ngchwij", gyg, wg, optimize=True)
        dcols = dcols.reshape(n, c, ho, wo, kh, kw)
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=np.result_type(gy, w))
    for i in range(kh):  # col2im: one vectorised add per kernel position
        for j in range(kw):
            r0, c0 = i * dh, j * dw
            xp[:, :, r0 : r0 + sh * (ho - 1) + 1 : sh, c0 : c0 + sw * (wo - 1) + 1 : sw] += dcols[
                :, :, :, :, i, j
            ]
    return xp[:, :, ph : ph + h, pw : pw + wd]


def _conv2d_weight_grad_fwd(x, gy, stride, padding, dilation, groups, wshape):
    o, cg, kh, kw = wshape
    n = x.shape[0]
    cols = _windows(x, kh, kw, stride, padding, dilation)
    ho, wo = cols.shape[2:4]
    if groups == 1:
        dw = np.tensordot(gy, cols, axes=([0, 2, 3], [0, 2, 3]))  # (O, C, kh, kw)
        return np.ascontiguousarray(dw)
    cols = cols.reshape(n, groups, cg, ho, wo, kh, kw)
    gyg = gy.reshape(n, groups, o // groups, ho, wo)
    dw = np.einsum("ngohw,ngchwij->gocij", gyg, cols, optimize=True)
    return np.ascontiguousarray(dw.reshape(wshape))


def _conv_kw(kw):
    return {k: kw[k] for k in ("stride", "padding", "dilation", "groups")}


def _conv2d_vjp_x(grad, ans, x, w, **kw):
    return conv2d_input_grad_p(grad, w, xshape=tuple(x.shape), **kw)


def _conv2d_vjp_w(grad, ans, x, w, **kw):
    return conv2d_weight_grad_p(x, grad, wshape=tuple(w.shape), **kw)


conv2d_p = Op("conv2d", _conv2d_fwd, save_for=((1,), (0,)), promote="arith").defvjp(
    _conv2d_vjp_x, _conv2d_vjp_w
)


def _input_grad_vjp_gy(grad, ans, gy, w, xshape, **kw):
    return conv2d_p(grad, w, **kw)


def _input_grad_vjp_w(grad, ans, gy, w, xshape, **kw):
    return conv2d_weight_grad_p(grad, gy, wshape=tuple(w.shape), **kw)


conv2d_input_grad_p = Op("conv2d_input_grad", _conv2d_input_grad_fwd, save_for=((1,), (0,))).defvjp(
    _input_grad_vjp_gy, _input_grad_vjp_w
)


def _weight_grad_vjp_x(grad, ans, x, gy, wshape, **kw):
    return conv2d_input_grad_p(gy, grad, xshape=tuple(x.shape), **kw)


def _weight_grad_vjp_gy(grad, ans, x, gy, wshape, **kw):
    return conv2d_p(x, grad, **kw)


conv2d_weight_grad_p = Op(
    "conv2d_weight_grad", _conv2d_weight_grad_fwd, save_for=((1,), (0,))
).defvjp(_weight_grad_vjp_x, _weight_grad_vjp_gy)
