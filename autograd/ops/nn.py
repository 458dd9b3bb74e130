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


linear_p = Op("linear", _linear_fwd, save_for=((1,), (0,), ()), promote="arith").defvjp(
    _linear_vjp_x, _linear_vjp_w, _linear_vjp_b
)


def _softplus_fwd(x):
    return np.logaddexp(0, x)  # log(1 + exp(x)), stable for large |x|


def _softplus_vjp(grad, ans, x):
    from .elementwise import mul, sigmoid

    return mul(grad, sigmoid(x))


softplus_p = Op("softplus", _softplus_fwd, save=(0,)).defvjp(_softplus_vjp)


def _embedding_fwd(w, idx, padding_idx=None):
    return w[idx]


def _embedding_vjp(grad, ans, w, idx, padding_idx=None):
    # rows looked up at padding_idx get no gradient; repeated indices accumulate
    from .elementwise import mul
    from .shape import index_grad

    if padding_idx is not None:
        grad = mul(grad, (idx != padding_idx)[..., None])
    return index_grad(grad, idx=(idx,), shape=w.shape)


embedding_p = Op("embedding", _embedding_fwd, save=(1,)).defvjp(_embedding_vjp, None)
