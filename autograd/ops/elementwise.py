"""Elementwise ops: arithmetic, unary maths, comparisons, ``where``, ``clamp`` and casts.

Each primitive is its NumPy forward followed by its VJPs (see NOTE [ One definition per op ] in
``_registry.py``). VJPs use these same ops, so they work on arrays (plain backward) and on
Tensors (``create_graph=True``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from ._registry import Op, public

# ---------------------------------------------------------------------------------------
# arithmetic


def _add_vjp(grad, ans, x, y):
    return grad


add_p = Op("add", np.add, promote="arith").defvjp(_add_vjp, _add_vjp)


def _sub_vjp_x(grad, ans, x, y):
    return grad


def _sub_vjp_y(grad, ans, x, y):
    return neg(grad)


sub_p = Op(
    "sub",
    np.subtract,
    promote="arith",
    node_name=lambda n: "RsubBackward1" if n.shapes[0] is None else "SubBackward0",
).defvjp(_sub_vjp_x, _sub_vjp_y)


def _mul_vjp_x(grad, ans, x, y):
    return mul(grad, y)


def _mul_vjp_y(grad, ans, x, y):
    return mul(grad, x)


mul = Op(
    "mul",
    np.multiply,
    save_for=((1,), (0,)),
    promote="arith",
    function=True,
    method=True,
    inplace=np.multiply,
    aliases=("multiply",),
).defvjp(_mul_vjp_x, _mul_vjp_y)


def _div_vjp_x(grad, ans, x, y):
    return div_p(grad, y)


def _div_vjp_y(grad, ans, x, y):
    # d(x/y)/dy = -x/y^2 = -(x/y)/y
    return neg(mul(grad, div_p(ans, y)))


div_p = Op("div", np.true_divide, save=(1,), save_out=True, promote="float").defvjp(
    _div_vjp_x, _div_vjp_y
)


def _floor_divide_fwd(x, y):
    return np.floor_divide(x, y)


# NOTE [ Underflow is not an error ]
# Under ``np.seterr(all="raise")`` NumPy reports an exp that rounds to 0 (or to a subnormal) as
# a FloatingPointError, though 0 is the correctly rounded result: sigmoid(-1000) is exactly 0
# in PyTorch. So the few NumPy calls whose underflow is the intended result (exp and its
# relatives, logaddexp) silence it for that one call; overflow, invalid operations and
# division by zero are still reported, and every other call is left alone.
def _quiet_underflow(f):
    def call(*args, **kwargs):
        with np.errstate(under="ignore"):
            return f(*args, **kwargs)

    call.__name__ = call.__qualname__ = f.__name__
    return call


_exp = _quiet_underflow(np.exp)
_exp2 = _quiet_underflow(np.exp2)
_logaddexp = _quiet_underflow(np.logaddexp)


def _zero_vjp(grad, ans, *args, **kwargs):
    """Piecewise-constant ops (floor, sign, ...) have zero gradient almost everywhere."""
    return mul(grad, 0)


def _floor_divide_vjp(grad, ans, x, y):
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


# As in PyTorch: ``floor_divide`` (``//``) records a node whose backward raises, while
# ``div(..., rounding_mode='floor')`` (``div_floor_p``) has a zero gradient.
floor_divide = Op(
    "floor_divide",
    _floor_divide_fwd,
    promote="arith",
    function=True,
    method=True,
    inplace=True,
    node_name="torch::autograd::NotImplemented",
).defvjp(_floor_divide_vjp, _floor_divide_vjp)
div_floor_p = Op("div_floor", _floor_divide_fwd, promote="arith", node_name="DivBackward2").defvjp(
    _zero_vjp, _zero_vjp
)


def _remainder_vjp_x(grad, ans, x, y):
    return grad


def _remainder_vjp_y(grad, ans, x, y):
    # remainder(x, y) = x - floor(x / y) * y
    return mul(neg(grad), div_floor_p(x, y))


remainder = Op(
    "remainder",
    np.remainder,
    save=(0, 1),
    promote="arith",
    function=True,
    method=True,
    inplace=True,
).defvjp(_remainder_vjp_x, _remainder_vjp_y)


def _fmod_vjp_y(grad, ans, x, y):
    return mul(neg(grad), trunc(div_p(x, y)))


fmod = Op(
    "fmod", np.fmod, save=(0, 1), promote="arith", function=True, method=True, inplace=True
).defvjp(_remainder_vjp_x, _fmod_vjp_y)


def _pow_fwd(x, y):
    return np.power(x, y)


def _pow_vjp_x(grad, ans, x, y):
    # grad * y * x^(y-1), taken as 0 where y == 0 (so 0**0 has gradient 0, as in PyTorch)
    r = mul(grad, mul(y, pow(x, sub_p(y, 1))))
    return where_p(eq(y, 0), 0.0, r) if _may_be_zero(y) else r


def _pow_vjp_y(grad, ans, x, y):
    # grad * x^y * log(x), taken as 0 where x == 0 and y >= 0 (PyTorch's choice)
    r = mul(grad, mul(ans, log(x)))
    return where_p(logical_and(eq(x, 0), ge(y, 0)), 0.0, r)


def _may_be_zero(v):
    return not isinstance(v, (int, float)) or v == 0


pow = Op(
    "pow",
    _pow_fwd,
    node_name=lambda n: (
        "PowBackward2"
        if n.shapes[0] is None
        else "PowBackward0"
        if n.shapes[1] is None
        else "PowBackward1"
    ),
    save=(0, 1),
    save_out=True,
    promote="arith",
    function=True,
    method=True,
    inplace=True,
).defvjp(  # noqa: A001
    _pow_vjp_x, _pow_vjp_y
)

# PyTorch's scalar-type names, for the messages that quote them
_SCALAR_NAMES = {
    np.dtype(np.float16): "Half",
    np.dtype(np.float32): "Float",
    np.dtype(np.float64): "Double",
    np.dtype(np.complex64): "ComplexFloat",
    np.dtype(np.complex128): "ComplexDouble",
    np.dtype(np.int64): "Long",
    np.dtype(np.int32): "Int",
    np.dtype(np.int16): "Short",
    np.dtype(np.int8): "Char",
    np.dtype(np.uint8): "Byte",
    np.dtype(np.bool_): "Bool",
}


def _float_power_dtype(input, exponent) -> np.dtype:
    for v in (input, exponent):
        if isinstance(v, complex) or (isinstance(v, Tensor) and v.dtype.kind == "c"):
            return np.dtype(np.complex128)
    return np.dtype(np.float64)


@public(method=True)
def float_power(input, exponent):  # noqa: A002
    """float_power(input, exponent) -> Tensor

    Elementwise ``input ** exponent`` in double precision, with broadcasting: both are cast to
    float64 (complex128 if either is complex) first, so the result is float64 (complex128)
    whatever the inputs' dtypes.

    Parameters
    ----------
    input : Tensor or number
        Any shape.
    exponent : Tensor or number
        Broadcastable with ``input``; at least one of the two is a Tensor.

    Returns
    -------
    Tensor
        The broadcast shape, float64 or complex128. Gradients flow back to each Tensor in its own
        dtype.
    """
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(
            "float_power() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(exponent).__name__}), but expected one of: "
            "(Tensor input, Tensor exponent), (Number self, Tensor exponent), "
            "(Tensor input, Number exponent)"
        )
    dt = _float_power_dtype(input, exponent)
    if isinstance(input, Tensor) and input.dtype != dt:
        input = cast(input, dtype=dt)
    if isinstance(exponent, Tensor) and exponent.dtype != dt:
        exponent = cast(exponent, dtype=dt)
    return pow(input, exponent)


def float_power_(self, exponent):
    """In-place :func:`float_power`: ``self`` must already be float64 (complex128 when either
    operand is complex), as in PyTorch."""
    dt = _float_power_dtype(self, exponent)
    if self.dtype != dt:
        have = _SCALAR_NAMES.get(self.dtype, str(self.dtype))
        raise RuntimeError(
            f"the base given to float_power_ has dtype {have} but the operation's result "
            f"requires dtype {_SCALAR_NAMES[dt]}"
        )
    return self._inplace(float_power, exponent)


public(float_power_, function=False, method=True)


def _neg_vjp(grad, ans, x):
    return neg(grad)


neg = Op(
    "neg", np.negative, function=True, method=True, inplace=True, aliases=("negative",)
).defvjp(_neg_vjp)

# ---------------------------------------------------------------------------------------
# unary maths


def _abs_vjp(grad, ans, x):
    # sign(0) = 0: the subgradient PyTorch picks at the kink
    return mul(grad, sign(x))


abs = Op(
    "abs", np.abs, save=(0,), function=True, method=True, inplace=True, aliases=("absolute",)
).defvjp(_abs_vjp)  # noqa: A001


def _exp_vjp(grad, ans, x):
    return mul(grad, ans)


exp = Op("exp", _exp, save_out=True, function=True, method=True, inplace=True).defvjp(_exp_vjp)


def _exp2_vjp(grad, ans, x):
    return mul(grad, mul(ans, math.log(2.0)))


exp2 = Op("exp2", _exp2, save_out=True, function=True, method=True, inplace=True).defvjp(_exp2_vjp)


def _log_vjp(grad, ans, x):
    return div_p(grad, x)


log = Op("log", np.log, save=(0,), function=True, method=True, inplace=True).defvjp(_log_vjp)


def _log2_vjp(grad, ans, x):
    return div_p(grad, mul(x, math.log(2.0)))


log2 = Op("log2", np.log2, save=(0,), function=True, method=True, inplace=True).defvjp(_log2_vjp)


def _log10_vjp(grad, ans, x):
    return div_p(grad, mul(x, math.log(10.0)))


log10 = Op("log10", np.log10, save=(0,), function=True, method=True, inplace=True).defvjp(
    _log10_vjp
)


def _log1p_vjp(grad, ans, x):
    return div_p(grad, add_p(x, 1))


log1p = Op("log1p", np.log1p, save=(0,), function=True, method=True, inplace=True).defvjp(
    _log1p_vjp
)


def _expm1_vjp(grad, ans, x):
    # exp(x), not ans + 1: that loses every digit for x << 0 (ELU's slope at -30, -100)
    return mul(grad, exp(x))


expm1 = Op("expm1", np.expm1, save=(0,), function=True, method=True, inplace=True).defvjp(
    _expm1_vjp
)


def _sqrt_vjp(grad, ans, x):
    return div_p(grad, mul(ans, 2))


sqrt = Op("sqrt", np.sqrt, save_out=True, function=True, method=True, inplace=True).defvjp(
    _sqrt_vjp
)


def _rsqrt_fwd(x):
    return 1 / np.sqrt(x)


def _rsqrt_vjp(grad, ans, x):
    return mul(grad, mul(pow(ans, 3), -0.5))


rsqrt = Op("rsqrt", _rsqrt_fwd, save_out=True, function=True, method=True, inplace=True).defvjp(
    _rsqrt_vjp
)


def _square_fwd(x):
    return np.multiply(x, x)


def _square_vjp(grad, ans, x):
    return mul(grad, mul(x, 2))


square = Op("square", _square_fwd, save=(0,), function=True, method=True, inplace=True).defvjp(
    _square_vjp
)


def _reciprocal_fwd(x):
    return (
        np.reciprocal(x)
        if x.dtype.kind == "f"
        else np.true_divide(1.0, x).astype(_dt.get_default_dtype())
    )


def _reciprocal_vjp(grad, ans, x):
    return neg(mul(grad, square(ans)))


reciprocal = Op(
    "reciprocal", _reciprocal_fwd, save_out=True, function=True, method=True, inplace=True
).defvjp(_reciprocal_vjp)


def _sin_vjp(grad, ans, x):
    return mul(grad, cos(x))


sin = Op("sin", np.sin, save=(0,), function=True, method=True, inplace=True).defvjp(_sin_vjp)


def _cos_vjp(grad, ans, x):
    return neg(mul(grad, sin(x)))


cos = Op("cos", np.cos, save=(0,), function=True, method=True, inplace=True).defvjp(_cos_vjp)


def _tan_vjp(grad, ans, x):
    return mul(grad, add_p(square(ans), 1))


tan = Op("tan", np.tan, save_out=True, function=True, method=True, inplace=True).defvjp(_tan_vjp)


def _asin_vjp(grad, ans, x):
    return mul(grad, rsqrt(sub_p(1, square(x))))


asin = Op("asin", np.arcsin, save=(0,), function=True, method=True, inplace=True).defvjp(_asin_vjp)


def _acos_vjp(grad, ans, x):
    return neg(mul(grad, rsqrt(sub_p(1, square(x)))))


acos = Op("acos", np.arccos, save=(0,), function=True, method=True, inplace=True).defvjp(_acos_vjp)


def _atan_vjp(grad, ans, x):
    return div_p(grad, add_p(square(x), 1))


atan = Op("atan", np.arctan, save=(0,), function=True, method=True, inplace=True).defvjp(_atan_vjp)


def _atan2_vjp_y(grad, ans, y, x):
    return mul(grad, div_p(x, add_p(square(x), square(y))))


def _atan2_vjp_x(grad, ans, y, x):
    return mul(grad, div_p(neg(y), add_p(square(x), square(y))))


atan2 = Op(
    "atan2",
    np.arctan2,
    save=(0, 1),
    promote="float",
    function=True,
    method=True,
    inplace=True,
    aliases=("arctan2",),
).defvjp(_atan2_vjp_y, _atan2_vjp_x)


def _sinh_vjp(grad, ans, x):
    return mul(grad, cosh(x))


sinh = Op("sinh", np.sinh, save=(0,), function=True, method=True, inplace=True).defvjp(_sinh_vjp)


def _cosh_vjp(grad, ans, x):
    return mul(grad, sinh(x))


cosh = Op("cosh", np.cosh, save=(0,), function=True, method=True, inplace=True).defvjp(_cosh_vjp)


def _tanh_vjp(grad, ans, x):
    return mul(grad, sub_p(1, square(ans)))


tanh = Op("tanh", np.tanh, save_out=True, function=True, method=True, inplace=True).defvjp(
    _tanh_vjp
)


def _sigmoid_fwd(x):
    # One exp, stable for large |x|: e = exp(-|x|) never overflows.
    e = _exp(-np.abs(x))  # NOTE [ Underflow is not an error ]
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_vjp(grad, ans, x):
    return mul(grad, mul(ans, sub_p(1, ans)))


sigmoid = Op(
    "sigmoid", _sigmoid_fwd, save_out=True, function=True, method=True, inplace=True
).defvjp(_sigmoid_vjp)


def _relu_fwd(x):
    return np.maximum(x, 0)


def _relu_vjp(grad, ans, x):
    # relu'(0) = 0, as PyTorch
    return mul(grad, gt(ans, 0))


relu = Op("relu", _relu_fwd, save_out=True, function=True, method=True, inplace=True).defvjp(
    _relu_vjp
)


def _erf_fwd(x):
    return _erf(x)


def _erf_vjp(grad, ans, x):
    return mul(grad, mul(exp(neg(square(x))), 2.0 / math.sqrt(math.pi)))


erf = Op("erf", _erf_fwd, save=(0,), function=True, method=True, inplace=True).defvjp(_erf_vjp)

# Rational approximations of erf/erfc from the Cephes library (S. L. Moshier), accurate to
# about 1e-16 relative in float64: |x| <= 1 uses erf = x T(x^2) / U(x^2); beyond it
# erf = 1 - erfc with erfc = exp(-x^2) P(|x|) / Q(|x|) (two ranges split at 8).
_ERF_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_ERF_U = (
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_ERFC_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_ERFC_Q = (
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)
_ERFC_R = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_ERFC_S = (
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)


def _polevl(x, coefs):
    r = np.full_like(x, coefs[0])
    for c in coefs[1:]:
        r = r * x + c
    return r


def _p1evl(x, coefs):
    """Like _polevl with an implicit leading coefficient 1."""
    r = x + coefs[0]
    for c in coefs[1:]:
        r = r * x + c
    return r


def _erf(x):
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else _dt.get_default_dtype()
    x = x.astype(np.float64)
    a = np.minimum(np.abs(x), 30.0)  # erfc(30) underflows: erf is exactly +-1 beyond
    xs = np.clip(x, -1.0, 1.0)
    zs = xs * xs
    small = xs * _polevl(zs, _ERF_T) / _p1evl(zs, _ERF_U)
    mid = _polevl(a, _ERFC_P) / _p1evl(a, _ERFC_Q)
    far = _polevl(a, _ERFC_R) / _p1evl(a, _ERFC_S)
    erfc = _exp(-a * a) * np.where(a < 8.0, mid, far)
    big = np.sign(x) * (1.0 - erfc)
    out = np.where(a <= 1.0, small, big)
    out = np.where(np.isnan(x), np.nan, out)
    return out.astype(dt, copy=False)


sign = Op("sign", np.sign, function=True, method=True, inplace=True).defvjp(_zero_vjp)
floor = Op("floor", np.floor, function=True, method=True, inplace=True).defvjp(_zero_vjp)
ceil = Op("ceil", np.ceil, function=True, method=True, inplace=True).defvjp(_zero_vjp)
trunc = Op("trunc", np.trunc, function=True, method=True, inplace=True).defvjp(_zero_vjp)


def _round_fwd(x, decimals=0):
    return np.round(x, decimals)


round = Op("round", _round_fwd, function=True, method=True, inplace=True).defvjp(_zero_vjp)  # noqa: A001


def _frac_fwd(x):
    return x - np.trunc(x)


def _frac_vjp(grad, ans, x):
    return grad


frac = Op("frac", _frac_fwd, function=True, method=True, inplace=True).defvjp(_frac_vjp)


def _clamp_fwd(x, min=None, max=None):  # noqa: A002
    if min is not None and max is not None:
        return np.minimum(np.maximum(x, min), max)
    if min is not None:
        return np.maximum(x, min)
    return np.minimum(x, max)


def _clamp_vjp(grad, ans, x, min=None, max=None):  # noqa: A002
    # gradient passes where min <= x <= max (boundaries included), as in PyTorch
    if min is not None and max is not None:
        return mul(grad, logical_and(ge(x, min), le(x, max)))
    if min is not None:
        return mul(grad, ge(x, min))
    return mul(grad, le(x, max))


clamp_p = Op("clamp", _clamp_fwd, save=(0,), node_name="ClampBackward1").defvjp(_clamp_vjp)


def _maximum_vjp_x(grad, ans, x, y):
    # ties split the gradient evenly (PyTorch's choice for maximum/minimum)
    return mul(grad, add_p(gt(x, y), mul(eq(x, y), 0.5)))


def _maximum_vjp_y(grad, ans, x, y):
    return mul(grad, add_p(lt(x, y), mul(eq(x, y), 0.5)))


maximum = Op(
    "maximum", np.maximum, save=(0, 1), promote="arith", function=True, method=True, inplace=True
).defvjp(_maximum_vjp_x, _maximum_vjp_y)
minimum = Op(
    "minimum", np.minimum, save=(0, 1), promote="arith", function=True, method=True, inplace=True
).defvjp(_maximum_vjp_y, _maximum_vjp_x)


def _where_fwd(cond, x, y):
    return np.where(cond, x, y)


def _where_vjp_x(grad, ans, cond, x, y):
    return where_p(cond, grad, 0.0)


def _where_vjp_y(grad, ans, cond, x, y):
    return where_p(cond, 0.0, grad)


where_p = Op("where", _where_fwd, save=(0,), promote="arith").defvjp(
    None, _where_vjp_x, _where_vjp_y
)


def _masked_fill_fwd(x, mask, value):
    return np.where(mask, value, x).astype(x.dtype, copy=False)


def _masked_fill_vjp_x(grad, ans, x, mask, value):
    return where_p(mask, 0.0, grad)


def _masked_fill_vjp_v(grad, ans, x, mask, value):
    return where_p(mask, grad, 0.0)


masked_fill = Op("masked_fill", _masked_fill_fwd, save=(1,)).defvjp(
    _masked_fill_vjp_x, None, _masked_fill_vjp_v
)


def _cast_fwd(x, dtype):
    return x.astype(dtype)


def _cast_vjp(grad, ans, x, dtype):
    return grad  # the engine casts it back to x's dtype


cast = Op("cast", _cast_fwd, node_name="ToCopyBackward0").defvjp(_cast_vjp)


def _clone_fwd(x):
    return x.copy()


def _identity_vjp(grad, ans, x):
    return grad


clone = Op("clone", _clone_fwd, function=True).defvjp(_identity_vjp)


def _copy_from_fwd(dst, src):
    return np.broadcast_to(src, dst.shape).astype(dst.dtype)


def _copy_from_vjp_src(grad, ans, dst, src):
    return grad


copy_from = Op("copy_from", _copy_from_fwd, node_name="CopyBackwards").defvjp(
    _zero_vjp, _copy_from_vjp_src
)


def _overwrite_fwd(dst, value, name):
    return np.broadcast_to(value, dst.shape).astype(dst.dtype)


def _overwrite_node_name(node) -> str:
    return node.kw["name"]


# ``zero_``, ``fill_``, random fills and in-place ops without a gradient path (``gt_``) on a
# tensor that requires grad: the new ``value`` (a constant) replaces ``dst``, whose history gets
# a zero gradient; the node is named as PyTorch's (``ZeroBackward0``, ...), given as ``name``.
overwrite = Op("overwrite", _overwrite_fwd, node_name=_overwrite_node_name).defvjp(_zero_vjp, None)

# ---------------------------------------------------------------------------------------
# comparisons and logic (no gradient)


def _nograd(name, fn, **expose):
    return Op(name, fn, differentiable=False, **expose).defvjp(*([None] * 2))


eq = _nograd("eq", np.equal, function=True, method=True)
ne = _nograd("ne", np.not_equal, function=True, method=True, aliases=("not_equal",))
lt = _nograd("lt", np.less, function=True, method=True, aliases=("less",))
le = _nograd("le", np.less_equal, function=True, method=True, aliases=("less_equal",))
gt = _nograd("gt", np.greater, function=True, method=True, aliases=("greater",))
ge = _nograd("ge", np.greater_equal, function=True, method=True, aliases=("greater_equal",))
logical_and = _nograd("logical_and", np.logical_and, function=True, method=True)
logical_or = _nograd("logical_or", np.logical_or, function=True, method=True)
logical_xor = _nograd("logical_xor", np.logical_xor, function=True, method=True)
logical_not = _nograd("logical_not", np.logical_not, function=True, method=True)
bitwise_and = _nograd("bitwise_and", np.bitwise_and, function=True, method=True)
bitwise_or = _nograd("bitwise_or", np.bitwise_or, function=True, method=True)
bitwise_xor = _nograd("bitwise_xor", np.bitwise_xor, function=True, method=True)
bitwise_not = _nograd("bitwise_not", np.invert, function=True, method=True)
isnan = _nograd("isnan", np.isnan, function=True, method=True)
isinf = _nograd("isinf", np.isinf, function=True, method=True)
isfinite = _nograd("isfinite", np.isfinite, function=True, method=True)
signbit = _nograd("signbit", np.signbit, function=True, method=True)


def _isclose_fwd(x, y, rtol=1e-5, atol=1e-8, equal_nan=False):
    return np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


isclose = _nograd("isclose", _isclose_fwd, function=True, method=True)


# ---------------------------------------------------------------------------------------
# logaddexp, nan_to_num


def _logaddexp_vjp_x(grad, ans, x, y):
    return mul(grad, exp(sub_p(x, ans)))


def _logaddexp_vjp_y(grad, ans, x, y):
    return mul(grad, exp(sub_p(y, ans)))


logaddexp = Op(
    "logaddexp",
    _logaddexp,
    save=(0, 1),
    save_out=True,
    promote="float",
    function=True,
    method=True,
).defvjp(_logaddexp_vjp_x, _logaddexp_vjp_y)


def _nan_to_num_fwd(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _nan_to_num_vjp(grad, ans, x, nan=0.0, posinf=None, neginf=None):
    return where_p(isfinite(x), grad, 0.0)


nan_to_num_p = Op("nan_to_num", _nan_to_num_fwd, save=(0,)).defvjp(_nan_to_num_vjp)


@public(method=True)
def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None):  # noqa: A002
    """Replace NaN, +inf and -inf by finite numbers (gradient zero at the replaced entries)."""
    return nan_to_num_p(input, nan=nan, posinf=posinf, neginf=neginf)


# ---------------------------------------------------------------------------------------
# public wrappers: argument handling around the primitives above


_LEGACY_WARNED: set = set()


def _legacy_alpha(name, other, legacy, alpha):
    """PyTorch's deprecated ``x.add(alpha, other)`` overload (and ``sub``'s): still accepted,
    with PyTorch's one-time warning, since old training loops and optimizers are written so
    (``p.data.add_(-lr, p.grad.data)``). Returns ``(other, alpha)``."""
    import numbers
    import warnings

    if len(legacy) != 1 or alpha != 1 or not isinstance(other, numbers.Number):
        raise TypeError(
            f"{name}() takes 2 positional arguments but {2 + len(legacy)} were given "
            f"(the scale is keyword-only: {name}(input, other, *, alpha=1))"
        )
    if name not in _LEGACY_WARNED:
        _LEGACY_WARNED.add(name)
        warnings.warn(
            f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\n"
            f"Consider using one of the following signatures instead:\n"
            f"\t{name}(Tensor other, *, Number alpha = 1)",
            UserWarning,
            stacklevel=3,
        )
    return legacy[0], other


@public(method=True, inplace=np.add)
def add(input, other, *legacy, alpha=1):  # noqa: A002
    """``input + alpha * other``, with broadcasting.

    The deprecated ``add(input, alpha, other)`` overload is accepted, with a warning."""
    if legacy:
        other, alpha = _legacy_alpha("add", other, legacy, alpha)
    if alpha != 1:
        other = mul(other, alpha)
    return add_p(input, other)


@public(method=True, inplace=np.subtract, aliases=("subtract",))
def sub(input, other, *legacy, alpha=1):  # noqa: A002
    """``input - alpha * other``, with broadcasting.

    The deprecated ``sub(input, alpha, other)`` overload is accepted, with a warning."""
    if legacy:
        other, alpha = _legacy_alpha("sub", other, legacy, alpha)
    if alpha != 1:
        other = mul(other, alpha)
    return sub_p(input, other)


@public(method=True, inplace=np.true_divide, aliases=("divide", "true_divide"))
def div(input, other, *, rounding_mode=None):  # noqa: A002
    """True division; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient."""
    if rounding_mode is None:
        return div_p(input, other)
    if rounding_mode == "floor":
        return div_floor_p(input, other)
    if rounding_mode == "trunc":
        q = trunc(div_p(input, other))
        if q.dtype.kind == "f" and _int_inputs(input, other):
            return q.to(_dt.result_type([_data(input), _data(other)]))
        return q
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
        f"found '{rounding_mode}'"
    )


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _int_inputs(a, b):
    kinds = [
        x.dtype.kind if isinstance(x, Tensor) else ("i" if isinstance(x, int) else "f")
        for x in (a, b)
    ]
    return all(k in "iub" for k in kinds)


@public(method=True, inplace=True, aliases=("clip",))
def clamp(input, min=None, max=None):  # noqa: A001,A002
    """Limit values to ``[min, max]``; ``min``/``max`` may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return clamp_p(input, min=min, max=max)


