"""Flatten parameters into one vector and back, as ``torch.nn.utils.convert_parameters``."""

from __future__ import annotations

from autograd import ops as _ops
from autograd.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable)."""
    if isinstance(parameters, Tensor):
        raise TypeError(f"expected an iterable of Tensors, but got: {type(parameters).__name__}")
    return _ops.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Set the values of ``parameters`` from consecutive slices of the 1-D ``vec``; like
    PyTorch, each parameter's ``data`` becomes a view of ``vec``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if isinstance(parameters, Tensor):
        raise TypeError(f"expected an iterable of Tensors, but got: {type(parameters).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)}, but the parameters hold "
            f"{total} elements"
        )
    data = vec._data
    pointer = 0
    for p in params:
        n = p.numel()
        p._data = data[pointer : pointer + n].reshape(p._data.shape).astype(p.dtype, copy=False)
        pointer += n
