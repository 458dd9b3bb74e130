"""``kl_divergence(p, q)`` through a registry of ``(type(p), type(q))`` pairs (``register_kl``).

Lookup takes the most specific registered pair by subclass order, as PyTorch's does; an
ambiguous match warns. Pairs whose KL is infinite (``q`` cannot cover ``p``'s support) return
``inf`` of ``p``'s batch shape.
"""

from __future__ import annotations

import math
import warnings
from functools import total_ordering

import numpy as np

from ..ops.elementwise import abs as _abs
from ..ops.elementwise import digamma, exp, lgamma, log, log1p, relu, where
from ..ops.linalg import solve_p
from ..ops.reduction import sum as _sum
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .gamma import Gamma
from .independent import Independent
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .normal import Normal
from .uniform import Uniform
from .utils import sum_rightmost, xlogy

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}  # (type_p, type_q) -> function: the source of truth
_KL_MEMOIZE: dict = {}  # exact (type(p), type(q)) -> function, filled by lookups


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as the KL divergence for the pair of classes.

    Examples
    --------
    >>> @register_kl(Normal, Normal)
    ... def kl_normal_normal(p, q): ...
    """
    if not isinstance(type_p, type) or not issubclass(type_p, Distribution):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not isinstance(type_q, type) or not issubclass(type_q, Distribution):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()  # lookups may resolve differently now
        return fun

    return decorator


@total_ordering
class _Match:
    __slots__ = ("types",)

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


def _dispatch_kl(type_p, type_q):
    matches = [
        (sp, sq) for sp, sq in _KL_REGISTRY if issubclass(type_p, sp) and issubclass(type_q, sq)
    ]
    if not matches:
        return NotImplemented
    left_p, left_q = min(_Match(*m) for m in matches).types
    right_q, right_p = min(_Match(*reversed(m)) for m in matches).types
    left_fun = _KL_REGISTRY[left_p, left_q]
    right_fun = _KL_REGISTRY[right_p, right_q]
    if left_fun is not right_fun:
        warnings.warn(
            f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
            f"Please register_kl({left_p.__name__}, {right_q.__name__})",
            RuntimeWarning,
            stacklevel=3,
        )
    return left_fun


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """``KL(p || q)``, one value per batch element (shape ``batch_shape``).

    Raises
    ------
    NotImplementedError
        If no function is registered for the pair (or a superclass pair).
    """
    try:
        fun = _KL_MEMOIZE[type(p), type(q)]
    except KeyError:
        fun = _dispatch_kl(type(p), type(q))
        _KL_MEMOIZE[type(p), type(q)] = fun
    if fun is NotImplemented:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p of type {type(p).__name__} and q of type "
            f"{type(q).__name__}"
        )
    return fun(p, q)


# ---------------------------------------------------------------------------------------
# helpers


def _infinite_like(t: Tensor) -> Tensor:
    return Tensor._wrap(np.full(t.shape, np.inf, dtype=t.dtype))


def _x_log_x(t):
    return xlogy(t, t)  # 0 at 0


def _softplus(x):
    return relu(x) + log1p(exp(-_abs(x)))


def _inf_where(mask, result):
    """``result`` with ``inf`` where ``mask`` (a bool Tensor or array) holds."""
    return where(mask, math.inf, result)


# ---------------------------------------------------------------------------------------
# same family


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # written with softplus of the logits: stable for probabilities near 0 and 1
    t1 = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    t1 = where(p.probs == 0, 0.0, _inf_where(q.probs == 0, t1))
    t2 = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    t2 = where(p.probs == 1, 0.0, _inf_where(q.probs == 1, t2))
    return t1 + t2


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    pa, pb, qa, qb = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    sp, sq = pa + pb, qa + qb
    t1 = lgamma(qa) + lgamma(qb) + lgamma(sp)
    t2 = lgamma(pa) + lgamma(pb) + lgamma(sq)
    t3 = (pa - qa) * digamma(pa)
    t4 = (pb - qb) * digamma(pb)
    t5 = (sq - sp) * digamma(sp)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    shape = tuple(t.shape)
    t = _inf_where(np.broadcast_to((q.probs == 0)._data, shape), t)
    t = where(np.broadcast_to((p.probs == 0)._data, shape), 0.0, t)
    return _sum(t, -1)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    pa, qa = p.concentration, q.concentration
    sum_p = _sum(pa, -1)
    sum_q = _sum(qa, -1)
    t1 = lgamma(sum_p)
    t2 = lgamma(sum_q)
    t3 = _sum(lgamma(pa), -1)
    t4 = _sum(lgamma(qa), -1)
    t5 = (pa - qa) * (digamma(pa) - digamma(sum_p).unsqueeze(-1))
    return t1 - t3 - t2 + t4 + _sum(t5, -1)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    pa, pb, qa, qb = p.concentration, p.rate, q.concentration, q.rate
    t1 = qa * log(pb / qb)
    t2 = lgamma(qa) - lgamma(pa)
    t3 = (pa - qa) * digamma(pa)
    t4 = (qb - pb) * (pa / pb)
    return t1 + t2 + t3 + t4


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes "
            "cannot be computed"
        )
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = _sum(log(lq.diagonal(dim1=-2, dim2=-1)), -1) - _sum(
        log(lp.diagonal(dim1=-2, dim2=-1)), -1
    )
    n = p.event_shape[0]
    batch = np.broadcast_shapes(tuple(lq.shape[:-2]), tuple(lp.shape[:-2]))
    # tr(Sigma_q^-1 Sigma_p) = |Lq^-1 Lp|_F^2
    m = solve_p(lq.expand(batch + (n, n)), lp.expand(batch + (n, n)))
    term2 = _sum(m.pow(2), (-2, -1))
    term3 = _batch_mahalanobis(lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - log(var_ratio))


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = log((q.high - q.low) / (p.high - p.low))
    return _inf_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            "KL between Independent distributions with different reinterpreted_batch_ndims"
        )
    result = kl_divergence(p.base_dist, q.base_dist)
    return sum_rightmost(result, p.reinterpreted_batch_ndims)


# ---------------------------------------------------------------------------------------
# across families (only the pairs PyTorch registers among these distributions)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    pa, pb = p.concentration1, p.concentration0
    t1 = -p.entropy()
    t2 = lgamma(q.concentration) - q.concentration * log(q.rate)
    t3 = (q.concentration - 1) * (digamma(pa) - digamma(pa + pb))
    t4 = q.rate * pa / (pa + pb)
    return t1 + t2 - t3 + t4


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    pa, pb = p.concentration1, p.concentration0
    e_beta = pa / (pa + pb)
    var_normal = q.scale.pow(2)
    t1 = -p.entropy()
    t2 = 0.5 * log(var_normal * 2 * math.pi)
    t3 = (e_beta * (1 - e_beta) / (pa + pb + 1) + e_beta.pow(2)) * 0.5
    t4 = q.loc * e_beta
    t5 = q.loc.pow(2) * 0.5
    return t1 + t2 + (t3 - t4 + t5) / var_normal


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = -p.entropy() + log(q.high - q.low)
    return _inf_where((q.low > 0.0) | (q.high < 1.0), result)


@register_kl(Gamma, Beta)
@register_kl(Gamma, Uniform)
def _kl_gamma_infinity(p, q):
    return _infinite_like(p.concentration)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    a, b = p.concentration, p.rate
    var_normal = q.scale.pow(2)
    beta_sqr = b.pow(2)
    t1 = 0.5 * log(beta_sqr * var_normal * 2 * math.pi) - a - lgamma(a)
    t2 = 0.5 * (a.pow(2) + a) / beta_sqr
    t3 = q.loc * a / b
    t4 = 0.5 * q.loc.pow(2)
    return t1 + (a - 1) * digamma(a) + (t2 - t3 + t4) / var_normal


@register_kl(Normal, Beta)
@register_kl(Normal, Gamma)
@register_kl(Normal, Uniform)
def _kl_normal_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    qa, qb = q.concentration1, q.concentration0
    width = p.high - p.low
    t1 = log(width)
    t2 = (qa - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t3 = (qb - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + width) / width
    t4 = lgamma(qa) + lgamma(qb) - lgamma(qa + qb)
    result = t3 + t4 - t1 - t2
    return _inf_where((p.high > 1.0) | (p.low < 0.0), result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    qa, qb = q.concentration, q.rate
    width = p.high - p.low
    t1 = log(width)
    t2 = lgamma(qa) - qa * log(qb)
    t3 = (1 - qa) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t4 = qb * (p.high + p.low) / 2
    result = -t1 + t2 + t3 + t4
    return _inf_where(p.low < 0.0, result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    width = p.high - p.low
    t1 = log(math.sqrt(math.pi * 2) * q.scale / width)
    t2 = width.pow(2) / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)
