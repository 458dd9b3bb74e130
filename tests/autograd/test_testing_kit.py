"""The gradient-checking kit finds planted bugs, names the culprit, and raises no false alarms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd.testing import check_function, check_module, check_precision, shapes, tensors


# -- planted bugs ------------------------------------------------------------------------------
class MatMulNoTranspose(ag.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, g.T @ x  # bug: the weight gradient needs x.T @ g (a missing transpose)


class BiasMeanNotSum(ag.Function):
    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, g):
        return g, g.mean(0)  # bug: a broadcast is reduced by sum, not mean


class ProductRuleForgotten(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sin()  # bug: the x * cos(x) term is missing


class SignErrorOnB(ag.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, -g * a  # bug: sign error on the second input only


class WrongForFloat64(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, g):
        return g * (3 if g.dtype == ag.float32 else 2)  # bug in the float64 path only


class Scale(nn.Module):
    """A layer whose 'scale' parameter gets a wrong gradient (sign error)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.scale = nn.Parameter(ag.ones(3))

    def forward(self, x):
        return SignErrorOnB.apply(self.lin(x), self.scale)


@pytest.mark.parametrize(
    "fn,inputs,culprit",
    [
        (MatMulNoTranspose.apply, (ag.randn(3, 3), ag.randn(3, 3)), "input 1"),
        (BiasMeanNotSum.apply, (ag.randn(4, 3), ag.randn(3)), "input 1"),
        (ProductRuleForgotten.apply, (ag.randn(5),), "input 0"),
        (SignErrorOnB.apply, (ag.randn(3), ag.randn(3)), "input 1"),
        (WrongForFloat64.apply, (ag.randn(3),), "input 0"),
    ],
)
def test_planted_bugs_are_found_and_named(fn, inputs, culprit):
    report = check_function(fn, *inputs, raise_exception=False)
    assert not report
    assert report.failing_names == [culprit]
    with pytest.raises(AssertionError, match=culprit):
        check_function(fn, *inputs)


def test_wrong_gradient_shape_is_a_diagnosis_not_a_crash():
    report = check_function(
        MatMulNoTranspose.apply, ag.randn(2, 3), ag.randn(3, 2), raise_exception=False
    )
    assert not report and "invalid gradient at index 1" in str(report)


def test_module_parameter_named():
    m = Scale()
    report = check_module(m, ag.randn(2, 3), raise_exception=False)
    assert report.failing_names == ["scale"]
    assert "scale[" in str(report) and "analytic" in str(report)
    # the fast mode finds it too and then locates it
    assert check_module(m, ag.randn(2, 3), mode="fast", raise_exception=False).failing_names == [
        "scale"
    ]


def test_user_module_left_untouched():
    m = nn.Linear(3, 2)
    w = m.weight.detach().numpy().copy()
    check_module(m, ag.randn(4, 3))
    assert m.weight.dtype == ag.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)
    assert m.weight.grad is None


def test_invariant_mutating_the_input_is_reported():
    class Mutates(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            x.detach().numpy()[...] = 0.0  # corrupts the input in place
            return g * 2

    report = check_function(Mutates.apply, ag.randn(3), raise_exception=False)
    assert any("modified input" in f for f in report.invariant_failures)


def test_a_function_returning_one_array_for_two_inputs_gives_separate_grads():
    class Aliased(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            gg = g * 1.0
            return gg, gg  # the same array for both inputs

    # the engine copies the second one, so the kit's no-aliasing invariant holds
    a, b = ag.randn(3, requires_grad=True), ag.randn(3, requires_grad=True)
    Aliased.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert check_function(Aliased.apply, ag.randn(3), ag.randn(3))


def test_kink_is_not_a_false_alarm():
    x = ag.tensor([0.0, 1.0, -1.0, 0.0])
    assert check_function(lambda t: t.abs() + t.relu(), x, kinks=(0.0,))


def test_dropout_module_checked_with_fixed_seed():
    m = nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5), nn.Tanh())
    assert check_module(m, ag.randn(3, 4))


def test_second_order():
    assert check_function(lambda x: (x * x).sin(), ag.randn(3), second_order=True)


@given(x=tensors(shape=shapes(1, 3, 1, 4), low=-2, high=2))
def test_correct_layers_pass_over_many_examples(x):
    ag.manual_seed(0)
    n = x.shape[-1]
    assert check_module(nn.Sequential(nn.Linear(n, 3), nn.Tanh(), nn.Linear(3, 2)), x)
    assert check_module(nn.LayerNorm(n), x) if n > 1 else True


def test_speed_fast_mode_on_10k_parameters():
    import time

    m = nn.Sequential(nn.Linear(100, 100), nn.Tanh())  # 10,100 parameters
    t = time.perf_counter()
    assert check_module(m, ag.randn(4, 100), mode="fast")
    assert time.perf_counter() - t < 30  # generous: seconds in practice


def test_check_precision_names_the_first_jump():
    class Cancel(nn.Module):
        def forward(self, x):
            return (x + 1e4) - 1e4  # catastrophic cancellation in float32

    m = nn.Sequential(nn.Linear(3, 3), Cancel(), nn.Linear(3, 1))
    rep = check_precision(m, ag.randn(4, 3))
    assert rep.first_jump == "1"
    assert "relative error" in str(rep)


@pytest.mark.parametrize("st_", [st.none()])
def test_report_is_truthy_and_printable(st_):
    rep = check_function(lambda x: x.exp(), ag.randn(2))
    assert rep and "OK" in str(rep)
