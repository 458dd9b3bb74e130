"""The shared op table: one row per op. ``test_ops.py`` runs every row through the same checks
(forward against NumPy, gradcheck and gradgradcheck in float64, float32 grad shape/dtype).

How to add a row
----------------
``Row(name, fn, nin, ...)``:

- ``fn(*tensors, **kwargs)`` computes the op from ``nin`` float tensors;
- ``shapes``: a strategy of a tuple of ``nin`` shapes (default: mutually broadcastable shapes);
- ``domain``: ``(low, high)`` for every input, or a list with one pair per input;
- ``kinks``: values every input stays at least ``margin`` away from;
- ``kwargs``: a function ``shapes -> strategy of dict`` (options, dims, index arrays, ...);
- ``prep``: ``prep(arrays, kwargs) -> arrays`` to adjust drawn inputs (e.g. break ties);
- ``ref``: NumPy reference ``ref(*arrays, **kwargs)`` for the forward check;
- ``covers``: registry op names the row exercises (default ``(name,)``);
- ``grad=False`` for ops without gradients (forward checked only); ``gradgrad=False`` where the
  second derivative does not exist.

Tolerances
----------
Every row is checked in float64 at the same tight bounds: gradients (first and second order,
entry by entry against central differences, with the kit's Richardson second opinion) at
``rtol=1e-6, atol=1e-8``; the forward against its NumPy reference at ``rtol=atol=1e-12``. These
catch a VJP that is wrong by 1e-5 relative (``test_op_table_bites.py`` plants such errors and
checks that the rows fail). Do not loosen them for a row to get green: a row that fails is a
wrong VJP, or a numeric check that needs a better estimate (fix the kit, not the bound). Only
where an op truly cannot do better (say an iterative forward with its own tolerance), set
``atol``/``rtol``/``fwd_atol``/``fwd_rtol`` on that row *and* ``tol_reason="why"``; a row that
overrides a tolerance without a reason fails ``test_tolerance_overrides_have_a_reason``.

Other families (``nn``) add rows in their own modules and list them in ``ALL_ROW_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from autograd.testing import shapes

#: The op table's float64 tolerances (see "Tolerances" above); rows override only with a reason.
ATOL = 1e-8
RTOL = 1e-6
FWD_ATOL = 1e-12
FWD_RTOL = 1e-12


@dataclass
class Row:
    name: str
    fn: Callable
    nin: int = 1
    shapes: Any = None
    domain: Any = (-2.0, 2.0)
    kinks: tuple = ()
    margin: float = 1e-2
    kwargs: Callable | None = None
    prep: Callable | None = None
    ref: Callable | None = None
    covers: tuple = ()
    grad: bool = True
    gradgrad: bool = True
    atol: float = ATOL
    rtol: float = RTOL
    fwd_rtol: float = FWD_RTOL
    fwd_atol: float = FWD_ATOL
    tol_reason: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.covers:
            self.covers = (self.name,)

    def __repr__(self):
        return self.name


@st.composite
def bshapes(draw, n, min_dims=0, max_dims=3, max_side=3):
    """``n`` mutually broadcastable shapes."""
    full = draw(shapes(min_dims, max_dims, 1, max_side))
    out = [full]
    for _ in range(n - 1):
        nd = draw(st.integers(0, len(full)))
        sub = full[len(full) - nd :]
        out.append(tuple(1 if draw(st.booleans()) else s for s in sub))
    draw(st.randoms()).shuffle(out)
    return tuple(out)


def same_shapes(n, min_dims=0, max_dims=3, max_side=3):
    return shapes(min_dims, max_dims, 1, max_side).map(lambda s: (s,) * n)


ALL_ROW_MODULES = [
    "tests.autograd.rows_elementwise",
    "tests.autograd.rows_reduction",
    "tests.autograd.rows_shape",
    "tests.autograd.rows_linalg",
    "tests.autograd.rows_fft",
    "tests.autograd.rows_sorting",
    "tests.autograd.rows_sampling",
    "tests.nn.rows_layers",
    "tests.nn.rows_conv",
    "tests.nn.rows_rnn",
    "tests.nn.rows_extra",
]


def all_rows():
    """Every row of every module in ``ALL_ROW_MODULES``. A module that is missing or fails to
    import is an error (collection fails), never a family silently dropped from the table."""
    rows = []
    for m in ALL_ROW_MODULES:
        rows.extend(importlib.import_module(m).ROWS)
    return rows
