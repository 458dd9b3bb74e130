"""The ops of issue 10 that the op table cannot check (no gradient, integer outputs, errors,
exposure), each against a NumPy formula or PyTorch's documented behaviour."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd.ops.elementwise import _erfinv
from tests.autograd.rows_elementwise import _erfinv_ref

t = ag.tensor


# ---------------------------------------------------------------------------------------
# exposure


FUNCTIONS = """
atleast_1d atleast_2d atleast_3d column_stack dstack block_diag cartesian_prod combinations
trace kron cross rot90 repeat_interleave unique_consecutive bucketize searchsorted histc hypot
logit erfinv mode nanmean take index_add index_copy scatter_reduce baddbmm cdist poisson
""".split()
METHODS = """
trace kron cross rot90 repeat_interleave unique_consecutive histc hypot logit erfinv mode
nanmean take index_add index_copy scatter_reduce baddbmm index_add_ index_copy_
scatter_reduce_ logit_ hypot_ erfinv_ baddbmm_
""".split()
NOT_METHODS = """
atleast_1d atleast_2d atleast_3d column_stack dstack block_diag cartesian_prod combinations
bucketize searchsorted cdist poisson
""".split()


def test_exposed_as_pytorch_exposes_them():
    assert [f for f in FUNCTIONS if not callable(getattr(ag, f, None))] == []
    assert [m for m in METHODS if not callable(getattr(ag.Tensor, m, None))] == []
    assert [m for m in NOT_METHODS if hasattr(ag.Tensor, m)] == []
    assert callable(ag.linalg.cross)


# ---------------------------------------------------------------------------------------
# erfinv accuracy (float64, NumPy only)


def test_erfinv_is_accurate_to_1e_15():
    ys = np.concatenate(
        [
            np.linspace(-0.999999, 0.999999, 801),
            1 - np.logspace(-16, -1, 60),
            -(1 - np.logspace(-15, -2, 20)),
            np.nextafter(1.0, 0.0) - np.arange(10) * 2.0**-53,
            np.logspace(-12, -1, 20),
        ]
    )
    ref = _erfinv_ref(ys)
    rel = np.abs(_erfinv(ys) - ref) / np.abs(ref)
    assert rel.max() < 2e-15, (rel.max(), ys[np.argmax(rel)])
    tiny = np.logspace(-300, -20, 15)  # erfinv(y) = sqrt(pi) / 2 * y to double precision
    np.testing.assert_allclose(_erfinv(tiny), tiny * math.sqrt(math.pi) / 2, rtol=1e-15)


def test_erfinv_special_values_and_dtypes():
    out = ag.erfinv(t([0.0, -0.0, 1.0, -1.0, 1.5, float("nan")], dtype=ag.float64)).numpy()
    np.testing.assert_array_equal(out[:4], [0.0, -0.0, np.inf, -np.inf])
    assert np.signbit(out[1]) and np.isnan(out[4:]).all()
    assert ag.erfinv(t([0, 1])).dtype == ag.float32
    x = t([0.25], dtype=ag.float32)
    assert ag.erfinv(x).dtype == ag.float32
    assert abs(math.erf(float(ag.erfinv(x))) - 0.25) < 1e-7


# ---------------------------------------------------------------------------------------
# elementwise: hypot, logit, poisson


def test_hypot_and_logit_values_and_errors():
    np.testing.assert_array_equal(ag.hypot(t([3.0, 1e200]), t([4.0, 1e200])).numpy()[:1], [5.0])
    assert np.isfinite(ag.hypot(t([1e200], dtype=ag.float64), t([1e200], dtype=ag.float64)).item())
    with pytest.raises(NotImplementedError, match="hypot"):
        ag.hypot(t([3]), t([4]))
    with pytest.raises(TypeError, match="must be Tensor"):
        ag.hypot(t([3.0]), 4.0)
    x = t([0.0, 0.0], requires_grad=True)
    ag.hypot(x, t([0.0, 1.0])).sum().backward()
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0  # NaN at the origin, as torch
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(ag.logit(t([0.0, 1.0, 0.5])).numpy(), [-np.inf, np.inf, 0.0])
    assert np.isnan(ag.logit(t([1.5])).item())
    np.testing.assert_allclose(ag.logit(t([0.5]), 0.7).numpy(), [np.log(0.7 / 0.3)], rtol=1e-6)
    assert ag.logit(t([0.5]), -0.1).item() == 0.0  # a negative eps clamps nothing
    assert ag.logit(t([1, 0])).dtype == ag.float32


def test_logit_gradient_zero_where_clamped():
    x = t([0.05, 0.5, 0.1, 0.9], requires_grad=True)
    ag.logit(x, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 4.0, 1 / 0.09, 1 / 0.09], rtol=1e-5)


def test_in_place_forms():
    x = t([0.3])
    assert x.logit_() is x
    np.testing.assert_allclose(x.numpy(), [np.log(0.3 / 0.7)], rtol=1e-6)
    y = t([0.5], dtype=ag.float64)
    y.erfinv_()
    np.testing.assert_allclose(y.numpy(), [_erfinv_ref(0.5)], rtol=1e-15)
    z = t([3.0])
    z.hypot_(t([4.0]))
    assert z.item() == 5.0


def test_poisson_samples_from_the_generator():
    rates = t([0.5, 3.0, 40.0, 0.0], dtype=ag.float64)
    a = ag.poisson(rates, generator=ag.Generator().manual_seed(3))
    b = ag.poisson(rates, ag.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(
        a.numpy(), np.random.Generator(np.random.PCG64(3)).poisson(rates.numpy())
    )
    assert a.dtype == ag.float64 and a.numpy()[3] == 0
    ag.manual_seed(5)
    c = ag.poisson(rates)
    ag.manual_seed(5)
    np.testing.assert_array_equal(c.numpy(), ag.poisson(rates).numpy())
    big = ag.poisson(ag.full((20000,), 4.0), generator=ag.Generator().manual_seed(0)).numpy()
    assert abs(big.mean() - 4.0) < 0.06 and abs(big.var() - 4.0) < 0.2


def test_poisson_gradient_is_zero_and_errors():
    x = t([1.0, 2.0], requires_grad=True)
    y = ag.poisson(x)
    assert y.requires_grad and type(y.grad_fn).__name__ != "NoneType"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    with pytest.raises(RuntimeError, match="non-negative"):
        ag.poisson(t([-1.0]))
    with pytest.raises(RuntimeError, match="non-negative"):
        ag.poisson(t([float("nan")]))
    with pytest.raises(NotImplementedError):
        ag.poisson(t([1, 2]))


# ---------------------------------------------------------------------------------------
# shape family


def test_atleast_forms():
    a = ag.atleast_1d(t(1.0))
    assert isinstance(a, ag.Tensor) and a.shape == (1,)
    both = ag.atleast_2d(t(1.0), t([1.0, 2.0]))
    assert [o.shape for o in both] == [(1, 1), (1, 2)]
    assert [o.shape for o in ag.atleast_3d([t(1.0), t([1.0, 2.0]), ag.ones(2, 3)])] == [
        (1, 1, 1),
        (1, 2, 1),
        (2, 3, 1),
    ]
    assert ag.atleast_1d() == ()
    with pytest.raises(TypeError):
        ag.atleast_1d(1.0)


def test_stacks_block_diag_cartesian_combinations():
    assert ag.column_stack([t([1.0, 2.0]), ag.ones(2, 2)]).shape == (2, 3)
    with pytest.raises(RuntimeError, match="non-empty"):
        ag.column_stack([])
    assert ag.dstack([t([1.0, 2.0]), t([3.0, 4.0])]).shape == (1, 2, 2)
    bd = ag.block_diag(t(1.0), t([1, 2]), ag.ones(2, 2))
    assert bd.dtype == ag.float32 and bd.shape == (4, 5)
    assert ag.block_diag().shape == (1, 0)
    assert ag.block_diag(ag.zeros(0), ag.ones(1, 1)).shape == (2, 1)
    with pytest.raises(RuntimeError, match="2 or fewer dimensions"):
        ag.block_diag(ag.ones(2, 2, 2))
    single = t([1, 2])
    assert ag.cartesian_prod(single) is single
    with pytest.raises(RuntimeError, match="1D vector"):
        ag.cartesian_prod(ag.ones(2, 2), t([1.0]))
    assert ag.combinations(t([1.0, 2.0]), 3).shape == (0, 3)
    assert ag.combinations(t([1.0, 2.0, 3.0]), 0).shape == (0,)
    with pytest.raises(RuntimeError, match="non-negative"):
        ag.combinations(t([1.0, 2.0]), -1)


def test_rot90_and_repeat_interleave_errors():
    with pytest.raises(RuntimeError, match="total dims >= 2"):
        ag.rot90(ag.ones(2))
    with pytest.raises(RuntimeError, match="rotation dims == 2"):
        ag.rot90(ag.ones(2, 3), 1, (0,))
    with pytest.raises(RuntimeError, match="different"):
        ag.rot90(ag.ones(2, 3), 1, (0, -2))
    with pytest.raises(IndexError):
        ag.rot90(ag.ones(2, 3), 1, (0, 2))
    np.testing.assert_array_equal(ag.repeat_interleave(t([2, 1])).numpy(), [0, 0, 1])
    np.testing.assert_array_equal(ag.repeat_interleave(t([1, 2]), t([2])).numpy(), [1, 1, 2, 2])
    assert ag.repeat_interleave(t(3.0), 2).shape == (2,)
    with pytest.raises(RuntimeError, match="non-negative"):
        ag.repeat_interleave(t([1, 2]), -1)
    with pytest.raises(RuntimeError, match="same size as input"):
        ag.repeat_interleave(ag.ones(2, 2), t([1, 2, 3]), dim=0)
    with pytest.raises(RuntimeError, match="Invalid output_size"):
        ag.repeat_interleave(t([1, 2]), 2, output_size=3)
    with pytest.raises(NotImplementedError):
        ag.repeat_interleave(t([1, 2]), t([1.0, 2.0]))
    assert t([1, 2]).repeat_interleave(2, output_size=4).shape == (4,)


def test_index_add_copy_errors():
    x = ag.zeros(3, 2)
    np.testing.assert_array_equal(
        ag.index_add(x, 0, t([0, 0]), ag.ones(2, 2), alpha=2).numpy(), [[4, 4], [0, 0], [0, 0]]
    )
    with pytest.raises(RuntimeError, match="out of bounds"):
        ag.index_add(x, 0, t([0, 3]), ag.ones(2, 2))
    with pytest.raises(RuntimeError, match="out of bounds"):
        ag.index_add(x, 0, t([0, -1]), ag.ones(2, 2))
    with pytest.raises(RuntimeError, match="shape must match"):
        ag.index_add(x, 0, t([0, 1]), ag.ones(2, 3))
    with pytest.raises(RuntimeError, match="Number of indices"):
        ag.index_add(x, 0, t([0, 1]), ag.ones(3, 2))
    with pytest.raises(IndexError, match="vector"):
        ag.index_add(x, 0, t([[0, 1]]), ag.ones(2, 2))
    with pytest.raises(RuntimeError, match="int32/int64"):
        ag.index_add(x, 0, t([0.0, 1.0]), ag.ones(2, 2))
    with pytest.raises(RuntimeError, match="same scalar type"):
        ag.index_add(x, 0, t([0, 1]), ag.ones(2, 2, dtype=ag.float64))
    assert ag.index_add(ag.zeros(()), 0, t([0]), ag.ones(())).item() == 1.0
    np.testing.assert_array_equal(
        ag.index_copy(x, 0, t([2, 0]), t([[1.0, 2.0], [3.0, 4.0]])).numpy(),
        [[3, 4], [0, 0], [1, 2]],
    )
    with pytest.raises(IndexError, match="out of bounds"):
        ag.index_copy(x, 0, t([3]), t([[1.0, 2.0]]))
    with pytest.raises(RuntimeError, match="same slice shapes"):
        ag.index_copy(x, 0, t([0, 1]), ag.ones(2, 3))
    with pytest.raises(IndexError, match="Number of indices"):
        ag.index_copy(x, 0, t([0]), ag.ones(2, 2))
    with pytest.raises(IndexError, match="dimensionality must match"):
        ag.index_copy(x, 0, t(0), ag.ones(2))
    with pytest.raises(RuntimeError, match="same dtype"):
        ag.index_copy(x, 0, t([0, 1]), ag.ones(2, 2, dtype=ag.float64))
    y = ag.zeros(3, 2)
    assert y.index_add_(1, t([1]), ag.ones(3, 1), alpha=0.5) is y
    np.testing.assert_array_equal(y.numpy()[:, 1], [0.5] * 3)


def test_scatter_reduce_matches_pytorch_and_errors():
    x = t([1.0, 2.0, 3.0, 4.0])
    src = t([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    idx = t([0, 1, 0, 1, 2, 1])
    # PyTorch 2.x's results for this example
    expected = {
        ("sum", True): [5, 14, 8, 4],
        ("sum", False): [4, 12, 5, 4],
        ("prod", True): [3, 96, 15, 4],
        ("prod", False): [3, 48, 5, 4],
        ("mean", True): [5 / 3, 3.5, 4, 4],
        ("mean", False): [2, 4, 5, 4],
        ("amax", True): [3, 6, 5, 4],
        ("amin", True): [1, 2, 3, 4],
        ("amin", False): [1, 2, 5, 4],
    }
    for (red, inc), want in expected.items():
        got = ag.scatter_reduce(x, 0, idx, src, red, include_self=inc).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"{red} {inc}")
    xi = t([1, 2, 3, 4])
    si = t([1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(ag.scatter_reduce(xi, 0, idx, si, "mean").numpy(), [1, 3, 4, 4])
    with pytest.raises(RuntimeError, match="reduce argument"):
        ag.scatter_reduce(x, 0, idx, src, "max")
    with pytest.raises(RuntimeError, match="self.dtype"):
        ag.scatter_reduce(x, 0, idx, src.double(), "sum")
    with pytest.raises(RuntimeError, match="out of bounds"):
        ag.scatter_reduce(x, 0, t([5]), src, "sum")
    with pytest.raises(RuntimeError, match="int32/int64"):
        ag.scatter_reduce(x, 0, idx.float(), src, "sum")
    with pytest.raises(RuntimeError, match="no larger"):
        ag.scatter_reduce(x, 0, t([0, 1, 2, 3, 0, 1, 2]), src, "sum")


def test_scatter_reduce_gradients_match_pytorch():
    """PyTorch 2.x's gradients for one example with ties (amax/amin) and include_self."""
    idx = t([0, 1, 0, 1, 2, 1])
    g = t([1.0, 10.0, 100.0, 1000.0], dtype=ag.float64)
    third = 10 / 3
    expected = {
        ("prod", True): ([3, 720, 500, 1000], [3, 2160, 1, 720, 300, 720]),
        ("mean", False): ([0, 0, 0, 1000], [0.5, third, 0.5, third, 100, third]),
        ("amax", True): ([0, third, 0, 1000], [0, 0, 1, third, 100, third]),
        # self counts in the tie even when excluded, as in PyTorch
        ("amax", False): ([0, 0, 0, 1000], [0, 0, 1, third, 100, third]),
        ("amin", False): ([0, 0, 0, 1000], [0.5, 10, 0, 0, 100, 0]),
    }
    for (red, inc), (gx, gs) in expected.items():
        x = t([1.0, 6.0, 3.0, 4.0], dtype=ag.float64, requires_grad=True)
        s = t([1.0, 2.0, 3.0, 6.0, 5.0, 6.0], dtype=ag.float64, requires_grad=True)
        ag.scatter_reduce(x, 0, idx, s, red, include_self=inc).backward(g)
        np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12, err_msg=f"{red} {inc}")
        np.testing.assert_allclose(s.grad.numpy(), gs, rtol=1e-12, err_msg=f"{red} {inc}")


