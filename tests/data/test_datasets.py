"""data.datasets: the shipped Digits data and MNIST-format IDX files written here."""

import gzip
import struct

import numpy as np
import pytest

import autograd
from data import DataLoader
from data.datasets import MNIST, Digits, FashionMNIST, load_digits_arrays, read_idx


def test_digits_arrays_and_split():
    a = load_digits_arrays()
    assert a["images"].shape == (1797, 8, 8) and a["images"].dtype == np.uint8
    assert a["images"].max() == 16 and a["images"].min() == 0
    assert a["targets"].shape == (1797,) and set(np.unique(a["targets"])) == set(range(10))
    train, test = a["train_index"], a["test_index"]
    assert len(train) == 1437 and len(test) == 360
    assert np.intersect1d(train, test).size == 0
    assert np.union1d(train, test).tolist() == list(range(1797))
    assert (np.bincount(a["targets"][test], minlength=10) == 36).all()


def test_digits_dataset():
    train, test = Digits(train=True), Digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    x, y = train[0]
    assert x.shape == (1, 8, 8) and x.dtype == autograd.get_default_dtype()
    assert isinstance(y, int) and 0 <= y <= 9
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
    np.testing.assert_allclose(x.numpy()[0] * 16, train.data.numpy()[0])
    assert train.targets.dtype == np.int64 and train.data.dtype == np.uint8
    xb, yb = next(iter(DataLoader(train, batch_size=32, shuffle=True)))
    assert xb.shape == (32, 1, 8, 8) and yb.dtype == np.int64


