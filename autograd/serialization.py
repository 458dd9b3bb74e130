"""``save`` and ``load``: tensors and nested containers of them, in the safetensors layout.

Loading never unpickles and never executes anything: a file is an 8-byte header length, a JSON
header and raw little-endian tensor bytes, and every field is checked before memory for the
tensors is allocated.

NOTE [ File format ]
The file is a valid `safetensors <https://github.com/huggingface/safetensors>`_ file:

- 8 bytes: ``N``, the header length, an unsigned little-endian 64-bit integer;
- ``N`` bytes: a UTF-8 JSON object (padded with spaces so that the data starts 8-aligned);
- the data section: the bytes of every tensor, C order, little-endian, back to back.

The header maps each tensor name to ``{"dtype": ..., "shape": [...], "data_offsets": [begin,
end]}`` (offsets relative to the start of the data section) and holds a ``"__metadata__"``
dict of str -> str with ``"format": "ndgrad-1"`` and ``"ndgrad.structure"``: a JSON string
describing the saved Python object as a tree of tagged nodes (see ``_encode``), whose tensor
leaves name header entries. Tensors are named by their path in the object (``"layer.w"``,
``"0.1"``), so a flat state dict keeps its own keys and ``safetensors.numpy.load_file`` reads
it as the same dict of arrays. Tensors are laid out largest item size first, so that every
tensor starts at a multiple of its item size, as safetensors itself does.

A plain safetensors file without our metadata loads as a ``dict`` of name -> Tensor, in
header order.

NOTE [ Memory sharing ]
Tensors are saved by value. The same Tensor (or ndarray) object appearing several times in the
object is stored once and loads as one object again, but distinct tensors that share memory
(a tensor and a view of it) are stored as separate copies and load as independent tensors.
Gradients and graph history are not saved; a tensor loads as a leaf with its saved
``requires_grad``.

NOTE [ Parsing limits ]
JSON is parsed recursively, so a crafted header nested 100,000 levels deep would exhaust the
stack (a ``RecursionError``, or a crash when the recursion limit has been raised). Before any
text is given to ``json.loads``, a linear scan measures its bracket depth: the header may nest
at most ``_MAX_HEADER_DEPTH`` (64) levels (a valid one nests 3: the object, an entry, its
shape), and the ``__metadata__`` map must be flat, string -> string, as the safetensors format
says. Our structure string may be at most ``_MAX_STRUCTURE_BYTES`` long and nest at most
``_MAX_STRUCTURE_DEPTH`` JSON levels (what ``_MAX_DEPTH`` container levels encode to); then its
tree is checked node by node. ``save`` refuses to write what ``load`` would refuse.

NOTE [ Loading memory ]
``load`` reads the header (at most ``_MAX_HEADER_BYTES``), validates it completely, then reads
each tensor's bytes straight into its own buffer (``readinto``), so the tensors' memory is
about the size of the data section and nothing is copied twice.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import struct
import sys
from collections import OrderedDict
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load", "SerializationError"]

_FORMAT = "ndgrad-1"
_STRUCTURE_KEY = "ndgrad.structure"
_MAX_HEADER_BYTES = 100_000_000  # the limit safetensors itself uses
_MAX_DEPTH = 100  # container levels of a saved object
# NOTE [ Parsing limits ]
_MAX_HEADER_DEPTH = 64
_MAX_STRUCTURE_DEPTH = 3 * _MAX_DEPTH + 2  # a dict level is 3 JSON levels: {"items": [[k, v]]}
_MAX_STRUCTURE_BYTES = 64 * 2**20
_DEPTH_CHUNK = 1 << 22


def _json_depth(text: str) -> int:
    """The deepest bracket nesting of JSON ``text``, brackets inside strings not counted, in
    linear time and bounded memory, without recursion (NOTE [ Parsing limits ]).

    A quote ends a string unless an odd run of backslashes precedes it. For text that is not
    valid JSON the count is exact up to the first error, where ``json.loads`` stops anyway.
    """
    data = text.encode("utf-8")  # multi-byte characters hold no ASCII bytes
    whole = np.frombuffer(data, np.uint8)
    depth = deepest = 0
    in_string = False
    carry = 0  # the run of backslashes that ends the previous chunk
    for start in range(0, whole.size, _DEPTH_CHUNK):
        b = whole[start : start + _DEPTH_CHUNK]
        n = b.size
        # last[i]: the last position <= i that is not a backslash (-1: none in this chunk)
        last = np.maximum.accumulate(np.where(b == ord("\\"), -1, np.arange(n)))
        q = np.flatnonzero(b == ord('"'))
        lb = last[np.maximum(q - 1, 0)]
        runs = np.where(q > 0, q - 1 - lb, 0) + np.where((q == 0) | (lb < 0), carry, 0)
        quotes = q[runs % 2 == 0]
        opening = (b == ord("[")) | (b == ord("{"))
        br = np.flatnonzero(opening | (b == ord("]")) | (b == ord("}")))
        br = br[(np.searchsorted(quotes, br) + in_string) % 2 == 0]  # outside strings
        if br.size:
            levels = np.cumsum(np.where(opening[br], 1, -1)) + depth
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
        in_string = bool((in_string + quotes.size) % 2)
        carry = n - 1 - int(last[-1]) + (carry if last[-1] < 0 else 0)
    return deepest


# safetensors dtype names <-> little-endian NumPy dtypes (our allow-list).
_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {(d.kind, d.itemsize): name for name, d in _DTYPES.items()}
_ENTRY_FIELDS = {"dtype", "shape", "data_offsets"}


class SerializationError(RuntimeError):
    """Raised by :func:`load` for a file that is truncated, corrupt, crafted or not ours.

    The message names the file and the reason.
    """


# --------------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------------


def _path_str(path: str, key) -> str:
    return f"{path}[{key!r}]"


class _Encoder:
    """Turns a Python object into a JSON-able structure tree plus a list of arrays to write."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}  # tensor name -> array, in discovery order
        self.by_id: dict[int, str] = {}  # id(Tensor or ndarray) -> tensor name
        self.used = {"__metadata__"}

    def name_for(self, names: list[str]) -> str:
        base = ".".join(names) if names else "tensor"
        name, i = base, 1
        while name in self.used:
            i += 1
            name = f"{base}#{i}"
        self.used.add(name)
        return name

    def array(self, obj, arr: np.ndarray, names: list[str], path: str) -> str:
        key = self.by_id.get(id(obj))
        if key is not None:
            return key
        dt = arr.dtype
        if (dt.kind, dt.itemsize) not in _NAMES or dt.kind not in "fiub":
            raise TypeError(f"{path}: cannot save an array of dtype {dt}")
        key = self.name_for(names)
        self.by_id[id(obj)] = key
        self.arrays[key] = arr
        return key

    def scalar(self, obj):
        """The node of a scalar, or None if ``obj`` is not one."""
        if isinstance(obj, (bool, np.bool_)):
            return {"type": "bool", "value": bool(obj)}
        if isinstance(obj, (int, np.integer)):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, (float, np.floating)):
            v = float(obj)
            # JSON has no inf/nan: those are stored as the strings "inf", "-inf", "nan".
            return {"type": "float", "value": v if math.isfinite(v) else repr(v)}
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        return None

    def encode(self, obj, names: list[str], path: str, depth: int):
        if isinstance(obj, Tensor):
            cls = _parameter_class()
            param = cls is not None and isinstance(obj, cls)
            key = self.array(obj, obj._data, names, path)
            return {
                "type": "tensor",
                "key": key,
                "requires_grad": bool(obj.requires_grad),
                "parameter": param,
            }
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "key": self.array(obj, np.asarray(obj), names, path)}
        node = self.scalar(obj)
        if node is not None:
            return node
        if isinstance(obj, (dict, list, tuple)):
            if depth >= _MAX_DEPTH:
                raise ValueError(
                    f"{path}: nesting deeper than {_MAX_DEPTH} levels (a container that "
                    "contains itself?)"
                )
            if isinstance(obj, dict):
                kind = "ordered_dict" if isinstance(obj, OrderedDict) else "dict"
                items = []
                for k, v in obj.items():
                    knode = self.scalar(k)
                    if knode is None:
                        kt = type(k).__name__
                        raise TypeError(f"{path}: cannot save a dict key of type {kt}")
                    sub = _path_str(path, k)
                    items.append([knode, self.encode(v, [*names, str(k)], sub, depth + 1)])
                return {"type": kind, "items": items}
            kind = "tuple" if isinstance(obj, tuple) else "list"
            items = [
                self.encode(v, [*names, str(i)], f"{path}[{i}]", depth + 1)
                for i, v in enumerate(obj)
            ]
            return {"type": kind, "items": items}
        if callable(getattr(obj, "state_dict", None)):  # a Module or an Optimizer
            raise TypeError(
                f"{path}: cannot save object of type {type(obj).__name__}: ndgrad saves no "
                f"pickled objects, so save its state instead: "
                f"autograd.save(model.state_dict(), f), then model.load_state_dict("
                f"autograd.load(f)) on a freshly built {type(obj).__name__}"
            )
        raise TypeError(f"{path}: cannot save object of type {type(obj).__name__}")


