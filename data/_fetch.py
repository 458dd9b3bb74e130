"""Fetchers: read one batch (or one sample) from a dataset, in the main process or a worker."""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor

from . import _sample_rng
from ._collate import default_collate
from .dataset import _is_plain_tensor_dataset


class _MapDatasetFetcher:
    """``dataset[i]`` for each index of the batch, then ``collate_fn``.

    Each ``dataset[i]`` runs with ``i`` as the current index of :func:`data.sample_rng`;
    see NOTE [ Per-sample random streams ]. ``current`` names the index being read, for error
    messages.
    """

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.current = None
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None
        # A TensorDataset batch collated by default_collate is the tensors sliced at the
        # indices: one fancy-indexing per tensor instead of B tiny tensors and a stack.
        self._slice = auto_collation and collate_fn is default_collate
        self._slice = self._slice and _is_plain_tensor_dataset(dataset)

    def fetch(self, index):
        if not self.auto_collation:
            self.current = index
            _sample_rng._set_index(index)
            try:
                return self.collate_fn(self.dataset[index])
            finally:
                _sample_rng._set_index(None)
        if self._slice:
            self.current = index
            idx = np.asarray(index, dtype=np.int64)
            return [Tensor._wrap(t._data[idx]) for t in self.dataset.tensors]
        if self._getitems is not None:
            self.current = index
            _sample_rng._set_index(_sample_rng._BATCH)
            try:
                data = self._getitems(index)
            finally:
                _sample_rng._set_index(None)
        else:
            data = []
            try:
                for i in index:
                    self.current = i
                    _sample_rng._set_index(i)
                    data.append(self.dataset[i])
            finally:
                _sample_rng._set_index(None)
        self.current = index
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """``next(iter(dataset))`` batch-size times, then ``collate_fn``.

    The index of :func:`data.sample_rng` is the running position in this process's stream.
    """

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False
        self.position = 0
        self.current = None

    def _next(self):
        self.current = self.position
        _sample_rng._set_index(self.position)
        try:
            item = next(self.dataset_iter)
        finally:
            _sample_rng._set_index(None)
        self.position += 1
        return item

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(self._next())
        data = []
        for _ in index:
            try:
                data.append(self._next())
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        self.current = None
        return self.collate_fn(data)


def create_fetcher(iterable: bool, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
