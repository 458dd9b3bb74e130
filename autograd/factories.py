"""Tensor factories: ``tensor``, ``zeros``, ``randn``, ... with PyTorch's dtype rules.

Python floats and float lists make tensors of the default float dtype (float32); Python ints
make int64; bools make bool; NumPy arrays keep their dtype.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as _dt
from .devices import _check_device
from .random import _rng, draw
from .tensor import Tensor


def _infer_dtype(data) -> np.dtype:
    """The dtype PyTorch infers for nested Python data."""
    kind = 0  # 0 bool, 1 int, 2 float

    stack = [data]
    seen_any = False
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            return None  # handled by the caller
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "f":
                kind = 2
            elif v.dtype.kind in "iu":
                kind = builtins.max(kind, 1)
            seen_any = True
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (builtins.bool, np.bool_)):
            seen_any = True
        elif isinstance(v, (builtins.int, np.integer)):
            kind = builtins.max(kind, 1)
            seen_any = True
        elif isinstance(v, (builtins.float, np.floating)):
            kind = 2
            seen_any = True
        else:
            raise TypeError(f"tensor(): could not infer dtype of {type(v).__name__}")
    if not seen_any:
        return _dt.get_default_dtype()  # empty lists are float, as in PyTorch
    return (_dt.bool, _dt.int64, _dt.get_default_dtype())[kind]


def _to_array(data, dtype=None, copy=True) -> np.ndarray:
    if isinstance(data, Tensor):
        arr = data._data
        if dtype is not None:
            return arr.astype(dtype, copy=copy)
        return arr.copy() if copy else arr
    if isinstance(data, np.ndarray):
        if dtype is None:
            dtype = data.dtype
            if dtype.kind == "f" and dtype not in _dt._FLOATS:
                dtype = _dt.float64
            if dtype.kind not in "fiub":
                raise TypeError(
                    f"can't convert np.ndarray of type {data.dtype}; the supported "
                    "types are float64, float32, float16, int64, int32, int16, "
                    "int8, uint8, and bool"
                )
        return np.array(data, dtype=dtype, copy=copy)
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype or data.dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat_iter(data)):
        data = _tensors_to_lists(data)
    if dtype is None:
        dtype = _infer_dtype(data)
    try:
        return np.array(data, dtype=dtype)
    except ValueError as e:
        raise ValueError(f"tensor(): could not build a tensor from the data: {e}") from None


def _flat_iter(data):
    for v in data:
        if isinstance(v, (list, tuple)):
            yield from _flat_iter(v)
        else:
            yield v


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        if data.numel() != 1 and data.ndim != 0:
            return data._data
        return data._data
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(v) for v in data]
    return data


def tensor(
    data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """Make a new leaf tensor holding a copy of ``data``.

    Parameters
    ----------
    data : array_like
        Nested lists/tuples of numbers, a NumPy array, a scalar or a Tensor.
    dtype : dtype, optional
        Defaults to the dtype PyTorch infers (float32 for floats, int64 for ints).
    requires_grad : bool
        Record operations on the tensor for backward (floating dtypes only).
    """
    if device is not None:
        _check_device(device, "tensor()")
    arr = _to_array(data, _dt.to_dtype(dtype), copy=True)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with ``data`` when it already is a suitable array."""
    if device is not None:
        _check_device(device, "as_tensor()")
    dtype = _dt.to_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype == data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype == data.dtype):
        return Tensor._wrap(_to_array(data, dtype, copy=False))
    return Tensor._wrap(_to_array(data, dtype, copy=False))


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "fiub":
        raise TypeError(f"can't convert np.ndarray of type {ndarray.dtype}")
    return Tensor._wrap(ndarray)


def _size(size, name: str) -> tuple:
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        size = tuple(size[0])
    out = []
    for s in size:
        try:
            s = int(s)
        except (TypeError, ValueError):
            raise TypeError(f"{name}(): size must be a sequence of ints, got {size!r}") from None
        if s < 0:
            raise RuntimeError(
                f"{name}(): Trying to create tensor with negative dimension {s}: {list(size)}"
            )
        out.append(s)
    return tuple(out)


