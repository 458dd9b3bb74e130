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
    from .elementwise import _logaddexp

    return _logaddexp(0, x)  # log(1 + exp(x)), stable for large |x|


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
    from .elementwise import _exp

    lsm -= np.log(np.sum(_exp(lsm), axis=1, keepdims=True))
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


# NOTE [ In-place activations ]
# ``F.elu(x, inplace=True)`` (and ``elu_``, ``selu_``, ``celu_``, ``leaky_relu_``, ``rrelu_``) is
# the out-of-place op written back into ``x`` by ``Tensor._inplace``. As in PyTorch, whose
# derivatives.yaml gives these in-place ops their own formula (``EluBackward1``,
# ``LeakyReluBackward1``, ...), the in-place node reads the *result* instead of the overwritten
# input. So each of PyTorch's ops here (elu, which selu is too; celu; leaky_relu;
# rrelu_with_noise) has two records made by :func:`_input_and_result_records` over one forward
# and one derivative: ``<op>`` saves the input, ``<op>_`` (``save_out``) the result. Reading the
# sign of the result tells the branch only for a non-negative slope, so that backward raises
# PyTorch's error for a negative ``alpha`` or ``negative_slope`` (at backward, as PyTorch does).
_ELU_NEG_INPLACE = (
    "In-place elu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, "
    "please call out-of-place version instead."
)
_LEAKY_NEG_INPLACE = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, "
    "please call out-of-place version instead. File an issue at "
    "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
    "backward calculation with negative slope"
)


def _input_and_result_records(name, forward, grad, node):
    """The records of one activation (NOTE [ In-place activations ]): ``name`` saves the input
    (``<node>Backward0``), ``name_`` the result (``<node>Backward1``). ``grad(grad, v,
    is_result, **kw)`` is the derivative from either."""

    def from_input(g, ans, x, **kw):
        return grad(g, x, False, **kw)

    def from_result(g, ans, x, **kw):
        return grad(g, ans, True, **kw)

    from_input.__name__ = f"_{name}_vjp"
    from_result.__name__ = f"_{name}_result_vjp"
    return (
        Op(name, forward, save=(0,), node_name=node + "Backward0").defvjp(from_input),
        Op(name + "_", forward, save_out=True, node_name=node + "Backward1").defvjp(from_result),
    )


def _elu_fwd(x, alpha=1.0, scale=1.0, input_scale=1.0):
    """PyTorch's elu kernel: ``alpha * scale * (exp(input_scale * x) - 1)`` for ``x < 0``, else
    ``scale * x`` (so a signed zero keeps its sign, as in PyTorch); selu and celu are its
    special cases."""
    neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
    return np.where(x < 0, neg, x * scale if scale != 1 else x)


def _elu_grad(grad, v, is_result, alpha=1.0, scale=1.0, input_scale=1.0):
    """PyTorch's ``elu_backward``: from the input ``v`` (``alpha * scale * input_scale *
    exp(input_scale * v)`` on ``v <= 0``), or from the result (``input_scale * (v + alpha *
    scale)`` there); ``scale`` elsewhere. The slope at 0 is the negative branch's."""
    from .elementwise import add_p, exp, le, mul, where_p

    if is_result and alpha < 0:
        raise RuntimeError(_ELU_NEG_INPLACE)
    nonpos = le(v, 0)
    if is_result:
        dneg = mul(add_p(v, alpha * scale), input_scale)
    else:  # exp of the non-positive part only: no overflow in the branch not taken
        dneg = mul(exp(mul(where_p(nonpos, v, 0.0), input_scale)), alpha * scale * input_scale)
    return where_p(nonpos, mul(grad, dneg), mul(grad, scale) if scale != 1 else grad)


def _celu_grad(grad, v, is_result, alpha=1.0, input_scale=1.0):
    # PyTorch's celu derivative is elu_backward with ``1.0 / alpha.toFloat()``: 1/alpha with
    # alpha rounded to float32 (its forward uses the exact 1/alpha)
    return _elu_grad(grad, v, is_result, alpha, 1.0, 1.0 / float(np.float32(alpha)))


elu_p, elu_result_p = _input_and_result_records("elu", _elu_fwd, _elu_grad, "Elu")
celu_p, celu_result_p = _input_and_result_records("celu", _elu_fwd, _celu_grad, "Celu")


