"""RMSprop."""

from __future__ import annotations

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer, _check_tensor_lr, _maximize_and_l2_, _value

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    param, grad, bufs, scratch, *, step, lr, alpha, eps, weight_decay, momentum, centered, maximize
):
    """One RMSprop update of ``param`` and the state arrays ``bufs`` = (square_avg[,
    momentum_buffer][, grad_avg]) in place; ``grad`` and ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_rmsprop``, in its order.
    """
    square_avg = bufs[0]
    tmp = scratch[0]
    g = grad
    _maximize_and_l2_(param, g, tmp, weight_decay, maximize)
    square_avg *= alpha
    np.multiply(g, 1 - alpha, out=tmp)
    tmp *= g
    square_avg += tmp
    if centered:
        grad_avg = bufs[-1]
        _lerp_(grad_avg, g, 1 - alpha, tmp)
        # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        np.multiply(grad_avg, -1.0, out=tmp)
        tmp *= grad_avg
        tmp += square_avg
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(square_avg, out=tmp)
    tmp += eps
    if momentum > 0:
        buf = bufs[1]
        buf *= momentum
        g /= tmp  # addcdiv_(grad, avg) with value 1
        buf += g
        np.multiply(buf, -lr, out=tmp)
        param += tmp
    else:
        # addcdiv_(grad, avg, value=-lr): param + (-lr * grad) / avg
        g *= -lr
        g /= tmp
        param += g


class RMSprop(Optimizer):
    r"""RMSprop.

    The algorithm, as PyTorch states it::

        input: alpha (alpha), lr (gamma), params (theta_0), objective f, weight_decay (lambda),
               momentum (mu), centered, eps, maximize
        initialize: v_0 = 0 (square average), b_0 = 0 (buffer), g^ave_0 = 0
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
            vtilde_t = v_t
            if centered:
                g^ave_t = g^ave_{t-1} * alpha + (1 - alpha) * g_t
                vtilde_t = vtilde_t - (g^ave_t)^2
            if mu > 0:
                b_t = mu * b_{t-1} + g_t / (sqrt(vtilde_t) + eps)
                theta_t = theta_{t-1} - gamma * b_t
            else:
                theta_t = theta_{t-1} - gamma * g_t / (sqrt(vtilde_t) + eps)

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 1e-2).
    alpha : float
        Smoothing constant (default 0.99).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        L2 penalty (default 0).
    momentum : float
        Momentum factor (default 0).
    centered : bool
        Normalize by an estimate of the gradient's variance instead of its second moment.
    maximize : bool
        Maximize the objective instead of minimizing it.
    capturable, foreach, differentiable : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps``, ``momentum``, ``weight_decay`` or ``alpha``.

    Notes
    -----
    State per parameter: ``'step'``, ``'square_avg'``, ``'momentum_buffer'`` (momentum > 0),
    ``'grad_avg'`` (centered).
    """

    _update = staticmethod(rmsprop_update)
    _capturable_xla = (True, True)
    _hyper_names = ("lr", "alpha", "eps", "weight_decay", "momentum")
    _flag_names = ("centered", "maximize")
    _group_defaults = {
        "momentum": 0,
        "centered": False,
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def _state_spec(self, group):
        names = ("square_avg",)
        if _value(group["momentum"]) > 0:
            names += ("momentum_buffer",)
        if group["centered"]:
            names += ("grad_avg",)
        return tuple((name, 0.0) for name in names)

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
