"""Discrete Fourier transforms: the ``torch.fft`` functions over ``numpy.fft``.

Every transform is one of PyTorch's three kernels, each a graph node with PyTorch's backward
(``fft_r2c_backward``, ``fft_c2r_backward`` and the C2C adjoint in
``torch/csrc/autograd/FunctionsManual.cpp``):

* ``FftR2CBackward0``: real in, complex out (``rfft*``; ``fft*``/``ifft*`` of a real input);
* ``FftC2CBackward0``: complex in, complex out (``fft*``/``ifft*`` of a complex input);
* ``FftC2RBackward0``: complex in, real out (``irfft*``).

The adjoint of a transform with ``norm`` is the opposite-direction transform with the dual
``norm`` (``'backward'`` <-> ``'forward'``, ``'ortho'`` itself); the zero-padding or truncation
to ``n``/``s`` is undone on the gradient. Gradients follow PyTorch's convention for complex
tensors (the gradient of a real loss ``L`` with respect to ``z`` is ``dL/dRe z + i dL/dIm z``).

NOTE [ Complex results and the engine ] The op dispatch records a node only for a floating
point result, so complex intermediates are recorded here, by the transforms themselves: a
complex result of a transform carries its ``grad_fn``. Elementwise ops on complex tensors
(``*``, ``+``) do not record (their VJPs do not conjugate), so the differentiable paths are
transform chains and a real reduction that handles complex inputs (``abs``): e.g.
``rfft(x).abs().sum()`` and ``irfft(rfft(x)).sum()`` have gradients; ``irfft(rfft(x) * h)``
does not (``rfft(x) * h`` does not require grad). The backward itself runs in NumPy (first
order: ``create_graph=True`` does not differentiate a transform again).

Output dtypes are PyTorch's: ``float32`` (and integer inputs, promoted to the default float
dtype) gives ``complex64``, ``float64`` gives ``complex128``; ``irfft*`` gives the matching real
dtype.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt

_NORMS = {None: "backward", "backward": "backward", "forward": "forward", "ortho": "ortho"}
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}
_COMPLEX = {
    np.dtype(np.float32): np.dtype(np.complex64),
    np.dtype(np.float64): np.dtype(np.complex128),
}
_REAL = {
    np.dtype(np.complex64): np.dtype(np.float32),
    np.dtype(np.complex128): np.dtype(np.float64),
}


def _norm(norm):
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return _NORMS[norm]


def _torch_name(dt):
    from ._registry import _torch_dtype_name

    return _torch_dtype_name(dt)


def _float_data(x):
    """The input's array in a floating or complex dtype PyTorch's FFTs use."""
    a = x._data
    k = a.dtype.kind
    if k in "biu":
        return a.astype(_dt.get_default_dtype())
    if a.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    return a


def _resize(a, axes, sizes):
    """Zero-pad or truncate ``a`` along ``axes`` to ``sizes``."""
    sl = [slice(None)] * a.ndim
    pad = [(0, 0)] * a.ndim
    for ax, n in zip(axes, sizes):
        if a.shape[ax] > n:
            sl[ax] = slice(0, n)
        elif a.shape[ax] < n:
            pad[ax] = (0, n - a.shape[ax])
    a = a[tuple(sl)]
    if any(p != (0, 0) for p in pad):
        a = np.pad(a, pad)
    return a


def _fwd(kind, a, axes, sizes, norm, inverse):
    """The transform as NumPy computes it (``sizes``: the signal sizes along ``axes``)."""
    if kind == "c2r":
        return np.fft.irfftn(a, s=sizes, axes=axes, norm=norm)
    a = _resize(a, axes, sizes)
    if kind == "r2c_onesided":
        return np.fft.rfftn(a, axes=axes, norm=norm)
    return (np.fft.ifftn if inverse else np.fft.fftn)(a, axes=axes, norm=norm)


def _bwd(kind, g, in_shape, in_dtype, axes, sizes, norm, inverse):
    """PyTorch's backward of ``_fwd`` for the output gradient ``g``."""
    dual = _DUAL[norm]
    if kind == "c2r":
        # fft_c2r_backward: rfft of the gradient, entries whose mirror image is outside the
        # one-sided half counted twice
        gi = np.fft.rfftn(g, axes=axes, norm=dual)
        n = sizes[-1]
        double = n - gi.shape[axes[-1]]
        if double > 0:
            sl = [slice(None)] * gi.ndim
            sl[axes[-1]] = slice(1, 1 + double)
            gi[tuple(sl)] *= 2
        gi = _resize(gi, axes, [in_shape[ax] for ax in axes])
        return gi.astype(in_dtype, copy=False)
    if kind == "r2c_onesided":
        # fft_r2c_backward: zero-fill the other half, inverse C2C, real part
        g = _resize(g, axes[-1:], sizes[-1:])
        gi = np.fft.ifftn(g, axes=axes, norm=dual).real
    else:
        gi = (np.fft.fftn if inverse else np.fft.ifftn)(g, axes=axes, norm=dual)
        if kind == "r2c":
            gi = gi.real
    gi = _resize(gi, axes, [in_shape[ax] for ax in axes])
    return gi.astype(in_dtype, copy=False)