def test_take():
    s = t([[4, 3, 5], [6, 7, 8]])
    np.testing.assert_array_equal(ag.take(s, t([[-1, 2]])).numpy(), [[8, 5]])
    with pytest.raises(IndexError, match="out of range"):
        ag.take(s, t([6]))
    with pytest.raises(IndexError, match="out of range"):
        ag.take(s, t([-7]))
    with pytest.raises(RuntimeError, match="long tensor"):
        ag.take(s, t([1.0]))
    with pytest.raises(TypeError):
        ag.take(s, [1])


# ---------------------------------------------------------------------------------------
# sorting family: mode, unique_consecutive, bucketize, searchsorted, histc


def test_mode_picks_smallest_most_frequent_and_last_index():
    m = ag.mode(t([5, 1, 5, 1, 7, 1, 5]))
    assert (m.values.item(), m.indices.item()) == (1, 5)
    m = ag.mode(t([[3, 1, 3, 1], [2, 2, 5, 5]]), 1)
    np.testing.assert_array_equal(m.values.numpy(), [1, 2])
    np.testing.assert_array_equal(m.indices.numpy(), [3, 1])
    assert type(m).__name__ == "mode"
    assert ag.mode(t([1.0, 2.0, 2.0, 1.0, 2.0]), 0, True).indices.numpy().tolist() == [4]
    with pytest.raises(IndexError, match="non-zero size"):
        ag.mode(ag.ones(0))


