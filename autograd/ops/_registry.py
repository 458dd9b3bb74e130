"""The op record and its dispatch.

NOTE [ One definition per op ]
Each primitive op is an :class:`Op`: a NumPy ``forward`` over arrays and, beside it, one VJP per
differentiable input. Calling an ``Op``:

* with no :class:`~autograd.Tensor` among its inputs, falls straight through to ``forward`` and
  returns what NumPy returns. VJPs are written with these same ops, so during a plain backward
  (arrays in, arrays out) a VJP costs about what its NumPy calls cost;
* with Tensors, wraps the result in a Tensor and, when grad mode is on and an input requires
  grad, records a :class:`~autograd.graph.Node`. During ``backward(create_graph=True)`` the
  engine hands VJPs Tensors, so the same VJP code builds a differentiable graph.

A VJP has the signature ``vjp(grad, ans, *inputs, **kwargs)`` and returns the gradient for its
input in the *broadcast output shape*; the engine reduces it to the input's shape and casts it to
the input's dtype (see ``engine.py``), so no VJP handles broadcasting. Inputs the op did not list
in ``save`` arrive as :class:`Meta` objects carrying only ``shape``, ``dtype`` and ``ndim``;
``ans`` is ``None`` unless ``save_out`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MethodType as _MethodType
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import _modes, _state
from ..graph import Node
from ..profiler import _hooked_call as _profiler_call
from ..tensor import (
    _NO_GRAD_VIEW,
    Tensor,
    _mark_inference,
    _new_tensor,
)

_ndarray = np.ndarray

#: name -> Op, every primitive registered (the op table test compares against it).
REGISTRY: dict[str, Op] = {}

#: public name -> :class:`Public`, how every public op is exposed (``autograd.<name>``, Tensor
#: methods, in-place methods). ``autograd.ops`` and the Tensor methods are generated from it.
PUBLIC: dict[str, Public] = {}


class Op:
    """A primitive: NumPy forward, one VJP per differentiable input.

    Parameters
    ----------
    name : str
        Name used in errors, ``grad_fn`` reprs and anomaly reports.
    forward : callable
        ``forward(*arrays, **kwargs) -> ndarray``.
    save : tuple of int
        Indices of the inputs whose values a VJP reads.
    save_for : tuple of tuples, optional
        Finer than ``save``: for each input, the inputs its VJP reads; only the entries of inputs
        that need a gradient are saved (``x * w`` with only ``w`` requiring grad keeps ``x``).
    save_out : bool
        Whether a VJP reads the output.
    promote : {None, 'arith', 'float'}
        Apply PyTorch's result-dtype rules to the output ('float' also turns integer results
        into the default float, as true division does).
    view : bool
        The output may share memory with input 0 (so it shares its version counter).
    differentiable : bool
        False for ops whose output never has a gradient (comparisons, argmax, ...).
    function, method, inplace, aliases
        How the op is exposed when it is itself the public function (see :func:`public`).
        Primitives that only a public wrapper calls (named ``foo_p``) leave them unset.
    node_name : str or callable, optional
        The ``grad_fn`` name PyTorch shows for the same operation (``'MmBackward0'``), or a rule
        ``node_name(node) -> str`` reading ``node.shapes`` (None for a non-tensor input) and
        ``node.kw``. Default: the op's name in CamelCase + ``'Backward0'``.
    """

    __slots__ = (
        "name",
        "forward",
        "vjps",
        "vjp_all",
        "save",
        "save_for",
        "save_out",
        "promote",
        "view",
        "differentiable",
        "node_name",
        "doc",
    )

    def __init__(
        self,
        name,
        forward,
        save=(),
        save_out=False,
        promote=None,
        view=False,
        differentiable=True,
        save_for=None,
        *,
        function=False,
        method=False,
        inplace=False,
        aliases=(),
        node_name=None,
    ):
        self.name = name
        self.forward = forward
        self.vjps = ()
        self.vjp_all = None
        self.save = save if save == "all" else tuple(save)
        self.save_for = save_for
        self.save_out = save_out
        self.promote = promote
        self.view = view
        self.differentiable = differentiable
        self.doc = None  # the public op's docstring (``autograd._docs``), see _OpDoc
        self.node_name = node_name or (
            "".join(p.capitalize() for p in name.strip("_").split("_")) + "Backward0"
        )
        if name in REGISTRY:
            raise ValueError(f"op {name!r} registered twice")
        REGISTRY[name] = self
        if function or method:
            public(self, function=function, method=method, inplace=inplace, aliases=aliases)

    def defvjp(self, *vjps):
        """Attach the VJPs, one per input (``None`` for a non-differentiable input)."""
        self.vjps = vjps
        return self

    def defvjp_all(self, fn):
        """For variadic ops: ``fn(grad, ans, *inputs, **kw)`` returns every input's gradient."""
        self.vjp_all = fn
        return self

    def __repr__(self):
        return f"<op {self.name}>"

    def __get__(self, obj, objtype=None):
        # Lets an Op stand directly as a Tensor method: ``t.exp()`` calls ``exp(t)``.
        if obj is None:
            return self
        return _MethodType(self, obj)

    def __call__(op, *args, **kwargs):  # noqa: N805 - ``op`` reads better than ``self`` here
        T = Tensor
        for a in args:
            if isinstance(a, T):
                break
        else:  # no Tensor: straight through to NumPy (how VJPs run in a plain backward)
            return op.forward(*args, **kwargs) if kwargs else op.forward(*args)
        if _modes.nondefault:  # NOTE [ The dispatch's mode check ] in grad_mode.py
            st = _state
            if st.hooks:  # HOOKS: anomaly mode, autograd.profiler or a compile recording
                return _hooked_call(op, args, kwargs)
            grad_on = st._grad
        else:
            grad_on = True
        vals = []
        needs_grad = False
        for a in args:
            if isinstance(a, T):
                vals.append(a._data)
                if a._rg:
                    needs_grad = True
            else:
                vals.append(a)
        try:
            out = op.forward(*vals, **kwargs) if kwargs else op.forward(*vals)
        except (ValueError, IndexError, TypeError) as e:
            raise _translate_error(op, vals, e) from None
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if op.promote is not None:
            # NumPy and PyTorch agree whenever every array input has the output's dtype (the
            # differences all come from Python scalars, 0-d arrays and integer division,
            # each of which gives an output dtype that differs from some input's).
            dt = out.dtype
            for v in vals:
                if type(v) is _ndarray and v.dtype is not dt:
                    out = _promote(op, vals, out)
                    break
        # ``_wrap``/``_init`` written out: this is the hottest path of eager mode
        t = _new_tensor(T)
        t._data = out
        t.grad = None
        t._oi = 0
        t._vc = None
        t._hooks = None
        t._base = None
        if op.view:
            src = args[0]
            vc = src._vc
            if vc is None:
                vc = src._vc = [0]
            t._vc = vc
            t._base = src if src._base is None else src._base
            if not grad_on:  # NOTE [ In-place on views ] in tensor.py
                t._vm = _NO_GRAD_VIEW
        if needs_grad and grad_on and op.differentiable and out.dtype.kind == "f":
            t._rg = True
            t.grad_fn = Node(op, args, vals, kwargs, t)
        else:
            t._rg = False
            t.grad_fn = None
        return t