def _leaky_relu_fwd(x, negative_slope=0.01, noise=None):
    """``x`` for ``x > 0`` else ``negative_slope * x``; with ``noise`` (rrelu in training:
    the drawn slope where ``x <= 0``, 1 elsewhere), ``x * noise``."""
    if noise is not None:
        return x * noise
    return np.where(x > 0, x, x * negative_slope)


def _leaky_relu_grad(grad, v, is_result, negative_slope=0.01, noise=None):
    """PyTorch's ``leaky_relu_backward`` (``negative_slope`` where ``v <= 0``, from the input or
    the result); with ``noise``, its ``rrelu_with_noise_backward`` in training: ``grad *
    noise``."""
    from .elementwise import gt, mul, where_p

    if noise is not None:
        return mul(grad, noise)
    if is_result and negative_slope < 0:
        raise RuntimeError(_LEAKY_NEG_INPLACE)
    return where_p(gt(v, 0), grad, mul(grad, negative_slope))


leaky_relu_p, leaky_relu_result_p = _input_and_result_records(
    "leaky_relu", _leaky_relu_fwd, _leaky_relu_grad, "LeakyRelu"
)
rrelu_p, rrelu_result_p = _input_and_result_records(
    "rrelu_with_noise", _leaky_relu_fwd, _leaky_relu_grad, "RreluWithNoise"
)


# NOTE [ kl_div ]
# PyTorch's kl_div is the composite ``xlogy(t, t) - t * x`` (``exp(t) * (t - x)`` with
# ``log_target``), so its values and gradients are those of xlogy, mul, sub and exp: the loss is 0
# at a target of exactly 0 (xlogy), NaN for a negative target, and the target's gradient there
# is NaN (xlogy's ``grad * t / t``). Fused here (reduction 'none'; one record per formula, each
# shown as the composite's last node) to give exactly those values without NumPy's warnings for
# log(0) and 0/0 on every call with a zero target.
def _xlogy(x, y):
    """PyTorch's xlogy: ``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0, x * np.log(y))


def _kl_div_fwd(x, t):
    return _xlogy(t, t) - t * x


def _kl_div_vjp_x(grad, ans, x, t):
    from .elementwise import mul, neg

    return neg(mul(grad, t))


def _kl_div_vjp_t(grad, ans, x, t):
    """The sum of the composite's paths, as PyTorch's autograd adds them: xlogy's self gradient
    ``xlogy(grad, t)`` zeroed where ``t == 0``, its other gradient ``grad * t / t`` (NaN at
    ``t == 0``), and mul's ``-grad * x``."""
    from .elementwise import add_p, div_p, eq, isnan, log, mul, neg, where_p

    with np.errstate(divide="ignore", invalid="ignore"):
        glog = where_p(eq(grad, 0) & ~isnan(t), 0.0, mul(grad, log(t)))
        dself = where_p(eq(t, 0), 0.0, glog)
        return add_p(add_p(dself, div_p(mul(grad, t), t)), neg(mul(grad, x)))


def _kl_div_log_target_fwd(x, t):
    from .elementwise import _exp  # exp(t) may underflow to 0: not an error (see _exp)

    return _exp(t) * (t - x)


def _kl_div_log_target_vjp_x(grad, ans, x, t):
    from .elementwise import exp, mul, neg

    return neg(mul(grad, exp(t)))


def _kl_div_log_target_vjp_t(grad, ans, x, t):
    from .elementwise import add_p, exp, mul, sub_p

    e = exp(t)
    return add_p(mul(mul(grad, sub_p(t, x)), e), mul(grad, e))


kl_div_p = Op(
    "kl_div", _kl_div_fwd, save_for=((1,), (0, 1)), promote="arith", node_name="SubBackward0"
).defvjp(_kl_div_vjp_x, _kl_div_vjp_t)
kl_div_log_target_p = Op(
    "kl_div_log_target",
    _kl_div_log_target_fwd,
    save_for=((1,), (0, 1)),
    promote="arith",
    node_name="MulBackward0",
).defvjp(_kl_div_log_target_vjp_x, _kl_div_log_target_vjp_t)


