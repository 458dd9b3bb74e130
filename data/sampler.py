"""Samplers: iterables of dataset indices (or, for :class:`BatchSampler`, lists of indices).

NOTE [ Sampler randomness ]
Every random sampler draws from its ``generator=`` (an ``autograd.Generator``) or, when it has
none, from autograd's default generator, so ``autograd.manual_seed(n)`` reproduces a whole
run. As in PyTorch, :class:`RandomSampler` without a generator draws one fresh seed from the
default generator at each ``iter()`` and shuffles with a private generator seeded by it; the
other samplers draw straight from their generator. Each ``iter()`` is a new epoch with a new
order, and the same seed gives the same sequence of epochs. The draws happen when iteration
starts (the first ``next``), as in PyTorch.

NOTE [ Lack of Default __len__ ]
Neither :class:`Sampler` nor :class:`~data.Dataset` defines ``__len__``: a default that raised
would break ``list(x)``'s fall-back to plain iteration, and one that returned ``NotImplemented``
would give a confusing TypeError. Subclasses that know their length define it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

from autograd.random import Generator, _rng
from autograd.tensor import Tensor

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

_CHUNK = 1 << 16  # indices are turned into Python ints this many at a time


def _yield_ints(arr: np.ndarray) -> Iterator[int]:
    for start in range(0, len(arr), _CHUNK):
        yield from arr[start : start + _CHUNK].tolist()


def _check_positive_int(name: str, value) -> None:
    # PyTorch's check and message: a Python int (not a bool, not a NumPy integer)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class Sampler:
    """Base class of all samplers: ``__iter__`` yields indices (or batches of indices).

    Subclasses should also define ``__len__`` when they know their length; see NOTE [ Lack of
    Default __len__ ].
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Yields ``0, 1, ..., len(data_source) - 1``, always in that order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yields the indices of ``data_source`` in random order.

    Parameters
    ----------
    data_source : Sized
        The dataset; only its length is used (read at each ``iter``).
    replacement : bool, default False
        If False, every index appears exactly once per ``len(data_source)`` draws: a random
        permutation, and ``num_samples > len(data_source)`` continues with further independent
        permutations (the last one cut short), as in PyTorch. If True, ``num_samples``
        independent uniform draws: an index may appear several times in one epoch and
        another not at all.
    num_samples : int, optional
        Number of indices per epoch; ``len(data_source)`` by default.
    generator : autograd.Generator, optional
        See NOTE [ Sampler randomness ].

    Raises
    ------
    TypeError
        If ``replacement`` is not a bool.
    ValueError
        If ``num_samples`` is not a positive integer.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        # the dataset may change size between epochs
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def _numpy_rng(self) -> np.random.Generator:
        if self.generator is None:
            seed = int(_rng(None).integers(0, 2**63))
            return np.random.Generator(np.random.PCG64(seed))
        return _rng(self.generator)

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = self._numpy_rng()
        num_samples = self.num_samples
        if self.replacement:
            for start in range(0, num_samples, _CHUNK):
                size = min(_CHUNK, num_samples - start)
                yield from rng.integers(0, n, size=size).tolist()
        else:
            for _ in range(num_samples // n):
                yield from _yield_ints(rng.permutation(n))
            rest = num_samples % n
            if rest:
                yield from _yield_ints(rng.permutation(n)[:rest])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the given ``indices`` in a new random order at each epoch (no replacement).

    Parameters
    ----------
    indices : sequence of int
    generator : autograd.Generator, optional
        See NOTE [ Sampler randomness ].
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator:
        perm = _rng(self.generator).permutation(len(self.indices))
        for i in _yield_ints(perm):
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yields indices ``0 .. len(weights) - 1`` with probabilities proportional to ``weights``.

    Each epoch is one ``torch.multinomial(weights, num_samples, replacement)`` draw, as in
    PyTorch, with its checks and errors.

    Parameters
    ----------
    weights : sequence of float, shape (n,)
        Non-negative, finite, not all zero; need not sum to one. At most 2**24 of them (the
        limit of PyTorch's ``multinomial``). Kept as a float64 Tensor in ``self.weights``.
    num_samples : int
        Number of indices per epoch.
    replacement : bool, default True
        If True, ``num_samples`` independent draws. If False, each index is drawn at most once
        per epoch: successive draws from the remaining weights, in the order drawn (as
        PyTorch: the ``num_samples`` smallest keys ``E_i / w_i``, ``E_i`` standard exponential,
        in increasing order; one vectorised pass). When ``num_samples`` exceeds the number of
        positive weights, the indices of weight zero follow the positive ones, in increasing
        order (PyTorch leaves their order unspecified).
    generator : autograd.Generator, optional
        See NOTE [ Sampler randomness ].

    Raises
    ------
    ValueError
        When built: ``num_samples`` is not a positive int, ``replacement`` not a bool, or
        ``weights`` not one-dimensional.
    RuntimeError
        When iterated (the first ``next``), with PyTorch's ``multinomial`` messages:
        ``num_samples > len(weights)`` without replacement, more than 2**24 weights, a
        negative, infinite or NaN weight, or all weights zero.
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w = weights._data if isinstance(weights, Tensor) else weights
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}"
            )
        self.weights = Tensor._wrap(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        # a generator: the checks and the draw happen at the first next(), as in PyTorch
        yield from _yield_ints(
            _multinomial(self.weights._data, self.num_samples, self.replacement, self.generator)
        )

    def __len__(self) -> int:
        return self.num_samples


_MAX_CATEGORIES = 1 << 24  # PyTorch's multinomial: the largest float32-exact integer


def _multinomial(w: np.ndarray, k: int, replacement: bool, generator) -> np.ndarray:
    """``torch.multinomial(w, k, replacement)`` for a 1-d float64 ``w``: its checks, in its order.

    PyTorch draws without replacement, and for ``k == 1``, by the exponential-keys method
    (argmax of ``w / E``), and with replacement by inverting the cumulative weights; so do we,
    with the same distributions (not the same random stream).
    """
    n = w.size
    if not replacement and k > n:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if n > _MAX_CATEGORIES:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rng = _rng(generator)
    if not replacement or k == 1:
        if n == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                "no identity."
            )
        if not (w.max() < np.inf and w.min() >= 0):  # NaN fails both
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        positive = np.flatnonzero(w)
        if positive.size == 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        keys = rng.standard_exponential(positive.size) / w[positive]
        m = min(k, positive.size)
        if m < keys.size:
            chosen = np.argpartition(keys, m - 1)[:m]
        else:
            chosen = np.arange(keys.size)
        out = positive[chosen[np.argsort(keys[chosen], kind="stable")]]
        if k > m:  # more draws than positive weights: the zero weights follow
            out = np.concatenate([out, np.flatnonzero(w == 0)[: k - m]])
        return out
    # with replacement: element by element, a negative (or NaN) weight, then a non-finite one
    bad = ~(w >= 0) | ~np.isfinite(w)
    if bad.any():
        first = w[int(np.argmax(bad))]
        if not first >= 0:
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        raise RuntimeError(
            "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
        )
    cdf = np.cumsum(w)
    if n == 0 or not cdf[-1] > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cdf /= cdf[-1]  # exactly 1.0 at the end, so u < 1 never runs past it
    out = np.empty(k, dtype=np.int64)
    for start in range(0, k, _CHUNK):
        size = min(_CHUNK, k - start)
        # side='right': an index with weight 0 (a flat step of the cdf) is never hit
        out[start : start + size] = np.searchsorted(cdf, rng.random(size), side="right")
    return out


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler or iterable
    batch_size : int
    drop_last : bool
        Drop the last batch when it is short.

    Examples
    --------
    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
