"""``nn.functional``: the functional form of every layer, activation and loss.

Modules in ``nn.modules`` are thin wrappers that hold parameters and call these functions.
Losses are composed from stable primitives: ``cross_entropy`` goes through the fused
``log_softmax`` (finite at logits of +-1000) and ``binary_cross_entropy_with_logits`` through
the fused ``softplus``, so both are smooth everywhere and their gradients exact.
"""

from __future__ import annotations

import numpy as np

import autograd as _ag
from autograd.compiler import arrays as _arrays
from autograd.graph import named as _named
from autograd.ops import elementwise as _E
from autograd.ops.nn import (
    bce_with_logits_p,
    binary_cross_entropy_p,
    celu_p,
    celu_result_p,
    cross_entropy_p,
    elu_p,
    elu_result_p,
    embedding_p,
    gelu_p,
    kl_div_log_target_p,
    kl_div_p,
    leaky_relu_p,
    leaky_relu_result_p,
    linear_p,
    softplus_p,
)
from autograd.ops.shape import gather_p
from autograd.ops.shape import pad as _pad
from autograd.random import draw as _draw
from autograd.tensor import Tensor

__all__ = [
    "linear",
    "bilinear",
    "relu",
    "relu_",
    "relu6",
    "leaky_relu",
    "leaky_relu_",
    "elu",
    "elu_",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "softplus",
    "hardtanh",
    "hardtanh_",
    "softmax",
    "log_softmax",
    "softmin",
    "prelu",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "logsigmoid",
    "mish",
    "hardsigmoid",
    "hardswish",
    "softsign",
    "tanhshrink",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "embedding",
    "one_hot",
    "pad",
    "normalize",
    "cosine_similarity",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
]


def _t(x):
    return x if isinstance(x, Tensor) else _ag.tensor(x)


# -- linear -------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``; input ``(*, in_features)``, weight ``(out, in)``."""
    if input.shape[-1:] != weight.shape[-1:] if input.ndim else True:
        raise RuntimeError(
            f"linear: input has shape {tuple(input.shape)} and weight {tuple(weight.shape)}; "
            f"the last dim of input ({input.shape[-1] if input.ndim else '-'}) must equal dim 1 "
            f"of weight ({weight.shape[-1]})"
        )
    out = linear_p(input, weight, bias) if bias is not None else linear_p(input, weight)
    if input.ndim != 2:  # the grad_fn name PyTorch's linear shows (it views to 2-D and back)
        if input.ndim == 1:
            return _named(out, "SqueezeBackward4" if bias is None else "ViewBackward0")
        return _named(out, "UnsafeViewBackward0" if bias is None else "ViewBackward0")
    return out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """``y_k = x1^T W_k x2 + b_k``.

    Inputs ``(*, in1)`` and ``(*, in2)``, weight ``(out, in1, in2)``, output ``(*, out)``.
    """
    out = _ag.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out + bias if bias is not None else out


