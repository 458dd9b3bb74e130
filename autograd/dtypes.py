"""Dtype objects, the default dtype and PyTorch's type-promotion rules, in one place.

The dtypes are plain :class:`numpy.dtype` objects, so ``t.dtype == autograd.float32`` and
``t.numpy().dtype == t.dtype`` both hold.
"""

from __future__ import annotations

import builtins as _b

import numpy as np

_pyfloat, _pyint, _pybool = _b.float, _b.int, _b.bool

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001 - mirrors torch.float
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001 - mirrors torch.int
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 - mirrors torch.bool


class _MissingDtype:
    """A PyTorch dtype NumPy has no counterpart for (``bfloat16``).

    The name exists, as in PyTorch, because scripts name it without using it: nanoGPT's
    ``{'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}[dtype]``
    builds the whole dict before looking ``'float16'`` up. Using it as a dtype raises a
    ``TypeError`` that says why (``np.dtype(x)`` reads ``x.dtype``)."""

    __slots__ = ("name", "why")
    is_floating_point = True
    is_complex = False
    is_signed = True
    itemsize = 2

    def __init__(self, name: str, why: str) -> None:
        self.name, self.why = name, why

    def __repr__(self) -> str:
        return f"autograd.{self.name}"

    @property
    def dtype(self):
        raise TypeError(f"unsupported dtype autograd.{self.name}: {self.why}")


bfloat16 = _MissingDtype(
    "bfloat16",
    "NumPy has no bfloat16 dtype (use float16 or float32; autocast runs in float32 "
    "with enabled=False)",
)

_SUPPORTED = {float16, float32, float64, int8, uint8, int16, int32, int64, bool}
_FLOATS = (float16, float32, float64)

_default_float = float32


def set_default_dtype(d) -> None:
    """Set the dtype that Python floats and float factories produce (float32 or float64)."""
    global _default_float
    d = np.dtype(d)
    if d not in _FLOATS:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def get_default_dtype() -> np.dtype:
    """Return the current default floating dtype (float32 unless changed)."""
    return _default_float


def to_dtype(d) -> np.dtype:
    """Normalise a dtype-like (``autograd.float32``, ``np.float64``, ``'float32'``, ``float``)."""
    if d is None:
        return None
    if d is _pyfloat:
        return _default_float
    if d is _pyint:
        return int64
    if d is _pybool:
        return bool
    if isinstance(d, _MissingDtype):
        raise TypeError(f"unsupported dtype {d!r}: {d.why}")
    try:
        d = np.dtype(d)
    except TypeError:
        raise TypeError(f"unsupported dtype {d!r}") from None
    if d not in _SUPPORTED:
        raise TypeError(f"unsupported dtype {d}")
    return d


def is_floating(d) -> _b.bool:
    return d.kind == "f"


def _category(d) -> _b.int:
    k = d.kind
    # complex ranks above float (as in PyTorch) so that the complex-step check of
    # autograd.testing can run forwards on complex arrays
    return 3 if k == "c" else 2 if k == "f" else (1 if k in "iu" else 0)


def scalar_dtype(v) -> np.dtype:
    """The dtype PyTorch gives a Python number: bool, int64, or the default float."""
    if isinstance(v, _pybool):
        return bool
    if isinstance(v, _pyint):
        return int64
    return _default_float


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion of two dtypes: within a category (bool < int < float < complex)
    as NumPy; across categories the higher category's dtype (``int64`` with ``float32`` gives
    ``float32``, not NumPy's ``float64``), except float with complex, which NumPy's rule
    matches (``complex64`` with ``float64`` gives ``complex128``)."""
    ca, cb = _category(a), _category(b)
    if ca == cb or min(ca, cb) >= 2:
        return np.promote_types(a, b)
    return a if ca > cb else b


def result_type(operands) -> np.dtype:
    """PyTorch's result dtype for ``operands`` (arrays with ``ndim`` and Python numbers).

    Dimensioned arrays take precedence over 0-d arrays, which take precedence over Python
    scalars; a lower group only wins when its category (bool < int < float) is higher, and
    then a Python scalar contributes the default dtype of its category.
    """
    dim_t = zero_t = scal = None
    for v in operands:
        if isinstance(v, np.ndarray):
            if v.ndim:
                dim_t = v.dtype if dim_t is None else promote_types(dim_t, v.dtype)
            else:
                zero_t = v.dtype if zero_t is None else promote_types(zero_t, v.dtype)
        elif isinstance(v, np.generic):
            zero_t = v.dtype if zero_t is None else promote_types(zero_t, v.dtype)
        else:
            d = scalar_dtype(v)
            if scal is None or _category(d) > _category(scal):
                scal = d
    res = dim_t
    for cand in (zero_t, scal):
        if cand is None:
            continue
        if res is None or _category(cand) > _category(res):
            res = cand
    return res
