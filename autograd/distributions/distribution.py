"""The base :class:`Distribution` (``torch.distributions.Distribution``).

NOTE [ Random draws in distributions ]
Every sample comes from ``autograd.random``'s default generator (``autograd.manual_seed`` makes
it reproducible); there is no other source of randomness. ``rsample`` draws parameter-free noise
and transforms it with autograd ops, so gradients reach the parameters; the Gamma, Beta and
Dirichlet draws, which have no such transform, get their gradients by implicit
reparameterisation (NOTE [ Implicit reparameterisation ] in ``autograd/ops/sampling.py``).
``sample`` is the same draw without a graph.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..grad_mode import no_grad
from ..random import _rng
from ..tensor import Size, Tensor
from . import constraints
from .utils import as_size, lazy_property

__all__ = ["Distribution"]


def _fmt(value) -> str:
    """A value as PyTorch's f-strings print it: a 0-d tensor as its number."""
    if isinstance(value, Tensor) and value.ndim == 0:
        return str(value.item())
    return str(value)


class Distribution:
    """Base class of probability distributions.

    Parameters
    ----------
    batch_shape : tuple of int
        Shape of the batch of independent (not identically distributed) distributions.
    event_shape : tuple of int
        Shape of one draw of one distribution.
    validate_args : bool, optional
        Check parameters (here) and ``log_prob``'s values against ``arg_constraints`` and
        ``support``; default: the class default, set by :meth:`set_default_validate_args`
        (on, as PyTorch's is outside ``python -O``).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for every distribution created afterwards."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = as_size(batch_shape)
        self._event_shape = as_size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(
                    f"{self.__class__} does not define `arg_constraints`. Please set "
                    "`arg_constraints = {}` or initialize the distribution with "
                    "`validate_args=False` to turn off validation.",
                    stacklevel=2,
                )
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(
                    getattr(type(self), param, None), lazy_property
                ):
                    continue  # the other parametrisation (probs vs logits): not given
                value = getattr(self, param)
                if not bool(np.all(constraint.check(value)._data)):
                    raise ValueError(
                        f"Expected parameter {param} "
                        f"({type(value).__name__} of shape {tuple(value.shape)}) "
                        f"of distribution {self!r} "
                        f"to satisfy the constraint {constraint!r}, "
                        f"but found invalid values:\n{_fmt(value)}"
                    )

    def expand(self, batch_shape, _instance=None):
        """A view of this distribution with a larger batch shape (parameters are expanded,
        not copied)."""
        raise NotImplementedError

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        """Name -> ``constraints.Constraint`` for each parameter."""
        raise NotImplementedError

    @property
    def support(self):
        """The ``constraints.Constraint`` that samples satisfy."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised draw: differentiable with respect to the parameters."""
        raise NotImplementedError(
            f"{self.__class__.__name__} has no reparameterised sampler (has_rsample=False); "
            "use sample()"
        )

    def sample_n(self, n: int) -> Tensor:
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    # -- helpers ---------------------------------------------------------------------------
    def _extended_shape(self, sample_shape=()) -> Size:
        if isinstance(sample_shape, (int, np.integer)):
            sample_shape = (sample_shape,)
        return as_size(tuple(sample_shape) + self._batch_shape + self._event_shape)

    @staticmethod
    def _rng():
        return _rng(None)

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.ndim - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(
                f"The right-most size of value must match event_shape: {value.size()} vs "
                f"{self._event_shape}."
            )
        actual = value.size()
        expected = as_size(self._batch_shape + self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    "Value is not broadcastable with batch_shape+event_shape: "
                    f"{actual} vs {expected}."
                )
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample validation. "
                "Please initialize the distribution with `validate_args=False` to turn off "
                "validation.",
                stacklevel=2,
            )
            return
        if not bool(np.all(support.check(value)._data)):
            raise ValueError(
                "Expected value argument "
                f"({type(value).__name__} of shape {tuple(value.shape)}) "
                f"to be within the support ({support!r}) "
                f"of the distribution {self!r}, "
                f"but found invalid values:\n{_fmt(value)}"
            )

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for p in names:
            v = self.__dict__[p]
            parts.append(f"{p}: {_fmt(v) if v.numel() == 1 else v.size()}")
        args = ", ".join(parts)
        return f"{self.__class__.__name__}({args})"
