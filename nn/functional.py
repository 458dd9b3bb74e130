"""``nn.functional``: the functional form of every layer, activation and loss."""

from __future__ import annotations

from autograd.ops.nn import linear_p
from autograd.tensor import Tensor

__all__ = ["linear", "relu"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``."""
    return linear_p(input, weight, bias) if bias is not None else linear_p(input, weight)


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu()


from ._functional_conv import *  # noqa: E402,F403
from ._functional_conv import __all__ as _conv_all  # noqa: E402
from ._functional_rnn import *  # noqa: E402,F403
from ._functional_rnn import __all__ as _rnn_all  # noqa: E402

__all__ += [*_conv_all, *_rnn_all]
