"""Adam, and the shared update that AdamW uses with decoupled weight decay."""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor

from .optimizer import Optimizer, _check_tensor_lr, _maximize_and_l2_, _value

__all__ = ["Adam", "adam_update"]


def _lerp_(start, end, weight: float, tmp) -> None:
    """``start.lerp_(end, weight)`` as PyTorch computes it: ``start + weight * (end - start)``
    for ``|weight| < 0.5``, else ``end - (end - start) * (1 - weight)``."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=start)


def _weight_decay_(param, grad, tmp, lr, weight_decay, decoupled: bool, maximize: bool) -> None:
    """The Adam family's prologue: decoupled decay of ``param`` (AdamW-style) or L2 added to
    ``grad``, after negating ``grad`` for ``maximize``; PyTorch's order of operations."""
    if decoupled:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        _maximize_and_l2_(param, grad, tmp, 0.0, maximize)
    else:
        _maximize_and_l2_(param, grad, tmp, weight_decay, maximize)


def _moments_(exp_avg, exp_avg_sq, grad, beta1: float, beta2: float, tmp) -> None:
    """``exp_avg.lerp_(grad, 1 - beta1)``; ``exp_avg_sq.mul_(beta2).addcmul_(grad, grad,
    value=1 - beta2)``, in place, as PyTorch computes them."""
    _lerp_(exp_avg, grad, 1 - beta1, tmp)
    exp_avg_sq *= beta2
    np.multiply(grad, 1 - beta2, out=tmp)
    tmp *= grad
    exp_avg_sq += tmp


class _BetasHyper:
    """Mixin of the optimizers that take ``betas``: hands the update ``beta1`` and ``beta2``."""

    def _hyper(self, group):
        hyper = super()._hyper(group)
        beta1, beta2 = group["betas"]
        hyper["beta1"] = _value(beta1)
        hyper["beta2"] = _value(beta2)
        return hyper


def adam_update(
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
    amsgrad,
    maximize,
    decoupled_weight_decay,
):
    """One Adam/AdamW update of ``param`` and the state arrays ``bufs`` = (exp_avg,
    exp_avg_sq[, max_exp_avg_sq]) in place, at step number ``step`` (already incremented);
    ``grad`` and ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_adam`` (non-capturable), in its order.
    """
    exp_avg, exp_avg_sq = bufs[0], bufs[1]
    tmp = scratch[0]
    g = grad
    _weight_decay_(param, g, tmp, lr, weight_decay, decoupled_weight_decay, maximize)
    _moments_(exp_avg, exp_avg_sq, g, beta1, beta2, tmp)

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    if amsgrad:
        max_exp_avg_sq = bufs[2]
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        np.sqrt(max_exp_avg_sq, out=tmp)
    else:
        np.sqrt(exp_avg_sq, out=tmp)
    tmp /= bias_correction2_sqrt
    tmp += eps
    # addcdiv_(exp_avg, denom, value=-step_size): param + (value * exp_avg) / denom
    np.multiply(exp_avg, -step_size, out=g)
    g /= tmp
    param += g


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    _check_tensor_lr(lr)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(_BetasHyper, Optimizer):
    r"""Adam.

    The algorithm, as PyTorch states it::

        input: lr (gamma), betas (beta1, beta2), params (theta_0), objective f,
               weight_decay (lambda), amsgrad, maximize, eps
        initialize: m_0 = 0, v_0 = 0, v_0^max = 0
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            mhat_t = m_t / (1 - beta1^t)
            if amsgrad:  v_t^max = max(v_{t-1}^max, v_t);  vhat_t = v_t^max / (1 - beta2^t)
            else:        vhat_t = v_t / (1 - beta2^t)
            theta_t = theta_{t-1} - gamma * mhat_t / (sqrt(vhat_t) + eps)

    With ``decoupled_weight_decay=True`` (what :class:`AdamW` sets) the decay is instead
    ``theta_{t-1} <- theta_{t-1} - gamma * lambda * theta_{t-1}``, made before the moments and
    kept out of them. As in PyTorch, ``m_t`` is updated with ``lerp`` and the denominator is
    ``sqrt(v_t) / sqrt(1 - beta2^t) + eps``.

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
        L2 penalty (default 0).
    amsgrad : bool
        Use the AMSGrad variant (the running maximum of ``v_t``).
    maximize : bool
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay : bool
        Decay the weights directly (AdamW) instead of through the gradient.
    foreach, capturable, differentiable, fused : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps`` or ``weight_decay``, or a beta outside [0, 1).

    Notes
    -----
    State per parameter: ``'step'`` (a 0-d tensor), ``'exp_avg'``, ``'exp_avg_sq'`` and, with
    ``amsgrad``, ``'max_exp_avg_sq'``.
    """

    _update = staticmethod(adam_update)
    _hyper_names = ("lr", "eps", "weight_decay")
    _flag_names = ("amsgrad", "maximize", "decoupled_weight_decay")
    _state_names = ("exp_avg", "exp_avg_sq")
    _foreach_capturable_first = True
    _group_defaults = {
        "amsgrad": False,
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "fused": None,
    }

    def _state_spec(self, group):
        names = self._state_names + (("max_exp_avg_sq",) if group["amsgrad"] else ())
        return tuple((name, 0.0) for name in names)

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        self._check_fused(foreach, fused, differentiable)
