"""Gradient clipping, as ``torch.nn.utils.clip_grad``."""

from __future__ import annotations

import math
import warnings

import numpy as np

from autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


def _params(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _vector_norm(a: np.ndarray, norm_type: float) -> float:
    a = a.ravel()
    if a.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(np.abs(a).max())
    if norm_type == -math.inf:
        return float(np.abs(a).min())
    if norm_type == 2.0:
        return float(np.sqrt(np.dot(a, a)))
    return float(np.linalg.norm(a, norm_type))


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their joint norm (the norm of
    the vector of all gradient entries) is at most ``max_norm``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensors
    max_norm : float
    norm_type : float
        ``p`` of the p-norm; ``float('inf')`` for the largest absolute value.
    error_if_nonfinite : bool
        Raise if the total norm is NaN or infinite (otherwise the gradients are scaled by it).

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping (0-d, the gradients' dtype).

    Notes
    -----
    As in PyTorch, the gradients are multiplied by ``min(1, max_norm / (total_norm + 1e-6))``.
    """
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(np.array(0.0, dtype=np.float32))
    dtype = grads[0]._data.dtype
    norms = np.array([_vector_norm(g._data, norm_type) for g in grads], dtype=np.float64)
    total = _vector_norm(norms, norm_type)
    total_t = Tensor._wrap(np.array(total, dtype=dtype))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    clip_coef = max_norm / (total + 1e-6) if total == total else math.nan
    clip_coef = min(clip_coef, 1.0) if clip_coef == clip_coef else clip_coef
    if clip_coef != 1.0:
        for g in grads:
            g._data *= g._data.dtype.type(clip_coef)
            g._bump()
    return total_t


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn(
        "nn.utils.clip_grad_norm is now deprecated in favor of nn.utils.clip_grad_norm_.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient entry of ``parameters`` into ``[-clip_value, clip_value]``, in
    place."""
    clip_value = float(clip_value)
    for p in _params(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            p.grad._bump()
