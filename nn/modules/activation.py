"""Activation layers (and MultiheadAttention, re-exported from transformer.py)."""

from __future__ import annotations

import autograd as _ag

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "Hardtanh",
    "PReLU",
    "SELU",
    "CELU",
    "LogSigmoid",
    "Mish",
    "Hardsigmoid",
    "Hardswish",
    "Softsign",
    "Tanhshrink",
    "Threshold",
    "Hardshrink",
    "Softshrink",
    "GLU",
    "RReLU",
    "Softmax2d",
    "MultiheadAttention",
]


class ReLU(Module):
    """``max(x, 0)`` elementwise (:func:`nn.functional.relu`); any shape."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` for ``x > 0`` else ``negative_slope * x`` (:func:`nn.functional.leaky_relu`)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)`` (:func:`nn.functional.elu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """``x * Phi(x)``, exact or ``approximate='tanh'`` (:func:`nn.functional.gelu`)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)`` (:func:`nn.functional.silu`); any shape."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """``tanh(x)`` elementwise; any shape."""

    def forward(self, input):  # noqa: A002
        return F.tanh(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise; any shape."""

    def forward(self, input):  # noqa: A002
        return F.sigmoid(input)


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta`` (:func:`nn.functional.softplus`)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]`` (:func:`nn.functional.hardtanh`)."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value=None,
        max_value=None,
    ) -> None:
        super().__init__()
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        if self.max_val <= self.min_val:
            raise ValueError("max_val must be greater than min_val")
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else ""
        )


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)`` elementwise; any shape."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _DimActivation(Module):
    _fn = None

    def __init__(self, dim=None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimActivation):
    """Softmax along ``dim``: ``exp(x) / exp(x).sum(dim)``; any shape."""

    _fn = staticmethod(F.softmax)


class LogSoftmax(_DimActivation):
    """``log(softmax(x, dim))`` computed stably; any shape."""

    _fn = staticmethod(F.log_softmax)


class Softmin(_DimActivation):
    """``softmax(-x, dim)``; any shape."""

    _fn = staticmethod(F.softmin)


class PReLU(Module):
    """``x`` for ``x > 0`` else ``a * x`` with a learnt slope ``a`` (one, or one per channel),
    initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(_ag.empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _InplaceActivation(Module):
    _fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _PlainActivation(Module):
    _fn = None

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input)


class SELU(_InplaceActivation):
    """Scaled ELU with the self-normalising constants (:func:`nn.functional.selu`)."""

    _fn = staticmethod(F.selu)


class Mish(_InplaceActivation):
    """``x * tanh(softplus(x))`` elementwise; any shape."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_InplaceActivation):
    """``relu6(x + 3) / 6`` elementwise; any shape."""

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_InplaceActivation):
    """``x * relu6(x + 3) / 6`` elementwise; any shape."""

    _fn = staticmethod(F.hardswish)


class LogSigmoid(_PlainActivation):
    """``log(sigmoid(x))`` computed stably; any shape."""

    _fn = staticmethod(F.logsigmoid)


class Softsign(_PlainActivation):
    """``x / (1 + |x|)`` elementwise; any shape."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_PlainActivation):
    """``x - tanh(x)`` elementwise; any shape."""

    _fn = staticmethod(F.tanhshrink)


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`` (:func:`nn.functional.celu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else ""
        )


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):  # noqa: A002
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""

    def forward(self, input):  # noqa: A002
        return F.softshrink(input, self.lambd)


class GLU(Module):
    """Gated linear unit over ``dim``: ``a * sigmoid(b)``, ``a, b`` the two halves."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class RReLU(Module):
    """Randomized leaky ReLU: random negative slopes ``U(lower, upper)`` in training (drawn
    from ndgrad's generator), the mean slope ``(lower + upper) / 2`` in eval."""

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (
            ", inplace=True" if self.inplace else ""
        )


class Softmax2d(Module):
    """Softmax over the channels of ``(N, C, H, W)`` or ``(C, H, W)``."""

    def forward(self, input):  # noqa: A002
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)


from .transformer import MultiheadAttention  # noqa: E402  (PyTorch's path for it)