def _hooked_call(op, args, kwargs):
    """``Op.__call__`` when ``_state.hooks`` is set: inference mode, else anomaly mode, the
    profiler or a compile recording (``profiler._hooked_call``)."""
    if _state._inference:
        return _inference_call(op, args, kwargs)
    return _profiler_call(op, args, kwargs)


def _inference_call(op, args, kwargs):
    """``Op.__call__`` in inference mode (NOTE [ Inference tensors ] in tensor.py): the op runs
    through the ordinary dispatch (or the other hooks) with grad and inference mode off, so
    nothing is recorded (even under ``enable_grad``); then its result is marked an inference
    tensor, unless it is a view of a normal tensor (then a view made in inference mode)."""
    st = _state
    grad, hooks = st._grad, st.hooks
    others = bool(st._anomaly) or st._profiler is not None or st._recorder is not None
    st._inference = False
    st._grad = False
    st.hooks = others
    try:
        out = _profiler_call(op, args, kwargs) if others else op(*args, **kwargs)
    finally:
        st._inference = True
        st._grad = grad
        st.hooks = hooks
    _mark_inference(op, args, out)
    return out


def _promote(op, vals, out):
    """Apply PyTorch's result dtype where NumPy's differs (int with Python float, 0-d arrays
    of another float type, integer true division)."""
    if len(vals) == 2:
        a, b = vals
        ta = type(a) is _ndarray
        tb = type(b) is _ndarray
        if ta and tb:
            if (
                a.dtype == b.dtype
                and (a.ndim or not b.ndim)
                and (op.promote == "arith" or a.dtype.kind == "f")
            ):
                return out
        elif ta and a.dtype.kind == "f" and type(b) in _PYNUM:
            return out
        elif tb and b.dtype.kind == "f" and type(a) in _PYNUM:
            return out
    rt = _dt.result_type(vals)
    if op.promote == "float" and rt.kind not in "fc":
        rt = _dt.get_default_dtype()
    if out.dtype != rt and out.dtype.kind != "b":
        out = out.astype(rt)
    return out


_PYNUM = (float, int, bool)


