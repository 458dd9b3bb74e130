"""``autograd.save`` / ``autograd.load``: round trips, the safetensors layout, validation of
malformed or crafted files, atomic writes and bounded memory."""

from __future__ import annotations

import io
import json
import math
import os
import pickletools
import struct
import sys
import tracemalloc
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import serialization
from autograd.serialization import SerializationError

_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}


# -- helpers -----------------------------------------------------------------------------------
def _roundtrip(obj):
    buf = io.BytesIO()
    ag.save(obj, buf)
    buf.seek(0)
    return ag.load(buf)


def _assert_same(a, b, where="obj"):
    """Deep equality that also checks exact types, dtypes, requires_grad, nan and -0.0."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, ag.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.requires_grad == b.requires_grad, where
        assert a.is_leaf and a.grad is None
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=where)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        ), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _array(rng, dtype, shape):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


@st.composite
def tensors(draw, dtype=None, max_dims=4, max_side=4):
    """Tensors of every supported dtype; 0-d, empty and non-contiguous ones included."""
    if dtype is None:
        dtype = draw(st.sampled_from(list(_DTYPES.values())))
    shape = tuple(draw(st.lists(st.integers(0, max_side), max_size=max_dims)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layout = draw(st.sampled_from(["contiguous", "transposed", "strided"]))
    if layout == "strided" and shape:
        big = _array(rng, dtype, shape[:-1] + (2 * shape[-1],))
        arr = big[..., ::2]
    elif layout == "transposed":
        arr = _array(rng, dtype, shape[::-1]).T
    else:
        arr = _array(rng, dtype, shape)
    rg = np.dtype(dtype).kind == "f" and draw(st.booleans())
    return ag.Tensor._wrap(arr, rg)


_scalars = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.text(max_size=5)
)


def _nested(leaves):
    keys = st.text(max_size=4) | st.integers(-5, 5)
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.lists(children, max_size=3).map(tuple)
            | st.dictionaries(keys, children, max_size=3)
            | st.dictionaries(st.text(max_size=4), children, max_size=3).map(
                lambda d: OrderedDict(reversed(list(d.items())))
            )
        ),
        max_leaves=12,
    )


def _write_raw(path, header, data=b"", n=None):
    """A file with a JSON ``header`` (object or raw bytes) and ``data``; ``n`` overrides the
    declared header length."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if n is None else n) + text + data)
    return path


def _entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def _expect_error(path, *fragments):
    with pytest.raises(SerializationError) as info:
        ag.load(path)
    msg = str(info.value)
    assert str(path) in msg
    for frag in fragments:
        assert frag in msg, msg
    return msg


def _structure_file(path, structure, tensors=None):
    """A file with our metadata holding ``structure`` (a JSON-able tree, or a raw string)."""
    head, data, off = {}, b"", 0
    for key, arr in (tensors or {}).items():
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        name = next(k for k, v in _DTYPES.items() if np.dtype(v) == arr.dtype)
        head[key] = _entry(name, list(arr.shape), off, off + len(raw))
        data += raw
        off += len(raw)
    s = structure if isinstance(structure, str) else json.dumps(structure)
    head["__metadata__"] = {"format": "ndgrad-1", "ndgrad.structure": s}
    return _write_raw(path, head, data)


def _read_header(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), 8 + n


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", list(_DTYPES.values()), ids=list(_DTYPES))
@given(data=st.data())
def test_tensor_roundtrip_every_dtype_and_layout(dtype, data):
    t = data.draw(tensors(dtype))
    out = _roundtrip(t)
    _assert_same(t, out)
    arr = out.detach().numpy()
    assert arr.flags.c_contiguous and arr.flags.writeable


@given(_nested(_scalars | tensors(max_dims=2, max_side=3)))
def test_nested_structures_roundtrip(obj):
    _assert_same(obj, _roundtrip(obj))


def test_roundtrip_through_a_path(tmp_path):
    state = OrderedDict(
        [("z.weight", ag.randn(3, 2)), ("a.bias", ag.zeros(3)), ("m", ag.tensor(7))]
    )
    obj = {"model": state, "epoch": 3, "lr": 1e-3, "hist": [(1, 0.5), (2, float("inf"))]}
    path = tmp_path / "ckpt.safetensors"
    ag.save(obj, path)
    _assert_same(obj, ag.load(path))
    _assert_same(obj, ag.load(str(path)))
    with open(path, "rb") as fh:
        _assert_same(obj, ag.load(fh))


