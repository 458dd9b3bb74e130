"""Statistical checks for samplers (beyond PyTorch): :func:`check_sampler`.

Use it in your own tests to check that a sampler draws each index as often as it should::

    from data.testing import check_sampler

    autograd.manual_seed(0)  # a fixed seed: the check is then deterministic
    check_sampler(MySampler(weights), weights / weights.sum())
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["SamplerCheck", "check_sampler", "chi2_sf"]


class SamplerCheck(NamedTuple):
    """The outcome of :func:`check_sampler`."""

    statistic: float  # Pearson's chi-square over the categories of positive probability
    dof: int  # degrees of freedom: their number minus one
    p_value: float  # P(chi-square with `dof` degrees >= statistic)
    counts: np.ndarray  # how often each index was drawn
    expected: np.ndarray  # draws * expected probabilities
    draws: int  # total number of indices counted
    epochs: int  # number of passes over the sampler


def _gammaincc(a: float, x: float) -> float:
    """Regularised upper incomplete gamma function Q(a, x), for a > 0, x >= 0."""
    if x <= 0.0:
        return 1.0
    log_prefactor = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:  # series for P(a, x) converges fast here
        term = total = 1.0 / a
        ap = a
        for _ in range(100_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefactor))
    # continued fraction for Q(a, x) (modified Lentz)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return math.exp(log_prefactor) * h


def chi2_sf(statistic: float, dof: int) -> float:
    """Survival function of the chi-square distribution with ``dof`` degrees of freedom."""
    if dof <= 0:
        return 1.0
    return _gammaincc(dof / 2.0, statistic / 2.0)


def check_sampler(
    sampler,
    expected_probabilities,
    *,
    num_draws: int | None = None,
    position: int | None = None,
    alpha: float = 1e-4,
) -> SamplerCheck:
    """Check with Pearson's chi-square test that ``sampler`` draws indices as expected.

    The sampler is iterated for whole epochs (``iter(sampler)`` again each time) until at
    least ``num_draws`` indices have been counted; the counts of each index are compared with
    ``draws * expected_probabilities``.

    Parameters
    ----------
    sampler : iterable of int
        Yields indices in ``0 .. len(expected_probabilities) - 1``.
    expected_probabilities : array_like, shape (n,)
        The probability of each index at each draw; non-negative, normalised here if it does
        not sum to one.
    num_draws : int, optional
        Indices to count. By default enough for an expected count of at least 20 in every
        category of positive probability, and at least 10,000.
    position : int, optional
        Count only the index drawn at this position of each epoch (one draw per epoch), e.g.
        ``position=0`` checks that a shuffle puts every index first equally often.
    alpha : float, default 1e-4
        The test fails when the p-value is below ``alpha``.

    Returns
    -------
    SamplerCheck
        The statistic, degrees of freedom, p-value, counts and expected counts.

    Raises
    ------
    AssertionError
        If the p-value is below ``alpha``, an index of probability 0 was drawn, or an index is
        out of range; the message names the indices that deviate most.
    ValueError
        If ``expected_probabilities`` is not a non-negative vector with a positive sum.

    Notes
    -----
    The test assumes independent draws (sampling with replacement). For samplers without
    replacement, whose counts within an epoch are fixed, it is conservative: it still catches
    a sampler that favours some indices across epochs.
    """
    p = np.asarray(expected_probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(
            f"check_sampler: expected_probabilities must be a non-empty vector, got shape {p.shape}"
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ValueError(
            "check_sampler: expected_probabilities must be finite, non-negative and not all zero"
        )
    p = p / p.sum()
    n = p.size
    positive = p > 0
    if num_draws is None:
        num_draws = max(10_000, math.ceil(20.0 / p[positive].min()))
    counts = np.zeros(n, dtype=np.int64)
    draws = 0
    epochs = 0
    while draws < num_draws:
        if position is None:
            idx = np.fromiter(iter(sampler), dtype=np.int64)
        else:
            it = iter(sampler)
            idx = None
            for k, i in enumerate(it):
                if k == position:
                    idx = np.array([i], dtype=np.int64)
                    break
            if idx is None:
                raise ValueError(
                    f"check_sampler: the sampler yields no index at position {position}"
                )
        epochs += 1
        if idx.size == 0:
            raise ValueError("check_sampler: the sampler yielded no index")
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            raise AssertionError(
                f"check_sampler: the sampler yielded index {int(idx[bad][0])}, outside 0 .. {n - 1}"
            )
        counts += np.bincount(idx, minlength=n)
        draws += idx.size
    expected = draws * p
    if np.any(counts[~positive]):
        zero = np.flatnonzero(counts[~positive] > 0)
        names = np.flatnonzero(~positive)[zero][:10].tolist()
        raise AssertionError(
            f"check_sampler: indices of probability 0 were drawn: {names} (over {draws} draws)"
        )
    obs, exp = counts[positive], expected[positive]
    statistic = float(np.sum((obs - exp) ** 2 / exp))
    dof = int(positive.sum()) - 1
    p_value = chi2_sf(statistic, dof)
    result = SamplerCheck(statistic, dof, p_value, counts, expected, draws, epochs)
    if p_value < alpha:
        z = (counts - expected) / np.sqrt(np.where(positive, expected, 1.0))
        worst = np.argsort(-np.abs(z))[:5]
        rows = ", ".join(
            f"index {i}: drawn {counts[i]}, expected {expected[i]:.1f}" for i in worst.tolist()
        )
        raise AssertionError(
            f"check_sampler: chi-square {statistic:.1f} with {dof} degrees of freedom over "
            f"{draws} draws ({epochs} epochs), p-value {p_value:.3g} < alpha={alpha}; most "
            f"deviating: {rows}"
        )
    return result
