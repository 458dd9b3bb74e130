"""Tools for checking the gradients of your own functions and layers.

- Hypothesis strategies: :func:`tensors`, :func:`shapes`, :func:`broadcastable_shapes`,
  :func:`dims`, :func:`arrays`, :func:`elements` (values kept away from kinks on request).
- :func:`check_function` (plain functions, custom ``autograd.Function``), :func:`check_module`
  (any ``nn.Module``): float64 finite differences, invariants, a diagnosis on failure.
- :func:`check_precision`: a float32 module beside a float64 copy, layer by layer.
"""

from ._report import GradientCheckError, GradientCheckReport, Mismatch
from .checks import check_function, check_module
from .precision import LayerPrecision, PrecisionReport, check_precision
from .strategies import arrays, broadcastable_shapes, dims, elements, shapes, tensors

__all__ = [
    "GradientCheckError",
    "GradientCheckReport",
    "LayerPrecision",
    "Mismatch",
    "PrecisionReport",
    "arrays",
    "broadcastable_shapes",
    "check_function",
    "check_module",
    "check_precision",
    "dims",
    "elements",
    "shapes",
    "tensors",
]

for _cls in (GradientCheckError, GradientCheckReport, Mismatch, LayerPrecision, PrecisionReport):
    _cls.__module__ = __name__  # tracebacks say autograd.testing.GradientCheckError
del _cls
