"""Behaviour of MaxPool1d/2d, AvgPool2d, AdaptiveAvgPool2d: values and indices against direct
NumPy loops over every option, PyTorch's output-size rules (ceil_mode), ties and NaN, reprs,
errors. Gradients are checked in the op table (``tests/nn/rows_conv.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F


def _out_size(size, k, s, p, d, ceil):
    """PyTorch's pooling output size: floor or ceil, and in ceil mode the last window must
    start inside the input or its left padding."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(num / s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows_ref(x, k, s, p, d, ceil):
    """Yield (i, j, rows, cols) for every output position: the in-range input rows/cols the
    window covers (padding and ceil-mode overhang are out of range)."""
    h, w = x.shape[-2:]
    ho = _out_size(h, k[0], s[0], p[0], d[0], ceil)
    wo = _out_size(w, k[1], s[1], p[1], d[1], ceil)
    for i in range(ho):
        for j in range(wo):
            rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
            cols = [j * s[1] - p[1] + b * d[1] for b in range(k[1])]
            yield i, j, ho, wo, rows, cols


def _max_pool_ref(x, k, s, p, d, ceil):
    h, w = x.shape[-2:]
    out = idx = None
    for i, j, ho, wo, rows, cols in _windows_ref(x, k, s, p, d, ceil):
        if out is None:
            out = np.full(x.shape[:-2] + (ho, wo), -np.inf)
            idx = np.full(x.shape[:-2] + (ho, wo), -1, dtype=np.int64)  # -1: empty window
        for r in rows:  # row-major scan; strict > keeps the first maximum
            for c in cols:
                if 0 <= r < h and 0 <= c < w:
                    v = x[..., r, c]
                    better = v > out[..., i, j]
                    out[..., i, j] = np.where(better, v, out[..., i, j])
                    idx[..., i, j] = np.where(better, r * w + c, idx[..., i, j])
    return out, idx


def _avg_pool_ref(x, k, s, p, ceil, count_include_pad, divisor):
    h, w = x.shape[-2:]
    out = None
    for i, j, ho, wo, rows, cols in _windows_ref(x, k, s, p, (1, 1), ceil):
        if out is None:
            out = np.zeros(x.shape[:-2] + (ho, wo))
        inside = [(r, c) for r in rows for c in cols if 0 <= r < h and 0 <= c < w]
        total = sum(x[..., r, c] for r, c in inside)
        if divisor:
            n = divisor
        elif count_include_pad:  # padded positions count, the ceil-mode overhang does not
            n = sum(1 for r in rows for c in cols if r < h + p[0] and c < w + p[1])
        else:
            n = len(inside)
        out[..., i, j] = total / n
    return out


@st.composite
def _pool_config(draw, dilation=True):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    h = max(d[0] * (k[0] - 1) + 1 - 2 * p[0], 1) + draw(st.integers(0, 6))
    w = max(d[1] * (k[1] - 1) + 1 - 2 * p[1], 1) + draw(st.integers(0, 6))
    return dict(k=k, s=s, p=p, d=d, h=h, w=w, ceil=draw(st.booleans()))


@given(cfg=_pool_config())
def test_max_pool2d_values_and_indices_match_direct_loop(cfg):
    x = np.random.default_rng(0).standard_normal((2, 3, cfg["h"], cfg["w"])).round(1)  # ties
    out, idx = F.max_pool2d(
        ag.tensor(x), cfg["k"], cfg["s"], cfg["p"], cfg["d"], cfg["ceil"], return_indices=True
    )
    ref, ref_idx = _max_pool_ref(x, cfg["k"], cfg["s"], cfg["p"], cfg["d"], cfg["ceil"])
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert idx.dtype == ag.int64


@given(cfg=_pool_config(dilation=False), cip=st.booleans(), div=st.sampled_from([None, 2]))
def test_avg_pool2d_matches_direct_loop(cfg, cip, div):
    x = np.random.default_rng(1).standard_normal((2, 2, cfg["h"], cfg["w"]))
    got = F.avg_pool2d(ag.tensor(x), cfg["k"], cfg["s"], cfg["p"], cfg["ceil"], cip, div)
    ref = _avg_pool_ref(x, cfg["k"], cfg["s"], cfg["p"], cfg["ceil"], cip, div)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)


