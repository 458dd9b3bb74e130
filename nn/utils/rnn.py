"""Variable-length sequences for the recurrent layers: ``PackedSequence``, ``pad_sequence``,
``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence``, ``unpad_sequence``,
``unpack_sequence``, as ``torch.nn.utils.rnn``.

A :class:`PackedSequence` holds the time steps of a batch of sequences, sorted by decreasing
length, one after the other: ``data`` ``(sum(lengths), *)`` is step 0 of every sequence, then
step 1 of every sequence still running, ...; ``batch_sizes[t]`` says how many sequences run at
step ``t``. Packing and unpacking are each one gather (so gradients flow through both).
``RNN``/``LSTM``/``GRU`` take a ``PackedSequence`` and return one, with the final hidden states
taken at each sequence's own last step.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

import autograd as ag
from autograd.ops.indexing import getitem_p
from autograd.tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

_PackedSequenceBase = namedtuple(
    "PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


def _np(x):
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation (None stays None)."""
    if permutation is None:
        return None
    p = _np(permutation).astype(np.int64)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=np.int64)
    return ag.tensor(out)


class PackedSequence(_PackedSequenceBase):
    """A packed batch of variable-length sequences (see the module docstring).

    Parameters
    ----------
    data : Tensor
        ``(sum(lengths), *)``.
    batch_sizes : Tensor
        int64 ``(max_length,)``.
    sorted_indices : Tensor, optional
        The batch order the packing used (the sequences sorted by decreasing length).
    unsorted_indices : Tensor, optional
        Its inverse (computed when omitted).
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise RuntimeError("PackedSequence: batch_sizes must be given")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = ag.tensor(np.asarray(batch_sizes, dtype=np.int64))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _table(batch_sizes):
    """``(T, B)`` row of ``data`` holding step ``t`` of (sorted) sequence ``b``; -1 where the
    sequence has ended."""
    bs = np.asarray(batch_sizes, dtype=np.int64)
    T, B = bs.size, int(bs[0]) if bs.size else 0
    start = np.concatenate([[0], np.cumsum(bs)[:-1]]) if T else np.zeros(0, np.int64)
    b = np.arange(B)
    return np.where(b[None, :] < bs[:, None], start[:, None] + b[None, :], -1)


def _lengths_of(batch_sizes):
    bs = np.asarray(batch_sizes, dtype=np.int64)
    B = int(bs[0]) if bs.size else 0
    return (np.arange(B)[:, None] < bs[None, :]).sum(1)


def pack_padded_sequence(
    input: Tensor,  # noqa: A002
    lengths,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of
    ``lengths``; with ``enforce_sorted`` the lengths must be decreasing, otherwise the batch is
    sorted here and the permutation kept in the result."""
    ln = _np(lengths).astype(np.int64).reshape(-1)
    if enforce_sorted:
        if ln.size > 1 and (np.diff(ln) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
        order = np.arange(ln.size)
    else:
        order = np.argsort(-ln, kind="stable")
        sorted_indices = ag.tensor(order.astype(np.int64))
    ls = ln[order]
    if ls.size and ls[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    T = input.shape[1 if batch_first else 0]
    B = input.shape[0 if batch_first else 1]
    if ln.size != B:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {ln.size} (batch_size={B})"
        )
    if ls.size and ls[0] > T:
        raise RuntimeError(
            f"Length of the longest sequence ({int(ls[0])}) exceeds the input's time dimension "
            f"({T})"
        )
    batch_sizes = (ls[None, :] > np.arange(int(ls[0]) if ls.size else 0)[:, None]).sum(1)
    tt, bb = np.nonzero(np.arange(batch_sizes.size)[:, None] < ls[None, :])  # row-major: by t
    src_b = order[bb]
    idx = (src_b, tt) if batch_first else (tt, src_b)
    data = getitem_p(input, idx=idx)
    return PackedSequence(data, ag.tensor(batch_sizes.astype(np.int64)), sorted_indices)


def _pad_sorted(sequence: PackedSequence, padding_value=0.0, total_length=None):
    """``(T, B, *)`` time-major, in the packed (sorted) batch order, and the lengths."""
    bs = _np(sequence.batch_sizes)
    table = _table(bs)
    T = table.shape[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being {T}"
            )
        table = np.concatenate([table, np.full((total_length - T, table.shape[1]), -1)], 0)
    data = sequence.data
    n = data.shape[0]
    fill = ag.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    ext = ag.cat([data, fill])
    out = getitem_p(ext, idx=(np.where(table < 0, n, table),))
    return out, _lengths_of(bs)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of :func:`pack_padded_sequence`: ``(padded, lengths)`` with ``padded``
    ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``), ``T = total_length`` or the longest
    length, in the original batch order; ``lengths`` int64 ``(B,)``."""
    out, lengths = _pad_sorted(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        un = _np(sequence.unsorted_indices).astype(np.int64)
        out = getitem_p(out, idx=(slice(None), un))
        lengths = lengths[un]
    if batch_first:
        out = out.transpose(0, 1)
    return out, ag.tensor(lengths.astype(np.int64))


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``),
    padded with ``padding_value`` on the ``padding_side`` ('right' or 'left')."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trail = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trail:
            raise RuntimeError(
                f"The size of tensor a ({trail}) must match the size of tensor b "
                f"({tuple(s.shape[1:])}) at non-singleton dimension 1"
            )
    T = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        k = T - s.shape[0]
        if k:
            fill = ag.full((k,) + trail, padding_value, dtype=s.dtype)
            s = ag.cat([s, fill]) if padding_side == "right" else ag.cat([fill, s])
        rows.append(s)
    return ag.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The sequences of a padded batch, each cut to its length."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, : int(n)] for i, n in enumerate(_np(lengths).reshape(-1))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a :class:`PackedSequence`, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
