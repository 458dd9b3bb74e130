"""tril_indices/triu_indices, diff, logcumsumexp, Tensor.unfold and masked_scatter: what the op
table cannot check (integer outputs, views, errors, wide-range stability), each against NumPy
or PyTorch 2.13's behaviour as observed by running it."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

t = ag.tensor


@pytest.mark.parametrize("row,col,offset", [(3, 4, 1), (4, 3, -1), (3, 3, 0), (0, 3, 0), (4, 2, 5)])
def test_tri_indices_match_numpy_row_major(row, col, offset):
    lo = ag.tril_indices(row, col, offset)
    hi = ag.triu_indices(row, col, offset)
    assert lo.dtype == ag.int64 and hi.dtype == ag.int64
    np.testing.assert_array_equal(lo.numpy(), np.stack(np.tril_indices(row, offset, col)))
    np.testing.assert_array_equal(hi.numpy(), np.stack(np.triu_indices(row, offset, col)))
    assert tuple(lo.shape)[0] == 2


def test_tri_indices_dtype_and_errors():
    assert ag.tril_indices(3, 3, dtype=ag.int32).dtype == ag.int32
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        ag.tril_indices(-1, 3)
    with pytest.raises(RuntimeError, match="col must be non-negative"):
        ag.triu_indices(3, -1)
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        ag.tril_indices(3, 3, dtype=ag.float32)
    assert not hasattr(ag.Tensor, "tril_indices")


def test_diff_values_dtypes_and_errors():
    x = ag.arange(10.0).reshape(2, 5)
    np.testing.assert_array_equal(ag.diff(x).numpy(), np.ones((2, 4)))
    assert tuple(ag.diff(x, n=2, dim=0).shape) == (0, 5)
    assert tuple(ag.diff(x, n=7).shape) == (2, 0)
    np.testing.assert_array_equal(x.diff(n=0).numpy(), x.numpy())
    assert ag.diff(t([True, False, True])).tolist() == [True, True]
    assert ag.diff(t([1, 5, 3]), prepend=t([0])).tolist() == [1, 4, -2]
    assert ag.diff(x, prepend=ag.ones(2, 1, dtype=ag.float64)).dtype == ag.float64
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        ag.diff(t(3.0))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        ag.diff(x, n=-1)
    with pytest.raises(RuntimeError, match=r"input.size\(0\) = 2, but got tensor.size\(0\) = 3"):
        ag.diff(x, prepend=ag.ones(3, 1))
    with pytest.raises(RuntimeError, match="same dimension as input"):
        ag.diff(x, prepend=ag.ones(5))


def test_logcumsumexp_is_stable_over_a_wide_range():
    a = np.array([[-1000.0, 3.0], [0.0, 900.0], [-np.inf, -900.0], [1000.0, 1.0]])
    x = t(a, requires_grad=True)
    out = ag.logcumsumexp(x, 0)
    np.testing.assert_allclose(out.detach().numpy(), np.logaddexp.accumulate(a, 0), rtol=1e-15)
    g = np.array([[0.5, -1.0], [2.0, 0.25], [-1.0, 1.5], [0.75, -0.5]])
    out.backward(t(g))
    # d out_j / d x_i = exp(x_i - out_j) for i <= j, summed with the upstream gradient
    o = np.logaddexp.accumulate(a, 0)
    upper = np.triu(np.ones((4, 4), dtype=bool))[:, :, None]  # i <= j
    with np.errstate(over="ignore"):
        w = np.where(upper, np.exp(a[:, None, :] - o[None, :, :]), 0.0)
    np.testing.assert_allclose(x.grad.numpy(), np.einsum("ijc,jc->ic", w, g), atol=1e-15)
    assert ag.logcumsumexp(t(3.0), -1).item() == 3.0
    assert out.grad_fn.name() == "LogcumsumexpBackward0"


def test_logcumsumexp_errors():
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        ag.logcumsumexp(t([1, 2]), 0)
    with pytest.raises(TypeError):
        ag.logcumsumexp(t([1.0, 2.0]))
    with pytest.raises(IndexError):
        t([1.0, 2.0]).logcumsumexp(1)


def test_unfold_is_a_view_with_pytorchs_layout():
    y = ag.arange(8.0)
    u = y.unfold(0, 3, 2)
    np.testing.assert_array_equal(u.numpy(), [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    assert u._base is y and np.shares_memory(u.numpy(), y.numpy())
    y[2] = 20.0  # the view sees writes into its base
    assert u[0, 2].item() == 20.0 and u[1, 0].item() == 20.0
    assert tuple(ag.arange(12.0).reshape(3, 4).unfold(1, 2, 1).shape) == (3, 3, 2)
    assert tuple(ag.arange(12.0).reshape(3, 4).unfold(-2, 2, 2).shape) == (1, 4, 2)
    assert t(5.0).unfold(0, 1, 1).tolist() == [5.0]
    assert tuple(t(5.0).unfold(0, 0, 1).shape) == (0,)
    assert tuple(y.unfold(0, 0, 1).shape) == (9, 0)


def test_unfold_errors_and_grad():
    y = ag.arange(8.0)
    with pytest.raises(
        RuntimeError, match="maximum size for tensor at dimension 0 is 8 but size is 9"
    ):
        y.unfold(0, 9, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        y.unfold(0, 3, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        y.unfold(1, 2, 1)
    x = ag.ones(6, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()  # each element counted once per window covering it
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 3.0, 2.0, 1.0]
    x.grad = None
    x.unfold(0, 2, 3).sum().backward()  # windows [0, 1] and [3, 4]; 2 and 5 are skipped
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert x.unfold(0, 2, 1).grad_fn.name() == "UnfoldBackward0"


def test_masked_scatter_values_grads_and_errors():
    m = t([[True, False, True], [False, True, False]])
    s = ag.arange(1.0, 7.0).reshape(2, 3)
    assert ag.zeros(2, 3).masked_scatter(m, s).tolist() == [[1, 0, 2], [0, 3, 0]]
    assert tuple(ag.zeros(3).masked_scatter(t([[True], [False]]), ag.arange(1.0, 10.0)).shape) == (
        2,
        3,
    )
    z = ag.zeros(3)
    assert z.masked_scatter_(t([True, True, False]), t([1.0, 2.0])) is z
    assert z.tolist() == [1.0, 2.0, 0.0]
    xi = ag.randn(2, 3, requires_grad=True)
    si = ag.randn(7, requires_grad=True)
    o = ag.masked_scatter(xi, m, si)
    assert o.grad_fn.name() == "MaskedScatterBackward0"
    o.backward(ag.arange(6.0).reshape(2, 3))
    assert xi.grad.tolist() == [[0, 1, 0], [3, 0, 5]]
    assert si.grad.tolist() == [0, 2, 4, 0, 0, 0, 0]
    x = ag.zeros(2, 3)
    with pytest.raises(
        RuntimeError, match="only supports boolean masks, but got mask with dtype Long"
    ):
        x.masked_scatter(t([1, 0, 1]), s)
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask"):
        x.masked_scatter(m, ag.ones(2))
    with pytest.raises(RuntimeError, match="same dtypes but gotFloat and Double"):
        x.masked_scatter(m, ag.ones(5, dtype=ag.float64))


def test_special_namespace():
    import autograd.special as special

    assert ag.special is special
    x = t([0.0, 0.5])
    for name, same in [
        ("expit", ag.sigmoid), ("gammaln", ag.lgamma), ("psi", ag.digamma), ("erf", ag.erf),
        ("log1p", ag.log1p), ("expm1", ag.expm1), ("exp2", ag.exp2), ("round", ag.round),
    ]:  # fmt: skip
        np.testing.assert_array_equal(getattr(special, name)(x).numpy(), same(x).numpy())
    np.testing.assert_array_equal(special.softmax(x, 0).numpy(), ag.softmax(x, 0).numpy())
    assert special.multigammaln(t([2.5, 3.0]), 3).tolist() == pytest.approx(
        [1.8810, 2.6949], abs=1e-4
    )
    assert set(special.__all__) <= set(dir(special))


def test_xlogy_family_special_values_as_pytorch():
    nan, inf = float("nan"), float("inf")
    out = ag.xlogy(t([0.0, 0.0, 1.0, 2.0]), t([0.0, nan, 0.0, 3.0])).numpy()
    np.testing.assert_allclose(out, [0.0, nan, -inf, 2 * np.log(3.0)], rtol=1e-6)
    out = ag.special.xlog1py(t([0.0, 0.0, 1.0]), t([-1.0, nan, 2.0])).numpy()
    np.testing.assert_allclose(out, [0.0, nan, np.log(3.0)], rtol=1e-6)
    np.testing.assert_allclose(
        ag.special.entr(t([0.0, -1.0, 0.5, nan])).numpy(), [0.0, -inf, 0.3465736, nan], rtol=1e-6
    )
    assert ag.xlogy(t([1, 2]), 3).dtype == ag.float32
    assert ag.xlogy(2.0, t([1.0, 2.0])).dtype == ag.float32
    assert ag.sinc(t([1, 2])).dtype == ag.float32
    assert ag.sinc(t([0.0])).item() == 1.0
    x = t([0.0, 1.0], requires_grad=True)
    y = t([0.0, 2.0], requires_grad=True)
    with np.errstate(all="ignore"):
        ag.xlogy(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, np.log(2.0)])
    assert np.isnan(y.grad[0].item()) and y.grad[1].item() == 0.5  # 0 / 0, as in PyTorch
    x = t([0.0, 1.0], requires_grad=True)
    ag.sinc(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -1.0], atol=1e-7)
    with pytest.raises(RuntimeError, match=r"All elements must be greater than \(p-1\)/2"):
        ag.mvlgamma(t([0.5]), 3)
