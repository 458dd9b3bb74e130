"""Reparameterised gamma and Dirichlet draws (``torch._standard_gamma``, ``_Dirichlet``).

NOTE [ Implicit reparameterisation ]
A Gamma(alpha, 1) draw ``z`` has no closed-form transform of parameter-free noise, so its
gradient comes from the implicit function theorem (Figurnov et al. 2018): holding the CDF level
``u = F(z; alpha)`` fixed, ``dz/dalpha = -(dF/dalpha)(z; alpha) / f(z; alpha)``. PyTorch
evaluates this with ``standard_gamma_grad`` (``aten/src/ATen/native/Distributions.h``): a Taylor
series of the CDF for ``z < 0.8``, a Rice saddle-point expansion for ``alpha > 8``, and a
bivariate rational fit in ``(log(z/alpha), log(alpha))`` otherwise; its accuracy is about 1e-3
relative in the worst places (measured in ``tests/autograd/test_distributions.py``).
``dirichlet_grad`` is the Beta analogue that the Dirichlet (and so Beta) draws use. The
functions here evaluate the same formulas in float64 over whole arrays, so the gradients match
PyTorch's to rounding.

The draw itself is made by :func:`autograd.compiler.arrays` (NumPy's Marsaglia-Tsang sampler on
the current concentrations, from ``autograd.random``'s generator), and the op takes it as a
second, non-differentiable input. So an ``autograd.compile`` replay draws afresh in the same
order as eager, and a ``create_graph`` re-run of the recorded ops reuses the same draw.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import no_grad
from ..tensor import Tensor
from ._registry import Op
from .elementwise import _digamma_f64, mul, sub
from .reduction import sum_p

__all__ = ["dirichlet", "dirichlet_grad", "standard_gamma", "standard_gamma_grad"]


def _not_implemented(name):
    def vjp(grad, ans, *args, **kwargs):
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")

    vjp.__name__ = vjp.__qualname__ = f"_{name.strip('_')}_vjp"
    return vjp


def _f64(*arrays):
    return np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))


def _out_dtype(*arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return a.dtype
    return _dt.get_default_dtype()


# ---------------------------------------------------------------------------------------
# dz/dalpha of a standard gamma draw

# p/q coefficients of the rational fit, each a quadratic in u = log(x/alpha), rows by power of u
_SGG_UV = np.array(
    [
        [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089,
         0.0014179084],
        [0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113,
         -0.0035938915, -0.00058392623],
        [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
         0.00085092367, -1.5247877e-07],
    ]
)  # fmt: skip


def _sgg_taylor(a, x):
    """Small x: the CDF's power series in x (six terms) and its alpha-derivative."""
    numer = np.ones_like(x)
    denom = a.copy()
    s1 = numer / denom
    s2 = numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        s1 = s1 + numer / denom
        s2 = s2 + numer / (denom * denom)
    pow_xa = x**a
    pdf = x ** (a - 1) * np.exp(-x)
    cdf = pow_xa * s1
    cdf_a = (np.log(x) - _digamma_f64(a)) * cdf - pow_xa * s2
    out = -cdf_a / pdf
    return np.where(np.isnan(out), 0.0, out)


def _sgg_saddle(a, x):
    """Large alpha: Rice's saddle-point expansion (a polynomial within 10% of the mode)."""
    near = (0.9 * a <= x) & (x <= 1.1 * a)
    n1 = 1 + 24 * a * (1 + 12 * a)
    n2 = 1440 * (a * a) + 6 * x * (53 - 120 * x) - 65 * x * x / a + a * (107 + 3600 * x)
    poly = n1 * n2 / (1244160 * (a * a) * (a * a))
    denom = np.sqrt(8 * a)
    t2 = denom / (a - x)
    t3 = (x - a - a * np.log(x / a)) ** -1.5
    t23 = np.where(x < a, t2 - t3, t2 + t3)
    t1 = np.log(x / a) * t23 - np.sqrt(2 / a) * (a + x) / ((a - x) * (a - x))
    stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
    far = -stirling * (x * t1) / denom
    return np.where(near, poly, far)


