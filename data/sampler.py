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
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")


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

    Parameters
    ----------
    weights : sequence of float
        Non-negative, finite, not all zero; need not sum to one. Any length (PyTorch's
        ``multinomial`` is limited to 2**24 categories; this sampler is not).
    num_samples : int
        Number of indices per epoch.
    replacement : bool, default True
        If True, ``num_samples`` independent draws. If False, each index is drawn at most once
        per epoch, exactly as successive draws from the remaining weights, in the order drawn
        (Efraimidis-Spirakis: the ``num_samples`` smallest keys ``E_i / w_i``, ``E_i`` standard
        exponential; one vectorised pass, O(n)).
    generator : autograd.Generator, optional
        See NOTE [ Sampler randomness ].

    Raises
    ------
    ValueError
        If ``num_samples`` is not a positive int, ``replacement`` not a bool, or ``weights``
        not one-dimensional.
    RuntimeError
        If a weight is negative, infinite or NaN, all weights are zero, or (without
        replacement) ``num_samples`` exceeds the number of positive weights (PyTorch's
        ``multinomial`` errors).
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
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise RuntimeError(
                "WeightedRandomSampler: weights contain either inf, nan or an element < 0"
            )
        positive = int(np.count_nonzero(w))
        if positive == 0:
            raise RuntimeError("WeightedRandomSampler: invalid distribution (sum of weights <= 0)")
        if not replacement and num_samples > positive:
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw num_samples={num_samples} indices without "
                f"replacement from {positive} positive weights (of {w.size})"
            )
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator
        self._cdf = None

    def __iter__(self) -> Iterator[int]:
        rng = _rng(self.generator)
        if self.replacement:
            if self._cdf is None:
                cdf = np.cumsum(self.weights)
                cdf /= cdf[-1]  # exactly 1.0 at the end, so u < 1 never runs past it
                self._cdf = cdf
            for start in range(0, self.num_samples, _CHUNK):
                size = min(_CHUNK, self.num_samples - start)
                u = rng.random(size)
                # side='right': an index with weight 0 (a flat step of the cdf) is never hit
                yield from np.searchsorted(self._cdf, u, side="right").tolist()
        else:
            with np.errstate(divide="ignore"):
                keys = rng.standard_exponential(self.weights.size) / self.weights
            k = self.num_samples
            if k < keys.size:
                chosen = np.argpartition(keys, k - 1)[:k]
            else:
                chosen = np.arange(keys.size)
            order = chosen[np.argsort(keys[chosen], kind="stable")]
            yield from _yield_ints(order)

    def __len__(self) -> int:
        return self.num_samples


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
