"""Collation: turning a list of samples into a batch (``default_collate``, ``default_convert``).

The rules are PyTorch's: Python ``float`` s become float64 tensors, whatever the default
dtype, as ``torch.utils.data.default_collate`` makes them (so a script ported from PyTorch
gets the dtype it got there; cast the targets, or return float32 NumPy scalars, to match a
float32 model); Python ``int`` s become int64 and ``bool`` s bool; NumPy arrays and NumPy
scalars keep their dtype.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

from autograd.ops.shape import stack
from autograd.tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_convert(data):
    """Turn NumPy arrays (and NumPy scalars) inside ``data`` into tensors; leave the rest alone.

    Used in place of :func:`default_collate` when a loader does not batch
    (``batch_size=None``). Recurses through mappings, namedtuples, tuples (returned as lists,
    as PyTorch does) and sequences.
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a list of samples), dispatching on the type of its first element.

    Parameters
    ----------
    batch : list
        The samples.
    collate_fn_map : dict, optional
        Maps a type (or tuple of types) to ``fn(batch, *, collate_fn_map)``. The exact type of
        the first element is looked up first, then each key in insertion order with
        ``isinstance``. Containers (mappings, namedtuples, sequences) are handled after that,
        recursing with the same map.

    Raises
    ------
    TypeError
        If an element's type has no rule.
    RuntimeError
        If the sequences of a batch differ in length.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(
                    {
                        key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                        for key in elem
                    }
                )
                return clone
            return elem_type(
                {
                    key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                    for key in elem
                }
            )
        except TypeError:
            return {
                key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
            }
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence) and not isinstance(elem, (str, bytes)):
        elem_size = len(elem)
        if not all(len(e) == elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            # a tuple sample gives a list of batches, as in PyTorch
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = collate(s, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(s, collate_fn_map=collate_fn_map) for s in transposed])
        except TypeError:
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
    raise TypeError(_ERR.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    if any(t.requires_grad for t in batch):
        return stack(list(batch), 0)
    shape = batch[0].shape
    for k, t in enumerate(batch):
        if t.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tuple(shape)} at entry 0 "
                f"and {tuple(t.shape)} at entry {k}"
            )
    return Tensor._wrap(np.stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(_ERR.format(elem.dtype))
    shape = elem.shape
    for k, a in enumerate(batch):
        if a.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {shape} at entry 0 "
                f"and {a.shape} at entry {k}"
            )
    return Tensor._wrap(np.stack(batch))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return Tensor._wrap(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return Tensor._wrap(np.asarray(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    # bool is an int subclass: a batch of bools stays bool, as in PyTorch
    dtype = np.bool_ if all(isinstance(b, bool) for b in batch) else np.int64
    return Tensor._wrap(np.asarray(batch, dtype=dtype))


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch with a new leading dimension.

    ========================================  ==================================================
    element of each sample                    in the batch
    ========================================  ==================================================
    ``Tensor`` / NumPy array of shape ``S``   ``Tensor`` of shape ``(B, *S)``, same dtype
    NumPy scalar                              ``Tensor`` of shape ``(B,)``, same dtype
    ``float``                                 ``Tensor`` ``(B,)`` of float64 (as PyTorch)
    ``int`` / ``bool``                        ``Tensor`` ``(B,)`` of int64 / bool
    ``str`` / ``bytes``                       list of them, unchanged
    ``Mapping``                               same mapping type, collated per key
    namedtuple                                same namedtuple, collated per field
    tuple                                     list, collated per position (as PyTorch)
    other sequence                            same sequence type, collated per position
    ========================================  ==================================================

    Raises
    ------
    TypeError
        For an element of another type, or a NumPy array of strings or objects.
    RuntimeError
        For tensors or arrays of different shapes, or sequences of different lengths.

    Examples
    --------
    >>> b = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    >>> b[0].shape, b[1].dtype
    ((2, 3), dtype('int64'))
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
