"""The optimizer base class: parameter groups, per-parameter state, ``state_dict``.

Every optimizer keeps ``param_groups``, a list of dicts each holding ``'params'`` (a list of
tensors) and the group's options, filled from ``defaults`` for any option the group leaves
out; and ``state``, a dict from parameter to that parameter's state dict (``'step'``,
``'exp_avg'``, ...). ``state_dict()`` stores parameters by their position across the groups,
as PyTorch does, so a saved state loads into an optimizer built over new parameter objects.

The elementwise optimizers update the parameter arrays in place with NumPy, outside the graph,
through :meth:`Optimizer._elementwise_step`; see NOTE [ Flat parameter buffers ] in
``optim/_flat.py`` for how one update covers a whole group.

NOTE [ Writing an elementwise optimizer ]
The base class owns the loop that every elementwise optimizer shares (PyTorch's ``step`` /
``_single_tensor_*`` split): running the closure, gathering the parameters that have a
gradient, creating and counting their state, choosing the flat or the per-parameter path, and
bumping the parameters' version counters. A new optimizer (NAdam, RAdam, Adamax, Rprop, ...) is
therefore only:

1. its **hyper-parameters**: ``__init__`` validates them and passes them to
   ``super().__init__(params, defaults)``; the class lists the options its update reads,
   ``_hyper_names`` (passed as floats) and ``_flag_names`` (passed as bools), and the options
   that a state dict saved by an older version may lack, ``_group_defaults``;
2. its **state names**: ``_state_names``, the per-parameter state tensors, each created filled
   with zeros at the first step (override ``_state_spec(group)`` for state that depends on
   the group's options or starts at another value; a fill of None means the update creates
   that buffer itself, as SGD's momentum buffer); ``_count_steps`` keeps ``state[p]['step']``
   (a 0-d tensor, as PyTorch's, incremented before the update; the update gets its value as a
   float);
3. **one update function**, ``_update = staticmethod(f)`` with
   ``f(param, grad, bufs, scratch, *, step, **hyper)``: it updates NumPy arrays in place --
   ``param``; ``grad``, a scratch copy of the gradient it may overwrite; ``bufs``, the state
   arrays in the order of the state names; ``scratch``, two arrays of ``param``'s size -- and
   must be elementwise (the same call serves one parameter or a whole group's flat buffer).

Optimizers with **scalar state** (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) list it in
``_scalar_names`` (override ``_scalar_spec(group)`` for initial values other than 0). Each
parameter's scalar state is a 0-d tensor of PyTorch's scalar dtype (float64 when the default
dtype is float64, else float32, as ``torch.optim``'s ``_get_scalar_dtype``), created before the
tensor state; the update receives it as 0-d arrays after the tensor state in ``bufs`` and
updates them in place (``mu_product *= mu`` rounds to that dtype, as in PyTorch). The flat path
keeps one array per scalar state name with an entry per parameter (each parameter's 0-d tensor
views its entry: ``step += 1`` is one call for the group) and runs when every entry holds the
same value. ``load_state_dict`` casts them to the parameter's dtype, as PyTorch does (so a
resumed run can round differently from an uninterrupted one, exactly as PyTorch's does).

For example, a sign-SGD::

    def signsgd_update(param, grad, bufs, scratch, *, step, lr, maximize):
        np.sign(grad, out=grad)
        grad *= lr if maximize else -lr
        param += grad

    class SignSGD(Optimizer):
        _update = staticmethod(signsgd_update)
        _hyper_names = ("lr",)
        _flag_names = ("maximize",)
        _count_steps = False

        def __init__(self, params, lr=1e-3, *, maximize=False):
            super().__init__(params, {"lr": lr, "maximize": maximize})

Optimizers that are not elementwise (LBFGS) override ``step`` instead.

NOTE [ Differences from torch.optim ]
- ``load_state_dict`` copies the state tensors it is given (PyTorch shares them when the dtype
  already matches), so a state dict can be loaded into several optimizers.
- Every elementwise step computes PyTorch's single-tensor update (its default on the CPU).
  ``foreach=True`` and ``fused=True`` are accepted, and PyTorch's errors for their invalid
  combinations raised, but PyTorch's foreach (ASGD, NAdam, RAdam) and fused (SGD, Adam, AdamW,
  Adagrad) kernels round differently, by an ulp here and there.
- ``differentiable=True`` raises PyTorch's errors (a leaf that requires grad; ``foreach``), but
  the update of non-leaf parameters is made outside the graph: the result has no ``grad_fn``.
- A step that fails on a flag error leaves the state made (step 0), not the first parameter's
  partial update that PyTorch leaves when it fails half-way.
- Sparse gradients and complex parameters are not supported.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any, ClassVar

import numpy as np

from autograd.dtypes import get_default_dtype
from autograd.grad_mode import enable_grad, no_grad
from autograd.hooks import RemovableHandle
from autograd.tensor import Tensor

from . import _flat

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton for an option that every parameter group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(x) -> str:
    return type(x).__name__


def _value(x) -> float:
    """A hyper-parameter as a Python float (a 1-element Tensor is accepted, as in PyTorch)."""
    return float(x)


def _check_tensor_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def _check_grads(params) -> None:
    """Raise a clear error for a gradient that doesn't fit its parameter."""
    for i, p in enumerate(params):
        g = p.grad
        if not isinstance(g, Tensor):
            raise TypeError(f"parameter {i}: .grad must be a Tensor, got {_typename(g)}")
        if g._data.shape != p._data.shape:
            raise RuntimeError(
                f"parameter {i}: gradient has shape {tuple(g._data.shape)} but the parameter "
                f"has shape {tuple(p._data.shape)}"
            )
        if g._data.dtype.kind not in "fiub":
            raise TypeError(f"parameter {i}: gradient of dtype {g._data.dtype} is not real")


