"""Op-table rows: elementwise ops."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from tests.autograd.op_table import Row, bshapes, same_shapes


def _sep(arrs, kw):
    """Break near-ties between two inputs (maximum/minimum kinks)."""
    a, b = arrs
    a, b = np.broadcast_arrays(a, b)
    close = np.abs(a - b) < 2e-2
    b = np.where(close, a + 0.1, b)
    return [arrs[0], b if b.shape == arrs[1].shape else _fit(b, arrs[1].shape)]


def _fit(b, shape):
    # b was broadcast: keep the original shape by taking the leading slice
    while b.ndim > len(shape):
        b = b[0]
    idx = tuple(slice(0, s) for s in shape)
    return np.ascontiguousarray(b[idx])


def _nonzero_denominator(arrs, kw):
    a, b = arrs
    return [a, np.where(np.abs(b) < 0.2, 0.2 * np.sign(b) + (b == 0) * 0.2, b)]


_ERF = np.vectorize(math.erf)

UNARY = [
    ("neg", ag.neg, np.negative, (-2, 2), ()),
    ("abs", ag.abs, np.abs, (-2, 2), (0.0,)),
    ("exp", ag.exp, np.exp, (-2, 2), ()),
    ("exp2", ag.exp2, np.exp2, (-2, 2), ()),
    ("log", ag.log, np.log, (0.2, 3), ()),
    ("log2", ag.log2, np.log2, (0.2, 3), ()),
    ("log10", ag.log10, np.log10, (0.2, 3), ()),
    ("log1p", ag.log1p, np.log1p, (-0.5, 3), ()),
    ("expm1", ag.expm1, np.expm1, (-2, 2), ()),
    ("sqrt", ag.sqrt, np.sqrt, (0.2, 3), ()),
    ("rsqrt", ag.rsqrt, lambda x: 1 / np.sqrt(x), (0.2, 3), ()),
    ("square", ag.square, np.square, (-2, 2), ()),
    ("reciprocal", ag.reciprocal, np.reciprocal, (0.3, 3), ()),
    ("sin", ag.sin, np.sin, (-3, 3), ()),
    ("cos", ag.cos, np.cos, (-3, 3), ()),
    ("tan", ag.tan, np.tan, (-1.2, 1.2), ()),
    ("asin", ag.asin, np.arcsin, (-0.9, 0.9), ()),
    ("acos", ag.acos, np.arccos, (-0.9, 0.9), ()),
    ("atan", ag.atan, np.arctan, (-3, 3), ()),
    ("sinh", ag.sinh, np.sinh, (-2, 2), ()),
    ("cosh", ag.cosh, np.cosh, (-2, 2), ()),
    ("tanh", ag.tanh, np.tanh, (-3, 3), ()),
    ("sigmoid", ag.sigmoid, lambda x: 1 / (1 + np.exp(-x)), (-5, 5), ()),
    ("relu", ag.relu, lambda x: np.maximum(x, 0), (-2, 2), (0.0,)),
    ("erf", ag.erf, _ERF, (-2.5, 2.5), ()),
    ("frac", ag.frac, lambda x: x - np.trunc(x), (-2.5, 2.5), (-2.0, -1.0, 0.0, 1.0, 2.0)),
]

PIECEWISE_CONSTANT = [
    ("sign", ag.sign, np.sign, (0.0,)),
    ("floor", ag.floor, np.floor, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("ceil", ag.ceil, np.ceil, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("trunc", ag.trunc, np.trunc, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("round", ag.round, np.round, (-1.5, -0.5, 0.5, 1.5)),
]

ROWS = (
    [Row(n, f, 1, domain=d, kinks=k, ref=r, shapes=same_shapes(1)) for n, f, r, d, k in UNARY]
    + [Row(n, f, 1, kinks=k, ref=r, shapes=same_shapes(1)) for n, f, r, k in PIECEWISE_CONSTANT]
    + [
        Row("add", lambda a, b: a + b, 2, ref=np.add),
        Row(
            "add_alpha",
            lambda a, b: ag.add(a, b, alpha=2.5),
            2,
            ref=lambda a, b: a + 2.5 * b,
            covers=("add", "mul"),
        ),
        Row("sub", lambda a, b: a - b, 2, ref=np.subtract),
        Row("mul", lambda a, b: a * b, 2, ref=np.multiply),
        Row("div", lambda a, b: a / b, 2, prep=_nonzero_denominator, ref=np.divide),
        Row(
            "rdiv_scalar",
            lambda a: 2.0 / a,
            1,
            domain=(0.3, 2),
            ref=lambda a: 2.0 / a,
            covers=("div",),
        ),
        Row("pow", lambda a, b: a**b, 2, domain=[(0.3, 2.0), (-2.0, 2.0)], ref=np.power),
        Row("pow_scalar_exp", lambda a: a**3, 1, ref=lambda a: a**3, covers=("pow",)),
        Row("pow_scalar_base", lambda a: 2.0**a, 1, ref=lambda a: 2.0**a, covers=("pow",)),
        # float_power: both operands cast to float64 first (a cast node each), then pow
        Row(
            "float_power",
            ag.float_power,
            2,
            domain=[(0.3, 2.0), (-2.0, 2.0)],
            ref=lambda a, b: np.power(a.astype(np.float64), b.astype(np.float64)),
            covers=("pow", "cast"),
        ),
        Row(
            "float_power_scalar_exp",
            lambda a: a.float_power(2.5),
            1,
            domain=(0.3, 2.0),
            ref=lambda a: np.power(a.astype(np.float64), 2.5),
            covers=("pow", "cast"),
        ),
        Row(
            "float_power_scalar_base",
            lambda a: ag.float_power(3, a),
            1,
            ref=lambda a: np.power(3.0, a.astype(np.float64)),
            covers=("pow", "cast"),
        ),
        Row(
            "remainder",
            lambda a, b: a % b,
            2,
            domain=[(-3, 3), (0.5, 2)],
            prep=lambda arrs, kw: [_away_from_multiples(*arrs), arrs[1]],
            ref=np.remainder,
        ),
        Row(
            "fmod",
            ag.fmod,
            2,
            domain=[(-3, 3), (0.5, 2)],
            prep=lambda arrs, kw: [_away_from_multiples(*arrs), arrs[1]],
            ref=np.fmod,
        ),
        Row(  # ``//`` has no derivative in PyTorch (test_floor_divide_backward_raises)
            "floor_divide",
            lambda a, b: a // b,
            2,
            domain=[(-3, 3), (0.5, 2)],
            prep=lambda arrs, kw: [_away_from_multiples(*arrs), arrs[1]],
            ref=np.floor_divide,
            grad=False,
        ),
        Row(
            "div_floor",
            lambda a, b: ag.div(a, b, rounding_mode="floor"),
            2,
            domain=[(-3, 3), (0.5, 2)],
            prep=lambda arrs, kw: [_away_from_multiples(*arrs), arrs[1]],
            ref=np.floor_divide,
        ),
        Row("atan2", ag.atan2, 2, domain=[(-2, 2), (0.3, 2)], ref=np.arctan2),
        Row("maximum", ag.maximum, 2, prep=_sep, ref=np.maximum),
        Row("minimum", ag.minimum, 2, prep=_sep, ref=np.minimum),
        Row(
            "clamp",
            lambda a, **kw: ag.clamp(a, **kw),
            1,
            shapes=same_shapes(1),
            kinks=(-0.5, 0.7),
            kwargs=lambda s: st.sampled_from(
                [dict(min=-0.5, max=0.7), dict(min=-0.5), dict(max=0.7)]
            ),
            ref=lambda a, **kw: np.clip(a, kw.get("min"), kw.get("max")),
        ),
        Row(
            "clamp_tensor_bounds",
            lambda a, lo, hi: ag.clamp(a, lo, hi),
            3,
            prep=lambda arrs, kw: [arrs[0], arrs[1] - 3.0, arrs[2] + 3.0],
            covers=("maximum", "minimum"),
        ),
        Row(
            "where",
            lambda a, b, cond=None: ag.where(ag.tensor(cond), a, b),
            2,
            kwargs=lambda s: st.integers(0, 2**31).map(
                lambda seed: dict(
                    cond=np.random.default_rng(seed).random(np.broadcast_shapes(*s)) < 0.5
                )
            ),
            ref=lambda a, b, cond=None: np.where(cond, a, b),
        ),
        Row(
            "masked_fill",
            lambda a, mask=None: ag.masked_fill(a, ag.tensor(mask), -1.5),
            1,
            shapes=same_shapes(1),
            kwargs=lambda s: st.integers(0, 2**31).map(
                lambda seed: dict(mask=np.random.default_rng(seed).random(s[0]) < 0.5)
            ),
            ref=lambda a, mask=None: np.where(mask, -1.5, a),
        ),
        Row(
            "masked_fill_tensor_value",
            lambda a, v: ag.masked_fill(a, a > 0, v.sum()),
            2,
            shapes=st.tuples(st.just((3, 2)), st.just(())),
            kinks=(0.0,),
            covers=("masked_fill",),
        ),
        Row("lerp", lambda a, b, w: ag.lerp(a, b, w), 3, covers=("add", "mul", "sub")),
        Row(
            "addcmul",
            lambda a, b, c: ag.addcmul(a, b, c, value=-0.7),
            3,
            ref=lambda a, b, c: a + -0.7 * (b * c),
            covers=("add", "mul"),
        ),
        Row(
            "addcdiv",
            lambda a, b, c: ag.addcdiv(a, b, c, value=0.3),
            3,
            domain=[(-2.0, 2.0), (-2.0, 2.0), (0.5, 2.0)],
            ref=lambda a, b, c: a + 0.3 * (b / c),
            covers=("add", "div", "mul"),
        ),
        Row("clone", lambda a: a.clone() * 1.0, 1, covers=("clone", "mul")),
    ]
)


def _away_from_multiples(a, b):
    """Keep a / b away from integers (the discontinuities of remainder and floor_divide)."""
    b = np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape))
    a_b = np.broadcast_to(a, b.shape)
    q = a_b / b
    frac = q - np.floor(q)
    bad = (frac < 0.05) | (frac > 0.95)
    fixed = np.where(bad, (np.floor(q) + 0.5) * b, a_b)
    return _fit(fixed, a.shape)


COMPARISONS = [
    ("eq", ag.eq, np.equal),
    ("ne", ag.ne, np.not_equal),
    ("lt", ag.lt, np.less),
    ("le", ag.le, np.less_equal),
    ("gt", ag.gt, np.greater),
    ("ge", ag.ge, np.greater_equal),
    (
        "logical_and",
        lambda a, b: ag.logical_and(a > 0, b > 0),
        lambda a, b: np.logical_and(a > 0, b > 0),
    ),
    (
        "logical_or",
        lambda a, b: ag.logical_or(a > 0, b > 0),
        lambda a, b: np.logical_or(a > 0, b > 0),
    ),
    (
        "logical_xor",
        lambda a, b: ag.logical_xor(a > 0, b > 0),
        lambda a, b: np.logical_xor(a > 0, b > 0),
    ),
    ("bitwise_and", lambda a, b: (a > 0) & (b > 0), lambda a, b: (a > 0) & (b > 0)),
    ("bitwise_or", lambda a, b: (a > 0) | (b > 0), lambda a, b: (a > 0) | (b > 0)),
    ("bitwise_xor", lambda a, b: (a > 0) ^ (b > 0), lambda a, b: (a > 0) ^ (b > 0)),
    ("isclose", ag.isclose, np.isclose),
]
UNARY_NOGRAD = [
    ("logical_not", lambda a: ag.logical_not(a > 0), lambda a: ~(a > 0)),
    ("bitwise_not", lambda a: ~(a > 0), lambda a: ~(a > 0)),
    ("isnan", lambda a: ag.isnan(ag.log(a)), lambda a: np.isnan(np.log(a))),
    ("isinf", lambda a: ag.isinf(1 / (a * 0 + (a > 0))), lambda a: np.isinf(1 / (a * 0 + (a > 0)))),
    ("isfinite", lambda a: ag.isfinite(ag.log(a)), lambda a: np.isfinite(np.log(a))),
    ("signbit", ag.signbit, np.signbit),
]

ROWS += [Row(n, f, 2, grad=False, ref=r) for n, f, r in COMPARISONS]
ROWS += [Row(n, f, 1, grad=False, ref=r, shapes=same_shapes(1)) for n, f, r in UNARY_NOGRAD]
_ = bshapes

# -- gamma-function family: references independent of the implementations under test --------
_LGAMMA = np.vectorize(math.lgamma)


def _digamma_ref(x):
    """Fourth-order central difference of math.lgamma (error ~1e-10 on the row's domain)."""
    h = 1e-3
    lg = _LGAMMA
    return (8 * (lg(x + h) - lg(x - h)) - (lg(x + 2 * h) - lg(x - 2 * h))) / (12 * h)


def _polygamma_ref(x, n):
    """psi^(n)(x) = (-1)^(n+1) n! sum_k (x + k)^-(n+1), summed directly to K, with the
    integral and half-term of the tail (error ~1e-11 relative for n >= 1 on the domain)."""
    s = n + 1
    k = np.arange(4000.0)
    terms = (x[..., None] + k) ** -s
    a = x + 4000.0
    z = terms.sum(-1) + a ** (1 - s) / (s - 1) + 0.5 * a**-s
    return (-1.0) ** (n + 1) * math.factorial(n) * z


_POLES = (-3.0, -2.0, -1.0, 0.0)
ROWS += [
    Row(
        "lgamma",
        ag.lgamma,
        1,
        domain=(-3.5, 6.0),
        kinks=_POLES,
        margin=0.1,
        ref=_LGAMMA,
        shapes=same_shapes(1),
    ),
    Row(
        "digamma",
        ag.digamma,
        1,
        domain=(0.2, 6.0),
        ref=_digamma_ref,
        fwd_rtol=1e-8,
        fwd_atol=1e-8,
        tol_reason="the reference (4th-order difference of math.lgamma) is itself off by up to "
        "3e-9 absolute, 1.2e-9 relative; the VJP is checked at the default bounds",
        shapes=same_shapes(1),
    ),
    Row(
        "digamma_negative",
        ag.digamma,
        1,
        domain=(-3.5, -0.1),
        kinks=_POLES,
        margin=0.1,
        ref=lambda x: _digamma_ref(1 - x) - np.pi / np.tan(np.pi * x),
        fwd_rtol=1e-8,
        fwd_atol=1e-8,
        tol_reason="the reference (4th-order difference of math.lgamma) is itself off by up to "
        "3e-9 absolute; the VJP is checked at the default bounds",
        shapes=same_shapes(1),
        covers=("digamma",),
    ),
    Row(
        "polygamma",
        lambda x, n: ag.polygamma(n, x),
        1,
        domain=(-3.5, 6.0),
        kinks=_POLES,
        margin=0.1,
        ref=_polygamma_ref,
        fwd_rtol=1e-10,
        tol_reason="the reference (direct sum with an integral tail) is accurate to about 1.4e-11 "
        "relative for n = 1; the VJP is checked at the default bounds",
        kwargs=lambda s: st.sampled_from([{"n": 1}, {"n": 2}, {"n": 3}]),
        shapes=same_shapes(1),
    ),
]


# ---------------------------------------------------------------------------------------
# hypot, logit, erfinv, poisson


def _erfinv_ref_scalar(y):
    """Bisection on the standard library's erf/erfc to the last bit (an independent check of
    the NumPy-only erfinv)."""
    a = abs(y)
    lo, hi = 0.0, 7.0
    while True:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        below = math.erf(mid) < a if a <= 0.5 else math.erfc(mid) > 1 - a
        lo, hi = (mid, hi) if below else (lo, mid)
    return math.copysign(lo, y) if a < 1 else math.copysign(math.inf, y)


def _erfinv_ref(a):
    return np.vectorize(_erfinv_ref_scalar, otypes=[np.float64])(a)


def _logit_ref(a, eps=None):
    if eps is not None:
        a = np.clip(a, eps, 1 - eps)
    return np.log(a / (1 - a))


def _poisson_seeded(a):
    return ag.poisson(a.detach().abs(), generator=ag.Generator().manual_seed(7))


ROWS += [
    Row(
        "hypot",
        ag.hypot,
        2,
        domain=[(0.3, 2.0), (-2.0, -0.3)],
        ref=np.hypot,
    ),
    Row("logit", ag.logit, 1, domain=(0.05, 0.95), shapes=same_shapes(1), ref=_logit_ref),
    Row(
        "logit_eps",
        lambda a, eps: ag.logit(a, eps=eps),
        1,
        domain=(0.0, 1.0),
        kinks=(0.1, 0.9),
        shapes=same_shapes(1),
        kwargs=lambda s: st.just({"eps": 0.1}),
        ref=lambda a, eps: _logit_ref(a, eps),
        covers=("logit",),
    ),
    Row("erfinv", ag.erfinv, 1, domain=(-0.95, 0.95), shapes=same_shapes(1), ref=_erfinv_ref),
    Row(
        "erfinv_tail",
        lambda a: ag.erfinv(1 - a * 1e-9),
        1,
        domain=(0.5, 2.0),
        shapes=same_shapes(1),
        ref=lambda a: _erfinv_ref(1 - a * 1e-9),
        grad=False,
        covers=("erfinv",),
    ),
    Row(
        "poisson",
        _poisson_seeded,
        1,
        domain=(0.0, 20.0),
        shapes=same_shapes(1),
        ref=lambda a: np.asarray(
            np.random.Generator(np.random.PCG64(7)).poisson(np.abs(a)), dtype=a.dtype
        ),
        grad=False,
    ),
]


def _np_mvlgamma(a, p):
    lg = np.vectorize(math.lgamma)
    return sum(lg(a - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)


ROWS += [
    Row(
        "xlogy",
        ag.xlogy,
        2,
        domain=[(-2.0, 2.0), (0.1, 3.0)],
        ref=lambda a, b: a * np.log(b),
    ),
    Row(
        "xlogy_zero",
        lambda a, b: ag.xlogy(a * 0.0, b) + ag.xlogy(a, 2.0),
        2,
        domain=[(-2.0, 2.0), (0.1, 3.0)],
        ref=lambda a, b: a * math.log(2.0) + 0.0 * b,
        covers=("xlogy", "mul", "add"),
    ),
    Row(
        "xlog1py",
        ag.special.xlog1py,
        2,
        domain=[(-2.0, 2.0), (-0.9, 3.0)],
        ref=lambda a, b: a * np.log1p(b),
    ),
    Row("entr", ag.special.entr, 1, domain=(0.05, 3.0), ref=lambda a: -a * np.log(a)),
    Row("sinc", ag.sinc, 1, domain=(-2.5, 2.5), ref=np.sinc),
    Row(
        "sinc_at_zero",
        lambda a: ag.sinc(a * 0.0) + ag.sinc(a),
        1,
        domain=(-2.5, 2.5),
        ref=lambda a: 1.0 + np.sinc(a),
        covers=("sinc", "mul", "add"),
    ),
    Row(
        "mvlgamma",
        lambda a, p: ag.mvlgamma(a, p),
        1,
        domain=(1.6, 5.0),
        kwargs=lambda s: st.fixed_dictionaries({"p": st.integers(1, 4)}),
        ref=_np_mvlgamma,
        covers=("lgamma", "sub", "sum", "add"),
    ),
]
