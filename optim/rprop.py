"""Rprop: resilient backpropagation (a per-element step size driven by gradient signs)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_tensor_lr, _value

__all__ = ["Rprop", "rprop_update"]


def rprop_update(
    param, grad, bufs, scratch, *, step, etaminus, etaplus, step_size_min, step_size_max, maximize
):
    """One Rprop update of ``param`` and the state arrays ``bufs`` = (prev, step_size) in
    place; ``grad`` and ``scratch`` are overwritten.

    The operations are PyTorch's ``_single_tensor_rprop`` (non-capturable), in its order.
    """
    prev, step_size = bufs
    sign, tmp = scratch
    g = grad
    if maximize:
        np.negative(g, out=g)
    np.multiply(g, prev, out=sign)
    np.sign(sign, out=sign)
    # sign[sign > 0] = etaplus; sign[sign < 0] = etaminus; sign[sign == 0] = 1 (NaN stays)
    np.copyto(sign, etaplus, where=sign > 0)
    np.copyto(sign, etaminus, where=sign < 0)
    np.copyto(sign, 1.0, where=sign == 0)
    step_size *= sign
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    # where the gradient changed sign: no step now, and no sign to compare with next time
    np.copyto(g, 0.0, where=sign == etaminus)
    # param.addcmul_(grad.sign(), step_size, value=-1)
    np.sign(g, out=tmp)
    tmp *= step_size
    param -= tmp
    np.copyto(prev, g)


class Rprop(Optimizer):
    r"""Rprop: resilient backpropagation.

    The algorithm, as PyTorch states it::

        input: theta_0 in R^d (params), f (objective),
               eta_{+/-} (etaplus, etaminus), Gamma_{max/min} (step sizes)
        initialize: g_prev = 0, eta_0 = lr (learning rate)
        for t = 1, ...:
            g_t = grad f_t(theta_{t-1})          (its negation under maximize)
            for i = 0, 1, ..., d-1:
                if g_prev^i g_t^i > 0:
                    eta_t^i = min(eta_{t-1}^i eta_+, Gamma_max)
                else if g_prev^i g_t^i < 0:
                    eta_t^i = max(eta_{t-1}^i eta_-, Gamma_min)
                    g_t^i = 0
                else:
                    eta_t^i = eta_{t-1}^i
            theta_t = theta_{t-1} - eta_t sign(g_t)
            g_prev = g_t

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate: the initial step size of every element (default 1e-2).
    etas : (float, float)
        ``(etaminus, etaplus)``, the factors by which a step size shrinks and grows
        (default (0.5, 1.2)), with ``0 < etaminus < 1 < etaplus``.
    step_sizes : (float, float)
        The smallest and largest step size (default (1e-6, 50)).
    maximize : bool
        Maximize the objective instead of minimizing it.
    capturable, foreach, differentiable : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, or etas outside ``0 < etaminus < 1 < etaplus``.

    Notes
    -----
    State per parameter: ``'step'`` (a 0-d tensor), ``'prev'``, ``'step_size'`` (filled with the
    group's ``lr`` at the parameter's first step).
    """

    _update = staticmethod(rprop_update)
    _capturable_xla = (True, True)
    _flag_names = ("maximize",)
    _group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def _hyper(self, group):
        hyper = super()._hyper(group)
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        hyper["etaminus"] = _value(etaminus)
        hyper["etaplus"] = _value(etaplus)
        hyper["step_size_min"] = _value(step_size_min)
        hyper["step_size_max"] = _value(step_size_max)
        return hyper

    def _state_spec(self, group):
        return (("prev", 0.0), ("step_size", _value(group["lr"])))

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
