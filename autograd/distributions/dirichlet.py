"""Dirichlet distribution over the probability simplex."""

from __future__ import annotations

import numpy as np

from ..ops.elementwise import digamma, lgamma
from ..ops.reduction import sum as _sum
from ..ops.sampling import dirichlet
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_size, xlogy

__all__ = ["Dirichlet"]


class Dirichlet(Distribution):
    """Dirichlet distribution with ``concentration`` alpha over the last dim.

    Parameters
    ----------
    concentration : Tensor, shape (batch..., K)
        ``> 0``.

    Samples have shape ``sample_shape + batch_shape + (K,)`` and lie on the simplex.

    ``rsample`` normalises independent standard gamma draws and is differentiable in
    ``concentration`` by implicit reparameterisation, with PyTorch's approximation of the
    gradient (``autograd/ops/sampling.py``); ``log_prob`` and ``entropy`` are differentiable too.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape = concentration.shape[:-1]
        event_shape = concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = as_size(batch_shape)
        new.concentration = self.concentration.expand(tuple(batch_shape) + tuple(self._event_shape))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return _sum(xlogy(c - 1.0, value), -1) + lgamma(_sum(c, -1)) - _sum(lgamma(c), -1)

    @property
    def mean(self):
        return self.concentration / _sum(self.concentration, -1, keepdim=True)

    @property
    def mode(self):
        c = self.concentration
        k = c.shape[-1]
        concm1 = (c - 1).clamp(min=0.0)
        mode = concm1 / _sum(concm1, -1, keepdim=True)
        d = c._data
        mask = np.all(d < 1, axis=-1)
        if np.any(mask):
            m = mode._data.copy()
            onehot = np.eye(k, dtype=d.dtype)[d.argmax(-1)]
            m[mask] = onehot[mask]
            return Tensor._wrap(m)
        return mode

    @property
    def variance(self):
        c = self.concentration
        con0 = _sum(c, -1, keepdim=True)
        return c * (con0 - c) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = _sum(c, -1)
        return (
            _sum(lgamma(c), -1)
            - lgamma(a0)
            - (k - a0) * digamma(a0)
            - _sum((c - 1.0) * digamma(c), -1)
        )

    @property
    def _natural_params(self):
        return (self.concentration,)
