"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

NOTE [ Loader epochs and seeds ]
Each ``iter(loader)`` is one epoch. Creating an iterator draws a ``base_seed`` (an int in
[0, 2**63)) from ``generator`` (or the default generator), as PyTorch does, whatever
``num_workers`` is, so the sampler sees the same generator state in every mode and
``num_workers=2`` yields the batches of ``num_workers=0``. Worker ``i`` seeds Python's
``random`` with ``base_seed + i``, NumPy's global RNG with ``(base_seed + i) % 2**32`` and
autograd's default generator with ``base_seed + i`` when it starts: distinct per worker and per
epoch, so workers never repeat each other's "random" augmentations. As in PyTorch, persistent
workers are seeded once: the iterator (and its ``base_seed``) lives across epochs, so later
epochs draw no ``base_seed`` (the sampler's order still comes from ``generator``, which is
then one draw behind a non-persistent loader's), ``get_worker_info().seed`` stays the same and
the workers' generators go on where the last epoch left them.
``(base_seed, loader.epoch, index)`` keys :func:`data.sample_rng`; see NOTE [ Per-sample random
streams ] in ``data/_sample_rng.py``.

NOTE [ Worker processes ]
One index queue per worker and one result queue. Batch ``k`` goes to worker ``k % num_workers``
(skipping exhausted ones), at most ``prefetch_factor`` tasks per worker in flight; results are
put back in task order, so the order is that of ``num_workers=0``. While waiting, the main
process wakes every ``MP_STATUS_CHECK_INTERVAL`` seconds and checks that its workers are
alive, never hanging. As in PyTorch, none of these errors ends the epoch; the iterator can go on:

- an exception in a worker comes back as an :class:`~data._worker.ExceptionWrapper` and is
  re-raised as "Caught X in DataLoader worker process N." with the worker's traceback (and the
  sample index); the next ``next()`` gives the following batch;
