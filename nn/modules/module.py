"""``Module``: the base class of every layer.

NOTE [ Module attribute routing ]
``Module.__setattr__`` sends a :class:`Parameter` to ``_parameters``, a :class:`Module` to
``_modules`` and a tensor assigned to a registered buffer name (or a :class:`Buffer`) to
``_buffers``; everything else is an ordinary attribute. The three dicts keep assignment order,
which fixes the order of ``parameters()``, ``state_dict()`` keys and the ``repr`` tree, exactly as
in PyTorch, so a state dict written by PyTorch (converted to arrays) loads here and back.
``__getattr__`` runs only when normal lookup fails, so reading a registered parameter costs one
dict lookup and reading an ordinary attribute costs nothing extra.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from autograd import dtypes as _dt
from autograd.devices import _check_device, parse_to
from autograd.grad_mode import _state, no_grad
from autograd.hooks import RemovableHandle
from autograd.tensor import Tensor

from ..parameter import Buffer, Parameter, UninitializedBuffer, is_lazy

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the missing and the unexpected keys."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s_: str, num_spaces: int) -> str:
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    s = [(num_spaces * " ") + line for line in s]
    return first + "\n" + "\n".join(s)


def _shape_str(shape) -> str:
    return str(tuple(shape))


def _check_name(kind: str, name, self, existing: dict) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if name not in existing and hasattr(self, name):
        raise KeyError(f"attribute '{name}' already exists")


class Module:
    """Base class for all neural-network modules; subclass it and define ``forward``.

    Parameters, buffers and submodules assigned as attributes are registered in assignment
    order (see NOTE [ Module attribute routing ]). Calling the module runs the forward
    pre-hooks, ``forward`` and the forward hooks; with no hooks it calls ``forward`` directly.

    Examples
    --------
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.fc2 = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(F.relu(self.fc1(x)))
    """

    training: bool
    _version: int = 1
    dump_patches: bool = False
    call_super_init: bool = False

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: args={args}, "
                f"kwargs={kwargs}"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}

    # -- forward and call ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """The computation of the layer; every subclass defines it. Call the module, not
        ``forward``.
        """
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def _call_impl(self, *args, **kwargs):
        if _state.hooks and _state.profiler is not None:  # PROFILER HOOK: one range per call
            return _state.profiler.module_call(self, self._call_with_hooks, args, kwargs)
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {res}."
                        )
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        result = self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                res = hook(self, args, kwargs, result)
            else:
                res = hook(self, args, result)
            if res is not None:
                result = res
        return result

    __call__ = _call_impl

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args) -> None or modified args`` (``hook(module, args, kwargs) ->
        None or (args, kwargs)`` with ``with_kwargs=True``), run before ``forward``."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ):
        """``hook(module, args, output) -> None or modified output`` (``hook(module, args,
        kwargs, output)`` with ``with_kwargs=True``), run after ``forward``."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    # -- registration --------------------------------------------------------------------------
    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a buffer (state that is not a parameter, e.g. running statistics). Persistent
        buffers are part of ``state_dict()``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        if isinstance(tensor, (Buffer, Parameter)):
            tensor = Tensor._wrap(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter (``None`` registers the name with no value, e.g. ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self, self._parameters)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                "created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def add_module(self, name: str, module) -> None:
        """Add a child module, reachable as the attribute ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name: str, module) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``''`` is ``self``)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (``'0.weight'``)."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (``'bn.running_mean'``)."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # -- attribute routing (NOTE [ Module attribute routing ]) ---------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(name, d, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = d.get("_buffers")
        as_buffer = isinstance(value, (Buffer, UninitializedBuffer))
        if as_buffer or (buffers is not None and name in buffers):
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(torch.nn.Buffer, torch.Tensor or None expected)"
                )
            if as_buffer:
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            # Drop a plain attribute of the same name, as PyTorch does for Buffer.
            d.pop(name, None)
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        if "_parameters" in d:
            p = d["_parameters"]
            if name in p:
                return p[name]
        if "_buffers" in d:
            b = d["_buffers"]
            if name in b:
                return b[name]
        if "_modules" in d:
            m = d["_modules"]
            if name in m:
                return m[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        attrs = dir(self.__class__)
        attrs += list(self.__dict__.keys())
        attrs += list(self._parameters.keys())
        attrs += list(self._modules.keys())
        attrs += list(self._buffers.keys())
        return sorted(a for a in set(attrs) if not a[:1].isdigit())

    # -- iteration (one de-duplicating generator behind every named_*) -------------------------
    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                name = module_prefix + ("." if module_prefix else "") + k
                yield name, v

    def parameters(self, recurse: bool = True):
        """Iterate over the parameters (of all submodules too, if ``recurse``), each once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """Iterate over ``(name, parameter)`` pairs, names dotted as in ``state_dict``."""
        return self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def buffers(self, recurse: bool = True):
        """Iterate over the buffers (of submodules too when ``recurse``)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """Iterate over ``(dotted name, buffer)`` pairs."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def children(self):
        """Iterate over the immediate submodules."""
        for _, m in self.named_children():
            yield m

    def named_children(self):
        """Iterate over ``(name, submodule)`` pairs of the immediate submodules."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def modules(self):
        """Iterate over this module and all its submodules, depth first."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Iterate over ``(name, module)`` for this module and every descendant, depth first;
        a module reachable twice is yielded once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        # Iterative depth-first walk in PyTorch's pre-order (deep models must not recurse).
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            kids = [
                (name + ("." if name else "") + k, m)
                for k, m in module._modules.items()
                if m is not None
            ]
            stack.extend(reversed(kids))

    # -- modes and gradients -------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode on this module and every child."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): Dropout off, BatchNorm's running stats used."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter; returns ``self``."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default) or to zero in place."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._data.fill(0)
                    g._bump()

    def apply(self, fn) -> Module:
        """Call ``fn`` on every submodule (children first) and then on ``self``."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- dtype and device ----------------------------------------------------------------------
    def _apply(self, fn) -> Module:
        """Apply ``fn`` to every parameter, gradient and buffer. Parameters are changed in
        place (their identity is kept, so an optimizer built before ``to()`` still holds them)."""
        for module in self.children():
            module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                new = fn(param)
                if new is not param:
                    param._data = new._data
                    param._bump()
                if param.grad is not None:
                    g = fn(param.grad)
                    if g is not param.grad:
                        param.grad = Tensor._wrap(g._data)
            for key, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(tensor)`` or ``to(device, dtype)``: cast the
        floating-point parameters and buffers in place; a device other than the CPU raises."""
        dtype, _ = parse_to(args, kwargs, "Module.to")
        if dtype is None:
            return self
        dtype = _dt.to_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32 in place."""
        return self.to(_dt.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64 in place."""
        return self.to(_dt.float64)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16 in place."""
        return self.to(_dt.float16)

    def type(self, dst_type) -> Module:
        """Cast parameters and buffers to ``dst_type`` in place."""
        return self._apply(lambda t: t.to(dst_type))

    def cpu(self) -> Module:
        """``self`` (parameters always live on the CPU)."""
        return self

    def cuda(self, device=None) -> Module:
        """Raises: ndgrad runs on the CPU (NOTE [ One device ] in ``autograd/devices.py``)."""
        _check_device("cuda" if device is None else device, "Module.cuda()")
        return self

    def share_memory(self) -> Module:
        """``self`` (a no-op here)."""
        return self

    # -- state dict ----------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ``OrderedDict`` of every parameter and persistent buffer, keyed by dotted name
        exactly as PyTorch keys it. Values are detached tensors sharing memory with the module
        (``keep_vars=True`` gives the parameters themselves)."""
        if args:
            # PyTorch's deprecated positional form: (destination, prefix, keep_vars).
            names = ("destination", "prefix", "keep_vars")
            vals = dict(zip(names, args))
            destination = vals.get("destination", destination)
            prefix = vals.get("prefix", prefix)
            keep_vars = vals.get("keep_vars", keep_vars)
        if destination is None:
            destination = OrderedDict()
        # Walk iteratively, with each module's own entries before its children's.
        stack = [(prefix, self)]
        while stack:
            pre, module = stack.pop()
            module._save_to_state_dict(destination, pre, keep_vars)
            kids = [(pre + k + ".", m) for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(kids))
        return destination

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Copy this module's own entries (not its children's) from ``state_dict``; collect the
        problems in the three lists. Override to migrate old checkpoints."""
        persistent_buffers = {
            k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set
        }
        local_state = {k: v for k, v in self._parameters.items() if v is not None}
        local_state.update((k, v) for k, v in persistent_buffers.items() if v is not None)
        assign = bool(local_metadata.get("assign_to_params_buffers", False))
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if is_lazy(input_param):
                # (a lazy module's own uninitialized state: nothing to copy.) Into an initialized
                # tensor, reading its shape raises PyTorch's error, out of load_state_dict.
                if not is_lazy(param):
                    input_param.shape  # noqa: B018
                continue
            if isinstance(input_param, Tensor):
                arr = input_param._data
            elif isinstance(input_param, np.ndarray) or np.isscalar(input_param):
                arr = np.asarray(input_param)
            else:
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(input_param)}"
                )
                continue
            if arr.shape != param._data.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{_shape_str(arr.shape)} from checkpoint, the shape in current model is "
                    f"{_shape_str(param._data.shape)}."
                )
                continue
            try:
                if assign:
                    if isinstance(param, Parameter):
                        new = Parameter(Tensor._wrap(arr), requires_grad=param.requires_grad)
                        self._parameters[name] = new
                    else:
                        self._buffers[name] = Tensor._wrap(arr)
                else:
                    np.copyto(param._data, arr, casting="unsafe")
                    param._bump()
            except Exception as ex:  # noqa: BLE001 - reported with the key, like PyTorch
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model '
                    f"are {_shape_str(param.shape)} and whose dimensions in the checkpoint are "
                    f"{_shape_str(arr.shape)}, an exception occurred : {ex.args}."
                )
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix):
                    input_name = key[len(prefix) :].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Parameters
        ----------
        state_dict : Mapping[str, Tensor or numpy.ndarray]
            As returned by :meth:`state_dict` (or PyTorch's, with values converted to arrays).
        strict : bool
            Raise if keys are missing or unexpected. Size mismatches always raise.
        assign : bool
            Replace the parameters with the loaded values instead of copying into them.

        Returns
        -------
        namedtuple ``(missing_keys, unexpected_keys)``

        Raises
        ------
        RuntimeError
            Listing every missing key, unexpected key and size mismatch in one message.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        state_dict = OrderedDict(state_dict)
        metadata = {"assign_to_params_buffers": assign}
        stack = [(self, "")]
        while stack:
            module, prefix = stack.pop()
            module._load_from_state_dict(
                state_dict, prefix, metadata, True, missing_keys, unexpected_keys, error_msgs
            )
            kids = [(m, prefix + k + ".") for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(kids))
        if strict:
            if unexpected_keys:
                error_msgs.insert(
                    0,
                    "Unexpected key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in unexpected_keys)
                    ),
                )
            if missing_keys:
                error_msgs.insert(
                    0,
                    "Missing key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in missing_keys)
                    ),
                )
        if error_msgs:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(
                    self._get_name(), "\n\t".join(error_msgs)
                )
            )
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # -- repr ----------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; override in layers."""
        return ""

    def __repr__(self) -> str:
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        main_str += ")"
        return main_str


def _remove_from(name, *dicts_or_sets) -> None:
    for d in dicts_or_sets:
        if name in d:
            if isinstance(d, dict):
                del d[name]
            else:
                d.discard(name)