@given(st.lists(st.integers(0, 3), min_size=1, max_size=12))
def test_unique_consecutive_matches_run_length_formula(vals):
    a = np.array(vals)
    out, inv, counts = ag.unique_consecutive(t(a), return_inverse=True, return_counts=True)
    runs = [(v, sum(1 for _ in g)) for v, g in __import__("itertools").groupby(vals)]
    np.testing.assert_array_equal(out.numpy(), [v for v, _ in runs])
    np.testing.assert_array_equal(counts.numpy(), [n for _, n in runs])
    np.testing.assert_array_equal(out.numpy()[inv.numpy()], a)


def test_unique_consecutive_dim():
    x = t([[1, 1], [1, 1], [2, 3], [1, 1]])
    out, inv, counts = ag.unique_consecutive(x, return_inverse=True, return_counts=True, dim=0)
    np.testing.assert_array_equal(out.numpy(), [[1, 1], [2, 3], [1, 1]])
    np.testing.assert_array_equal(inv.numpy(), [0, 0, 1, 2])
    np.testing.assert_array_equal(counts.numpy(), [2, 1, 1])
    assert ag.unique_consecutive(t(1.0)).shape == (1,)


@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=8).map(sorted),
    st.lists(st.integers(-6, 6), min_size=0, max_size=6),
    st.booleans(),
)
def test_bucketize_and_searchsorted_match_the_definition(bounds, values, right):
    b, v = np.array(bounds), np.array(values, dtype=np.int64)
    # right=False: the number of boundaries < x; right=True: <= x
    want = (b[None, :] <= v[:, None]).sum(1) if right else (b[None, :] < v[:, None]).sum(1)
    np.testing.assert_array_equal(ag.bucketize(t(v), t(b), right=right).numpy(), want)
    side = "right" if right else "left"
    np.testing.assert_array_equal(ag.searchsorted(t(b), t(v), side=side).numpy(), want)
    out = ag.searchsorted(t(b), t(v), right=right, out_int32=True)
    assert out.dtype == ag.int32