@public(method=True, inplace=True)
def clamp_min(input, min):  # noqa: A002
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


@public(method=True, inplace=True)
def clamp_max(input, max):  # noqa: A002
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)


@public(method=True)
def where(condition, input=None, other=None):  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (either may be a number).

    With only ``condition``, the indices of its nonzero entries (``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = np.asarray(_data(condition))
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {cond.dtype}"
        )
    return where_p(condition, input, other)


@public(method=True)
def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    """Indices of the nonzero entries: an ``(n, ndim)`` int64 tensor, or one 1-D tensor per
    dimension with ``as_tuple=True``."""
    idx = np.nonzero(_data(input))
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
    return Tensor._wrap(
        np.stack(idx, axis=-1).astype(np.int64) if idx else np.zeros((0, 0), np.int64)
    )


@public(method=True)
def argwhere(input):  # noqa: A002
    """``nonzero(input)``."""
    return nonzero(input)


@public(method=True)
def equal(input, other) -> bool:  # noqa: A002
    """True if both tensors have the same shape and elements."""
    return tuple(input.shape) == tuple(other.shape) and bool((input._data == other._data).all())


@public(method=True)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    """Whether ``|input - other| <= atol + rtol * |other|`` everywhere."""
    return bool(np.allclose(input._data, _data(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def _legacy_value(name, tensor1, tensor2, legacy, value):
    """PyTorch's deprecated ``x.addcmul_(value, tensor1, tensor2)`` overload (and addcdiv's),
    still accepted with its one-time warning: older hand-written optimizers use it. Returns
    ``(tensor1, tensor2, value)``."""
    import numbers
    import warnings

    if len(legacy) != 1 or value != 1 or not isinstance(tensor1, numbers.Number):
        raise TypeError(
            f"{name}() takes 3 positional arguments but {3 + len(legacy)} were given "
            f"(the scale is keyword-only: {name}(input, tensor1, tensor2, *, value=1))"
        )
    if name not in _LEGACY_WARNED:
        _LEGACY_WARNED.add(name)
        warnings.warn(
            f"This overload of {name} is deprecated:\n\t{name}(Number value, Tensor tensor1, "
            f"Tensor tensor2)\nConsider using one of the following signatures instead:\n"
            f"\t{name}(Tensor tensor1, Tensor tensor2, *, Number value = 1)",
            UserWarning,
            stacklevel=3,
        )
    return tensor2, legacy[0], tensor1


@public(method=True, inplace=True)
def addcmul(input, tensor1, tensor2, *legacy, value=1):  # noqa: A002
    """``input + value * tensor1 * tensor2``, with broadcasting.

    The deprecated ``addcmul(input, value, tensor1, tensor2)`` overload is accepted, with a
    warning."""
    if legacy:
        tensor1, tensor2, value = _legacy_value("addcmul", tensor1, tensor2, legacy, value)
    prod = mul(tensor1, tensor2)
    if value != 1:
        prod = mul(prod, value)
    from ..graph import named  # here: graph imports tensor, which imports the ops

    return named(add_p(input, prod), "AddcmulBackward0")


@public(method=True, inplace=True)
def addcdiv(input, tensor1, tensor2, *legacy, value=1):  # noqa: A002
    """``input + value * tensor1 / tensor2``, with broadcasting.

    Like PyTorch, refuses two integer tensors (its historic integer division is gone). The
    deprecated ``addcdiv(input, value, tensor1, tensor2)`` overload is accepted, with a
    warning."""
    if legacy:
        tensor1, tensor2, value = _legacy_value("addcdiv", tensor1, tensor2, legacy, value)
    if all(isinstance(t, Tensor) and t.dtype.kind in "biu" for t in (tensor1, tensor2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    q = div_p(tensor1, tensor2)
    if value != 1:
        q = mul(q, value)
    from ..graph import named

    return named(add_p(input, q), "AddcdivBackward0")


@public(method=True, inplace=True)
def lerp(input, end, weight):  # noqa: A002
    """``input + weight * (end - input)``."""
    return add_p(input, mul(weight, sub_p(end, input)))


# ---------------------------------------------------------------------------------------
# gamma-function family: lgamma, digamma, polygamma
#
# NumPy has no gamma functions, so the forwards below are series evaluated in float64 and cast
# back (as ``_erf`` does). Each is accurate to a few ulp in float64 away from the poles at the
# non-positive integers; the op table checks them against ``math.lgamma`` and series references,
# and each VJP against finite differences of the function before it.


def _float_dtype(x):
    return x.dtype if x.dtype.kind == "f" else _dt.get_default_dtype()


# Cephes (S. L. Moshier) ``lgam``: log Gamma(u) = (u - 2) B(u - 2) / C(u - 2) on [2, 3), where
# the rational function keeps the zero at u = 2 exact; Stirling's series with the coefficients
# _LGAMMA_A beyond 13.
_LGAMMA_A = (
    8.11614167470508450300e-4,
    -5.95061904284301438324e-4,
    7.93650340457716943945e-4,
    -2.77777777730099687205e-3,
    8.33333333333331927722e-2,
)
_LGAMMA_B = (
    -1.37825152569120859100e3,
    -3.88016315134637840924e4,
    -3.31612992738871184744e5,
    -1.16237097492762307383e6,
    -1.72173700820839662146e6,
    -8.53555664245765465627e5,
)
_LGAMMA_C = (
    -3.51815701436523470549e2,
    -1.70642106651881159223e4,
    -2.20528590553854454839e5,
    -1.13933444367982507207e6,
    -2.53252307177582951285e6,
    -2.01889141433532773231e6,
)
_LOG_SQRT_2PI = 0.91893853320467274178


def _abs_sinpi(x):
    """|sin(pi x)| with the argument reduced to [-1/2, 1/2] first, so it is 0 at the integers."""
    return np.abs(np.sin(np.pi * (x - np.round(x))))


def _lgamma_pos(x):
    """log Gamma(x) for x > 0 (float64 array)."""
    big = x >= 13.0
    xb = np.where(big, x, 13.0)
    p = 1.0 / (xb * xb)
    stirling = (xb - 0.5) * np.log(xb) - xb + _LOG_SQRT_2PI + _polevl(p, _LGAMMA_A) / xb
    # below 13: Gamma(x) = z Gamma(u) with u in [2, 3)
    u = np.where(big, 2.5, x)
    z = np.ones_like(u)
    for _ in range(11):
        m = u >= 3.0
        u = np.where(m, u - 1.0, u)
        z = np.where(m, z * u, z)
    for _ in range(2):
        m = u < 2.0
        z = np.where(m, z / u, z)
        u = np.where(m, u + 1.0, u)
    t = u - 2.0
    small = np.log(z) + t * _polevl(t, _LGAMMA_B) / _p1evl(t, _LGAMMA_C)
    return np.where(big, stirling, small)


def _lgamma_f64(x):
    with np.errstate(all="ignore"):
        neg = x < 0.0
        xp = np.where(neg, 1.0 - x, x)
        xp = np.where(np.isfinite(xp) & (xp > 0), xp, 1.0)
        lp = _lgamma_pos(xp)
        # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
        refl = math.log(math.pi) - np.log(_abs_sinpi(x)) - lp
        out = np.where(neg, refl, lp)
        out = np.where((x == 0.0) | np.isinf(x), np.inf, out)
        return np.where(np.isnan(x), np.nan, out)


def _lgamma_fwd(x):
    x = np.asarray(x)
    dt = _float_dtype(x)
    return _lgamma_f64(x.astype(np.float64)).astype(dt, copy=False)


def _lgamma_vjp(grad, ans, x):
    return mul(grad, digamma(x))


lgamma = Op("lgamma", _lgamma_fwd, save=(0,), function=True, method=True, inplace=True).defvjp(
    _lgamma_vjp
)

# psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k), used from x >= 10 (error below 1e-17)
_DIGAMMA_ASYMPTOTIC = (
    -1.0 / 12,
    1.0 / 120,
    -1.0 / 252,
    1.0 / 240,
    -1.0 / 132,
    691.0 / 32760,
    -1.0 / 12,
)


def _digamma_pos(x):
    """psi(x) for x > 0 (float64 array): recurrence up to 10, then the asymptotic series."""
    acc = np.zeros_like(x)
    for _ in range(10):
        m = x < 10.0
        acc = np.where(m, acc - 1.0 / x, acc)
        x = np.where(m, x + 1.0, x)
    p = 1.0 / (x * x)
    series = np.zeros_like(x)
    for c in reversed(_DIGAMMA_ASYMPTOTIC):
        series = (series + c) * p
    return acc + np.log(x) - 0.5 / x + series


def _digamma_f64(x):
    with np.errstate(all="ignore"):
        neg = x < 0.0
        xp = np.where(neg, 1.0 - x, x)
        xp = np.where(np.isfinite(xp) & (xp > 0), xp, 1.0)
        pp = _digamma_pos(xp)
        # reflection: psi(1 - x) - psi(x) = pi cot(pi x); tan has period 1
        r = x - np.round(x)
        refl = pp - np.pi / np.tan(np.pi * r)
        out = np.where(neg, refl, pp)
        out = np.where(neg & (r == 0.0), np.nan, out)  # poles at the negative integers
        out = np.where(x == 0.0, np.copysign(np.inf, -x), out)  # PyTorch: -inf at +0
        out = np.where(x == np.inf, np.inf, out)
        return np.where(np.isnan(x) | (x == -np.inf), np.nan, out)


def _digamma_fwd(x):
    x = np.asarray(x)
    dt = _float_dtype(x)
    return _digamma_f64(x.astype(np.float64)).astype(dt, copy=False)


def _digamma_vjp(grad, ans, x):
    return mul(grad, polygamma(1, x))


digamma = Op("digamma", _digamma_fwd, save=(0,), function=True, method=True, inplace=True).defvjp(
    _digamma_vjp
)

# B_2j / (2j)! for j = 1..9: the Euler-Maclaurin tail of the Hurwitz zeta function.
_EM_COEFS = tuple(
    b / math.factorial(2 * j)
    for j, b in enumerate(
        (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798),
        start=1,
    )
)


def _hurwitz_zeta_pos(s, q):
    """zeta(s, q) = sum_k (q + k)^-s for an integer s >= 2 and q > 0 (float64 array).

    The first terms are summed directly until q + N >= 16 + s, the rest by Euler-Maclaurin
    with nine Bernoulli terms (relative error below 1e-17 there)."""
    threshold = 16.0 + s
    n = np.maximum(np.ceil(threshold - q), 0.0)
    acc = np.zeros_like(q)
    for k in range(int(n.max(initial=0.0)) - 1, -1, -1):  # smallest terms first
        acc = np.where(k < n, acc + (q + k) ** -s, acc)
    a = q + n
    tail = a ** (1 - s) / (s - 1) + 0.5 * a**-s
    rising = float(s)  # s (s + 1) ... (s + 2j - 2)
    power = a ** (-s - 1)
    for j, c in enumerate(_EM_COEFS, start=1):
        tail = tail + c * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        power = power / (a * a)
    return acc + tail


def _polygamma_f64(n, x):
    s = n + 1
    with np.errstate(all="ignore"):
        neg = x <= 0.0
        finite = np.isfinite(x)
        # For x = f - M (M a positive integer, f in [0, 1)):
        # zeta(s, x) = zeta(s, f) + (-1)^s [zeta(s, 1 - f) - zeta(s, 1 - f + M)]
        m = np.where(neg & finite, -np.floor(x), 0.0)
        f = x + m
        ok = np.where(finite & (f > 0), f, 1.0)
        zp = _hurwitz_zeta_pos(s, np.where(neg, ok, np.where(finite, x, 1.0)))
        one_f = np.where(neg & finite, 1.0 - f, 1.0)
        corr = _hurwitz_zeta_pos(s, one_f) - _hurwitz_zeta_pos(s, one_f + m)
        z = np.where(neg, zp + (-1.0) ** s * corr, zp)
        out = (-1.0) ** (n + 1) * math.factorial(n) * z
        out = np.where(neg & (f == 0.0), (-1.0) ** (n + 1) * np.inf, out)  # poles
        out = np.where(x == np.inf, 0.0, out)
        return np.where(np.isnan(x) | (x == -np.inf), np.nan, out)


def _polygamma_fwd(n, x):
    x = np.asarray(x)
    dt = _float_dtype(x)
    x = x.astype(np.float64)
    out = _digamma_f64(x) if n == 0 else _polygamma_f64(n, x)
    return out.astype(dt, copy=False)


def _polygamma_vjp(grad, ans, n, x):
    return mul(grad, polygamma(n + 1, x))


polygamma_p = Op("polygamma", _polygamma_fwd, save=(1,)).defvjp(None, _polygamma_vjp)


@public
def polygamma(n: int, input):  # noqa: A002
    """The n-th derivative of the digamma function, ``psi^(n)(input)``.

    Parameters
    ----------
    n : int
        Order, ``n >= 0`` (``polygamma(0, x)`` is ``digamma(x)``).
    input : Tensor
        Any shape.

    Returns
    -------
    Tensor
        Same shape as ``input``; floating (integer inputs give the default float dtype).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return polygamma_p(int(n), input)


@public(name="Tensor.polygamma", function=False, method="polygamma")
def _polygamma_method(self, n: int):
    """``Tensor.polygamma(n)``: :func:`polygamma` with the tensor second, as PyTorch."""
    return polygamma(n, self)


# ---------------------------------------------------------------------------------------
# hypot, logit, erfinv, poisson


def _hypot_vjp_x(grad, ans, x, y):
    # x / hypot(x, y): NaN at the origin, as in PyTorch
    return mul(grad, div_p(x, ans))


def _hypot_vjp_y(grad, ans, x, y):
    return mul(grad, div_p(y, ans))


hypot_p = Op("hypot", np.hypot, save=(0, 1), save_out=True, promote="arith").defvjp(
    _hypot_vjp_x, _hypot_vjp_y
)


@public(method=True, inplace=True)
def hypot(input, other):  # noqa: A002
    """``sqrt(input**2 + other**2)`` elementwise, without overflow for large inputs.

    Parameters
    ----------
    input, other : Tensor
        Floating-point tensors of broadcastable shapes.

    Returns
    -------
    Tensor
        The broadcast shape. The gradient at ``input == other == 0`` is NaN, as in PyTorch.
    """
    for name, v in (("input", input), ("other", other)):
        if not isinstance(v, Tensor):
            raise TypeError(f"hypot(): argument '{name}' must be Tensor, not {type(v).__name__}")
        if v.dtype.kind != "f":
            raise NotImplementedError(f"\"hypot\" not implemented for '{v.dtype}'")
    return hypot_p(input, other)


def _logit_fwd(x, eps=None):
    if x.dtype.kind != "f":
        x = x.astype(_dt.get_default_dtype())
    if eps is not None and eps >= 0:
        # x < lo -> lo, then x > hi -> hi (PyTorch's order, which matters when eps > 0.5)
        x = np.where(x < eps, eps, np.where(x > 1 - eps, 1 - eps, x)).astype(x.dtype, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x / (1 - x))


def _logit_vjp(grad, ans, x, eps=None):
    if eps is None or eps < 0:
        return div_p(grad, mul(x, sub_p(1, x)))
    # zero where the input was clamped (the bounds themselves pass, as in PyTorch); a safe
    # value there keeps 1 / (x (1 - x)) finite, so the second derivative is not NaN
    clamped = logical_or(lt(x, eps), gt(x, 1 - eps))
    xs = where_p(clamped, 0.5, x)
    return where_p(clamped, 0.0, div_p(grad, mul(xs, sub_p(1, xs))))


logit_p = Op("logit", _logit_fwd, save=(0,)).defvjp(_logit_vjp)


@public(method=True, inplace=True)
def logit(input, eps: float | None = None):  # noqa: A002
    """``log(p / (1 - p))`` elementwise; with ``eps``, ``p`` is first clamped to
    ``[eps, 1 - eps]`` (and the gradient is zero where it was clamped).

    Parameters
    ----------
    input : Tensor
        Probabilities, any shape; integer inputs give the default float dtype.
    eps : float, optional
        The clamp bound; ``None`` (or a negative value) clamps nothing.
    """
    return logit_p(input, eps=eps)


# Giles (2010), "Approximating the erfinv function", single-precision branch: relative error
# about 1e-7, the starting point of the Halley steps in ``_erfinv``.
_GILES_CENTRAL = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_GILES_TAIL = (
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def _erfc_nonneg(t):
    """``erfc(t)`` for ``t >= 0`` to a few ulps relative (no cancellation in the tail)."""
    small = 1.0 - _erf_small(np.minimum(t, 1.0))
    a = np.clip(t, 1.0, 27.0)
    # exp(-a^2) with a = hi + lo, hi on a 1/128 grid so that hi^2 is exact: the rounding of
    # a^2 would otherwise cost a relative error of a^2 ulps.
    hi = np.floor(a * 128.0) / 128.0
    lo = a - hi
    e = np.exp(-hi * hi) * np.exp(-lo * (2.0 * hi + lo))
    mid = _polevl(a, _ERFC_P) / _p1evl(a, _ERFC_Q)
    far = _polevl(a, _ERFC_R) / _p1evl(a, _ERFC_S)
    big = e * np.where(a < 8.0, mid, far)
    return np.where(t <= 1.0, small, np.where(t > 27.0, 0.0, big))


def _erf_small(t):
    """``erf(t)`` for ``|t| <= 1`` (the central rational approximation of ``_erf``)."""
    z = t * t
    return t * _polevl(z, _ERF_T) / _p1evl(z, _ERF_U)


def _erfinv(y):
    """Inverse error function in float64 with NumPy only, accurate to about 1e-15 relative.

    Giles' approximation starts it; for ``|y| <= 0.5`` Halley steps on ``erf(t) = |y|`` finish,
    beyond, Newton steps on ``log erfc(t) = log(1 - |y|)`` (``1 - |y|`` is exact there, and the
    logarithm is nearly linear in ``t``, so even a rough start deep in the tail converges).
    """
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    out = np.where(a == 1.0, np.inf, np.nan)
    c = 2.0 / math.sqrt(math.pi)
    centre = a <= 0.5
    if centre.any():
        ac = a[centre]
        t = _polevl(-np.log((1.0 - ac) * (1.0 + ac)) - 2.5, _GILES_CENTRAL) * ac
        for _ in range(2):
            dx = (_erf_small(t) - ac) / (c * np.exp(-t * t))
            t = t - dx / (1.0 + t * dx)
        out[centre] = t
    tail = (a > 0.5) & (a < 1.0)
    if tail.any():
        at = a[tail]
        q = 1.0 - at
        w = -np.log(q * (1.0 + at))
        t = (
            np.where(
                w < 5.0,
                _polevl(w - 2.5, _GILES_CENTRAL),
                _polevl(np.sqrt(np.maximum(w, 5.0)) - 3.0, _GILES_TAIL),
            )
            * at
        )
        log_q = np.log(q)
        for _ in range(10):
            e = _erfc_nonneg(t)
            step = (np.log(e) - log_q) * e / (c * np.exp(-t * t))
            t = t + step
            if np.all(np.abs(step) <= 1e-15 * t):
                break
        out[tail] = t
    return np.copysign(out, y)


def _erfinv_fwd(x):
    dt = x.dtype if x.dtype.kind == "f" else _dt.get_default_dtype()
    return _erfinv(x).astype(dt, copy=False)


def _erfinv_vjp(grad, ans, x):
    # d erfinv(x) / dx = sqrt(pi) / 2 * exp(erfinv(x)^2)
    return mul(grad, mul(exp(square(ans)), math.sqrt(math.pi) / 2.0))


erfinv = Op("erfinv", _erfinv_fwd, save_out=True, function=True, method=True, inplace=True).defvjp(
    _erfinv_vjp
)


def _poisson_fwd(rates, generator=None):
    from ..random import _rng

    if rates.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson\" not implemented for '{rates.dtype}'")
    if not np.all(rates >= 0):  # NaN fails too
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return np.asarray(_rng(generator).poisson(rates), dtype=rates.dtype)


# Sampling has no gradient; like PyTorch the result still records a node whose gradient is 0.
poisson_p = Op("poisson", _poisson_fwd).defvjp(_zero_vjp)


@public()
def poisson(input, generator=None):  # noqa: A002
    """Draw ``out[i] ~ Poisson(input[i])`` from ``generator`` (default: the global one).

    Parameters
    ----------
    input : Tensor
        Non-negative rates (floating point), any shape.
    generator : autograd.Generator, optional

    Returns
    -------
    Tensor
        The counts, in ``input``'s shape and dtype; its gradient is zero, as in PyTorch.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(input).__name__}")
    return poisson_p(input, generator=generator)


# ---------------------------------------------------------------------------------------
# xlogy, xlog1py, entr, sinc (torch and torch.special)


def _xlog_fwd(logfn):
    def forward(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.asarray(x * logfn(y))
        # 0 * log(y) is 0 for any y but NaN, as in PyTorch (also 0 * log(0))
        return np.where((np.asarray(x) == 0) & ~np.isnan(y), np.zeros((), r.dtype), r)

    return forward


_xlogy_fwd = _xlog_fwd(np.log)
_xlog1py_fwd = _xlog_fwd(np.log1p)


def _xlogy_vjp_x(grad, ans, x, y):
    return mul(grad, xlogy_p(ne(x, 0), y))


def _xlogy_vjp_y(grad, ans, x, y):
    return mul(grad, div_p(x, y))


xlogy_p = Op("xlogy", _xlogy_fwd, save=(0, 1), promote="float").defvjp(_xlogy_vjp_x, _xlogy_vjp_y)


def _xlog1py_vjp_x(grad, ans, x, y):
    return mul(grad, xlog1py_p(ne(x, 0), y))


def _xlog1py_vjp_y(grad, ans, x, y):
    return mul(grad, div_p(x, add_p(y, 1)))


xlog1py_p = Op("xlog1py", _xlog1py_fwd, save=(0, 1), promote="float").defvjp(
    _xlog1py_vjp_x, _xlog1py_vjp_y
)


def _xlog_check(name, input, other):  # noqa: A002
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument")


@public(method=True, inplace=True)
def xlogy(input, other):  # noqa: A002
    """``input * log(other)``, with 0 wherever ``input`` is 0 (unless ``other`` is NaN).

    Either argument may be a Python number. Gradients are PyTorch's:
    ``grad * xlogy(input != 0, other)`` for ``input`` and ``grad * input / other`` for ``other``.
    """
    _xlog_check("xlogy", input, other)
    return xlogy_p(input, other)


def xlog1py(input, other):  # noqa: A002
    """``input * log1p(other)``, with 0 wherever ``input`` is 0 (``torch.special.xlog1py``)."""
    _xlog_check("xlog1py", input, other)
    return xlog1py_p(input, other)


def _entr_fwd(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = -x * np.log(x)
    r = np.where(x == 0, np.zeros((), r.dtype), r)
    return np.where(x < 0, np.array(-np.inf, r.dtype), r)


def _entr_vjp(grad, ans, x):
    # PyTorch's formula, -(1 + log x): +inf at 0 and NaN below it
    return mul(grad, neg(add_p(log(x), 1.0)))


entr_p = Op("entr", _entr_fwd, save=(0,), promote="float").defvjp(_entr_vjp)


def entr(input):  # noqa: A002
    """Elementwise entropy ``-x log(x)``: 0 at 0 and ``-inf`` for ``x < 0``
    (``torch.special.entr``)."""
    return entr_p(_float_input(input))


def _float_input(input):  # noqa: A002
    if input.dtype.kind != "f":
        return input.to(_dt.get_default_dtype())
    return input


def _sinc_fwd(x):
    p = x * np.array(math.pi, dtype=x.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sin(p) / p
    return np.where(x == 0, np.ones((), r.dtype), r)


def _sinc_vjp(grad, ans, x):
    # d/dx sin(pi x) / (pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2), and 0 at x = 0
    p = mul(x, math.pi)
    safe = where_p(eq(x, 0), 1.0, x)
    ps = mul(safe, math.pi)
    d = div_p(sub_p(mul(ps, cos(ps)), sin(ps)), mul(ps, safe))
    return mul(grad, where_p(eq(p, 0), 0.0, d))


sinc_p = Op("sinc", _sinc_fwd, save=(0,), promote="float").defvjp(_sinc_vjp)


@public(method=True, inplace=True)
def sinc(input):  # noqa: A002
    """The normalised sinc, ``sin(pi x) / (pi x)``, 1 at 0; integer inputs give floats."""
    return sinc_p(_float_input(input))


@public(method=True, inplace=True)
def mvlgamma(input, p: int):  # noqa: A002
    """The multivariate log-gamma of dimension ``p``:
    ``p (p - 1) / 4 log(pi) + sum_{i < p} lgamma(input - i / 2)``.

    Every element must exceed ``(p - 1) / 2``. Composed from ``lgamma``, so its gradient is
    ``sum_i digamma(input - i / 2)``.
    """
    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"mvlgamma(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input.dtype.kind != "f":
        from ._registry import _torch_dtype_name

        raise RuntimeError(
            f"mvlgamma is not implemented for {_torch_dtype_name(input.dtype)} tensors"
        )
    if np.any(input._data <= (p - 1) / 2):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    from .shape import sum_p

    shifts = np.arange(p, dtype=input.dtype) / 2
    terms = lgamma(sub_p(input.unsqueeze(-1), shifts))
    return add_p(sum_p(terms, axis=(-1 % terms.ndim,)), p * (p - 1) / 4 * math.log(math.pi))