_NODE_NAMES = {"c2r": "FftC2RBackward0", "c2c": "FftC2CBackward0"}


def _fn():
    global _FFT
    if _FFT is not None:
        return _FFT
    from ..function import Function

    class Fft(Function):
        @staticmethod
        def forward(ctx, x, a, kind, axes, sizes, norm, inverse):
            from ..tensor import Tensor

            ctx.meta = (kind, tuple(x.shape), a.dtype, axes, sizes, norm, inverse)
            out = _fwd(kind, a, axes, sizes, norm, inverse)
            target = _REAL[_COMPLEX[a.dtype] if a.dtype.kind == "f" else a.dtype]
            if kind != "c2r":
                target = _COMPLEX[target]
            return Tensor._wrap(out.astype(target, copy=False))

        @staticmethod
        def backward(ctx, g):
            from ..tensor import Tensor

            kind, shape, dtype, axes, sizes, norm, inverse = ctx.meta
            gd = g._data if isinstance(g, Tensor) else np.asarray(g)
            gi = _bwd(kind, gd, shape, dtype, axes, sizes, norm, inverse)
            return (Tensor._wrap(gi),) + (None,) * 6

    _FFT = Fft
    return Fft


_FFT = None


def _apply(x, a, kind, axes, sizes, norm, inverse):
    """Run the transform and record its node, complex result included (NOTE [ Complex results
    and the engine ])."""
    from ..function import FunctionCtx, _make_node
    from ..grad_mode import _state

    Fft = _fn()  # noqa: N806
    if _state.hooks and _state._recorder is not None:
        # a replay cannot carry a complex result's node: the compiled function runs eagerly
        _state._recorder.untraceable(None, "an FFT (a complex result)")
    ctx = FunctionCtx()
    ctx._cls = Fft
    args = (x, a, kind, axes, sizes, norm, inverse)
    ctx.needs_input_grad = (x._rg,) + (False,) * 6
    out = Fft.forward(ctx, *args)
    if _state.grad and x._rg:
        node = _make_node(Fft, ctx, args, (out,))
        node.label = _NODE_NAMES.get(kind, "FftR2CBackward0")
        out.grad_fn = node
        out._rg = True
        out._oi = 0
    return out


def _sizes_axes(x, s, dim, name, default_all, real_last=None):
    """The (axes, signal sizes) of an n-dimensional transform, checked as PyTorch does."""
    from .shape import wrap_dim

    nd = x.ndim
    if dim is None:
        if s is not None:
            axes = tuple(range(nd - len(s), nd))
        else:
            axes = tuple(range(nd)) if default_all else tuple(range(nd - 2, nd))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(wrap_dim(d, nd, name) for d in dims)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{name} dims must be unique")
    if s is not None:
        s = tuple(int(v) for v in s)
        if len(s) != len(axes):
            raise RuntimeError(
                f"When given, dim and shape arguments must have the same length (got "
                f"{len(axes)} and {len(s)})"
            )
        sizes = [x.shape[ax] if v == -1 else v for ax, v in zip(axes, s)]
    else:
        sizes = [x.shape[ax] for ax in axes]
        if real_last is not None and axes:
            sizes[-1] = real_last(x.shape[axes[-1]])
    for v in sizes:
        if v < 1:
            raise RuntimeError(f"Invalid number of data points ({v}) specified")
    return axes, sizes


def _one_dim(n, dim):
    return (None if n is None else (n,)), (dim,)


def _c2c_or_r2c(x, s, dim, norm, name, inverse, default_all):
    norm = _norm(norm)
    axes, sizes = _sizes_axes(x, s, dim, name, default_all)
    a = _float_data(x)
    kind = "c2c" if a.dtype.kind == "c" else "r2c"
    return _apply(x, a, kind, axes, sizes, norm, inverse)


def _r2c(x, s, dim, norm, name, default_all):
    norm = _norm(norm)
    a = _float_data(x)
    if a.dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got {_torch_name(a.dtype)}")
    axes, sizes = _sizes_axes(x, s, dim, name, default_all)
    return _apply(x, a, "r2c_onesided", axes, sizes, norm, False)


def _c2r(x, s, dim, norm, name, default_all):
    norm = _norm(norm)
    a = _float_data(x)
    if a.dtype.kind != "c":
        a = a.astype(_COMPLEX[a.dtype])
    axes, sizes = _sizes_axes(x, s, dim, name, default_all, real_last=lambda m: 2 * (m - 1))
    return _apply(x, a, "c2r", axes, sizes, norm, True)


