"""``nn.functional.grid_sample`` and ``affine_grid`` (spatial transformer networks).

NOTE [ grid_sample is composed ]
The sampler is written with differentiable ops: the integer corner (or tap) positions come from
the data and carry no gradient, the values are read with ``take`` (whose gradient adds back into
the input with one ``bincount``), and the interpolation weights are polynomials of the
fractional offsets ``ix - floor(ix)``, which carry the gradient to ``grid``. So the gradients
for ``input`` and ``grid`` (and second-order ones) follow from the ops, and they are PyTorch's:
its kernels differentiate the same formulas, with the same conventions written out here:

* ``border``/``reflection`` clip the source coordinate into ``[0, size - 1]``, and a coordinate
  *on* a border counts as clipped (zero gradient), as PyTorch's ``clip_coordinates_set_grad``;
* reflection's slope is ``-1`` left of the reflection axis and ``+1`` from it on;
* ``nearest`` rounds half to even (``nearbyint``) and gives ``grid`` a zero gradient;
* ``bicubic`` (4-D only, as in PyTorch) pads each of the 16 taps, not the coordinate, with
  PyTorch's cubic convolution coefficients (``A = -0.75``).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

import autograd as _ag
from autograd.ops.elementwise import where_p
from autograd.ops.indexing import take_p
from autograd.tensor import Tensor

__all__ = ["grid_sample", "affine_grid"]

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _unnormalize(coord, size: int, align_corners: bool):
    """Map ``[-1, 1]`` to pixel coordinates (PyTorch's ``grid_sampler_unnormalize``)."""
    if align_corners:
        return ((coord + 1) / 2) * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(ix, size: int):
    """Clip into ``[0, size - 1]``; on or past a border the gradient is zero."""
    d = ix._data if isinstance(ix, Tensor) else ix
    inside = (d > 0) & (d < size - 1)
    return where_p(inside, ix, np.clip(d, 0, size - 1))


def _reflect(ix, twice_low: int, twice_high: int):
    """Reflect ``ix`` into ``[twice_low / 2, twice_high / 2]`` (PyTorch's
    ``reflect_coordinates``)."""
    d = ix._data if isinstance(ix, Tensor) else ix
    if twice_low == twice_high:
        return where_p(np.zeros(d.shape, dtype=bool), ix, 0.0)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    off = ix - lo
    od = d - lo
    a = where_p(od < 0, -off, off)
    flips = np.floor(np.abs(od) / span)
    extra = a - (flips * span).astype(d.dtype, copy=False)
    return where_p(flips % 2 == 0, extra + lo, (span + lo) - extra)


def _source_index(coord, size: int, padding_mode: str, align_corners: bool):
    ix = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        return _clip(ix, size)
    if padding_mode == "reflection":
        if align_corners:
            ix = _reflect(ix, 0, 2 * (size - 1))
        else:
            ix = _reflect(ix, -1, 2 * size - 1)
        return _clip(ix, size)
    return ix


def _pad_taps(c: np.ndarray, size: int, padding_mode: str, align_corners: bool) -> np.ndarray:
    """Padding applied to the integer tap positions of bicubic sampling (no gradient)."""
    if padding_mode == "border":
        return np.clip(c, 0, size - 1)
    if padding_mode == "reflection":
        lo2, hi2 = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if lo2 == hi2:
            return np.zeros_like(c)
        lo, span = lo2 / 2, (hi2 - lo2) / 2
        a = np.abs(c - lo)
        flips = np.floor(a / span)
        extra = np.fmod(a, span)
        r = np.where(flips % 2 == 0, extra + lo, span - extra + lo)
        return np.clip(r, 0, size - 1)
    return c


class _Reader:
    """Reads ``input`` (N, C, *S) at integer positions given per spatial dim as (N, P)."""

    def __init__(self, input, sizes):  # noqa: A002
        n, c = input.shape[:2]
        self.sizes = sizes
        self.flat = input.reshape(-1)
        vol = math.prod(sizes)
        self.base = (np.arange(n * c, dtype=np.int64) * vol).reshape(n, c, 1)
        self.strides = [math.prod(sizes[d + 1 :]) for d in range(len(sizes))]

    def __call__(self, idx):
        """Values at ``idx`` (one float array of whole numbers per dim), zero out of range."""
        valid = None
        lin = 0
        for i, size, stride in zip(idx, self.sizes, self.strides):
            ok = (i >= 0) & (i <= size - 1)
            valid = ok if valid is None else valid & ok
            lin = lin + np.where(ok, i, 0).astype(np.int64) * stride
        full = self.base + np.asarray(lin, dtype=np.int64)[:, None, :]
        vals = take_p(self.flat, idx=full, unique=False)  # (N, C, P)
        if valid.all():
            return vals
        return where_p(valid[:, None, :], vals, 0.0)


def _cubic_coefficients(t):
    """PyTorch's ``get_cubic_upsample_coefficients`` (``A = -0.75``) for offsets ``t``."""
    a = -0.75

    def conv1(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    s = 1.0 - t
    return [conv2(t + 1.0), conv1(t), conv1(s), conv2(s + 1.0)]


def _check_grid_sample(input, grid, mode):  # noqa: A002
    for name, v in (("input", input), ("grid", grid)):
        if not isinstance(v, Tensor):
            raise TypeError(
                f"grid_sample(): argument '{name}' must be Tensor, not {type(v).__name__}"
            )
    k = input.ndim - 2
    if grid.ndim == 0 or grid.shape[-1] != k:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {k} in last dimension, but got grid "
            f"with sizes {list(grid.shape)}"
        )
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {i} being empty"
            )
    if input.dtype != grid.dtype:
        from autograd.ops._registry import _torch_dtype_name

        raise RuntimeError(
            f"expected scalar type {_torch_dtype_name(input.dtype)} but found "
            f"{_torch_dtype_name(grid.dtype)}"
        )
    if input.dtype.kind != "f":
        raise RuntimeError(f"grid_sampler(): expected a floating input, got {input.dtype}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def grid_sample(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` at the normalised positions of ``grid``.

    Parameters
    ----------
    input : Tensor
        ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
    grid : Tensor
        ``(N, H_out, W_out, 2)`` or ``(N, D_out, H_out, W_out, 3)``: ``(x, y[, z])`` in
        ``[-1, 1]``, ``x`` indexing the width.
    mode : {'bilinear', 'nearest', 'bicubic'}
        ``'bilinear'`` on 5-D input is trilinear; ``'bicubic'`` needs 4-D input.
    padding_mode : {'zeros', 'border', 'reflection'}
        Values for positions outside the input.
    align_corners : bool, optional
        Whether -1 and 1 are the centres (True) or outer edges (False) of the corner pixels.
        ``None`` warns, as PyTorch does, and means False.

    Returns
    -------
    Tensor
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``.

    Notes
    -----
    Differentiable in ``input`` and ``grid`` (NOTE [ grid_sample is composed ]).
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    _check_grid_sample(input, grid, mode)
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])
    k = len(sizes)
    out_spatial = tuple(grid.shape[1:-1])
    p = math.prod(out_spatial)
    g = grid.reshape(n, p, k)
    # grid's last dim lists (x, y[, z]): x indexes the last spatial dim
    coords = [g[..., k - 1 - d] for d in range(k)]
    read = _Reader(input, sizes)
    if mode == "bicubic":
        out = _bicubic(read, coords, sizes, padding_mode, align_corners)
    else:
        ix = [
            _source_index(cd, size, padding_mode, align_corners) for cd, size in zip(coords, sizes)
        ]
        if mode == "nearest":
            out = read([np.round(i._data) for i in ix])
            if grid.requires_grad and _ag.is_grad_enabled():
                # nearest ignores where inside a pixel it samples: a zero gradient for grid
                finite = np.isfinite(grid._data)
                out = out + (where_p(finite, grid, 0.0) * 0.0).sum().reshape(1, 1, 1)
        else:
            out = _linear(read, ix)
    return out.reshape(n, c, *out_spatial)


