"""The worker process side of multi-process loading, and what crosses between processes.

NOTE [ What crosses the process boundary ]
Workers put batches on a ``multiprocessing`` queue, which pickles. ``Tensor`` s refuse
pickling on purpose (``autograd.save`` is the file format, and unpickling can run code), so
a worker turns every ``Tensor`` of a batch into a :class:`_TensorBox` holding its NumPy array
before the batch leaves, and the main process turns them back (:func:`_pack` /
:func:`_unpack`). Batches may hold tensors, arrays, numbers, strings and nested lists, tuples,
namedtuples and dicts of these; anything else must be picklable. The channel only ever
carries objects our own worker processes made, never a user's file.

A worker pickles each message itself (:func:`_serialize`) rather than letting the queue's
feeder thread do it: a feeder thread that fails to pickle only prints, and the main process
would wait for a batch that never comes. A batch that cannot be pickled becomes an error
re-raised in the main process instead.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import traceback

import numpy as np

import autograd
from autograd.tensor import Tensor

from . import _sample_rng
from ._fetch import create_fetcher

MP_STATUS_CHECK_INTERVAL = 0.1  # seconds between checks that the other side is alive


class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker process.

    Attributes
    ----------
    id : int
        This worker's id, ``0 .. num_workers - 1``.
    num_workers : int
    seed : int
        ``base_seed + id``, set when the worker starts; with persistent workers it stays the
        same for every epoch, as in PyTorch.
    dataset : Dataset
        This process's copy of the dataset.
    """

    __slots__ = ("id", "num_workers", "seed", "dataset", "__initialized")

    def __init__(self, **kwargs) -> None:
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_WorkerInfo__initialized", True)

    def __setattr__(self, key, val):
        if getattr(self, "_WorkerInfo__initialized", False):
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        object.__setattr__(self, key, val)

    def __repr__(self) -> str:
        return (
            f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
            f"dataset={self.dataset!r})"
        )


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Information about the current loader worker process, or ``None`` in the main process.

    Inside a worker (in ``Dataset`` code, ``worker_init_fn`` or ``collate_fn``) it returns a
    :class:`WorkerInfo` with ``id``, ``num_workers``, ``seed`` and ``dataset`` (this
    process's copy), e.g. to shard an :class:`~data.IterableDataset`.
    """
    return _worker_info


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's ``random``, NumPy's global RNG and autograd's default generator."""
    seed = base_seed + worker_id
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (users' augmentations may use the legacy RNG)
    autograd.manual_seed(seed)
    return seed


class _TensorBox:
    """A Tensor's array in transit; see NOTE [ What crosses the process boundary ]."""

    __slots__ = ("array", "requires_grad")

    def __init__(self, array: np.ndarray, requires_grad: bool) -> None:
        self.array = array
        self.requires_grad = requires_grad


def _pack(obj):
    """Replace every Tensor in a (nested) batch by a :class:`_TensorBox`."""
    if isinstance(obj, Tensor):
        return _TensorBox(obj._data, obj.requires_grad)
    if isinstance(obj, (str, bytes, np.ndarray)) or obj is None:
        return obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_pack(o) for o in obj))
    if isinstance(obj, (tuple, list)):
        out = [_pack(o) for o in obj]
        return tuple(out) if type(obj) is tuple else out if type(obj) is list else type(obj)(out)
    if isinstance(obj, dict):
        out = {k: _pack(v) for k, v in obj.items()}
        return out if type(obj) is dict else type(obj)(out)
    return obj


