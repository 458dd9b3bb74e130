"""Docstrings of the public ops that cannot carry their own, and of terse one-line helpers.

An :class:`~autograd.ops.Op` is an instance (``abs = Op("abs", np.abs, ...)``), so like
PyTorch's ``torch/_torch_docs.py`` its docstring is attached here by :func:`add_docstr`, with a
signature line that the API reference shows. Short functions whose definition has no docstring
get one here too. An object that already has its own docstring keeps it (the docs test lists
entries here that have become redundant, so there is one copy of each docstring).
"""

from __future__ import annotations

import inspect

from .ops._registry import Op

REDUNDANT: list[str] = []  # entries whose object had its own docstring already


_SEEN: set[int] = set()


def add_docstr(obj, doc: str, name: str = "") -> None:
    """Give ``obj`` (an op, a function or a property) the docstring ``doc`` if it has none.

    For a public function wrapped for ``out=`` (NOTE [ out= ]), the docstring goes to the op or
    function it wraps, which is also the Tensor method; :func:`install` copies it to the
    wrappers."""
    obj = getattr(obj, "__wrapped__", obj)
    if id(obj) in _SEEN:  # an alias (``autograd.absolute is autograd.abs``): documented already
        return
    _SEEN.add(id(obj))
    doc = inspect.cleandoc(doc)
    if isinstance(obj, Op):
        if obj.doc is None:
            obj.doc = doc
        else:
            REDUNDANT.append(name)
        return
    if (obj.__doc__ or "").strip():
        REDUNDANT.append(name)
        return
    obj.__doc__ = doc


_UNARY = {
    "abs": "absolute value :math:`|x|`",
    "acos": "arc cosine",
    "asin": "arc sine",
    "atan": "arc tangent",
    "ceil": "ceiling (not differentiable: zero gradient)",
    "cos": "cosine",
    "cosh": "hyperbolic cosine",
    "digamma": "digamma function, the derivative of :func:`lgamma`",
    "erf": "error function",
    "erfinv": "inverse error function, on (-1, 1)",
    "exp": "exponential :math:`e^x`",
    "exp2": ":math:`2^x`",
    "expm1": ":math:`e^x - 1`, accurate near 0",
    "floor": "floor (zero gradient)",
    "frac": "fractional part ``x - trunc(x)``",
    "lgamma": "log of the absolute value of the gamma function",
    "log": "natural logarithm",
    "log10": "base-10 logarithm",
    "log1p": ":math:`\\log(1 + x)`, accurate near 0",
    "log2": "base-2 logarithm",
    "neg": "negation :math:`-x`",
    "reciprocal": ":math:`1 / x`",
    "relu": "rectified linear unit :math:`\\max(x, 0)`",
    "rsqrt": ":math:`1 / \\sqrt{x}`",
    "sigmoid": "logistic sigmoid :math:`1 / (1 + e^{-x})`",
    "sign": "sign, -1, 0 or 1 (zero gradient)",
    "sin": "sine",
    "sinh": "hyperbolic sine",
    "sqrt": "square root",
    "square": ":math:`x^2`",
    "tan": "tangent",
    "tanh": "hyperbolic tangent",
    "trunc": "truncation towards zero (zero gradient)",
}
_UNARY_BOOL = {
    "isfinite": "whether each element is finite",
    "isinf": "whether each element is +/-infinity",
    "isnan": "whether each element is NaN",
    "signbit": "whether each element's sign bit is set",
    "logical_not": "logical NOT (nonzero is True)",
    "bitwise_not": "bitwise NOT of an integer or bool tensor",
}
_BINARY = {
    "atan2": "the angle of the point ``(other, input)``, quadrant-aware",
    "floor_divide": "``input // other`` rounded down (zero gradient, see the differences table)",
    "fmod": "C-style remainder: the sign of ``input``",
    "logaddexp": ":math:`\\log(e^x + e^y)` without overflow",
    "maximum": "elementwise maximum (the gradient goes to the larger; ties split evenly)",
    "minimum": "elementwise minimum (the gradient goes to the smaller; ties split evenly)",
    "mul": "``input * other``",
    "pow": "``input ** exponent``",
    "remainder": "Python-style remainder: the sign of ``other``",
}
_BINARY_BOOL = {
    "bitwise_and": "bitwise AND of integer or bool tensors",
    "bitwise_or": "bitwise OR of integer or bool tensors",
    "bitwise_xor": "bitwise XOR of integer or bool tensors",
    "eq": "``input == other``",
    "ge": "``input >= other``",
    "gt": "``input > other``",
    "le": "``input <= other``",
    "logical_and": "logical AND (nonzero is True)",
    "logical_or": "logical OR (nonzero is True)",
    "logical_xor": "logical XOR (nonzero is True)",
    "lt": "``input < other``",
    "ne": "``input != other``",
}