def test_digits_transforms():
    ds = Digits(train=False, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    x, y = ds[3]
    assert x.numpy().max() <= 2.0 and y >= 100


def write_idx(path, arr, code=0x08, compress=False, magic=None):
    arr = np.asarray(arr)
    header = magic if magic is not None else struct.pack(">BBBB", 0, 0, code, arr.ndim)
    header += struct.pack(f">{arr.ndim}I", *arr.shape)
    dt = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    raw = header + arr.astype(dt).tobytes()
    if compress:
        raw = gzip.compress(raw)
    path.write_bytes(raw)


def make_mnist(folder, n_train=5, n_test=3, compress=False, hw=(28, 28)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    sfx = ".gz" if compress else ""
    tr = rng.integers(0, 256, size=(n_train, *hw), dtype=np.uint8)
    te = rng.integers(0, 256, size=(n_test, *hw), dtype=np.uint8)
    write_idx(folder / f"train-images-idx3-ubyte{sfx}", tr, compress=compress)
    write_idx(folder / f"train-labels-idx1-ubyte{sfx}", np.arange(n_train) % 10, compress=compress)
    write_idx(folder / f"t10k-images-idx3-ubyte{sfx}", te, compress=compress)
    write_idx(folder / f"t10k-labels-idx1-ubyte{sfx}", [9, 8, 7][:n_test], compress=compress)
    return tr, te


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_raw_and_gz(tmp_path, compress):
    tr, te = make_mnist(tmp_path, compress=compress)
    ds = MNIST(tmp_path, train=True)
    assert len(ds) == 5
    x, y = ds[2]
    assert x.shape == (1, 28, 28) and y == 2
    np.testing.assert_allclose(x.numpy()[0], tr[2] / 255.0, rtol=1e-6)
    test = MNIST(str(tmp_path), train=False, target_transform=lambda t: -t)
    assert len(test) == 3 and test[0][1] == -9
    np.testing.assert_array_equal(test.data.numpy(), te)


def test_fashion_mnist_torchvision_layout(tmp_path):
    make_mnist(tmp_path / "FashionMNIST" / "raw", n_train=4)
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 4 and ds.classes[0] == "T-shirt/top"
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == [0, 1, 2, 3]


def test_mnist_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        MNIST(tmp_path)
    with pytest.raises(ValueError, match="download"):
        MNIST(tmp_path, download=True)


def test_mnist_malformed_files(tmp_path):
    make_mnist(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte"
    labels = tmp_path / "train-labels-idx1-ubyte"
    good = images.read_bytes()
    images.write_bytes(b"\x01\x02\x08\x03" + good[4:])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*magic number"):
        MNIST(tmp_path)
    images.write_bytes(good[:-10])
    with pytest.raises(
        ValueError, match=r"train-images-idx3-ubyte.*header says shape \(5, 28, 28\)"
    ):
        MNIST(tmp_path)
    images.write_bytes(b"\x00\x00\x08")
    with pytest.raises(ValueError, match="too short"):
        MNIST(tmp_path)
    images.write_bytes(good[:2] + b"\x07" + good[3:])
    with pytest.raises(ValueError, match="type code 0x07"):
        MNIST(tmp_path)
    images.write_bytes(good)
    write_idx(labels, np.arange(4))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        MNIST(tmp_path)
    write_idx(labels, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="1-d uint8"):
        MNIST(tmp_path)
    write_idx(labels, np.arange(5))
    write_idx(images, np.zeros((5, 28)))
    with pytest.raises(ValueError, match="3-d uint8"):
        MNIST(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8bnot gzip at all")
    with pytest.raises(ValueError, match="gzip"):
        MNIST(tmp_path)


def test_read_idx_other_types(tmp_path):
    p = tmp_path / "f.idx"
    write_idx(p, np.array([[1.5, -2.0]]), code=0x0D)
    a = read_idx(str(p))
    assert a.dtype == np.float32 and a.dtype.isnative and a.tolist() == [[1.5, -2.0]]
    write_idx(p, np.array([-3, 300]), code=0x0B)
    assert read_idx(str(p)).tolist() == [-3, 300]


# -- MNISTSample ---------------------------------------------------------------------------------


def test_mnist_sample_checksums_and_split():
    import hashlib

    from data.datasets import load_mnist_sample_arrays
    from data.datasets.mnist_sample import SHA256

    a = load_mnist_sample_arrays()
    assert a["images"].shape == (5000, 28, 28) and a["images"].dtype == np.uint8
    assert a["targets"].shape == (5000,) and a["targets"].dtype == np.uint8
    for k in ("images", "targets"):
        assert hashlib.sha256(a[k].tobytes()).hexdigest() == SHA256[k], k
    assert a["images"].max() == 255 and a["images"].min() == 0
    assert (np.bincount(a["targets"], minlength=10) == 500).all()
    train, test = a["train_index"], a["test_index"]
    assert len(train) == 4000 and len(test) == 1000
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    assert np.union1d(train, test).tolist() == list(range(5000))
    assert (np.bincount(a["targets"][test], minlength=10) == 100).all()
    # the split is the one the README and _make_mnist_sample.py describe
    rng = np.random.default_rng(0)
    t = a["targets"]
    expect = np.sort(
        np.concatenate([rng.permutation(np.flatnonzero(t == c))[:100] for c in range(10)])
    )
    np.testing.assert_array_equal(test, expect)


def test_mnist_sample_checksums_are_documented():
    from pathlib import Path

    import data.datasets.mnist_sample as m

    readme = (Path(m.__file__).parent / "README.md").read_text()
    for digest in m.SHA256.values():
        assert digest in m.__doc__ and digest in readme


def test_mnist_sample_dataset():
    from data.datasets import MNISTSample

    train, test = MNISTSample(train=True), MNISTSample(train=False)
    assert len(train) == 4000 and len(test) == 1000
    x, y = test[7]
    assert x.shape == (1, 28, 28) and x.dtype == autograd.get_default_dtype()
    assert isinstance(y, int) and 0 <= y <= 9 and y == int(test.targets.numpy()[7])
    np.testing.assert_allclose(x.numpy()[0] * 255, test.data.numpy()[7], atol=1e-4)
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
    assert x.numpy().max() > 0.9  # real strokes, not an empty picture
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    assert repr(test) == "MNISTSample(split='test', size=1000)"
    xb, yb = next(iter(DataLoader(train, batch_size=64, shuffle=True)))
    assert xb.shape == (64, 1, 28, 28) and yb.dtype == np.int64
    ds = MNISTSample(train=False, transform=lambda x: x * 2, target_transform=lambda y: y + 10)
    x2, y2 = ds[7]
    np.testing.assert_allclose(x2.numpy(), 2 * x.numpy())
    assert y2 == y + 10
