"""Tensor reprs laid out as PyTorch lays them out, and ``set_printoptions``.

The rules are PyTorch's (``torch/_tensor_str.py``): one formatter per tensor picks integer,
fixed or scientific notation from the non-zero finite values and pads every element to the
widest, rows wrap at ``linewidth``, and a tensor with more than ``threshold`` elements shows
``edgeitems`` at each end of every dimension with ``...`` between. Elements are formatted from
Python floats (``tolist``), as PyTorch's ``format(value)`` of a 0-d tensor does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import dtypes as _dt


class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print (PyTorch's ``torch.set_printoptions``).

    Parameters
    ----------
    precision : int, optional
        Digits after the point (default 4).
    threshold : float, optional
        Tensors with more elements than this are summarised (default 1000).
    edgeitems : int, optional
        Items shown at each end of a summarised dimension (default 3).
    linewidth : int, optional
        Characters per line (default 80).
    profile : {'default', 'short', 'full'}, optional
        A preset, overridden by the other arguments.
    sci_mode : bool, optional
        Force (True) or forbid (False) scientific notation; ``None`` (default) chooses per
        tensor. Like PyTorch, every call resets it unless given.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = (
            _PROFILES[profile]
        )
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as a dict."""
    return {
        "precision": PRINT_OPTS.precision,
        "threshold": PRINT_OPTS.threshold,
        "edgeitems": PRINT_OPTS.edgeitems,
        "linewidth": PRINT_OPTS.linewidth,
        "sci_mode": PRINT_OPTS.sci_mode,
    }


class _Formatter:
    """Chooses the notation and the common width from the values of ``a``."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        flat = a.reshape(-1)
        if not self.floating:
            vals = flat.tolist()
            self.max_width = max([1, *(len(str(v)) for v in vals)])
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals.astype(np.float64))
        vmin, vmax = absv.min(), absv.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        self.sci_mode = (
            bool(vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4)
            if PRINT_OPTS.sci_mode is None
            else PRINT_OPTS.sci_mode
        )
        pyvals = vals.tolist()
        if self.sci_mode:
            strs = [f"{v:.{p}e}" for v in pyvals]
        elif self.int_mode:
            strs = [f"{v:.0f}." for v in pyvals]
        else:
            strs = [f"{v:.{p}f}" for v in pyvals]
        self.max_width = max(self.max_width, *(len(s) for s in strs))

    def format(self, value: Any) -> str:
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values a summarised print shows (what the formatter is chosen from)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return np.empty((0,) * a.ndim, a.dtype)
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e else None
    subs = [_summarized(a[i]) for i in (rows if rows is not None else range(a.shape[0]))]
    return np.stack(subs)


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = (
            [fmt.format(v) for v in a[:e].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in a[-e:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _str_with(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = (
            [_str_with(a[i], indent + 1, summarize, fmt) for i in range(e)]
            + ["..."]
            + [_str_with(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
        )
    else:
        slices = [_str_with(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_str(a: np.ndarray, indent: int) -> str:
    """The bracketed body of a tensor's repr (``[[ 1.0000, -2.0000], ...]``)."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    fmt = _Formatter(_summarized(a) if summarize else a)
    return _str_with(a, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t: Any) -> str:
    """``repr`` of a Tensor: ``tensor(<values>[, size=...][, dtype=...][, grad_fn=<...>])``."""
    a = t._data
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != _dt.get_default_dtype():
            suffixes.append(f"dtype=autograd.{a.dtype.name}")
        body = "[]"
    else:
        if a.dtype not in (_dt.get_default_dtype(), _dt.int64, _dt.bool):
            suffixes.append(f"dtype=autograd.{a.dtype.name}")
        body = array_str(a, indent)
    fn = t.grad_fn
    if t._base is not None:  # a view's history may be stale (NOTE [ In-place on views ])
        from .tensor import _refresh

        fn = _refresh(t)
    if fn is not None:
        suffixes.append(f"grad_fn=<{fn.name().rsplit('::', 1)[-1]}>")  # as PyTorch: the class name
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
