"""Behaviour of Conv1d, Conv2d, ConvTranspose2d (values against direct NumPy loops, shapes,
padding modes, initialisation, reprs, state_dict keys, errors). Gradients are checked in the
op table (``tests/nn/rows_conv.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F


def _conv_ref(x, w, b, stride, padding, dilation, groups):
    """Direct definition: a loop over output positions (test-only)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw :: dw][..., :kw]
            for g in range(groups):
                pg = patch[:, g * cg : (g + 1) * cg]
                out[:, g * og : (g + 1) * og, i, j] = np.einsum(
                    "ncij,ocij->no", pg, w[g * og : (g + 1) * og]
                )
    if b is not None:
        out += b[None, :, None, None]
    return out


@st.composite
def _conv_config(draw):
    g = draw(st.sampled_from([1, 2, 3]))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.sampled_from([1, 2, 3, 4, 8]))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = max(d[0] * (k[0] - 1) + 1 - 2 * p[0], 1) + draw(st.integers(0, 5))
    w = max(d[1] * (k[1] - 1) + 1 - 2 * p[1], 1) + draw(st.integers(0, 5))
    return dict(n=draw(st.integers(1, 3)), cin=cin, cout=cout, k=k, s=s, d=d, p=p, g=g, h=h, w=w)


@given(cfg=_conv_config(), bias=st.booleans())
def test_conv2d_matches_direct_loop(cfg, bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((cfg["n"], cfg["cin"], cfg["h"], cfg["w"]))
    w = rng.standard_normal((cfg["cout"], cfg["cin"] // cfg["g"]) + cfg["k"])
    b = rng.standard_normal(cfg["cout"]) if bias else None
    got = F.conv2d(
        ag.tensor(x),
        ag.tensor(w),
        None if b is None else ag.tensor(b),
        cfg["s"],
        cfg["p"],
        cfg["d"],
        cfg["g"],
    ).numpy()
    ref = _conv_ref(x, w, b, cfg["s"], cfg["p"], cfg["d"], cfg["g"])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


@given(cfg=_conv_config())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(cfg):
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for every x, y (same options; the
    output_padding is the rows/cols the conv's last window leaves over)."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((cfg["cout"], cfg["cin"] // cfg["g"]) + cfg["k"])
    x = rng.standard_normal((cfg["n"], cfg["cin"], cfg["h"], cfg["w"]))
    cy = F.conv2d(ag.tensor(x), ag.tensor(w), None, cfg["s"], cfg["p"], cfg["d"], cfg["g"])
    cy = cy.numpy()
    y = rng.standard_normal(cy.shape)
    op = tuple(
        (size + 2 * p - d * (k - 1) - 1) % s
        for size, p, d, k, s in zip((cfg["h"], cfg["w"]), cfg["p"], cfg["d"], cfg["k"], cfg["s"])
    )
    xt = F.conv_transpose2d(
        ag.tensor(y), ag.tensor(w), None, cfg["s"], cfg["p"], op, cfg["g"], cfg["d"]
    ).numpy()
    assert xt.shape == x.shape
    np.testing.assert_allclose(np.vdot(cy, y), np.vdot(x, xt), rtol=1e-10)


@pytest.mark.parametrize("k,s,p,d", [(3, 1, 1, 1), (3, 2, 0, 1), (2, 3, 1, 2), (5, 1, 2, 1)])
def test_conv2d_output_shape_formula(k, s, p, d):
    y = nn.Conv2d(3, 4, k, stride=s, padding=p, dilation=d)(ag.randn(2, 3, 11, 9))
    ho = (11 + 2 * p - d * (k - 1) - 1) // s + 1
    wo = (9 + 2 * p - d * (k - 1) - 1) // s + 1
    assert y.shape == (2, 4, ho, wo)


@pytest.mark.parametrize("s,p,op,d", [(2, 1, 1, 1), (1, 0, 1, 2), (3, 2, 2, 1)])
def test_conv_transpose2d_output_shape_formula(s, p, op, d):
    m = nn.ConvTranspose2d(4, 6, 3, stride=s, padding=p, output_padding=op, groups=2, dilation=d)
    y = m(ag.randn(2, 4, 5, 4))
    ho = (5 - 1) * s - 2 * p + d * 2 + op + 1
    wo = (4 - 1) * s - 2 * p + d * 2 + op + 1
    assert y.shape == (2, 6, ho, wo)
    assert m.weight.shape == (4, 3, 3, 3)


def test_conv_transpose2d_output_size_picks_output_padding():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = ag.randn(1, 2, 4, 4)
    assert m(x).shape == (1, 3, 7, 7)
    assert m(x, output_size=[8, 8]).shape == (1, 3, 8, 8)
    assert m(x, output_size=(1, 3, 8, 7)).shape == (1, 3, 8, 7)
    with pytest.raises(ValueError, match=r"valid sizes range from \[7, 7\] to \[8, 8\]"):
        m(x, output_size=[9, 8])


def test_same_and_valid_padding():
    for k, d in [(3, 1), (4, 1), (2, 3), (4, 2)]:  # even kernels pad one more at the end
        conv = nn.Conv2d(2, 3, k, padding="same", dilation=d)
        assert conv(ag.randn(1, 2, 7, 6)).shape == (1, 3, 7, 6)
        assert nn.Conv1d(2, 3, k, padding="same", dilation=d)(ag.randn(1, 2, 7)).shape == (1, 3, 7)
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 5))
    w = np.random.default_rng(1).standard_normal((1, 1, 4, 4))
    got = F.conv2d(ag.tensor(x), ag.tensor(w), padding="same").numpy()
    ref = _conv_ref(np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2))), w, None, (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert nn.Conv2d(2, 3, 3, padding="valid")(ag.randn(1, 2, 7, 6)).shape == (1, 3, 5, 4)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])  # fmt: skip
