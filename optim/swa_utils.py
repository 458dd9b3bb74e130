"""Stochastic weight averaging (SWA) and exponential moving averages (EMA) of a model.

``AveragedModel`` keeps a copy of a model whose parameters (and, with ``use_buffers``, its
buffers) are a running average of the model's; ``SWALR`` anneals the learning rate to a fixed
SWA value; ``update_bn`` recomputes the BatchNorm statistics of the averaged model with one pass
over the data. The arithmetic is ``torch.optim.swa_utils``' on the CPU: the equal-weight
average is ``avg + (p - avg) / (n + 1)``, the EMA ``lerp(ema, p, 1 - decay)`` with PyTorch's
``lerp`` formula.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np

import autograd
from autograd.grad_mode import no_grad
from autograd.tensor import Tensor
from nn.modules.batchnorm import _BatchNorm
from nn.modules.module import Module

from .adam import _lerp_
from .lr_scheduler import LRScheduler, _format_param, _warn_get_lr_called_within_step
from .optimizer import Optimizer

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def _lerp_tensors_(starts, ends, weight: float) -> None:
    """``torch._foreach_lerp_(starts, ends, weight)``: each ``start`` moved in place towards
    its ``end`` with PyTorch's ``lerp`` formula."""
    for s, e in zip(starts, ends, strict=True):
        a = s._data
        b = np.asarray(e._data, dtype=a.dtype)
        _lerp_(a, b, weight, np.empty_like(a))
        s._bump()


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[list, list, Any], None]:
    """The in-place exponential moving average over lists of tensors, for ``multi_avg_fn``.

    ``W^EMA_0 = W^model_0`` and ``W^EMA_{t+1} = decay * W^EMA_t + (1 - decay) * W^model_{t+1}``,
    computed (for floating tensors) as ``lerp(W^EMA_t, W^model_{t+1}, 1 - decay)``.

    Parameters
    ----------
    decay : float
        The decay rate, in [0, 1] (default 0.999).

    Raises
    ------
    ValueError
        For a decay outside [0, 1].
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _) -> None:
        with no_grad():
            if ema_param_list[0].is_floating_point():
                _lerp_tensors_(ema_param_list, current_param_list, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[list, list, Any], None]:
    """The in-place equal-weight average over lists of tensors, for ``multi_avg_fn``:
    ``lerp(avg, p, 1 / (n + 1))`` after ``n`` models averaged.

    With ``n`` a tensor (as :class:`AveragedModel` passes it), the weight ``1 / (n + 1)`` is
    computed as a tensor of the default dtype, as PyTorch does.

    Raises
    ------
    RuntimeError
        For integer or bool tensors (such as BatchNorm's ``num_batches_tracked`` with
        ``use_buffers=True``), with PyTorch's message: its integer branch fails in
        ``_foreach_sub`` (bool), ``_foreach_addcdiv_`` (``n`` a tensor) or ``_foreach_add_``
        (``n`` a number). The default average (no ``multi_avg_fn``) handles them.
    """

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        with no_grad():
            if averaged_param_list[0].is_floating_point():
                if isinstance(num_averaged, Tensor):
                    # 1 / (n + 1) on a tensor: (n + 1).reciprocal() in the default dtype
                    w = np.reciprocal(
                        np.asarray(num_averaged._data + 1, dtype=autograd.get_default_dtype())
                    )
                    weight = float(w)
                else:
                    weight = 1 / (num_averaged + 1)
                _lerp_tensors_(averaged_param_list, current_param_list, weight)
            else:
                _swa_integer_error(averaged_param_list, num_averaged)

    return swa_update


_TORCH_NAMES = {
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "uint16": "UInt16",
    "uint32": "UInt32",
    "uint64": "UInt64",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
}


def _swa_integer_error(averaged_param_list, num_averaged) -> None:
    """PyTorch's errors for the equal-weight average of integer (or bool) tensors: its
    ``_foreach_sub`` refuses bools, ``_foreach_addcdiv_`` integer division (``n`` an integer
    tensor) or a float result in an integer tensor (``n`` a floating tensor), and
    ``_foreach_add_`` a float ``alpha`` (``n`` a Python number)."""
    dt = averaged_param_list[0].dtype
    if dt == np.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if isinstance(num_averaged, Tensor):
        if num_averaged.dtype.kind in "biu":
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  "
                "release addcdiv will perform a true division of tensor1 and tensor2. The "
                "historic addcdiv behavior can be implemented as (input + value * "
                "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                "behavior is just the latter implementation: (input + value * tensor1 / "
                "tensor2), for all dtypes."
            )
        name = _TORCH_NAMES.get(np.dtype(dt).name, str(dt))
        result = _TORCH_NAMES.get(np.dtype(autograd.get_default_dtype()).name, "Float")
        raise RuntimeError(f"result type {result} can't be cast to the desired output type {name}")
    raise RuntimeError(
        "For integral input tensors, argument alpha must not be a floating point number."
    )


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The exponential moving average of one tensor, for ``avg_fn``:
    ``decay * ema + (1 - decay) * p``.

    Raises
    ------
    ValueError
        For a decay outside [0, 1].
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The equal-weight average of one tensor, for ``avg_fn``:
    ``avg + (p - avg) / (n + 1)`` after ``n`` models averaged."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    r"""A copy of a model whose parameters are a running average of the model's (SWA or EMA).

    ``update_parameters(model)`` copies the model's parameters at its first call and then
    averages them in: by default the equal-weight average (stochastic weight averaging,
    Izmailov et al., 2018), ``avg + (p - avg) / (n + 1)`` after ``n`` models; or with
    ``avg_fn(averaged, current, n)`` (returns the new value, one tensor at a time) or
    ``multi_avg_fn(averaged_list, current_list, n)`` (updates lists of tensors in place, one
    call per dtype); e.g. ``multi_avg_fn=get_ema_multi_avg_fn(0.999)`` for an exponential
    moving average. ``n`` is the buffer ``n_averaged`` (an int64 0-d tensor).

    Parameters
    ----------
    model : nn.Module
        The model to average; it is deep-copied.
    device : str or device, optional
        Where to keep the copy (only the CPU).
    avg_fn : callable, optional
        ``avg_fn(averaged_param, model_param, num_averaged) -> new averaged_param``.
    multi_avg_fn : callable, optional
        ``multi_avg_fn(averaged_params, model_params, num_averaged)``, in place.
    use_buffers : bool
        Average the buffers too (default False: the buffers are copied from ``model`` at
        each update).

    Raises
    ------
    AssertionError
        When both ``avg_fn`` and ``multi_avg_fn`` are given (PyTorch's error).

    Notes
    -----
    With BatchNorm layers, recompute the averaged model's statistics with :func:`update_bn`
    (or average the buffers with ``use_buffers=True``). ``avg_fn`` and ``multi_avg_fn`` are
    not part of the ``state_dict``.
    """

    def __init__(
        self,
        model: Module,
        device=None,
        avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
        multi_avg_fn: Callable[[list, list, Any], None] | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", autograd.tensor(0, dtype=autograd.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """The averaged model's forward."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) in.

        Parameters
        ----------
        model : nn.Module
            A model of the same architecture as the one averaged (its parameters are matched
            by position).
        """
        with no_grad():
            self._update_parameters(model)

    def _update_parameters(self, model: Module) -> None:
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param = self.parameters()
            model_param = model.parameters()
        self_detached: list[Tensor] = []
        model_detached: list[Tensor] = []
        n_averaged = self.n_averaged
        copy_param = int(n_averaged.item()) == 0
        for p_averaged, p_model in zip(self_param, model_param):
            p_model_ = p_model.detach()
            self_detached.append(p_averaged.detach())
            model_detached.append(p_model_)
            if copy_param:
                p_averaged.detach().copy_(p_model_)

        if int(n_averaged.item()) > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                groups: dict[Any, tuple[list, list]] = {}
                for a, m in zip(self_detached, model_detached):
                    sa, sm = groups.setdefault(a.dtype, ([], []))
                    sa.append(a)
                    sm.append(m)
                # PyTorch's grouping by (device, dtype) hands the groups over in reverse order
                # of first appearance (for up to three dtypes; its hash map's order beyond)
                for self_params, model_params in reversed(list(groups.values())):
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(self_params, model_params, n_averaged)
                    else:
                        avg_fn = get_swa_avg_fn()
                        for p_averaged, p_model in zip(self_params, model_params, strict=True):
                            p_averaged.copy_(avg_fn(p_averaged, p_model, n_averaged))
            else:
                for p_averaged, p_model in zip(self_detached, model_detached, strict=True):
                    p_averaged.copy_(self.avg_fn(p_averaged, p_model, n_averaged))

        if not self.use_buffers:
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach())
        self.n_averaged += 1


def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute the running statistics of every BatchNorm layer of ``model`` with one pass
    over ``loader``.

    The statistics are reset, then each layer runs in training mode with ``momentum=None``
    (the cumulative average over the batches); the layers' momenta and the model's training
    mode are restored afterwards. Runs without gradient tracking.

    Parameters
    ----------
    loader : iterable
        Batches: each a tensor, or a list/tuple whose first element is the input tensor.
    model : nn.Module
        The model (e.g. an :class:`AveragedModel`); nothing happens if it has no BatchNorm.
    device : str or device, optional
        Where to move each input before the forward (only the CPU).
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for input in loader:  # noqa: A001
                if isinstance(input, (list, tuple)):
                    input = input[0]  # noqa: A001
                if device is not None:
                    input = input.to(device)  # noqa: A001
                model(input)
    finally:
        for bn_module, momentum in momenta.items():
            bn_module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneals each group's learning rate to a fixed SWA value over ``anneal_epochs`` steps,
    then keeps it there.

    At scheduler step ``s`` (``s = 0`` at construction), with ``t = min(1, s / anneal_epochs)``
    and ``alpha(t) = (1 - cos(pi t)) / 2`` (``'cos'``) or ``t`` (``'linear'``)::

        lr_s = swa_lr * alpha(t) + lr_0 * (1 - alpha(t))

    where ``lr_0`` is recovered from the group's current lr and the previous step's ``alpha``
    (so the schedule also continues from whatever another scheduler left), as PyTorch computes
    it.

    Parameters
    ----------
    optimizer : Optimizer
        The wrapped optimizer.
    swa_lr : float or list of float
        The SWA learning rate, for all groups or one per group (stored in each group as
        ``'swa_lr'``).
    anneal_epochs : int
        Number of annealing steps (default 10); 0 switches at once.
    anneal_strategy : {'cos', 'linear'}
        The annealing shape (default ``'cos'``).
    last_epoch : int
        The index of the last epoch (default -1).

    Raises
    ------
    ValueError
        For an unknown ``anneal_strategy``, a negative or non-int ``anneal_epochs``, or a list
        of ``swa_lr`` of the wrong length.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr,
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        """The learning rates of the current step (called by ``step``)."""
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
            for group in self.optimizer.param_groups
        ]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)
        ]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        if anneal_strategy == "cos":
            self.anneal_func = self._cosine_anneal
        else:
            self.anneal_func = self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer and the annealing function."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "anneal_func")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
