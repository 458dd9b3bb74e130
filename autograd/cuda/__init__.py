"""``autograd.cuda``: ``torch.cuda`` as PyTorch answers it on a machine without CUDA.

ndgrad runs on the CPU (NOTE [ One device ] in ``devices.py``), so there is never a CUDA
device. The calls scripts make unconditionally answer as PyTorch's CPU build does: queries say
there is nothing (``is_available()`` is False, ``device_count()`` 0, the memory counters 0),
seeding and ``empty_cache`` are silent no-ops. The calls that need a device
(``current_device``, ``synchronize``, ``get_device_name``, ...) raise ndgrad's one CPU-only
error, whose class is both a ``RuntimeError`` (what PyTorch raises where CUDA is built but no
GPU is found) and an ``AssertionError`` (what PyTorch's CPU build raises: "Torch not compiled
with CUDA enabled"), so either ``except`` clause catches it. ``autograd.cuda.amp`` holds the
deprecated ``autocast`` and ``GradScaler`` spellings.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ..devices import _message
from . import amp

__all__ = [
    "Event",
    "OutOfMemoryError",
    "Stream",
    "amp",
    "current_device",
    "current_stream",
    "device",
    "device_count",
    "empty_cache",
    "get_arch_list",
    "get_device_capability",
    "get_device_name",
    "get_device_properties",
    "get_rng_state",
    "get_rng_state_all",
    "init",
    "initial_seed",
    "ipc_collect",
    "is_available",
    "is_bf16_supported",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "max_memory_reserved",
    "mem_get_info",
    "memory_allocated",
    "memory_reserved",
    "memory_stats",
    "memory_summary",
    "reset_max_memory_allocated",
    "reset_peak_memory_stats",
    "seed",
    "seed_all",
    "set_device",
    "set_per_process_memory_fraction",
    "set_rng_state",
    "set_rng_state_all",
    "synchronize",
]


class NoCUDAError(RuntimeError, AssertionError):
    """Raised by the ``autograd.cuda`` calls that need a CUDA device (see the module doc)."""


def _no_cuda(what: str):
    raise NoCUDAError(_message(what, "cuda"))


class OutOfMemoryError(RuntimeError):
    """``torch.cuda.OutOfMemoryError`` (never raised by ndgrad; there for ``except`` clauses)."""


# -- queries: nothing there --------------------------------------------------------------


def is_available() -> bool:
    """Always ``False``: ndgrad computes on the CPU."""
    return False


def device_count() -> int:
    """Always ``0``."""
    return 0


def is_initialized() -> bool:
    """Always ``False``."""
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Always ``False``."""
    return False


def get_arch_list() -> list:
    """Always ``[]``."""
    return []


def memory_allocated(device: Any = None) -> int:
    """Always ``0`` (PyTorch's answer before CUDA is initialised)."""
    return 0


def max_memory_allocated(device: Any = None) -> int:
    """Always ``0``."""
    return 0


def memory_reserved(device: Any = None) -> int:
    """Always ``0``."""
    return 0


def max_memory_reserved(device: Any = None) -> int:
    """Always ``0``."""
    return 0


def memory_stats(device: Any = None) -> OrderedDict:
    """Always empty."""
    return OrderedDict()


def get_rng_state_all() -> list:
    """One state per device: ``[]``."""
    return []


# -- silent no-ops ------------------------------------------------------------------------


def init() -> None:
    """Raises: there is no CUDA to initialise."""
    _no_cuda("cuda.init()")


def manual_seed(seed: int) -> None:
    """No-op (there is no CUDA generator); ``autograd.manual_seed`` seeds everything."""


def manual_seed_all(seed: int) -> None:
    """No-op (there is no CUDA generator); ``autograd.manual_seed`` seeds everything."""


def seed() -> None:
    """No-op (there is no CUDA generator)."""


def seed_all() -> None:
    """No-op (there is no CUDA generator)."""


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """No-op (PyTorch defers it until CUDA is initialised, which never happens here)."""


def set_rng_state_all(new_states: Any) -> None:
    """No-op: there are no devices."""


def empty_cache() -> None:
    """No-op: there is no CUDA caching allocator."""


# -- calls that need a device: the one CPU-only error ------------------------------------


def current_device() -> int:
    _no_cuda("cuda.current_device()")


def set_device(device: Any) -> None:
    _no_cuda("cuda.set_device()")


def synchronize(device: Any = None) -> None:
    _no_cuda("cuda.synchronize()")


def get_device_name(device: Any = None) -> str:
    _no_cuda("cuda.get_device_name()")


def get_device_capability(device: Any = None) -> tuple:
    _no_cuda("cuda.get_device_capability()")


def get_device_properties(device: Any = None) -> Any:
    _no_cuda("cuda.get_device_properties()")


def initial_seed() -> int:
    _no_cuda("cuda.initial_seed()")


def get_rng_state(device: Any = "cuda") -> Any:
    _no_cuda("cuda.get_rng_state()")


def mem_get_info(device: Any = None) -> tuple:
    _no_cuda("cuda.mem_get_info()")


def memory_summary(device: Any = None, abbreviated: bool = False) -> str:
    _no_cuda("cuda.memory_summary()")


def reset_peak_memory_stats(device: Any = None) -> None:
    _no_cuda("cuda.reset_peak_memory_stats()")


def reset_max_memory_allocated(device: Any = None) -> None:
    _no_cuda("cuda.reset_max_memory_allocated()")


def set_per_process_memory_fraction(fraction: float, device: Any = None) -> None:
    _no_cuda("cuda.set_per_process_memory_fraction()")


def ipc_collect() -> None:
    _no_cuda("cuda.ipc_collect()")


def current_stream(device: Any = None) -> Any:
    _no_cuda("cuda.current_stream()")


class device:  # noqa: N801 - PyTorch's name
    """``torch.cuda.device(idx)``: builds; entering it raises (there is no CUDA device)."""

    def __init__(self, device: Any) -> None:
        self.idx = device

    def __enter__(self) -> None:
        _no_cuda("cuda.device()")

    def __exit__(self, *exc: Any) -> None:
        return None


class Stream:
    """``torch.cuda.Stream``: raises when built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _no_cuda("cuda.Stream()")


class Event:
    """``torch.cuda.Event``: raises when built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _no_cuda("cuda.Event()")
