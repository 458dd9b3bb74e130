"""Op-table rows of the reparameterised draws (``autograd/ops/sampling.py``).

A draw is random, so each row replaces it by the draw at a fixed CDF level: ``z = F^-1(u;
alpha)`` computed by the float64 reference (``_implicit_reference.py``) and handed to the op as
its draw. Moving ``alpha`` then moves ``z`` along the implicit reparameterisation path, so the
central differences of the row measure the exact ``dz/dalpha`` and the check compares PyTorch's
approximation of it (which the ops reproduce) with the truth.
"""

from __future__ import annotations

import numpy as np

from autograd.ops.sampling import dirichlet_p, standard_gamma_p
from autograd.testing import shapes
from tests.autograd._implicit_reference import beta_icdf, gamma_icdf
from tests.autograd.op_table import Row

_REASON = (
    "the VJP is PyTorch's approximation of the implicit gradient (a Taylor series, a saddle-point "
    "expansion and rational fits with float32-precision coefficients); against the exact "
    "derivative it is off by up to 2e-3 relative on this domain, as PyTorch's own is"
)


def _levels(shape) -> np.ndarray:
    """Fixed CDF levels in [0.05, 0.95], spread over the elements (golden-ratio sequence)."""
    k = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.float64)
    return (0.05 + 0.9 * ((0.5 + 0.6180339887498949 * k) % 1.0)).reshape(shape)


def _gamma_draw(a: np.ndarray) -> np.ndarray:
    u = _levels(a.shape)
    upper = u > 0.5
    return gamma_icdf(a.astype(np.float64), np.where(upper, 1.0 - u, u), upper)


def _standard_gamma_at_levels(a):
    return standard_gamma_p(a, _gamma_draw(a.detach().numpy()))


def _standard_gamma_ref(a):
    return np.maximum(_gamma_draw(a).astype(a.dtype), np.finfo(a.dtype).tiny)


def _beta_pair(alpha: np.ndarray) -> np.ndarray:
    a, b = alpha[..., 0].astype(np.float64), alpha[..., 1].astype(np.float64)
    u = _levels(a.shape)
    upper = u > 0.5
    x = beta_icdf(a, b, np.where(upper, 1.0 - u, u), upper, np.full(a.shape, 0.5))
    return np.stack([x, 1.0 - x], -1)


def _dirichlet_at_levels(alpha):
    # the op normalises its gamma draws: a pair summing to 1 is taken as it is
    return dirichlet_p(alpha, _beta_pair(alpha.detach().numpy()))


def _dirichlet_ref(alpha):
    x = _beta_pair(alpha).astype(alpha.dtype)
    return np.clip(x, np.finfo(alpha.dtype).tiny, np.nextafter(alpha.dtype.type(1), 0))


ROWS = [
    Row(
        "_standard_gamma",
        _standard_gamma_at_levels,
        1,
        shapes=shapes(0, 2, 1, 3).map(lambda s: (s,)),
        domain=(0.1, 20.0),
        ref=_standard_gamma_ref,
        covers=("_standard_gamma", "_standard_gamma_grad"),
        gradgrad=False,  # PyTorch: "the derivative for '_standard_gamma_grad' is not implemented"
        rtol=5e-3,
        tol_reason=_REASON,
    ),
    Row(
        "_dirichlet",
        _dirichlet_at_levels,
        1,
        shapes=shapes(0, 1, 1, 3).map(lambda s: (s + (2,),)),
        domain=(0.3, 15.0),
        ref=_dirichlet_ref,
        covers=("_dirichlet", "_dirichlet_grad"),
        gradgrad=False,  # PyTorch's _Dirichlet backward is once_differentiable
        rtol=5e-3,
        tol_reason=_REASON,
    ),
]