def test_searchsorted_batched_sorter_and_errors():
    s = t([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    v = t([[3, 6, 9], [3, 6, 9]])
    np.testing.assert_array_equal(ag.searchsorted(s, v).numpy(), [[1, 3, 4], [1, 2, 4]])
    np.testing.assert_array_equal(
        ag.searchsorted(s, v, side="right").numpy(), [[2, 3, 5], [1, 3, 4]]
    )
    assert ag.searchsorted(s[0], 5).item() == 2
    np.testing.assert_array_equal(
        ag.searchsorted(t([3, 1, 2]), t([2]), sorter=t([1, 2, 0])).numpy(), [1]
    )
    with pytest.raises(RuntimeError, match="opposites"):
        ag.searchsorted(s, v, right=True, side="left")
    with pytest.raises(RuntimeError, match="'left' or 'right'"):
        ag.searchsorted(s, v, side="middle")
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        ag.searchsorted(s, t([1, 2]))
    with pytest.raises(RuntimeError, match="scalar"):
        ag.searchsorted(s, 1)
    with pytest.raises(RuntimeError, match="1 dimension"):
        ag.bucketize(v, t([[1, 2]]))
    assert ag.bucketize(3, t([1, 3, 5])).shape == ()


@given(
    st.lists(st.floats(-10, 10, allow_nan=False), min_size=0, max_size=20),
    st.integers(1, 6),
)
def test_histc_matches_pytorch_binning(vals, bins):
    a = np.array(vals, dtype=np.float64)
    lo, hi = (a.min(), a.max()) if a.size else (0.0, 0.0)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    want = np.zeros(bins)
    for x in a:  # bin int((x - lo) * bins / (hi - lo)), the maximum in the last bin
        want[min(int((x - lo) * bins / (hi - lo)), bins - 1)] += 1
    got = ag.histc(t(a), bins=bins)
    assert got.dtype == ag.float64
    np.testing.assert_array_equal(got.numpy(), want)


def test_histc_range_and_errors():
    np.testing.assert_array_equal(ag.histc(t([1.0, 2, 1]), 4, 0, 3).numpy(), [0, 2, 1, 0])
    np.testing.assert_array_equal(ag.histc(t([1.0, 1, 1]), 4).numpy(), [0, 0, 3, 0])
    nan_ignored = ag.histc(t([1.0, 2.0, float("nan"), 7.0]), bins=4, min=0, max=3)
    np.testing.assert_array_equal(nan_ignored.numpy(), [0, 1, 1, 0])
    with pytest.raises(NotImplementedError):
        ag.histc(t([1, 2]), bins=4)
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        ag.histc(t([1.0]), bins=0)
    with pytest.raises(RuntimeError, match="max must be larger"):
        ag.histc(t([1.0]), bins=4, min=3, max=1)
    with pytest.raises(RuntimeError, match="not finite"):
        ag.histc(t([1.0, float("inf")]), bins=4)
    assert not ag.histc(ag.ones(2, 2, requires_grad=True), bins=4).requires_grad


def test_nanmean_values_and_errors():
    assert ag.nanmean(t([1.0, float("nan"), 3.0])).item() == 2.0
    out = ag.nanmean(t([[1.0, float("nan")], [float("nan"), float("nan")]]), 1).numpy()
    assert out[0] == 1.0 and np.isnan(out[1])
    with pytest.raises(RuntimeError, match="floating point"):
        ag.nanmean(t([1, 2]))
    with pytest.raises(RuntimeError, match="floating point"):
        ag.nanmean(t([1, 2]), dtype=ag.float64)
    x = t([1.0, float("nan"), 3.0], requires_grad=True)
    ag.nanmean(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0, 0.5])


# ---------------------------------------------------------------------------------------
# linalg family: trace, cross, baddbmm, cdist


def test_trace_cross_baddbmm():
    tr = ag.trace(t([[1, 2], [3, 4]]))
    assert tr.item() == 5 and tr.dtype == ag.int64
    with pytest.raises(RuntimeError, match="expected a matrix"):
        ag.trace(ag.ones(3))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = ag.cross(ag.ones(4, 3), t([[1.0, 0.0, 0.0]]))
    assert out.shape == (4, 3) and any("deprecated" in str(x.message) for x in w)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="no dimension of size 3"):
        ag.cross(ag.ones(4, 2), ag.ones(4, 2))
    with pytest.raises(RuntimeError, match="length 3"):
        ag.linalg.cross(ag.ones(3, 4), ag.ones(3, 4))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ag.linalg.cross(ag.ones(3), ag.ones(2, 3))
    np.testing.assert_array_equal(ag.cross(t([1, 2, 3]), t([3, 4, 5]), dim=0).numpy(), [-2, 4, -2])
    nan = ag.full((2, 3, 4), float("nan"))
    out = ag.baddbmm(nan, ag.ones(2, 3, 5), ag.ones(2, 5, 4), beta=0)
    assert not np.isnan(out.numpy()).any()  # beta=0 ignores input, as torch
    with pytest.raises(RuntimeError, match="first two dimensions"):
        ag.baddbmm(ag.ones(2, 3, 4), ag.ones(2, 3, 5), ag.ones(3, 5, 4))
    with pytest.raises(RuntimeError, match="3D"):
        ag.baddbmm(ag.ones(2, 3, 4), ag.ones(3, 5), ag.ones(3, 5, 4))