def test_ordered_dict_order_and_dict_vs_ordered_dict_kept():
    od = OrderedDict([("b", 1), ("a", 2), ("c", 3)])
    d = {"b": 1, "a": 2, "c": 3}
    out = _roundtrip([od, d])
    assert type(out[0]) is OrderedDict and list(out[0]) == ["b", "a", "c"]
    assert type(out[1]) is dict and list(out[1]) == ["b", "a", "c"]


def test_list_vs_tuple_and_non_string_keys():
    obj = {0: [1, (2, 3)], -7: (), 1.5: None, True: "t", None: [], "0": "string zero"}
    out = _roundtrip(obj)
    _assert_same(obj, out)
    assert {type(k) for k in out} == {int, float, bool, type(None), str}


def test_requires_grad_is_preserved_and_tensors_load_as_leaves():
    w = ag.randn(2, 3, requires_grad=True)
    y = w * 2  # a non-leaf: saved by value, loads as a leaf
    out = _roundtrip({"w": w, "y": y, "c": ag.ones(2)})
    assert out["w"].requires_grad and out["w"].is_leaf
    assert out["y"].requires_grad and out["y"].is_leaf and out["y"].grad_fn is None
    assert not out["c"].requires_grad
    np.testing.assert_array_equal(out["y"].detach().numpy(), y.detach().numpy())


def test_non_contiguous_tensor_requiring_grad():
    base = ag.Tensor._wrap(np.arange(24.0).reshape(2, 3, 4))
    for t in (base.permute(2, 0, 1), base[:, ::2, 1:]):
        t = t.detach().requires_grad_()
        assert not t._data.flags.c_contiguous
        _assert_same(t, _roundtrip(t))


def test_zero_dim_and_empty_tensors():
    obj = [ag.tensor(3.5), ag.tensor(True), ag.zeros(0), ag.zeros(2, 0, 3, dtype=ag.int64)]
    _assert_same(obj, _roundtrip(obj))


def test_the_same_object_stays_one_object_but_views_are_copies():
    t = ag.arange(6.0)
    v = t[1:3]
    out = _roundtrip({"a": t, "b": [t], "v": v})
    assert out["b"][0] is out["a"]
    out["a"].numpy()[1] = 100.0
    assert out["v"].numpy()[0] == 1.0  # the view was saved as an independent copy


def test_parameter_loads_as_parameter():
    from nn import parameter as nn_param

    p = nn_param.Parameter(ag.randn(2, 2))
    frozen = nn_param.Parameter(ag.randn(2), requires_grad=False)
    out = _roundtrip({"p": p, "frozen": frozen, "t": ag.ones(1)})
    assert type(out["p"]) is nn_param.Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is nn_param.Parameter and not out["frozen"].requires_grad
    assert type(out["t"]) is ag.Tensor
    np.testing.assert_array_equal(out["p"].detach().numpy(), p.detach().numpy())


def test_autograd_imports_nothing_from_nn_optim_data(tmp_path):
    """The engine knows nothing of nn, optim or data: importing autograd and saving / loading
    a file that holds a parameter (written by a process that had nn) loads none of them. The
    parameter comes back as a plain Tensor until nn is imported."""
    import subprocess

    path = tmp_path / "p.ndg"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    writer = (
        "import autograd, nn, sys\n"
        f"autograd.save({{'w': nn.Parameter(autograd.ones(2))}}, {str(path)!r})\n"
    )
    reader = (
        "import sys, autograd\n"
        f"out = autograd.load({str(path)!r})\n"
        "autograd.save(out, sys.argv[1])\n"
        "(autograd.ones(2, requires_grad=True) * 2).sum().backward()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('nn', 'optim', 'data'))\n"
        "assert not bad, bad\n"
        "assert type(out['w']) is autograd.Tensor and out['w'].requires_grad\n"
        "import nn\n"
        f"assert type(autograd.load({str(path)!r})['w']) is nn.Parameter\n"
    )
    env = {**os.environ, "PYTHONPATH": root}
    for code, args in ((writer, []), (reader, [str(tmp_path / "q.ndg")])):
        r = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=root, env=env, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr


