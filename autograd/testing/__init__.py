"""Tools for checking the gradients of your own ops and layers.

Hypothesis strategies (``tensors``, ``shapes``, ``broadcastable_shapes``, ``dims``, ``arrays``)
to draw inputs, and ``check_function`` / ``check_module`` / ``check_precision`` to check them.
"""

from .check import GradReport, Mismatch, check_function, check_module, check_precision
from .strategies import arrays, broadcastable_shapes, dims, shapes, tensors

__all__ = [
    "arrays",
    "broadcastable_shapes",
    "dims",
    "shapes",
    "tensors",
    "check_function",
    "check_module",
    "check_precision",
    "GradReport",
    "Mismatch",
]
