"""MNIST and Fashion-MNIST from IDX files in a local folder (no download), and an IDX reader.

NOTE [ IDX format ]
An IDX file (LeCun's format for MNIST) is big-endian: two zero bytes, a type code (0x08 uint8,
0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions
``d``, then ``d`` uint32 sizes, then the values in C order. MNIST's images are
``(N, 28, 28)`` uint8 (magic 0x00000803) and its labels ``(N,)`` uint8 (magic 0x00000801).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable

import numpy as np

from autograd import dtypes as _dt
from autograd.tensor import Tensor

from ..dataset import Dataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == b"\x1f\x8b":  # gzip magic, whatever the file is called
            try:
                with gzip.GzipFile(fileobj=f) as g:
                    return g.read()
            except (OSError, EOFError) as e:
                raise ValueError(f"{path}: not a valid gzip file ({e})") from None
        return f.read()


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a NumPy array in native byte order.

    Parameters
    ----------
    path : str
        The file; gzip compression is recognised from its content.

    Returns
    -------
    numpy.ndarray
        Of the shape and type the header gives.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not IDX (bad magic number or type code) or its size does not match its
        header; the message names the file and what was expected. See NOTE [ IDX format ].
    """
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(
            f"{path}: too short for an IDX file ({len(raw)} bytes; the header alone is 4)"
        )
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file: expected the magic number to start with two zero bytes, "
            f"got {raw[:4].hex()}"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(
            f"{path}: unknown IDX type code 0x{code:02X} (expected one of "
            f"{', '.join(f'0x{c:02X}' for c in _IDX_TYPES)})"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, file has "
            f"{len(raw)}"
        )
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"{path}: IDX header says shape {shape} of {dtype.name} ({expected} bytes with the "
            f"header), but the file has {len(raw)} bytes"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """The MNIST handwritten digits, read from IDX files on disk (nothing is downloaded).

    Parameters
    ----------
    root : str or path
        The folder holding the files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each raw or with a ``.gz``
        suffix. torchvision's layout, ``root/MNIST/raw/...``, is found too.
    train : bool, default True
        The 60,000 training or the 10,000 test images.
    transform : callable, optional
        Applied to each image, a float ``Tensor`` of shape ``(1, 28, 28)`` in [0, 1].
    target_transform : callable, optional
        Applied to each target, a Python ``int``.
    download : bool, default False
        Accepted for compatibility with torchvision; ``True`` raises, since nothing is
        downloaded.

    Attributes
    ----------
    data : Tensor, shape (N, H, W), uint8
    targets : Tensor, shape (N,), int64
    classes : list of str

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message lists the paths tried.
    ValueError
        If a file is not the IDX data expected (wrong magic number, 3-d uint8 images and 1-d
        uint8 labels, equal counts); the message names the file.

    Notes
    -----
    Differences from torchvision: images come as ``(1, H, W)`` float tensors scaled to [0, 1]
    (what torchvision's ``ToTensor`` makes of its PIL images), since there is no PIL here.
    """

    folder_name = "MNIST"
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]
    _files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(
        self,
        root,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        if download:
            raise ValueError(
                f"{type(self).__name__}: download=True is not supported (ndgrad downloads "
                f"nothing); put the IDX files in {os.fspath(root)!r}"
            )
        self.root = os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        images_name, labels_name = self._files[bool(train)]
        images_path = self._find(images_name)
        labels_path = self._find(labels_name)
        images = read_idx(images_path)
        labels = read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(
                f"{images_path}: expected images as a 3-d uint8 IDX array (magic 0x00000803), "
                f"got shape {images.shape} of {images.dtype}"
            )
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(
                f"{labels_path}: expected labels as a 1-d uint8 IDX array (magic 0x00000801), "
                f"got shape {labels.shape} of {labels.dtype}"
            )
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
                f"{labels.shape[0]} labels; expected as many of each"
            )
        self.data = Tensor._wrap(images)
        self.targets = Tensor._wrap(labels.astype(np.int64))

    def _find(self, name: str) -> str:
        tried = []
        for folder in (self.root, os.path.join(self.root, self.folder_name, "raw")):
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
                tried.append(path)
        raise FileNotFoundError(
            f"{type(self).__name__}: cannot find the IDX file {name!r} (raw or .gz); tried "
            + ", ".join(tried)
        )

    def __len__(self) -> int:
        return int(self.data._data.shape[0])

    def __getitem__(self, index):
        dtype = _dt.get_default_dtype()
        img = Tensor._wrap((self.data._data[index] / dtype.type(255)).astype(dtype)[None])
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(root={self.root!r}, split={split!r}, size={len(self)})"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): MNIST's file names and format, ten kinds of clothing.

    Parameters and behaviour are those of :class:`MNIST`; torchvision's layout is
    ``root/FashionMNIST/raw/...``.
    """

    folder_name = "FashionMNIST"
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
