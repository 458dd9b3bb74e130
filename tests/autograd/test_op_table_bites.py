"""The op table's tolerances bite: a VJP wrong by 1e-5 relative fails its row.

Each case plants the error in a *copy* of a registered op (the registry's op is never touched),
points a copy of the op's row at it, and runs the row's own check (``check_row_grad`` /
``check_row_gradgrad`` of ``test_ops.py``, at the row's tolerances) on the row's own drawn
inputs: every draw must fail with the planted error and pass with the faithful copy.

- first order: every gradient the VJP returns is multiplied by ``1 + 1e-5``;
- second order: the VJP's value is right, but its derivative (what ``create_graph=True``
  records) is ``1 + 1e-5`` times too large: ``g + 1e-5 * (g - g.detach())``.

A draw where the op's gradient is (nearly) zero everywhere is skipped with ``assume``: no
check can see a relative error of nothing (e.g. softmax over a dim of size 1).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd.ops._registry import REGISTRY
from autograd.testing import GradientCheckError
from tests.autograd.test_ops import ROWS, _case, _leaves, check_row_grad, check_row_gradgrad

ERR = 1e-5

_BY_NAME = {r.name: r for r in ROWS}


def _direct(op):
    return lambda *a, **kw: op(*a, **kw)


# row name -> (registered op, fn(op) -> the row's fn calling that op)
FIRST_ORDER = {
    "asin": ("asin", _direct),
    "tanh": ("tanh", _direct),
    "mul": ("mul", _direct),
    "mm": ("matmul", _direct),
    "softmax": ("softmax", lambda op: lambda a, dim: op(a, axis=dim % a.ndim)),
    "linear": ("linear", _direct),
    "lstm_seq": ("lstm_seq", _direct),
}
SECOND_ORDER = {k: FIRST_ORDER[k] for k in ("tanh", "mul", "mm", "softmax")}


def _scaled(vjp):
    def wrong(*args, **kwargs):
        g = vjp(*args, **kwargs)
        return g * (1 + ERR)

    return wrong


def _scaled_all(vjp_all):
    def wrong(*args, **kwargs):
        return tuple(None if g is None else g * (1 + ERR) for g in vjp_all(*args, **kwargs))

    return wrong


def _scaled_derivative(vjp):
    def wrong(*args, **kwargs):
        g = vjp(*args, **kwargs)
        if isinstance(g, autograd.Tensor):  # a backward with create_graph=True
            return g + ERR * (g - g.detach())
        return g

    return wrong


def _copy(op, wrap=None):
    """A copy of ``op`` (not registered) whose VJPs are wrapped with ``wrap``."""
    c = copy.copy(op)
    if wrap is not None:
        c.vjps = tuple(None if v is None else wrap(v) for v in op.vjps)
        if op.vjp_all is not None:
            c.vjp_all = (_scaled_all if wrap is _scaled else wrap)(op.vjp_all)
    return c


def _gradient_scale(row, arrs, kw):
    """Largest |entry| of the op's gradients for a random incoming gradient."""
    xs = _leaves(arrs)
    out = row.fn(*xs, **kw)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
    rng = np.random.default_rng(0)
    gos = [autograd.tensor(rng.standard_normal(o.shape)) for o in outs]
    gs = autograd.grad(outs, xs, grad_outputs=gos, allow_unused=True)
    return max(
        (float(np.abs(g.numpy()).max()) for g in gs if g is not None and g.numel()), default=0
    )


_NO_SHRINK = settings(
    phases=[Phase.explicit, Phase.generate],
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _bites(row_name, table, wrap, check):
    row = _BY_NAME[row_name]
    op_name, call = table[row_name]
    op = REGISTRY[op_name]
    faithful = dataclasses.replace(row, fn=call(_copy(op)))
    wrong = dataclasses.replace(row, fn=call(_copy(op, wrap)))

    @_NO_SHRINK
    @given(data=st.data())
    def run(data):
        arrs, kw = data.draw(_case(row))
        assume(_gradient_scale(row, arrs, kw) > 1e-2)
        assert check(faithful, arrs, kw)
        with pytest.raises(GradientCheckError):
            check(wrong, arrs, kw)

    run()


@pytest.mark.parametrize("row_name", sorted(FIRST_ORDER))
def test_a_vjp_wrong_by_1e5_fails_its_row(row_name):
    _bites(row_name, FIRST_ORDER, _scaled, check_row_grad)


@pytest.mark.parametrize("row_name", sorted(SECOND_ORDER))
def test_a_vjp_derivative_wrong_by_1e5_fails_its_gradgrad_row(row_name):
    _bites(row_name, SECOND_ORDER, _scaled_derivative, check_row_gradgrad)


def test_the_registry_ops_are_untouched():
    """The copies carry the error; the registered ops still pass their rows."""
    for name, (op_name, _) in FIRST_ORDER.items():
        op = REGISTRY[op_name]
        assert all(getattr(v, "__name__", "") != "wrong" for v in op.vjps if v is not None)
        assert getattr(op.vjp_all, "__name__", "") != "wrong", name
