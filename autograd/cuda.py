"""``autograd.cuda``: the queries scripts make before choosing a device. ndgrad runs on the CPU
(NOTE [ One device ] in ``devices.py``), so there is no CUDA device; seeding calls are no-ops."""

from __future__ import annotations

from typing import Any

from .devices import _check_device


def is_available() -> bool:
    """Always ``False``: ndgrad computes on the CPU."""
    return False


def device_count() -> int:
    """Always ``0``."""
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """No-op (there is no CUDA generator); ``autograd.manual_seed`` seeds everything."""


def manual_seed_all(seed: int) -> None:
    """No-op (there is no CUDA generator); ``autograd.manual_seed`` seeds everything."""


def synchronize(device: Any = None) -> None:
    """No-op: CPU work is synchronous."""


def empty_cache() -> None:
    """No-op: there is no CUDA caching allocator."""


def current_device() -> int:
    _check_device("cuda", "cuda.current_device()")
    return 0  # unreachable


def set_device(device: Any) -> None:
    _check_device(device if not isinstance(device, int) else f"cuda:{device}", "set_device()")
