"""``autograd.linalg``: the ``torch.linalg`` namespace."""

from .ops.linalg import cholesky, det, inv, matrix_norm, solve, vector_norm
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_norm as norm

__all__ = ["cholesky", "cross", "det", "inv", "matrix_norm", "norm", "solve", "vector_norm"]
