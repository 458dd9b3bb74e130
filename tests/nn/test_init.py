"""``nn.init``: statistics over large tensors against theory, gains, fans, generators, errors,
and the default initialisation of the layers (PyTorch's)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.init import _calculate_fan_in_and_fan_out


def _big(*shape):
    return ag.empty(*shape)


def _uniform_ok(a, lo, hi):
    """Bounds respected, nearly reached, and mean/std those of U(lo, hi) (within 3%)."""
    assert a.min() >= lo and a.max() <= hi
    width = hi - lo
    assert a.min() < lo + 0.01 * width and a.max() > hi - 0.01 * width
    assert abs(a.mean() - (lo + hi) / 2) < 0.01 * width
    assert abs(a.std() - width / math.sqrt(12)) < 0.03 * width / math.sqrt(12)


def _normal_ok(a, mean, std):
    assert abs(a.mean() - mean) < 0.02 * std + 1e-12
    assert abs(a.std() - std) < 0.02 * std


def test_calculate_gain_table():
    assert nn.init.calculate_gain("linear") == 1
    assert nn.init.calculate_gain("conv2d") == 1
    assert nn.init.calculate_gain("sigmoid") == 1
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert nn.init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        nn.init.calculate_gain("leaky_relu", "x")


def test_fan_in_and_fan_out():
    assert _calculate_fan_in_and_fan_out(ag.empty(5, 3)) == (3, 5)
    assert _calculate_fan_in_and_fan_out(ag.empty(8, 4, 3, 3)) == (36, 72)
    assert _calculate_fan_in_and_fan_out(ag.empty(8, 4, 5)) == (20, 40)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        _calculate_fan_in_and_fan_out(ag.empty(5))


def test_uniform_normal_constant_fills():
    t = _big(400, 500)
    _uniform_ok(nn.init.uniform_(t, -0.3, 0.7).numpy(), -0.3, 0.7)
    assert nn.init.normal_(t, 0.5, 2.0) is t
    _normal_ok(t.numpy(), 0.5, 2.0)
    assert np.all(nn.init.constant_(t, 0.25).numpy() == 0.25)
    assert np.all(nn.init.zeros_(t).numpy() == 0)
    assert np.all(nn.init.ones_(t).numpy() == 1)
    assert t.dtype == ag.float32


def test_xavier_glorot():
    t = _big(300, 700)  # fan_in 700, fan_out 300
    bound = 1.5 * math.sqrt(6 / 1000)
    _uniform_ok(nn.init.xavier_uniform_(t, gain=1.5).numpy(), -bound, bound)
    _normal_ok(nn.init.xavier_normal_(t).numpy(), 0.0, math.sqrt(2 / 1000))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_he(mode):
    t = _big(200, 50, 3, 3)  # fan_in 450, fan_out 1800
    fan = 450 if mode == "fan_in" else 1800
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    a = nn.init.kaiming_uniform_(t, mode=mode, nonlinearity="relu").numpy()
    _uniform_ok(a, -bound, bound)
    gain = math.sqrt(2 / (1 + 0.2**2))
    _normal_ok(nn.init.kaiming_normal_(t, a=0.2, mode=mode).numpy(), 0.0, gain / math.sqrt(fan))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(t, mode="fan_avg")


def test_trunc_normal_bounds_and_moments():
    t = _big(400, 500)
    a = nn.init.trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0).numpy()
    assert a.min() >= -2 and a.max() <= 2 and a.min() < -1.99 and a.max() > 1.99
    phi = math.exp(-2) / math.sqrt(2 * math.pi)  # density at 2
    z = math.erf(2 / math.sqrt(2))
    std = math.sqrt(1 - 2 * 2 * phi / z)  # truncated-normal variance on [-2, 2]
    _normal_ok(a, 0.0, std)
    # absolute bounds, as in PyTorch: a narrow normal is barely affected
    b = nn.init.trunc_normal_(t, mean=1.0, std=0.02).numpy()
    _normal_ok(b, 1.0, 0.02)
    c = nn.init.trunc_normal_(t, mean=0.0, std=1.0, a=0.5, b=0.75).numpy()
    assert c.min() >= 0.5 and c.max() <= 0.75


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (4, 3, 2, 2)])
def test_orthogonal(shape):
    t = ag.empty(*shape, dtype=ag.float64)
    q = nn.init.orthogonal_(t, gain=2.0).numpy().reshape(shape[0], -1) / 2.0
    if q.shape[0] <= q.shape[1]:
        np.testing.assert_allclose(q @ q.T, np.eye(q.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        nn.init.orthogonal_(ag.empty(3))


def test_eye_and_dirac():
    np.testing.assert_array_equal(nn.init.eye_(ag.empty(2, 3)).numpy(), np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        nn.init.eye_(ag.empty(2, 2, 2))
    w = nn.init.dirac_(ag.empty(3, 2, 3, 3)).numpy()
    expected = np.zeros((3, 2, 3, 3))
    expected[0, 0, 1, 1] = expected[1, 1, 1, 1] = 1
    np.testing.assert_array_equal(w, expected)


def test_generator_argument_and_global_seed():
    g1, g2 = ag.Generator().manual_seed(7), ag.Generator().manual_seed(7)
    a = nn.init.normal_(ag.empty(5), generator=g1).numpy().copy()
    b = nn.init.normal_(ag.empty(5), generator=g2).numpy().copy()
    np.testing.assert_array_equal(a, b)
    for fn in (nn.init.xavier_uniform_, nn.init.kaiming_normal_, nn.init.orthogonal_):
        g1.manual_seed(3)
        g2.manual_seed(3)
        np.testing.assert_array_equal(
            fn(ag.empty(4, 3), generator=g1).numpy(), fn(ag.empty(4, 3), generator=g2).numpy()
        )
    ag.manual_seed(11)
    x = nn.Linear(3, 4).weight.detach().numpy().copy()
    ag.manual_seed(11)
    np.testing.assert_array_equal(nn.Linear(3, 4).weight.detach().numpy(), x)


def test_init_does_not_record_history_and_bumps_version():
    p = nn.Parameter(ag.zeros(3, 3))
    v = p._version
    nn.init.uniform_(p)
    assert p.grad_fn is None and p.requires_grad and p._version > v


def test_layer_default_initialisation_is_pytorchs():
    ag.manual_seed(0)
    lin = nn.Linear(500, 400)
    bound = 1 / math.sqrt(500)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3), bound 1/sqrt(in)
    _uniform_ok(lin.weight.detach().numpy(), -bound, bound)
    b = lin.bias.detach().numpy()
    assert np.abs(b).max() <= bound and b.std() > 0.8 * bound / math.sqrt(3)
    bil = nn.Bilinear(400, 30, 50)
    bb = 1 / math.sqrt(400)
    _uniform_ok(bil.weight.detach().numpy(), -bb, bb)
    assert np.abs(bil.bias.detach().numpy()).max() <= bb
    emb = nn.Embedding(1000, 300, padding_idx=3)
    e = emb.weight.detach().numpy()
    assert np.all(e[3] == 0)
    _normal_ok(np.delete(e, 3, axis=0), 0.0, 1.0)
    assert np.all(nn.PReLU(4).weight.detach().numpy() == 0.25)