_SHAPE = "Same shape as ``input``."
_BCAST = "The broadcast shape of ``input`` and ``other``."


def _unary(name: str, what: str, out: str) -> str:
    return f"""{name}(input) -> Tensor

    Elementwise {what}.

    Parameters
    ----------
    input : Tensor
        Any shape.

    Returns
    -------
    Tensor
        {_SHAPE} {out}
    """


def _binary(name: str, what: str, out: str) -> str:
    second = "exponent" if name in ("pow", "float_power") else "other"
    return f"""{name}(input, {second}) -> Tensor

    Elementwise {what}, with broadcasting.

    Parameters
    ----------
    input : Tensor
        Any shape.
    {second} : Tensor or number
        Broadcastable with ``input``.

    Returns
    -------
    Tensor
        {_BCAST.replace("other", second)} {out}
    """


OPS: dict[str, str] = {}
for _n, _w in _UNARY.items():
    OPS[_n] = _unary(_n, _w, "Floating point (integers are promoted where NumPy promotes).")
for _n, _w in _UNARY_BOOL.items():
    OPS[_n] = _unary(_n, _w, "Not differentiable.")
for _n, _w in _BINARY.items():
    OPS[_n] = _binary(_n, _w, "Dtype by PyTorch's promotion rules.")
for _n, _w in _BINARY_BOOL.items():
    OPS[_n] = _binary(_n, _w, "Bool (integer for the bitwise ops); not differentiable.")
OPS["clone"] = """clone(input) -> Tensor

    A copy of ``input`` with its own memory, recorded in the graph (the gradient flows back).
    """
OPS["isclose"] = """isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor

    Elementwise ``|input - other| <= atol + rtol * |other|``, as a bool tensor of the broadcast
    shape; not differentiable.
    """
OPS["round"] = """round(input, decimals=0) -> Tensor

    Round half to even to ``decimals`` decimal places (zero gradient). Same shape as ``input``.
    """

_RED = """

    Parameters
    ----------
    input : Tensor
        Any shape.
    dim : int or tuple of int, optional
        The dimensions to reduce (default: all).
    keepdim : bool
        Keep the reduced dimensions with size 1.
    """

