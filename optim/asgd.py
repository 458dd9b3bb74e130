"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

import numpy as np

from autograd.dtypes import get_default_dtype

from .optimizer import Optimizer, _check_tensor_lr, _maximize_and_l2_, _value

__all__ = ["ASGD", "asgd_update"]


def asgd_update(param, grad, bufs, scratch, *, step, lr, lambd, alpha, t0, weight_decay, maximize):
    """One ASGD update of ``param`` and the state ``bufs`` = (ax, eta, mu) in place (``eta``
    and ``mu`` are 0-d), at step number ``step`` (already incremented); ``grad`` and
    ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_asgd`` (non-capturable), in its order.
    """
    ax, eta, mu = bufs
    tmp = scratch[0]
    g = grad
    _maximize_and_l2_(param, g, tmp, weight_decay, maximize)
    eta_value = float(eta)
    param *= 1 - lambd * eta_value  # decay term
    # param.add_(grad, alpha=-eta)
    g *= -eta_value
    param += g
    if float(mu) != 1:
        # ax.add_(param.sub(ax).mul_(mu)), mu a 0-d tensor taken in the parameter's dtype
        np.subtract(param, ax, out=tmp)
        tmp *= mu.astype(tmp.dtype)
        ax += tmp
    else:
        np.copyto(ax, param)
    # the next step's eta and mu: ``torch.as_tensor`` of a Python float (the default dtype),
    # copied into the 0-d state (its dtype)
    eta[...] = np.asarray(lr / ((1 + lambd * lr * step) ** alpha), dtype=get_default_dtype())
    mu[...] = np.asarray(1 / max(1, step - t0), dtype=get_default_dtype())


class ASGD(Optimizer):
    r"""ASGD: averaged stochastic gradient descent.

    Proposed in "Acceleration of stochastic approximation by averaging" (Polyak and Juditsky,
    1992). As PyTorch computes it::

        input: gamma (lr), lambda_d (lambd), alpha, t0, theta_0 (params), f (objective),
               lambda (weight decay), maximize
        initialize: eta_0 = gamma, mu_0 = 1, ax_0 = 0
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            theta_t = theta_{t-1} * (1 - lambda_d * eta_{t-1}) - eta_{t-1} * g_t
            ax_t = ax_{t-1} + mu_{t-1} * (theta_t - ax_{t-1})   if mu_{t-1} != 1 else theta_t
            eta_t = gamma / (1 + lambda_d * gamma * t)^alpha
            mu_t = 1 / max(1, t - t0)

    ``ax`` is the running average of the iterates (averaging starts after ``t0`` steps);
    ``eta`` and ``mu`` are kept in the state as 0-d tensors of the scalar dtype (float32
    unless the default dtype is float64), as in PyTorch.

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 1e-2).
    lambd : float
        Decay term (default 1e-4).
    alpha : float
        Power of the eta update (default 0.75).
    t0 : float
        The step at which averaging starts (default 1e6).
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
        For a negative ``lr`` or ``weight_decay``.

    Notes
    -----
    State per parameter: ``'step'`` (a 0-d tensor), ``'eta'`` and ``'mu'`` (0-d), ``'ax'``.
    """

    _update = staticmethod(asgd_update)
    _capturable_what = ("params, mus, etas, and state_steps",) * 2
    _hyper_names = ("lr", "lambd", "alpha", "t0", "weight_decay")
    _flag_names = ("maximize",)
    _state_names = ("ax",)
    _scalar_names = ("eta", "mu")
    _group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def _scalar_spec(self, group):
        return (("eta", _value(group["lr"])), ("mu", 1.0))

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