# Binary cross-entropy on probabilities is fused for PyTorch's edge behaviour: each log is
# clamped at -100 so probabilities of exactly 0 or 1 give finite losses, and the input gradient
# is PyTorch's (x - t) / max(x (1 - x), 1e-12), finite there too (composed, 0 * inf gives NaN).
def _bce_fwd(x, t):
    with np.errstate(divide="ignore", under="ignore"):  # log(0) = -inf, clamped; log1p(-tiny)
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


# Binary cross-entropy on logits is fused so that its gradients are PyTorch's own formulas:
#     loss   = (1 - t) x - (1 + (pw - 1) t) logsigmoid(x)
#     d/dx   = sigmoid(x) - t                      or  (pw t + 1 - t) sigmoid(x) - pw t
#     d/dt   = -x                                  or  logsigmoid(-x) - pw logsigmoid(x)
#     d/dpw  = -t logsigmoid(x)
# Composed from softplus, d/dx is 1 - t - sigmoid(-x): the same number in exact arithmetic,
# but sigmoid(100) - 1 is exactly 0 in PyTorch and -3.7e-44 composed, and at x = 30 the
# composed form loses four digits to cancellation. logsigmoid(x) = -softplus(-x) is computed
# as -logaddexp(0, -x), which neither overflows nor underflows.
def _bce_logits_fwd(x, t, pw=None):
    nls = _softplus_fwd(-x)  # -logsigmoid(x)
    out = (1 - t) * x
    if pw is None:
        out += nls
    else:
        out += ((pw - 1) * t + 1) * nls
    return out.astype(np.result_type(x, t), copy=False)


def _bce_logits_vjp_x(grad, ans, x, t, pw=None):
    from .elementwise import add_p, mul, sigmoid, sub_p

    if pw is None:
        return mul(grad, sub_p(sigmoid(x), t))
    pt = mul(pw, t)
    return mul(grad, sub_p(mul(sub_p(add_p(pt, 1), t), sigmoid(x)), pt))


def _bce_logits_vjp_t(grad, ans, x, t, pw=None):
    from .elementwise import mul, neg, sub_p

    if pw is None:
        return mul(grad, neg(x))
    # logsigmoid(-x) - pw logsigmoid(x) = pw softplus(-x) - softplus(x)
    return mul(grad, sub_p(mul(pw, softplus_p(neg(x))), softplus_p(x)))


def _bce_logits_vjp_pw(grad, ans, x, t, pw=None):
    from .elementwise import mul, neg

    return mul(grad, mul(t, softplus_p(neg(x))))


bce_with_logits_p = Op(
    "binary_cross_entropy_with_logits", _bce_logits_fwd, save=(0, 1, 2), promote="arith"
).defvjp(_bce_logits_vjp_x, _bce_logits_vjp_t, _bce_logits_vjp_pw)


# ---------------------------------------------------------------------------------------------
# CTC loss
#
# NOTE [ CTC ]
# ``ctc_loss(log_probs (T, N, C), targets (N, S) padded, lengths)`` returns each sequence's
# negative log-likelihood ``(N,)``. Over the extended labels l' = (blank, l1, blank, ..., blank)
# (length L = 2 S + 1) the forward variables alpha[t, s] and backward variables beta[t, s] (both
# including the emission at (t, s)) run in log space, vectorised over the batch and s; the
# gradient with respect to log_probs[t, n, c] is minus the posterior probability that the path
# sits on a label c at step t: -sum_{s: l'_s = c} exp(alpha + beta - log_probs[t, c] + nll).
# (PyTorch's kernel returns that plus exp(log_probs), the gradient for a log_softmax input; both
# agree once composed with log_softmax. This one is the true partial derivative.)


def _ctc_ext(targets, blank):
    n, s = targets.shape
    ext = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    ext[:, 1::2] = targets
    # the skip transition s-2 -> s is allowed onto a label that differs from the one before
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _lse(*xs):
    m = xs[0]
    for x in xs[1:]:
        m = np.maximum(m, x)
    safe = np.where(np.isfinite(m), m, 0.0)
    tot = sum(np.exp(x - safe) for x in xs)
    with np.errstate(divide="ignore"):
        return np.log(tot) + safe