FUNCTIONS: dict[str, str] = {
    # reductions
    "all": "Whether every element (along ``dim``) is nonzero; a bool tensor." + _RED,
    "any": "Whether some element (along ``dim``) is nonzero; a bool tensor." + _RED,
    "amax": "The maximum along ``dim`` (the gradient is split evenly among ties)." + _RED,
    "amin": "The minimum along ``dim`` (the gradient is split evenly among ties)." + _RED,
    "argmax": "Index of the maximum (of the flattened ``input`` when ``dim`` is None)." + _RED,
    "argmin": "Index of the minimum (of the flattened ``input`` when ``dim`` is None)." + _RED,
    "count_nonzero": "The number of nonzero elements along ``dim`` (all when None); int64.",
    "mean": "The mean along ``dim`` (all elements when None); floating point only." + _RED,
    "nansum": "The sum along ``dim`` treating NaN as zero." + _RED,
    "prod": "The product along ``dim`` (all elements when None)." + _RED,
    "logsumexp": "``log(sum(exp(input), dim))`` computed without overflow." + _RED,
    "min": (
        "The minimum: of all elements (no ``dim``), the ``(values, indices)`` named tuple "
        "along ``dim``, or ``minimum(input, other)`` with ``other=``." + _RED
    ),
    "std_mean": "``(std, mean)`` along ``dim`` in one pass (``correction=1`` by default)." + _RED,
    "var_mean": "``(var, mean)`` along ``dim`` in one pass (``correction=1`` by default)." + _RED,
    "cumsum": "Cumulative sum along ``dim``; same shape as ``input``.",
    "cumprod": "Cumulative product along ``dim``; same shape as ``input`` (zeros handled).",
    # sorting
    "argsort": "The indices that sort ``input`` along ``dim`` (int64, same shape).",
    "msort": "``input`` sorted along its first dimension (``sort(input, 0).values``).",
    "bincount": "Counts (or summed ``weights``) of each value of a 1-D non-negative int tensor.",
    # linear algebra
    "bmm": "Batched matrix product: ``(b, n, m) @ (b, m, p) -> (b, n, p)``.",
    "dot": "Dot product of two 1-D tensors of the same length: a 0-d tensor.",
    "vdot": "Dot product of two 1-D tensors (conjugating the first, a no-op for reals).",
    "inner": "Inner product over the last dimension: ``(..., n), (..., n) -> (..., ...)``.",
    "mm": "Matrix product of two 2-D tensors: ``(n, m) @ (m, p) -> (n, p)``.",
    "mv": "Matrix-vector product: ``(n, m) @ (m,) -> (n,)``.",
    "outer": "Outer product of two 1-D tensors: ``(n,), (m,) -> (n, m)``.",
    # shape
    "broadcast_tensors": "The tensors broadcast to their common shape (views).",
    "broadcast_to": "A view of ``input`` broadcast to ``size``.",
    "chunk": "Split into ``chunks`` views of (nearly) equal size along ``dim``.",
    "diag_embed": "Batches of diagonal matrices: ``(..., n) -> (..., n, n)`` (``offset`` shifts).",
    "diagonal": "A view of the diagonal of ``dim1`` x ``dim2`` (moved to the last dimension).",
    "expand_as": "``input.expand(other.size())``.",
    "flatten": "Merge the dimensions ``start_dim..end_dim`` into one (a view when possible).",
    "flip": "Reverse the order of elements along ``dims``.",
    "fliplr": "Reverse the order of columns (dimension 1).",
    "flipud": "Reverse the order of rows (dimension 0).",
    "hstack": "Concatenate along dimension 1 (dimension 0 for 1-D tensors).",
    "vstack": "Concatenate along dimension 0, 1-D tensors taken as rows.",
    "index_select": "The entries of ``input`` at the 1-D ``index`` along ``dim``.",
    "masked_select": "The elements where the bool ``mask`` (broadcast) is True, as a 1-D tensor.",
    "movedim": "Move dimensions ``source`` to ``destination`` (a view).",
    "narrow": "A view of ``length`` entries from ``start`` along ``dim``.",
    "permute": "A view with the dimensions reordered as ``dims``.",
    "reshape_as": "``input.reshape(other.shape)``.",
    "view_as": "``input.view(other.shape)``.",
    "roll": "Shift elements by ``shifts`` along ``dims`` with wrap-around (flattened if None).",
    "scatter_add": "Out-of-place ``scatter_add_``: ``src`` added into ``input`` at ``index``.",
    "select": "A view of index ``index`` of dimension ``dim`` (that dimension removed).",
    "squeeze": "Remove dimensions of size 1 (only ``dim`` when given); a view.",
    "unsqueeze": "Insert a dimension of size 1 at ``dim``; a view.",
    "sum_to_size": "Sum broadcast dimensions so the result has shape ``size``.",
    "transpose": "A view with dimensions ``dim0`` and ``dim1`` swapped.",
    "t": "Transpose a tensor of at most 2 dimensions.",
    "take_along_dim": "Gather values at ``indices`` along ``dim`` (flattened when None).",
    "tensor_split": "Split into views at ``indices_or_sections`` along ``dim`` (NumPy rules).",
    "tile": "Repeat ``input`` ``dims`` times along each dimension.",
    "tril": "The lower triangle of the last two dimensions (the rest zeroed).",
    "triu": "The upper triangle of the last two dimensions (the rest zeroed).",
    "unbind": "The tuple of views ``input.select(dim, i)`` for every ``i``.",
    "unflatten": "Split dimension ``dim`` into ``sizes``; a view.",
    # factories and predicates
    "empty": "An uninitialised tensor of shape ``size`` (here zero-filled).",
    "zeros": "A tensor of zeros of shape ``size`` (default dtype unless ``dtype``).",
    "ones": "A tensor of ones of shape ``size`` (default dtype unless ``dtype``).",
    "full": "A tensor of shape ``size`` filled with ``fill_value``.",
    "full_like": "A tensor shaped like ``input`` filled with ``fill_value``.",
    "eye": "The ``(n, m)`` identity matrix (``m = n`` by default).",
    "linspace": "``steps`` evenly spaced values from ``start`` to ``end`` inclusive.",
    "logspace": "``steps`` values ``base ** linspace(start, end, steps)``.",
    "randint_like": "Random integers in ``[low, high)`` shaped like ``input``.",
    "bernoulli": "0/1 draws with probability ``input`` (or ``p``) of 1; same shape as ``input``.",
    "is_floating_point": "Whether ``input`` has a floating-point dtype.",
    "is_tensor": "Whether ``obj`` is an :class:`~autograd.Tensor`.",
    "numel": "The number of elements of ``input``.",
    # state
    "get_rng_state": "The default generator's state, for :func:`set_rng_state`.",
    "set_rng_state": "Restore the default generator's state from :func:`get_rng_state`.",
    "initial_seed": "The seed the default generator was last seeded with.",
    "seed": "Seed the default generator from the OS's entropy; returns the seed.",
    "is_anomaly_enabled": "Whether anomaly detection (:class:`detect_anomaly`) is on.",
    "is_inference_mode_enabled": "Whether an :class:`inference_mode` block is active.",
}

