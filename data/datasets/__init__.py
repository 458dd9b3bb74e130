"""Datasets in the box (``Digits``, ``MNISTSample``) and loaders for MNIST-format files on disk."""

from .digits import Digits, load_digits_arrays
from .mnist import MNIST, FashionMNIST, read_idx
from .mnist_sample import MNISTSample, load_mnist_sample_arrays

__all__ = [
    "Digits",
    "FashionMNIST",
    "MNIST",
    "MNISTSample",
    "load_digits_arrays",
    "load_mnist_sample_arrays",
    "read_idx",
]
