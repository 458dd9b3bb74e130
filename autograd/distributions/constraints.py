"""Constraints: what a parameter or a sample must satisfy (``torch.distributions.constraints``).

``constraint.check(value)`` returns a bool Tensor of the batch shape (the ``event_dim`` rightmost
dims reduced). Checks read values only, so they run in NumPy and never join the graph.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = [
    "Constraint",
    "boolean",
    "dependent",
    "dependent_property",
    "greater_than",
    "greater_than_eq",
    "half_open_interval",
    "independent",
    "integer_interval",
    "interval",
    "is_dependent",
    "less_than",
    "lower_cholesky",
    "lower_triangular",
    "nonnegative",
    "nonnegative_integer",
    "positive",
    "positive_definite",
    "positive_integer",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
]


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _out(a) -> Tensor:
    return Tensor._wrap(np.asarray(a, dtype=bool))


def _num(x):
    """A bound as PyTorch's f-strings print it: a 0-d tensor as its number."""
    if isinstance(x, Tensor) and x.ndim == 0:
        return x.item()
    return x


class Constraint:
    """Base class: a region of values, ``is_discrete`` and the ``event_dim`` it spans."""

    is_discrete = False
    event_dim = 0

    def check(self, value) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.__class__.__name__[1:] + "()"


class _Dependent(Constraint):
    """A placeholder for constraints that depend on other parameters; never checked."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    @property
    def is_discrete(self):
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self):
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        if is_discrete is NotImplemented:
            is_discrete = self._is_discrete
        if event_dim is NotImplemented:
            event_dim = self._event_dim
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, x):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` is a ``dependent`` placeholder (skipped by argument checks)."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A ``@property`` that is also a dependent constraint (how ``support`` is declared when it
    depends on parameters, as Uniform's does)."""

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _IndependentConstraint(Constraint):
    """``base_constraint`` with its ``reinterpreted_batch_ndims`` rightmost dims as one event."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"expected a Constraint, got {type(base_constraint).__name__}")
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise ValueError("reinterpreted_batch_ndims must be a non-negative int")
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = _arr(self.base_constraint.check(value))
        n = self.reinterpreted_batch_ndims
        if result.ndim < n:
            expected = self.base_constraint.event_dim + n
            raise ValueError(f"Expected value.dim() >= {expected} but got {_arr(value).ndim}")
        if n:
            result = result.reshape(result.shape[: result.ndim - n] + (-1,)).all(-1)
        return _out(result)

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        v = _arr(value)
        return _out((v == 0) | (v == 1))


class _IntegerInterval(Constraint):
    """Integers in ``[lower_bound, upper_bound]``."""

    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value):
        v = _arr(value)
        return _out((v % 1 == 0) & (_arr(self.lower_bound) <= v) & (v <= _arr(self.upper_bound)))

    def __repr__(self):
        return (
            f"IntegerInterval(lower_bound={_num(self.lower_bound)}, "
            f"upper_bound={_num(self.upper_bound)})"
        )


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        v = _arr(value)
        return _out((v % 1 == 0) & (v >= _arr(self.lower_bound)))

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={_num(self.lower_bound)})"


class _Real(Constraint):
    def check(self, value):
        v = _arr(value)
        return _out(v == v)  # False for NaN only, as PyTorch


class _GreaterThan(Constraint):
    """Reals ``> lower_bound``."""

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return _out(_arr(self.lower_bound) < _arr(value))

    def __repr__(self):
        return f"GreaterThan(lower_bound={_num(self.lower_bound)})"


class _GreaterThanEq(Constraint):
    """Reals ``>= lower_bound``."""

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return _out(_arr(self.lower_bound) <= _arr(value))

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={_num(self.lower_bound)})"


class _LessThan(Constraint):
    """Reals ``< upper_bound``."""

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return _out(_arr(value) < _arr(self.upper_bound))

    def __repr__(self):
        return f"LessThan(upper_bound={_num(self.upper_bound)})"


class _Interval(Constraint):
    """Reals in ``[lower_bound, upper_bound]``."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value):
        v = _arr(value)
        return _out((_arr(self.lower_bound) <= v) & (v <= _arr(self.upper_bound)))

    def __repr__(self):
        return (
            f"Interval(lower_bound={_num(self.lower_bound)}, upper_bound={_num(self.upper_bound)})"
        )


class _HalfOpenInterval(_Interval):
    """Reals in ``[lower_bound, upper_bound)``."""

    def check(self, value):
        v = _arr(value)
        return _out((_arr(self.lower_bound) <= v) & (v < _arr(self.upper_bound)))

    def __repr__(self):
        return (
            f"HalfOpenInterval(lower_bound={_num(self.lower_bound)}, "
            f"upper_bound={_num(self.upper_bound)})"
        )


class _Simplex(Constraint):
    """Non-negative vectors summing to 1 (to within 1e-6) over the last dim."""

    event_dim = 1

    def check(self, value):
        v = _arr(value)
        return _out(np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6))


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        v = _arr(value)
        return _out(np.all(np.tril(v) == v, axis=(-2, -1)))


class _LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal."""

    event_dim = 2

    def check(self, value):
        v = _arr(value)
        tri = np.all(np.tril(v) == v, axis=(-2, -1))
        pos = np.all(np.diagonal(v, axis1=-2, axis2=-1) > 0, axis=-1)
        return _out(tri & pos)


class _PositiveDefinite(Constraint):
    """Symmetric matrices whose Cholesky factorisation succeeds."""

    event_dim = 2

    def check(self, value):
        v = np.asarray(_arr(value), dtype=np.float64)
        sym = np.all(np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6), axis=(-2, -1))
        flat = v.reshape((-1,) + v.shape[-2:])
        ok = np.empty(len(flat), dtype=bool)
        for i, m in enumerate(flat):  # one factorisation per matrix, so one bad one fails alone
            try:
                np.linalg.cholesky(m)
                ok[i] = np.all(np.isfinite(m))
            except np.linalg.LinAlgError:
                ok[i] = False
        return _out(sym & ok.reshape(v.shape[:-2]))


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
