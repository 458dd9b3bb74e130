"""Padding layers: constant (and zero), reflection, replication and circular, 1-D to 3-D."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
]


def _ntuple(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"expected an int or a {2 * n}-tuple of padding sizes, got {padding}")
    return padding


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: ``padding`` an int or ``(left, right)``."""

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: ``(left, right, top, bottom)``."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: ``(left, right, top, bottom, front, back)``."""

    _n = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Zero padding of the last dim: ``(left, right)``."""

    _n = 1


class ZeroPad2d(_ZeroPadNd):
    """Zero padding of the last two dims: ``(left, right, top, bottom)``."""

    _n = 2


class ZeroPad3d(_ZeroPadNd):
    """Zero padding of the last three dims: ``(left, right, top, bottom, front, back)``."""

    _n = 3


class ReflectionPad1d(_PadNd):
    """Reflect at the borders (the edge itself not repeated); each pad below the dim's size."""

    _n, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Reflect at the borders of the last two dims: ``(left, right, top, bottom)``."""

    _n, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Reflect at the borders of the last three dims (six pads)."""

    _n, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values."""

    _n, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims: ``(left, right, top, bottom)``."""

    _n, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dims (six pads)."""

    _n, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap around."""

    _n, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap around in the last two dims: ``(left, right, top, bottom)``."""

    _n, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap around in the last three dims (six pads)."""

    _n, _mode = 3, "circular"