- past ``timeout`` seconds without a batch, ``RuntimeError("DataLoader timed out after T
  seconds")``; the next ``next()`` waits for the same batch again;
- a worker that died (killed, ``os._exit``) raises ``RuntimeError("DataLoader worker (pid(s)
  P) exited unexpectedly")`` from a cause naming the signal or exit code; the worker is marked
  unavailable, the batches it held are skipped and the others go on with the live workers.

The workers are stopped (asked, then terminated, then killed, and always joined) when the
epoch ends (unless ``persistent_workers``) and when the iterator is garbage collected:
breaking out of a ``for`` loop drops the iterator and so its workers. See NOTE [ No iterator
in a traceback ] for why a caught exception does not keep them alive.

NOTE [ No iterator in a traceback ]
An exception's traceback holds the frames it went through, and their locals: ``self`` in the
iterator's own methods. A caller keeping the exception (``except E as e`` stored away, pytest's
``excinfo``, ``sys.last_traceback`` in a REPL) would keep the iterator, and its worker
processes, alive after the loop that raised is gone. So ``__next__`` clears the locals of the
frames of this module that an escaping exception went through (their lines stay in the
traceback) and drops its own ``self`` before re-raising.
"""

from __future__ import annotations

import atexit
import inspect
import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterable

from autograd.random import Generator, _rng

from . import _sample_rng
from ._collate import default_collate, default_convert
from ._fetch import create_fetcher
from ._worker import (
    MP_STATUS_CHECK_INTERVAL,
    ExceptionWrapper,
    _IterableDatasetStopIteration,
    _ResumeIteration,
    _unpack,
    _worker_loop,
)
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_python_exiting = False


def _set_python_exiting() -> None:
    global _python_exiting
    _python_exiting = True


atexit.register(_set_python_exiting)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an :class:`IterableDataset`: ``None`` forever (the dataset decides)."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    # fork is fast and needs nothing picklable; elsewhere spawn is the safe choice
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _usable_cpus() -> int | None:
    if hasattr(os, "sched_getaffinity"):
        try:
            return len(os.sched_getaffinity(0))
        except OSError:
            pass
    return os.cpu_count()


class DataLoader:
    """Iterate over a dataset in batches, optionally loading in worker processes.

    Parameters
    ----------
    dataset : Dataset or IterableDataset
    batch_size : int or None, default 1
        Samples per batch; ``None`` disables batching (each sample goes through
        ``default_convert`` instead of ``default_collate``).
    shuffle : bool, default False
        Reshuffle every epoch (a :class:`RandomSampler` with ``generator``).
    sampler : Sampler or iterable, optional
        The indices to load; exclusive with ``shuffle``.
    batch_sampler : Sampler or iterable of lists, optional
        Batches of indices; exclusive with ``batch_size``, ``shuffle``, ``sampler`` and
        ``drop_last``.
    num_workers : int, default 0
        Worker processes; 0 loads in the main process. The batches and their order do not
        depend on it (``persistent_workers`` does change later epochs, as in PyTorch).
    collate_fn : callable, optional
        Merges a list of samples into a batch; :func:`default_collate` by default.
    pin_memory : bool, default False
        There is no accelerator to pin memory for: as PyTorch without one, each new iterator
        warns (``UserWarning``) and the batches are not pinned.
    drop_last : bool, default False
        Drop the last batch when it is short.
    timeout : float, default 0
        With workers, seconds to wait for a batch before raising ``RuntimeError`` (the
        iterator can go on); 0 waits as long as the workers live. Must be 0 without workers
        (``iter(loader)`` raises ``AssertionError``, as PyTorch).
    worker_init_fn : callable, optional
        Called as ``worker_init_fn(worker_id)`` in each worker after seeding, before loading.
    generator : autograd.Generator, optional
        Source of the default :class:`RandomSampler`'s order and of each iterator's base seed.
    prefetch_factor : int, optional
        Batches in flight per worker (2 when ``num_workers > 0``).
    persistent_workers : bool, default False
        Keep the workers (and their dataset copies) between epochs. As in PyTorch they are
        seeded once; see NOTE [ Loader epochs and seeds ].
    multiprocessing_context : str or context, optional (keyword only)
        Start method; ``'fork'`` on Linux, ``'spawn'`` elsewhere by default. With ``'spawn'``
        the dataset, ``collate_fn`` and ``worker_init_fn`` must be picklable.
    in_order : bool, default True (keyword only)
        If False, yield batches as workers finish them.

    Attributes
    ----------
    epoch : int
        The number of epochs started; the next ``iter(loader)`` is epoch ``epoch``. It keys
        :func:`data.sample_rng`: to resume at epoch ``k``, restore the state of the generator
        the loader draws from and set ``loader.epoch = k``. (Not for ``persistent_workers``:
        such a loader draws its base seed only at its first epoch, so a fresh one resumed at
        epoch ``k`` draws one the original run did not, and its epochs differ.)

    Raises
    ------
    ValueError
        For each incompatible pair of arguments, with PyTorch's messages.
    AssertionError
        From ``iter(loader)`` when ``timeout > 0`` with ``num_workers=0``, as PyTorch.

    Notes
    -----
    See NOTE [ Loader epochs and seeds ] and NOTE [ Worker processes ] in this module.
    ``len(loader)`` is ``len(batch_sampler)``, or ``len(sampler)`` without batching; for an
    ``IterableDataset`` it is ``len(dataset)`` divided by ``batch_size`` (rounded down with
    ``drop_last``, else up).
    """

    _initialized = False

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = False,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        generator: Generator | None = None,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        *,
        multiprocessing_context=None,
        in_order: bool = True,
        pin_memory_device: str = "",
    ) -> None:
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                f"multiprocessing, got num_workers={num_workers!r}"
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor <= 0:
            raise ValueError(
                f"prefetch_factor option should be positive, got prefetch_factor={prefetch_factor}"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"generator must be an autograd.Generator, got {type(generator).__name__}"
            )

        if isinstance(dataset, IterableDataset):
            iterable = True
            # NOTE [ Custom Samplers and IterableDataset ] (PyTorch): the dataset alone decides
            # what it yields, so samplers make no sense.
            if shuffle not in (False, None):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            iterable = False
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )

        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.epoch = 0
        self._iterable = iterable
        self._iterator = None
        self._initialized = True
        self._check_worker_number_rationality()

    # -- settings ------------------------------------------------------------------------
    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        f"multiprocessing_context option should specify a valid start method in "
                        f"{methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a "
                    f"string specifying the start method, but got {context!r}"
                )
        self._multiprocessing_context = context

    def __setattr__(self, attr, val) -> None:
        if self._initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
        ):
            raise ValueError(
                f"{attr} attribute should not be set after {self.__class__.__name__} is initialized"
            )
        super().__setattr__(attr, val)

    def _check_worker_number_rationality(self) -> None:
        cpus = _usable_cpus()
        if self.num_workers and cpus is not None and self.num_workers > cpus:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. Our "
                f"suggested max number of worker in current system is {cpus}, which is smaller "
                "than what this DataLoader is going to create.",
                stacklevel=3,
            )

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    # -- iteration -----------------------------------------------------------------------
    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = _MultiProcessingDataLoaderIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessingDataLoaderIter(self)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        # PyTorch's warnings, for each new iterator, pointing at the iterator's __init__
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(
                "pin_memory_device is deprecated, the current accelerator will be used as the "
                f"device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                stacklevel=2,
            )
        if loader.pin_memory:  # there is never an accelerator here
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=2,
            )
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        self._start_epoch(loader)
        # see NOTE [ Loader epochs and seeds ]: once per iterator, so once for persistent workers
        self._base_seed = int(_rng(loader.generator).integers(0, 2**63))

    def _start_epoch(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._epoch = loader.epoch
        loader.epoch += 1
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __next__(self):
        try:
            data = self._next_data()
        except Exception as e:
            # see NOTE [ No iterator in a traceback ]
            _clear_own_frames(e)
            del self
            raise
        self._num_yielded += 1
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise TypeError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:  # PyTorch's check, here rather than in DataLoader.__init__
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = create_fetcher(
            self._iterable,
            self._dataset,
            self._auto_collation,
            self._collate_fn,
            self._drop_last,
        )

    def _next_data(self):
        index = next(self._sampler_iter)  # may raise StopIteration
        # other loaders may be iterated in between: set this one's context for each fetch
        with _sample_rng.epoch_context(self._base_seed, self._epoch):
            return self._fetcher.fetch(index)  # may raise StopIteration


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """See NOTE [ Worker processes ]."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._owner_pid = os.getpid()
        self._shutdown = False
        self._workers = []
        self._index_queues = []
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        ctx = loader.multiprocessing_context or _default_context()
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_worker_loop,
                    args=(
                        self._iterable,
                        self._dataset,
                        index_queue,
                        self._worker_result_queue,
                        self._workers_done_event,
                        self._auto_collation,
                        self._collate_fn,
                        self._drop_last,
                        self._base_seed,
                        self._epoch,
                        loader.worker_init_fn,
                        i,
                        self._num_workers,
                    ),
                    daemon=True,
                )
                self._index_queues.append(index_queue)
                w.start()
                self._workers.append(w)
            self._reset(loader, first_iter=True)
        except BaseException:
            self._shutdown_workers()
            raise

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        if not first_iter:
            self._start_epoch(loader)
        self._send_idx = 0  # id of the next task to send
        self._rcvd_idx = 0  # id of the next task to yield
        self._task_info = {}  # task id -> (worker id,) or (worker id, data)
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: a new epoch (not reseeded, as PyTorch), and drop whatever an
            # epoch left unfinished (a broken loop) is still sending
            for q in self._index_queues:
                q.put(_ResumeIteration(self._epoch))
            pending = self._num_workers
            while pending > 0:
                _, data = self._get_data()
                if isinstance(data, _ResumeIteration) and data.epoch == self._epoch:
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    # -- receiving -------------------------------------------------------------------------
    def _try_get_data(self, timeout: float):
        try:
            raw = self._worker_result_queue.get(timeout=timeout)
        except queue.Empty as e:
            self._check_workers_alive(e)
            return False, None
        # our own workers' messages; see NOTE [ What crosses the process boundary ]
        return True, pickle.loads(raw)

    def _check_workers_alive(self, empty: queue.Empty) -> None:
        # PyTorch's error, and the cause its SIGCHLD handler gives; the dead workers are marked
        # unavailable (their batches are skipped) and the iterator can go on with the others
        failed = []
        for worker_id, w in enumerate(self._workers):
            if self._workers_status[worker_id] and not w.is_alive():
                failed.append(w)
                self._mark_worker_as_unavailable(worker_id)
        if failed:
            pids = ", ".join(str(w.pid) for w in failed)
            cause = _exit_cause(failed[0]) or empty
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from cause

    def _get_data(self):
        if self._timeout > 0:
            deadline = time.monotonic() + self._timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:  # the iterator stays as it was: next() waits again
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
                ok, data = self._try_get_data(min(MP_STATUS_CHECK_INTERVAL, remaining))
                if ok:
                    return data
        while True:
            ok, data = self._try_get_data(MP_STATUS_CHECK_INTERVAL)
            if ok:
                return data

    def _next_data(self):
        if self._shutdown:
            raise StopIteration
        while True:
            # skip tasks of workers that stopped (an exhausted IterableDataset)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    worker_id = info[0]
                    if len(info) == 2 or self._workers_status[worker_id]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            idx, data = self._get_data()
            if isinstance(data, _ResumeIteration):  # a late acknowledgement: not a task
                continue
            self._tasks_outstanding -= 1
            if idx not in self._task_info:  # a dead worker's late batch, already skipped
                continue
            if self._iterable and isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _process_data(self, data, worker_id: int):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()  # as PyTorch, the epoch goes on: the next batch is already asked for
        return _unpack(data)

    # -- sending ---------------------------------------------------------------------------
    def _try_put_index(self) -> None:
        max_tasks = self._prefetch_factor * self._num_workers
        if self._tasks_outstanding >= max_tasks:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next active worker, if any
            worker_queue_idx = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_queue_idx]:
                if self._in_order:
                    break
                active = sum(self._workers_status)
                if self._workers_num_tasks[worker_queue_idx] < max_tasks // active:
                    break
        else:
            return
        self._index_queues[worker_queue_idx].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_queue_idx,)
        self._workers_num_tasks[worker_queue_idx] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    # -- stopping --------------------------------------------------------------------------
    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        # the worker exits when it reads None; its last tasks are already answered
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        # Only the process that started the workers may stop them: a forked child holds a copy
        # of this object, and must not terminate its siblings when it collects it.
        if self._shutdown or getattr(self, "_owner_pid", None) != os.getpid():
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for q in self._index_queues:
                try:
                    q.put(None)
                except Exception:  # closed already: the worker is going anyway
                    pass
            deadline = time.monotonic() + 1.0
            for w in self._workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
            for w in self._workers:
                w.join(timeout=1.0)
                if w.is_alive():
                    w.kill()
                    w.join()
            for q in (*self._index_queues, self._worker_result_queue):
                q.cancel_join_thread()
                q.close()

    def __del__(self) -> None:
        if _python_exiting:
            return  # multiprocessing's own exit handler stops daemonic workers
        try:
            self._shutdown_workers()
        except Exception:  # never raise from a finalizer
            pass