def _translate_error(op, vals, e):
    """Turn a NumPy error inside a forward into one that names the op and the shapes."""
    shapes = [tuple(v.shape) for v in vals if isinstance(v, np.ndarray)]
    msg = str(e)
    if "broadcast" in msg and len(shapes) >= 2:
        return RuntimeError(_broadcast_message(op.name, shapes))
    cls = RuntimeError if isinstance(e, ValueError) else type(e)
    return cls(f"{op.name}: {msg} (input shapes {', '.join(map(str, shapes))})")


def _broadcast_message(name, shapes):
    a, b = shapes[0], shapes[1]
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and da != 1 and db != 1:
            dim = max(len(a), len(b)) - i
            return (
                f"{name}: shapes {a} and {b} cannot be broadcast together: the size of "
                f"tensor a ({da}) must match the size of tensor b ({db}) at non-singleton "
                f"dimension {dim}"
            )
    return f"{name}: shapes {', '.join(map(str, shapes))} cannot be broadcast together"


# ---------------------------------------------------------------------------------------
# NOTE [ How ops are exposed ]
# Every public op declares, beside its definition, the names it is reachable by: the function
# ``autograd.<name>`` (``function``), Tensor methods (``method``), the in-place method
# ``<method>_`` (``inplace``) and extra names (``aliases``). ``autograd.ops`` re-exports the
# functions and :func:`install_methods` makes the methods, both from :data:`PUBLIC`; nothing
# else keeps a list of names. Python operators (``__add__``, ...) are written out in the
# ``Tensor`` class body, each a one-line call of the op it names.


class _OpDoc:
    """``Op.__doc__``: the class's docstring on the class, a public op's own on the op."""

    def __init__(self, doc):
        self.doc = doc

    def __get__(self, op, cls=None):
        return self.doc if op is None or op.doc is None else op.doc


Op.__doc__ = _OpDoc(Op.__doc__)


class Public:
    """How one public op is exposed (see NOTE [ How ops are exposed ])."""

    __slots__ = ("name", "fn", "function", "methods", "inplace")

    def __init__(self, name, fn, function, methods, inplace):
        self.name = name
        self.fn = fn
        self.function = function
        self.methods = methods
        self.inplace = inplace

    def __repr__(self):
        return (
            f"Public({self.name!r}, function={self.function}, methods={self.methods}, "
            f"inplace={self.inplace})"
        )


def public(
    fn: Callable | None = None,
    *,
    name: str | None = None,
    function: bool = True,
    method: bool | str | tuple = False,
    inplace: bool | np.ufunc = False,
    aliases: tuple = (),
) -> Any:
    """Declare how a public op is exposed; usable as ``@public(...)`` or ``public(fn, ...)``.

    Parameters
    ----------
    fn : callable
        The public function (an :class:`Op`, or a wrapper that checks arguments and calls
        primitives).
    name : str, optional
        Its public name (default: the op's or function's own name).
    function : bool
        Expose ``autograd.<name>`` (and ``autograd.<alias>`` for each alias).
    method : bool or str or tuple of str
        ``True`` exposes ``Tensor.<name>`` (and each alias); a string or tuple names the
        methods instead.
    inplace : bool or numpy.ufunc
        Also make ``Tensor.<method>_`` for each method name: the out-of-place op written back
        into ``self``. A ufunc gives a fast path used when nothing is recorded.
    aliases : tuple of str
        Other names for the same function (and methods, when ``method=True``).
    """

    def register(f):
        n = name or (f.name if isinstance(f, Op) else f.__name__)
        if method is True:
            methods = (n, *aliases)
        elif isinstance(method, str):
            methods = (method,)
        else:
            methods = tuple(method or ())
        for key in (n, *aliases):
            if key in PUBLIC:
                raise ValueError(f"public name {key!r} declared twice")
            PUBLIC[key] = Public(key, f, function, methods if key == n else (), inplace)
        return f

    return register if fn is None else register(fn)


# NOTE [ out= ]
# PyTorch's functions take ``out=``: the result is written into a given tensor, which is returned.
# Every function that ``autograd.ops`` exports from :data:`PUBLIC` is wrapped once, here, by
# :func:`with_out`; Tensor methods and operators call the ops directly, so their hot path never
# sees the argument. As in PyTorch: an ``out`` of another shape is resized (with a warning when it
# was not empty), the result must be castable to ``out``'s dtype (by category: no float into an
# integer tensor), a tuple result needs a tuple of outs, and in grad mode no argument (nor ``out``)
# may require grad, since the write is not recorded.


