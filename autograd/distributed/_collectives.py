"""Collectives on tensors, in place as in ``torch.distributed`` (see NOTE [ MPI underneath ]).

Each works on the tensor's array through one of mpi4py's buffer calls; a non-contiguous tensor
is sent from a contiguous copy and the result written back. Results are not recorded by
autograd (as in PyTorch); the tensor's version is bumped, as for any in-place write.
"""

from __future__ import annotations

import enum
import json

import numpy as np

from ..tensor import Tensor
from ._group import _group, _mpi

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "gather",
    "reduce",
    "scatter",
]


class ReduceOp(enum.Enum):
    """How :func:`all_reduce` and :func:`reduce` combine the ranks' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


def _mpi_op(op, name: str):
    if isinstance(op, str):
        try:
            op = ReduceOp[op.upper()]
        except KeyError:
            op = None
    if not isinstance(op, ReduceOp):
        raise ValueError(f"{name}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got {op!r}")
    MPI = _mpi()
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,  # then divided by the world size
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
    }[op], op


def _array(t, name: str, what: str = "tensor") -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor, got {type(t).__name__}")
    return t._data


def _buffer(t, name: str, what: str = "tensor"):
    """The contiguous array to hand to MPI, and whether it must be written back into ``t``."""
    a = _array(t, name, what)
    if a.dtype == np.float16 or a.dtype.kind == "c" and a.dtype.itemsize > 16:
        raise TypeError(f"{name}: dtype {a.dtype} is not supported by the MPI backend")
    if a.flags.c_contiguous and a.flags.writeable:
        return a, False
    return np.ascontiguousarray(a), True


def _written(t, buf, copy_back: bool) -> None:
    if copy_back:
        t._data[...] = buf
    t._bump()


class Work:
    """A collective started with ``async_op=True``; :meth:`wait` completes it."""

    def __init__(self, request=None, finish=None) -> None:
        self._request = request
        self._finish = finish

    def is_completed(self) -> bool:
        """Whether the collective has finished (never blocks)."""
        return self._request is None or bool(self._request.Test())

    def wait(self, timeout=None) -> bool:
        """Block until the collective has finished; returns True."""
        if self._request is not None:
            self._request.Wait()
            self._request = None
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()
        return True


def _done(finish, async_op: bool, request=None):
    work = Work(request, finish)
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks with ``op``; every rank gets the result in place.

    ``async_op=True`` starts a non-blocking ``Iallreduce`` and returns a :class:`Work` whose
    ``wait()`` completes it (the tensor must not be touched until then).
    """
    pg = _group(group, "all_reduce")
    mop, op = _mpi_op(op, "all_reduce")
    buf, back = _buffer(tensor, "all_reduce")
    if op is ReduceOp.AVG and buf.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating tensor, got {buf.dtype}")
    MPI = _mpi()
    size = pg.size()

    def finish():
        if op is ReduceOp.AVG:
            buf[...] /= size
        _written(tensor, buf, back)

    if async_op:
        return _done(finish, True, pg.comm.Iallreduce(MPI.IN_PLACE, buf, op=mop))
    pg.comm.Allreduce(MPI.IN_PLACE, buf, op=mop)
    return _done(finish, False)


def reduce(tensor: Tensor, dst: int = 0, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks with ``op`` into rank ``dst``'s tensor (the others'
    are left as they were)."""
    pg = _group(group, "reduce")
    mop, op = _mpi_op(op, "reduce")
    _check_rank(dst, pg, "reduce", "dst")
    buf, back = _buffer(tensor, "reduce")
    MPI = _mpi()
    if pg.rank() == dst:
        pg.comm.Reduce(MPI.IN_PLACE, buf, op=mop, root=dst)
        if op is ReduceOp.AVG:
            buf[...] /= pg.size()
        _written(tensor, buf, back)
    else:
        pg.comm.Reduce(buf, None, op=mop, root=dst)
    return _done(None, async_op)


def broadcast(tensor: Tensor, src: int = 0, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor`` (same shape and dtype)."""
    pg = _group(group, "broadcast")
    _check_rank(src, pg, "broadcast", "src")
    buf, back = _buffer(tensor, "broadcast")
    if async_op:
        req = pg.comm.Ibcast(buf, root=src)
        return _done(lambda: _written(tensor, buf, back), True, req)
    pg.comm.Bcast(buf, root=src)
    _written(tensor, buf, back)
    return None


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor``, on every rank."""
    pg = _group(group, "all_gather")
    a = _array(tensor, "all_gather")
    _check_list(tensor_list, pg.size(), a, "all_gather", "tensor_list")
    out = np.empty((pg.size(),) + a.shape, dtype=a.dtype)
    pg.comm.Allgather(np.ascontiguousarray(a), out)
    for t, part in zip(tensor_list, out):
        t._data[...] = part
        t._bump()
    return _done(None, async_op)


def gather(tensor: Tensor, gather_list=None, dst: int = 0, group=None, async_op: bool = False):
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (None elsewhere)."""
    pg = _group(group, "gather")
    _check_rank(dst, pg, "gather", "dst")
    a = np.ascontiguousarray(_array(tensor, "gather"))
    if pg.rank() == dst:
        _check_list(gather_list, pg.size(), a, "gather", "gather_list")
        out = np.empty((pg.size(),) + a.shape, dtype=a.dtype)
        pg.comm.Gather(a, out, root=dst)
        for t, part in zip(gather_list, out):
            t._data[...] = part
            t._bump()
    else:
        if gather_list:
            raise ValueError("gather: gather_list must be None or empty on non-destination ranks")
        pg.comm.Gather(a, None, root=dst)
    return _done(None, async_op)


