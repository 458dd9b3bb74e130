"""Gamma distribution (shape ``concentration``, inverse scale ``rate``)."""

from __future__ import annotations

import numbers

import numpy as np

from ..compiler import arrays
from ..ops.elementwise import digamma, lgamma, log
from ..ops.sampling import standard_gamma
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_size, broadcast_all, xlogy

__all__ = ["Gamma"]


def _clamp_tiny_(v: np.ndarray) -> None:
    """Raise underflowed draws to the dtype's smallest normal number, in place."""
    np.maximum(v, np.finfo(v.dtype).tiny, out=v)


class Gamma(Distribution):
    """Gamma distribution, density ``rate^a x^(a-1) e^(-rate x) / Gamma(a)``.

    Parameters
    ----------
    concentration : float or Tensor
        Shape ``a > 0``.
    rate : float or Tensor
        Inverse scale ``> 0``.

    ``rsample`` is ``z / rate`` for a standard gamma draw ``z``, differentiable in both
    parameters: in ``concentration`` by implicit reparameterisation (NOTE [ Implicit
    reparameterisation ] in ``autograd/ops/sampling.py``), with PyTorch's approximation of
    ``dz/dconcentration``. ``log_prob`` and ``entropy`` are differentiable in both parameters.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

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

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        arrays(_clamp_tiny_, value)  # outside the graph, as PyTorch's ``value.detach().clamp_``
        return value

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
