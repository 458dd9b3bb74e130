"""``autograd.device`` and the CPU-only device queries.

NOTE [ One device ]
ndgrad computes with NumPy, on the CPU. A :class:`device` object can name any device type PyTorch
knows (``device("cuda")`` builds, as in PyTorch, so ``device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")`` and printing work), but *using* a device that is not the
CPU (``tensor(..., device="cuda")``, ``t.to("cuda")``, ``t.cuda()``, ``model.to("mps")``,
``set_default_device("cuda")``) raises the one error :func:`_check_device` makes.
"""

from __future__ import annotations

import builtins
from typing import Any

# The device types PyTorch's parser accepts (torch/csrc/Device.cpp, same order as its message).
_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)


class device:  # noqa: N801 - mirrors torch.device
    """A device name: ``device("cpu")``, ``device("cpu", 0)``, ``device("cuda:1")``,
    ``device(type="cpu")``.

    ``str`` gives ``'cpu'``/``'cpu:0'`` and ``repr`` ``device(type='cpu')``, as in PyTorch.
    Devices compare equal to devices and to strings naming the same device, and hash.
    Building one for a non-CPU type works; using it raises (see NOTE [ One device ]).
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type: Any, index: builtins.int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): index given twice (the device already names one)")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            type, index = "cuda", type  # torch.device(0) is cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a str or int, got {builtins.type(type).__name__}")
        name, sep, idx = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}"
            )
        if sep:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed "
                    f"explicitly: {type}"
                )
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = builtins.int(idx)
        if index is not None:
            index = builtins.int(index)
            if index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
        self._type = name
        self._index = index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> builtins.int | None:
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __eq__(self, other: object) -> builtins.bool:
        # A string is never equal to a device (``device("cpu") == "cpu"`` is False), as in
        # PyTorch: compare ``str(d)`` or ``d.type`` instead.
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> builtins.int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (self._type, self._index))

    # ``with torch.device("cpu"):`` makes it the default device for the block, as in PyTorch;
    # with one device there is nothing to switch.
    def __enter__(self) -> device:
        _check_device(self, "with device(...)")
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _message(what: str, d: Any) -> str:
    return (
        f"ndgrad runs on the CPU; {what} asked for device '{d}'. Use 'cpu' (or write "
        f"`device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')`, which picks "
        f"the CPU here: torch.cuda.is_available() is False)."
    )


CPU = device("cpu")


def _check_device(d: Any, what: str = "this call") -> None:
    """Raise the one CPU-only error unless ``d`` is ``None`` or names the CPU."""
    if d is None or d is CPU:
        return
    if isinstance(d, str) and (d == "cpu" or d.startswith("cpu:")):
        return
    dev = d if isinstance(d, device) else device(d)
    if dev._type != "cpu":
        raise RuntimeError(_message(what, dev))


def set_default_device(device: Any) -> None:  # noqa: A002 - PyTorch's name
    """Set the device factories use by default: only the CPU (or ``None``) is accepted."""
    _check_device(device, "set_default_device()")


def get_default_device() -> device:
    """The device factories use by default: always ``device(type='cpu')``."""
    return CPU


def parse_to(args: tuple, kwargs: dict, what: str) -> tuple:
    """Parse the arguments of ``Tensor.to``/``Module.to``: ``to(device=None, dtype=None,
    non_blocking=False, copy=False)``, ``to(dtype, ...)``, ``to(tensor, ...)``.

    Returns ``(dtype or None, copy)``; a device that is not the CPU raises.
    """
    from .tensor import Tensor

    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{what}() got unexpected keyword arguments {sorted(kwargs)}")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        dtype = rest.pop(0).dtype
    elif rest and (isinstance(rest[0], (str, device, builtins.int)) or rest[0] is None):
        if isinstance(rest[0], builtins.bool):
            raise TypeError(f"{what}(): expected a device, dtype or tensor, got a bool")
        dev = rest.pop(0)
    if rest and not isinstance(rest[0], builtins.bool):
        dtype = rest.pop(0)
    for flag, name in zip(rest, ("non_blocking", "copy")):
        if name == "copy":
            copy = flag
    if len(rest) > 2:
        raise TypeError(f"{what}() received too many positional arguments")
    _check_device(dev, f"{what}()")
    return dtype, builtins.bool(copy)
