"""The fused normalization primitive behind batch, layer, group and instance norm.

See NOTE [ Fused normalization ] below.
"""

from __future__ import annotations

import numpy as np

from ._registry import Op
from .elementwise import add_p, mul, rsqrt, sub_p
from .reduction import mean_p

# ---------------------------------------------------------------------------------------------
# normalization
#
# NOTE [ Fused normalization ]
# Batch, layer and group norm are one op, ``y = (x - mean) * rstd * w + b``, where the statistics
# are over ``axes`` and ``w``/``b`` (optional) broadcast against ``x``. The caller computes
# ``mean`` and ``rstd`` once with :func:`moments` (two passes, no E[x^2] - E[x]^2 cancellation)
# and hands them over as constant keywords (batch norm needs them anyway for its running
# statistics). The VJP is the closed form, with xhat = (x - mean) * rstd and gh = g * w:
#     dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)),  dw = g * xhat,  db = g
# (dw, db summed to the parameters' shapes). A plain backward runs it in NumPy, in place, with a
# single full-size temporary when ``w`` is per-channel like the statistics (batch norm). Under
# ``create_graph`` it is written with registered ops and recomputes xhat and rstd from ``x``,
# so the gradient is itself differentiable.


def _dot_over(a, b, axes):
    """``sum(a * b)`` over ``axes`` without the product's temporary (einsum)."""
    letters = "abcdefghijklmnopqrstuvw"[: a.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    return np.einsum(f"{letters},{letters}->{kept}", a, b)


def moments(x, axes):
    """Mean and biased variance of the array ``x`` over ``axes``, both with kept dims."""
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = _dot_over(xc, xc, axes).reshape(mean.shape)
    var /= max(x.size // max(mean.size, 1), 1)
    return mean, var


def _present(t):
    """Whether an optional input was given (a missing one reaches a VJP as ``Meta(None)``)."""
    return t is not None and getattr(t, "shape", None) is not None


def _param_axes(shape, ndim_x, xshape):
    """The axes of ``x`` a parameter of ``shape`` (broadcast against ``x``) is summed over."""
    lead = ndim_x - len(shape)
    return tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and xshape[i + lead] != 1
    )


def _norm_fwd(x, w, b, mean, rstd, axes, eps):
    # one scale and one shift per statistic when w is constant over the statistics' axes (batch
    # norm; PyTorch's CPU kernel folds them the same way): two passes over x instead of four
    if w is None or _covers(w.shape, axes, x):
        scale = rstd if w is None else rstd * w
        shift = -mean * scale
        if b is not None:
            shift = shift + b
        out = np.multiply(x, scale)
        out += shift
        return out
    out = np.subtract(x, mean)
    out *= rstd
    out *= w
    if b is not None:
        out += b
    return out


def _norm_vjp(grad, ans, x, w, b, mean, rstd, axes, eps):
    has_w, has_b = _present(w), _present(b)
    if type(grad) is np.ndarray and type(x) is np.ndarray:
        return _norm_vjp_numpy(
            grad, x, w if has_w else None, b if has_b else None, mean, rstd, axes
        )
    # create_graph: xhat and rstd as functions of x, with registered ops
    xc = sub_p(x, mean_p(x, axis=axes, keepdims=True))
    rstd = rsqrt(add_p(mean_p(mul(xc, xc), axis=axes, keepdims=True), eps))
    xhat = mul(xc, rstd)
    gh = mul(grad, w) if has_w else grad
    gm = mean_p(gh, axis=axes, keepdims=True)
    gxm = mean_p(mul(gh, xhat), axis=axes, keepdims=True)
    gx = mul(sub_p(sub_p(gh, gm), mul(xhat, gxm)), rstd)
    return [gx, mul(grad, xhat) if has_w else None, grad if has_b else None]


def _norm_vjp_numpy(g, x, w, b, mean, rstd, axes):
    n = g.size // rstd.size
    xhat = np.subtract(x, mean)
    xhat *= rstd
    gw = gb = None
    if w is None or _covers(w.shape, axes, g):
        # w constant over the statistics' axes (batch norm): mean(g w) = w mean(g), so the sums
        # of g over those axes serve dx, dw and db alike, and there is no g * w temporary
        gsum = g.sum(axis=axes, keepdims=True)
        gdot = _dot_over(g, xhat, axes).reshape(rstd.shape)
        if w is not None:
            gw = _sum_kept(gdot, w.shape)
        if b is not None:
            gb = _sum_kept(gsum, b.shape) if _covers(b.shape, axes, g) else _sum_like(g, b.shape)
        gh, scale = g, (rstd if w is None else rstd * w)
    else:
        pa = _param_axes(w.shape, g.ndim, g.shape)
        gw = _dot_over(g, xhat, pa).reshape(w.shape) if pa else g * xhat
        if b is not None:
            gb = _sum_like(g, b.shape)
        gh, scale = g * w, rstd
        gsum = gh.sum(axis=axes, keepdims=True)
        gdot = _dot_over(gh, xhat, axes).reshape(rstd.shape)
    xhat *= gdot / n  # the temporary becomes dx
    np.subtract(gh, xhat, out=xhat)
    xhat -= gsum / n
    xhat *= scale
    return [xhat, gw, gb]


def _covers(pshape, axes, g):
    """Whether a parameter of ``pshape`` is constant over every axis in ``axes``."""
    lead = g.ndim - len(pshape)
    return all(a < lead or pshape[a - lead] == 1 for a in axes)


def _sum_kept(s, pshape):
    """Reduce ``s`` (kept dims, as ``x``) to a parameter's ``pshape``."""
    pa = _param_axes(pshape, s.ndim, s.shape)
    return (s.sum(axis=pa) if pa else s).reshape(pshape)


def _sum_like(g, pshape):
    pa = _param_axes(pshape, g.ndim, g.shape)
    return (g.sum(axis=pa) if pa else g).reshape(pshape)


norm_p = Op("norm", _norm_fwd, save=(0, 1)).defvjp_all(_norm_vjp)
