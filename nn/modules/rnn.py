"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the single-step cells.

Parameter names, order and shapes are PyTorch's (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, then ``..._reverse`` for the backward direction, layer by
layer), so a converted PyTorch ``state_dict`` loads. Every weight starts as
``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``, drawn from the default generator.
The recurrence itself is one fused op per layer and direction (see NOTE [ Fused recurrences ]
in ``autograd/ops/nn_rnn.py``).

Not supported: ``PackedSequence`` inputs and LSTM ``proj_size > 0`` (NotImplementedError).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import autograd as ag
from autograd.tensor import Tensor

from .. import init
from .._functional_rnn import _gru_cell, _lstm_cell, _rnn, _rnn_cell
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _is_packed(x):
    from ..utils.rnn import PackedSequence

    return isinstance(x, PackedSequence)


def _empty(shape, dtype):
    return Parameter(ag.empty(*shape, dtype=dtype))


class RNNBase(Module):
    """Base class of ``RNN``, ``LSTM`` and ``GRU``: hyper-parameters, the parameters with
    PyTorch's names, initialisation, argument checks and ``repr``.

    Parameters
    ----------
    mode : {'LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'}
    input_size, hidden_size : int
    num_layers : int
    bias : bool
        Use ``b_ih`` and ``b_hh``.
    batch_first : bool
        Input and output are ``(N, L, H)`` instead of ``(L, N, H)`` (hidden states are not).
    dropout : float
        Dropout on the outputs of each layer except the last, in training.
    bidirectional : bool
    proj_size : int
        Only 0 is supported.
    """

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the "
                "probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so "
                "non-zero dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=3,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size > 0:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(D):
                layer_input = input_size if layer == 0 else hidden_size * D
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                for n, s in zip(names, shapes):
                    setattr(self, n, _empty(s, dtype))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        p = self._parameters
        return [p[n] for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (exists for PyTorch compatibility: it only matters for cuDNN)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- forward --------------------------------------------------------------------------
    def _name(self):
        return type(self).__name__

    def _check_input(self, input):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{self._name()}: expected input to be a Tensor, got {type(input).__name__}"
            )
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead"
            )
        w0 = self._parameters[self._flat_weights_names[0]]
        if input.dtype != w0.dtype:
            raise ValueError(
                f"{self._name()}: input dtype ({input.dtype}) does not match weight "
                f"dtype ({w0.dtype}). Convert input: input.to({w0.dtype}), or "
                f"convert model: model.to({input.dtype})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{self._name()}: input.size(-1) must be equal to input_size. "
                f"Expected {self.input_size}, got {input.shape[-1]}"
            )

    def _expected_hidden(self, batch):
        D = 2 if self.bidirectional else 1
        return (self.num_layers * D, batch, self.hidden_size)

    def _check_hidden(self, hx, expected, what):
        if tuple(hx.shape) != expected:
            raise RuntimeError(
                f"{self._name()}: Expected {what} size {expected}, got {list(hx.shape)}"
            )

    def _time_major(self, input):  # noqa: A002
        """``(T, B, in)`` from a batched or unbatched input; also whether it was batched."""
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        return input, batched

    def _output(self, out, batched):
        if not batched:
            return out.squeeze(1)
        return out.transpose(0, 1) if self.batch_first else out

    def _zeros(self, input, batch):  # noqa: A002
        return Tensor._wrap(np.zeros(self._expected_hidden(batch), dtype=input.dtype))

    def _prepare_hx(self, hx, batched, batch, input):  # noqa: A002
        """Check a single hidden state (RNN, GRU) and bring it to ``(L * D, B, H)``."""
        if hx is None:
            return self._zeros(input, batch)
        if batched and hx.ndim != 3:
            raise RuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {hx.ndim}-D tensor"
            )
        if not batched:
            if hx.ndim != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.ndim}-D tensor"
                )
            hx = hx.unsqueeze(1)
        self._check_hidden(hx, self._expected_hidden(batch), "hidden")
        return hx

    def _run(self, x, hx, lengths=None):
        return _rnn(
            self.mode,
            x,
            hx,
            self._flat_weights,
            self.bias,
            self.num_layers,
            self.dropout,
            self.training,
            self.bidirectional,
            lengths,
        )

    def _forward_packed(self, packed, hx):
        """Run over a :class:`~nn.utils.rnn.PackedSequence`; returns ``(PackedSequence,
        h_n)`` with ``h_n`` (``(h_n, c_n)`` for the LSTM) in the caller's batch order, taken
        at each sequence's last step."""
        from ..utils.rnn import PackedSequence, _pad_sorted, _table

        self._check_input(packed.data)
        x, lengths = _pad_sorted(packed)  # (T, B, in), sorted by decreasing length
        batch = x.shape[1]
        srt = packed.sorted_indices
        srt = None if srt is None else srt.numpy().astype(np.int64)
        uns = packed.unsorted_indices
        uns = None if uns is None else uns.numpy().astype(np.int64)
        lstm = self.mode == "LSTM"
        expected = self._expected_hidden(batch)
        if hx is None:
            hx = (self._zeros(x, batch), self._zeros(x, batch)) if lstm else self._zeros(x, batch)
        else:
            hs = hx if lstm else (hx,)
            for i, h in enumerate(hs):
                self._check_hidden(h, expected, f"hidden[{i}]" if lstm else "hidden")
            if srt is not None:
                hs = tuple(h[:, srt] for h in hs)
            hx = hs if lstm else hs[0]
        out, hn = self._run(x, hx, lengths)
        table = _table(packed.batch_sizes.numpy())
        tt, bb = np.nonzero(table >= 0)
        data = out[tt, bb]
        if uns is not None:
            hn = tuple(h[:, uns] for h in hn) if lstm else hn[:, uns]
        return PackedSequence(
            data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
        ), hn

    def forward(self, input, hx=None):  # noqa: A002
        """Run the layer over a sequence.

        Parameters
        ----------
        input : Tensor
            ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``) or unbatched
            ``(L, H_in)``.
        hx : Tensor, optional
            Initial hidden state ``(D * num_layers, N, H)`` (``(D * num_layers, H)``
            unbatched); zeros by default.

        Returns
        -------
        ``(output, h_n)``: output ``(L, N, D * H)`` (batch first if so built), h_n like hx.
        """
        if _is_packed(input):
            return self._forward_packed(input, hx)
        self._check_input(input)
        x, batched = self._time_major(input)
        hx = self._prepare_hx(hx, batched, x.shape[1], input)
        out, hn = self._run(x, hx)
        return self._output(out, batched), (hn if batched else hn.squeeze(1))


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; see :class:`RNNBase`.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates in PyTorch's order ``(i, f, g, o)``::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    f = sigmoid(W_if x + ... )
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       o = sigmoid(W_io x + ... )
        c' = f * c + i * g                            h' = o * tanh(c')

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``forward(input, (h_0, c_0))`` returns
    ``(output, (h_n, c_n))``. See :class:`RNNBase`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):  # noqa: A002
        if _is_packed(input):
            return self._forward_packed(input, hx)
        self._check_input(input)
        x, batched = self._time_major(input)
        batch = x.shape[1]
        if hx is None:
            hx = (self._zeros(input, batch), self._zeros(input, batch))
        else:
            h, c = hx
            if batched and (h.ndim != 3 or c.ndim != 3):
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({h.ndim}-D, {c.ndim}-D) tensors"
                )
            if not batched:
                if h.ndim != 2 or c.ndim != 2:
                    raise RuntimeError(
                        "For unbatched 2-D input, hx and cx should also be 2-D "
                        f"but got ({h.ndim}-D, {c.ndim}-D) tensors"
                    )
                h, c = h.unsqueeze(1), c.unsqueeze(1)
            expected = self._expected_hidden(batch)
            self._check_hidden(h, expected, "hidden[0]")
            self._check_hidden(c, expected, "hidden[1]")
            hx = (h, c)
        out, (hn, cn) = self._run(x, hx)
        if not batched:
            hn, cn = hn.squeeze(1), cn.squeeze(1)
        return self._output(out, batched), (hn, cn)