def _sgg_rational(a, x):
    u = np.log(x / a)
    v = np.log(a)
    c = [_SGG_UV[0, i] + u * (_SGG_UV[1, i] + u * _SGG_UV[2, i]) for i in range(8)]
    p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
    q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
    return np.exp(p / q)


def _standard_gamma_grad_fwd(alpha, x):
    dt = _out_dtype(alpha, x)
    a, z = _f64(alpha, x)
    out = np.zeros(a.shape)
    with np.errstate(all="ignore"):
        small = z < 0.8
        large = ~small & (a > 8.0)
        rest = ~small & ~large
        for mask, fn in ((small, _sgg_taylor), (large, _sgg_saddle), (rest, _sgg_rational)):
            if mask.any():
                out[mask] = fn(a[mask], z[mask])
    return out.astype(dt, copy=False)


standard_gamma_grad = Op(
    "_standard_gamma_grad", _standard_gamma_grad_fwd, node_name="StandardGammaGradBackward0"
)
standard_gamma_grad.defvjp(
    _not_implemented("_standard_gamma_grad"), _not_implemented("_standard_gamma_grad")
)
standard_gamma_grad.doc = """``-(dF/dalpha)(x; alpha) / f(x; alpha)`` for a Gamma(alpha, 1)
draw ``x`` (PyTorch's ``torch._standard_gamma_grad(alpha, x)``); see NOTE [ Implicit
reparameterisation ]. Computed in float64, returned in the inputs' float dtype. Not
differentiable (PyTorch raises the same NotImplementedError)."""


# ---------------------------------------------------------------------------------------
# the Beta analogue used by Dirichlet draws