def test_numpy_arrays_and_scalars():
    obj = {
        "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
        "be": np.arange(4, dtype=">f8"),  # big-endian: stored little-endian, loads native
        "nc": np.arange(12.0).reshape(3, 4)[:, ::2],
        "scalars": [np.float32(1.5), np.int64(-3), np.bool_(True)],
    }
    out = _roundtrip(obj)
    assert type(out["arr"]) is np.ndarray and out["arr"].dtype == np.int16
    np.testing.assert_array_equal(out["arr"], obj["arr"])
    assert out["be"].dtype == np.float64 and out["be"].dtype.isnative
    np.testing.assert_array_equal(out["be"], obj["be"])
    np.testing.assert_array_equal(out["nc"], obj["nc"])
    assert out["scalars"] == [1.5, -3, True]
    assert [type(s) for s in out["scalars"]] == [float, int, bool]


def test_special_floats_and_strings():
    obj = [float("nan"), float("inf"), -float("inf"), -0.0, 1e-310, "é\u2603\n\"'", ""]
    _assert_same(obj, _roundtrip(obj))


def test_colliding_and_reserved_tensor_names():
    obj = {"a.b": ag.ones(1), "a": {"b": ag.zeros(1)}, "__metadata__": ag.full((2,), 5.0)}
    _assert_same(obj, _roundtrip(obj))


def test_file_object_at_an_offset_and_non_seekable_reader():
    obj = {"x": ag.randn(3), "n": 1}
    buf = io.BytesIO()
    buf.write(b"prefix")
    ag.save(obj, buf)
    buf.seek(6)
    _assert_same(obj, ag.load(buf))

    class Pipe:
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

    _assert_same(obj, ag.load(Pipe(buf.getvalue()[6:])))


def test_torch_compatible_keyword_arguments_are_accepted():
    buf = io.BytesIO()
    ag.save(ag.ones(2), buf, pickle_protocol=2)
    for kwargs in (
        {"map_location": "cpu"},
        {"map_location": {"cuda:0": "cpu"}, "weights_only": False},
        {"mmap": False, "encoding": "latin1"},
    ):
        buf.seek(0)
        _assert_same(ag.ones(2), ag.load(buf, **kwargs))


def test_unsupported_objects_name_their_path_and_write_nothing(tmp_path):
    path = tmp_path / "x.st"
    cases = [
        ({"layer": {"w": {1, 2}}}, "obj['layer']['w']: cannot save object of type set"),
        ([1, (2, object())], "obj[1][1]: cannot save object of type object"),
        ({"z": np.zeros(2, np.complex64)}, "obj['z']: cannot save an array of dtype complex64"),
        ({"k": {(1, 2): 3}}, "obj['k']: cannot save a dict key of type tuple"),
        ({3: b"bytes"}, "obj[3]: cannot save object of type bytes"),
    ]
    for obj, msg in cases:
        with pytest.raises(TypeError) as info:
            ag.save(obj, path)
        assert str(info.value) == msg
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="nesting deeper than 100"):
        ag.save(cyclic, path)
    assert os.listdir(tmp_path) == []


# -- the safetensors layout --------------------------------------------------------------------
def test_layout_flat_state_dict_uses_its_keys(tmp_path):
    sd = OrderedDict(
        [("w", ag.randn(2, 3)), ("idx", ag.tensor([1, 2, 3])), ("h", ag.ones(3, dtype=ag.half))]
    )
    path = tmp_path / "sd.st"
    ag.save(sd, path)
    head, start = _read_header(path)
    meta = head.pop("__metadata__")
    assert meta["format"] == "ndgrad-1" and "ndgrad.structure" in meta
    assert set(head) == set(sd)
    assert start % 8 == 0
    raw = path.read_bytes()[start:]
    for key, t in sd.items():
        e = head[key]
        assert e["shape"] == list(t.shape)
        b, end = e["data_offsets"]
        assert b % t.dtype.itemsize == 0  # aligned, as safetensors lays tensors out
        got = np.frombuffer(raw[b:end], dtype=t.dtype.newbyteorder("<")).reshape(t.shape)
        np.testing.assert_array_equal(got, t.numpy())
    assert {e["dtype"] for e in head.values()} == {"F32", "I64", "F16"}


