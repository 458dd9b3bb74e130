"""RAdam: Adam with a rectified adaptive learning rate (and RAdamW)."""

from __future__ import annotations

import numpy as np

from .adam import _BetasHyper, _check_adam_args, _moments_, _weight_decay_
from .optimizer import Optimizer

__all__ = ["RAdam", "radam_update"]


def radam_update(
    param,
    grad,
    bufs,
    scratch,
    *,
    step,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    maximize,
    decoupled_weight_decay,
):
    """One RAdam update of ``param`` and the state arrays ``bufs`` = (exp_avg, exp_avg_sq) in
    place, at step number ``step`` (already incremented); ``grad`` and ``scratch`` are
    overwritten.

    The operations are PyTorch's ``_single_tensor_radam`` (non-capturable), in its order.
    """
    exp_avg, exp_avg_sq = bufs
    tmp, upd = scratch
    g = grad
    _weight_decay_(param, g, tmp, lr, weight_decay, decoupled_weight_decay, maximize)

    _moments_(exp_avg, exp_avg_sq, g, beta1, beta2, tmp)

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    # bias_corrected_exp_avg * lr [* adaptive_lr * rect]
    np.divide(exp_avg, bias_correction1, out=upd)
    upd *= lr
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    if rho_t > 5.0:
        rect = (
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        ) ** 0.5
        # adaptive_lr = bias_correction2**0.5 / (sqrt(v) + eps), a float over a tensor, which
        # PyTorch computes as tensor.reciprocal() * float
        np.sqrt(exp_avg_sq, out=tmp)
        tmp += eps
        np.reciprocal(tmp, out=tmp)
        tmp *= bias_correction2**0.5
        upd *= tmp
        upd *= rect
    param -= upd


class RAdam(_BetasHyper, Optimizer):
    r"""RAdam: Adam whose adaptive learning rate is rectified while its variance is large.

    The algorithm, as PyTorch states it::

        input: gamma (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), maximize, eps, decoupled_weight_decay
        initialize: m_0 = 0 (first moment), v_0 = 0 (second moment),
                    rho_inf = 2 / (1 - beta2) - 1
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            theta_t = theta_{t-1}
            if lambda != 0:
                if decoupled_weight_decay:  theta_t = theta_t - gamma * lambda * theta_t
                else:                       g_t = g_t + lambda * theta_t
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            mhat_t = m_t / (1 - beta1^t)
            rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
            if rho_t > 5:
                l_t = sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                theta_t = theta_t - gamma * mhat_t * r_t * l_t
            else:
                theta_t = theta_t - gamma * mhat_t

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 1e-3).
    betas : (float, float)
        Running-average coefficients of the gradient and its square (default (0.9, 0.999)),
        each in [0, 1).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        Weight decay (L2 penalty, default 0).
    decoupled_weight_decay : bool
        Decay the weights directly, as AdamW (RAdamW), instead of through the gradient.
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, capturable, differentiable : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps`` or ``weight_decay``, or a beta outside [0, 1).

    Notes
    -----
    State per parameter: ``'step'`` (a 0-d tensor), ``'exp_avg'``, ``'exp_avg_sq'``.
    """

    _update = staticmethod(radam_update)
    _hyper_names = ("lr", "eps", "weight_decay")
    _flag_names = ("maximize", "decoupled_weight_decay")
    _state_names = ("exp_avg", "exp_avg_sq")
    _group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
