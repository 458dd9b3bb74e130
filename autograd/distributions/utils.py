"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, ``xlogy``."""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes as _dt
from ..ops.elementwise import clamp, eq, log, log1p, logical_and, mul, sigmoid, sub, where
from ..ops.reduction import log_softmax, logsumexp, softmax
from ..ops.reduction import sum as _sum
from ..tensor import Size, Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
]


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """Broadcast numbers and tensors to one shape (numbers become tensors of the tensors' float
    dtype, or of the default dtype). Broadcasting is an ``expand``, so gradients flow back."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError(
                "Input arguments must all be instances of numbers.Number or Tensor "
                f"(got {type(v).__name__})"
            )
    dtype = _dt.get_default_dtype()
    for t in tensors:
        if t.dtype.kind == "f":
            dtype = t.dtype
            break
    out = [v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v, dtype=dtype)) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in out))
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in out)


def _finfo(dtype):
    return np.finfo(dtype if np.dtype(dtype).kind == "f" else _dt.get_default_dtype())


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp probabilities into ``[eps, 1 - eps]`` (eps of their dtype)."""
    eps = float(_finfo(probs.dtype).eps)
    return clamp(probs, min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Sigmoid for binary logits, softmax over the last dim otherwise."""
    return sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """``log p - log(1 - p)`` for binary probabilities, ``log p`` otherwise (clamped first)."""
    ps = clamp_probs(probs)
    return sub(log(ps), log1p(-ps)) if is_binary else log(ps)


def normalize_logits(logits: Tensor) -> Tensor:
    return logits - logsumexp(logits, dim=-1, keepdim=True)


def normalize_probs(probs: Tensor) -> Tensor:
    return probs / _sum(probs, -1, keepdim=True)


def xlogy(x, y):
    """``x * log(y)``, taken as 0 where ``x == 0`` and ``y == 0`` (with zero gradients there).

    Where only ``x`` is 0 the gradient in ``x`` is ``log(y)``, the true derivative (PyTorch's
    ``xlogy`` gives 0 there, which makes e.g. Beta's ``log_prob`` gradient wrong at a
    concentration of exactly 1)."""
    zero = logical_and(eq(x, 0), eq(y, 0))
    return where(zero, 0.0, mul(x, log(where(zero, 1.0, y))))


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return _sum(value, tuple(range(-dim, 0)))


def log_softmax_last(x: Tensor) -> Tensor:
    return log_softmax(x, dim=-1)


def as_size(shape) -> Size:
    return Size(tuple(int(s) for s in shape))


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed on first access and then stored on the instance (so that a
    distribution given ``logits`` computes ``probs`` only when asked)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value
