"""Behaviour of convolution, pooling and normalization layers."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


@pytest.mark.parametrize("k,s,p,d", [(3, 1, 1, 1), (3, 2, 0, 1), (2, 3, 1, 2), (5, 1, 2, 1)])
def test_conv2d_output_shape_formula(k, s, p, d):
    x = ag.randn(2, 3, 11, 9)
    y = nn.Conv2d(3, 4, k, stride=s, padding=p, dilation=d)(x)
    ho = (11 + 2 * p - d * (k - 1) - 1) // s + 1
    wo = (9 + 2 * p - d * (k - 1) - 1) // s + 1
    assert y.shape == (2, 4, ho, wo)


def test_conv2d_matches_direct_loop():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 4))
    w = rng.standard_normal((4, 3, 3, 2))
    got = F.conv2d(ag.tensor(x), ag.tensor(w), padding=1).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ho, wo = xp.shape[2] - 2, xp.shape[3] - 1
    ref = np.zeros((2, 4, ho, wo))
    for i in range(ho):
        for j in range(wo):
            ref[:, :, i, j] = np.einsum("ncij,ocij->no", xp[:, :, i : i + 3, j : j + 2], w)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


@pytest.mark.parametrize("s,p,op,d", [(2, 1, 1, 1), (1, 0, 1, 2), (3, 2, 2, 1)])
def test_conv_transpose2d_output_shape_formula(s, p, op, d):
    y = nn.ConvTranspose2d(4, 6, 3, stride=s, padding=p, output_padding=op, groups=2, dilation=d)(
        ag.randn(2, 4, 5, 4)
    )
    ho = (5 - 1) * s - 2 * p + d * 2 + op + 1
    wo = (4 - 1) * s - 2 * p + d * 2 + op + 1
    assert y.shape == (2, 6, ho, wo)


def test_same_padding_keeps_size_and_unbatched_input():
    conv = nn.Conv2d(2, 3, 4, padding="same")
    assert conv(ag.randn(1, 2, 7, 6)).shape == (1, 3, 7, 6)
    assert conv(ag.randn(2, 7, 6)).shape == (3, 7, 6)


def test_reprs_as_pytorch():
    assert (
        repr(nn.Conv2d(16, 32, 3, padding=1))
        == "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert (
        repr(nn.MaxPool2d(2))
        == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.BatchNorm2d(16)) == (
        "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"


def test_batchnorm_running_stats_follow_pytorch_update_rule():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, momentum=0.2).double()
    rm, rv = np.zeros(3), np.ones(3)
    for i in range(3):
        x = rng.standard_normal((4, 3, 2, 2)) * (i + 1) + i
        bn(ag.tensor(x))
        m = x.mean(axis=(0, 2, 3))
        v = x.var(axis=(0, 2, 3), ddof=1)  # unbiased, as PyTorch's running_var
        rm = 0.8 * rm + 0.2 * m
        rv = 0.8 * rv + 0.2 * v
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    bn.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    expected = (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(bn(ag.tensor(x)).detach().numpy(), expected, rtol=1e-10)


def test_maxpool_gradient_goes_to_the_max():
    x = ag.tensor([[[[1.0, 5.0], [3.0, 2.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])


def test_errors_name_the_problem():
    with pytest.raises(
        RuntimeError,
        match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
        r"to conv2d, but got input of size: \[2, 3\]",
    ):
        nn.Conv2d(3, 4, 3)(ag.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"expected input with 3 channels.*got 5"):
        nn.Conv2d(3, 4, 3)(ag.randn(1, 5, 8, 8))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(ag.randn(1, 1, 2, 2), ag.randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(ag.randn(2, 3))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(4)(ag.randn(2, 3))
