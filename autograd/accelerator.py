"""``autograd.accelerator``: PyTorch's device-agnostic accelerator queries; there is none."""

from __future__ import annotations


def is_available() -> bool:
    """Always ``False``: ndgrad computes on the CPU."""
    return False


def device_count() -> int:
    """Always ``0``."""
    return 0


def current_accelerator(check_available: bool = False) -> None:
    """``None``: there is no accelerator."""
    return None
