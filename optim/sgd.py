"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_tensor_lr, _maximize_and_l2_, _value

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    param, grad, bufs, scratch, *, step, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    """One SGD update of the arrays ``param`` and ``bufs[0]`` (the momentum buffer, None
    before the first step) in place; ``grad`` and ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_sgd``, in its order.
    """
    tmp = scratch[0]
    g = grad
    _maximize_and_l2_(param, g, tmp, weight_decay, maximize)
    if momentum != 0:
        buf = bufs[0]
        if buf is None:
            bufs[0] = buf = g.copy()
        else:
            buf *= momentum
            if dampening == 0:
                buf += g
            else:
                np.multiply(g, 1 - dampening, out=tmp)
                buf += tmp
        if nesterov:
            np.multiply(buf, momentum, out=tmp)
            g += tmp
        else:
            g = buf
    np.multiply(g, -lr, out=tmp)
    param += tmp


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    The algorithm, as PyTorch states it::

        input: lr (gamma), params (theta_0), objective f, weight_decay (lambda),
               momentum (mu), dampening (tau), nesterov, maximize
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            if mu != 0:
                b_t = mu * b_{t-1} + (1 - tau) * g_t   if t > 1   else   g_t
                g_t = g_t + mu * b_t                    if nesterov else   b_t
            theta_t = theta_{t-1} - gamma * g_t

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 1e-3).
    momentum : float
        Momentum factor (default 0).
    dampening : float
        Dampening for momentum (default 0).
    weight_decay : float
        L2 penalty (default 0).
    nesterov : bool
        Nesterov momentum (needs momentum > 0 and dampening 0).
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, differentiable, fused : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``momentum`` or ``weight_decay``, or Nesterov without momentum
        or with dampening.

    Notes
    -----
    State per parameter: ``'momentum_buffer'`` (only when ``momentum != 0``).
    """

    _update = staticmethod(sgd_update)
    _hyper_names = ("lr", "momentum", "dampening", "weight_decay")
    _flag_names = ("nesterov", "maximize")
    _count_steps = False
    _foreach_differentiable = True
    _group_defaults = {
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": False,
    }

    def _state_spec(self, group):
        return (("momentum_buffer", None),) if _value(group["momentum"]) != 0 else ()

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay=0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_tensor_lr(lr)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        self._check_fused(foreach, fused, differentiable)
