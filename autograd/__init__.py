"""ndgrad's ``autograd``: the ``torch`` namespace. Re-exports only."""

from . import dtypes as _dtypes
from . import linalg, profiler, viz
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .compiler import compile
from .dtypes import (
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

dtype = type(float32)
__version__ = "0.1.0"
