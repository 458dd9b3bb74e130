"""BatchNorm1d and BatchNorm2d."""

from __future__ import annotations

import autograd as ag
from autograd.compiler import arrays as _arrays
from autograd.distributed._group import _group

from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedBuffer, UninitializedParameter
from ._functions import SyncBatchNormFunction
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "LazyBatchNorm1d", "LazyBatchNorm2d"]


class _BatchNorm(Module):
    _dims = (2, 3)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(ag.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(ag.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ag.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", ag.tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):  # noqa: A002
        if self._dims is not None and input.ndim not in self._dims:
            raise ValueError(
                f"expected {' or '.join(f'{d}D' for d in self._dims)} input (got "
                f"{input.ndim}D input)"
            )
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}: expected input with {self.num_features} "
                f"channels (num_features), got shape {tuple(input.shape)}"
            )
        # PyTorch's rules: momentum=None is a cumulative moving average (factor 1/n); eval mode
        # uses the running statistics unless there are none (track_running_stats=False)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            _arrays(_increment, self.num_batches_tracked, mutates=(0,))
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        if self.training:
            use_batch = True
        else:
            use_batch = self.running_mean is None and self.running_var is None
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Over ``(N, C)`` or ``(N, C, L)``."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Over ``(N, C, H, W)``."""

    _dims = (4,)


class SyncBatchNorm(_BatchNorm):
    """Batch normalization with statistics over the whole global batch (all ranks).

    Over ``(N, C, *)``. In training inside a process group of more than one rank, mean and
    variance are those of the union of every rank's batch, and backward flows through them
    (NOTE [ SyncBatchNorm ] in ``_functions.py``); otherwise it is exactly ``BatchNorm``.
    Convert a model's BatchNorm layers with :meth:`convert_sync_batchnorm`.
    """

    _dims = None  # any input of 2 or more dims

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype=dtype)
        self.process_group = process_group

    def forward(self, input):  # noqa: A002
        from autograd import distributed as dist

        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        need_sync = self.training and dist.is_initialized()
        if need_sync:
            pg = _group(self.process_group, "SyncBatchNorm")
            need_sync = pg.size() > 1
        if not need_sync:
            return super().forward(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"SyncBatchNorm: expected input with {self.num_features} channels "
                f"(num_features), got shape {tuple(input.shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            _arrays(_increment, self.num_batches_tracked, mutates=(0,))
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        keep = self.track_running_stats
        return SyncBatchNormFunction.apply(
            input,
            self.weight,
            self.bias,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.eps,
            factor,
            pg,
        )

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every ``BatchNorm*d`` in ``module`` (itself included) by a
        :class:`SyncBatchNorm` that shares its parameters and buffers; returns the result."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


def _increment(a):
    a[...] += 1


class _LazyNormBase(LazyModuleMixin, _BatchNorm):
    """The lazy norms: ``num_features`` is dim 1 of the first input (PyTorch's rule, unbatched
    inputs included)."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        # affine, bias and running statistics off here: no tensor is made only to be replaced
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = ag.tensor(0)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:  # noqa: A002
        """Materialize the affine parameters and running statistics for ``input.shape[1]``
        features and initialize them as the eager norm would."""
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with ag.no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    if self.bias is not None:
                        self.bias.materialize((self.num_features,))
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                self.reset_parameters()
        elif self.num_features == 0:
            # materialized by load_state_dict (the tensors tell), or nothing to materialize
            t = next((t for t in (self.weight, self.running_mean) if t is not None), None)
            self.num_features = input.shape[1] if t is None else t.shape[0]


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A :class:`BatchNorm1d` whose ``num_features`` is taken from the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); it then becomes a ``BatchNorm1d``."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A :class:`BatchNorm2d` whose ``num_features`` is taken from the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); it then becomes a ``BatchNorm2d``."""

    cls_to_become = BatchNorm2d
