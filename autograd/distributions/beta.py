"""Beta distribution on ``[0, 1]``."""

from __future__ import annotations

import numbers

import numpy as np

from ..ops.elementwise import digamma, lgamma
from ..ops.shape import stack
from ..tensor import Tensor
from . import constraints
from .dirichlet import Dirichlet
from .distribution import Distribution
from .utils import as_size, broadcast_all, xlogy

__all__ = ["Beta"]


class Beta(Distribution):
    """Beta distribution, density ``x^(a-1) (1-x)^(b-1) / B(a, b)``.

    Parameters
    ----------
    concentration1 : float or Tensor
        ``a > 0``.
    concentration0 : float or Tensor
        ``b > 0``.

    ``rsample`` is the first coordinate of a Dirichlet draw over ``(concentration1,
    concentration0)``, differentiable in both (see :class:`Dirichlet`); ``log_prob`` and
    ``entropy`` are differentiable in both concentrations.

    Notes
    -----
    Difference from PyTorch: the repr lists the two concentrations (PyTorch's prints
    ``Beta()``).
    """

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        if isinstance(concentration1, numbers.Number) and isinstance(
            concentration0, numbers.Number
        ):
            batch_shape = ()
        else:
            batch_shape = self.concentration1.shape
        self._dirichlet = Dirichlet(
            stack([self.concentration1, self.concentration0], -1), validate_args=False
        )
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = as_size(batch_shape)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        return (a - 1) / (a + b - 2)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if not isinstance(value, Tensor):
            value = Tensor._wrap(np.asarray(value, dtype=self.concentration1.dtype))
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlogy(b - 1, 1 - value) - _log_beta(a, b)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        return (
            _log_beta(a, b)
            - (a - 1) * digamma(a)
            - (b - 1) * digamma(b)
            + (a + b - 2) * digamma(a + b)
        )

    @property
    def _natural_params(self):
        return (self.concentration1, self.concentration0)


def _log_beta(a, b):
    return lgamma(a) + lgamma(b) - lgamma(a + b)
