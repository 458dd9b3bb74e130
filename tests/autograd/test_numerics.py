"""Numerical hygiene: no spurious floating-point errors at extreme inputs (issue 11), and
PyTorch's warnings where a result is undefined."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

# -- var / std with no degrees of freedom left ------------------------------------------------
_DOF_MSG = (
    r"degrees of freedom is <= 0\. Correction should be strictly less than the reduction "
    r"factor \(input numel divided by output numel\)"
)


@pytest.mark.parametrize(
    "name, call",
    [
        ("var", lambda x: ag.var(x)),
        ("var", lambda x: x.var()),
        ("std", lambda x: ag.std(x)),
        ("std", lambda x: x.std(0)),
        ("var_mean", lambda x: ag.var_mean(x)[0]),
        ("std_mean", lambda x: ag.std_mean(x)[0]),
    ],
)
def test_one_element_with_correction_1_is_nan_with_a_warning(name, call):
    x = ag.tensor([3.0], requires_grad=True)
    with np.errstate(all="raise"), pytest.warns(UserWarning, match=rf"^{name}\(\): {_DOF_MSG}"):
        out = call(x)
    assert np.isnan(out.item())


def test_correction_not_below_the_count_warns_and_gives_inf_or_nan():
    x = ag.tensor([[1.0, 2.0], [3.0, 3.0]])
    with pytest.warns(UserWarning, match=_DOF_MSG):
        out = ag.var(x, 1, correction=2)
    np.testing.assert_array_equal(out.numpy(), [np.inf, np.nan])  # as PyTorch: ss / 0


def test_enough_degrees_of_freedom_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.var(ag.tensor([1.0, 2.0]))
        ag.std(ag.tensor([1.0]), correction=0)
        ag.var_mean(ag.tensor([[1.0, 2.0]]), 1)


# -- no spurious FloatingPointError (NOTE [ Underflow is not an error ]) ----------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from tests.autograd.op_table import all_rows  # noqa: E402
from tests.autograd.test_ops import _case  # noqa: E402


def _backward(out, xs):
    """Backward of the sum of every floating output that has a graph."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    total = None
    for o in outs:
        if isinstance(o, ag.Tensor) and o.requires_grad and o.dtype.kind == "f":
            s = o.sum()
            total = s if total is None else total + s
    if total is not None:
        total.backward()
    return [x.grad for x in xs]


_NAN_ON_PURPOSE = {"isnan", "isinf", "isfinite"}


@pytest.mark.parametrize("row", all_rows(), ids=repr)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_op_table_row_under_errstate_raise(row, data):
    """At the rows' ordinary inputs, forward and backward raise no FloatingPointError."""
    arrs, kw = data.draw(_case(row))
    errs = {"all": "raise"}
    if row.name in _NAN_ON_PURPOSE:  # the row itself makes NaN/inf to test isnan & co.
        errs.update(invalid="ignore", divide="ignore")
    with np.errstate(**errs):
        xs = [ag.tensor(a, requires_grad=row.grad) for a in arrs]
        out = row.fn(*xs, **kw)
        if row.grad:
            _backward(out, xs)


_LOGITS = np.array([-1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0])
_T01 = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
_CLS = np.array([0, 1, 2])

_LOGIT_FNS = {
    "exp(-|x|)": lambda x: ag.exp(-ag.abs(x)),
    "sigmoid": ag.sigmoid,
    "tanh": ag.tanh,
    "erf": ag.erf,
    "expm1": lambda x: ag.expm1(-ag.abs(x)),
    "logaddexp": lambda x: ag.logaddexp(x, x.flip(0)),
    "logsumexp": lambda x: ag.logsumexp(x.reshape(3, 3), 1),
    "softmax": lambda x: ag.softmax(x.reshape(3, 3), 1),
    "log_softmax": lambda x: ag.log_softmax(x.reshape(3, 3), 1),
    "softmin": lambda x: F.softmin(x.reshape(3, 3), 1),
    "softplus": F.softplus,
    "softplus beta 2": lambda x: F.softplus(x, beta=2.0, threshold=5.0),
    "logsigmoid": F.logsigmoid,
    "silu": F.silu,
    "mish": F.mish,
    "gelu": F.gelu,
    "gelu tanh": lambda x: F.gelu(x, approximate="tanh"),
    "elu": F.elu,
    "selu": F.selu,
    "celu": F.celu,
    "softsign": F.softsign,
    "tanhshrink": F.tanhshrink,
    "lstm-style gates": lambda x: nn.LSTMCell(3, 1).double()(x.reshape(3, 3))[1],
}


