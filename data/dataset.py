"""Datasets: map-style :class:`Dataset`, :class:`IterableDataset` and the ready-made wrappers.

A map-style dataset answers ``dataset[i]`` and usually ``len(dataset)``; an iterable dataset
yields samples from ``iter(dataset)``. :class:`~data.DataLoader` batches either kind.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from autograd.random import Generator, _rng
from autograd.tensor import Tensor

from . import _sample_rng

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map from keys (usually ``0 .. len(self) - 1``) to samples.

    Subclasses implement ``__getitem__`` and, for the default samplers and ``len(loader)``,
    ``__len__``. They may implement ``__getitems__(indices)`` to fetch a whole batch at once;
    it must return a list of samples.

    See NOTE [ Lack of Default __len__ ] in ``data/sampler.py`` for why there is no default
    ``__len__``.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset whose samples come from ``iter(self)``, for streams and generated data.

    With ``num_workers > 0`` every worker process holds its own copy of the dataset and
    iterates it, so each sample would be produced once per worker; shard the stream in
    ``__iter__`` with :func:`data.get_worker_info`::

        class Range(IterableDataset):
            def __init__(self, start, end):
                self.start, self.end = start, end

            def __iter__(self):
                info = data.get_worker_info()
                if info is None:  # loading in the main process
                    return iter(range(self.start, self.end))
                return iter(range(self.start + info.id, self.end, info.num_workers))
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are ``tuple(t[i] for t in tensors)``; all tensors share their first dimension.

    Parameters
    ----------
    *tensors : Tensor
        Tensors (or NumPy arrays) of shape ``(N, ...)``, all with the same ``N``.

    Raises
    ------
    AssertionError
        ``"Size mismatch between tensors"`` if the first dimensions differ, as PyTorch (raised
        explicitly, so it holds under ``python -O`` too).
    ValueError
        With no tensors, or a tensor without a first dimension.
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = []
        for k, t in enumerate(tensors):
            shape = getattr(t, "shape", None)
            if shape is None or len(shape) == 0:
                raise ValueError(
                    f"TensorDataset: tensor {k} must have at least one dimension, "
                    f"got {type(t).__name__} with shape {shape}"
                )
            sizes.append(int(shape[0]))
        if any(s != sizes[0] for s in sizes):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class StackDataset(Dataset):
    """Samples are tuples (``*args``) or dicts (``**kwargs``) of the given datasets' samples.

    All datasets must have the same length.
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets: index ``i`` runs through each in turn.

    Attributes
    ----------
    cumulative_sizes : list of int
        ``cumulative_sizes[k]`` is the total length of ``datasets[:k + 1]``.
    """

    @staticmethod
    def cumsum(sequence) -> list:
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = n + idx
        elif idx >= n:
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length {n}")
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """The concatenation of iterable datasets, chained on the fly."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Parameters
    ----------
    dataset : Dataset
    indices : sequence of int
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        # Batched fetching passes through when the parent supports it. Otherwise each sample
        # is fetched under its own index, so data.sample_rng() keys are those of a per-sample
        # fetch (see NOTE [ Per-sample random streams ] in data/_sample_rng.py).
        if type(self).__getitem__ is not Subset.__getitem__:
            # a subclass with its own __getitem__: the loader must go through it (PyTorch
            # raises NotImplementedError at construction instead)
            getitem = self.__getitem__
        elif callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        else:

            def getitem(i):
                return self.dataset[self.indices[i]]

        out = []
        for i in indices:
            with _sample_rng.index_context(i):
                out.append(getitem(i))
        return out

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence) -> list:
    """Turn fractions summing to 1 into lengths as PyTorch does; leave integer lengths alone."""
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        out = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            out.append(math.floor(n * frac))
        # hand the remainder out one at a time, round-robin, as PyTorch does
        for i in range(n - sum(out)):
            out[i % len(out)] += 1
        for i, length in enumerate(out):
            if length == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=3,
                )
        return out
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or int(length) != length or length < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative integers or fractions summing to "
                f"1, got {lengths[i]!r} at index {i}"
            )
    return [int(x) for x in lengths]


def random_split(
    dataset: Dataset, lengths: Sequence, generator: Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    Parameters
    ----------
    dataset : Dataset
        A sized dataset.
    lengths : sequence of int or float
        The lengths of the splits, or fractions summing to 1: each split then gets
        ``floor(frac * len(dataset))`` samples and the remainder is handed out one sample at a
        time, round-robin from the first split (PyTorch's rule).
    generator : autograd.Generator, optional
        Source of the permutation; the default generator (``autograd.manual_seed``) if None.

    Raises
    ------
    ValueError
        If the lengths do not add up to ``len(dataset)`` or a fraction is outside [0, 1].

    Examples
    --------
    >>> g = autograd.Generator().manual_seed(0)
    >>> train, val = random_split(range(10), [0.8, 0.2], generator=g)
    """
    n = len(dataset)
    lengths = _split_lengths(n, lengths)
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input "
            f"dataset ({n})!"
        )
    perm = _rng(generator).permutation(n).tolist()
    offsets = np.cumsum([0, *lengths]).tolist()
    return [Subset(dataset, perm[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]


def _is_plain_tensor_dataset(dataset) -> bool:
    """True for a TensorDataset whose ``__getitem__`` is ours (so batches can be sliced)."""
    return (
        isinstance(dataset, TensorDataset)
        and type(dataset).__getitem__ is TensorDataset.__getitem__
        and getattr(type(dataset), "__getitems__", None) is None
        and all(isinstance(t, Tensor) and not t.requires_grad for t in dataset.tensors)
    )
