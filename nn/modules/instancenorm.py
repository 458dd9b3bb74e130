"""InstanceNorm1d/2d/3d: per-sample, per-channel normalisation over the spatial dims."""

from __future__ import annotations

import warnings

from .. import functional as F
from .batchnorm import _BatchNorm, _LazyNormBase

__all__ = [
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


class _InstanceNorm(_BatchNorm):
    """PyTorch's defaults: ``affine=False``, ``track_running_stats=False``; with running
    statistics, they are updated in training and used in eval."""

    _nd = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input):  # noqa: A002
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"expected {nd + 1}D or {nd + 2}D input (got {input.ndim}D input)")
        feature_dim = input.ndim - nd - 1
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features"
                    f" ({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. "
                "You can silence this warning by not passing in num_features, "
                "which is not used because affine=False",
                stacklevel=2,
            )
        x = input.unsqueeze(0) if input.ndim == nd + 1 else input
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if input.ndim == nd + 1 else out


class InstanceNorm1d(_InstanceNorm):
    """Over ``(N, C, L)`` or ``(C, L)``."""

    _nd = 1


class InstanceNorm2d(_InstanceNorm):
    """Over ``(N, C, H, W)`` or ``(C, H, W)``."""

    _nd = 2


class InstanceNorm3d(_InstanceNorm):
    """Over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""

    _nd = 3


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """An :class:`InstanceNorm1d` whose ``num_features`` is dim 1 of the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); as in PyTorch, ``affine`` and
    ``track_running_stats`` default to True here."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """An :class:`InstanceNorm2d` whose ``num_features`` is dim 1 of the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); ``affine`` and ``track_running_stats`` default
    to True, as in PyTorch."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """An :class:`InstanceNorm3d` whose ``num_features`` is dim 1 of the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); ``affine`` and ``track_running_stats`` default
    to True, as in PyTorch."""

    cls_to_become = InstanceNorm3d
