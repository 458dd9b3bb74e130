"""``LazyModuleMixin``: modules whose parameters get their shapes from the first input."""

from __future__ import annotations

import itertools

from autograd.grad_mode import no_grad

from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """A mixin for modules that initialize their parameters lazily ("lazy modules").

    A lazy module holds :class:`~nn.UninitializedParameter` (and
    ``UninitializedBuffer``) objects until its first forward, where a forward pre-hook calls
    :meth:`initialize_parameters` with the input: it materializes them with the shapes the input
    implies and initializes them exactly as the eager module would (the same draws from the
    same generator). The module then becomes ``cls_to_become`` (``LazyLinear`` becomes
    ``Linear``). ``load_state_dict`` with initialized values materializes the parameters too,
    and ``state_dict`` of a lazy module holds the uninitialized objects, as in PyTorch.

    The lazy class is listed first: ``class LazyLinear(LazyModuleMixin, Linear)``.
    """

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        # an uninitialized tensor goes in as it is (it cannot be detached)
        for name, param in self._parameters.items():
            if param is not None:
                keep = is_lazy(param) or keep_vars
                destination[prefix + name] = param if keep else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                keep = is_lazy(buf) or keep_vars
                destination[prefix + name] = buf if keep else buf.detach()

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        self._lazy_load_hook(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def _lazy_load_hook(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Materialize each uninitialized parameter or buffer that ``state_dict`` holds an
        initialized value for, with that value's shape (the load then copies it in)."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                value = state_dict[key]
                if not is_lazy(value):
                    with no_grad():
                        param.materialize(value.shape)

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materialize and initialize the parameters from the first input (each lazy module
        defines it)."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module (not its children) is uninitialized."""
        return any(
            is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values())
        )

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        """The forward pre-hook: initialize from the input, then remove the hook and become
        ``cls_to_become``."""
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        delattr(module, "_initialize_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. Run a "
            "dummy forward pass to correctly initialize the modules"
        )