def _maximize_and_l2_(param, grad, tmp, weight_decay: float, maximize: bool) -> None:
    """The first lines of every update, on arrays in place: ``grad`` negated under
    ``maximize``, then ``weight_decay * param`` added to it (L2 decay); ``tmp`` is scratch."""
    if maximize:
        np.negative(grad, out=grad)
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=tmp)
        grad += tmp


def _scalar_dtype() -> np.dtype:
    """The dtype of 0-d optimizer state: float64 when the default dtype is float64, else
    float32 (PyTorch's ``_get_scalar_dtype``)."""
    d = np.dtype(get_default_dtype())
    return d if d == np.float64 else np.dtype(np.float32)


def _step_dtype(group: dict[str, Any]) -> np.dtype:
    """The dtype of ``state[p]['step']``: float32 for a ``fused`` group, else the scalar dtype
    (PyTorch's ``_get_scalar_dtype(is_fused=...)``)."""
    return np.dtype(np.float32) if group.get("fused") else _scalar_dtype()


def _scalar_state(st: dict, name: str, init: float, dtype: np.dtype) -> Tensor:
    """``st[name]``, the 0-d state tensor, created from ``init`` when missing (a Python number
    put there becomes a 0-d tensor of ``dtype``)."""
    t = st.get(name)
    if not isinstance(t, Tensor):
        t = st[name] = Tensor._wrap(np.array(init if t is None else t, dtype=dtype))
    return t


def _warn_duplicates() -> None:
    """PyTorch's warning for a parameter listed twice in one group, attributed to the first
    caller outside this package."""
    here = os.path.dirname(os.path.abspath(__file__))
    level, f = 2, sys._getframe(1)
    while f is not None and os.path.dirname(os.path.abspath(f.f_code.co_filename)) == here:
        level += 1
        f = f.f_back
    warnings.warn(
        "optimizer contains a parameter group with duplicate parameters; in future, this will "
        "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
        UserWarning,
        stacklevel=level,
    )


_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone"]


def _run_closure(closure):
    if closure is None:
        return None
    with enable_grad():
        return closure()


