"""The default process group: one duplicate of ``MPI.COMM_WORLD``, created by
:func:`init_process_group`.

NOTE [ MPI underneath ]
Ranks and the world size come from MPI (``mpirun -np N python -m mpi4py script.py``); a script
started without ``mpirun`` is a world of one (MPI's singleton start). ``mpi4py`` is imported
only when a process group is created, so ``import autograd`` never loads MPI. Every transfer
is one of mpi4py's buffer (upper-case) calls on NumPy arrays: nothing is pickled, and Python
objects travel as JSON bytes (see ``_collectives.broadcast_object_list``). ``python -m mpi4py``
turns an uncaught exception on one rank into ``MPI_Abort``, which ends every rank instead of
leaving the others waiting in a collective.
"""

from __future__ import annotations

import importlib.util

__all__ = [
    "GroupMember",
    "ProcessGroup",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]

_INSTALL = "pip install 'ndgrad[distributed]'"
_default = None  # the default ProcessGroup, set by init_process_group


def _mpi():
    """``mpi4py.MPI``, imported on first use, or an ImportError that says what to install."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            f"autograd.distributed needs mpi4py and an MPI library: {_INSTALL}"
        ) from e
    return MPI


def is_available() -> bool:
    """Whether the distributed package can be used (``mpi4py`` is installed)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """Whether the MPI backend is available (the only backend)."""
    return is_available()


class ProcessGroup:
    """A group of ranks over one MPI communicator (its own, so a user's own mpi4py traffic on
    ``COMM_WORLD`` cannot be confused with ours)."""

    def __init__(self, comm) -> None:
        self.comm = comm
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


class GroupMember:
    """``GroupMember.WORLD``: the default group (None until initialized), as in PyTorch."""

    WORLD = None


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has been called (and not destroyed since)."""
    return _default is not None


def _group(group=None, name: str = "") -> ProcessGroup:
    if _default is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    if group is None or group is _default:
        return _default
    raise ValueError(f"{name}: only the default group (group=None) is supported, got {group!r}")


def init_process_group(
    backend: str | None = "mpi",
    init_method: str | None = None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the default process group: every rank started by ``mpirun`` (a world of one when
    started without it).

    Parameters
    ----------
    backend : str
        ``"mpi"`` (or None, which means it); the only backend.
    world_size, rank : int
        Leave at -1: MPI decides. A value that disagrees with MPI's is an error.
    init_method, timeout, store, group_name, pg_options, device_id
        Accepted for PyTorch compatibility and unused (MPI's launcher does the rendezvous).

    Raises
    ------
    ValueError
        For another backend, or a ``world_size``/``rank`` MPI does not agree with.
    RuntimeError
        When the default group already exists.
    ImportError
        When mpi4py is not installed.
    """
    global _default
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(
            f"init_process_group: backend {backend!r} is not supported; ndgrad runs on MPI "
            "(backend='mpi')"
        )
    if _default is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()
    pg = ProcessGroup(comm)
    for name, given, actual in (("world_size", world_size, pg.size()), ("rank", rank, pg.rank())):
        if given not in (-1, None) and given != actual:
            comm.Free()
            raise ValueError(
                f"init_process_group: {name}={given} but MPI started this process with "
                f"{name}={actual} (leave it at -1 with the MPI backend)"
            )
    _default = pg
    GroupMember.WORLD = pg


def destroy_process_group(group=None) -> None:
    """Leave the default group and free its communicator (MPI itself stays up until exit)."""
    global _default
    pg = _group(group, "destroy_process_group")
    _default = None
    GroupMember.WORLD = None
    pg.comm.Free()


def get_rank(group=None) -> int:
    """This process's rank in ``0 .. world_size - 1``."""
    return _group(group, "get_rank").rank()


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    return _group(group, "get_world_size").size()


def get_backend(group=None) -> str:
    """``"mpi"``."""
    return _group(group, "get_backend").name()