# ---------------------------------------------------------------------------------------
# public functions (``autograd.fft``)


def fft(input, n: int | None = None, dim: int = -1, norm: str | None = None):  # noqa: A002
    """One-dimensional DFT along ``dim`` (``input`` zero-padded or truncated to ``n``)."""
    s, d = _one_dim(n, dim)
    return _c2c_or_r2c(input, s, d, norm, "fft", False, False)


def ifft(input, n: int | None = None, dim: int = -1, norm: str | None = None):  # noqa: A002
    """One-dimensional inverse DFT along ``dim``."""
    s, d = _one_dim(n, dim)
    return _c2c_or_r2c(input, s, d, norm, "ifft", True, False)


def rfft(input, n: int | None = None, dim: int = -1, norm: str | None = None):  # noqa: A002
    """DFT of a real input: the ``n // 2 + 1`` non-negative frequencies along ``dim``."""
    s, d = _one_dim(n, dim)
    return _r2c(input, s, d, norm, "rfft", False)


def irfft(input, n: int | None = None, dim: int = -1, norm: str | None = None):  # noqa: A002
    """Inverse of :func:`rfft`: a real signal of length ``n`` (default ``2 * (m - 1)``)."""
    s, d = _one_dim(n, dim)
    return _c2r(input, s, d, norm, "irfft", False)


def fft2(input, s=None, dim=(-2, -1), norm: str | None = None):  # noqa: A002
    """Two-dimensional DFT over ``dim``."""
    return _c2c_or_r2c(input, s, dim, norm, "fftn", False, False)


def ifft2(input, s=None, dim=(-2, -1), norm: str | None = None):  # noqa: A002
    """Two-dimensional inverse DFT over ``dim``."""
    return _c2c_or_r2c(input, s, dim, norm, "ifftn", True, False)


def rfft2(input, s=None, dim=(-2, -1), norm: str | None = None):  # noqa: A002
    """Two-dimensional DFT of a real input (one-sided along the last of ``dim``)."""
    return _r2c(input, s, dim, norm, "rfftn", False)


def irfft2(input, s=None, dim=(-2, -1), norm: str | None = None):  # noqa: A002
    """Inverse of :func:`rfft2`."""
    return _c2r(input, s, dim, norm, "irfftn", False)


def fftn(input, s=None, dim=None, norm: str | None = None):  # noqa: A002
    """N-dimensional DFT over ``dim`` (default: all dims, or the last ``len(s)``)."""
    return _c2c_or_r2c(input, s, dim, norm, "fftn", False, True)


def ifftn(input, s=None, dim=None, norm: str | None = None):  # noqa: A002
    """N-dimensional inverse DFT."""
    return _c2c_or_r2c(input, s, dim, norm, "ifftn", True, True)


def rfftn(input, s=None, dim=None, norm: str | None = None):  # noqa: A002
    """N-dimensional DFT of a real input (one-sided along the last of ``dim``)."""
    return _r2c(input, s, dim, norm, "rfftn", True)


def irfftn(input, s=None, dim=None, norm: str | None = None):  # noqa: A002
    """Inverse of :func:`rfftn`."""
    return _c2r(input, s, dim, norm, "irfftn", True)


def _freq(values, dtype, requires_grad):
    from ..tensor import Tensor

    dt = _dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    return Tensor._wrap(values.astype(dt), requires_grad=requires_grad)


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad: bool = False):
    """The sample frequencies of :func:`fft` of length ``n`` and sample spacing ``d``."""
    from ..devices import _check_device

    _check_device(device)
    return _freq(np.fft.fftfreq(n, d), dtype, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad: bool = False):
    """The sample frequencies of :func:`rfft` of length ``n`` and sample spacing ``d``."""
    from ..devices import _check_device

    _check_device(device)
    return _freq(np.fft.rfftfreq(n, d), dtype, requires_grad)


def _shift(input, dim, sign):  # noqa: A002
    from .shape import roll, wrap_dim

    dims = tuple(range(input.ndim)) if dim is None else (dim,) if isinstance(dim, int) else dim
    dims = tuple(wrap_dim(d, input.ndim, "fftshift") for d in dims)
    shifts = tuple((input.shape[d] // 2) if sign > 0 else -(input.shape[d] // 2) for d in dims)
    if input.dtype.kind == "c":
        from ..tensor import Tensor

        return Tensor._wrap(np.roll(input._data, shifts, dims))
    return roll(input, shifts, dims)


def fftshift(input, dim=None):  # noqa: A002
    """Move the zero frequency to the centre (a ``roll`` by ``size // 2`` along ``dim``)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):  # noqa: A002
    """Inverse of :func:`fftshift`."""
    return _shift(input, dim, -1)