def _ctc_alpha_beta(lp, targets, input_lengths, target_lengths, blank, need_beta):
    T, N, C = lp.shape
    ext, skip = _ctc_ext(targets, blank)
    L = ext.shape[1]
    ninf = -np.inf
    valid = np.arange(L)[None, :] < (2 * target_lengths + 1)[:, None]  # (N, L)
    em = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, L)), axis=2)  # (T, N, L)
    em = np.where(valid[None], em, ninf)
    alpha = np.full((T, N, L), ninf, dtype=lp.dtype)
    if T:
        alpha[0, :, 0] = em[0, :, 0]
        if L > 1:
            alpha[0, :, 1] = np.where(target_lengths > 0, em[0, :, 1], ninf)
    pad1 = np.full((N, 1), ninf, dtype=lp.dtype)
    pad2 = np.full((N, 2), ninf, dtype=lp.dtype)
    for t in range(1, T):
        a = alpha[t - 1]
        a1 = np.concatenate([pad1, a[:, :-1]], axis=1)
        a2 = np.where(skip, np.concatenate([pad2, a[:, :-2]], axis=1), ninf)
        alpha[t] = _lse(a, a1, a2) + em[t]
    last = np.clip(input_lengths - 1, 0, max(T - 1, 0))
    b_idx = np.arange(N)
    end1 = 2 * target_lengths
    end0 = np.maximum(end1 - 1, 0)
    if T:
        aT = alpha[last, b_idx]
        ll = _lse(aT[b_idx, end1], np.where(target_lengths > 0, aT[b_idx, end0], ninf))
    else:
        ll = np.zeros(N, dtype=lp.dtype)
    ll = np.where(input_lengths > 0, ll, np.where(target_lengths == 0, 0.0, ninf))
    if not need_beta:
        return -ll, None, None, ext
    beta = np.full((T, N, L), ninf, dtype=lp.dtype)
    skip_next = np.zeros(ext.shape, dtype=bool)  # s -> s+2 allowed
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            b = beta[t + 1]
            b1 = np.concatenate([b[:, 1:], pad1], axis=1)
            b2 = np.where(skip_next, np.concatenate([b[:, 2:], pad2], axis=1), ninf)
            rec = _lse(b, b1, b2) + em[t]
        else:
            rec = np.full((N, L), ninf, dtype=lp.dtype)
        start = input_lengths - 1 == t  # sequences whose last step is t
        init = np.full((N, L), ninf, dtype=lp.dtype)
        init[b_idx, end1] = em[t, b_idx, end1]
        init[b_idx, end0] = np.where(target_lengths > 0, em[t, b_idx, end0], init[b_idx, end0])
        alive = (t < input_lengths - 1)[:, None]
        beta[t] = np.where(start[:, None], init, np.where(alive, rec, ninf))
    return -ll, alpha, beta, ext


def _ctc_fwd(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    nll = _ctc_alpha_beta(lp, targets, input_lengths, target_lengths, blank, False)[0]
    if zero_infinity:
        nll = np.where(np.isinf(nll), 0.0, nll)
    return nll.astype(lp.dtype, copy=False)


def _ctc_vjp(grad, ans, lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    from .elementwise import mul

    if type(lp) is not np.ndarray:
        raise RuntimeError("ctc_loss: double backward (create_graph=True) is not supported")
    nll, alpha, beta, ext = _ctc_alpha_beta(lp, targets, input_lengths, target_lengths, blank, True)
    T, N, C = lp.shape
    em = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, ext.shape[1])), axis=2)
    with np.errstate(invalid="ignore", over="ignore"):
        post = np.exp(alpha + beta - em + nll[None, :, None])  # (T, N, L)
        post = np.where(np.isfinite(alpha + beta), post, 0.0)
        if not zero_infinity:
            post = np.where(np.isinf(nll)[None, :, None], np.nan, post)
    onehot = np.zeros((N, ext.shape[1], C), dtype=lp.dtype)
    np.put_along_axis(onehot, ext[:, :, None], 1.0, axis=2)
    g = -np.einsum("tns,nsc->tnc", post, onehot)
    if zero_infinity:
        g = np.where(np.isinf(nll)[None, :, None], 0.0, g)
    return mul(reshape_p(grad, shape=(1, N, 1)), g.astype(lp.dtype, copy=False))


ctc_loss_p = Op("ctc_loss", _ctc_fwd, save=(0,)).defvjp(_ctc_vjp)