def test_hand_built_safetensors_file_loads(tmp_path):
    a = np.array([[1.0, -2.0], [0.5, 3.0]], dtype="<f4")
    b = np.array([1, -1, 2**40], dtype="<i8")
    c = np.array([True, False, True])
    # Header entries deliberately not in offset order; offsets are what must be contiguous.
    header = {
        "__metadata__": {"format": "pt"},
        "a": _entry("F32", [2, 2], 24, 40),
        "b": _entry("I64", [3], 0, 24),
        "c": _entry("BOOL", [3], 40, 43),
        "s": _entry("U8", [], 43, 44),
    }
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    data = b.tobytes() + a.tobytes() + bytes([1, 0, 1]) + bytes([200])
    path = tmp_path / "hand.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    out = ag.load(path)
    assert type(out) is dict and list(out) == ["a", "b", "c", "s"]
    _assert_same(out["a"], ag.tensor(a))
    _assert_same(out["b"], ag.tensor(b))
    _assert_same(out["c"], ag.tensor(c))
    _assert_same(out["s"], ag.tensor(200, dtype=ag.uint8))


def test_cross_check_with_the_safetensors_package(tmp_path):
    # the independent reader/writer; in the test extra (pip install 'ndgrad[test]')
    import safetensors.numpy as st_numpy

    arrays = {
        "w": np.arange(12, dtype=np.float32).reshape(3, 4),
        "i": np.array([5, -6], dtype=np.int64),
        "h": np.ones((2, 1), dtype=np.float16),
        "b": np.array([True, False]),
        "e": np.zeros((0, 2), dtype=np.float64),
    }
    theirs = tmp_path / "theirs.st"
    st_numpy.save_file(arrays, str(theirs))
    out = ag.load(theirs)
    assert set(out) == set(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(out[k].numpy(), v)
        assert out[k].dtype == v.dtype

    ours = tmp_path / "ours.st"
    ag.save({k: ag.tensor(v) for k, v in arrays.items()}, ours)
    back = st_numpy.load_file(str(ours))
    assert set(back) == set(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
        assert back[k].dtype == v.dtype


# -- malformed, truncated and crafted files ----------------------------------------------------
_F4 = _entry("F32", [2], 0, 8)


def _malformed():
    two = np.array([1.0, 2.0], "<f4").tobytes()
    deep = {"type": "list", "items": []}
    for _ in range(101):
        deep = {"type": "list", "items": [deep]}
    ref = {"type": "tensor", "key": "nope", "requires_grad": False, "parameter": False}
    return {
        "empty file": (b"", None, b"", "too few"),
        "truncated header length": (b"", None, b"", "too few"),
        "header length beyond the file": (b'{"a": 1}', 100, b"", "header length 100"),
        "header length 2**40": (b"{}", 2**40, b"", "header length 1099511627776"),
        "invalid JSON": (b'{"a": ', None, b"", "not valid JSON"),
        "JSON not an object": (b"[1, 2]", None, b"", "does not start with '{'"),
        "not UTF-8": (b'{"\xff": 1}', None, b"", "not valid UTF-8"),
        "NaN in the header": (b'{"a": NaN}', None, b"", "not JSON"),
        "deeply nested JSON": (
            b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            None,
            b"",
            "nest",
        ),
        "duplicate keys": (
            b'{"a": %s, "a": %s}' % ((json.dumps(_F4).encode(),) * 2),
            None,
            two,
            "key 'a' twice",
        ),
        "entry not an object": ({"a": [1]}, None, b"", "exactly"),
        "missing field": ({"a": {"dtype": "F32", "shape": [2]}}, None, two, "exactly"),
        "extra field": ({"a": {**_F4, "x": 1}}, None, two, "exactly"),
        "unknown dtype": ({"a": _entry("BF16", [2], 0, 4)}, None, b"\0" * 4, "dtype 'BF16'"),
        "non-string dtype": ({"a": _entry(4, [2], 0, 8)}, None, two, "unsupported dtype 4"),
        "negative shape": ({"a": _entry("F32", [-2], 0, 8)}, None, two, "non-negative ints"),
        "float shape": ({"a": _entry("F32", [2.0], 0, 8)}, None, two, "non-negative ints"),
        "bool shape": ({"a": _entry("F32", [True], 0, 4)}, None, two[:4], "non-negative ints"),
        "shape not a list": ({"a": _entry("F32", 2, 0, 8)}, None, two, "non-negative ints"),
        "2**40 elements": ({"a": _entry("F32", [2**20, 2**20], 0, 8)}, None, two, "4398046511104"),
        "2**40 elements, offsets agree": (
            {"a": _entry("U8", [2**20, 2**20], 0, 2**40)},
            None,
            two,
            "data section holds 8",
        ),
        "offsets begin > end": ({"a": _entry("F32", [0], 8, 0)}, None, two, "begin <= end"),
        "offsets wrong length": ({"a": {**_F4, "data_offsets": [0, 8, 9]}}, None, two, "begin"),
        "offsets negative": ({"a": _entry("F32", [2], -8, 0)}, None, two, "begin"),
        "offsets gap": (
            {"a": _entry("F32", [1], 0, 4), "b": _entry("F32", [0], 8, 8)},
            None,
            two,
            "leaves a gap",
        ),
        "offsets overlap": (
            {"a": _entry("F32", [2], 0, 8), "b": _entry("F32", [1], 4, 8)},
            None,
            two,
            "overlaps",
        ),
        "offsets not from 0": ({"a": _entry("F32", [1], 4, 8)}, None, two, "expected 0"),
        "offsets beyond the data": (
            {"a": _entry("F32", [4], 0, 16)},
            None,
            two,
            "data section holds 8",
        ),
        "data longer than declared": ({"a": _F4}, None, two + b"\0", "holds 9"),
        "truncated data": ({"a": _F4}, None, two[:5], "holds 5"),
        "metadata not strings": ({"__metadata__": {"format": 1}}, None, b"", "string values"),
        "metadata value an object": (
            {"__metadata__": {"format": "ndgrad-1", "a": {"b": "c"}}},
            None,
            b"",
            "flat object of string values, but 'a' holds a JSON object",
        ),
        "metadata value null": (
            {"__metadata__": {"a": None}},
            None,
            b"",
            "'a' holds a JSON null",
        ),
        "metadata value a list of strings": (
            {"__metadata__": {"a": ["x"]}},
            None,
            b"",
            "'a' holds a JSON array",
        ),
        "metadata an array": ({"__metadata__": ["a", "b"]}, None, b"", "got a JSON array"),
        "metadata nested 100,000 levels": (
            b'{"__metadata__": ' + b'{"a":' * 100_000 + b'"x"' + b"}" * 100_000 + b"}",
            None,
            b"",
            "header is nested too deeply (100001 levels; the limit is 64)",
        ),
        "metadata value nested 100,000 levels": (
            b'{"__metadata__": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
            None,
            b"",
            "the limit is 64",
        ),
        "structure JSON nested 100,000 levels": (
            {
                "__metadata__": {
                    "format": "ndgrad-1",
                    "ndgrad.structure": "[" * 100_000 + "]" * 100_000,
                }
            },
            None,
            b"",
            "structure is nested too deeply (100000 levels; the limit is 302)",
        ),
        "bad BOOL bytes": ({"a": _entry("BOOL", [2], 0, 2)}, None, b"\1\7", "other than 0 and 1"),
        "unknown format": (
            {"__metadata__": {"format": "ndgrad-9", "ndgrad.structure": "{}"}},
            None,
            b"",
            "unsupported format 'ndgrad-9'",
        ),
        "structure refers to a missing key": (
            {"__metadata__": {"format": "ndgrad-1", "ndgrad.structure": json.dumps(ref)}},
            None,
            b"",
            "missing tensor 'nope'",
        ),
        "structure nested too deeply": (
            {"__metadata__": {"format": "ndgrad-1", "ndgrad.structure": json.dumps(deep)}},
            None,
            b"",
            "deeper than 100",
        ),
        "structure not JSON": (
            {"__metadata__": {"format": "ndgrad-1", "ndgrad.structure": "{'a'"}},
            None,
            b"",
            "structure is not valid JSON",
        ),
        "structure duplicate keys": (
            {
                "__metadata__": {
                    "format": "ndgrad-1",
                    "ndgrad.structure": '{"type": "none", "type": "none"}',
                }
            },
            None,
            b"",
            "twice",
        ),
        "structure unknown node": (
            {"__metadata__": {"format": "ndgrad-1", "ndgrad.structure": '{"type": "set"}'}},
            None,
            b"",
            "malformed node of type 'set'",
        ),
        "structure bad scalar": (
            {
                "__metadata__": {
                    "format": "ndgrad-1",
                    "ndgrad.structure": '{"type": "int", "value": 1.5}',
                }
            },
            None,
            b"",
            "bad value for a int node",
        ),
        "structure bad float string": (
            {
                "__metadata__": {
                    "format": "ndgrad-1",
                    "ndgrad.structure": '{"type": "float", "value": "1e999x"}',
                }
            },
            None,
            b"",
            "bad value for a float node",
        ),
        "structure dict key not scalar": (
            {
                "__metadata__": {
                    "format": "ndgrad-1",
                    "ndgrad.structure": json.dumps(
                        {
                            "type": "dict",
                            "items": [[{"type": "list", "items": []}, {"type": "none"}]],
                        }
                    ),
                }
            },
            None,
            b"",
            "dict key must be a scalar",
        ),
        "zip file": (b"", None, b"", "looks like a zip"),
    }


@pytest.mark.parametrize("case", list(_malformed()))
def test_malformed_file_raises_serialization_error(tmp_path, case):
    header, n, data, fragment = _malformed()[case]
    path = tmp_path / "bad.safetensors"
    if case == "empty file":
        path.write_bytes(b"")
    elif case == "truncated header length":
        path.write_bytes(b"\x10\x00\x00")
    elif case == "zip file":
        path.write_bytes(b"PK\x03\x04" + b"\0" * 60)
    else:
        _write_raw(path, header, data, n)
    _expect_error(path, fragment)


def test_int_tensor_cannot_be_marked_requires_grad(tmp_path):
    node = {"type": "tensor", "key": "i", "requires_grad": True, "parameter": False}
    path = _structure_file(tmp_path / "x.st", node, {"i": np.arange(3, dtype=np.int64)})
    _expect_error(path, "cannot require grad")


def test_structure_over_the_depth_limit_by_one(tmp_path):
    for depth, ok in ((100, True), (101, False)):
        obj = [ag.ones(1)]
        for _ in range(depth - 1):
            obj = [obj]
        if ok:
            path = tmp_path / "ok.st"
            ag.save(obj, path)
            _assert_same(obj, ag.load(path))
        else:
            with pytest.raises(ValueError, match="nesting deeper than 100"):
                ag.save(obj, tmp_path / "no.st")


def test_deep_header_is_refused_even_with_a_raised_recursion_limit(tmp_path):
    """The depth is measured before JSON parsing: with the recursion limit raised, a header
    nested 100,000 levels used to crash the interpreter (C stack overflow)."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cases = {
        "meta.st": b'{"__metadata__": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        "struct.st": json.dumps(
            {"__metadata__": {"format": "ndgrad-1", "ndgrad.structure": "[" * 100_000}}
        ).encode(),
    }
    for name, header in cases.items():
        _write_raw(tmp_path / name, header)
    code = (
        "import sys, autograd\n"
        "sys.setrecursionlimit(1_000_000)\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        autograd.load(path)\n"
        "    except autograd.SerializationError as e:\n"
        "        assert path in str(e) and 'nested too deeply' in str(e), str(e)\n"
        "    else:\n"
        "        raise AssertionError(path + ' loaded')\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, *(str(tmp_path / n) for n in cases)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])


def test_structure_size_limit_on_load_and_save(tmp_path, monkeypatch):
    obj = {"x": list(range(50))}
    ag.save(obj, tmp_path / "ok.st")
    monkeypatch.setattr(serialization, "_MAX_STRUCTURE_BYTES", 200)
    _expect_error(tmp_path / "ok.st", "structure takes", "over the limit of 200")
    with pytest.raises(ValueError, match="over the limit of 200"):
        ag.save(obj, tmp_path / "big.st")
    assert not (tmp_path / "big.st").exists()


def test_header_size_limit_on_save(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "_MAX_HEADER_BYTES", 100)
    with pytest.raises(ValueError, match="header takes .* over the limit of 100"):
        ag.save({f"t{i}": ag.ones(1) for i in range(10)}, tmp_path / "big.st")


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 22])
def test_json_depth_skips_strings(chunk, monkeypatch):
    monkeypatch.setattr(serialization, "_DEPTH_CHUNK", chunk)  # runs split across chunks
    d = serialization._json_depth
    assert d(json.dumps({"a": ["x\\\\", {"b": '\\"[{'}], "c": "é[[["})) == 3
    assert d(json.dumps(json.dumps({"a": [[['\\"']]]}))) == 0  # all inside one string
    assert d("{}") == 1
    assert d('{"a": [1, [2, {}]]}') == 4
    assert d('{"a[[{": "]]\\"[[[", "b": "\\\\"}') == 1
    assert d("1") == 0


def test_huge_shape_fails_fast_without_allocating(tmp_path):
    header = {"a": _entry("F64", [2**20, 2**20], 0, 2**43)}
    path = _write_raw(tmp_path / "huge.st", header, b"\0" * 64)
    tracemalloc.start()
    try:
        _expect_error(path, "data section holds 64")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


# A protocol-2 pickle equivalent to os.system(<command>): GLOBAL os.system, BINUNICODE arg,
# TUPLE1, REDUCE, STOP. Written by hand so no test ever calls into pickle.
def _evil_pickle(command: str) -> bytes:
    arg = command.encode()
    return b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(arg)) + arg + b"\x85R."


def test_pickle_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    payload = _evil_pickle(f"{sys.executable} -c \"open({str(marker)!r}, 'w')\"")
    ops = [op.name for op, _, _ in pickletools.genops(payload)]  # parses, does not execute
    assert ops == ["PROTO", "GLOBAL", "BINUNICODE", "TUPLE1", "REDUCE", "STOP"]
    path = tmp_path / "model.pt"
    path.write_bytes(payload)
    for kwargs in ({}, {"weights_only": False}):
        _expect_error(path, "looks like a pickle")
        with pytest.raises(SerializationError):
            ag.load(path, **kwargs)
        with pytest.raises(SerializationError):
            ag.load(io.BytesIO(payload), **kwargs)
    assert not marker.exists()


def test_error_names_a_file_object_by_its_name(tmp_path):
    path = tmp_path / "t.st"
    path.write_bytes(b"\x01")
    with open(path, "rb") as fh, pytest.raises(SerializationError, match="t.st"):
        ag.load(fh)


def test_serialization_error_is_a_runtime_error():
    assert issubclass(SerializationError, RuntimeError)


# -- atomic writes -----------------------------------------------------------------------------
def _good_file(tmp_path):
    path = tmp_path / "ckpt.st"
    ag.save({"w": ag.arange(4.0)}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_crash_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch, exc):
    path, before = _good_file(tmp_path)
    real_write = serialization._write

    def crashing_write(fh, head, arrays):
        fh.write(head[:10])  # a partial write, then the crash
        raise exc

    monkeypatch.setattr(serialization, "_write", crashing_write)
    with pytest.raises(type(exc)):
        ag.save({"w": ag.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.st"]
    monkeypatch.setattr(serialization, "_write", real_write)
    _assert_same(ag.load(path), {"w": ag.arange(4.0)})


def test_crash_at_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path, before = _good_file(tmp_path)

    def failing_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(serialization.os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        ag.save([ag.ones(3)], path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.st"]


def test_unsupported_object_late_in_the_structure_keeps_the_old_file(tmp_path):
    path, before = _good_file(tmp_path)
    obj = {"w": ag.ones(100), "rest": [1, 2, {"late": {3}}]}
    with pytest.raises(TypeError, match=r"obj\['rest'\]\[2\]\['late'\]"):
        ag.save(obj, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.st"]


def test_overwrite_replaces_content_and_follows_umask(tmp_path):
    path, _ = _good_file(tmp_path)
    ag.save("new", path)
    assert ag.load(path) == "new"
    if os.name == "posix":
        old = os.umask(0o027)
        try:
            ag.save(1, tmp_path / "perm.st")
        finally:
            os.umask(old)
        assert (tmp_path / "perm.st").stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(os.name != "posix", reason="making symlinks needs POSIX (Windows: privileges)")
def test_save_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.st"
    link = tmp_path / "link.st"
    ag.save(1, real)
    link.symlink_to(real)
    ag.save(2, link)
    assert link.is_symlink() and ag.load(real) == 2


# -- memory ------------------------------------------------------------------------------------
def test_loading_a_50mb_file_allocates_about_its_size(tmp_path):
    sd = {f"layer{i}": ag.Tensor._wrap(np.full((1_250_000,), i, np.float32)) for i in range(10)}
    path = tmp_path / "big.st"
    ag.save(sd, path)
    size = path.stat().st_size
    del sd
    tracemalloc.start()
    try:
        out = ag.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 50_000_000
    assert peak < 1.2 * size, (peak, size)  # each tensor is read once into its own buffer
    assert out["layer9"].numpy()[0] == 9.0