class GRU(RNNBase):
    """Gated recurrent unit, gates in PyTorch's order ``(r, z, n)``::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)    z = sigmoid(W_iz x + ... )
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; see :class:`RNNBase`.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# --------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """Base of the single-step cells: ``weight_ih (G, input_size)``,
    ``weight_hh (G, hidden_size)``, ``bias_ih``, ``bias_hh (G,)``, all
    ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _empty((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _empty((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _empty((num_chunks * hidden_size,), dtype)
            self.bias_hh = _empty((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input, states):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got "
                f"{input.shape[-1]} expected {self.input_size}"
            )
        batched = input.ndim == 2
        expected = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        for what, s in states:
            if s is None:
                continue
            if s.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.ndim}D instead")
            if tuple(s.shape) != expected:
                raise RuntimeError(f"{name}: Expected {what} size {expected}, got {list(s.shape)}")
        return batched

    def _weights(self):
        p = self._parameters
        return p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]

    def _zeros(self, input):  # noqa: A002
        return Tensor._wrap(np.zeros((input.shape[0], self.hidden_size), dtype=input.dtype))


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu), one step."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        batched = self._check(input, [("hidden", hx)])
        if not batched:
            input = input.unsqueeze(0)
            hx = hx.unsqueeze(0) if hx is not None else None
        if hx is None:
            hx = self._zeros(input)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = _rnn_cell(input, hx, *self._weights(), nonlinearity=self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c))`` returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input, hx=None):  # noqa: A002
        states = [] if hx is None else [(f"hx[{i}]", s) for i, s in enumerate(hx)]
        batched = self._check(input, states)
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = self._zeros(input)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = _lstm_cell(input, hx[0], hx[1], *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input, hx=None):  # noqa: A002
        batched = self._check(input, [("hidden", hx)])
        if not batched:
            input = input.unsqueeze(0)
            hx = hx.unsqueeze(0) if hx is not None else None
        if hx is None:
            hx = self._zeros(input)
        h = _gru_cell(input, hx, *self._weights())
        return h if batched else h.squeeze(0)
