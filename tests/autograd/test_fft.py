"""``autograd.fft``: dtypes, shapes, ``grad_fn`` names and errors as PyTorch 2.13 gives them
(forwards and gradients of every transform and norm were compared with PyTorch by hand; the
op table's rows_fft.py checks the gradients against finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

F = ag.fft


def _x(shape=(3, 6), dtype=np.float64, rg=False):
    return ag.tensor(
        np.random.default_rng(0).standard_normal(shape).astype(dtype), requires_grad=rg
    )


def test_output_dtypes_follow_pytorch():
    x32 = _x(dtype=np.float32)
    assert np.dtype(F.rfft(x32).dtype) == np.complex64
    assert np.dtype(F.fft(x32).dtype) == np.complex64
    assert F.irfft(F.rfft(x32)).dtype == ag.float32
    assert np.dtype(F.fft(ag.tensor([1, 2, 3])).dtype) == np.complex64
    assert np.dtype(F.rfft(_x()).dtype) == np.complex128
    assert F.fftfreq(4).dtype == ag.float32
    assert F.fftfreq(4, dtype=ag.float64).dtype == ag.float64


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_forward_matches_numpy(norm):
    x = _x()
    a = x.numpy()
    np.testing.assert_allclose(F.rfft(x, n=8, norm=norm).numpy(), np.fft.rfft(a, n=8, norm=norm))
    np.testing.assert_allclose(F.fft2(x, norm=norm).numpy(), np.fft.fft2(a, norm=norm))
    np.testing.assert_allclose(
        F.irfftn(F.rfftn(x, norm=norm), s=(3, 6), norm=norm).numpy(), a, atol=1e-12
    )
    np.testing.assert_allclose(F.ifft(x, n=4, dim=0, norm=norm).numpy(), np.fft.ifft(a, 4, 0, norm))


def test_shapes_and_freqs():
    x = _x((2, 3, 6))
    assert tuple(F.rfft(x).shape) == (2, 3, 4)
    assert tuple(F.rfft2(x).shape) == (2, 3, 4)
    assert tuple(F.rfftn(x).shape) == (2, 3, 4)
    assert tuple(F.irfft(F.rfft(x)).shape) == (2, 3, 6)
    assert tuple(F.irfft(F.rfft(x), n=7).shape) == (2, 3, 7)
    assert tuple(F.fftn(x, s=(4, 5)).shape) == (2, 4, 5)
    np.testing.assert_allclose(F.fftfreq(4).numpy(), [0.0, 0.25, -0.5, -0.25])
    np.testing.assert_allclose(F.rfftfreq(5, d=0.5).numpy(), [0.0, 0.4, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(
        F.fftshift(ag.arange(6).view(2, 3)).numpy(), [[5, 3, 4], [2, 0, 1]]
    )
    np.testing.assert_array_equal(F.ifftshift(ag.arange(5), dim=0).numpy(), [2, 3, 4, 0, 1])


def test_grad_fn_names():
    x = _x(rg=True)
    y = F.rfft(x)
    assert y.grad_fn.name() == "FftR2CBackward0"
    assert F.irfft(y).grad_fn.name() == "FftC2RBackward0"
    assert F.fft(x).grad_fn.name() == "FftR2CBackward0"
    assert F.fft(y).grad_fn.name() == "FftC2CBackward0"
    assert F.fftshift(x).grad_fn.name() == "RollBackward0"


def test_composed_losses_have_pytorchs_gradients():
    # values from PyTorch 2.13 (torch.fft.rfft(x).abs().sum().backward(), x = arange(4.) - 1)
    x = ag.tensor([-1.0, 0.0, 1.0, 2.0], requires_grad=True)
    F.rfft(x).abs().sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), [-0.7071068, 1.2928932, 0.7071068, 2.7071068], rtol=1e-6
    )
    x.grad = None
    F.irfft(F.rfft(x), n=4).pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "call, exc, msg",
    [
        (lambda: F.fft(_x(), norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"'),
        (lambda: F.rfft(F.rfft(_x())), RuntimeError, "rfft expects a real input tensor, but got"),
        (lambda: F.fft(_x(), n=0), RuntimeError, r"Invalid number of data points \(0\) specified"),
        (lambda: F.fft(_x(), dim=3), IndexError, "Dimension out of range"),
    ],
)
def test_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()
