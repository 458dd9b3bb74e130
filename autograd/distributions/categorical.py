"""Categorical distribution over ``{0, ..., K-1}``, parameterised by ``probs`` or ``logits``."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..compiler import arrays
from ..grad_mode import no_grad
from ..ops.elementwise import clamp
from ..ops.reduction import sum as _sum
from ..random import draw
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import (
    as_size,
    lazy_property,
    logits_to_probs,
    normalize_logits,
    normalize_probs,
    probs_to_logits,
)

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Draws an index in ``[0, K)`` with the (normalised) weights of the last dim.

    Parameters
    ----------
    probs : Tensor, shape (batch..., K), optional
        Non-negative weights (normalised to sum to 1 over the last dim).
    logits : Tensor, shape (batch..., K), optional
        Unnormalised log-probabilities (normalised with ``logsumexp``). Exactly one is given.

    Samples are int64 tensors of shape ``sample_shape + batch_shape``. No ``rsample``.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = normalize_probs(probs)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = normalize_logits(logits)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = as_size(batch_shape)
        shape = tuple(batch_shape) + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return Tensor._wrap(np.full(self._extended_shape(), np.nan, dtype=self.probs.dtype))

    @property
    def variance(self):
        return self.mean

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = Tensor._wrap(draw(None, lambda g: g.random(shape)))
            n = self._num_events

            def pick(u, p):  # through ``arrays``: an ``autograd.compile`` replay picks again
                cdf = np.cumsum(np.asarray(p, dtype=np.float64), axis=-1)
                cdf = cdf / cdf[..., -1:]
                idx = (u[..., None] >= np.broadcast_to(cdf, shape + cdf.shape[-1:])).sum(-1)
                return np.minimum(idx, n - 1).astype(_dt.int64)

            return Tensor._wrap(arrays(pick, u, self.probs))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        idx = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(idx.shape[:-1]), tuple(self.logits.shape[:-1]))
        logits = self.logits.expand(shape + (self._num_events,))
        idx = idx.expand(shape + (1,))
        return logits.gather(-1, idx).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = clamp(self.logits, min=min_real)
        return -_sum(logits * self.probs, -1)

    def enumerate_support(self, expand: bool = True):
        n = self._num_events
        values = Tensor._wrap(
            np.arange(n, dtype=np.int64).reshape((-1,) + (1,) * len(self._batch_shape))
        )
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
