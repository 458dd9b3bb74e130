"""Behaviour of BatchNorm1d/2d, LayerNorm and GroupNorm: values against NumPy formulas, running
statistics (PyTorch's momentum and unbiased running_var, cumulative average for momentum=None),
train/eval switching, state_dict keys and order, reprs, float32 accuracy, the plain and the
differentiable backward agreeing, errors. Gradients are checked in the op table
(``tests/nn/rows_conv.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F


def _normalize(x, axes, eps=1e-5):
    m = x.mean(axis=axes, keepdims=True)
    v = x.var(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


# -- BatchNorm ---------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.2, None])
def test_batchnorm_running_stats_follow_pytorch_update_rule(momentum):
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, momentum=momentum).double()
    rm, rv = np.zeros(3), np.ones(3)
    for i in range(4):
        x = rng.standard_normal((4, 3, 2, 2)) * (i + 1) + i
        y = bn(ag.tensor(x)).detach().numpy()
        np.testing.assert_allclose(y, _normalize(x, (0, 2, 3)), rtol=1e-10, atol=1e-12)
        m = x.mean(axis=(0, 2, 3))
        v = x.var(axis=(0, 2, 3), ddof=1)  # unbiased, as PyTorch's running_var
        f = 0.2 if momentum else 1 / (i + 1)  # None: cumulative moving average
        rm = (1 - f) * rm + f * m
        rv = (1 - f) * rv + f * v
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4
    assert bn.num_batches_tracked.dtype == ag.int64 and bn.num_batches_tracked.shape == ()
    bn.eval()  # eval: the running statistics, and no update
    x = rng.standard_normal((2, 3, 2, 2))
    expected = (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(bn(ag.tensor(x)).detach().numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4
    bn.train()
    bn(ag.tensor(x))
    assert bn.num_batches_tracked.item() == 5


def test_batchnorm_eval_applies_weight_and_bias_and_has_gradients():
    bn = nn.BatchNorm1d(3).double()
    with ag.no_grad():
        bn.weight.copy_(ag.tensor([1.0, 2.0, -1.0], dtype=ag.float64))
        bn.bias.copy_(ag.tensor([0.5, 0.0, 1.0], dtype=ag.float64))
        bn.running_mean.copy_(ag.tensor([1.0, -1.0, 0.0], dtype=ag.float64))
        bn.running_var.copy_(ag.tensor([4.0, 1.0, 0.25], dtype=ag.float64))
    bn.eval()
    x = ag.tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)
    y = bn(x)
    rm, rv = np.array([1.0, -1.0, 0.0]), np.array([4.0, 1.0, 0.25])
    w, b = np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.0, 1.0])
    np.testing.assert_allclose(
        y.detach().numpy(), (x.detach().numpy() - rm) / np.sqrt(rv + 1e-5) * w + b, rtol=1e-12
    )
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(w / np.sqrt(rv + 1e-5), (5, 3)))
    assert bn.weight.grad is not None and bn.bias.grad is not None


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm2d(2, track_running_stats=False).double()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    bn.eval()
    x = np.random.default_rng(2).standard_normal((3, 2, 2, 2))
    np.testing.assert_allclose(
        bn(ag.tensor(x)).detach().numpy(), _normalize(x, (0, 2, 3)), rtol=1e-10, atol=1e-12
    )


def test_batchnorm_state_dict_keys_in_pytorch_order():
    keys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm2d(4).state_dict()) == keys
    assert list(nn.BatchNorm1d(4, affine=False).state_dict()) == keys[2:]
    assert list(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).state_dict()) == [
        "0.weight",
        "0.bias",
    ] + [f"1.{k}" for k in keys]


def test_batchnorm1d_accepts_2d_and_3d():
    bn = nn.BatchNorm1d(3).double()
    x2 = np.random.default_rng(3).standard_normal((5, 3))
    x3 = np.random.default_rng(4).standard_normal((5, 3, 4))
    np.testing.assert_allclose(bn(ag.tensor(x2)).detach().numpy(), _normalize(x2, (0,)), atol=1e-12)
    np.testing.assert_allclose(
        bn(ag.tensor(x3)).detach().numpy(), _normalize(x3, (0, 2)), atol=1e-12
    )


def test_batchnorm_reset_running_stats():
    bn = nn.BatchNorm2d(2)
    bn(ag.randn(4, 2, 3, 3) * 3 + 1)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1])
    assert bn.num_batches_tracked.item() == 0


def test_batchnorm_buffers_keep_their_dtype_in_float32():
    bn = nn.BatchNorm2d(3)
    y = bn(ag.randn(4, 3, 5, 5))
    assert y.dtype == bn.running_mean.dtype == bn.running_var.dtype == ag.float32


# -- LayerNorm / GroupNorm -----------------------------------------------------------------------


@given(
    lead=st.lists(st.integers(1, 3), max_size=2),
    ns=st.lists(st.integers(1, 4), min_size=1, max_size=3),
)
def test_layer_norm_matches_formula(lead, ns):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(tuple(lead) + tuple(ns)) * 2 + 1
    w, b = rng.standard_normal(ns), rng.standard_normal(ns)
    axes = tuple(range(len(lead), x.ndim))
    got = F.layer_norm(ag.tensor(x), ns, ag.tensor(w), ag.tensor(b)).numpy()
    np.testing.assert_allclose(got, _normalize(x, axes) * w + b, rtol=1e-10, atol=1e-12)


@given(
    g=st.integers(1, 3),
    per=st.integers(1, 3),
    rest=st.lists(st.integers(1, 3), max_size=2),
)
def test_group_norm_matches_formula(g, per, rest):
    rng = np.random.default_rng(6)
    c = g * per
    x = rng.standard_normal((2, c) + tuple(rest))
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    got = F.group_norm(ag.tensor(x), g, ag.tensor(w), ag.tensor(b)).numpy()
    xg = x.reshape(2, g, -1)
    ref = _normalize(xg, (2,)).reshape(x.shape)
    shape = (1, c) + (1,) * len(rest)
    np.testing.assert_allclose(
        got, ref * w.reshape(shape) + b.reshape(shape), rtol=1e-10, atol=1e-12
    )


def test_group_norm_special_cases():
    x = ag.tensor(np.random.default_rng(7).standard_normal((2, 4, 3, 3)))
    one_group = nn.GroupNorm(1, 4, affine=False)(x).numpy()
    np.testing.assert_allclose(one_group, F.layer_norm(x, (4, 3, 3)).numpy(), atol=1e-12)
    per_channel = nn.GroupNorm(4, 4).double()(x).detach().numpy()  # instance norm
    np.testing.assert_allclose(per_channel, _normalize(x.numpy(), (2, 3)), atol=1e-12)


def test_norm_modules_state_dict_and_init():
    ln = nn.LayerNorm((2, 3))
    assert list(ln.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(ln.weight.detach().numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(ln.bias.detach().numpy(), np.zeros((2, 3)))
    assert list(nn.LayerNorm(3, elementwise_affine=False).state_dict()) == []
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    assert list(nn.GroupNorm(2, 4).state_dict()) == ["weight", "bias"]


def test_float32_accuracy_with_a_large_mean():
    """Two-pass statistics: no E[x^2] - E[x]^2 cancellation for data far from zero.

    The eps that matters is float32's spacing at the data's magnitude, not at the output's:
    with |x| ~ 1000, rounding the mean to float32 alone moves ``x - mean`` by up to
    ``0.25 eps32 |x|`` (1.2e-4 * 0.25), i.e. ``0.25 eps32 |x| / std`` in the normalized output.
    The bound is 2 eps32 |x| / std per normalized group (E[x^2] - E[x]^2 in float32 would be
    off by ~eps32 |x|^2 / std^2, some 1e4 times that)."""
    eps32 = float(np.finfo(np.float32).eps)
    rng = np.random.default_rng(8)
    x = (1000.0 + rng.standard_normal((8, 3, 4, 4))).astype(np.float32)
    x64 = x.astype(np.float64)
    big = float(np.abs(x64).max())
    bn = nn.BatchNorm2d(3)
    ref = _normalize(x64, (0, 2, 3))
    tol = 2 * eps32 * big / x64.std(axis=(0, 2, 3), keepdims=True)
    assert np.all(np.abs(bn(ag.tensor(x)).detach().numpy() - ref) <= tol)
    # running stats: momentum 0.1 times the batch's mean (its float32 error as above, plus the
    # rounding of ~100) and unbiased variance (relative rounding only)
    mean = x64.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(
        bn.running_mean.numpy(), 0.1 * mean, rtol=0, atol=0.1 * 2 * eps32 * big + eps32 * 100
    )
    var = x64.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var, rtol=8 * eps32)
    ref = _normalize(x64, (3,))
    tol = 2 * eps32 * big / x64.std(axis=3, keepdims=True)
    assert np.all(np.abs(F.layer_norm(ag.tensor(x), (4,)).numpy() - ref) <= tol)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (nn.BatchNorm2d(3).double(), (4, 3, 2, 2)),
        lambda: (nn.BatchNorm1d(3, affine=False).double(), (5, 3)),
        lambda: (nn.LayerNorm((3, 2)).double(), (2, 4, 3, 2)),
        lambda: (nn.GroupNorm(2, 4).double(), (3, 4, 5)),
    ],
)
def test_plain_and_differentiable_backward_agree(make):
    """The fused norm's VJP has a NumPy path (plain backward) and a registered-op path
    (create_graph): both give the same first derivatives."""
    m, shape = make()
    rng = np.random.default_rng(9)
    x = ag.tensor(rng.standard_normal(shape) * 2 + 0.5, requires_grad=True)
    w = ag.tensor(rng.standard_normal(shape))
    params = [x] + list(m.parameters())
    plain = ag.grad((m(x) * w).sum(), params)
    graph = ag.grad((m(x) * w).sum(), params, create_graph=True)
    for a, b in zip(plain, graph):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    # and the batch-norm input gradient is orthogonal to constants (the mean is removed)
    if isinstance(m, nn.BatchNorm2d):
        assert abs(float(plain[0].sum(dim=(0, 2, 3)).abs().max().item())) < 1e-10


def test_reprs_as_pytorch():
    cases = {
        nn.BatchNorm2d(16): (
            "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)"
        ),
        nn.BatchNorm1d(4, affine=False): (
            "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, "
            "track_running_stats=True)"
        ),
        nn.BatchNorm2d(3, momentum=None, track_running_stats=False): (
            "BatchNorm2d(3, eps=1e-05, momentum=None, affine=True, bias=True, "
            "track_running_stats=False)"
        ),
        nn.LayerNorm(8): "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)",
        nn.LayerNorm(8, elementwise_affine=False): (
            "LayerNorm((8,), eps=1e-05, elementwise_affine=False, bias=False)"
        ),
        nn.LayerNorm((2, 3), bias=False): (
            "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=False)"
        ),
        nn.GroupNorm(2, 4): "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)",
        nn.GroupNorm(2, 4, affine=False): "GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)",
    }
    for m, r in cases.items():
        assert repr(m) == r


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(ag.randn(2, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ag.randn(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"expected input with 3 channels"):
        nn.BatchNorm2d(3)(ag.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(ag.randn(1, 3))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(4)(ag.randn(2, 3))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(ag.randn(2, 6, 3), 4)
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"running_mean should have shape \(3,\)"):
        F.batch_norm(ag.randn(2, 3), ag.zeros(4), ag.ones(4))
