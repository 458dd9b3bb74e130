"""The README's worked example: a custom RMSNorm whose backward is wrong, caught by a short
hypothesis test, then fixed. Kept as a test so the example cannot rot."""

import pytest
from hypothesis import given

import autograd as ag
from autograd.testing import check_function, shapes, tensors


class RMSNormBuggy(ag.Function):
    """y = x / sqrt(mean(x^2) + eps) * w, over the last dim."""

    @staticmethod
    def forward(ctx, x, w, eps=1e-6):
        r = ((x * x).mean(-1, keepdim=True) + eps).rsqrt()
        ctx.save_for_backward(x, w, r)
        return x * r * w

    @staticmethod
    def backward(ctx, g):
        x, w, r = ctx.saved_tensors
        gx = g * w * r  # bug: forgets that r depends on x
        gw = (g * x * r).reshape(-1, x.shape[-1]).sum(0)
        return gx, gw, None


class RMSNorm(RMSNormBuggy):
    @staticmethod
    def backward(ctx, g):
        x, w, r = ctx.saved_tensors
        n = x.shape[-1]
        gxr = g * w
        gx = r * gxr - x * r**3 * (gxr * x).sum(-1, keepdim=True) / n
        gw = (g * x * r).reshape(-1, n).sum(0)
        return gx, gw, None


@given(x=tensors(shape=shapes(min_dims=1, max_dims=3, min_side=2)))
def test_rmsnorm_gradients(x):
    w = ag.randn(x.shape[-1])
    check_function(RMSNorm.apply, x, w)


def test_the_buggy_backward_is_caught():
    x, w = ag.randn(2, 4), ag.randn(4)
    with pytest.raises(AssertionError, match="input 0"):
        check_function(RMSNormBuggy.apply, x, w)