def scatter(tensor: Tensor, scatter_list=None, src: int = 0, group=None, async_op: bool = False):
    """Give rank ``r`` the tensor ``scatter_list[r]`` of rank ``src``, into its ``tensor``."""
    pg = _group(group, "scatter")
    _check_rank(src, pg, "scatter", "src")
    buf, back = _buffer(tensor, "scatter")
    if pg.rank() == src:
        _check_list(scatter_list, pg.size(), buf, "scatter", "scatter_list")
        send = np.stack([np.asarray(t._data, dtype=buf.dtype) for t in scatter_list])
        pg.comm.Scatter(send, buf, root=src)
    else:
        if scatter_list:
            raise ValueError("scatter: scatter_list must be None or empty on non-source ranks")
        pg.comm.Scatter(None, buf, root=src)
    _written(tensor, buf, back)
    return _done(None, async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank of the group has reached this call."""
    pg = _group(group, "barrier")
    if async_op:
        return _done(None, True, pg.comm.Ibarrier())
    pg.comm.Barrier()
    return None


# -- Python objects, as JSON --------------------------------------------------------------------
# NOTE [ Objects as JSON ]
# PyTorch pickles objects for broadcast_object_list/all_gather_object; unpickling what another
# process sent can execute code, so here objects travel as UTF-8 JSON: lengths first (an int64
# buffer), then the bytes. Values must be JSON-safe (None, bool, int, float, str, lists and
# dicts with str keys); tuples arrive as lists.


def _encode(obj, name: str) -> np.ndarray:
    try:
        text = json.dumps(obj, allow_nan=True)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{name}: objects are sent as JSON (no pickle), so they must be JSON-safe (None, "
            f"bool, int, float, str, list, dict with str keys); got {type(obj).__name__}: {e}"
        ) from None
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _decode(b: np.ndarray):
    return json.loads(b.tobytes().decode("utf-8"))


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replace every rank's ``object_list`` items by rank ``src``'s (JSON-safe objects only:
    see NOTE [ Objects as JSON ])."""
    pg = _group(group, "broadcast_object_list")
    _check_rank(src, pg, "broadcast_object_list", "src")
    n = len(object_list)
    if pg.rank() == src:
        parts = [_encode(o, "broadcast_object_list") for o in object_list]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        data = np.concatenate(parts) if parts else np.empty(0, np.uint8)
    else:
        sizes = np.empty(n, dtype=np.int64)
    pg.comm.Bcast(sizes, root=src)
    if pg.rank() != src:
        data = np.empty(int(sizes.sum()), dtype=np.uint8)
    pg.comm.Bcast(data, root=src)
    if pg.rank() != src:
        ends = np.cumsum(sizes)
        for i in range(n):
            object_list[i] = _decode(data[ends[i] - sizes[i] : ends[i]])


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fill ``object_list[r]`` with rank ``r``'s ``obj`` (JSON-safe: NOTE [ Objects as JSON ])."""
    pg = _group(group, "all_gather_object")
    if len(object_list) != pg.size():
        raise ValueError(
            f"all_gather_object: object_list must have world_size={pg.size()} entries, got "
            f"{len(object_list)}"
        )
    mine = _encode(obj, "all_gather_object")
    sizes = np.empty(pg.size(), dtype=np.int64)
    pg.comm.Allgather(np.array([len(mine)], dtype=np.int64), sizes)
    data = np.empty(int(sizes.sum()), dtype=np.uint8)
    pg.comm.Allgatherv(mine, [data, sizes])
    ends = np.cumsum(sizes)
    for r in range(pg.size()):
        object_list[r] = _decode(data[ends[r] - sizes[r] : ends[r]])


# -- argument checks ------------------------------------------------------------------------------
def _check_rank(r, pg, name: str, what: str) -> None:
    if not isinstance(r, (int, np.integer)) or not 0 <= r < pg.size():
        raise ValueError(f"{name}: {what}={r!r} is not a rank of a group of size {pg.size()}")


def _check_list(lst, size: int, a: np.ndarray, name: str, what: str) -> None:
    if not isinstance(lst, (list, tuple)) or len(lst) != size:
        n = len(lst) if isinstance(lst, (list, tuple)) else type(lst).__name__
        raise ValueError(f"{name}: {what} must hold world_size={size} tensors, got {n}")
    for i, t in enumerate(lst):
        b = _array(t, name, f"{what}[{i}]")
        if b.shape != a.shape or b.dtype != a.dtype:
            raise ValueError(
                f"{name}: {what}[{i}] has shape {tuple(b.shape)} and dtype {b.dtype}; expected "
                f"shape {tuple(a.shape)} and dtype {a.dtype} (the tensor's)"
            )