def with_out(name: str, fn: Callable) -> Callable:
    """``fn`` with PyTorch's ``out=`` keyword (NOTE [ out= ])."""

    def function(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return _write_out(name, fn, args, kwargs, out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = getattr(fn, "__doc__", None) if not isinstance(fn, Op) else None
    function.__wrapped__ = fn
    return function


def _requires_grad(v) -> bool:
    if isinstance(v, Tensor):
        return v._rg
    if isinstance(v, (list, tuple)):
        return any(isinstance(a, Tensor) and a._rg for a in v)
    return False


#: ops whose ``out=`` must have exactly the result's dtype (PyTorch checks these up front)
_EXACT_OUT = frozenset({"float_power"})


def _torch_dtype_name(dt) -> str:
    """PyTorch's C++ name of a dtype, as its error messages print it (``Float``)."""
    names = {
        "float16": "Half", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
        "complex128": "ComplexDouble", "int8": "Char", "int16": "Short", "int32": "Int",
        "int64": "Long", "uint8": "Byte", "bool": "Bool",
    }  # fmt: skip
    return names.get(np.dtype(dt).name, str(dt))


def _write_out(name, fn, args, kwargs, out):
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(o).__name__}")
    if _state.grad and (
        any(_requires_grad(a) for a in args)
        or any(_requires_grad(v) for v in kwargs.values())
        or any(o._rg for o in outs)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    r = fn(*args, **kwargs)
    results = tuple(r) if isinstance(r, (tuple, list)) else (r,)
    if isinstance(r, (tuple, list)) != isinstance(out, (tuple, list)) or len(outs) != len(results):
        want = f"a tuple of {len(results)} Tensors" if isinstance(r, (tuple, list)) else "a Tensor"
        raise TypeError(f"{name}(): out must be {want} (the result's structure)")
    for o, v in zip(outs, results):
        vd = v._data if isinstance(v, Tensor) else np.asarray(v)
        od = o._data
        if name in _EXACT_OUT and od.dtype != vd.dtype:
            raise RuntimeError(
                f"the output given to {name} has dtype {_torch_dtype_name(od.dtype)} but the "
                f"operation's result requires dtype {_torch_dtype_name(vd.dtype)}"
            )
        if _dt._category(vd.dtype) > _dt._category(od.dtype):
            raise RuntimeError(
                f"result type {vd.dtype} can't be cast to the desired output type {od.dtype}"
            )
        if od.shape != vd.shape:
            if od.size:
                import warnings

                warnings.warn(
                    f"An output with one or more elements was resized since it had shape "
                    f"{list(od.shape)}, which does not match the required output shape "
                    f"{list(vd.shape)}. This behavior is deprecated, and in a future PyTorch "
                    "release outputs will not be resized unless they have zero elements. You "
                    "can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                    "elements with t.resize_(0).",
                    UserWarning,
                    stacklevel=3,
                )
            o._data = od = np.empty(vd.shape, dtype=od.dtype)
        np.copyto(od, vd, casting="unsafe")
        o._bump()
    return out


def install_methods(cls: type = Tensor) -> None:
    """Make the Tensor methods and in-place methods that :data:`PUBLIC` declares.

    A name that the ``Tensor`` class body already defines is an error: each method has one
    definition.
    """
    own = set(vars(cls))
    for p in PUBLIC.values():
        for m in p.methods:
            made = [(m, p.fn)]
            if p.inplace:
                made.append((m + "_", _inplace_method(m + "_", p.fn, p.inplace)))
            for attr, value in made:
                if attr in own:
                    raise RuntimeError(f"Tensor.{attr} is defined twice (class body and {p})")
                setattr(cls, attr, value)


def _inplace_method(name, fn, ufunc):
    """``Tensor.<name>``: ``fn(self, ...)`` written back into ``self`` (see ``Tensor._inplace``).

    With a ufunc, an update that records nothing (no grad mode, or nothing requires grad) runs
    the ufunc straight into ``self``'s memory."""
    if not isinstance(ufunc, np.ufunc):

        def method(self, *args, **kwargs):
            return self._inplace(fn, *args, **kwargs)

    else:

        def method(self, other, *args, **kwargs):
            if (
                args
                or kwargs
                or (_state.grad and (self._rg or (isinstance(other, Tensor) and other._rg)))
            ):
                return self._inplace(fn, other, *args, **kwargs)
            if self._check_inplace():  # a view whose root's history changed: recorded
                return self._inplace(fn, other, *args, **kwargs)
            o = other._data if isinstance(other, Tensor) else other
            try:
                ufunc(self._data, o, out=self._data, casting="same_kind")
            except np._core._exceptions._UFuncOutputCastingError:
                raise RuntimeError(
                    f"result type {np.result_type(self._data, o)} can't be cast to the desired "
                    f"output type {self._data.dtype}"
                ) from None
            except ValueError as e:
                raise RuntimeError(
                    f"{name}: {e} (self {tuple(self.shape)}, other {np.shape(o)})"
                ) from None
            self._bump()
            return self

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of :meth:`~autograd.Tensor.{name[:-1]}`."
    return method
