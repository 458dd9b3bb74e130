"""``Digits``: the UCI optical recognition of handwritten digits data, shipped in the package.

The data (``digits.npz`` beside this file) is scikit-learn's bundled copy of the UCI data; see
``README.md`` in this folder for its source, licence and how the file was made. Only NumPy is
needed to read it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from autograd import dtypes as _dt
from autograd.tensor import Tensor

from ..dataset import Dataset

_PATH = os.path.join(os.path.dirname(__file__), "digits.npz")


def load_digits_arrays() -> dict:
    """The raw arrays of ``digits.npz``: ``images`` (1797, 8, 8) uint8 in 0..16, ``targets``
    (1797,) uint8, and the fixed split ``train_index`` (1437,) / ``test_index`` (360,)."""
    with np.load(_PATH, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


class _BundledImages(Dataset):
    """A fixed train/test split of grey images shipped as a compressed ``.npz`` (``images``
    uint8, ``targets``, ``train_index``, ``test_index``); each sample is a ``(1, H, W)`` tensor of
    the default float dtype in [0, 1] and an int target. Subclasses name the loader and the
    maximum pixel value."""

    _max_value: int  # each subclass sets it and ``_load_arrays``, the loader of its file
    _load_arrays: Callable[[], dict]

    def __init__(
        self,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        arrays = self._load_arrays()
        index = arrays["train_index" if train else "test_index"].astype(np.int64)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.data = Tensor._wrap(np.ascontiguousarray(arrays["images"][index]))
        self.targets = Tensor._wrap(arrays["targets"][index].astype(np.int64))

    def __len__(self) -> int:
        return int(self.data._data.shape[0])

    def __getitem__(self, index):
        dtype = _dt.get_default_dtype()
        scale = dtype.type(self._max_value)
        img = Tensor._wrap((self.data._data[index] / scale).astype(dtype)[None])
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split!r}, size={len(self)})"


class Digits(_BundledImages):
    """1,797 grey 8x8 images of handwritten digits in 10 classes (UCI / scikit-learn).

    Parameters
    ----------
    train : bool, default True
        The train split (1,437 images) or the test split (360 images: 36 of each digit). The
        split is fixed and stored in the data file; see ``data/datasets/README.md``.
    transform : callable, optional
        Applied to each image (a float ``Tensor`` of shape ``(1, 8, 8)`` in [0, 1]).
    target_transform : callable, optional
        Applied to each target (a Python ``int`` in 0..9).

    Attributes
    ----------
    data : Tensor, shape (N, 8, 8), uint8
        The raw images, values 0..16 (the count of ink pixels in each 4x4 block).
    targets : Tensor, shape (N,), int64
    classes : list of str

    Notes
    -----
    ``dataset[i]`` is ``(image, target)`` with ``image = data[i] / 16`` as a ``(1, 8, 8)``
    tensor of the default float dtype, like an MNIST image after ``ToTensor``.

    Examples
    --------
    >>> train = Digits(train=True)
    >>> x, y = train[0]
    >>> x.shape, len(train)
    ((1, 8, 8), 1437)
    """

    classes = [str(d) for d in range(10)]

    _max_value = 16
    _load_arrays = staticmethod(load_digits_arrays)
