"""``autograd.jit``: TorchScript's decorators, as the identity.

Model code marks helpers ``@torch.jit.script`` (fused activations) or asks
``torch.jit.is_scripting()`` before a Python-only branch. ndgrad runs everything eagerly, and a
scripted function computes what the Python one does, so :func:`script` and :func:`trace` hand
their argument back unchanged, :func:`ignore`/:func:`unused`/:func:`export` are no-op
decorators, and :func:`is_scripting`/:func:`is_tracing` answer ``False``. Saving or loading a
TorchScript archive raises, naming why.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "Final",
    "annotate",
    "export",
    "ignore",
    "is_scripting",
    "is_tracing",
    "load",
    "save",
    "script",
    "trace",
    "unused",
]


def script(
    obj: Any,
    optimize: Any = None,
    _frames_up: int = 0,
    _rcb: Any = None,
    example_inputs: Any = None,
) -> Any:
    """Return ``obj`` unchanged: ndgrad runs eagerly, so the Python function is the compiled one."""
    return obj


def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """Return ``func`` unchanged (a trace of an eager function computes what the function does)."""
    return func


def is_scripting() -> bool:
    """Always ``False``: nothing is ever being scripted."""
    return False


def is_tracing() -> bool:
    """Always ``False``: nothing is ever being traced."""
    return False


def _identity_decorator(fn: Any = None, **kwargs: Any) -> Any:
    if fn is None or isinstance(fn, bool):  # @ignore(drop=False) / @ignore(True)
        return lambda f: f
    return fn


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """No-op decorator (``@torch.jit.ignore`` and ``@torch.jit.ignore(drop=...)``)."""
    return _identity_decorator(drop, **kwargs)


def unused(fn: Any) -> Any:
    """No-op decorator."""
    return fn


def export(fn: Any) -> Any:
    """No-op decorator."""
    return fn


def annotate(the_type: Any, the_value: Any) -> Any:
    """Return ``the_value`` (the type is for the TorchScript compiler only)."""
    return the_value


def save(m: Any, f: Any, *args: Any, **kwargs: Any) -> None:
    """Raise: there is no TorchScript archive; save ``m.state_dict()`` with ``autograd.save``."""
    raise RuntimeError(
        "autograd.jit.save: ndgrad has no TorchScript (it runs eagerly on NumPy); save "
        "model.state_dict() with autograd.save instead"
    )


def load(f: Any, *args: Any, **kwargs: Any) -> Any:
    """Raise: there is no TorchScript archive to load."""
    raise RuntimeError(
        "autograd.jit.load: ndgrad has no TorchScript (it runs eagerly on NumPy); load a "
        "state_dict with autograd.load and model.load_state_dict instead"
    )