def test_padding_modes_match_numpy_pad(mode, np_mode):
    ag.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode=mode).double()
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6))
    got = conv(ag.tensor(x)).detach().numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)), mode=np_mode)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    np.testing.assert_allclose(got, _conv_ref(xp, w, b, (1, 1), (0, 0), (1, 1), 1), rtol=1e-12)
    assert repr(conv).endswith(f"padding=(2, 1), padding_mode={mode})")


def test_unbatched_input_is_batch_of_one():
    x = ag.randn(3, 8, 7)
    for m in (nn.Conv2d(3, 4, 3, padding=1), nn.ConvTranspose2d(3, 4, 3, stride=2)):
        np.testing.assert_allclose(
            m(x).detach().numpy(), m(x.unsqueeze(0)).detach().numpy()[0], rtol=1e-6
        )
    c1, x1 = nn.Conv1d(3, 2, 3), x[:, 0]
    np.testing.assert_allclose(
        c1(x1).detach().numpy(), c1(x1.unsqueeze(0)).detach().numpy()[0], rtol=1e-6
    )


def test_conv1d_is_conv2d_over_one_row():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    got = F.conv1d(ag.tensor(x), ag.tensor(w), ag.tensor(b), 2, 1, 2, 2).numpy()
    ref = _conv_ref(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_default_init_is_pytorchs_and_seeded():
    ag.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) bound
    assert np.abs(b).max() <= 1 / math.sqrt(fan_in)
    # U(-c, c) has variance c^2 / 3
    assert abs(w.var() - 1 / (3 * fan_in)) < 0.1 / (3 * fan_in)
    ag.manual_seed(0)
    np.testing.assert_array_equal(nn.Conv2d(16, 32, 3).weight.detach().numpy(), w)
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)  # fan_in = size(1) * 9, as PyTorch
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / math.sqrt(3 * 9)


def test_gradients_in_the_weight_layout():
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    x = ag.randn(2, 4, 7, 7, requires_grad=True)
    conv(x).sum().backward()
    for p in (conv.weight, conv.bias, x):
        assert p.grad.shape == p.shape
        assert p.grad.dtype == ag.float32
        assert p.grad.numpy().flags.c_contiguous


def test_double_backward_through_conv():
    """d/dw of ||d conv(x, w) / dx||^2: the input gradient is a transposed conv, itself
    differentiable (checked numerically in the op table; here: it runs and is non-zero)."""
    x = ag.randn(1, 2, 5, 5, requires_grad=True)
    conv = nn.Conv2d(2, 3, 3, padding=1)
    (gx,) = ag.grad(conv(x).square().sum(), (x,), create_graph=True)
    gx.square().sum().backward()
    assert conv.weight.grad is not None and float(conv.weight.grad.abs().sum().item()) > 0


def test_state_dict_keys():
    assert list(nn.Conv2d(2, 3, 3).state_dict()) == ["weight", "bias"]
    assert list(nn.Conv1d(2, 3, 3, bias=False).state_dict()) == ["weight"]


def test_reprs_as_pytorch():
    cases = {
        nn.Conv2d(16, 32, 3, padding=1): (
            "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
        ),
        nn.Conv2d(2, 4, 3, groups=2, dilation=2): (
            "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=2)"
        ),
        nn.Conv1d(2, 3, 3, padding="same", bias=False): (
            "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same, bias=False)"
        ),
        nn.Conv1d(2, 3, 3, padding="valid"): (
            "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=valid)"
        ),
        nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1): (
            "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"
        ),
        nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False): (
            "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
            "dilation=(2, 2), groups=2, bias=False)"
        ),
    }
    for m, r in cases.items():
        assert repr(m) == r


def test_errors_name_the_problem():
    with pytest.raises(
        RuntimeError,
        match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
        r"to conv2d, but got input of size: \[2, 3\]",
    ):
        nn.Conv2d(3, 4, 3)(ag.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"to conv1d, but got input of size: \[1, 2, 3, 4\]"):
        nn.Conv1d(3, 4, 3)(ag.randn(1, 2, 3, 4))
    with pytest.raises(RuntimeError, match=r"in_channels=3\), but got 5 channels"):
        nn.Conv2d(3, 4, 3)(ag.randn(1, 5, 8, 8))
    with pytest.raises(RuntimeError, match=r"expected input\[1, 5, 8, 8\] to have 3 channels"):
        F.conv2d(ag.randn(1, 5, 8, 8), ag.randn(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(ag.randn(1, 1, 2, 2), ag.randn(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        nn.Conv2d(1, 1, 3, dilation=2, padding=1)(ag.randn(1, 1, 2, 2))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(ag.randn(1, 2, 3, 3), ag.randn(2, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 4 elements"):
        F.conv2d(ag.randn(1, 3, 5, 5), ag.randn(4, 3, 3, 3), ag.randn(5))
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv2d(ag.randn(1, 3, 5, 5), ag.randn(4, 3, 3, 3), stride=0)
