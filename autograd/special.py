"""``autograd.special``: the ``torch.special`` namespace.

Most entries are the ops ``autograd`` already has, under ``torch.special``'s names (``expit`` is
``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is ``digamma``, ``multigammaln`` is
``mvlgamma``, ...); ``xlog1py`` and ``entr`` exist only here, as in PyTorch. Each function takes
``out=`` as its ``torch`` counterpart does.

Not provided yet (each needs an accurate NumPy-only series or continued fraction): ``erfc``,
``erfcx``, ``ndtr``, ``ndtri``, ``log_ndtr``, the Bessel functions (``i0``, ``i0e``, ``i1``,
``i1e``, ``bessel_j0``, ...), ``gammainc``/``gammaincc``, ``zeta``, ``airy_ai`` and the
orthogonal polynomials.
"""

from __future__ import annotations

from . import ops as _ops
from .ops import elementwise as _E
from .ops._registry import with_out as _with_out

expit = _ops.sigmoid
logit = _ops.logit
erf = _ops.erf
erfinv = _ops.erfinv
exp2 = _ops.exp2
expm1 = _ops.expm1
log1p = _ops.log1p
round = _ops.round  # noqa: A001
sinc = _ops.sinc
xlogy = _ops.xlogy
gammaln = _ops.lgamma
digamma = _ops.digamma
psi = _ops.digamma
polygamma = _ops.polygamma
multigammaln = _ops.mvlgamma
logsumexp = _ops.logsumexp
xlog1py = _with_out("xlog1py", _E.xlog1py)
entr = _with_out("entr", _E.entr)


def softmax(input, dim: int, *, dtype=None):  # noqa: A002
    """``torch.special.softmax``: :func:`autograd.softmax` with ``dim`` required."""
    return _ops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim: int, *, dtype=None):  # noqa: A002
    """``torch.special.log_softmax``: :func:`autograd.log_softmax` with ``dim`` required."""
    return _ops.log_softmax(input, dim, dtype=dtype)


__all__ = [
    "digamma", "entr", "erf", "erfinv", "exp2", "expit", "expm1", "gammaln", "log1p",
    "log_softmax", "logit", "logsumexp", "multigammaln", "polygamma", "psi", "round", "sinc",
    "softmax", "xlog1py", "xlogy",
]  # fmt: skip
