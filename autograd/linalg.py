"""``autograd.linalg``: the ``torch.linalg`` namespace."""

from .ops.linalg import cholesky, det, eigh, eigvalsh, inv, matrix_norm, solve, svdvals, vector_norm
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_norm as norm
from .ops.linalg import qr_linalg as qr
from .ops.linalg import svd_linalg as svd

__all__ = [
    "cholesky",
    "cross",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_norm",
    "norm",
    "qr",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
]
