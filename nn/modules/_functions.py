"""Autograd Functions behind layers that talk to other ranks (``SyncBatchNorm``).

NOTE [ SyncBatchNorm ]
Statistics over the global batch, in one collective: every rank contributes (count, mean,
sum of squared deviations) per channel, gathered with one ``Allgather`` and combined exactly
(Chan et al.), which avoids the E[x^2] - E[x]^2 cancellation of a sum/sum-of-squares reduction.
Backward needs two sums over the global batch per channel, sum(g) and sum(g * xhat), one
``all_reduce``; then, with N the global count,
    dx = w * rstd * (g - sum(g) / N - xhat * sum(g * xhat) / N)
and the local dw = sum_local(g * xhat), db = sum_local(g), which DistributedDataParallel
averages like any other gradient. Each rank's dx is then N times its share of the gradient of
the global mean loss, exactly what DDP's averaging of the parameters' gradients expects.
"""

from __future__ import annotations

import numpy as np

import autograd.distributed as dist
from autograd.function import Function, once_differentiable
from autograd.tensor import Tensor


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


class SyncBatchNormFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum, pg):  # noqa: A002
        x = input._data
        c = x.shape[1]
        axes = _axes(x)
        n_local = x.size // c if c else 0
        stats = np.zeros(2 * c + 1, dtype=np.float64)
        if n_local:
            mean_l = x.mean(axis=axes, dtype=np.float64)
            xc = x - _per_channel(mean_l, x).astype(x.dtype)
            stats[1 : c + 1] = mean_l
            stats[c + 1 :] = np.square(xc, dtype=np.float64).sum(axis=axes)
        stats[0] = n_local
        everyone = np.empty((pg.size(), 2 * c + 1), dtype=np.float64)
        pg.comm.Allgather(stats, everyone)
        counts = everyone[:, 0]
        n = counts.sum()
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got {int(n)} over all ranks"
            )
        means = everyone[:, 1 : c + 1]
        mean = (counts[:, None] * means).sum(axis=0) / n
        m2 = everyone[:, c + 1 :].sum(axis=0) + (counts[:, None] * (means - mean) ** 2).sum(0)
        var = m2 / n
        rstd = 1.0 / np.sqrt(var + eps)
        if running_mean is not None:
            a = running_mean._data
            a *= 1 - momentum
            a += (momentum * mean).astype(a.dtype)
            running_mean._bump()
        if running_var is not None:
            a = running_var._data
            a *= 1 - momentum
            a += (momentum * var * (n / (n - 1))).astype(a.dtype)
            running_var._bump()
        mean = mean.astype(x.dtype)
        rstd = rstd.astype(x.dtype)
        scale = rstd if weight is None else rstd * weight._data
        shift = -mean * scale
        if bias is not None:
            shift = shift + bias._data
        out = x * _per_channel(scale, x)
        out += _per_channel(shift, x)
        ctx.save_for_backward(input, weight)
        ctx.stats = (mean, rstd, n, pg)
        return Tensor._wrap(out)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        mean, rstd, n, pg = ctx.stats
        x, g = input._data, grad._data
        c = x.shape[1]
        axes = _axes(x)
        xhat = (x - _per_channel(mean, x)) * _per_channel(rstd, x)
        sums = np.empty(2 * c, dtype=x.dtype)
        sums[:c] = g.sum(axis=axes)
        sums[c:] = (g * xhat).sum(axis=axes)
        local = sums.copy()
        if pg.size() > 1:
            dist.all_reduce(Tensor._wrap(sums))
        gx = None
        if ctx.needs_input_grad[0]:
            scale = rstd if weight is None else rstd * weight._data
            gx = g - _per_channel(sums[:c] / n, x)
            gx -= xhat * _per_channel(sums[c:] / n, x)
            gx *= _per_channel(scale, x)
            gx = Tensor._wrap(gx)
        gw = Tensor._wrap(local[c:]) if ctx.needs_input_grad[1] else None
        gb = Tensor._wrap(local[:c]) if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None, None
