"""``F.grid_sample`` and ``F.affine_grid`` against PyTorch 2.13 (values and both gradients, every
mode, padding mode and align_corners, 4-D and 5-D), plus their errors and warnings. The
finite-difference checks are the ``grid_sample``/``affine_grid`` rows of ``rows_extra.py``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from tests.nn.grid_sample_reference import AFFINE_GRID_CASES, GRID_SAMPLE_CASES


def _k(shape):
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


def _inputs(xs, gs, dtype=np.float64):
    x = ag.tensor(np.sin(0.7 * _k(xs) + 0.3).astype(dtype), requires_grad=True)
    g = ag.tensor((1.3 * np.sin(1.1 * _k(gs) + 0.2)).astype(dtype), requires_grad=True)
    return x, g


@pytest.mark.parametrize(
    "case", GRID_SAMPLE_CASES, ids=lambda c: f"{len(c[0])}d-{c[2]}-{c[3]}-{c[4]}"
)
def test_grid_sample_matches_pytorch(case):
    xs, gs, mode, pad, ac, out, gx, gg = case
    x, g = _inputs(xs, gs)
    o = F.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=ac)
    assert tuple(o.shape) == xs[:2] + gs[1:-1]
    o.backward(ag.tensor(np.cos(0.9 * _k(o.shape))))
    np.testing.assert_allclose(o.detach().numpy().ravel(), out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy().ravel(), gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.grad.numpy().ravel(), gg, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "case", GRID_SAMPLE_CASES[::3], ids=lambda c: f"{len(c[0])}d-{c[2]}-{c[3]}"
)
def test_grid_sample_float32_stays_float32_and_close(case):
    xs, gs, mode, pad, ac, out, gx, gg = case
    x, g = _inputs(xs, gs, np.float32)
    o = F.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=ac)
    o.backward(ag.tensor(np.cos(0.9 * _k(o.shape)).astype(np.float32)))
    assert o.dtype == x.grad.dtype == g.grad.dtype == ag.float32
    np.testing.assert_allclose(o.detach().numpy().ravel(), out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy().ravel(), gx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g.grad.numpy().ravel(), gg, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", AFFINE_GRID_CASES, ids=lambda c: f"{len(c[0])}d-{c[1]}")
def test_affine_grid_matches_pytorch(case):
    size, ac, out, gt = case
    ts = (size[0], 2, 3) if len(size) == 4 else (size[0], 3, 4)
    theta = ag.tensor(1.3 * np.sin(1.1 * _k(ts) + 0.2), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn
        grid = F.affine_grid(theta, size, align_corners=ac)
    assert tuple(grid.shape) == (size[0], *size[2:], len(size) - 2)
    grid.backward(ag.tensor(np.cos(0.9 * _k(grid.shape))))
    np.testing.assert_allclose(grid.detach().numpy().ravel(), out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(theta.grad.numpy().ravel(), gt, rtol=1e-12, atol=1e-14)


def test_identity_transform_reproduces_the_input():
    x = ag.randn(2, 3, 5, 4, dtype=ag.float64)
    theta = ag.tensor([[[1.0, 0, 0], [0, 1, 0]]] * 2, dtype=ag.float64)
    for ac in (False, True):
        grid = F.affine_grid(theta, (2, 3, 5, 4), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)


def test_nearest_gives_grid_a_zero_gradient():
    x = ag.randn(1, 1, 3, 3, dtype=ag.float64)
    g = ag.zeros(1, 2, 2, 2, dtype=ag.float64, requires_grad=True)
    (gg,) = ag.autograd.grad(F.grid_sample(x, g, mode="nearest", align_corners=False).sum(), g)
    assert np.all(gg.numpy() == 0)


def test_align_corners_none_warns_as_pytorch():
    x, g = ag.zeros(1, 1, 2, 2), ag.zeros(1, 1, 1, 2)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F.grid_sample(x, g)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 2, 2))


def test_grid_sample_errors():
    x, g = ag.zeros(1, 1, 3, 3), ag.zeros(1, 2, 2, 2)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, g, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border'"):
        F.grid_sample(x, g, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid to have size 2 in last dimension"):
        F.grid_sample(x, ag.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid and input to have same batch size"):
        F.grid_sample(x, ag.zeros(2, 2, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.grid_sample(x, g.double(), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(
            ag.zeros(1, 1, 2, 3, 3), ag.zeros(1, 2, 2, 2, 3), mode="bicubic", align_corners=False
        )


def test_affine_grid_errors():
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(ag.zeros(1, 2, 3, dtype=ag.int64), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="shape Nx2x3"):
        F.affine_grid(ag.zeros(1, 3, 4), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="shape Nx3x4"):
        F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(ag.zeros(1, 2, 3), (1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="Expected non-zero, positive output size"):
        F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False)
