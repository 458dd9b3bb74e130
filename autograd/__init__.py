"""ndgrad's ``autograd``: the ``torch`` namespace. Re-exports only.

``import autograd as torch`` is all a PyTorch script changes: ``torch.nn``, ``torch.optim``,
``torch.utils.data``, ``torch.autograd``, ``torch.cuda``, ... load on first use (NOTE [ The
torch namespace ] in ``_aliases.py``); ``import autograd`` itself imports no layer code.
"""

import math as _math

import numpy as _np

from . import _aliases, amp, fft, linalg, profiler, special, viz
from . import dtypes as _dtypes
from ._printing import get_printoptions, set_printoptions
from .amp import autocast, is_autocast_enabled
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .compiler import compile
from .devices import device, get_default_device, set_default_device
from .dtypes import (
    bfloat16,
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .engine import backward, grad
from .factories import *
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .numerics import (
    are_deterministic_algorithms_enabled,
    broadcast_shapes,
    can_cast,
    finfo,
    get_num_interop_threads,
    get_num_threads,
    iinfo,
    is_deterministic_algorithms_warn_only_enabled,
    promote_types,
    result_type,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from .ops import *
from .ops import __all__ as _ops_all  # noqa: F401
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .serialization import SerializationError, load, save
from .tensor import Size, Tensor

#: the class of the dtype objects (``isinstance(autograd.float32, autograd.dtype)``).
dtype = _np.dtype
inf = _math.inf
nan = _math.nan
pi = _math.pi
e = _math.e
newaxis = None
__version__ = "0.1.0"

_aliases.install()

from . import _docs  # noqa: E402 - docstrings of the ops, which cannot carry their own

_docs.install()

# Loaded on first use (PEP 562): the aliases of NOTE [ The torch namespace ] and the
# submodules that scripts reach as ``torch.<name>`` without importing them.
_LAZY = frozenset(
    {
        "nn",
        "optim",
        "utils",
        "autograd",
        "cuda",
        "backends",
        "accelerator",
        "distributions",
        "distributed",
        "profiler",
        "testing",
        "onnx",
        "jit",
        "return_types",
    }
)


_MATMUL_PRECISION = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """Record ``precision`` (``"highest"``, ``"high"`` or ``"medium"``), as PyTorch does.

    NumPy computes float32 matmuls in float32 whatever is asked (there are no TF32 or bfloat16
    kernels to choose), so the setting changes no result; an unknown value warns and is ignored,
    as in PyTorch."""
    global _MATMUL_PRECISION
    if precision not in ("highest", "high", "medium"):
        import warnings

        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _MATMUL_PRECISION = precision


def get_float32_matmul_precision() -> str:
    """The value last given to :func:`set_float32_matmul_precision` (``"highest"`` at first)."""
    return _MATMUL_PRECISION


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