def _finish(arr: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    if device is not None:
        _check_device(device, "the device= argument")
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return _dt.to_dtype(dtype) or _dt.get_default_dtype()


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_size(size, "zeros"), _float_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_size(size, "ones"), _float_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_size(size, "empty"), _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dt.scalar_dtype(fill_value)
    return _finish(
        np.full(_size((size,), "full"), fill_value, _dt.to_dtype(dtype)), requires_grad, device
    )


def eye(
    n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 for integer arguments, else the
    default float dtype."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if dtype is None:
        dtype = (
            _dt.int64
            if all(isinstance(v, (builtins.int, np.integer)) for v in vals)
            else _dt.get_default_dtype()
        )
    return _finish(np.arange(*vals, dtype=_dt.to_dtype(dtype)), requires_grad, device)


def linspace(
    start, end, steps: int, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, device)


def logspace(
    start,
    end,
    steps: int,
    base: float = 10.0,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(
        np.logspace(start, end, steps, base=base, dtype=_float_dtype(dtype)), requires_grad, device
    )


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    shape, dt = _size(size, "rand"), _float_dtype(dtype)
    arr = draw(generator, lambda r: r.random(shape, dtype=np.float64).astype(dt, copy=False))
    return _finish(arr, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    shape, dt = _size(size, "randn"), _float_dtype(dtype)
    arr = draw(generator, lambda r: r.standard_normal(shape).astype(dt, copy=False))
    return _finish(arr, requires_grad, device)


def randint(
    low,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` also works, as in PyTorch."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    arr = _rng(generator).integers(low, high, _size((size,), "randint"))
    return _finish(arr.astype(_dt.to_dtype(dtype) or _dt.int64, copy=False), requires_grad, device)


def randperm(
    n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    arr = _rng(generator).permutation(n)
    return _finish(arr.astype(_dt.to_dtype(dtype) or _dt.int64, copy=False), requires_grad, device)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or floats with ``size``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is not None:
        shape = _size((size,), "normal")
    else:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    arr = m + s * _rng(generator).standard_normal(shape)
    if dtype is None:
        dtype = (
            mean.dtype
            if isinstance(mean, Tensor)
            else std.dtype
            if isinstance(std, Tensor)
            else _dt.get_default_dtype()
        )
    return _finish(np.asarray(arr, dtype=_dt.to_dtype(dtype)), requires_grad, device)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:  # noqa: A002
    probs = input._data if p is None else np.full(input.shape, p)
    arr = (_rng(generator).random(probs.shape) < probs).astype(input.dtype)
    return Tensor._wrap(arr)


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator=None
) -> Tensor:
    """Draw indices with probabilities proportional to the rows of ``input``."""
    w = np.asarray(input._data, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {w.ndim}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise RuntimeError(
            "invalid multinomial distribution (encountering probability entry < 0 or inf or nan)"
        )
    rows = w.reshape(-1, w.shape[-1])
    g = _rng(generator)
    out = []
    for r in rows:
        tot = r.sum()
        if tot <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out.append(g.choice(len(r), size=num_samples, replace=True, p=r / tot))
        else:
            if num_samples > np.count_nonzero(r):
                raise RuntimeError(
                    "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
                )
            keys = np.log(g.random(len(r))) / np.where(r > 0, r, 1)
            keys[r == 0] = -np.inf
            out.append(np.argsort(-keys, kind="stable")[:num_samples])
    res = np.stack(out).astype(np.int64)
    return Tensor._wrap(res if w.ndim == 2 else res[0])


def _like(name, fn):
    def like(input: Tensor, *, dtype=None, requires_grad: bool = False, **kw) -> Tensor:  # noqa: A002
        device = kw.pop("device", None)
        if device is not None:
            _check_device(device, f"{name}()")
        kw.pop("memory_format", None)
        d = _dt.to_dtype(dtype) or input.dtype
        return fn(input.shape, d, requires_grad, **kw)

    like.__name__ = name
    like.__doc__ = f"``{name}(input)``: like the matching factory, with input's shape and dtype."
    return like


zeros_like = _like("zeros_like", lambda s, d, rg: _finish(np.zeros(s, d), rg))
ones_like = _like("ones_like", lambda s, d, rg: _finish(np.ones(s, d), rg))
empty_like = _like("empty_like", lambda s, d, rg: _finish(np.empty(s, d), rg))
rand_like = _like(
    "rand_like",
    lambda s, d, rg, generator=None: _finish(draw(generator, lambda r: r.random(s).astype(d)), rg),
)
randn_like = _like(
    "randn_like",
    lambda s, d, rg, generator=None: _finish(
        draw(generator, lambda r: r.standard_normal(s).astype(d)), rg
    ),
)


def full_like(
    input: Tensor,
    fill_value,
    *,
    dtype=None,
    requires_grad: bool = False,  # noqa: A002
    **kw,
) -> Tensor:
    _check_device(kw.get("device"), "full_like()")
    d = _dt.to_dtype(dtype) or input.dtype
    return _finish(np.full(input.shape, fill_value, d), requires_grad)


def randint_like(
    input: Tensor,
    low,
    high=None,
    *,
    dtype=None,
    generator=None,  # noqa: A002
    **kw,
) -> Tensor:
    _check_device(kw.get("device"), "randint_like()")
    if high is None:
        low, high = 0, low
    d = _dt.to_dtype(dtype) or input.dtype
    return Tensor._wrap(_rng(generator).integers(low, high, input.shape).astype(d))


def is_tensor(obj) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:  # noqa: A002
    return input.numel()


def is_floating_point(input: Tensor) -> builtins.bool:  # noqa: A002
    return input.dtype.kind == "f"


__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "eye",
    "arange",
    "linspace",
    "logspace",
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "is_tensor",
    "numel",
    "is_floating_point",
]
