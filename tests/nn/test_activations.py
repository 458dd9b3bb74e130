"""Activations (functional and modules) against their formulas, PyTorch's reprs, and the values
PyTorch gives at the kinks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

X = np.linspace(-6, 6, 49)
# Gradient points: the same range, 1/16 away from every kink (0, +-3, -2, 1.5, 6).
XG = X[:-1] + 0.0625
_erf = np.vectorize(math.erf)


def _derivative(f, x, h=1e-3):
    """``f'(x)`` by Richardson extrapolation of central differences at ``h`` and ``h / 2``
    (error ~ h**4 f^(5), ~1e-12 here): the formula's own derivative, independent of ndgrad."""

    def central(s):
        return (f(x + s) - f(x - s)) / (2 * s)

    return (4 * central(h / 2) - central(h)) / 3


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


FORMULAS = [
    (nn.ReLU(), F.relu, lambda x: np.maximum(x, 0)),
    (nn.ReLU6(), F.relu6, lambda x: np.clip(x, 0, 6)),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(0.7), lambda x: F.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    (nn.GELU(), F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    (
        nn.GELU("tanh"),
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    (nn.SiLU(), F.silu, lambda x: x * _sig(x)),
    (nn.Tanh(), F.tanh, np.tanh),
    (nn.Sigmoid(), F.sigmoid, _sig),
    (nn.Softplus(), F.softplus, lambda x: _softplus(x)),
    (
        nn.Softplus(beta=2, threshold=3),
        lambda x: F.softplus(x, 2, 3),
        lambda x: np.where(2 * x > 3, x, _softplus(2 * x) / 2),
    ),
    (nn.Hardtanh(-2, 1.5), lambda x: F.hardtanh(x, -2, 1.5), lambda x: np.clip(x, -2, 1.5)),
    (
        nn.SELU(),
        F.selu,
        lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    ),
    (nn.CELU(0.5), lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    (nn.LogSigmoid(), F.logsigmoid, lambda x: np.log(_sig(x))),
    (nn.Mish(), F.mish, lambda x: x * np.tanh(_softplus(x))),
    (nn.Hardsigmoid(), F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    (nn.Hardswish(), F.hardswish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    (nn.Softsign(), F.softsign, lambda x: x / (1 + np.abs(x))),
    (nn.Tanhshrink(), F.tanhshrink, lambda x: x - np.tanh(x)),
]


@pytest.mark.parametrize("module, fn, ref", FORMULAS, ids=[repr(f[0]) for f in FORMULAS])
def test_activation_matches_formula(module, fn, ref):
    x = ag.tensor(X)
    expected = ref(X)
    np.testing.assert_allclose(fn(x).numpy(), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(module(x).numpy(), expected, rtol=1e-12, atol=1e-14)
    # gradients (elementwise, so a backward of ones gives the derivative) against the formula's
    dref = _derivative(ref, XG)
    x64 = ag.tensor(XG, requires_grad=True)
    module(x64).sum().backward()
    np.testing.assert_allclose(x64.grad.numpy(), dref, rtol=1e-8, atol=1e-10)
    x32 = ag.tensor(XG.astype(np.float32), requires_grad=True)  # XG is exact in float32
    y = module(x32)
    assert y.dtype == ag.float32
    y.sum().backward()
    assert x32.grad.dtype == ag.float32
    np.testing.assert_allclose(x32.grad.numpy(), dref, rtol=1e-5, atol=1e-6)


def test_softmax_family_and_prelu():
    x = np.random.default_rng(0).standard_normal((3, 4))
    e = np.exp(x - x.max(1, keepdims=True))
    sm = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=1)(ag.tensor(x)).numpy(), sm, rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(ag.tensor(x)).numpy(), np.log(sm), rtol=1e-12)
    e = np.exp(-x - (-x).max(0, keepdims=True))
    np.testing.assert_allclose(
        nn.Softmin(dim=0)(ag.tensor(x)).numpy(), e / e.sum(0, keepdims=True), rtol=1e-12
    )
    p = nn.PReLU(4)
    np.testing.assert_allclose(
        p(ag.tensor(x)).detach().numpy(), np.where(x > 0, x, 0.25 * x), rtol=1e-6
    )
    with pytest.raises(RuntimeError, match="prelu"):
        p(ag.randn(2, 3))


def test_gradients_at_the_kinks_are_pytorchs():
    x = ag.tensor([0.0, 0.0], requires_grad=True)
    F.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    x.grad = None
    F.leaky_relu(x, 0.1).sum().backward()
    assert x.grad.tolist() == pytest.approx([0.1, 0.1])
    x.grad = None
    F.elu(x, 0.5).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5]
    x.grad = None
    F.celu(x, 0.5).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    b = ag.tensor([-1.0, 1.0, 0.0, 6.0], requires_grad=True)
    (F.hardtanh(b) + F.relu6(b)).sum().backward()  # 0 at each boundary, as PyTorch
    assert b.grad.tolist() == [0.0, 1.0, 1.0, 0.0]
    h = ag.tensor([-3.0, 3.0, 0.0], requires_grad=True)
    F.hardsigmoid(h).sum().backward()
    assert h.grad.tolist() == pytest.approx([0.0, 0.0, 1 / 6])


def test_extreme_inputs_stay_finite():
    x = ag.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    for fn in (F.softplus, F.logsigmoid, F.silu, F.gelu, F.elu, F.mish, F.sigmoid, F.selu):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        assert np.all(np.isfinite(y.detach().numpy())), fn.__name__
        assert np.all(np.isfinite(x.grad.numpy())), fn.__name__
    np.testing.assert_allclose(F.softplus(x).detach().numpy()[[0, 4]], [0.0, 1000.0])
    np.testing.assert_allclose(F.logsigmoid(x).detach().numpy()[[0, 4]], [-1000.0, 0.0])


REPRS = [
    (nn.ReLU(), "ReLU()"),
    (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (nn.ELU(alpha=0.5), "ELU(alpha=0.5)"),
    (nn.GELU(), "GELU(approximate='none')"),
    (nn.SiLU(), "SiLU()"),
    (nn.Tanh(), "Tanh()"),
    (nn.Sigmoid(), "Sigmoid()"),
    (nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"),
    (nn.Softmax(), "Softmax(dim=None)"),
    (nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (nn.Hardtanh(-2, 3), "Hardtanh(min_val=-2, max_val=3)"),
    (nn.ReLU6(), "ReLU6()"),
    (nn.PReLU(3), "PReLU(num_parameters=3)"),
    (nn.CELU(), "CELU(alpha=1.0)"),
    (nn.Mish(), "Mish()"),
]


@pytest.mark.parametrize("module, text", REPRS, ids=[t for _, t in REPRS])
def test_repr_is_pytorchs(module, text):
    assert repr(module) == text


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(ag.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        F.hardtanh(ag.zeros(2), 1.0, -1.0)
