"""Tools for checking the gradients of your own functions and layers: hypothesis strategies,
``check_function``, ``check_module`` and ``check_precision``."""

from ._report import GradientCheckError, GradientCheckReport, Mismatch
from .checks import check_function, check_module
from .strategies import arrays, broadcastable_shapes, dims, shapes, tensors

__all__ = [
    "GradientCheckError",
    "GradientCheckReport",
    "Mismatch",
    "arrays",
    "broadcastable_shapes",
    "check_function",
    "check_module",
    "dims",
    "shapes",
    "tensors",
]
