"""Every row of the op table through the same checks (see ``op_table.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd.testing import arrays, check_function
from tests.autograd.op_table import all_rows, bshapes

ROWS = all_rows()
GRAD_ROWS = [r for r in ROWS if r.grad]
GG_ROWS = [r for r in ROWS if r.grad and r.gradgrad]


@st.composite
def _case(draw, row):
    shp = draw(row.shapes if row.shapes is not None else bshapes(row.nin))
    kw = draw(row.kwargs(shp)) if row.kwargs is not None else {}
    doms = row.domain if isinstance(row.domain, list) else [row.domain] * row.nin
    arrs = [
        draw(arrays(s, np.float64, lo, hi, row.kinks, row.margin)) for s, (lo, hi) in zip(shp, doms)
    ]
    if row.prep is not None:
        arrs = row.prep(arrs, kw)
    return arrs, kw


def _leaves(arrs, dtype=np.float64):
    return [autograd.tensor(a.astype(dtype), requires_grad=True) for a in arrs]


def check_row_grad(row, arrs, kw):
    """First order through the user-facing kit (``autograd.testing.check_function``): the
    full Jacobian entry by entry against central differences (as ``autograd.gradcheck``
    compares it), plus the kit's invariants (inputs and incoming gradient untouched, gradients
    not aliased, shapes and dtypes right, graph freed). Tolerances: the row's (see
    ``op_table.Row``)."""
    return check_function(
        lambda *a: row.fn(*a, **kw),
        *_leaves(arrs),
        jacobian=True,
        atol=row.atol,
        rtol=row.rtol,
        kinks=row.kinks,
    )


def check_row_gradgrad(row, arrs, kw):
    """Second order: the map (inputs, grad_outputs) -> gradients, built with
    ``create_graph=True``, against central differences, at the row's tolerances."""
    return check_function(
        lambda *a: row.fn(*a, **kw),
        *_leaves(arrs),
        jacobian=True,
        gradgrad="only",
        invariants=False,
        atol=row.atol,
        rtol=row.rtol,
    )


@pytest.mark.parametrize("row", GRAD_ROWS, ids=repr)
@given(data=st.data())
def test_gradcheck(row, data):
    arrs, kw = data.draw(_case(row))
    assert check_row_grad(row, arrs, kw)


@pytest.mark.parametrize("row", GG_ROWS, ids=repr)
@given(data=st.data())
def test_gradgradcheck(row, data):
    arrs, kw = data.draw(_case(row))
    assert check_row_gradgrad(row, arrs, kw)


@pytest.mark.parametrize("row", [r for r in ROWS if r.ref is not None], ids=repr)
@given(data=st.data())
def test_forward_matches_numpy(row, data):
    arrs, kw = data.draw(_case(row))
    xs = [autograd.tensor(a) for a in arrs]
    out = row.fn(*xs, **kw)
    expected = row.ref(*arrs, **kw)
    outs = out if isinstance(out, tuple) else (out,)
    exps = expected if isinstance(expected, tuple) else (expected,)
    for o, e in zip(outs, exps):
        np.testing.assert_allclose(o.detach().numpy(), e, rtol=row.fwd_rtol, atol=row.fwd_atol)


@pytest.mark.parametrize("row", GRAD_ROWS, ids=repr)
@given(data=st.data())
def test_grad_shape_and_dtype_float32(row, data):
    """In float32, each gradient comes back in its input's shape and dtype, backward leaves the
    inputs and the incoming gradient untouched and frees the graph (the kit's invariants), and
    the float32 gradients agree with the float64 ones at the same point."""
    arrs, kw = data.draw(_case(row))
    xs = _leaves(arrs, np.float32)
    assert check_function(lambda *a: row.fn(*a, **kw), *xs, mode="none")


def test_tolerance_overrides_have_a_reason():
    """A row that checks at other than the table's tolerances says why (``Row.tol_reason``)."""
    from tests.autograd.op_table import ATOL, FWD_ATOL, FWD_RTOL, RTOL

    unexplained = [
        r.name
        for r in ROWS
        if (r.atol, r.rtol, r.fwd_atol, r.fwd_rtol) != (ATOL, RTOL, FWD_ATOL, FWD_RTOL)
        and not r.tol_reason.strip()
    ]
    assert not unexplained, f"rows overriding a tolerance without tol_reason: {unexplained}"


def test_every_registered_op_has_a_row():
    from autograd.ops._registry import REGISTRY

    covered = set()
    for r in ROWS:
        covered.update(r.covers)
    # ops that exist only as helpers of other ops' VJPs, each exercised by a row's gradgradcheck
    helpers = {
        "index_grad",
        "sum_to",
        "scatter_add",
        "index_add",
        "diag_embed",
        "prod_others",
        "prod_others_grad",
        "copy_from",
        "cast",
        "index_put",
    }
    missing = sorted(set(REGISTRY) - covered - helpers)
    assert not missing, f"ops without a row in the op table: {missing}"