def _exit_cause(w) -> RuntimeError | None:
    """The error PyTorch's SIGCHLD handler raises for a worker that died, or None (exit 0)."""
    code = w.exitcode
    if code is None or code == 0:
        return None
    if code < 0:
        try:
            name = signal.strsignal(-code) or f"Unknown signal {-code}"
        except ValueError:
            name = f"Unknown signal {-code}"
        return RuntimeError(f"DataLoader worker (pid {w.pid}) is killed by signal: {name}. ")
    return RuntimeError(
        f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}. Details are "
        "lost due to multiprocessing. Rerunning with num_workers=0 may give better error trace."
    )


def _clear_own_frames(exc: BaseException) -> None:
    """Clear the locals of this module's finished frames in ``exc``'s tracebacks.

    See NOTE [ No iterator in a traceback ]. Walks the ``__cause__`` / ``__context__`` chain;
    frames of other modules (the user's dataset, sampler) keep their locals.
    """
    seen = set()
    todo = [exc]
    while todo:
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            code = frame.f_code
            # never a generator's frame: clearing a suspended one would close the generator
            if code.co_filename == __file__ and not code.co_flags & inspect.CO_GENERATOR:
                try:
                    frame.clear()
                except RuntimeError:  # still running (the __next__ re-raising it)
                    pass
            tb = tb.tb_next
        todo += (exc.__cause__, exc.__context__)