# c[0] holds p's coefficients and c[1] q's, indexed [power of u][power of a][power of b]
_DG_C = np.array(
    [
        [
            [[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
             [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
             [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
            [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
             [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
             [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
            [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
             [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
             [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]],
        ],
        [
            [[1, -0.02924021934, -0.04438342661, 0.007285809825],
             [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
             [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
            [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
             [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
             [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
            [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
             [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
             [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]],
        ],
    ]
)  # fmt: skip


def _beta_grad_alpha_small(x, a, b):
    """x near 0: Taylor series of the Beta CDF's alpha-derivative."""
    factor = _digamma_f64(a) - _digamma_f64(a + b) - np.log(x)
    numer = np.ones_like(x)
    series = numer / a * (factor + 1 / a)
    for i in range(1, 11):
        numer = numer * ((i - b) * x / i)
        denom = a + i
        series = series + numer / denom * (factor + 1 / denom)
    out = x * (1 - x) ** -b * series
    return np.where(np.isnan(out), 0.0, out)


def _beta_grad_beta_small(x, a, b):
    """x near 0: Taylor series of the Beta CDF's beta-derivative."""
    factor = _digamma_f64(a + b) - _digamma_f64(b)
    numer = np.ones_like(x)
    betas = np.ones_like(x)
    dbetas = np.zeros_like(x)
    series = factor / a
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (b - i) + betas
        betas = betas * (b - i)
        series = series + numer / (a + i) * (dbetas + factor * betas)
    out = -((1 - x) ** (1 - b)) * series
    return np.where(np.isnan(out), 0.0, out)


def _beta_grad_alpha_mid(x, a, b):
    """alpha, beta both large: Rice saddle-point expansion (a polynomial near the mean)."""
    total = a + b
    mean = a / total
    std = np.sqrt(a * b / (total + 1)) / total
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    poly = 47 * x * (b * b) * (b * b) + a * (
        (43 + 20 * (16 + 27 * b) * x) * (b * b) * b
        + a
        * (
            3 * (59 + 180 * b - 90 * x) * (b * b)
            + a * ((453 + 1620 * b * (1 - x) - 455 * x) * b + a * (8 * (1 - x) * (135 * b - 11)))
        )
    )
    pre_num = (1 + 12 * a) * (1 + 12 * b) / (total * total)
    pre_den = 12960 * a * a * a * b * b * (1 + 12 * total)
    at_mean = pre_num / (1 - x) * poly / pre_den
    prefactor = -x / np.sqrt(2 * a * b / total)
    stirling = (
        (1 + 1 / (12 * a) + 1 / (288 * a * a))
        * (1 + 1 / (12 * b) + 1 / (288 * b * b))
        / (1 + 1 / (12 * total) + 1 / (288 * total * total))
    )
    t1_num = 2 * (a * a) * (x - 1) + a * b * (x - 1) - x * (b * b)
    axbx = a * (x - 1) + b * x
    t1 = t1_num / (np.sqrt(2 * a / b) * total**1.5 * axbx * axbx)
    t2 = 0.5 * np.log(a / (total * x))
    t3 = np.sqrt(8 * a * b / total) / (b * x + a * (x - 1))
    t4 = (b * np.log(b / (total * (1 - x))) + a * np.log(a / (total * x))) ** -1.5
    t1234 = t1 + t2 * (t3 + np.where(x < mean, t4, -t4))
    return np.where(near, at_mean, stirling * prefactor * t1234)


def _beta_grad_rational(x, a, total):
    """Elsewhere: a rational correction to ``x (psi(total) - psi(alpha)) / beta``."""
    u = np.log(x)
    la = np.log(a) - u
    lb = np.log(total) - la
    pu = (np.ones_like(u), u, u * u)
    pa = (np.ones_like(u), la, la * la)
    p = np.zeros_like(u)
    q = np.zeros_like(u)
    for i in range(3):
        for j in range(3):
            ua = pu[i] * pa[j]
            cp, cq = _DG_C[0, i, j], _DG_C[1, i, j]
            p = p + ua * (cp[0] + lb * (cp[1] + lb * (cp[2] + lb * cp[3])))
            q = q + ua * (cq[0] + lb * (cq[1] + lb * (cq[2] + lb * cq[3])))
    approx = x * (_digamma_f64(total) - _digamma_f64(a)) / (total - a)
    return p / q * approx


def _dirichlet_grad_fwd(x, alpha, total):
    dt = _out_dtype(x, alpha, total)
    x, a, t = _f64(x, alpha, total)
    b = t - a
    boundary = t * x * (1 - x)
    out = np.zeros(x.shape)
    with np.errstate(all="ignore"):
        near0 = (x <= 0.5) & (boundary < 2.5)
        near1 = ~near0 & (x >= 0.5) & (boundary < 0.75)
        mid = ~near0 & ~near1 & (a > 6) & (b > 6)
        rest = ~(near0 | near1 | mid)
        if near0.any():
            out[near0] = _beta_grad_alpha_small(x[near0], a[near0], b[near0])
        if near1.any():
            out[near1] = -_beta_grad_beta_small(1 - x[near1], b[near1], a[near1])
        if mid.any():
            out[mid] = _beta_grad_alpha_mid(x[mid], a[mid], b[mid])
        if rest.any():
            out[rest] = _beta_grad_rational(x[rest], a[rest], t[rest])
    return out.astype(dt, copy=False)


dirichlet_grad = Op("_dirichlet_grad", _dirichlet_grad_fwd, node_name="DirichletGradBackward0")
dirichlet_grad.defvjp(*(_not_implemented("_dirichlet_grad"),) * 3)
dirichlet_grad.doc = """``-(dI/dalpha)(x; alpha, total - alpha) / f(x) / (1 - x)`` for a
Beta(alpha, total - alpha) draw ``x`` (PyTorch's ``torch._dirichlet_grad(x, alpha, total)``):
the scaled reparameterisation gradient the Dirichlet draws use. Computed in float64, returned in
the inputs' float dtype; not differentiable."""


# ---------------------------------------------------------------------------------------
# the reparameterised draws


def _check_float(alpha, name):
    if alpha.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}\" not implemented for '{alpha.dtype}'")


def _gamma_draw(alpha, generator):
    """Gamma(alpha, 1) draws in float64 from ``generator``; a non-positive or NaN alpha gives the
    smallest normal number, as PyTorch's sampler does."""
    from ..random import _raw_rng

    a = np.asarray(alpha, dtype=np.float64)
    ok = a > 0  # False for NaN
    z = _raw_rng(generator).standard_gamma(np.where(ok, a, 1.0))
    return np.where(ok, z, 0.0)


def _standard_gamma_fwd(alpha, draw):
    dt = alpha.dtype
    return np.maximum(np.asarray(draw, dtype=dt), np.finfo(dt).tiny)


def _standard_gamma_vjp(grad, ans, alpha, draw):
    return mul(grad, standard_gamma_grad(alpha, ans))


standard_gamma_p = Op(
    "_standard_gamma", _standard_gamma_fwd, save=(0,), save_out=True,
    node_name="StandardGammaBackward0",
).defvjp(_standard_gamma_vjp, None)  # fmt: skip


def standard_gamma(alpha: Tensor, generator=None) -> Tensor:
    """Gamma(alpha, 1) draws, differentiable in ``alpha`` (``torch._standard_gamma``).

    Parameters
    ----------
    alpha : Tensor
        Concentrations (floating point), any shape.
    generator : autograd.Generator, optional
        Source of the draw (default: the global generator).

    Returns
    -------
    Tensor
        Same shape and dtype as ``alpha``, at least the dtype's smallest normal number. Its
        gradient is ``grad * standard_gamma_grad(alpha, out)`` (NOTE [ Implicit
        reparameterisation ]).
    """
    from ..compiler import arrays

    _check_float(alpha._data, "gamma_cpu")
    draw = arrays(lambda a: _gamma_draw(a, generator), alpha)
    return standard_gamma_p(alpha, draw)


def _dirichlet_fwd(alpha, gammas):
    # normalise in float64 (small concentrations give tiny gammas), then clamp into
    # [tiny, nextafter(1, 0)] of the output dtype, as PyTorch's _sample_dirichlet does
    dt = alpha.dtype
    g = np.maximum(gammas, np.finfo(np.float64).tiny)
    x = (g / g.sum(-1, keepdims=True)).astype(dt)
    return np.clip(x, np.finfo(dt).tiny, np.nextafter(dt.type(1), dt.type(0)))


def _dirichlet_vjp(grad, ans, alpha, gammas):
    # PyTorch's _Dirichlet backward is once_differentiable: its gradient carries no graph
    with no_grad():
        total = sum_p(alpha, axis=(-1,), keepdims=True)
        g = dirichlet_grad(ans, alpha, total)
        return mul(g, sub(grad, sum_p(mul(ans, grad), axis=(-1,), keepdims=True)))


dirichlet_p = Op(
    "_dirichlet", _dirichlet_fwd, save=(0,), save_out=True, node_name="_DirichletBackward"
).defvjp(_dirichlet_vjp, None)


def dirichlet(alpha: Tensor, generator=None) -> Tensor:
    """Dirichlet(alpha) draws over the last dim, differentiable in ``alpha``
    (PyTorch's ``_Dirichlet.apply``).

    Parameters
    ----------
    alpha : Tensor, shape (..., K)
        Concentrations (floating point).
    generator : autograd.Generator, optional
        Source of the draw (default: the global generator).

    Returns
    -------
    Tensor, shape (..., K)
        Points of the simplex, each coordinate clamped into ``[tiny, 1)`` of the dtype. The
        gradient uses :data:`dirichlet_grad`; like PyTorch's, it is once differentiable (a
        ``create_graph`` backward returns it without a graph).
    """
    from ..compiler import arrays

    _check_float(alpha._data, "dirichlet")
    draw = arrays(lambda a: _gamma_draw(a, generator), alpha)
    return dirichlet_p(alpha, draw)
