"""Samplers: lengths, statistics (chi-square via data.testing.check_sampler), determinism."""

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from data.testing import check_sampler, chi2_sf


def gen(seed):
    return autograd.Generator().manual_seed(seed)


# -- SequentialSampler / BatchSampler ---------------------------------------------------------
def test_sequential():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_batch_sampler_pytorch_examples():
    seq = SequentialSampler(range(10))
    assert list(BatchSampler(seq, 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(seq, 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@given(n=st.integers(0, 40), bs=st.integers(1, 12), drop_last=st.booleans())
def test_batch_sampler_len_matches_iteration(n, bs, drop_last):
    b = BatchSampler(range(n), bs, drop_last)
    batches = list(b)
    assert len(b) == len(batches)
    assert all(len(x) == bs for x in batches[:-1])
    if batches:
        assert len(batches[-1]) == bs if drop_last else 1 <= len(batches[-1]) <= bs
    flat = [i for x in batches for i in x]
    assert flat == list(range(len(flat)))
    assert len(flat) == (n // bs) * bs if drop_last else len(flat) == n


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None])
def test_batch_sampler_rejects_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), bad, False)


def test_batch_sampler_rejects_drop_last():
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 1)


# -- RandomSampler ------------------------------------------------------------------------------
@given(n=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_random_without_replacement_is_a_permutation_each_epoch(n, seed):
    s = RandomSampler(range(n), generator=gen(seed))
    for _ in range(3):
        assert sorted(s) == list(range(n))


@given(n=st.integers(1, 12), extra=st.integers(0, 30), seed=st.integers(0, 2**32))
def test_random_without_replacement_num_samples_wraps_into_permutations(n, extra, seed):
    num = n + extra
    s = RandomSampler(range(n), num_samples=num, generator=gen(seed))
    out = list(s)
    assert len(out) == len(s) == num
    for start in range(0, num - num % n, n):  # each full block is a permutation
        assert sorted(out[start : start + n]) == list(range(n))
    tail = out[num - num % n :]
    assert len(set(tail)) == len(tail)  # the cut-short permutation has no repeats


def test_random_without_replacement_num_samples_below_len():
    out = list(RandomSampler(range(10), num_samples=4, generator=gen(1)))
    assert len(out) == 4 and len(set(out)) == 4


def test_random_with_replacement_repeats_and_misses():
    s = RandomSampler(range(50), replacement=True, generator=gen(3))
    out = list(s)
    assert len(out) == 50
    # 50 uniform draws from 50: a repeat and a missed index are (all but) certain
    assert len(set(out)) < 50


def test_random_with_replacement_num_samples():
    s = RandomSampler(range(5), replacement=True, num_samples=123, generator=gen(0))
    out = list(s)
    assert len(out) == len(s) == 123 and set(out) <= set(range(5))


def test_random_with_replacement_is_uniform_chi_square():
    s = RandomSampler(range(20), replacement=True, num_samples=1000, generator=gen(7))
    res = check_sampler(s, np.full(20, 1 / 20), num_draws=20_000)
    assert res.draws == 20_000 and res.dof == 19


def test_random_with_replacement_uses_default_generator_chi_square():
    autograd.manual_seed(11)
    check_sampler(RandomSampler(range(7), replacement=True), np.full(7, 1 / 7), num_draws=14_000)


def test_random_shuffle_first_position_is_uniform():
    # every index comes first equally often across epochs
    s = RandomSampler(range(8), generator=gen(5))
    check_sampler(s, np.full(8, 1 / 8), num_draws=4000, position=0)


def test_random_without_replacement_counts_exact_per_epoch():
    s = RandomSampler(range(9), generator=gen(2))
    res = check_sampler(s, np.full(9, 1 / 9), num_draws=90)
    assert res.statistic == 0.0 and (res.counts == 10).all()


def test_random_sampler_argument_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler([], replacement=False)


def test_random_sampler_same_seed_same_epochs_new_epoch_new_order():
    a = RandomSampler(range(30), generator=gen(42))
    b = RandomSampler(range(30), generator=gen(42))
    ea = [list(a) for _ in range(3)]
    eb = [list(b) for _ in range(3)]
    assert ea == eb
    assert ea[0] != ea[1] != ea[2]


def test_random_sampler_without_generator_follows_manual_seed():
    s = RandomSampler(range(30))
    autograd.manual_seed(3)
    e1 = [list(s) for _ in range(3)]
    autograd.manual_seed(3)
    e2 = [list(s) for _ in range(3)]
    autograd.manual_seed(4)
    e3 = [list(s) for _ in range(3)]
    assert e1 == e2 and e1 != e3 and e1[0] != e1[1]


def test_random_sampler_reads_length_at_iteration():
    data = list(range(3))
    s = RandomSampler(data, generator=gen(0))
    data.extend([3, 4])
    assert sorted(s) == [0, 1, 2, 3, 4] and len(s) == 5


# -- SubsetRandomSampler ------------------------------------------------------------------------
def test_subset_random_sampler():
    idx = [3, 7, 11, 19]
    s = SubsetRandomSampler(idx, generator=gen(0))
    epochs = [list(s) for _ in range(5)]
    assert all(sorted(e) == idx for e in epochs) and len(s) == 4
    assert len({tuple(e) for e in epochs}) > 1
    autograd.manual_seed(9)
    a = list(SubsetRandomSampler(idx))
    autograd.manual_seed(9)
    assert list(SubsetRandomSampler(idx)) == a


# -- WeightedRandomSampler ----------------------------------------------------------------------
def test_weighted_with_replacement_proportional_chi_square():
    w = np.array([0.1, 0.9, 0.4, 0.7, 3.0, 0.6])
    s = WeightedRandomSampler(w, 500, generator=gen(0))
    res = check_sampler(s, w / w.sum(), num_draws=30_000)
    assert len(s) == 500 and res.p_value > 1e-4


def test_weighted_zero_weight_never_drawn():
    w = [0.0, 1.0, 0.0, 2.0, 0.0]
    out = list(WeightedRandomSampler(w, 5000, generator=gen(1)))
    assert set(out) == {1, 3}
    out = list(WeightedRandomSampler(w, 2, replacement=False, generator=gen(1)))
    assert sorted(out) == [1, 3]


def test_weighted_accepts_tensor_weights_and_default_generator():
    autograd.manual_seed(0)
    s = WeightedRandomSampler(autograd.tensor([1.0, 3.0]), 40_000)
    check_sampler(s, [0.25, 0.75], num_draws=40_000)


def test_weighted_without_replacement_distinct_and_sequential_probabilities():
    # Without replacement the draws are successive draws from the remaining weights: the
    # first index is i with probability w_i / W, and the second is j given the first i with
    # probability w_j / (W - w_i). Check the first position, then the pair.
    w = np.array([1.0, 2.0, 3.0, 4.0])
    s = WeightedRandomSampler(w, 4, replacement=False, generator=gen(3))
    out = list(s)
    assert sorted(out) == [0, 1, 2, 3]
    check_sampler(s, w / w.sum(), position=0, num_draws=8000)
    W = w.sum()
    pair_p = np.array(
        [w[i] / W * w[j] / (W - w[i]) if i != j else 0.0 for i in range(4) for j in range(4)]
    )

    class Pairs:
        def __iter__(self):
            a, b = list(WeightedRandomSampler(w, 2, replacement=False, generator=g))
            yield 4 * a + b

    g = gen(4)
    check_sampler(Pairs(), pair_p, num_draws=12_000)


def test_weighted_without_replacement_full_order_distribution_and_power():
    # Every order of 4 weighted indices drawn without replacement has probability
    # prod_t w[pi_t] / (W - w[pi_0] - ... - w[pi_{t-1}]) (successive draws from what is
    # left, as torch.multinomial). Count all 24 orders against those exact probabilities.
    # The same counts must reject two plausible wrong samplers (every order equally likely,
    # and sorting by the biased keys w_i * U_i), so the check cannot pass by accident.
    import itertools
    import math

    w = np.array([1.0, 2.0, 3.0, 4.0])
    perms = list(itertools.permutations(range(4)))

    def exact(weights):
        out = []
        for perm in perms:
            p, left = 1.0, weights.sum()
            for i in perm:
                p *= weights[i] / left
                left -= weights[i]
            out.append(p)
        return np.array(out)

    p = exact(w)
    assert abs(p.sum() - 1.0) < 1e-12
    code = {perm: k for k, perm in enumerate(perms)}
    g = gen(11)

    class Orders:
        def __iter__(self):
            yield code[tuple(WeightedRandomSampler(w, 4, replacement=False, generator=g))]

    res = check_sampler(Orders(), p, num_draws=24_000)
    assert res.dof == 23

    # sorting by w_i * U_i (U uniform): P(order) by Monte Carlo with many draws
    rng = np.random.default_rng(0)
    keys = rng.random((400_000, 4)) * w
    biased = np.argsort(-keys, axis=1)
    biased_p = np.bincount([code[tuple(r)] for r in biased.tolist()], minlength=24) / 400_000
    for wrong in (np.full(24, 1 / 24), biased_p):
        stat = float(np.sum((res.counts - 24_000 * wrong) ** 2 / (24_000 * wrong)))
        assert chi2_sf(stat, 23) < 1e-12, stat
    # and the correct probabilities differ from the biased ones by far more than noise
    assert np.max(np.abs(biased_p - p)) > 0.01 and math.isclose(biased_p.sum(), 1.0)


def test_weighted_one_draw_and_zero_weights_follow_positive_ones():
    # num_samples=1 takes torch.multinomial's single-draw path: still proportional
    w = np.array([0.5, 0.0, 2.0, 1.5])
    check_sampler(WeightedRandomSampler(w, 1, generator=gen(2)), w / w.sum(), num_draws=8000)
    check_sampler(
        WeightedRandomSampler(w, 1, replacement=False, generator=gen(3)),
        w / w.sum(),
        num_draws=8000,
    )
    # more draws than positive weights, without replacement: as torch.multinomial, the
    # positive ones first (in weighted order), then the zero ones; no error
    for seed in range(20):
        out = list(WeightedRandomSampler([1.0, 0.0, 2.0, 0.0], 4, False, generator=gen(seed)))
        assert sorted(out[:2]) == [0, 2] and out[2:] == [1, 3]


@pytest.mark.parametrize(
    "weights, replacement, num_samples, message",
    [
        (
            [1.0, -1.0],
            True,
            2,
            "invalid multinomial distribution (encountering probability entry < 0)",
        ),
        (
            [1.0, np.nan],
            True,
            2,
            "invalid multinomial distribution (encountering probability entry < 0)",
        ),
        (
            [1.0, np.inf],
            True,
            2,
            "invalid multinomial distribution (encountering probability entry = infinity or NaN)",
        ),
        # element by element: the first bad one decides
        (
            [np.inf, -1.0],
            True,
            2,
            "invalid multinomial distribution (encountering probability entry = infinity or NaN)",
        ),
        (
            [-1.0, np.inf],
            True,
            2,
            "invalid multinomial distribution (encountering probability entry < 0)",
        ),
        ([0.0, 0.0], True, 2, "invalid multinomial distribution (sum of probabilities <= 0)"),
        ([], True, 2, "invalid multinomial distribution (sum of probabilities <= 0)"),
        ([1.0, -1.0], False, 2, "probability tensor contains either `inf`, `nan` or element < 0"),
        ([1.0, np.nan], False, 2, "probability tensor contains either `inf`, `nan` or element < 0"),
        ([np.inf, 1.0], False, 2, "probability tensor contains either `inf`, `nan` or element < 0"),
        ([0.0, -0.0], False, 2, "invalid multinomial distribution (sum of probabilities <= 0)"),
        # one draw takes the no-replacement path, and its messages
        ([1.0, -1.0], True, 1, "probability tensor contains either `inf`, `nan` or element < 0"),
        ([0.0, 0.0], True, 1, "invalid multinomial distribution (sum of probabilities <= 0)"),
        (
            [1.0, 0.0, 2.0],
            False,
            4,
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
        ),
        (
            [-1.0, 1.0],
            False,
            3,
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
        ),
        ([], False, 1, "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ],
)
def test_weighted_bad_weights_fail_at_first_next_as_pytorch(
    weights, replacement, num_samples, message
):
    # PyTorch builds the sampler and calls iter() without complaint; torch.multinomial
    # raises at the first next()
    s = WeightedRandomSampler(weights, num_samples, replacement)
    it = iter(s)
    with pytest.raises(RuntimeError) as excinfo:
        next(it)
    assert str(excinfo.value) == message
    assert len(s) == num_samples


def test_weighted_argument_errors():
    # PyTorch's checks and messages, when built
    for bad in (0, -1, True, 2.0, np.int64(2)):
        with pytest.raises(ValueError) as excinfo:
            WeightedRandomSampler([1.0], bad)
        assert str(excinfo.value) == (
            f"num_samples should be a positive integer value, but got num_samples={bad}"
        )
    with pytest.raises(ValueError) as excinfo:
        WeightedRandomSampler([1.0], 1, replacement=0)
    assert str(excinfo.value) == "replacement should be a boolean value, but got replacement=0"
    for bad, shape in (([[1.0, 2.0]], (1, 2)), (1.0, ()), (autograd.ones(2, 2), (2, 2))):
        with pytest.raises(ValueError) as excinfo:
            WeightedRandomSampler(bad, 1)
        assert str(excinfo.value) == (
            f"weights should be a 1d sequence but given weights have shape {shape}"
        )


def test_weighted_weights_attribute_is_float64_tensor():
    s = WeightedRandomSampler([1, 2], 3)
    assert isinstance(s.weights, autograd.Tensor) and s.weights.dtype == autograd.float64
    assert s.weights.tolist() == [1.0, 2.0]


def test_weighted_at_most_2_pow_24_categories():
    # PyTorch's multinomial limit, checked at the first next() before the weights
    w = np.ones((1 << 24) + 1)
    for rep in (True, False):
        s = WeightedRandomSampler(w, 5, replacement=rep, generator=gen(0))
        with pytest.raises(RuntimeError) as excinfo:
            next(iter(s))
        assert str(excinfo.value) == "number of categories cannot exceed 2^24"
    w = -np.ones((1 << 24) + 1)
    with pytest.raises(RuntimeError, match="cannot exceed 2\\^24"):
        next(iter(WeightedRandomSampler(w, 5)))


def test_weighted_2_pow_24_weights_fast():
    n = 1 << 24  # the largest number PyTorch allows
    w = np.ones(n)
    w[-1] = 1e9  # the last index carries almost all the mass
    t = time.perf_counter()
    out = list(WeightedRandomSampler(w, 100, replacement=False, generator=gen(0)))
    assert len(set(out)) == 100 and out[0] == n - 1 and max(out) == n - 1
    rep = list(WeightedRandomSampler(w, 1000, generator=gen(0)))
    assert sum(i == n - 1 for i in rep) > 900
    assert time.perf_counter() - t < 20  # vectorised: O(n) NumPy passes, no Python loop


def test_weighted_same_seed_same_epochs():
    w = np.arange(1.0, 11.0)
    for rep in (True, False):
        a = WeightedRandomSampler(w, 6, rep, generator=gen(5))
        b = WeightedRandomSampler(w, 6, rep, generator=gen(5))
        ea, eb = [list(a) for _ in range(3)], [list(b) for _ in range(3)]
        assert ea == eb and ea[0] != ea[1]


# -- check_sampler itself --------------------------------------------------------------------
def test_check_sampler_catches_a_biased_sampler():
    class Biased:
        def __iter__(self):
            rng = np.random.default_rng(0)
            yield from rng.choice(4, size=4000, p=[0.3, 0.3, 0.2, 0.2]).tolist()

    with pytest.raises(AssertionError, match="chi-square"):
        check_sampler(Biased(), [0.25] * 4, num_draws=4000)


def test_check_sampler_catches_zero_probability_and_range():
    with pytest.raises(AssertionError, match="probability 0"):
        check_sampler([0, 1, 2] * 100, [0.5, 0.5, 0.0], num_draws=300)
    with pytest.raises(AssertionError, match="outside"):
        check_sampler([0, 5], [0.5, 0.5], num_draws=2)
    with pytest.raises(ValueError):
        check_sampler([0], [-1.0, 2.0])


def test_chi2_sf_reference_values():
    # reference values from the closed forms: sf(x; 2) = exp(-x/2), sf(x; 1) = erfc(sqrt(x/2))
    import math

    for x in (0.1, 1.0, 5.0, 30.0):
        assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)
        assert chi2_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-10)
    assert chi2_sf(0.0, 5) == 1.0
    # sf(x; 4) = exp(-x/2) (1 + x/2)
    assert chi2_sf(150.0, 4) == pytest.approx(math.exp(-75.0) * 76.0, rel=1e-10)