def test_cdist_zero_distance_gradient_and_errors():
    """At zero distance PyTorch's gradient is 0 (mm and direct paths); values from torch 2.x."""
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        for p, gx in [
            (
                2.0,
                [[-0.894427190999916, 0.447213595499958], [-1.39589689355047, -1.21065495701675]],
            ),
            (1.0, [[-1.0, 1.0], [-2.0, -2.0]]),
            (0.5, [[-1.70710678118655, 2.41421356237310], [-3.99156383156272, -4.43915758875543]]),
            (0.0, [[0.0, 0.0], [0.0, 0.0]]),
            (float("inf"), [[-1.0, 0.0], [-1.0, -1.0]]),
        ]:
            x = t([[1.0, 2.0], [0.0, 0.0]], dtype=ag.float64, requires_grad=True)
            y = t([[1.0, 2.0], [3.0, 1.0]], dtype=ag.float64, requires_grad=True)
            d = ag.cdist(x, y, p=p, compute_mode=mode)
            d.backward(ag.ones_like(d))
            np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12, err_msg=f"{mode} {p}")
    with pytest.raises(RuntimeError, match="same number of columns"):
        ag.cdist(ag.randn(3, 4), ag.randn(5, 3))
    with pytest.raises(RuntimeError, match="at least 2D"):
        ag.cdist(ag.randn(4), ag.randn(4))
    with pytest.raises(RuntimeError, match="non-negative"):
        ag.cdist(ag.randn(3, 4), ag.randn(5, 4), p=-1)
    with pytest.raises(ValueError, match="compute_mode"):
        ag.cdist(ag.randn(3, 4), ag.randn(5, 4), compute_mode="x")
    with pytest.raises(RuntimeError, match="floating-point"):
        ag.cdist(ag.ones(3, 4, dtype=ag.int64), ag.ones(5, 4, dtype=ag.int64))
    assert ag.cdist(ag.randn(1, 2, 3, 4), ag.randn(2, 1, 5, 4)).shape == (2, 2, 3, 5)


