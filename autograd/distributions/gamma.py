"""Gamma distribution (shape ``concentration``, inverse scale ``rate``)."""

from __future__ import annotations

import numbers

import numpy as np

from ..grad_mode import no_grad
from ..ops.elementwise import digamma, lgamma, log
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_size, broadcast_all, xlogy

__all__ = ["Gamma"]


def _standard_gamma(concentration: np.ndarray, shape, rng) -> np.ndarray:
    """Gamma(concentration, 1) draws of ``shape`` (float64), clamped away from 0 as PyTorch."""
    a = np.broadcast_to(np.asarray(concentration, dtype=np.float64), shape)
    x = rng.standard_gamma(a)
    return np.maximum(x, np.finfo(np.float64).tiny)


class Gamma(Distribution):
    """Gamma distribution, density ``rate^a x^(a-1) e^(-rate x) / Gamma(a)``.

    Parameters
    ----------
    concentration : float or Tensor
        Shape ``a > 0``.
    rate : float or Tensor
        Inverse scale ``> 0``.

    Notes
    -----
    Difference from PyTorch: no ``rsample`` (``has_rsample = False``). PyTorch's Gamma
    ``rsample`` differentiates the draw with implicit reparameterisation gradients (derivative
    of the CDF in the shape parameter); ndgrad does not implement that gradient, so only
    ``sample`` is offered. ``log_prob`` and ``entropy`` are differentiable in both parameters.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = False

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch_shape = ()
        else:
            batch_shape = self.concentration.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = as_size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            x = _standard_gamma(self.concentration._data, shape, self._rng())
            x = x / np.broadcast_to(self.rate._data, shape)
            x = np.maximum(x, np.finfo(self.rate.dtype).tiny).astype(self.rate.dtype)
            return Tensor._wrap(x)

    def log_prob(self, value):
        if not isinstance(value, Tensor):
            value = Tensor._wrap(np.asarray(value, dtype=self.rate.dtype))
        if self._validate_args:
            self._validate_sample(value)
        return (
            xlogy(self.concentration, self.rate)
            + xlogy(self.concentration - 1, value)
            - self.rate * value
            - lgamma(self.concentration)
        )

    def entropy(self):
        c = self.concentration
        return c - log(self.rate) + lgamma(c) + (1.0 - c) * digamma(c)

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)
