"""NAdam: Adam with Nesterov momentum (and NAdamW with decoupled weight decay)."""

from __future__ import annotations

import numpy as np

from .adam import _BetasHyper, _check_adam_args, _moments_, _weight_decay_
from .optimizer import Optimizer

__all__ = ["NAdam", "nadam_update"]


def nadam_update(
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
    momentum_decay,
    maximize,
    decoupled_weight_decay,
):
    """One NAdam update of ``param`` and the state arrays ``bufs`` = (exp_avg, exp_avg_sq,
    mu_product) in place (``mu_product`` is 0-d), at step number ``step`` (already
    incremented); ``grad`` and ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_nadam`` (non-capturable), in its order.
    """
    exp_avg, exp_avg_sq, mu_product = bufs
    tmp, denom = scratch
    g = grad
    bias_correction2 = 1 - beta2**step
    _weight_decay_(param, g, tmp, lr, weight_decay, decoupled_weight_decay, maximize)

    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu  # rounded to the 0-d state's dtype, as PyTorch's tensor

    _moments_(exp_avg, exp_avg_sq, g, beta1, beta2, tmp)
    np.divide(exp_avg_sq, bias_correction2, out=denom)
    np.sqrt(denom, out=denom)
    denom += eps

    mu_prod = float(mu_product)
    mu_product_next = mu_prod * mu_next
    # param.addcdiv_(grad, denom, value=-lr * (1 - mu) / (1 - mu_product))
    g *= -lr * (1.0 - mu) / (1.0 - mu_prod)
    g /= denom
    param += g
    # param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1 - mu_product_next))
    np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=tmp)
    tmp /= denom
    param += tmp


class NAdam(_BetasHyper, Optimizer):
    r"""NAdam: Adam with Nesterov momentum.

    The algorithm, as PyTorch states it::

        input: gamma_t (lr), beta1, beta2 (betas), theta_0 (params), f (objective),
               lambda (weight decay), psi (momentum decay), decoupled_weight_decay, maximize
        initialize: m_0 = 0 (first moment), v_0 = 0 (second moment)
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            theta_t = theta_{t-1}
            if lambda != 0:
                if decoupled_weight_decay:  theta_t = theta_{t-1} - gamma * lambda * theta_{t-1}
                else:                       g_t = g_t + lambda * theta_{t-1}
            mu_t     = beta1 * (1 - 0.5 * 0.96^(t psi))
            mu_{t+1} = beta1 * (1 - 0.5 * 0.96^((t+1) psi))
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            mhat_t = mu_{t+1} m_t / (1 - prod_{i=1}^{t+1} mu_i)
                     + (1 - mu_t) g_t / (1 - prod_{i=1}^{t} mu_i)
            vhat_t = v_t / (1 - beta2^t)
            theta_t = theta_t - gamma * mhat_t / (sqrt(vhat_t) + eps)

    As in PyTorch, ``m_t`` is updated with ``lerp``, the denominator is
    ``sqrt(v_t / (1 - beta2^t)) + eps``, and the running product ``prod mu_i`` is kept in
    the state as ``'mu_product'``, a 0-d tensor of the scalar dtype (float32 unless the
    default dtype is float64), multiplied in that dtype.

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 2e-3).
    betas : (float, float)
        Running-average coefficients of the gradient and its square (default (0.9, 0.999)),
        each in [0, 1).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        Weight decay (L2 penalty, default 0).
    momentum_decay : float
        The momentum decay ``psi`` (default 4e-3).
    decoupled_weight_decay : bool
        Decay the weights directly, as AdamW (NAdamW), instead of through the gradient.
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, capturable, differentiable : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps``, ``weight_decay`` or ``momentum_decay``, or a beta
        outside [0, 1).

    Notes
    -----
    State per parameter: ``'step'`` (a 0-d tensor), ``'mu_product'`` (0-d), ``'exp_avg'``,
    ``'exp_avg_sq'``.
    """

    _update = staticmethod(nadam_update)
    _capturable_what = (
        "params, mu_products and state_steps",
        "params, mu_products, and state_steps",
    )
    _hyper_names = ("lr", "eps", "weight_decay", "momentum_decay")
    _flag_names = ("maximize", "decoupled_weight_decay")
    _state_names = ("exp_avg", "exp_avg_sq")
    _scalar_names = ("mu_product",)
    _group_defaults = {
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
    }

    def _scalar_spec(self, group):
        return (("mu_product", 1.0),)

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
