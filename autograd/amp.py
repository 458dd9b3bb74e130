"""``autograd.amp``: ``torch.amp``'s ``autocast`` and ``GradScaler`` as a CPU-only NumPy engine
can honour them.

NOTE [ Mixed precision ]
Training scripts wrap their forward in ``torch.autocast(...)`` and their backward and step in a
``GradScaler``, usually switched by a flag or by ``torch.cuda.is_available()``. On a machine
without CUDA, PyTorch turns a ``"cuda"`` autocast and a ``"cuda"`` GradScaler off with a warning
and then runs the script in float32; ndgrad does the same, so such scripts run unchanged.

What ndgrad cannot do is autocast on the CPU: PyTorch's CPU autocast runs matmul-like ops in
bfloat16 (by default) or float16 by casting their inputs inside its dispatcher. NumPy has no
bfloat16, and ndgrad's op dispatch has no autocast step, so an *enabled* ``"cpu"`` autocast to
either dtype raises ``RuntimeError`` naming the reason (``enabled=False`` is a no-op, and other
dtypes warn and turn autocast off, as in PyTorch). A ``"cpu"`` GradScaler is the real thing:
dynamic loss scaling with PyTorch's growth/back-off schedule and state dict.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes as _dt
from .grad_mode import no_grad

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]

_BF16_MESSAGE = (
    "ndgrad cannot autocast to bfloat16: NumPy has no bfloat16 dtype (and ndgrad no autocast "
    "dispatch). Use autocast(..., enabled=False) to run in float32, or cast the model and "
    "inputs yourself."
)
_FP16_MESSAGE = (
    "ndgrad cannot autocast on the CPU: its op dispatch has no autocast step (PyTorch would run "
    "matmul, linear and conv in float16 here). Use autocast(..., enabled=False) to run in "
    "float32, or cast the model and inputs with .half() yourself."
)


def _check_device_type(device_type: Any) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    from .devices import device

    return device(device_type).type  # raises PyTorch's error for an unknown type


def is_autocast_available(device_type: str) -> bool:
    """Whether PyTorch offers autocast on ``device_type`` ("cpu" and "cuda": True)."""
    return _check_device_type(device_type) in ("cpu", "cuda")


class autocast:  # noqa: N801 - PyTorch's name
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: a context
    manager (and decorator) that, in ndgrad, never changes a dtype (NOTE [ Mixed precision ]).

    * ``enabled=False``: a no-op.
    * ``"cuda"`` (and other accelerators): warns that CUDA is not available and turns itself
      off, as PyTorch does on a machine without CUDA.
    * ``"cpu"`` with ``dtype=float32``/``float64``: warns and turns itself off, as PyTorch.
    * ``"cpu"`` with bfloat16 (the default) or float16: raises ``RuntimeError``.
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        self.device = _check_device_type(device_type)
        self._enabled = bool(enabled)
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        if not self._enabled:
            return
        if self.device == "cpu":
            if dtype is None:
                raise RuntimeError(
                    "autocast('cpu') computes in bfloat16 by default. " + _BF16_MESSAGE
                )
            if dtype is _dt.bfloat16:
                raise RuntimeError(_BF16_MESSAGE)
            d = _dt.to_dtype(dtype)
            if d == _dt.float16:
                raise RuntimeError(_FP16_MESSAGE)
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                UserWarning,
                stacklevel=2,
            )
        elif self.device == "cuda":
            warnings.warn(
                "CUDA is not available or torch_xla is imported. Disabling autocast.",
                UserWarning,
                stacklevel=2,
            )
        self._enabled = False

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Always ``False``: ndgrad never autocasts."""
    return False


def custom_fwd(
    fwd: Callable | None = None, *, device_type: str, cast_inputs: Any = None
) -> Callable:
    """Decorator for ``autograd.Function.forward``: runs it unchanged (autocast is always off
    in ndgrad, so there is nothing to cast or disable)."""
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorator for ``autograd.Function.backward``: runs it unchanged."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


# ---------------------------------------------------------------------------------------
# GradScaler

