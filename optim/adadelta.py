"""Adadelta."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_tensor_lr, _maximize_and_l2_

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(param, grad, bufs, scratch, *, step, lr, rho, eps, weight_decay, maximize):
    """One Adadelta update of ``param`` and the state arrays ``bufs`` = (square_avg,
    acc_delta) in place; ``grad`` and ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_adadelta``, in its order.
    """
    square_avg, acc_delta = bufs
    std, delta = scratch
    g = grad
    _maximize_and_l2_(param, g, std, weight_decay, maximize)
    square_avg *= rho
    np.multiply(g, 1 - rho, out=std)
    std *= g
    square_avg += std
    np.add(square_avg, eps, out=std)
    np.sqrt(std, out=std)
    np.add(acc_delta, eps, out=delta)
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc_delta *= rho
    np.multiply(delta, 1 - rho, out=std)
    std *= delta
    acc_delta += std
    np.multiply(delta, -lr, out=std)
    param += std


class Adadelta(Optimizer):
    r"""Adadelta.

    The algorithm, as PyTorch states it::

        input: gamma (lr), theta_0 (params), f (objective), rho (decay), lambda (weight decay)
        initialize: v_0 = 0 (square avg), u_0 = 0 (accumulate variables)
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            v_t = v_{t-1} * rho + g_t^2 * (1 - rho)
            Delta x_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
            u_t = u_{t-1} * rho + Delta x_t^2 * (1 - rho)
            theta_t = theta_{t-1} - gamma * Delta x_t

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Scale of the delta before it is applied (default 1.0).
    rho : float
        Running-average coefficient of the squared gradients (default 0.9), in [0, 1].
    eps : float
        Added inside the square roots (default 1e-6).
    weight_decay : float
        L2 penalty (default 0).
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, capturable, differentiable : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps`` or ``weight_decay``, or ``rho`` outside [0, 1].

    Notes
    -----
    State per parameter: ``'step'``, ``'square_avg'``, ``'acc_delta'``.
    """

    _update = staticmethod(adadelta_update)
    _capturable_xla = (False, False)
    _hyper_names = ("lr", "rho", "eps", "weight_decay")
    _flag_names = ("maximize",)
    _state_names = ("square_avg", "acc_delta")
    _group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
