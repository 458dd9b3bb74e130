"""Bernoulli distribution, parameterised by ``probs`` or ``logits``."""

from __future__ import annotations

import numbers

import numpy as np

from ..compiler import arrays
from ..grad_mode import no_grad
from ..ops.elementwise import abs as _abs
from ..ops.elementwise import exp, log1p, relu
from ..random import draw
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_size, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Bernoulli"]


def _bce_with_logits(logits, target):
    """Elementwise ``-[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))]``, stable for any l."""
    return relu(logits) - logits * target + log1p(exp(-_abs(logits)))


class Bernoulli(Distribution):
    """Draws 1 with probability ``probs`` (or ``sigmoid(logits)``) and 0 otherwise.

    Parameters
    ----------
    probs : float or Tensor, optional
        In ``[0, 1]``.
    logits : float or Tensor, optional
        Log-odds. Exactly one of ``probs`` and ``logits`` is given; the other is computed on
        first use.

    No ``rsample``: the draw is discrete.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = () if is_scalar else self._param.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = as_size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs._data
        m = (p >= 0.5).astype(p.dtype)
        m[p == 0.5] = np.nan
        return Tensor._wrap(m)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = Tensor._wrap(draw(None, lambda g: g.random(shape)))
            # through ``arrays`` so that an ``autograd.compile`` replay compares again
            return Tensor._wrap(arrays(lambda u, p: (u < p).astype(p.dtype), u, self.probs))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True):
        values = np.arange(2, dtype=self._param.dtype).reshape(
            (-1,) + (1,) * len(self._batch_shape)
        )
        values = Tensor._wrap(values)
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
