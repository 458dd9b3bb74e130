"""``DistributedSampler``: each rank's share of a dataset, as in
``torch.utils.data.distributed``.

NOTE [ DistributedSampler indices ]
Every rank computes the same index list: ``0 .. n-1``, or, with ``shuffle``, a permutation drawn
from a generator seeded with ``seed + epoch`` (so every rank draws the same one, and
:meth:`~DistributedSampler.set_epoch` changes it). Without ``drop_last`` the list is padded by
repeating it from the start until its length divides by ``num_replicas``; with ``drop_last``
its tail is cut to a multiple of ``num_replicas``. Rank ``r`` takes ``indices[r::num_replicas]``.
PyTorch's arithmetic exactly; only the permutation differs from ``torch.randperm``'s, since the
generators differ.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from autograd.factories import randperm
from autograd.random import Generator

from .sampler import Sampler, _yield_ints

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Yield the indices of this rank's share of ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        Any dataset with ``__len__``.
    num_replicas : int, optional
        The number of ranks (default: the process group's world size).
    rank : int, optional
        This rank (default: the process group's rank).
    shuffle : bool
        Permute the indices, the same way on every rank for a given ``seed`` and epoch.
    seed : int
        Seed of the permutation; the same on every rank.
    drop_last : bool
        Drop the tail that does not divide evenly instead of padding by wrapping around.

    Notes
    -----
    Call :meth:`set_epoch` at the start of every epoch, before creating the ``DataLoader``
    iterator, or every epoch uses the same order. See NOTE [ DistributedSampler indices ].
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from autograd import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _indices(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).numpy()
        else:
            indices = np.arange(n)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:
                indices = np.concatenate([indices, np.resize(indices, pad)])
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:
            raise RuntimeError(f"DistributedSampler: {len(indices)} != {self.total_size}")
        return indices[self.rank : self.total_size : self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return _yield_ints(self._indices())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, so that the next iteration uses that epoch's permutation."""
        self.epoch = epoch
