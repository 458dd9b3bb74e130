"""default_collate / default_convert: stacking through nested containers, dtypes."""

from collections import namedtuple

import numpy as np
import pytest

import autograd
from autograd.tensor import Tensor
from data import default_collate, default_convert

Point = namedtuple("Point", ["x", "y"])


def test_numbers_and_dtypes():
    b = default_collate([1.5, 2.5])
    # Python floats give float64, as torch.utils.data.default_collate does
    assert isinstance(b, Tensor) and b.dtype == np.float64
    assert autograd.get_default_dtype() == np.float32
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float64(1), np.float64(2)]).dtype == np.float64
    assert default_collate([np.float32(1)]).dtype == np.float32
    autograd.set_default_dtype(autograd.float64)
    try:
        assert default_collate([1.0]).dtype == np.float64
    finally:
        autograd.set_default_dtype(autograd.float32)
    assert default_collate([(1.0, 2)])[0].dtype == np.float64


def test_arrays_and_tensors_stack():
    arrs = [np.arange(6, dtype=np.uint8).reshape(2, 3) + i for i in range(4)]
    b = default_collate(arrs)
    assert b.shape == (4, 2, 3) and b.dtype == np.uint8
    np.testing.assert_array_equal(b.numpy(), np.stack(arrs))
    ts = [autograd.tensor(a.astype(np.float32)) for a in arrs]
    b = default_collate(ts)
    assert b.shape == (4, 2, 3) and b.dtype == np.float32
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_stack_keeps_graph():
    x = autograd.ones(3, requires_grad=True)
    b = default_collate([x * 2, x * 3])
    b.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0, 5.0])


def test_nested_containers():
    samples = [
        {"img": np.zeros((2, 2), np.float32), "meta": (i, float(i)), "p": Point(i, [i, -i])}
        for i in range(3)
    ]
    b = default_collate(samples)
    assert b["img"].shape == (3, 2, 2)
    assert isinstance(b["meta"], list)  # tuples become lists, as in PyTorch
    assert b["meta"][0].tolist() == [0, 1, 2] and b["meta"][1].dtype == np.float64
    assert isinstance(b["p"], Point)
    assert b["p"].x.tolist() == [0, 1, 2]
    assert [t.tolist() for t in b["p"].y] == [[0, 1, 2], [0, -1, -2]]


def test_tuple_samples_give_list_of_batches():
    b = default_collate([(np.ones(2), 0), (np.zeros(2), 1)])
    assert isinstance(b, list) and b[0].shape == (2, 2) and b[1].tolist() == [0, 1]


def test_strings_and_errors():
    assert default_collate(["a", "b"]) == ["a", "b"]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])
    with pytest.raises(TypeError):
        default_collate([np.array(["x"]), np.array(["y"])])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": 1, "c": (np.float32(2.0), "s")})
    assert isinstance(out["a"], Tensor) and out["b"] == 1
    assert isinstance(out["c"], list) and isinstance(out["c"][0], Tensor) and out["c"][1] == "s"
    p = default_convert(Point(np.array(0), np.array(1)))
    assert isinstance(p, Point) and isinstance(p.x, Tensor)