@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    oh=st.integers(1, 6),
    ow=st.sampled_from([None, 1, 2, 3, 5]),
)
def test_adaptive_avg_pool2d_bins(h, w, oh, ow):
    x = np.random.default_rng(2).standard_normal((2, 3, h, w))
    got = F.adaptive_avg_pool2d(ag.tensor(x), (oh, ow)).numpy()
    ow = w if ow is None else ow
    ref = np.zeros((2, 3, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            ref[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_max_pool1d_is_max_pool2d_over_one_row():
    x = np.random.default_rng(3).standard_normal((2, 3, 11))
    out, idx = F.max_pool1d(ag.tensor(x), 3, 2, 1, 2, True, return_indices=True)
    ref, ref_idx = _max_pool_ref(x[:, :, None], (1, 3), (1, 2), (0, 1), (1, 2), True)
    np.testing.assert_array_equal(out.numpy(), ref[:, :, 0])
    np.testing.assert_array_equal(idx.numpy(), ref_idx[:, :, 0])
    m = nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True)
    np.testing.assert_array_equal(m(ag.tensor(x)).numpy(), ref[:, :, 0])


@pytest.mark.parametrize(
    "size,k,s,p,ceil,expected",
    [(5, 2, 2, 0, False, 2), (5, 2, 2, 0, True, 3), (6, 3, 2, 1, True, 4), (4, 2, 3, 1, True, 2)],
)
def test_output_size_rule(size, k, s, p, ceil, expected):
    # (4, 2, 3, 1, ceil): a third window would start in the right padding -> dropped
    y = nn.MaxPool2d(k, s, p, ceil_mode=ceil)(ag.randn(1, 1, size, size))
    assert y.shape == (1, 1, expected, expected)
    assert nn.AvgPool2d(k, s, p, ceil_mode=ceil)(ag.randn(1, 1, size, size)).shape == y.shape


def test_max_pool_gradient_goes_to_the_first_max():
    x = ag.tensor([[[[1.0, 5.0], [5.0, 2.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])
    # overlapping windows that share their max send it both gradients
    x = ag.tensor([[[1.0, 3.0, 2.0]]], requires_grad=True)
    F.max_pool1d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[0, 2, 0]]])


def test_max_pool_window_with_every_tap_in_the_padding():
    """Dilation can skip every input element of a padded window: -inf, no gradient, index -1
    (PyTorch returns -inf with an out-of-range index there)."""
    x = ag.tensor([[[[5.0, 2.0, 1.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, (2, 2), 1, (1, 1), (2, 1), return_indices=True)
    np.testing.assert_array_equal(y.detach().numpy(), np.full((1, 1, 1, 4), -np.inf))
    np.testing.assert_array_equal(idx.numpy(), np.full((1, 1, 1, 4), -1))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((1, 1, 1, 3)))


def test_max_pool_propagates_nan():
    x = ag.tensor([[[[1.0, np.nan], [3.0, 2.0]]]])
    assert np.isnan(F.max_pool2d(x, 2).item())


def test_avg_pool_gradient_is_spread_evenly():
    x = ag.ones(1, 1, 4, 4, requires_grad=True)
    F.avg_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 1, 4, 4), 0.25))


def test_unbatched_input():
    x = ag.randn(3, 6, 5)
    for m in (nn.MaxPool2d(2), nn.AvgPool2d(3, 1, 1), nn.AdaptiveAvgPool2d((2, 3))):
        np.testing.assert_allclose(m(x).numpy(), m(x.unsqueeze(0)).numpy()[0], rtol=1e-6)
    assert nn.MaxPool1d(2)(ag.randn(3, 6)).shape == (3, 3)


def test_float32_stays_float32():
    x = ag.randn(2, 3, 6, 6, requires_grad=True)
    for m in (nn.MaxPool2d(2), nn.AvgPool2d(2, count_include_pad=False, padding=1)):
        y = m(x)
        assert y.dtype == ag.float32
        y.sum().backward()
        assert x.grad.dtype == ag.float32
        x.grad = None


def test_reprs_as_pytorch():
    cases = {
        nn.MaxPool2d(
            2
        ): "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        nn.MaxPool2d((2, 3), stride=(1, 2), padding=1, dilation=2, ceil_mode=True): (
            "MaxPool2d(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=2, ceil_mode=True)"
        ),
        nn.MaxPool1d(
            3
        ): "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)",
        nn.AvgPool2d(2): "AvgPool2d(kernel_size=2, stride=2, padding=0)",
        nn.AvgPool2d(
            3, 1, 1, count_include_pad=False
        ): "AvgPool2d(kernel_size=3, stride=1, padding=1)",
        nn.AdaptiveAvgPool2d((2, None)): "AdaptiveAvgPool2d(output_size=(2, None))",
        nn.AdaptiveAvgPool2d(3): "AdaptiveAvgPool2d(output_size=3)",
    }
    for m, r in cases.items():
        assert repr(m) == r
    assert list(nn.MaxPool2d(2).state_dict()) == []


def test_errors_name_the_problem():
    with pytest.raises(
        RuntimeError,
        match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to max_pool2d, but got "
        r"input of size: \[2, 3\]",
    ):
        nn.MaxPool2d(2)(ag.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"input to max_pool1d, but got input of size"):
        nn.MaxPool1d(2)(ag.randn(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        nn.MaxPool2d(2, padding=2)(ag.randn(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size"):
        nn.AvgPool2d(3, padding=2)(ag.randn(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match=r"Output size is too small"):
        nn.MaxPool2d(3)(ag.randn(1, 1, 2, 2))
    with pytest.raises(RuntimeError, match=r"Output size is too small"):
        nn.AvgPool2d(3)(ag.randn(1, 1, 2, 5))
    with pytest.raises(RuntimeError, match=r"input to adaptive_avg_pool2d"):
        nn.AdaptiveAvgPool2d(2)(ag.randn(4, 4))
