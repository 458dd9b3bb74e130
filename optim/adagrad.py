"""Adagrad."""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor

from .optimizer import Optimizer, _check_tensor_lr, _maximize_and_l2_, _step_dtype, _value

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(param, grad, bufs, scratch, *, step, lr, lr_decay, weight_decay, eps, maximize):
    """One Adagrad update of ``param`` and ``bufs[0]`` (the running sum of squared gradients)
    in place, at step number ``step`` (already incremented); ``grad`` and ``scratch`` are
    overwritten.

    The operations are PyTorch's ``_single_tensor_adagrad`` (dense), in its order.
    """
    state_sum = bufs[0]
    tmp = scratch[0]
    g = grad
    _maximize_and_l2_(param, g, tmp, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    np.multiply(g, g, out=tmp)
    state_sum += tmp
    np.sqrt(state_sum, out=tmp)
    tmp += eps
    # addcdiv_(grad, std, value=-clr): param + (-clr * grad) / std
    g *= -clr
    g /= tmp
    param += g


class Adagrad(Optimizer):
    r"""Adagrad.

    The algorithm, as PyTorch states it::

        input: lr (gamma), params (theta_0), objective f, weight_decay (lambda),
               initial_accumulator_value (tau), lr_decay (eta), eps, maximize
        initialize: state_sum_0 = tau
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            gammatilde = gamma / (1 + (t - 1) * eta)
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            state_sum_t = state_sum_{t-1} + g_t^2
            theta_t = theta_{t-1} - gammatilde * g_t / (sqrt(state_sum_t) + eps)

    Parameters
    ----------
    params : iterable
        Tensors to optimize, or dicts defining parameter groups.
    lr : float
        Learning rate (default 1e-2).
    lr_decay : float
        Learning-rate decay (default 0).
    weight_decay : float
        L2 penalty (default 0).
    initial_accumulator_value : float
        Starting value of the sum of squared gradients (default 0).
    eps : float
        Added to the denominator (default 1e-10).
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, differentiable, fused : optional
        Accepted, with PyTorch's errors for the combinations it refuses on the CPU (NOTE
        [ Differences from torch.optim ]).

    Raises
    ------
    ValueError
        For a negative ``lr``, ``lr_decay``, ``weight_decay``, ``initial_accumulator_value``
        or ``eps``.

    Notes
    -----
    State per parameter: ``'step'`` and ``'sum'``, created in the constructor as PyTorch does
    (for groups added later, at their first step). Those created later use the group's
    ``initial_accumulator_value`` (PyTorch uses the constructor's).
    """

    _update = staticmethod(adagrad_update)
    _hyper_names = ("lr", "lr_decay", "weight_decay", "eps")
    _flag_names = ("maximize",)
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def _state_spec(self, group):
        return (("sum", _value(group["initial_accumulator_value"])),)

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        self._check_fused(foreach, fused, differentiable)
        for group in self.param_groups:
            step_dtype = _step_dtype(group)
            for p in group["params"]:
                state = self.state[p]
                state["step"] = Tensor._wrap(np.zeros((), step_dtype))
                a = p._data
                state["sum"] = Tensor._wrap(np.full(a.shape, initial_accumulator_value, a.dtype))
