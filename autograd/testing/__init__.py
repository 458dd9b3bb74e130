"""Tools for checking gradients of your own ops and layers (hypothesis strategies, checks)."""

from .strategies import arrays, broadcastable_shapes, dims, shapes, tensors

__all__ = ["arrays", "broadcastable_shapes", "dims", "shapes", "tensors"]