LINALG: dict[str, str] = {
    "det": "The determinant of square matrices ``(..., n, n) -> (...)``.",
    "inv": "The inverse of square matrices ``(..., n, n)``.",
    "solve": "The solution ``X`` of ``A @ X = B``; ``A`` is ``(..., n, n)``.",
    "vector_norm": "The ``ord``-norm of ``x`` over ``dim`` (all elements when None).",
    "matrix_norm": "The matrix norm (``'fro'``, ``'nuc'``, +/-1, +/-2, +/-inf) over ``dim``.",
}

TENSOR: dict[str, str] = {
    "H": "The conjugate transpose of a matrix (the transpose for real tensors).",
    "T": "The tensor with its dimensions reversed.",
    "mT": "The transpose of the last two dimensions (batched matrices).",
    "dtype": "The dtype: a :class:`numpy.dtype` such as ``autograd.float32``.",
    "is_cuda": "Always False.",
    "is_leaf": "Whether the tensor has no ``grad_fn`` (made by the user, or not requiring grad).",
    "itemsize": "Bytes per element.",
    "nbytes": "Bytes of the elements (``numel() * itemsize``).",
    "ndim": "The number of dimensions.",
    "requires_grad": "Whether gradients are recorded for this tensor.",
    "retains_grad": "Whether this non-leaf tensor keeps its ``.grad`` (:meth:`retain_grad`).",
    "shape": "The size, a :class:`~autograd.Size` (a tuple).",
    "bernoulli_": "Fill in place with 0/1 draws of probability ``p``.",
    "bool": "Cast to bool.",
    "clone": "A copy with its own memory; the gradient flows back to ``self``.",
    "contiguous": "``self`` if C-contiguous, else a contiguous copy.",
    "copy_": "Copy ``src`` (broadcast, cast) into ``self`` in place; differentiable.",
    "cpu": "``self`` (tensors always live on the CPU).",
    "detach_": "Detach in place from the graph that created it.",
    "dim": "The number of dimensions.",
    "double": "Cast to float64.",
    "element_size": "Bytes per element.",
    "exponential_": "Fill in place with exponential draws of rate ``lambd``.",
    "fill_": "Fill with ``value`` in place.",
    "float": "Cast to float32.",
    "half": "Cast to float16.",
    "int": "Cast to int32.",
    "is_contiguous": "Whether the memory is C-contiguous.",
    "is_floating_point": "Whether the dtype is floating point.",
    "item": "The value of a one-element tensor as a Python number.",
    "long": "Cast to int64.",
    "ndimension": "The number of dimensions (alias of :meth:`dim`).",
    "nelement": "The number of elements (alias of :meth:`numel`).",
    "new_empty": "An uninitialised tensor of shape ``size`` with ``self``'s dtype.",
    "new_full": "A tensor of shape ``size`` filled with ``fill_value``, ``self``'s dtype.",
    "new_ones": "A tensor of ones of shape ``size`` with ``self``'s dtype.",
    "new_tensor": "A tensor of ``data`` with ``self``'s dtype (copied, detached).",
    "new_zeros": "A tensor of zeros of shape ``size`` with ``self``'s dtype.",
    "normal_": "Fill in place with normal draws of ``mean`` and ``std``.",
    "numel": "The number of elements.",
    "random_": "Fill in place with integers in ``[low, high)``.",
    "requires_grad_": "Set ``requires_grad`` in place (leaf tensors); returns ``self``.",
    "size": "The size (a :class:`~autograd.Size`), or the size of dimension ``dim``.",
    "stride": "The strides in elements (of dimension ``dim`` when given).",
    "tolist": "The values as (nested) Python lists of numbers.",
    "type_as": "Cast to ``other``'s dtype.",
    "uniform_": "Fill in place with uniform draws from ``[a, b)``.",
    "zero_": "Fill with zeros in place.",
}


def install() -> None:
    """Attach the docstrings above (called once, at the end of ``autograd/__init__``)."""
    import autograd
    from autograd import Tensor, linalg

    for name, doc in {**OPS, **FUNCTIONS}.items():
        if hasattr(autograd, name):
            add_docstr(getattr(autograd, name), doc, name)
    for name, doc in LINALG.items():
        if hasattr(linalg, name):
            add_docstr(getattr(linalg, name), doc, f"linalg.{name}")
    for name, doc in TENSOR.items():
        if name in vars(Tensor):
            add_docstr(vars(Tensor)[name], doc, f"Tensor.{name}")
    # the ``out=`` wrappers were made before the docstrings above: give them their op's
    for name in autograd.ops.__all__:
        wrapper = getattr(autograd.ops, name)
        base = getattr(wrapper, "__wrapped__", None)
        if base is not None and not (wrapper.__doc__ or "").strip():
            if not isinstance(base, Op) or base.doc is not None:
                wrapper.__doc__ = base.__doc__