_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """Dynamic loss scaling (``torch.amp.GradScaler``).

    Parameters
    ----------
    device : str
        ``"cuda"`` (default) or ``"cpu"``. A ``"cuda"`` scaler warns and disables itself, as
        PyTorch's does without CUDA; a disabled scaler is transparent: ``scale`` returns its
        argument, ``step`` calls ``optimizer.step()``, ``update`` and ``unscale_`` do nothing.
    init_scale, growth_factor, backoff_factor, growth_interval, enabled
        As PyTorch's: the loss is multiplied by the scale; gradients are divided by it before
        the step, which is skipped (and the scale multiplied by ``backoff_factor``) when they
        hold an inf or NaN; after ``growth_interval`` steps without one the scale is
        multiplied by ``growth_factor``.
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = _check_device_type(device)
        self._enabled = bool(enabled)
        if self._enabled and self._device == "cuda":
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled:
            if not growth_factor > 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if not backoff_factor < 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
            self._init_scale = float(init_scale)
            self._scale = None  # made by the first scale(), as PyTorch's

            self._growth_factor = float(growth_factor)
            self._backoff_factor = float(backoff_factor)
            self._growth_interval = int(growth_interval)
            self._growth_tracker = 0
            self._per_optimizer_states: dict[int, dict] = {}

    # -- scaling ---------------------------------------------------------------------------
    def scale(self, outputs: Any) -> Any:
        """``outputs * scale`` (a Tensor, or Tensors in lists/tuples/iterables); ``outputs``
        itself when disabled."""
        if not self._enabled:
            return outputs
        from .tensor import Tensor

        if self._scale is None:
            self._scale = np.float32(self._init_scale)
        s = Tensor._wrap(np.asarray(self._scale))

        def apply(v):
            if isinstance(v, Tensor):
                return v * s
            if isinstance(v, (list, tuple)):
                out = [apply(x) for x in v]
                return type(v)(out) if isinstance(v, tuple) else out
            if hasattr(v, "__iter__") and not isinstance(v, (str, bytes)):
                return map(apply, v)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _check_scale(self, funcname: str) -> None:
        if self._scale is None:
            raise AssertionError(
                f"Attempted {funcname} but _scale is None.  This may indicate your script did "
                "not use scaler.scale(loss or outputs) earlier in the iteration."
            )

    def _state(self, optimizer) -> dict:
        return self._per_optimizer_states.setdefault(
            id(optimizer), {"stage": _READY, "found_inf": None}
        )

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place, and note whether any is
        inf/NaN. At most once per optimizer between two ``update`` calls."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        self._check_scale("unscale_")
        inv = np.float32(1.0 / np.float64(self._scale))
        found = False
        seen = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g.dtype == _dt.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    seen = True
                    data = g._data
                    data *= inv.astype(data.dtype)
                    g._bump()
                    if not found and not np.all(np.isfinite(data)):
                        found = True
        state["found_inf"] = found if seen else None
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args: Any, **kwargs: Any) -> Any:
        """Unscale (if not done yet), then ``optimizer.step(*args, **kwargs)`` unless a
        gradient is inf/NaN; returns what ``step`` returns (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not state["found_inf"]:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return retval

    def update(self, new_scale: Any = None) -> None:
        """Grow or back off the scale from this iteration's inf checks, or set ``new_scale``."""
        if not self._enabled:
            return
        if new_scale is not None:
            from .tensor import Tensor

            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise ValueError(
                        "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                        "torch.FloatTensor with requires_grad=False."
                    )
                new_scale = new_scale.item()
            self._scale = np.float32(new_scale)
        else:
            self._check_scale("update")
            found = [
                s["found_inf"]
                for s in self._per_optimizer_states.values()
                if s["found_inf"] is not None
            ]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale = np.float32(self._scale * self._backoff_factor)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = np.float32(self._scale * self._growth_factor)
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer_states = {}

    # -- queries and state -----------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale)

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        """``{}`` when disabled; else the scale, the schedule and the growth tracker."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        self._scale = np.float32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
