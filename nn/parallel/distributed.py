"""``DistributedDataParallel``: average gradients across ranks during ``backward()``.

NOTE [ DDP buckets ]
At construction the parameters (those that require grad) are laid out, in reverse registration
order (roughly the order backward produces their gradients), into buckets: one contiguous
array per bucket and dtype, the first capped at 1 MiB so the last layers' gradients go out
early, the others at ``bucket_cap_mb`` (PyTorch's sizes). A post-accumulate-grad hook on every
parameter copies its gradient into its bucket once the gradient is final (the engine sums a
leaf's contributions and accumulates once per backward, as PyTorch's AccumulateGrad): the
forward walks the graph it recorded to find the parameters backward will reach. Buckets' sums
are non-blocking ``Iallreduce`` calls started strictly in
bucket order, the same on every rank, as MPI requires of collectives. Starting a bucket as soon
as it is full (``_overlap = True``) did not pay here: Open MPI progresses a non-blocking
collective only inside MPI calls, and with one rank per core there is no idle core to do it, so
the measured step (``python -m benchmarks.distributed``) was 6-15 % slower than starting every
bucket at the end; the default starts them at the end. A final callback
(``autograd.engine.queue_callback``) starts what is left, fills
the slots of parameters that got no gradient (their current ``.grad``, else zeros) so that no
rank waits for a gradient that will not come, waits for every bucket, divides by the world size
and writes the averages back into ``.grad``, all before ``backward()`` returns.

Unused parameters (``find_unused_parameters``): with it, one more small all-reduce tells which
parameters were used on some rank; one used nowhere keeps its ``.grad`` untouched, as in
PyTorch. Without it, a parameter that got no gradient is an error raised at the end of that
backward, after the collectives (so the other ranks are never left waiting; under
``python -m mpi4py`` the error ends the job).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

import autograd.distributed as dist
from autograd.distributed._group import _group, _mpi
from autograd.engine import queue_callback
from autograd.grad_mode import is_grad_enabled
from autograd.tensor import Tensor

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    __slots__ = ("buf", "params", "offsets", "pending", "request", "index")

    def __init__(self, index, params, dtype):
        self.index = index
        self.params = params  # positions into the DDP's parameter list
        self.offsets = []
        self.buf = None
        self.pending = 0
        self.request = None


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward()`` averages its gradients over all ranks.

    Parameters
    ----------
    module : Module
        The model; every rank must build the same one (checked: an error names the first
        parameter or buffer whose name, shape or dtype differs between ranks).
    device_ids, output_device, dim
        Accepted for PyTorch compatibility (CPU only; inputs are not scattered).
    broadcast_buffers : bool
        Copy rank 0's buffers (BatchNorm running statistics) to every rank before each forward.
    init_sync : bool
        Copy rank 0's parameters and buffers to every rank now.
    process_group : ProcessGroup, optional
        Only the default group is supported.
    bucket_cap_mb : float, optional
        Bucket size in MiB (default 25; the first bucket is 1 MiB).
    find_unused_parameters : bool
        Allow parameters that get no gradient in some backward (see NOTE [ DDP buckets ]).
    gradient_as_bucket_view : bool
        Make each ``.grad`` a view into its bucket (saves the copy back).

    Notes
    -----
    Gradient accumulation: inside :meth:`no_sync` backward only accumulates locally; the
    first backward outside it averages the accumulated gradients. ``state_dict()`` keys carry
    the ``module.`` prefix, as in PyTorch. The gradient average divides the sum by the world
    size, so ``N`` ranks with batch ``B`` each follow the trajectory of one process with batch
    ``N * B`` (when the loss is a mean over the batch).
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        init_sync: bool = True,
        process_group=None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: module must be an nn.Module, got {type(module).__name__}"
            )
        self._pg = _group(process_group, "DistributedDataParallel")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._buffers_list = [b for _, b in module.named_buffers() if b is not None]
        self._verify_same_model(module)
        if init_sync:
            _broadcast_coalesced(
                self._pg, [p._data for p in module.parameters()] + self._buf_arrays()
            )
        self._index = {id(p): i for i, p in enumerate(self._params)}
        self._buckets = self._make_buckets()
        self._where = {}  # parameter position -> (bucket, view into its buffer)
        for b in self._buckets:
            for i, off in zip(b.params, b.offsets):
                p = self._params[i]
                self._where[i] = (b, b.buf[off : off + p._data.size].reshape(p._data.shape))
        self._handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in self._params]
        self._overlap = False  # start a bucket as soon as it is full (NOTE [ DDP buckets ])
        self._armed = False
        self._comm_stats = {"bytes": 0, "seconds": 0.0}
        self._reset()

    # -- construction ---------------------------------------------------------------------
    def _buf_arrays(self):
        return [b._data for b in self._buffers_list]

    def _verify_same_model(self, module) -> None:
        """Every rank must hold the same parameters and buffers: gather everyone's list and
        compare with rank 0's on every rank, so all ranks raise the same error together."""
        mine = [
            [kind, n, list(t.shape), str(t.dtype)]
            for kind, items in (
                ("parameter", module.named_parameters()),
                ("buffer", module.named_buffers()),
            )
            for n, t in items
            if t is not None
        ]
        everyone = [None] * self._pg.size()
        dist.all_gather_object(everyone, mine)
        ref = everyone[0]
        for r, theirs in enumerate(everyone[1:], start=1):
            for a, b in zip(ref, theirs):
                if a != b:
                    raise RuntimeError(
                        f"DistributedDataParallel: the model differs between ranks: rank 0 has "
                        f"{a[0]} '{a[1]}' of shape {tuple(a[2])} and dtype {a[3]}, rank {r} has "
                        f"{b[0]} '{b[1]}' of shape {tuple(b[2])} and dtype {b[3]}"
                    )
            if len(ref) != len(theirs):
                extra = (ref if len(ref) > len(theirs) else theirs)[min(len(ref), len(theirs))]
                raise RuntimeError(
                    f"DistributedDataParallel: the model differs between ranks: rank 0 has "
                    f"{len(ref)} parameters and buffers, rank {r} has {len(theirs)} (first "
                    f"unmatched: {extra[0]} '{extra[1]}')"
                )

    def _make_buckets(self):
        buckets = []
        open_ = {}  # dtype -> (positions, bytes)
        cap = _FIRST_BUCKET_BYTES

        def close(dt):
            pos, _ = open_.pop(dt)
            buckets.append(_Bucket(len(buckets), pos, dt))

        for i in reversed(range(len(self._params))):
            a = self._params[i]._data
            pos, nbytes = open_.get(a.dtype, ([], 0))
            pos.append(i)
            open_[a.dtype] = (pos, nbytes + a.nbytes)
            if nbytes + a.nbytes >= cap:
                close(a.dtype)
                cap = self.bucket_bytes_cap
        for dt in list(open_):
            close(dt)
        for b in buckets:
            arrays = [self._params[i]._data for i in b.params]
            b.offsets = list(np.cumsum([0] + [a.size for a in arrays[:-1]]))
            b.buf = np.zeros(sum(a.size for a in arrays), dtype=arrays[0].dtype)
        return buckets

    # -- forward ----------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self._buffers_list and self._pg.size() > 1:
            _broadcast_coalesced(self._pg, self._buf_arrays())
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        else:
            self._armed = False
        return out

    def _reset(self) -> None:
        n = len(self._params)
        self._expected = [0] * n
        self._seen = [0] * n
        self._ready = [False] * n
        for b in self._buckets:
            b.pending = len(b.params)
            b.request = None
        self._next_bucket = 0
        self._callback_queued = False

    def _prepare_for_backward(self, out) -> None:
        """Mark the parameters backward will accumulate into (once each: NOTE [ DDP buckets ])
        by walking the graph recorded under ``out``."""
        self._reset()
        index = self._index
        expected = self._expected
        stack = [t.grad_fn for t in _tensors(out) if t.grad_fn is not None]
        for t in _tensors(out):
            if t.grad_fn is None and id(t) in index:
                expected[index[id(t)]] = 1
        seen = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for e in node.next:
                if e is None:
                    continue
                target, oi = e
                if oi < 0:
                    i = index.get(id(target))
                    if i is not None:
                        expected[i] = 1
                elif target not in seen:
                    stack.append(target)
        self._armed = True

    # -- backward ---------------------------------------------------------------------------
    def _on_grad(self, param) -> None:
        if not self._armed:
            return
        if not self._callback_queued:
            queue_callback(self._finish)
            self._callback_queued = True
        i = self._index[id(param)]
        self._seen[i] += 1
        if self._ready[i] or self._seen[i] < self._expected[i]:
            return
        self._mark_ready(i)
        if self._overlap:
            self._start_ready_buckets()

    def _mark_ready(self, i: int) -> None:
        self._ready[i] = True
        bucket, view = self._where[i]
        g = self._params[i].grad
        if g is None:
            view[...] = 0
        elif g._data is not view:
            np.copyto(view, g._data)
        bucket.pending -= 1

    def _start_ready_buckets(self) -> None:
        MPI = _mpi()
        while self._next_bucket < len(self._buckets):
            b = self._buckets[self._next_bucket]
            if b.pending:
                return
            t0 = time.perf_counter()
            b.request = self._pg.comm.Iallreduce(MPI.IN_PLACE, b.buf, op=MPI.SUM)
            self._comm_stats["seconds"] += time.perf_counter() - t0
            self._comm_stats["bytes"] += b.buf.nbytes
            self._next_bucket += 1

    def _finish(self) -> None:
        """The final callback: complete every bucket and write the averages into ``.grad``."""
        MPI = _mpi()
        self._armed = False
        missing = [i for i, r in enumerate(self._ready) if not r]
        for i in missing:
            self._mark_ready(i)
        self._start_ready_buckets()
        used = None
        if self.find_unused_parameters:
            used = np.array([self._seen[i] > 0 for i in range(len(self._params))], np.uint8)
            self._pg.comm.Allreduce(MPI.IN_PLACE, used, op=MPI.MAX)
        t0 = time.perf_counter()
        MPI.Request.Waitall([b.request for b in self._buckets])
        self._comm_stats["seconds"] += time.perf_counter() - t0
        size = self._pg.size()
        for b in self._buckets:
            b.buf /= size
        for i, p in enumerate(self._params):
            if used is not None and not used[i]:
                continue  # no rank used it: .grad stays as it was (PyTorch)
            view = self._where[i][1]
            g = p.grad
            if self.gradient_as_bucket_view:
                if g is None or g._data is not view:
                    p.grad = Tensor._wrap(view)
                else:
                    g._bump()
            elif g is None:
                p.grad = Tensor._wrap(view.copy())
            else:
                np.copyto(g._data, view)
                g._bump()
        unused = [i for i in missing if self._seen[i] == 0]
        self._reset()
        if unused and not self.find_unused_parameters:
            names = ", ".join(self._param_names[i] for i in unused)
            raise RuntimeError(
                f"DistributedDataParallel: rank {self._pg.rank()}: parameters that received no "
                f"gradient in this backward: {names}. This error indicates that your module has "
                "parameters that were not used in producing loss. Pass "
                "find_unused_parameters=True to DistributedDataParallel to allow it."
            )

    @contextlib.contextmanager
    def no_sync(self):
        """Backwards inside accumulate into ``.grad`` locally, without communication; the
        first backward after the block averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self) -> str:
        return f"world_size={self._pg.size()}, buckets={len(self._buckets)}"


def _tensors(obj):
    """The tensors in a forward's output (nested tuples, lists and dicts)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _broadcast_coalesced(pg, arrays) -> None:
    """Copy rank 0's ``arrays`` to every rank: one broadcast per dtype over a flat buffer."""
    if pg.size() == 1 or not arrays:
        return
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    for dt, group in by_dtype.items():
        flat = np.concatenate([a.reshape(-1) for a in group]) if pg.rank() == 0 else None
        if flat is None:
            flat = np.empty(sum(a.size for a in group), dtype=dt)
        pg.comm.Bcast(flat, root=0)
        off = 0
        for a in group:
            a[...] = flat[off : off + a.size].reshape(a.shape)
            off += a.size
