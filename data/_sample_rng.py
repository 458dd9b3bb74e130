"""Per-sample random streams for data augmentation: :func:`sample_rng` (beyond PyTorch).

NOTE [ Per-sample random streams ]
A random augmentation written with ``np.random`` or ``random`` inside ``__getitem__`` draws from
whichever process happens to load the sample, so its result depends on ``num_workers``, on how
batches were spread over workers, and on everything drawn before; a resumed run cannot
reproduce it. :func:`sample_rng` instead returns a ``numpy.random.Generator`` keyed on

    (the loader's base seed for the epoch, the epoch number, the sample's index)

through ``numpy.random.SeedSequence``. The loader sets the (seed, epoch) part in every process
before it fetches, and the index part around each ``dataset[index]`` call. So the draws of
sample ``i`` in epoch ``e`` are the same whichever process loads it, in whatever order: random
transforms give bit-identical batches for every ``num_workers``, and after a resume (restore
the generator state the loader draws its base seed from, and ``loader.epoch``).

The base seed is the one PyTorch's loader draws at each ``iter(loader)`` from ``generator=`` (or
from the default generator seeded by ``autograd.manual_seed``), so the same seed reproduces the
same epochs and every epoch differs. (A ``persistent_workers`` loader, as PyTorch's, draws it
only at its first epoch; the epoch number still makes every epoch's streams differ.) Within
one ``__getitem__`` call, repeated ``sample_rng()`` calls return the same generator, so chained
transforms continue one stream rather than repeating the same numbers. For an
``IterableDataset`` the index part is the position of the sample in the stream of the process
that yields it, and the worker id is part of the key.

Outside a loader (``dataset[i]`` called directly) there is no key: ``sample_rng()`` then returns
a generator seeded by a draw from autograd's default generator, reproducible under
``autograd.manual_seed``.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from autograd.random import Generator, _rng

_BATCH = object()  # index context while a user's __getitems__ runs: no single index


class _Context(threading.local):
    def __init__(self) -> None:
        self.seed = None  # base seed of the epoch, or None outside a loader
        self.epoch = 0
        self.worker = None  # worker id + 1 for iterable datasets, else None
        self.index = None
        self.rng = None  # the generator handed out for the current index, reused


_ctx = _Context()


def _set_epoch_context(seed: int | None, epoch: int, worker: int | None = None) -> None:
    _ctx.seed = seed
    _ctx.epoch = epoch
    _ctx.worker = worker
    _ctx.index = None
    _ctx.rng = None


@contextlib.contextmanager
def epoch_context(seed: int, epoch: int, worker: int | None = None):
    """Make ``(seed, epoch)`` the loader context inside the block, restoring the previous one."""
    saved = (_ctx.seed, _ctx.epoch, _ctx.worker, _ctx.index, _ctx.rng)
    _set_epoch_context(seed, epoch, worker)
    try:
        yield
    finally:
        _ctx.seed, _ctx.epoch, _ctx.worker, _ctx.index, _ctx.rng = saved


@contextlib.contextmanager
def index_context(index):
    """Make ``index`` the current sample index for :func:`sample_rng` inside the block."""
    prev_index, prev_rng = _ctx.index, _ctx.rng
    _ctx.index, _ctx.rng = index, None
    try:
        yield
    finally:
        _ctx.index, _ctx.rng = prev_index, prev_rng


def _set_index(index) -> None:
    _ctx.index = index
    _ctx.rng = None


def _key(index) -> np.ndarray:
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        idx = [int(index)]
    elif isinstance(index, tuple) and all(isinstance(i, (int, np.integer)) for i in index):
        idx = [int(i) for i in index]
    else:
        raise TypeError(
            f"sample_rng: the index must be an int or a tuple of ints, got {index!r}; pass "
            "sample_rng(index) yourself for datasets keyed otherwise"
        )
    # A fixed layout of 64-bit words (two uint32 each) so that no two keys share their words:
    # seed, epoch, worker (0 = none), the number of index parts, then the index parts with
    # their signs folded in (SeedSequence wants non-negative words).
    worker = 0 if _ctx.worker is None else int(_ctx.worker)
    parts = [int(_ctx.seed), int(_ctx.epoch), worker, len(idx)]
    parts.extend(2 * i if i >= 0 else -2 * i - 1 for i in idx)
    words = []
    for p in parts:
        p &= (1 << 64) - 1
        words.extend((p & 0xFFFFFFFF, p >> 32))
    return np.array(words, dtype=np.uint32)


def sample_rng(index=None) -> np.random.Generator:
    """The random stream of the sample being loaded, for random augmentations.

    Call it inside ``Dataset.__getitem__`` (or a transform it calls) and draw from the
    returned ``numpy.random.Generator``. Inside a :class:`~data.DataLoader` the stream depends
    only on the loader's seed for the epoch, the epoch number and the sample index, never on
    ``num_workers`` or on which process loads the sample; see NOTE [ Per-sample random
    streams ] in ``data/_sample_rng.py``.

    Parameters
    ----------
    index : int or tuple of int, optional
        The sample's key. By default the index the loader is fetching. Pass it yourself in a
        ``__getitems__`` that fetches a whole batch (there the loader has no single index).

    Returns
    -------
    numpy.random.Generator
        Repeated calls for the same sample within one fetch return the same generator.

    Raises
    ------
    RuntimeError
        Inside a batched ``__getitems__`` fetch when ``index`` is not given.

    Examples
    --------
    >>> class Noisy(data.Dataset):
    ...     def __init__(self, x):
    ...         self.x = x
    ...     def __len__(self):
    ...         return len(self.x)
    ...     def __getitem__(self, i):
    ...         rng = data.sample_rng()
    ...         return self.x[i] + rng.normal(0.0, 0.1, size=self.x[i].shape)
    """
    if _ctx.seed is None:
        if index is None and _ctx.index is None:
            # outside a loader: reproducible under autograd.manual_seed, fresh each call
            return np.random.default_rng(int(_rng(None).integers(0, 2**63)))
        seed_seq = np.random.SeedSequence(_key_outside(index if index is not None else _ctx.index))
        return np.random.Generator(np.random.PCG64(seed_seq))
    if index is not None:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(_key(index))))
    if _ctx.index is _BATCH:
        raise RuntimeError(
            "sample_rng() was called inside a batched __getitems__ fetch, where the loader has "
            "no single sample index: call sample_rng(index) with the sample's index"
        )
    if _ctx.index is None:
        raise RuntimeError(
            "sample_rng() was called while the DataLoader was not fetching a sample (for "
            "example from collate_fn or worker_init_fn); call it inside __getitem__"
        )
    if _ctx.rng is None:
        _ctx.rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(_key(_ctx.index))))
    return _ctx.rng


def _key_outside(index) -> np.ndarray:
    """Key for an explicit index outside a loader: the default generator's initial seed."""
    from autograd.random import default_generator

    seed = default_generator.initial_seed()
    saved = (_ctx.seed, _ctx.epoch, _ctx.worker)
    _ctx.seed, _ctx.epoch, _ctx.worker = seed, 0, None
    try:
        return _key(index)
    finally:
        _ctx.seed, _ctx.epoch, _ctx.worker = saved


def sample_generator(index=None) -> Generator:
    """Like :func:`sample_rng`, but an ``autograd.Generator`` for ``generator=`` arguments.

    Its seed is drawn from :func:`sample_rng` (so it follows the same key), for transforms
    written with ``autograd`` random functions, e.g. ``x.uniform_(0, 1, generator=g)``.
    """
    seed = int(sample_rng(index).integers(0, 2**63))
    return Generator().manual_seed(seed)
