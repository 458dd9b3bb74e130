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

from types import MethodType as _MethodType

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import _state
from ..profiler import _hooked_call

# Filled in by autograd.tensor at import time (the registry must not import Tensor itself).
_Tensor = None
_Node = None
_ndarray = np.ndarray

#: name -> Op, every primitive registered (the op table test compares against it).
REGISTRY: dict[str, Op] = {}


class Meta:
    """Shape and dtype of an input whose value an op did not save."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)


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
        self.node_name = "".join(p.capitalize() for p in name.strip("_").split("_")) + "Backward0"
        if name in REGISTRY:
            raise ValueError(f"op {name!r} registered twice")
        REGISTRY[name] = self

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
        T = _Tensor
        for a in args:
            if isinstance(a, T):
                break
        else:  # no Tensor: straight through to NumPy (how VJPs run in a plain backward)
            return op.forward(*args, **kwargs)
        if _state.hooks:  # HOOKS: anomaly mode or autograd.profiler is on
            return _hooked_call(op, args, kwargs)
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
            out = op.forward(*vals, **kwargs)
        except (ValueError, IndexError, TypeError) as e:
            raise _translate_error(op, vals, e) from None
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if op.promote is not None:
            out = _promote(op, vals, out)
        t = T.__new__(T)
        t._data = out
        t.grad = None
        t._oi = 0
        t._hooks = None
        t._base = None
        if op.view:
            src = args[0]
            vc = src._vc
            if vc is None:
                vc = src._vc = [0]
            t._vc = vc
            t._base = src if src._base is None else src._base
        else:
            t._vc = None
        if needs_grad and _state.grad and op.differentiable and out.dtype.kind == "f":
            t._rg = True
            t.grad_fn = _Node(op, args, vals, kwargs, t)
        else:
            t._rg = False
            t.grad_fn = None
        return t


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
