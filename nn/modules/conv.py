"""Conv1d, Conv2d and ConvTranspose2d.

The maths is in ``nn.functional`` (im2col view plus one BLAS contraction per call; see
``autograd/ops/nn_conv.py``). Default initialisation is PyTorch's: the weight from
``kaiming_uniform_(a=sqrt(5))``, the bias from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, both
drawn from the default generator (``autograd.manual_seed``).
"""

from __future__ import annotations

import math

import autograd as ag

from .. import functional as F
from .. import init
from .._functional_conv import _pad_mode
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "LazyConv1d", "LazyConv2d", "LazyConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v, n, name):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v}")
        return tuple(int(e) for e in v)
    return (int(v),) * n


class _ConvNd(Module):
    _nd = 2
    _transposed = False
    _name = "conv2d"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        output_padding=0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size")
        self.stride = _tuple(stride, nd, "stride")
        self.dilation = _tuple(dilation, nd, "dilation")
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"padding={padding!r} is not supported for {type(self).__name__}")
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, nd, "padding")
        self.transposed = self._transposed
        self.output_padding = _tuple(output_padding, nd, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        # (lo, hi) per spatial dim for a non-zeros padding_mode (asymmetric for 'same')
        if padding == "same":
            tot = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            self._mode_pads = tuple((t // 2, t - t // 2) for t in tot)
        elif padding == "valid":
            self._mode_pads = ((0, 0),) * nd
        else:
            self._mode_pads = tuple((p, p) for p in self.padding)
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(ag.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(ag.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a=sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's
        # choice, kept for identical statistics); the bias draws from the same range.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check(self, input):  # noqa: A002
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(
                f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                f"{self._name}, but got input of size: {list(input.shape)}"
            )
        c = input.shape[-nd - 1]
        if c != self.in_channels:
            raise RuntimeError(
                f"{type(self).__name__}: expected input with {self.in_channels} channels "
                f"(in_channels={self.in_channels}), but got {c} channels (input of size "
                f"{list(input.shape)})"
            )

    def _padded(self, input):  # noqa: A002
        """The input and the padding to hand to the functional form."""
        if self.padding_mode == "zeros":
            return input, self.padding
        return _pad_mode(input, self._mode_pads, self.padding_mode), 0

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        zero = (0,) * self._nd
        if self.padding != zero:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != zero:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d/Conv2d: PyTorch's constructor signature and one forward for both."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            dtype=dtype,
        )

    def forward(self, input):  # noqa: A002
        self._check(input)
        x, padding = self._padded(input)
        conv = getattr(F, self._name)  # F.conv1d or F.conv2d
        return conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_Conv):
    """2-D convolution over ``(N, C_in, H, W)`` or ``(C_in, H, W)``.

    Weight ``(C_out, C_in / groups, kH, kW)``; output ``(N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2 padding - dilation (kH - 1) - 1) // stride + 1``. ``padding`` is an int, a
    pair, ``'valid'`` or ``'same'``; ``padding_mode`` is ``'zeros'``, ``'reflect'``,
    ``'replicate'`` or ``'circular'``.
    """


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)`` or ``(C_in, L)``: weight ``(C_out, C_in / groups,
    k)``."""

    _nd = 1
    _name = "conv1d"


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the gradient of ``Conv2d`` with respect to its input).

    Weight ``(C_in, C_out / groups, kH, kW)``; output ``H_out = (H - 1) stride - 2 padding +
    dilation (kH - 1) + output_padding + 1``. ``forward(input, output_size)`` picks the
    output_padding that gives ``output_size``, as PyTorch.
    """

    _transposed = True
    _name = "conv_transpose2d"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            dtype=dtype,
        )

    def _output_padding(self, input, output_size):  # noqa: A002
        if output_size is None:
            return self.output_padding
        size = [int(s) for s in output_size]
        nd = self._nd
        if len(size) == input.ndim:
            size = size[-nd:]
        if len(size) != nd:
            raise ValueError(
                f"ConvTranspose2d: output_size must have {nd} or {input.ndim} elements "
                f"(got {len(size)})"
            )
        lo = [
            (input.shape[d - nd] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(nd)
        ]
        hi = [lo[d] + self.stride[d] - 1 for d in range(nd)]
        if any(not lo[d] <= size[d] <= hi[d] for d in range(nd)):
            raise ValueError(
                f"requested an output size of {size}, but valid sizes range from {lo} to {hi} "
                f"(for an input of {list(input.shape[-nd:])})"
            )
        return tuple(size[d] - lo[d] for d in range(nd))

    def forward(self, input, output_size=None):  # noqa: A002
        self._check(input)
        return F.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(input, output_size),
            self.groups,
            self.dilation,
        )


class _LazyConvXdMixin(LazyModuleMixin):
    """The lazy convolutions: ``in_channels`` is the channel dim of the first input."""

    def _lazy_init(self, out_channels, bias, device, dtype) -> None:
        # the eager __init__ ran with in_channels = out_channels = 0 and bias=False
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:  # noqa: A002
        """Materialize ``weight`` (and ``bias``) for the input's channels and initialize them
        as the eager convolution would."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with ag.no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        elif self.in_channels == 0:  # materialized by load_state_dict: the weight tells
            w = self.weight.shape
            self.in_channels = w[0] if self.transposed else w[1] * self.groups

    def _get_in_channels(self, input) -> int:  # noqa: A002
        nd = self._nd + 1  # channels + spatial dims, without the batch dim
        if input.ndim not in (nd, nd + 1):
            raise RuntimeError(
                f"Expected {nd}D (unbatched) or {nd + 1}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.ndim == nd + 1 else input.shape[0]


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is taken from the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); it then becomes a ``Conv1d``."""

    cls_to_become = Conv1d

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, dtype=dtype
        )
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is taken from the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); it then becomes a ``Conv2d``."""

    cls_to_become = Conv2d

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, dtype=dtype
        )
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is taken from the first input (see
    ``nn.modules.lazy.LazyModuleMixin``); it then becomes a ``ConvTranspose2d``."""

    cls_to_become = ConvTranspose2d

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
            dtype=dtype,
        )
        self._lazy_init(out_channels, bias, device, dtype)
