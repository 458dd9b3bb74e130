"""Datasets in the box (``Digits``) and loaders for MNIST-format files on disk."""

from .digits import Digits, load_digits_arrays
from .mnist import MNIST, FashionMNIST, read_idx

__all__ = ["Digits", "FashionMNIST", "MNIST", "load_digits_arrays", "read_idx"]