def _little_endian_contiguous(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and sys.byteorder == "big"):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return np.ascontiguousarray(arr)


def _build_header(obj) -> tuple[bytes, list[np.ndarray]]:
    """Encode ``obj``; return the header (length prefix included) and the arrays in file order."""
    enc = _Encoder()
    structure = enc.encode(obj, [], "obj", 0)
    names = list(enc.arrays)
    # Largest item size first (stable), so each tensor starts aligned to its item size.
    names.sort(key=lambda n: -enc.arrays[n].dtype.itemsize)
    structure_text = json.dumps(structure, separators=(",", ":"), allow_nan=False)
    if len(structure_text) > _MAX_STRUCTURE_BYTES:
        raise ValueError(
            f"the object's structure takes {len(structure_text)} bytes, over the limit of "
            f"{_MAX_STRUCTURE_BYTES} that load accepts (save large data as tensors or arrays)"
        )
    header: dict[str, Any] = {"__metadata__": {"format": _FORMAT, _STRUCTURE_KEY: structure_text}}
    arrays = []
    offset = 0
    for n in names:
        arr = enc.arrays[n]
        dt = arr.dtype
        nbytes = arr.size * dt.itemsize
        header[n] = {
            "dtype": _NAMES[(dt.kind, dt.itemsize)],
            "shape": [int(s) for s in arr.shape],
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
        arrays.append(arr)
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # pad so the data section starts 8-aligned
    if len(text) > _MAX_HEADER_BYTES:
        raise ValueError(
            f"the header takes {len(text)} bytes, over the limit of {_MAX_HEADER_BYTES} that "
            "load accepts (too many tensors or too large a structure)"
        )
    return struct.pack("<Q", len(text)) + text, arrays


def _write(fh, head: bytes, arrays: list[np.ndarray]) -> None:
    fh.write(head)
    for arr in arrays:
        if arr.size:
            fh.write(memoryview(_little_endian_contiguous(arr)).cast("B"))


def _open_temp(directory: str, base: str):
    # Like tempfile.mkstemp, but created with mode 0o666 (less the umask) instead of 0o600, so
    # the saved file gets the permissions an ordinary open() would give it.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file in {directory!r}")


def _fsync_dir(directory: str) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` to ``f`` in the safetensors layout, without pickle.

    Parameters
    ----------
    obj : object
        A :class:`Tensor`, a numpy array, a number (int, float including inf and nan, bool),
        ``None``, a str, or a dict / OrderedDict (keys str, int, float, bool or None) / list /
        tuple nesting any of these, up to 100 levels deep. ``nn.Parameter`` is restored as a
        Parameter; numpy scalars are saved as Python numbers.
    f : str, os.PathLike or binary file object
        A path is written atomically (see Notes). A file object gets the bytes written at its
        current position.
    pickle_module, pickle_protocol, _use_new_zipfile_serialization
        Accepted for ``torch.save`` compatibility and ignored: nothing is pickled.

    Raises
    ------
    TypeError
        For an object (or dict key) of an unsupported type, naming where it is inside ``obj``,
        e.g. ``obj['layer']['w']: cannot save object of type set``. Nothing is written then.
    ValueError
        For nesting deeper than 100 levels (for example a list that contains itself).

    Notes
    -----
    The format is described in NOTE [ File format ] in this module. Writing to a path goes to a
    temporary file in the same directory, which is flushed, fsynced and then renamed onto the
    target with :func:`os.replace`; on any error the temporary file is removed. A crash during
    ``save`` therefore never leaves a half-written file under the target name and never
    destroys an existing file. A symlink target is written through (the link is kept).

    Differences from PyTorch: only the types listed above can be saved; tensors sharing memory
    are saved as separate copies (the same object saved twice stays one object); a dict
    subclass other than OrderedDict loads as a plain dict, a tuple subclass (namedtuple,
    ``Size``) as a plain tuple; gradients are not saved.

    Examples
    --------
    >>> import autograd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> autograd.save({"w": autograd.ones(2, 3), "step": 10}, path)
    >>> autograd.load(path)["step"]
    10
    """
    head, arrays = _build_header(obj)  # raises before anything touches the disk
    if hasattr(f, "write") and not isinstance(f, (str, bytes, os.PathLike)):
        _write(f, head, arrays)
        return
    target = os.path.realpath(os.fspath(f))
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    directory, base = os.path.split(target)
    fd, tmp = _open_temp(directory, base)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(fh, head, arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


# --------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------


class _Reader:
    """Checks one file's header and structure, then reads its tensors."""

    def __init__(self, fh, name: str, size: int) -> None:
        self.fh = fh
        self.name = name
        self.size = size  # bytes from the current position to the end

    def fail(self, reason: str):
        raise SerializationError(f"cannot load {self.name!r}: {reason}")

    def read_exact(self, n: int) -> bytes:
        data = self.fh.read(n)
        if data is None or len(data) != n:
            self.fail(f"file is truncated (wanted {n} bytes, got {len(data or b'')})")
        return data

    # -- header ----------------------------------------------------------------------------
    def _json(self, text: str, what: str, max_depth: int):
        if text.count("[") + text.count("{") > max_depth and (
            (depth := _json_depth(text)) > max_depth
        ):
            self.fail(f"{what} is nested too deeply ({depth} levels; the limit is {max_depth})")

        def pairs(items):
            seen = set()
            for k, _ in items:
                if k in seen:
                    self.fail(f"{what} has the key {k!r} twice")
                seen.add(k)
            return dict(items)

        def constant(c):
            self.fail(f"{what} holds {c}, which is not JSON")

        try:
            return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
        except RecursionError:
            self.fail(f"{what} is nested too deeply")
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, huge ints
            self.fail(f"{what} is not valid JSON ({e})")

    def header(self) -> tuple[dict, dict]:
        """Return (entries in header order, metadata), all checked."""
        if self.size < 8:
            self.fail(
                f"file has {self.size} bytes, too few to hold the 8-byte header length "
                "(empty or truncated file?)"
            )
        prefix = self.read_exact(8)
        (n,) = struct.unpack("<Q", prefix)
        if n > _MAX_HEADER_BYTES or n > self.size - 8:
            hint = ""
            if prefix[:1] == b"\x80":
                hint = (
                    "; it looks like a pickle (starts with b'\\x80'), which is never loaded "
                    "because unpickling can execute code"
                )
            elif prefix[:4] == b"PK\x03\x04":
                hint = "; it looks like a zip file (a torch.save checkpoint?), which is not read"
            self.fail(
                f"header length {n} exceeds the file's remaining {self.size - 8} bytes or "
                f"the limit of {_MAX_HEADER_BYTES} bytes{hint}"
            )
        raw = self.read_exact(n)
        if raw[:1] != b"{":
            self.fail("header does not start with '{' (not a safetensors file?)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(f"header is not valid UTF-8 ({e})")
        head = self._json(text, "header", _MAX_HEADER_DEPTH)
        if not isinstance(head, dict):
            self.fail(f"header is a JSON {type(head).__name__}, not an object")
        meta = head.pop("__metadata__", {})
        if not isinstance(meta, dict):
            self.fail(
                f"'__metadata__' must be a flat object of string values, got a JSON "
                f"{_json_type(meta)}"
            )
        for k, v in meta.items():
            if not isinstance(v, str):
                self.fail(
                    f"'__metadata__' must be a flat object of string values, but {k!r} holds "
                    f"a JSON {_json_type(v)}"
                )
        data_size = self.size - 8 - n
        self._check_entries(head, data_size)
        return head, meta

    def _check_entries(self, head: dict, data_size: int) -> None:
        spans = []
        for key, e in head.items():
            where = f"tensor {key!r}"
            if not isinstance(e, dict) or set(e) != _ENTRY_FIELDS:
                self.fail(f"{where}: entry must be an object with exactly {sorted(_ENTRY_FIELDS)}")
            dtype, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
            if not isinstance(dtype, str) or dtype not in _DTYPES:
                self.fail(f"{where}: unsupported dtype {dtype!r} (allowed: {sorted(_DTYPES)})")
            if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
                self.fail(f"{where}: shape must be a list of non-negative ints, got {shape!r}")
            if (
                not isinstance(offs, list)
                or len(offs) != 2
                or not all(type(o) is int for o in offs)
                or not 0 <= offs[0] <= offs[1]
            ):
                self.fail(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end")
            nbytes = math.prod(shape) * _DTYPES[dtype].itemsize  # Python ints: no overflow
            if nbytes != offs[1] - offs[0]:
                self.fail(
                    f"{where}: shape {shape} of {dtype} needs {nbytes} bytes but data_offsets "
                    f"{offs} span {offs[1] - offs[0]}"
                )
            spans.append((offs[0], offs[1], key))
        spans.sort()
        pos = 0
        for begin, end, key in spans:
            if begin != pos:
                kind = "overlaps the previous tensor" if begin < pos else "leaves a gap"
                self.fail(f"tensor {key!r}: data_offsets [{begin}, {end}] {kind} (expected {pos})")
            pos = end
        if pos != data_size:
            self.fail(
                f"the tensors take {pos} bytes but the data section holds {data_size} "
                "(truncated file or trailing bytes)"
            )

    # -- structure -------------------------------------------------------------------------
    def structure(self, meta: dict, head: dict):
        """The checked structure tree, or None for a plain safetensors file."""
        if _STRUCTURE_KEY not in meta:
            return None
        if meta.get("format") != _FORMAT:
            self.fail(f"unsupported format {meta.get('format')!r} (this version reads {_FORMAT!r})")
        text = meta[_STRUCTURE_KEY]
        if len(text) > _MAX_STRUCTURE_BYTES:
            self.fail(
                f"structure takes {len(text)} bytes, over the limit of {_MAX_STRUCTURE_BYTES}"
            )
        tree = self._json(text, "structure", _MAX_STRUCTURE_DEPTH)
        self._check_node(tree, head, 0, "obj")
        return tree

    def _check_node(self, node, head: dict, depth: int, path: str) -> None:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.fail(f"structure at {path}: node must be an object with a 'type'")
        t = node["type"]
        fields = _NODE_FIELDS.get(t)
        if fields is None or set(node) != fields:
            self.fail(f"structure at {path}: malformed node of type {t!r}")
        if t in ("tensor", "ndarray"):
            key = node["key"]
            if not isinstance(key, str) or key not in head:
                self.fail(f"structure at {path}: refers to missing tensor {key!r}")
            if t == "tensor":
                rg, param = node["requires_grad"], node["parameter"]
                if not isinstance(rg, bool) or not isinstance(param, bool):
                    self.fail(f"structure at {path}: requires_grad and parameter must be bools")
                if rg and head[key]["dtype"] not in ("F16", "F32", "F64"):
                    self.fail(
                        f"structure at {path}: a {head[key]['dtype']} tensor cannot require grad"
                    )
        elif t in _SCALAR_CHECKS:
            if not _SCALAR_CHECKS[t](node):
                self.fail(f"structure at {path}: bad value for a {t} node")
        else:  # containers
            if depth >= _MAX_DEPTH:
                self.fail(f"structure at {path}: nested deeper than {_MAX_DEPTH} levels")
            items = node["items"]
            if not isinstance(items, list):
                self.fail(f"structure at {path}: 'items' must be a list")
            if t in ("list", "tuple"):
                for i, child in enumerate(items):
                    self._check_node(child, head, depth + 1, f"{path}[{i}]")
                return
            for item in items:
                if not isinstance(item, list) or len(item) != 2:
                    self.fail(f"structure at {path}: dict items must be [key, value] pairs")
                knode, vnode = item
                if not isinstance(knode, dict) or knode.get("type") not in _SCALAR_CHECKS:
                    self.fail(f"structure at {path}: dict key must be a scalar node")
                self._check_node(knode, head, depth + 1, path)
                self._check_node(vnode, head, depth + 1, _path_str(path, _scalar(knode)))

    # -- data ------------------------------------------------------------------------------
    def arrays(self, head: dict) -> dict[str, np.ndarray]:
        """Read every tensor, in file order, each into its own (writable) buffer."""
        out = {}
        readinto = getattr(self.fh, "readinto", None)
        for key, e in sorted(head.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            dt = _DTYPES[e["dtype"]]
            shape = tuple(e["shape"])
            begin, end = e["data_offsets"]
            nbytes = end - begin
            if nbytes == 0:
                arr = np.empty(shape, dtype=dt)
            else:
                buf = bytearray(nbytes)
                if readinto is not None:
                    view, got = memoryview(buf), 0
                    while got < nbytes:
                        k = readinto(view[got:])
                        if not k:
                            self.fail(f"file is truncated inside tensor {key!r}")
                        got += k
                else:
                    buf[:] = self.read_exact(nbytes)
                arr = np.frombuffer(buf, dtype=dt).reshape(shape)
            if e["dtype"] == "BOOL" and arr.size and arr.view(np.uint8).max() > 1:
                self.fail(f"tensor {key!r}: BOOL data holds bytes other than 0 and 1")
            if not dt.isnative:
                arr = arr.astype(dt.newbyteorder("="))
            out[key] = arr
        return out


def _json_type(v) -> str:
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    return "number"


def _scalar(node):
    t = node["type"]
    if t == "none":
        return None
    if t == "float":
        return float(node["value"])
    return node["value"]


def _is_float_value(v) -> bool:
    if isinstance(v, str):
        return v in ("inf", "-inf", "nan")
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_SCALAR_CHECKS = {
    "bool": lambda n: isinstance(n["value"], bool),
    "int": lambda n: type(n["value"]) is int,
    "float": lambda n: _is_float_value(n["value"]),
    "str": lambda n: isinstance(n["value"], str),
    "none": lambda n: True,
}
_NODE_FIELDS = {
    "tensor": {"type", "key", "requires_grad", "parameter"},
    "ndarray": {"type", "key"},
    "dict": {"type", "items"},
    "ordered_dict": {"type", "items"},
    "list": {"type", "items"},
    "tuple": {"type", "items"},
    "bool": {"type", "value"},
    "int": {"type", "value"},
    "float": {"type", "value"},
    "str": {"type", "value"},
    "none": {"type"},
}


# The Tensor subclass saved with ``"parameter": true`` and restored as such. ``autograd`` knows
# nothing of ``nn``: ``nn.parameter`` registers its ``Parameter`` here when it is imported (any
# program holding a Parameter has imported it). Until then, parameters load as plain Tensors.
_parameter_cls: list[type] = []


def _register_parameter_class(cls: type) -> None:
    """Make ``save`` mark instances of ``cls`` as parameters and ``load`` restore them as
    ``cls(tensor, requires_grad=...)``; called by ``nn.parameter``."""
    _parameter_cls[:] = [cls]


def _parameter_class():
    return _parameter_cls[0] if _parameter_cls else None


class _Builder:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.made: dict[tuple, Any] = {}  # one object per reference, so shared objects stay so

    def tensor(self, node):
        memo = (node["type"], node["key"], node.get("requires_grad"), node.get("parameter"))
        obj = self.made.get(memo)
        if obj is not None:
            return obj
        arr = self.arrays[node["key"]]
        if node["type"] == "ndarray":
            obj = arr
        else:
            cls = _parameter_class() if node["parameter"] else None
            if cls is not None:
                obj = cls(Tensor._wrap(arr), requires_grad=node["requires_grad"])
            else:
                obj = Tensor._wrap(arr, node["requires_grad"])
        self.made[memo] = obj
        return obj

    def build(self, node):
        t = node["type"]
        if t in ("tensor", "ndarray"):
            return self.tensor(node)
        if t in _SCALAR_CHECKS:
            return _scalar(node)
        if t == "list":
            return [self.build(c) for c in node["items"]]
        if t == "tuple":
            return tuple(self.build(c) for c in node["items"])
        cls = OrderedDict if t == "ordered_dict" else dict
        return cls((_scalar(k), self.build(v)) for k, v in node["items"])


def _file_name(f) -> str:
    name = getattr(f, "name", None)
    if isinstance(name, (str, bytes, os.PathLike)):
        return os.fsdecode(name)
    return repr(f)


def _load_from(fh, name: str, size: int):
    r = _Reader(fh, name, size)
    head, meta = r.header()
    tree = r.structure(meta, head)  # everything is checked before tensor memory is allocated
    arrays = r.arrays(head)
    if tree is None:
        return {key: Tensor._wrap(arrays[key]) for key in head}
    return _Builder(arrays).build(tree)


def load(
    f,
    map_location=None,
    pickle_module=None,
    *,
    weights_only=True,
    mmap=None,
    **pickle_load_args,
):
    """Load an object saved by :func:`save` (or any safetensors file), never unpickling.

    Parameters
    ----------
    f : str, os.PathLike or binary file object
        The file. A file object is read from its current position to its end.
    map_location, pickle_module, weights_only, mmap, **pickle_load_args
        Accepted for ``torch.load`` compatibility and ignored: everything loads to the CPU, and
        nothing is ever unpickled, whatever ``weights_only`` says.

    Returns
    -------
    object
        The saved object, with the same containers (dict, OrderedDict in its order, list,
        tuple) and scalars. Tensors load as leaf :class:`Tensor` objects with their saved
        ``requires_grad``, ``nn.Parameter`` as ``nn.Parameter`` (a plain Tensor while ``nn``
        has not been imported: ``autograd`` never imports it), numpy arrays as numpy arrays. A
        safetensors file written by another tool loads as a dict of name -> Tensor.

    Raises
    ------
    SerializationError
        For a truncated, corrupt or crafted file, or one in another format (a pickle, a
        ``torch.save`` zip); the message names the file and the reason. The whole header is
        validated (header length, JSON, duplicate keys, dtypes, shapes, byte counts, contiguous
        offsets covering the data section exactly, the structure and its references) before
        any memory is allocated for tensor data, so loading takes about the file's size in
        memory.
    FileNotFoundError, OSError
        When the file cannot be opened or read.
    """
    if hasattr(f, "read") and not isinstance(f, (str, bytes, os.PathLike)):
        name = _file_name(f)
        try:
            start = f.tell()
            f.seek(0, io.SEEK_END)
            end = f.tell()
            f.seek(start)
        except (AttributeError, OSError, ValueError):
            data = f.read()  # not seekable: read it all
            return _load_from(io.BytesIO(data), name, len(data))
        return _load_from(f, name, end - start)
    name = os.fsdecode(os.fspath(f))
    with open(f, "rb") as fh:
        return _load_from(fh, name, os.fstat(fh.fileno()).st_size)


# -- torch.serialization's allow-list of classes for weights_only loading ------------------------
# ndgrad never unpickles, so there is nothing to allow: these accept what PyTorch scripts pass and
# remember it (``get_safe_globals`` returns it), with no effect on loading.
_SAFE_GLOBALS: list = []


def add_safe_globals(safe_globals: list) -> None:
    """Accepted for ``torch.serialization`` compatibility: with no pickle, nothing to allow."""
    _SAFE_GLOBALS.extend(safe_globals)


def get_safe_globals() -> list:
    """What :func:`add_safe_globals` was given."""
    return list(_SAFE_GLOBALS)


def clear_safe_globals() -> None:
    _SAFE_GLOBALS.clear()


class safe_globals:  # noqa: N801 - PyTorch's name
    """Context manager form of :func:`add_safe_globals` (undone on exit)."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = list(safe_globals)

    def __enter__(self) -> None:
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc: object) -> None:
        for g in self.safe_globals:
            if g in _SAFE_GLOBALS:
                _SAFE_GLOBALS.remove(g)
