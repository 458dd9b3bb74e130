"""Fused primitives for neural-network layers.

Each is one op with its own VJP because composing it from smaller ops would cost extra passes
over memory or accuracy. Convolution, pooling and the norms live here too (added with ``nn``).
"""

from __future__ import annotations

import numpy as np

from ._registry import Op
from .shape import reshape_p, sum_p


def _linear_fwd(x, w, b=None):
    out = np.matmul(x, w.T)
    if b is not None:
        out += b
    return out


def _linear_vjp_x(grad, ans, x, w, b=None):
    from .linalg import matmul_p

    return matmul_p(grad, w)


def _linear_vjp_w(grad, ans, x, w, b=None):
    # grad^T @ x, with any batch dims folded into the rows: one BLAS call, and the result
    # comes out (out_features, in_features) in C order, like the weight itself.
    from .linalg import _mT, matmul_p

    g2 = reshape_p(grad, shape=(-1, grad.shape[-1])) if grad.ndim != 2 else grad
    x2 = reshape_p(x, shape=(-1, x.shape[-1])) if x.ndim != 2 else x
    return matmul_p(_mT(g2), x2)


def _linear_vjp_b(grad, ans, x, w, b=None):
    if grad.ndim == 1:
        return grad
    return sum_p(grad, axis=tuple(range(grad.ndim - 1)), keepdims=False)


def _linear_node_name(node) -> str:
    # PyTorch's linear on a matrix is addmm (mm without a bias); other ranks keep our name
    if len(node.shapes[0]) == 2:
        return "AddmmBackward0" if len(node.shapes) > 2 else "MmBackward0"
    return "LinearBackward0"


linear_p = Op(
    "linear",
    _linear_fwd,
    save_for=((1,), (0,), ()),
    promote="arith",
    node_name=_linear_node_name,
).defvjp(_linear_vjp_x, _linear_vjp_w, _linear_vjp_b)


def _softplus_fwd(x):
    return np.logaddexp(0, x)  # log(1 + exp(x)), stable for large |x|


def _softplus_vjp(grad, ans, x):
    from .elementwise import mul, sigmoid

    return mul(grad, sigmoid(x))


softplus_p = Op("softplus", _softplus_fwd, save=(0,)).defvjp(_softplus_vjp)


def _embedding_fwd(w, idx, padding_idx=None, scale_grad_by_freq=False):
    return w[idx]


def _embedding_vjp(grad, ans, w, idx, padding_idx=None, scale_grad_by_freq=False):
    # rows looked up at padding_idx get no gradient; repeated indices accumulate (divided by
    # their count in the batch with scale_grad_by_freq, as PyTorch does)
    from .elementwise import mul
    from .indexing import index_grad

    scale = None
    if scale_grad_by_freq:
        _, inv, counts = np.unique(idx, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inv.reshape(idx.shape)])[..., None]
    if padding_idx is not None:
        keep = (idx != padding_idx)[..., None]
        scale = keep if scale is None else scale * keep
    if scale is not None:
        grad = mul(grad, scale.astype(grad.dtype, copy=False))
    return index_grad(grad, idx=(idx,), shape=w.shape)


embedding_p = Op("embedding", _embedding_fwd, save=(1,)).defvjp(_embedding_vjp, None)


# NOTE [ Fused cross-entropy ]
# Composed, cross-entropy is log_softmax (an (N, C) array kept for backward) then a gather and
# a weighted sum, each with its own backward pass. Fused, the forward keeps only the logits and
# the backward is one softmax pass. With class axis 1 (logits (N, C, d...), targets (N, d...)),
# label smoothing eps and class weights w, the loss of element i is
#     l_i = -m_i * sum_c a_ic * log_softmax(x_i)_c,
#     a_ic = (1 - eps) * w[t_i] * [c == t_i] + eps / C * w_c,
# with m_i = 0 for an ignored target; so dl_i/dx_i = m_i * (A_i * softmax(x_i) - a_i), where
# A_i = sum_c a_ic. The reduction is part of the op, as in PyTorch's nll_loss (whose name its
# grad_fn shows): 'sum' adds the l_i, 'mean' divides that by the summed weight w[t_i] of the kept
# targets (PyTorch's rule); the VJP spreads the scalar gradient back over the elements.


def _ce_coefs(target, weight, ignore_index, eps, c):
    mask = target != ignore_index
    t = np.where(mask, target, 0)
    wt = 1.0 if weight is None else weight[t]
    coef_t = mask * ((1 - eps) * wt)  # a_i at the target class (without the smoothing part)
    wsum = c if weight is None else float(np.sum(weight))
    big_a = coef_t + mask * (eps / c * wsum) if eps else coef_t
    return mask, t, coef_t, big_a


def _ce_scale(target, weight, ignore_index, reduction):
    """d(reduced loss)/d(l_i): 1 for 'sum', 1/(summed kept target weight) for 'mean'."""
    if reduction == "sum":
        return 1.0
    mask = target != ignore_index
    if weight is None:
        denom = float(np.count_nonzero(mask))
    else:
        denom = float(np.sum(weight[np.where(mask, target, 0)][mask]))
    with np.errstate(divide="ignore"):
        return np.float64(1.0) / denom  # all targets ignored: nan loss, as in PyTorch


