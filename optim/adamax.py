"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import numpy as np

from .adam import _BetasHyper, _check_adam_args, _lerp_
from .optimizer import Optimizer, _maximize_and_l2_

__all__ = ["Adamax", "adamax_update"]


def adamax_update(
    param, grad, bufs, scratch, *, step, lr, beta1, beta2, eps, weight_decay, maximize
):
    """One Adamax update of ``param`` and the state arrays ``bufs`` = (exp_avg, exp_inf) in
    place, at step number ``step`` (already incremented); ``grad`` and ``scratch`` are
    overwritten.

    The operations are PyTorch's ``_single_tensor_adamax`` (non-capturable), in its order.
    """
    exp_avg, exp_inf = bufs
    tmp = scratch[0]
    g = grad
    _maximize_and_l2_(param, g, tmp, weight_decay, maximize)
    _lerp_(exp_avg, g, 1 - beta1, tmp)
    # torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)
    exp_inf *= beta2
    np.abs(g, out=tmp)
    tmp += eps
    np.maximum(exp_inf, tmp, out=exp_inf)
    clr = lr / (1 - beta1**step)
    # param.addcdiv_(exp_avg, exp_inf, value=-clr)
    np.multiply(exp_avg, -clr, out=tmp)
    tmp /= exp_inf
    param += tmp


class Adamax(_BetasHyper, Optimizer):
    r"""Adamax: a variant of Adam based on the infinity norm.

    The algorithm, as PyTorch states it::

        input: gamma (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), eps (epsilon)
        initialize: m_0 = 0 (first moment), u_0 = 0 (infinity norm)
        for t = 1, ...:
            g_t = grad f_t(theta_{t-1})          (its negation under maximize)
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            u_t = max(beta2 * u_{t-1}, |g_t| + eps)
            theta_t = theta_{t-1} - gamma * m_t / ((1 - beta1^t) * u_t)

    As in PyTorch, ``m_t`` is updated with ``lerp`` and the step is
    ``theta + (-gamma / (1 - beta1^t)) * m_t / u_t``.

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 2e-3).
    betas : (float, float)
        Coefficients of the running average of the gradient and of the decay of the infinity
        norm (default (0.9, 0.999)), each in [0, 1).
    eps : float
        Added to ``|g_t|`` (default 1e-8).
    weight_decay : float
        Weight decay (L2 penalty, default 0).
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, differentiable, capturable : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps`` or ``weight_decay``, or a beta outside [0, 1).

    Notes
    -----
    State per parameter: ``'step'`` (a 0-d tensor), ``'exp_avg'``, ``'exp_inf'``.
    """

    _update = staticmethod(adamax_update)
    _hyper_names = ("lr", "eps", "weight_decay")
    _flag_names = ("maximize",)
    _state_names = ("exp_avg", "exp_inf")
    _group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