def test_cdist_mm_is_one_matmul_and_agrees():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 8)), rng.standard_normal((30, 8))
    ref = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    for mode in ("use_mm_for_euclid_dist_if_necessary", "donot_use_mm_for_euclid_dist"):
        np.testing.assert_allclose(ag.cdist(t(a), t(b), compute_mode=mode).numpy(), ref, rtol=1e-12)
    d = ag.cdist(t(a), t(a))  # the clamp keeps coincident points at 0, not NaN
    assert np.all(np.isfinite(d.numpy())) and np.all(np.diag(d.numpy()) < 1e-6)


def test_floor_divide_backward_raises_and_div_floor_has_zero_gradient():
    """As in PyTorch: ``//`` and ``floor_divide`` record a node whose backward raises;
    ``div(rounding_mode='floor')`` has a zero gradient; ``remainder``'s gradient uses the
    latter, so its second derivative exists."""
    x = ag.tensor([1.5, -2.5, 3.0], requires_grad=True)
    y = ag.tensor([0.7, 1.1, -2.0], requires_grad=True)
    for q in (x // y, ag.floor_divide(x, 2.0), x.floor_divide(y)):
        assert q.requires_grad and q.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match=r"derivative for aten::floor_divide is not"):
            q.sum().backward()
    d = ag.div(x, y, rounding_mode="floor")
    np.testing.assert_array_equal(
        d.detach().numpy(), np.floor_divide([1.5, -2.5, 3.0], [0.7, 1.1, -2.0]).astype(np.float32)
    )
    assert d.grad_fn.name() == "DivBackward2"
    d.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    (gy,) = ag.autograd.grad(ag.remainder(x, y).sum(), y, create_graph=True)
    np.testing.assert_allclose(
        gy.detach().numpy(), -np.floor_divide([1.5, -2.5, 3.0], [0.7, 1.1, -2.0]), rtol=1e-6
    )


def test_unique_values_record_a_node_whose_backward_raises():
    """As PyTorch: the values of unique / unique_consecutive of a tensor that requires grad
    require grad and carry a node; backward through it raises NotImplementedError naming the
    ATen function. Inverse and counts are int64 without a node; no_grad records nothing."""
    x = t([1.0, 1.0, 2.0, 2.0, 3.0, 1.0], requires_grad=True)
    cases = [
        (lambda: ag.unique_consecutive(x), "UniqueConsecutiveBackward0", "unique_consecutive"),
        (lambda: ag.unique(x), "Unique2Backward0", "_unique2"),
        (lambda: x.unique(sorted=False), "Unique2Backward0", "_unique2"),
        (lambda: ag.unique(x.view(2, 3), dim=0), "UniqueDimBackward0", "unique_dim"),
        (lambda: ag.unique_consecutive(x.view(2, 3), dim=1), "UniqueConsecutiveBackward0",
         "unique_consecutive"),
    ]  # fmt: skip
    for fn, node, aten in cases:
        v = fn()
        assert v.requires_grad and v.grad_fn.name() == node
        with pytest.raises(NotImplementedError, match=f"the derivative for '{aten}' is not impl"):
            v.sum().backward()
    v, inv, counts = ag.unique(x, return_inverse=True, return_counts=True)
    assert not inv.requires_grad and inv.dtype == ag.int64 and counts.dtype == ag.int64
    with ag.no_grad():
        assert not ag.unique(x).requires_grad
    assert not ag.unique(t([2, 1, 2])).requires_grad