class Optimizer:
    """Base class for all optimizers.

    Parameters
    ----------
    params : iterable of Tensor, of (name, Tensor) pairs, or of dict
        The tensors to optimize (leaves), or parameter groups: dicts with a ``'params'`` entry
        and any per-group options. Use an ordered collection (a list, ``model.parameters()``):
        a ``set`` given here is listed in its (run-dependent) order, as PyTorch does, and one
        given as a group's ``'params'`` is refused. A parameter listed twice in one group is
        accepted with PyTorch's warning, and updated twice per step, as PyTorch does.
    defaults : dict
        The value of every option for groups that don't give it.

    Raises
    ------
    TypeError
        For a single Tensor as ``params``, a set as a group's ``'params'``, or a non-Tensor
        among the parameters.
    ValueError
        For an empty parameter list, a non-leaf tensor, a parameter in two groups, a missing
        required option.
    """

    # The elementwise-optimizer hook (NOTE [ Writing an elementwise optimizer ]).
    _update: ClassVar[Callable[..., None] | None] = None
    _hyper_names: ClassVar[tuple[str, ...]] = ()
    _flag_names: ClassVar[tuple[str, ...]] = ()
    _state_names: ClassVar[tuple[str, ...]] = ()
    _scalar_names: ClassVar[tuple[str, ...]] = ()
    _count_steps: ClassVar[bool] = True
    _group_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._flat: dict[int, _flat.FlatGroup] = {}
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- pickling protocol (used by copy.deepcopy; tensors themselves refuse pickle) ----------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks",
            "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks",
            "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks",
            "_optimizer_load_state_dict_post_hooks",
        ):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._flat = {}
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for name, default in self._group_defaults.items():
                group.setdefault(name, default)
        if self._update is not None:
            # an elementwise optimizer's 0-d state saved as a Python number becomes a 0-d
            # tensor (PyTorch's ``__setstate__`` of each optimizer)
            for group in self.param_groups:
                scalars = self._scalars(group)
                for p in group["params"]:
                    st = self.state.get(p)
                    if st:
                        for name, _, dtype in scalars:
                            v = st.get(name)
                            if v is not None and not isinstance(v, Tensor):
                                st[name] = Tensor._wrap(np.array(float(v), dtype=dtype))

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # -- step hooks ---------------------------------------------------------------------------
    @staticmethod
    def _hook_step(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in list(self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{func} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
            out = func(*args, **kwargs)
            self._opt_called = True  # read by lr_scheduler's order check
            for post_hook in list(self._optimizer_step_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out

        wrapper.hooked = True
        return wrapper

    def _patch_step_function(self) -> None:
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = self._hook_step(cls.step)

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new
        ``(args, kwargs)``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` before ``state_dict`` builds the dict."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` on the result of ``state_dict``; a non-None
        return value replaces it."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before loading; a non-None return value is
        loaded instead."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(optimizer)`` after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- parameter groups -----------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own options, to ``param_groups``.

        Parameters
        ----------
        param_group : dict
            ``'params'``: a Tensor, or an ordered iterable of Tensors or of (name, Tensor)
            pairs; any other entries are options for this group (the rest come from
            ``defaults``).

        Raises
        ------
        TypeError
            For a non-dict group, a set of parameters, a non-Tensor parameter.
        ValueError
            For a non-leaf tensor, a parameter already in another group, a missing required
            option, groups mixing named and unnamed parameters.

        Warns
        -----
        UserWarning
            For a parameter listed twice in the group (PyTorch's warning; it is updated twice
            per step).
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        ids = {id(p) for p in tensors}
        if len(ids) != len(tensors):
            _warn_duplicates()
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
            if any(id(p) in ids for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # -- gradients --------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Parameters
        ----------
        set_to_none : bool
            ``True`` (default): set each ``.grad`` to None, so the next step skips parameters
            that get no gradient. ``False``: fill the gradients with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` (optional) re-evaluates the model and
        returns the loss, which ``step`` returns.

        For an elementwise optimizer this runs its ``_update`` over each group (NOTE [ Writing
        an elementwise optimizer ]); other optimizers override it.
        """
        update = self._update
        if update is None:
            raise NotImplementedError(f"{type(self).__name__} does not implement step()")
        loss = _run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                spec = self._state_spec(group)
                names = tuple(name for name, _ in spec)
                fills = tuple(fill for _, fill in spec)
                hyper = self._hyper(group)
                self._elementwise_step(group, names, fills, update, hyper, self._scalars(group))
        return loss

    def _hyper(self, group: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments of ``_update`` for ``group``: the options named by
        ``_hyper_names`` as floats and those named by ``_flag_names`` as bools."""
        hyper = {name: _value(group[name]) for name in self._hyper_names}
        for name in self._flag_names:
            hyper[name] = bool(group[name])
        return hyper

    def _state_spec(self, group: dict[str, Any]) -> tuple[tuple[str, float | None], ...]:
        """``(name, initial fill)`` of each state tensor of ``group``'s parameters, in the
        order of ``_update``'s ``bufs`` (fill None: the update creates the buffer)."""
        return tuple((name, 0.0) for name in self._state_names)

    def _scalar_spec(self, group: dict[str, Any]) -> tuple[tuple[str, float], ...]:
        """``(name, initial value)`` of each 0-d state tensor of ``group``'s parameters other
        than ``'step'``, in the order in which they follow the tensor state in ``_update``'s
        ``bufs``."""
        return tuple((name, 0.0) for name in self._scalar_names)

    def _scalars(self, group: dict[str, Any]) -> tuple[tuple[str, float, np.dtype], ...]:
        """``(name, initial value, dtype)`` of all the 0-d state of ``group``'s parameters, in
        PyTorch's order of creation: ``'step'`` first (when counted), then ``_scalar_spec``."""
        sdt = _scalar_dtype()
        out = tuple((n, init, sdt) for n, init in self._scalar_spec(group))
        if self._count_steps:
            out = (("step", 0.0, _step_dtype(group)),) + out
        return out

    # -- flags: PyTorch's errors for the implementation-selecting options --------------------------
    # The step of every elementwise optimizer is the single-tensor one (PyTorch's default on the
    # CPU). ``foreach``/``fused`` select other implementations there, which are accepted here
    # (and computed the single-tensor way); the combinations PyTorch refuses raise its errors:
    # ``fused`` with ``foreach`` or ``differentiable`` when built, ``capturable`` (only for GPU
    # tensors) and ``foreach`` with ``differentiable`` at the step, after the state is made.
    _capturable_what: ClassVar[tuple[str, str]] = (
        "params and state_steps",
        "params and state_steps",
    )  # the message's subject, single-tensor and foreach
    _capturable_xla: ClassVar[tuple[bool, bool]] = (True, False)  # 'xla' in the device list
    _foreach_capturable_first: ClassVar[bool] = False  # foreach checks capturable first
    _foreach_differentiable: ClassVar[bool] = False  # foreach accepts differentiable

    def _check_fused(self, foreach, fused, differentiable) -> None:
        """The constructor's checks of ``fused`` (SGD, Adam, AdamW, Adagrad), after the groups
        are added, in PyTorch's order."""
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _flag_error(self, group: dict[str, Any], params) -> Exception | None:
        """The error PyTorch's step raises for ``group``'s flags on the CPU, or None."""
        if group.get("fused"):
            return None
        capturable = bool(group.get("capturable"))
        foreach = bool(group.get("foreach"))
        if foreach and group.get("differentiable") and not self._foreach_differentiable:
            if not (capturable and self._foreach_capturable_first):
                return AssertionError("_foreach ops don't support autograd")
        if capturable:
            devices = _CAPTURABLE_DEVICES + (["xla"] if self._capturable_xla[foreach] else [])
            return AssertionError(
                f"If capturable=True, {self._capturable_what[foreach]} must be on supported "
                f"devices: {devices}."
            )
        if self.defaults.get("differentiable"):
            # the step runs with grad mode on, and updates the parameters in place
            for p in params:
                if p.grad_fn is None and p.requires_grad:
                    return RuntimeError(
                        "a leaf Variable that requires grad is being used in an in-place operation."
                    )
        return None

    # -- state dict --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer state as a dict of two entries.

        * ``'state'``: parameter position -> that parameter's state dict (the live state, not
          a copy, as in PyTorch);
        * ``'param_groups'``: one dict per group with its options and ``'params'``, the
          positions of its parameters (positions count across the groups in order).

        Everything in it (tensors, floats, ints, strings, lists, tuples, None) is accepted by
        :func:`autograd.save`.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start_index):
                param_mappings.setdefault(id(p), i)
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, Tensor) else k): v
            for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _cast(param: Tensor, value, group: dict[str, Any], key=None):
        """A copy of a loaded state value, cast as PyTorch's
        ``_process_value_according_to_param_policy``: ``'step'`` keeps its dtype (float32 in a
        ``fused`` or ``capturable`` group), every other tensor takes ``param``'s dtype when that
        is floating; containers recursively, other values as they are."""
        if isinstance(value, Tensor):
            arr = value._data
            if key == "step":
                if group.get("fused") or group.get("capturable"):
                    return Tensor._wrap(arr.astype(np.float32, copy=True))
                return Tensor._wrap(arr.copy())
            if param._data.dtype.kind == "f":
                return Tensor._wrap(arr.astype(param._data.dtype, copy=True))
            return Tensor._wrap(arr.copy())
        if isinstance(value, dict):
            return {k: Optimizer._cast(param, v, group, key=k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast(param, v, group) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict` (possibly through ``autograd.save`` /
        ``autograd.load``).

        Parameters are matched by position: the optimizer must have the same number of groups,
        with the same number of parameters each. Group options are taken from ``state_dict``;
        the parameters stay this optimizer's. State tensors are copied and cast as PyTorch casts
        them: ``'step'`` keeps its dtype (float32 in a ``fused`` or ``capturable`` group), the
        others take their parameter's dtype when it is floating (NAdam's ``mu_product``,
        ASGD's ``eta`` and ``mu`` included). A ``'step'`` (or other 0-d state) saved as a
        Python number becomes a 0-d tensor of the scalar dtype.

        Raises
        ------
        ValueError
            When the number of groups or of parameters in a group differs.
        """
        state_dict = dict(state_dict)
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        group_of = {}
        for sg in saved_groups:
            for k in sg["params"]:
                group_of.setdefault(k, sg)
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast(param, v, group_of[k])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # -- the shared elementwise step ------------------------------------------------------------
    def _elementwise_step(self, group, names, fills, update, hyper, scalars=()) -> None:
        """Run ``update`` over the parameters of ``group`` that have a gradient.

        ``update(param, grad, bufs, scratch, step=..., **hyper)`` updates NumPy arrays in
        place: ``param``; ``grad``, a scratch copy of the gradient it may overwrite; ``bufs``,
        the state arrays named by ``names`` (an entry is None when the state is created by the
        update itself, which then stores the new array in ``bufs``), then the 0-d state other
        than ``'step'``; ``scratch``, two arrays of the parameter's size. It runs once over
        the group's flat buffers when the layout allows (NOTE [ Flat parameter buffers ]),
        else once per parameter. ``fills`` give the initial value of each state (None: created
        by the update); ``scalars`` the ``(name, initial value, dtype)`` of the 0-d state,
        ``'step'`` first when counted (incremented before the update).
        """
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        error = self._flag_error(group, params)
        if error is None and self._flat_step(group, params, names, fills, update, hyper, scalars):
            return
        self._per_param_step(group, params, names, fills, update, hyper, scalars, error)

    def _per_param_step(self, group, params, names, fills, update, hyper, scalars, error):
        """The update, once per parameter, as PyTorch's single-tensor loop: every parameter's
        state is made (and its buffers listed) first, then the parameters are updated in order,
        then the buffers the update created are stored -- so a parameter listed twice is
        updated twice, its shared state advancing twice. ``error`` (a flag error) is raised
        once the state is made."""
        _check_grads(params)
        with_step = bool(scalars) and scalars[0][0] == "step" and self._count_steps
        state = self.state
        entries = []
        for p in params:
            a = p._data
            if names or scalars:
                st = state[p]
                sts = [_scalar_state(st, n, init, dt)._data for n, init, dt in scalars]
                bufs = []
                for n, fill in zip(names, fills):
                    t = st.get(n)
                    if t is None and fill is not None:
                        t = st[n] = Tensor._wrap(np.full(a.shape, fill, a.dtype))
                    bufs.append(None if t is None else t._data)
            else:
                st, sts, bufs = None, [], []
            entries.append((st, sts, bufs))
        if error is not None:
            raise error
        made = []
        for p, (st, sts, bufs) in zip(params, entries):
            a = p._data
            gc = np.array(p.grad._data, dtype=a.dtype)
            step = None
            if with_step:
                t = sts[0]
                t += 1
                step = float(t)
                sts = sts[1:]
            old = list(bufs)
            args = bufs + sts
            update(a, gc, args, (np.empty_like(gc), np.empty_like(gc)), step=step, **hyper)
            made.append((st, old, args[: len(names)]))
            p._bump()
        for st, old, new in made:
            for n, o, b in zip(names, old, new):
                if b is not o:
                    st[n] = Tensor._wrap(b)

    def _holders(self, group) -> list:
        """The arrays of every tensor of ``group``: its parameters' and their state's."""
        state = self.state
        out = [p._data for p in group["params"]]
        for p in group["params"]:
            st = state.get(p)
            if st:
                out += [v._data for v in st.values() if isinstance(v, Tensor)]
        return out

    def _flat_step(self, group, params, names, fills, update, hyper, scalars=()) -> bool:
        """The update, on flat buffers, of ``params`` (the parameters of ``group`` that have a
        gradient); False (nothing done) when they can't be laid out flat."""
        with_step = bool(scalars) and scalars[0][0] == "step" and self._count_steps
        snames = tuple(n for n, _, _ in scalars)
        states = [self.state[p] for p in params] if (names or scalars) else []
        key = id(group)
        fg = self._flat.get(key)
        if fg is None or not fg.valid(params, states, names, snames):
            fg = None
            self._flat.pop(key, None)
            for st in states:
                for n, init, dt in scalars:
                    _scalar_state(st, n, init, dt)
            fg = _flat.build(params, states, names, fills, snames, self._holders(group))
            if fg is None:
                return False
            self._flat[key] = fg
        if not fg.uniform():  # one step count (and scalar state) across the group
            return False
        g, t1, t2 = fg.scratch
        try:
            grads = [p.grad._data for p in params]
            for p, ga in zip(params, grads):
                if ga.shape != p._data.shape:  # (a transposed gradient has the right size)
                    raise ValueError("gradient shape")
            np.concatenate(grads, axis=None, out=g, casting="same_kind")
        except (ValueError, TypeError, AttributeError):
            _check_grads(params)
            raise
        step = None
        sbufs = fg.sbufs
        if with_step:
            steps = sbufs[0]
            steps += 1
            step = float(steps[0])
            sbufs = sbufs[1:]
        shared = [np.array(sb[0]) for sb in sbufs]
        bufs = list(fg.bufs) + shared
        update(fg.flat, g, bufs, (t1, t2), step=step, **hyper)
        for i, (old, new) in enumerate(zip(fg.bufs, bufs)):
            if new is not old:
                fg.adopt(i, new, states)
        for sb, arr in zip(sbufs, shared):
            sb[...] = arr
        if fg.sbufs:
            fg.snapshot = [sb.tobytes() for sb in fg.sbufs]
        for p in params:
            p._bump()
        return True