def _unpack(obj):
    """Inverse of :func:`_pack`."""
    if isinstance(obj, _TensorBox):
        t = Tensor._wrap(obj.array)
        if obj.requires_grad:
            t.requires_grad_(True)
        return t
    if isinstance(obj, (str, bytes, np.ndarray)) or obj is None:
        return obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_unpack(o) for o in obj))
    if isinstance(obj, (tuple, list)):
        out = [_unpack(o) for o in obj]
        return tuple(out) if type(obj) is tuple else out if type(obj) is list else type(obj)(out)
    if isinstance(obj, dict):
        out = {k: _unpack(v) for k, v in obj.items()}
        return out if type(obj) is dict else type(obj)(out)
    return obj


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback.

    Re-raised as PyTorch does: the same type, with the message ``"Caught X in DataLoader worker
    process N.\nOriginal Traceback ..."``; ``detail`` (beyond PyTorch: which sample, which pid)
    is a last line after the worker's traceback.
    """

    def __init__(self, exc: BaseException, where: str, detail: str = "") -> None:
        self.exc_type = type(exc)
        self.exc_name = type(exc).__name__
        self.where = where
        self.exc_msg = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if detail:
            self.exc_msg += f"({detail})\n"
        try:
            pickle.loads(pickle.dumps(self.exc_type))
        except Exception:  # a class defined in a function cannot cross: RuntimeError instead
            self.exc_type = None

    def reraise(self):
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError shows the repr of its message otherwise
        elif self.exc_type is None:
            raise RuntimeError(msg) from None
        elif getattr(self.exc_type, "message", None):
            # as PyTorch: exceptions whose first argument is not the message but that have one
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # its constructor wants other arguments
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            del exception  # no cycle exception -> traceback -> this frame -> exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _ResumeIteration:
    """Start epoch ``epoch`` (persistent workers). As in PyTorch, the worker is not reseeded."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch


def _serialize(idx, data, worker_id: int) -> bytes:
    try:
        return pickle.dumps((idx, _pack(data)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as e:
        err = ExceptionWrapper(
            e,
            f"in DataLoader worker process {worker_id}",
            f"while sending batch {idx} to the main process (a batch may hold Tensors, NumPy "
            "arrays, numbers, strings and nested lists, tuples, namedtuples and dicts of these; "
            "anything else must be picklable)",
        )
        return pickle.dumps((idx, err), protocol=pickle.HIGHEST_PROTOCOL)


def _describe_index(fetcher, index) -> str:
    where = f"in DataLoader worker pid {os.getpid()}"
    current = fetcher.current
    if isinstance(current, list):
        return f"{where}, while collating the batch of sample indices {current}"
    if current is not None:
        return f"{where}, while fetching sample index {current} of batch {index}"
    return where


def _worker_loop(
    iterable: bool,
    dataset,
    index_queue,
    data_queue,
    done_event,
    auto_collation: bool,
    collate_fn,
    drop_last: bool,
    base_seed: int,
    epoch: int,
    init_fn,
    worker_id: int,
    num_workers: int,
) -> None:
    """Body of a worker process: wait for (task id, indices), fetch, send (task id, batch)."""
    global _worker_info
    parent = os.getppid()
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        ctx_worker = worker_id + 1 if iterable else None
        _sample_rng._set_epoch_context(base_seed, epoch, ctx_worker)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception as e:
            init_error = ExceptionWrapper(
                e, where, f"in DataLoader worker pid {os.getpid()}, while starting"
            )
        iteration_end = False
        while True:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # the main process is gone
                    break
                continue
            if r is None:  # shut down
                break
            if isinstance(r, _ResumeIteration):
                # a new epoch of persistent workers: the seeds and generators go on (PyTorch)
                _sample_rng._set_epoch_context(base_seed, r.epoch, ctx_worker)
                iteration_end = False
                try:
                    fetcher = create_fetcher(
                        iterable, dataset, auto_collation, collate_fn, drop_last
                    )
                except Exception as e:
                    fetcher = None  # not the last epoch's
                    init_error = ExceptionWrapper(
                        e, where, f"in DataLoader worker pid {os.getpid()}, while starting"
                    )
                data_queue.put(pickle.dumps((r.epoch, _ResumeIteration(r.epoch))))
                continue
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            elif fetcher is None:
                # Its start failed, and that error went with its first batch. PyTorch's worker
                # then fails every batch with UnboundLocalError (its `fetcher` is unset): so do
                # we, with a message saying why.
                try:  # raised, for a traceback in the message as PyTorch's has
                    raise UnboundLocalError(
                        f"DataLoader worker process {worker_id} has no fetcher: its start "
                        "(worker_init_fn, or iter() of the dataset) raised, as reported with "
                        "its first batch"
                    )
                except UnboundLocalError as e:
                    data = ExceptionWrapper(e, where, f"in DataLoader worker pid {os.getpid()}")
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration as e:
                    if iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(e, where, _describe_index(fetcher, index))
                except Exception as e:
                    data = ExceptionWrapper(e, where, _describe_index(fetcher, index))
            data_queue.put(_serialize(idx, data, worker_id))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # the main process stops reading: do not block exit on flushing the queue
        data_queue.cancel_join_thread()
        data_queue.close()