def _losses():
    t = ag.tensor(_T01)
    cls = ag.tensor(_CLS)
    out = {}
    for r in ("none", "mean", "sum"):
        out[f"cross_entropy {r}"] = lambda x, r=r: F.cross_entropy(
            x.reshape(3, 3), cls, reduction=r
        )
        out[f"CrossEntropyLoss smoothing {r}"] = lambda x, r=r: nn.CrossEntropyLoss(
            reduction=r, label_smoothing=0.1, weight=ag.tensor([1.0, 2.0, 0.5])
        )(x.reshape(3, 3), cls)
        out[f"cross_entropy probabilities {r}"] = lambda x, r=r: F.cross_entropy(
            x.reshape(3, 3),
            ag.softmax(ag.tensor(_LOGITS[::-1].copy()).reshape(3, 3), 1),
            reduction=r,
        )
        out[f"bce_with_logits {r}"] = lambda x, r=r: F.binary_cross_entropy_with_logits(
            x, t, reduction=r
        )
        out[f"BCEWithLogitsLoss pos_weight {r}"] = lambda x, r=r: nn.BCEWithLogitsLoss(
            reduction=r, pos_weight=ag.full((9,), 3.0, dtype=ag.float64)
        )(x, t)
        out[f"BCELoss of sigmoid {r}"] = lambda x, r=r: nn.BCELoss(reduction=r)(ag.sigmoid(x), t)
        out[f"NLLLoss of log_softmax {r}"] = lambda x, r=r: nn.NLLLoss(reduction=r)(
            ag.log_softmax(x.reshape(3, 3), 1), cls
        )
        out[f"KLDivLoss {r}"] = lambda x, r=r: nn.KLDivLoss(reduction=r)(
            ag.log_softmax(x.reshape(3, 3), 1), ag.softmax(x.detach().reshape(3, 3).flip(1), 1)
        )
        out[f"KLDivLoss log_target {r}"] = lambda x, r=r: nn.KLDivLoss(
            reduction=r, log_target=True
        )(ag.log_softmax(x.reshape(3, 3), 1), ag.log_softmax(x.detach().reshape(3, 3).flip(1), 1))
        for name in ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss"):
            out[f"{name} {r}"] = lambda x, r=r, name=name: getattr(nn, name)(reduction=r)(x, t)
    return out


@pytest.mark.parametrize("name", [*_LOGIT_FNS, *_losses()])
@pytest.mark.parametrize("scale", [1e-3, 1.0], ids=["ordinary", "extreme"])
def test_logits_of_plus_minus_1000_under_errstate_raise(name, scale):
    """Forward and backward at logits up to +-1000 (scale 1) and at ordinary ones (scale
    1e-3): no FloatingPointError, finite values and gradients."""
    fn = {**_LOGIT_FNS, **_losses()}[name]
    x = ag.tensor(_LOGITS * scale, requires_grad=True)
    with np.errstate(all="raise"):
        y = fn(x)
        (g,) = _backward(y, [x])
    assert np.all(np.isfinite(y.detach().numpy()))
    assert np.all(np.isfinite(g.numpy()))


def _value_and_grad(fn, x):
    x = ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    with np.errstate(all="raise"):
        y = fn(x)
        y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def _same(got, want):
    """Saturated entries (0, +-1, whole numbers) exactly; the others to 1e-15 relative."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    exact = want == np.round(want)
    np.testing.assert_array_equal(got[exact], want[exact])
    np.testing.assert_allclose(got[~exact], want[~exact], rtol=2e-15, atol=0)


def test_saturated_values_and_gradients_are_exact():
    """Where PyTorch gives exact 0 and 1 (its values, checked side by side), so does ndgrad."""
    big = [-1000.0, -100.0, 100.0, 1000.0]
    y, g = _value_and_grad(ag.sigmoid, [-1000.0, 1000.0])
    _same(y, [0.0, 1.0])
    _same(g, [0.0, 0.0])
    y, g = _value_and_grad(ag.tanh, [-1000.0, 1000.0])
    _same(y, [-1.0, 1.0])
    _same(g, [0.0, 0.0])
    y, g = _value_and_grad(F.softplus, big)
    _same(y, [0.0, np.exp(-100.0), 100.0, 1000.0])
    _same(g, [0.0, 1.0 / (1.0 + np.exp(100.0)), 1.0, 1.0])
    y, g = _value_and_grad(F.logsigmoid, big)
    _same(y, [-1000.0, -100.0, -np.exp(-100.0), 0.0])
    _same(g[[0, 2, 3]], [1.0, 1.0 / (1.0 + np.exp(100.0)), 0.0])
    # BCE with logits: the gradient is sigmoid(x) - t, exactly 0 where it saturates at t
    t = ag.tensor([0.0, 0.0, 1.0, 1.0])
    y, g = _value_and_grad(
        lambda x: F.binary_cross_entropy_with_logits(x, t, reduction="none"), big
    )
    _same(y, [0.0, 0.0, np.exp(-100.0), 0.0])  # -100 + softplus(100) is 0, as PyTorch
    _same(g, [0.0, 1.0 / (1.0 + np.exp(100.0)), 0.0, 0.0])
    # the gradient at x = -30 keeps its digits (no cancellation in 1 - t - sigmoid(-x))
    _, g = _value_and_grad(
        lambda x: F.binary_cross_entropy_with_logits(x, ag.tensor([0.0]), reduction="sum"), [-30.0]
    )
    assert g[0] == pytest.approx(1.0 / (1.0 + np.exp(30.0)), rel=1e-15)
    # ELU's slope for x << 0 is alpha * exp(x), not expm1(x) + 1 (which is 0 at -100)
    _, g = _value_and_grad(F.elu, [-100.0, -30.0])
    np.testing.assert_allclose(g, np.exp([-100.0, -30.0]), rtol=1e-15)
    # cross-entropy: softmax saturates to one-hot, so the gradient is exactly 0
    x = [[1000.0, -1000.0, 0.0], [-100.0, 100.0, 0.0]]
    y, g = _value_and_grad(lambda x: F.cross_entropy(x, ag.tensor([0, 1]), reduction="none"), x)
    _same(y, [0.0, 0.0])
    _same(g[0], [0.0, 0.0, 0.0])
    y, g = _value_and_grad(lambda x: ag.softmax(x, 1), x)
    _same(y[0], [1.0, 0.0, 0.0])