# -- activations --------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(x, 0)`` elementwise (in place with ``inplace=True``); any shape."""
    return input.relu_() if inplace else _E.relu(input)


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """``max(x, 0)`` written into ``input``."""
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``min(max(x, 0), 6)`` elementwise (:func:`hardtanh` from 0 to 6); any shape."""
    return hardtanh(input, 0.0, 6.0, inplace)


# NOTE [ inplace=True ]
# An activation with ``inplace=True`` (or its ``F.<name>_`` form) is the out-of-place function
# written back into ``input`` by ``Tensor._inplace``, the machinery behind ``relu_``: the same
# object comes back with its version bumped, a leaf that requires grad is refused, and inside a
# graph ``input`` takes the op's node as its ``grad_fn``. The elu and leaky-relu families use
# their result-reading records (NOTE [ In-place activations ] in ``autograd/ops/nn.py``).
# ``_inplace`` hands the function an alias of ``input`` whose version the write then bumps, so
# a composite whose nodes save its input (silu, mish, hardswish) computes from a copy of it when
# recording, as PyTorch saves a copy of the original input for these in-place ops.


def _from_copy(fn):
    """``fn`` computed from a copy of its input while autograd records (see NOTE [ inplace=True
    ])."""

    def on_copy(src, *args):
        return fn(src.clone() if _ag.is_grad_enabled() and src.requires_grad else src, *args)

    return on_copy


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False):  # noqa: A002
    """``x`` for ``x > 0`` else ``negative_slope * x`` (slope at 0 is ``negative_slope``)."""
    if inplace:
        return input._inplace(leaky_relu_result_p, negative_slope=negative_slope)
    return leaky_relu_p(input, negative_slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """:func:`leaky_relu` written into ``input``."""
    return leaky_relu(input, negative_slope, True)


def _elu(input, inplace, celu=False, **kw):  # noqa: A002
    op = (celu_result_p if inplace else celu_p) if celu else (elu_result_p if inplace else elu_p)
    return input._inplace(op, **kw) if inplace else op(input, **kw)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``; the slope at 0 is ``alpha``, as in
    PyTorch. In place, backward reads the result and so needs ``alpha >= 0`` (PyTorch's
    rule)."""
    return _elu(input, inplace, alpha=alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """:func:`elu` written into ``input``."""
    return _elu(input, True, alpha=alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """``x * Phi(x)`` (exact, with erf) or its tanh approximation (``approximate='tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return gelu_p(input, approximate=approximate)


def _silu(input):  # noqa: A002
    return input * _E.sigmoid(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * sigmoid(x)`` elementwise; any shape."""
    return input._inplace(_from_copy(_silu)) if inplace else _silu(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """``1 / (1 + exp(-x))`` elementwise; any shape."""
    return _E.sigmoid(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """``tanh(x)`` elementwise; any shape."""
    return _E.tanh(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold`` (as PyTorch)."""
    bx = input * beta if beta != 1 else input
    sp = softplus_p(bx)
    if beta != 1:
        sp = sp / beta
    return _E.where(_E.gt(bx, threshold), input, sp)


def hardtanh(
    input: Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,  # noqa: A002
    inplace: bool = False,
) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]`` (gradient 0 at the bounds, as PyTorch)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace(_clip_flat, min_val, max_val)
    return _clip_flat(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """:func:`hardtanh` written into ``input``."""
    return hardtanh(input, min_val, max_val, True)


def _clip_flat(input, lo, hi):  # noqa: A002
    """``clamp(x, lo, hi)`` whose gradient is 0 at ``lo`` and ``hi`` too (PyTorch's hardtanh
    backward passes the gradient only strictly inside)."""
    inside, clipped = _arrays(_inside_and_clipped, input, lo, hi)
    return _E.where(inside, input, clipped)


def _inside_and_clipped(x, lo, hi):
    return (x > lo) & (x < hi), np.clip(x, lo, hi)


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """``exp(x) / exp(x).sum(dim, keepdim=True)``, computed stably; any shape."""
    return _ag.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """``log(softmax(x, dim))`` computed stably; any shape."""
    return _ag.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """``softmax(-x, dim)``; any shape."""
    return _ag.softmax(-input, dim, dtype=dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """``x`` for ``x > 0`` else ``weight * x``, with one slope per channel (dim 1) or one for
    all."""
    w = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(
                f"prelu: weight has {weight.numel()} elements, which must be 1 or the number of "
                f"channels (dim 1) of the input of shape {tuple(input.shape)}"
            )
        w = weight.reshape((-1,) + (1,) * (input.ndim - 2))
    return _E.where(_E.gt(input, 0), input, _E.mul(input, w))


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _elu(input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """:func:`selu` written into ``input``."""
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, inplace, alpha=alpha, input_scale=1.0 / alpha, celu=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """:func:`celu` written into ``input``."""
    return celu(input, alpha, True)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return -softplus_p(-input)


def _mish(input):  # noqa: A002
    return input * _E.tanh(softplus_p(input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * tanh(softplus(x))``."""
    return input._inplace(_from_copy(_mish)) if inplace else _mish(input)


def _hardsigmoid(input):  # noqa: A002
    return _clip_flat(input * (1.0 / 6.0) + 0.5, 0.0, 1.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``clamp(x / 6 + 1/2, 0, 1)``."""
    return input._inplace(_hardsigmoid) if inplace else _hardsigmoid(input)


def _hardswish(input):  # noqa: A002
    return input * _hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * hardsigmoid(x)``."""
    return input._inplace(_from_copy(_hardswish)) if inplace else _hardswish(input)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """``x / (1 + |x|)``."""
    return input / (_E.abs(input) + 1.0)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """``x - tanh(x)``."""
    return input - _E.tanh(input)


# -- dropout, embedding, misc --------------------------------------------------------------------
def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,  # noqa: A002
    inplace: bool = False,
    generator=None,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    With ``inplace=True`` the mask is multiplied into ``input`` (``input.mul_(mask)``, as in
    PyTorch), which is returned.
    """
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return _mul(input, 0.0, inplace)
    return _mul(input, _dropout_mask(generator, tuple(input.shape), p, input.dtype), inplace)


def _mul(input, factor, inplace):  # noqa: A002
    """``input * factor``, into ``input`` with ``inplace`` (PyTorch's ``multiply<inplace>``)."""
    return input.mul_(factor) if inplace else input * factor


def _dropout_mask(generator, shape, p, dtype):
    """The kept elements scaled by ``1 / (1 - p)`` (a replayable draw under autograd.compile)."""
    scale = 1.0 / (1.0 - p)
    return _draw(generator, lambda r: (r.random(shape) >= p).astype(dtype) * scale)


def _feature_dropout(input, p, training, generator, batched, inplace=False):  # noqa: A002
    """Zero whole channels: the mask has the input's batch and channel sizes and 1 elsewhere
    (PyTorch's ``feature_dropout``). An unbatched input is taken as a batch of one: out of
    place, through ``unsqueeze(0)`` and ``squeeze(0)`` views as PyTorch does; in place, with
    the mask shaped for it."""
    if not batched and not inplace:
        return _feature_dropout(input.unsqueeze(0), p, training, generator, True).squeeze(0)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if input.ndim + (not batched) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1.0:
        return _mul(input, 0.0, inplace)
    lead = 2 if batched else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _mul(input, _dropout_mask(generator, shape, p, input.dtype), inplace)


def dropout1d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,  # noqa: A002
    inplace: bool = False,
    generator=None,
) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) inputs."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _feature_dropout(input, p, training, generator, input.ndim == 3, inplace)


def dropout2d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,  # noqa: A002
    inplace: bool = False,
    generator=None,
) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` inputs.

    Notes
    -----
    As in PyTorch, an input of other than 3 or 4 dims warns (deprecated), and a 3-D input is
    taken as ``(N, C, L)`` (channel-wise 1-D dropout), with a warning; use :func:`dropout1d`
    for that.
    """
    import warnings

    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, generator, True, inplace)


def dropout3d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,  # noqa: A002
    inplace: bool = False,
    generator=None,
) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` (or unbatched ``(C, D, H, W)``) inputs.

    Notes
    -----
    As in PyTorch, an input of other than 4 or 5 dims warns (deprecated) and is taken as
    unbatched.
    """
    import warnings

    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, generator, input.ndim == 5, inplace)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,  # noqa: A002
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` ``(num_embeddings, dim)`` at integer ``input`` ``(*)`` -> ``(*, dim)``."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding: Expected tensor for argument #1 'indices' to have an "
            f"integer dtype, but got {idx.dtype}"
        )
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"embedding: index {bad} is out of range for an embedding of {n} rows")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        with _ag.no_grad():
            rows = np.unique(idx)
            w = weight._data
            norms = np.linalg.norm(w[rows], ord=norm_type, axis=1, keepdims=True)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            w[rows] = w[rows] * scale
    return embedding_p(
        weight, idx, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq)
    )


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of ``num_classes``."""
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1 if a.size else 0
    elif a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap((a[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:  # noqa: A002
    """Pad the trailing dims: ``pad = (left, right[, top, bottom[, front, back]])`` from the
    last dim backwards. ``mode``: 'constant' (``value``, default 0; negative pads crop),
    'reflect', 'replicate' or 'circular' (1 to 3 trailing dims of a batched or unbatched
    input, as PyTorch)."""
    if mode == "constant":
        return _pad(input, pad, mode, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if len(pad) % 2 or k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    from ._functional_conv import _pad_mode

    pairs = tuple((int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(k))[::-1]
    return _pad_mode(input, pairs, mode)


def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,  # noqa: A002
    out=None,
) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    n = input.norm(p=p, dim=dim, keepdim=True)
    return input / _E.maximum(n, eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` along ``dim``, PyTorch's formula:
    each input divided by its own norm (the result stays in [-1, 1]); the clamp to ``eps``
    passes gradients through unchanged, as PyTorch's no-grad clamp does."""

    def unit(x):
        n = x.norm(dim=dim, keepdim=True)
        v = n.detach().numpy()
        lift = np.maximum(v, eps) - v
        return x / (n + lift.astype(v.dtype)) if lift.any() else x / n

    return (unit(x1) * unit(x2)).sum(dim)


# -- losses --------------------------------------------------------------------------------------
_REDUCTIONS = ("mean", "sum", "none")


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pair(input, target, name):  # noqa: A002
    target = _t(target)
    if tuple(input.shape) != tuple(target.shape):
        try:
            np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except ValueError:
            raise RuntimeError(
                f"{name}: the size of input {tuple(input.shape)} and target "
                f"{tuple(target.shape)} cannot be broadcast together"
            ) from None
    return target


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean squared error ``(input - target) ** 2``, reduced by ``reduction``; same shapes in."""
    r = _reduction(size_average, reduce, reduction)
    d = input - _pair(input, target, "mse_loss")
    return _reduce(d * d, r)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean absolute error ``|input - target|``, reduced by ``reduction``; same shapes in."""
    r = _reduction(size_average, reduce, reduction)
    return _reduce(_E.abs(input - _pair(input, target, "l1_loss")), r)


def smooth_l1_loss(
    input,
    target,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction="mean",
    beta: float = 1.0,
):
    """``0.5 d^2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta`` (L1 when beta is 0)."""
    r = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = _E.abs(input - _pair(input, target, "smooth_l1_loss"))
    if beta == 0:
        return _reduce(d, r)
    return _reduce(_E.where(_E.lt(d, beta), 0.5 * d * d / beta, d - 0.5 * beta), r)


def huber_loss(input, target, reduction="mean", delta: float = 1.0):  # noqa: A002
    """``0.5 d^2`` for ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    r = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = _E.abs(input - _pair(input, target, "huber_loss"))
    return _reduce(_E.where(_E.le(d, delta), 0.5 * d * d, delta * (d - 0.5 * delta)), r)


def _class_dim_moved(x):
    """(N, C, d1, ...) -> (N, d1, ..., C); (C,) stays."""
    if x.ndim <= 2:
        return x
    return _ag.movedim(x, 1, -1)


def _nll_index_and_weight(t, valid, weight, dtype):
    safe = np.where(valid, t, 0).astype(np.int64)
    w = np.where(valid, 1.0, 0.0).astype(dtype)
    if weight is not None:
        w = weight[safe].astype(dtype) * w
    return safe, w


def _class_targets(input, target, weight, ignore_index, name):  # noqa: A002
    """Check class-index targets against ``input`` ``(N, C, d...)`` or ``(C,)``; return the
    index array, the mask of kept targets and ``C``."""
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}: expected target of an integer dtype (class indices), got {t.dtype}"
        )
    if input.ndim < 1:
        raise ValueError(f"{name}: input must have at least 1 dim, got shape {tuple(input.shape)}")
    C = input.shape[1] if input.ndim >= 2 else input.shape[0]
    expected = (input.shape[0],) + tuple(input.shape[2:]) if input.ndim >= 2 else ()
    if tuple(t.shape) != expected:
        raise ValueError(
            f"{name}: expected target of shape {expected} for input of shape "
            f"{tuple(input.shape)}, got {tuple(t.shape)}"
        )
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(
            f"Target {int(t[bad].reshape(-1)[0])} is out of bounds (the input has {C} classes)."
        )
    if weight is not None and tuple(weight.shape) != (C,):
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {C} "
            f"classes or no classes but got weight tensor of shape: "
            f"{tuple(weight.shape)}"
        )
    return t, valid, C


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,  # noqa: A002
    reduce=None,
    reduction: str = "mean",
):
    """Negative log-likelihood of class indices ``target`` ``(N, d...)`` under log-probabilities
    ``input`` ``(N, C, d...)`` (or ``(C,)`` with a 0-d target)."""
    r = _reduction(size_average, reduce, reduction)
    t, valid, C = _class_targets(input, target, weight, ignore_index, "nll_loss")
    safe, w = _arrays(_nll_index_and_weight, t, valid, weight, input.dtype)
    logp = _class_dim_moved(input)
    picked = gather_p(logp, safe[..., None], axis=logp.ndim - 1)
    picked = picked.reshape(tuple(safe.shape))
    loss = -picked * w
    if r == "none":
        return loss
    if r == "sum":
        return loss.sum()
    return loss.sum() / float(w.sum())


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,  # noqa: A002
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """Cross-entropy between logits ``input`` ``(N, C, d...)`` (or ``(C,)``) and class indices
    ``(N, d...)`` or class probabilities of the same shape as ``input``."""
    r = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"cross_entropy: expected floating point logits, got {input.dtype}")
    cdim = 1 if input.ndim >= 2 else 0
    C = input.shape[cdim]
    target = target if isinstance(target, Tensor) else _ag.tensor(target)
    if target.dtype.kind == "f":  # class probabilities
        logp = _ag.log_softmax(input, cdim)
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(
                f"cross_entropy: probability targets must have the input's shape "
                f"{tuple(input.shape)}, got {tuple(target.shape)}"
            )
        p = target
        if label_smoothing > 0:
            p = p * (1 - label_smoothing) + label_smoothing / C
        terms = logp * p
        if weight is not None:
            shape = [1] * input.ndim
            shape[cdim] = C
            terms = terms * weight.reshape(shape)
        loss = -terms.sum(cdim)
        if r == "mean":
            return loss.sum() / float(max(loss.numel(), 1)) if loss.ndim else loss
        return _reduce(loss, r)
    # class indices: one fused op (NOTE [ Fused cross-entropy ] in autograd/ops/nn.py)
    t, valid, _ = _class_targets(input, target, weight, ignore_index, "cross_entropy")
    w = None if weight is None else np.asarray(_t(weight)._data, dtype=input.dtype)
    x = input if input.ndim >= 2 else input.reshape(1, C)
    # the reduction (PyTorch's 'mean': over the summed weight of the kept targets) is in the op
    loss = cross_entropy_p(
        x,
        target=_arrays(np.reshape, t, x.shape[:1] + x.shape[2:]),
        weight=w,
        ignore_index=ignore_index,
        label_smoothing=float(label_smoothing),
        reduction=r,
    )
    if input.ndim < 2 and r == "none":
        loss = loss.reshape(())
    return loss


def binary_cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
):
    """``-(t log x + (1 - t) log(1 - x))`` with each log clamped at -100 (as PyTorch)."""
    r = _reduction(size_average, reduce, reduction)
    target = _pair(input, target, "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({tuple(target.shape)}) that is different to the "
            f"input size ({tuple(input.shape)}) is deprecated. Please ensure they "
            f"have the same size."
        )
    x = input._data
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = binary_cross_entropy_p(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, r)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,  # noqa: A002
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
):
    """Sigmoid + binary cross-entropy in one stable expression:
    ``(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)``."""
    r = _reduction(size_average, reduce, reduction)
    target = _pair(input, target, "binary_cross_entropy_with_logits")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({tuple(target.shape)}) must be the same as input size "
            f"({tuple(input.shape)})"
        )
    if pos_weight is not None:
        loss = bce_with_logits_p(input, target, pos_weight)
    else:
        loss = bce_with_logits_p(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, r)


def kl_div(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",  # noqa: A002
    log_target: bool = False,
):
    """``xlogy(target, target) - target * input`` (``input`` holds log-probabilities), or
    ``exp(target) * (target - input)`` with ``log_target``; 'batchmean' divides the sum by the
    batch size.

    As in PyTorch (NOTE [ kl_div ] in ``autograd/ops/nn.py``): the loss is 0 where the target is
    exactly 0, NaN where it is negative, and the target's gradient is NaN at 0; ``'mean'`` warns
    that it divides by the number of elements, not the batch size.
    """
    if size_average is not None or reduce is not None:
        r = _reduction(size_average, reduce, "mean")
    else:
        if reduction == "mean":
            import warnings

            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.",
                stacklevel=2,
            )
        r = "sum" if reduction == "batchmean" else _reduction(None, None, reduction)
    target = _pair(input, target, "kl_div")
    loss = _reduce((kl_div_log_target_p if log_target else kl_div_p)(input, target), r)
    if reduction == "batchmean" and input.ndim != 0:
        loss = loss / input.shape[0]
    return loss


from ._functional_conv import *  # noqa: E402,F403
from ._functional_conv import __all__ as _conv_all  # noqa: E402
from ._functional_extra import *  # noqa: E402,F403
from ._functional_extra import __all__ as _extra_all  # noqa: E402
from ._functional_grid import *  # noqa: E402,F403
from ._functional_grid import __all__ as _grid_all  # noqa: E402
from ._functional_rnn import *  # noqa: E402,F403
from ._functional_rnn import __all__ as _rnn_all  # noqa: E402

__all__ += [*_conv_all, *_rnn_all, *_extra_all, *_grid_all]


# -- grad_fn names ---------------------------------------------------------------------------
# NOTE [ grad_fn names of composite functions ] A function composed of several primitives shows
# the name PyTorch's one kernel shows (``F.mse_loss(...).grad_fn`` is ``MseLossBackward0``):
# the wrapper below renames the last node (``autograd.graph.named``). In-place calls keep the
# name of the in-place node.
def _show_as(fn, rule):
    import functools

    from autograd.graph import named

    @functools.wraps(fn)
    def call(input, *args, **kwargs):  # noqa: A002
        out = fn(input, *args, **kwargs)
        name = rule(input, *args, **kwargs) if callable(rule) else rule
        return out if name is None else named(out, name, input)

    return call


def _nll_name(input, target=None, *args, label_smoothing=0.0, **kwargs):  # noqa: A002
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if label_smoothing or t.dtype.kind == "f":
        return None  # PyTorch composes these too
    return "NllLossBackward0" if input.ndim <= 2 else "NllLoss2DBackward0"


def _max_pool2d_name(input, *args, **kwargs):  # noqa: A002
    return "MaxPool2DWithIndicesBackward0" if input.ndim == 4 else "SqueezeBackward1"


for _name, _rule in {
    "mse_loss": "MseLossBackward0",
    "smooth_l1_loss": "SmoothL1LossBackward0",
    "huber_loss": "HuberLossBackward0",
    "binary_cross_entropy": "BinaryCrossEntropyBackward0",
    "binary_cross_entropy_with_logits": "BinaryCrossEntropyWithLogitsBackward0",
    "nll_loss": _nll_name,
    "cross_entropy": _nll_name,
    "silu": "SiluBackward0",
    "softplus": "SoftplusBackward0",
    "mish": "MishBackward0",
    "hardswish": "HardswishBackward0",
    "hardsigmoid": "HardsigmoidBackward0",
    "logsigmoid": "LogSigmoidBackward0",
    "layer_norm": "NativeLayerNormBackward0",
    "batch_norm": "NativeBatchNormBackward0",
    "group_norm": "NativeGroupNormBackward0",
    "max_pool2d": _max_pool2d_name,
}.items():
    globals()[_name] = _show_as(globals()[_name], _rule)
del _name, _rule