def test_unique_dim_and_nan_like_pytorch():
    x = t([[3.0, 1.0], [1.0, 2.0], [3.0, 1.0], [0.0, 5.0]])
    v, inv, counts = ag.unique(x, dim=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(v.numpy(), [[0.0, 5.0], [1.0, 2.0], [3.0, 1.0]])
    np.testing.assert_array_equal(inv.numpy(), [2, 1, 2, 0])
    np.testing.assert_array_equal(counts.numpy(), [1, 1, 2])
    v, inv, counts = ag.unique(x, dim=1, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(v.numpy(), x.numpy()[:, [1, 0]])
    np.testing.assert_array_equal(inv.numpy(), [1, 0])
    assert ag.unique(ag.zeros(0, 3), dim=0).shape == (0, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.unique(x, dim=2)
    # every NaN is its own value (PyTorch's; NumPy's default merges them)
    nan = float("nan")
    assert ag.unique(t([3.0, nan, nan, 1.0])).shape == (4,)
    assert ag.unique_consecutive(t([3.0, nan, nan, 1.0])).shape == (4,)
    v, inv, counts = ag.unique(t(2.0), return_inverse=True, return_counts=True)
    assert v.shape == (1,) and inv.shape == () and counts.tolist() == [1]


# -- float_power: double precision whatever the inputs ----------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda: ag.float_power(t([1.5, 2.0]), 2),
        lambda: ag.float_power(t([2, 3]), 2),
        lambda: ag.float_power(t([2, 3]), t([2, 3])),
        lambda: ag.float_power(t([1.5, 2.0]), t([1.5, 2.0])),
        lambda: ag.float_power(2, t([1.5, 2.0])),
        lambda: ag.float_power(2.5, t([2, 3])),
        lambda: t([1.5, 2.0]).float_power(2.5),
        lambda: t([2, 3]).float_power(0.5),
        lambda: ag.float_power(t([True]), 2),
        lambda: ag.float_power(t([1.5, 2.0], dtype=ag.float16), t(2)),
    ],
)
def test_float_power_is_float64(fn):
    assert fn().dtype == ag.float64


def test_float_power_values_gradients_and_in_place():
    x = t([1.5, 2.0], requires_grad=True)
    e = t([2.0, 3.0], requires_grad=True)
    y = ag.float_power(x, e)
    np.testing.assert_array_equal(y.detach().numpy(), np.power([1.5, 2.0], [2.0, 3.0]))
    assert y.grad_fn.name() == "PowBackward1"
    assert [n.name() for n, _ in y.grad_fn.next_functions] == ["ToCopyBackward0"] * 2
    y.sum().backward()
    assert x.grad.dtype == ag.float32 and e.grad.dtype == ag.float32  # back in their dtypes
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert ag.float_power(x, 2).grad_fn.name() == "PowBackward0"
    assert ag.float_power(2, e).grad_fn.name() == "PowBackward2"
    # in place: the base must already be float64, as in PyTorch
    for base, have in [(t([1.5, 2.0]), "Float"), (t([2, 3]), "Long")]:
        with pytest.raises(
            RuntimeError,
            match=f"the base given to float_power_ has dtype {have} but the operation's result "
            "requires dtype Double",
        ):
            base.float_power_(2)
    b = t([1.5, 2.0], dtype=ag.float64)
    assert b.float_power_(t([2.0, 1.0])) is b
    np.testing.assert_array_equal(b.numpy(), [2.25, 2.0])
    with pytest.raises(TypeError, match="float_power"):
        ag.float_power(2, 3)


def test_float_power_out_must_be_float64():
    x = ag.randn(3)
    for dt, name in ((ag.float32, "Float"), (ag.float16, "Half"), (ag.int64, "Long")):
        with pytest.raises(
            RuntimeError, match=f"has dtype {name} but the operation's result requires dtype Double"
        ):
            ag.float_power(x, 2, out=ag.empty(3, dtype=dt))
    out = ag.empty(3, dtype=ag.float64)
    assert ag.float_power(x, 2, out=out) is out
    np.testing.assert_allclose(out.numpy(), x.numpy().astype(np.float64) ** 2)


def test_deprecated_alpha_first_overload_of_add_and_sub(monkeypatch):
    # PyTorch still accepts x.add(alpha, other) with a one-time warning; old training loops
    # (word_language_model: ``p.data.add_(-lr, p.grad.data)``) and optimizers rely on it
    from autograd.ops import elementwise

    monkeypatch.setattr(elementwise, "_LEGACY_WARNED", set())
    a, b = ag.ones(3), ag.arange(3.0)
    with pytest.warns(UserWarning, match="overload of add is deprecated"):
        assert a.add(2, b).tolist() == [1.0, 3.0, 5.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ag.add(a, 2, b).tolist() == [1.0, 3.0, 5.0]
        assert a.sub(2, b).tolist() == [1.0, -1.0, -3.0]
        assert ag.sub(a, 2, b).tolist() == [1.0, -1.0, -3.0]
        c = a.clone()
        c.add_(-0.5, b)
        assert c.tolist() == [1.0, 0.5, 0.0]
        c.sub_(2, b)
        assert c.tolist() == [1.0, -1.5, -4.0]
        w = ag.ones(3, requires_grad=True)
        x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w.add(3, x).sum().backward()
        assert w.grad.tolist() == [1.0] * 3 and x.grad.tolist() == [3.0] * 3
    # the scale is keyword-only otherwise, as in PyTorch
    with pytest.raises(TypeError, match="positional"):
        a.add(b, 2)
    with pytest.raises(TypeError, match="positional"):
        a.add(2, b, alpha=2)


def test_addcmul_addcdiv_values_names_and_legacy_overload(monkeypatch):
    # hand-written Adam steps: exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2),
    # p.addcdiv_(exp_avg, denom, value=-step_size), and the older value-first spelling
    from autograd.ops import elementwise

    monkeypatch.setattr(elementwise, "_LEGACY_WARNED", set())
    a = ag.ones(3, requires_grad=True)
    b = ag.arange(3.0).requires_grad_()
    y = ag.addcmul(a, b, b, value=2)
    assert y.tolist() == [1.0, 3.0, 9.0] and y.grad_fn.name() == "AddcmulBackward0"
    z = a.addcdiv(b, b + 1, value=2)
    assert np.allclose(z.tolist(), [1.0, 2.0, 1.0 + 4.0 / 3.0])
    assert z.grad_fn.name() == "AddcdivBackward0"
    assert ag.addcmul(ag.ones(1), ag.ones(3, 1), ag.ones(2)).shape == (3, 2)
    c = ag.ones(3)
    c.addcmul_(b.detach(), b.detach(), value=0.5).addcdiv_(ag.ones(3), ag.full((3,), 4.0))
    assert c.tolist() == [1.25, 1.75, 3.25]
    with pytest.warns(UserWarning, match="overload of addcmul is deprecated"):
        c.addcmul_(2, ag.ones(3), ag.ones(3))
    assert c.tolist() == [3.25, 3.75, 5.25]
    with pytest.warns(UserWarning, match="overload of addcdiv is deprecated"):
        assert ag.addcdiv(ag.zeros(1), -1, ag.ones(1), ag.full((1,), 2.0)).tolist() == [-0.5]
    i = ag.ones(3, dtype=ag.long)
    assert ag.addcmul(i, i, i, value=2).tolist() == [3, 3, 3]
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        ag.addcdiv(i, i, i)
    with pytest.raises(TypeError, match="positional"):
        ag.addcmul(a, b, b, 2)


def test_return_types_print_as_pytorch_structseqs():
    x = ag.tensor([1.0, 3.0, 2.0])
    r = x.topk(2)
    assert type(r) is ag.return_types.topk and r.values is r[0]
    assert repr(r) == (
        "autograd.return_types.topk(\nvalues=tensor([3., 2.]),\nindices=tensor([1, 2]))"
    )
    assert repr(x.max(0)) == "autograd.return_types.max(\nvalues=tensor(3.),\nindices=tensor(1))"
    assert type(x.min(0)).__name__ == "min" and type(x.sort()).__name__ == "sort"
    values, indices = x.kthvalue(2)
    assert values.item() == 2.0 and indices.item() == 2


def test_hsplit_vsplit_dsplit_real_imag_as_pytorch():
    x = ag.arange(12.0).reshape(3, 4)
    assert [tuple(t.shape) for t in x.hsplit(2)] == [(3, 2), (3, 2)]
    assert [tuple(t.shape) for t in ag.vsplit(x, [1])] == [(1, 4), (2, 4)]
    assert [tuple(t.shape) for t in ag.hsplit(ag.arange(6.0), 3)] == [(2,)] * 3
    assert [tuple(t.shape) for t in ag.zeros(2, 2, 4).dsplit(2)] == [(2, 2, 2)] * 2
    with pytest.raises(RuntimeError, match="not divisible by the split_size 3"):
        x.hsplit(3)
    with pytest.raises(RuntimeError, match="vsplit requires a tensor with at least 2 dimension"):
        ag.arange(3.0).vsplit(1)
    x.hsplit(2)[0].zero_()  # views, as PyTorch's
    assert x.sum().item() == 2 + 3 + 6 + 7 + 10 + 11
    assert x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        _ = x.imag
