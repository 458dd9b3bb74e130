"""The worked example of docs/guides/testing_kit.md, kept as a test so it cannot rot: a small
RMSNorm layer with a hand-written backward, a deliberately wrong version caught by a ten-line
hypothesis test, and the fix.

RMSNorm: ``y = x / rms(x) * weight`` with ``rms(x) = sqrt(mean(x ** 2, -1) + eps)``.
Writing ``r = 1 / rms(x)`` and ``xhat = x * r``, the gradients are

- ``dL/dweight = sum over the leading dims of (grad * xhat)``;
- ``dL/dx = r * (g - xhat * mean(g * xhat, -1))`` with ``g = grad * weight``.

The tempting wrong version forgets that ``r`` depends on ``x`` and returns ``r * g`` (the
second term of the product rule is missing).
"""

from __future__ import annotations

import pytest
from hypothesis import given

import autograd
import nn
from autograd.testing import check_module, shapes, tensors


class RMSNormFunction(autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):
        r = (x * x).mean(-1, keepdim=True).add(eps).rsqrt()
        xhat = x * r
        ctx.save_for_backward(xhat, r, weight)
        return xhat * weight

    @staticmethod
    def backward(ctx, grad):
        xhat, r, weight = ctx.saved_tensors
        g = grad * weight
        grad_x = r * (g - xhat * (g * xhat).mean(-1, keepdim=True))
        grad_weight = (grad * xhat).reshape(-1, weight.shape[0]).sum(0)
        return grad_x, grad_weight, None


class WrongRMSNormFunction(RMSNormFunction):
    @staticmethod
    def backward(ctx, grad):
        xhat, r, weight = ctx.saved_tensors
        grad_x = r * grad * weight  # BUG: forgets that r depends on x
        grad_weight = (grad * xhat).reshape(-1, weight.shape[0]).sum(0)
        return grad_x, grad_weight, None


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6, function=RMSNormFunction):
        super().__init__()
        self.weight = nn.Parameter(autograd.ones(dim))
        self.eps = eps
        self.function = function

    def forward(self, x):
        return self.function.apply(x, self.weight, self.eps)


# The ten-line test a user writes: any batch shape, any width, float32 like real training.
@given(x=tensors(shape=shapes(min_dims=2, max_dims=3, max_side=5), dtype=autograd.float32))
def test_rmsnorm_gradients(x):
    layer = RMSNorm(x.shape[-1])
    with autograd.no_grad():
        layer.weight.uniform_(0.5, 1.5)
    check_module(layer, x)  # every parameter and input, float64 differences, invariants


def test_the_wrong_backward_is_caught_and_named():
    x = autograd.randn(2, 4)
    layer = RMSNorm(4, function=WrongRMSNormFunction)
    with pytest.raises(AssertionError, match=r"gradient of input 0\[") as info:
        check_module(layer, x)
    assert info.value.report.failing == ["input 0"]  # the weight's gradient is right


def test_the_wrong_backward_fails_the_hypothesis_test():
    """What the user sees: the same ten-line test, pointed at the wrong layer, fails."""

    @given(x=tensors(shape=shapes(min_dims=2, max_dims=3, max_side=5), dtype=autograd.float32))
    def test_wrong(x):
        check_module(RMSNorm(x.shape[-1], function=WrongRMSNormFunction), x)

    with pytest.raises(AssertionError, match="input 0"):
        test_wrong()
