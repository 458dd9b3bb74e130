"""Multivariate normal distribution (covariance, precision or Cholesky-factor parameterised)."""

from __future__ import annotations

import math

import numpy as np

from ..ops.elementwise import log
from ..ops.linalg import cholesky, inv, solve_p
from ..ops.reduction import sum as _sum
from ..random import draw
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_size, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mahalanobis(bL: Tensor, bx: Tensor) -> Tensor:  # noqa: N803
    """``|L^-1 x|^2`` over the last dim, for a lower-triangular ``L`` broadcast against ``x``.

    Shapes: ``bL`` (*, n, n), ``bx`` (*, n) -> (*). The triangular solve goes through
    ``solve`` (LU) so it stays differentiable in both ``L`` and ``x``."""
    batch = np.broadcast_shapes(tuple(bL.shape[:-2]), tuple(bx.shape[:-1]))
    n = bx.shape[-1]
    L = bL.expand(batch + (n, n))  # noqa: N806
    x = bx.expand(batch + (n,)).unsqueeze(-1)
    return _sum(solve_p(L, x).squeeze(-1).pow(2), -1)


def _half_log_det(L: Tensor) -> Tensor:  # noqa: N803
    return _sum(log(L.diagonal(dim1=-2, dim2=-1)), -1)


class MultivariateNormal(Distribution):
    """Multivariate normal with mean ``loc`` and one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (a lower-triangular factor with positive diagonal).

    Parameters
    ----------
    loc : Tensor, shape (batch..., n)
    covariance_matrix : Tensor, shape (batch..., n, n), optional
        Symmetric positive-definite.
    precision_matrix : Tensor, shape (batch..., n, n), optional
        Inverse covariance, symmetric positive-definite.
    scale_tril : Tensor, shape (batch..., n, n), optional
        ``L`` with ``covariance = L L^T``.

    Exactly one matrix is given; internally everything goes through ``L`` (a Cholesky factor).
    ``rsample`` is ``loc + L eps``: differentiable in ``loc`` and the matrix.
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        matrix = next(m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None)
        name = ("covariance_matrix", "precision_matrix", "scale_tril")[given.index(True)]
        if matrix.ndim < 2:
            raise ValueError(
                f"{name} matrix must be at least two-dimensional, with optional leading batch "
                "dimensions"
            )
        batch_shape = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        n = loc.shape[-1]
        if matrix.shape[-1] != n or matrix.shape[-2] != n:
            raise ValueError(
                f"{name} must have shape (*, {n}, {n}) to match loc of shape "
                f"{tuple(loc.shape)}, got {tuple(matrix.shape)}"
            )
        setattr(self, name, matrix.expand(batch_shape + (n, n)))
        self.loc = loc.expand(batch_shape + (n,))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = cholesky(inv(precision_matrix))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = as_size(batch_shape)
        n = self._event_shape[0]
        new.loc = self.loc.expand(tuple(batch_shape) + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(tuple(batch_shape) + (n, n)))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        n = self._event_shape[0]
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + (n, n))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril  # noqa: N806
        n = self._event_shape[0]
        return (L @ L.mT).expand(tuple(self._batch_shape) + (n, n))

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril  # noqa: N806
        n = self._event_shape[0]
        return inv(L @ L.mT).expand(tuple(self._batch_shape) + (n, n))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return _sum(self._unbroadcasted_scale_tril.pow(2), -1).expand(self._extended_shape())

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        dt = self.loc.dtype
        eps = Tensor._wrap(draw(None, lambda g: g.standard_normal(shape).astype(dt, copy=False)))
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + half_log_det
        return h if len(self._batch_shape) == 0 else h.expand(self._batch_shape)
