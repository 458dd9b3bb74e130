"""``autograd.autograd``: the ``torch.autograd`` namespace (``import autograd as torch`` then
``torch.autograd.grad``, ``torch.autograd.Function``, ``torch.autograd.functional.jacobian``).
Re-exports only, plus :mod:`.functional`."""

from __future__ import annotations

from ..anomaly import detect_anomaly, set_detect_anomaly
from ..engine import backward, grad
from ..function import Function, FunctionCtx, once_differentiable
from ..grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ..gradcheck import gradcheck, gradgradcheck
from ..tensor import Tensor
from . import functional


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """PyTorch's deprecated ``Variable(t)``: returns a tensor, as PyTorch does since 0.4
    (``t`` itself, or a detached alias asking for gradients when ``requires_grad=True``)."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if requires_grad and not data.requires_grad:
        return data.detach().requires_grad_(True)
    return data


def __getattr__(name: str):
    # ``torch.autograd.profiler`` is ``autograd.profiler`` (loaded on first use).
    if name == "profiler":
        import importlib

        return importlib.import_module("autograd.profiler")
    raise AttributeError(f"module 'autograd.autograd' has no attribute {name!r}")


__all__ = [
    "Function",
    "FunctionCtx",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