def _cross_entropy_fwd(
    x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="none"
):
    lsm = x - np.amax(x, axis=1, keepdims=True)
    lsm -= np.log(np.sum(np.exp(lsm), axis=1, keepdims=True))
    eps = label_smoothing
    c = x.shape[1]
    mask, t, coef_t, _ = _ce_coefs(target, weight, ignore_index, eps, c)
    out = -np.take_along_axis(lsm, t[:, None], axis=1)[:, 0] * coef_t
    if eps:
        if weight is not None:
            lsm *= weight.reshape((1, c) + (1,) * (x.ndim - 2))
        out -= mask * (eps / c) * np.sum(lsm, axis=1)
    if reduction != "none":
        with np.errstate(invalid="ignore"):
            out = np.sum(out) * _ce_scale(target, weight, ignore_index, reduction)
    return np.asarray(out, dtype=x.dtype)


def _cross_entropy_vjp(
    grad, ans, x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="none"
):
    from .elementwise import mul, sub_p
    from .reduction import _softmax_fwd, softmax_p
    from .shape import broadcast_to_p

    if reduction != "none":  # the scalar gradient, spread over the per-element losses
        g = grad * float(_ce_scale(target, weight, ignore_index, reduction))
        if isinstance(g, np.ndarray):
            grad = np.broadcast_to(g, target.shape)
        else:
            grad = broadcast_to_p(g, shape=tuple(target.shape))
    eps = label_smoothing
    c = x.shape[1]
    dt = x.dtype
    mask, t, coef_t, big_a = _ce_coefs(target, weight, ignore_index, eps, c)
    cshape = (1, c) + (1,) * (x.ndim - 2)
    if isinstance(grad, np.ndarray) and isinstance(x, np.ndarray):
        # plain backward: in-place NumPy on one softmax array
        out = _softmax_fwd(x, 1)
        out *= np.expand_dims(grad * big_a, 1).astype(dt, copy=False)
        idx = t[:, None]
        cur = np.take_along_axis(out, idx, axis=1)
        np.put_along_axis(out, idx, cur - np.expand_dims(grad * coef_t, 1), axis=1)
        if eps:
            wc = 1.0 if weight is None else weight.reshape(cshape)
            out -= np.expand_dims(grad * mask * (eps / c), 1) * wc
        return out
    # create_graph: the same formula with registered ops, so it is differentiable again
    a = np.zeros(x.shape, dtype=dt)
    np.put_along_axis(a, t[:, None], np.expand_dims(coef_t, 1), axis=1)
    if eps:
        wc = np.ones(cshape) if weight is None else weight.reshape(cshape)
        a += np.expand_dims(mask * (eps / c), 1) * wc
    g = reshape_p(grad, shape=(grad.shape[0], 1) + tuple(grad.shape[1:]))
    big = np.expand_dims(np.broadcast_to(big_a, mask.shape), 1).astype(dt)
    return sub_p(mul(mul(g, big), softmax_p(x, axis=1)), mul(g, a))


cross_entropy_p = Op(
    "cross_entropy", _cross_entropy_fwd, save=(0,), node_name="NllLossBackward0"
).defvjp(_cross_entropy_vjp)


# GELU is fused: composed it is five elementwise passes forward and more backward (it sits in
# every transformer feed-forward block). The VJP is written with registered ops.
_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_K_TANH = 0.7978845608028654  # sqrt(2 / pi)


def _gelu_fwd(x, approximate="none"):
    if approximate == "tanh":
        inner = x * x
        inner *= 0.044715
        inner += 1.0
        inner *= x
        inner *= _K_TANH
        out = np.tanh(inner, out=inner)
    else:
        from .elementwise import _erf

        out = _erf(x * _SQRT1_2)
    out += 1.0
    out *= x
    out *= 0.5
    return out.astype(x.dtype, copy=False)


def _gelu_vjp(grad, ans, x, approximate="none"):
    from .elementwise import add_p, erf, exp, mul, square, sub_p, tanh

    if approximate == "tanh":
        x2 = square(x)
        th = tanh(mul(mul(x, add_p(mul(x2, 0.044715), 1.0)), _K_TANH))
        left = mul(add_p(th, 1.0), 0.5)
        dinner = mul(add_p(mul(x2, 3 * 0.044715), 1.0), 0.5 * _K_TANH)
        return mul(grad, add_p(left, mul(mul(x, sub_p(1.0, square(th))), dinner)))
    cdf = mul(add_p(erf(mul(x, _SQRT1_2)), 1.0), 0.5)
    pdf = mul(exp(mul(square(x), -0.5)), _INV_SQRT_2PI)
    return mul(grad, add_p(cdf, mul(x, pdf)))


gelu_p = Op("gelu", _gelu_fwd, save=(0,)).defvjp(_gelu_vjp)


# Binary cross-entropy on probabilities is fused for PyTorch's edge behaviour: each log is
# clamped at -100 so probabilities of exactly 0 or 1 give finite losses, and the input gradient
# is PyTorch's (x - t) / max(x (1 - x), 1e-12), finite there too (composed, 0 * inf gives NaN).
def _bce_fwd(x, t):
    with np.errstate(divide="ignore"):
        lx = np.maximum(np.log(x), -100.0)
        l1x = np.maximum(np.log1p(-x), -100.0)
    return np.negative(t * lx + (1 - t) * l1x)


def _bce_vjp_x(grad, ans, x, t):
    from .elementwise import div_p, maximum, mul, sub_p

    return div_p(mul(grad, sub_p(x, t)), maximum(mul(sub_p(1.0, x), x), 1e-12))


def _bce_vjp_t(grad, ans, x, t):
    from .elementwise import clamp_p, log, log1p, mul, neg, sub_p

    with np.errstate(divide="ignore"):
        return mul(grad, sub_p(clamp_p(log1p(neg(x)), min=-100.0), clamp_p(log(x), min=-100.0)))


binary_cross_entropy_p = Op("binary_cross_entropy", _bce_fwd, save=(0, 1), promote="arith").defvjp(
    _bce_vjp_x, _bce_vjp_t
)