def _linear(read, ix):
    """Bilinear (trilinear) interpolation from the 2**k corners around ``ix``."""
    lo = [np.floor(i._data) for i in ix]
    t = [i - f for i, f in zip(ix, lo)]  # the fractional offsets carry grid's gradient
    out = None
    for corner in itertools.product((0, 1), repeat=len(ix)):
        w = None
        for b, td in zip(corner, t):
            wd = td if b else 1.0 - td
            w = wd if w is None else w * wd
        term = read([f + b for f, b in zip(lo, corner)]) * w.unsqueeze(1)
        out = term if out is None else out + term
    return out


def _bicubic(read, coords, sizes, padding_mode, align_corners):
    iy, ix = (_unnormalize(cd, size, align_corners) for cd, size in zip(coords, sizes))
    y0, x0 = np.floor(iy._data), np.floor(ix._data)
    wy = _cubic_coefficients(iy - y0)
    wx = _cubic_coefficients(ix - x0)
    out = None
    for i in range(4):
        yi = _pad_taps(y0 - 1 + i, sizes[0], padding_mode, align_corners)
        row = None
        for j in range(4):
            xj = _pad_taps(x0 - 1 + j, sizes[1], padding_mode, align_corners)
            # PyTorch truncates the padded coordinate to an integer
            term = read([np.trunc(yi), np.trunc(xj)]) * wx[j].unsqueeze(1)
            row = term if row is None else row + term
        term = row * wy[i].unsqueeze(1)
        out = term if out is None else out + term
    return out


def _linspace_from_neg_one(num: int, align_corners: bool, dtype) -> np.ndarray:
    if num <= 1:
        return np.zeros(1, dtype=dtype)
    r = np.linspace(-1, 1, num, dtype=dtype)
    if not align_corners:
        r = r * ((num - 1) / num)
    return r.astype(dtype, copy=False)


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, for :func:`grid_sample`.

    Parameters
    ----------
    theta : Tensor
        ``(N, 2, 3)`` for 2-D or ``(N, 3, 4)`` for 3-D affine matrices (floating).
    size : sequence of int
        The output size, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
    align_corners : bool, optional
        As in :func:`grid_sample` (``None`` warns and means False).

    Returns
    -------
    Tensor
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``: ``theta`` applied to the pixel centres
        (``align_corners=False``) or corners (True), in ``[-1, 1]`` coordinates.
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' must be Tensor, not {type(theta)}")
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    shown = f"torch.Size({size})"
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {shown}. "
                f"Got {theta.shape}."
            )
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {shown}. "
                f"Got {theta.shape}."
            )
        spatial = size[-3:]
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {shown}."
        )
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {shown}")
    n = size[0]
    if theta.shape[0] != n:
        raise RuntimeError(
            f"affine_grid: theta has batch size {theta.shape[0]} but size asks for {n}"
        )
    dt = theta.dtype
    # base grid (*spatial, k + 1): (x, y[, z], 1) at every output position, x along the width
    axes = [_linspace_from_neg_one(s, align_corners, dt) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    cols = [mesh[d] for d in reversed(range(len(spatial)))]
    base = np.stack([*cols, np.ones(tuple(spatial), dtype=dt)], axis=-1)
    k = len(spatial)
    base = _ag.tensor(base.reshape(1, -1, k + 1))
    grid = base @ theta.transpose(1, 2)  # (N, prod(spatial), k)
    return grid.reshape(n, *spatial, k)
