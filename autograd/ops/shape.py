"""Shape ops: reshape, broadcast, permute, indexing, concatenation, flips, pads, diagonals.

Primitives come in pairs that are each other's VJP (reshape/reshape, broadcast_to/sum_to,
getitem/index_grad, gather/scatter_add, ...), so every shape op is differentiable to any order.
The public functions below the primitives check arguments once and normalise ``dim``.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..graph import named
from ..tensor import Tensor, _multi_output_views, _unview
from ._registry import Op, public
from .elementwise import (
    clone,
    mul,  # noqa: F401  (re-exported for VJPs in this family)
)
from .indexing import getitem_p, index_p

# ---------------------------------------------------------------------------------------
# primitives


def _reshape_fwd(x, shape):
    return np.reshape(x, shape)


def _reshape_vjp(grad, ans, x, shape):
    return reshape_p(grad, shape=x.shape)


def _reshape_node_name(node) -> str:
    # PyTorch's reshape of a contiguous tensor is a view; one inserted 1 is unsqueeze
    old, new = tuple(node.shapes[0]), tuple(node.kw["shape"])
    if len(new) == len(old) + 1 and any(
        new[i] == 1 and new[:i] + new[i + 1 :] == old for i in range(len(new))
    ):
        return "UnsqueezeBackward0"
    return "ViewBackward0"


reshape_p = Op("reshape", _reshape_fwd, view=True, node_name=_reshape_node_name).defvjp(
    _reshape_vjp
)


def _broadcast_to_fwd(x, shape):
    out = np.broadcast_to(x, shape)
    if out.size == x.size:  # nothing repeated: a writable view, as PyTorch's expand
        return x.reshape(shape)
    return out


def _broadcast_to_vjp(grad, ans, x, shape):
    return sum_to(grad, shape=x.shape)


broadcast_to_p = Op(
    "broadcast_to", _broadcast_to_fwd, view=True, node_name="ExpandBackward0"
).defvjp(_broadcast_to_vjp)


def _sum_to_fwd(x, shape):
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting)."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
    )
    r = np.sum(x, axis=axes, keepdims=True) if axes else x
    return r.reshape(shape)


def _sum_to_vjp(grad, ans, x, shape):
    return broadcast_to_p(grad, shape=x.shape)


sum_to = Op("sum_to", _sum_to_fwd).defvjp(_sum_to_vjp)


def _permute_fwd(x, dims):
    return np.transpose(x, dims)


def _permute_vjp(grad, ans, x, dims):
    return permute_p(grad, dims=tuple(np.argsort(dims)))


def _permute_node_name(node) -> str:
    # transpose and permute are one op here: a single swap is named as transpose (the common
    # call); PyTorch names an explicit permute((0, 2, 1)) PermuteBackward0
    dims = tuple(node.kw["dims"])
    moved = [i for i, d in enumerate(dims) if d != i]
    return "TransposeBackward0" if len(moved) == 2 else "PermuteBackward0"


permute_p = Op("permute", _permute_fwd, view=True, node_name=_permute_node_name).defvjp(
    _permute_vjp
)


def _cat_fwd(*xs, axis):
    return np.concatenate(xs, axis=axis)


def _cat_vjp(grad, ans, *xs, axis):
    out = []
    start = 0
    nd = grad.ndim
    for x in xs:
        n = x.shape[axis]
        sl = (slice(None),) * (axis % nd) + (slice(start, start + n),)
        out.append(getitem_p(grad, idx=sl))
        start += n
    return out


cat_p = Op("cat", _cat_fwd, promote="arith").defvjp_all(_cat_vjp)


def _stack_fwd(*xs, axis):
    return np.stack(xs, axis=axis)


def _stack_vjp(grad, ans, *xs, axis):
    nd = grad.ndim
    return [getitem_p(grad, idx=(slice(None),) * (axis % nd) + (i,)) for i in range(len(xs))]


stack_p = Op("stack", _stack_fwd, promote="arith").defvjp_all(_stack_vjp)


def _flip_fwd(x, axis):
    return np.flip(x, axis).copy()  # NumPy's flip is a view; PyTorch's a copy


def _flip_vjp(grad, ans, x, axis):
    return flip_p(grad, axis=axis)


flip_p = Op("flip", _flip_fwd).defvjp(_flip_vjp)


def _roll_fwd(x, shift, axis):
    return np.roll(x, shift, axis)


def _roll_vjp(grad, ans, x, shift, axis):
    neg = tuple(-s for s in shift) if isinstance(shift, tuple) else -shift
    return roll_p(grad, shift=neg, axis=axis)


roll_p = Op("roll", _roll_fwd).defvjp(_roll_vjp)


def _tile_fwd(x, reps):
    return np.tile(x, reps)


def _tile_vjp(grad, ans, x, reps):
    # grad has shape reps * shape (x padded to len(reps) dims); split each dim into
    # (rep, size) and sum over the rep axes.
    shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
    inter = []
    for r, s in zip(reps, shape):
        inter += [r, s]
    g = reshape_p(grad, shape=tuple(inter))
    g = sum_p(g, axis=tuple(range(0, 2 * len(reps), 2)), keepdims=False)
    return reshape_p(g, shape=x.shape)


tile_p = Op("tile", _tile_fwd).defvjp(_tile_vjp)


def _gather_fwd(x, index, axis):
    return np.take_along_axis(x, index, axis)


def _gather_vjp(grad, ans, x, index, axis):
    return scatter_add_p(grad, index, axis=axis, shape=x.shape)


gather_p = Op("gather", _gather_fwd, save=(1,)).defvjp(_gather_vjp, None)


def _scatter_add_fwd(src, index, axis, shape):
    """Zeros of ``shape`` with ``src`` added along ``axis`` at ``index``."""
    out = np.zeros(shape, dtype=src.dtype)
    idx = _along_axis_index(index, axis)
    np.add.at(out, idx, src[tuple(slice(0, n) for n in index.shape)])
    return out


def _along_axis_index(index, axis):
    """The full fancy index that ``take_along_axis(x, index, axis)`` uses."""
    grids = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
    grids[axis] = index
    return tuple(grids)


def _gather_block(grad, index, axis):
    """``gather`` reading only the block the index spans (PyTorch's semantics for an index
    smaller than the source outside ``axis``), not a broadcast of the index."""
    if any(i != s for k, (i, s) in enumerate(zip(index.shape, grad.shape)) if k != axis):
        grad = getitem_p(
            grad,
            idx=tuple(slice(0, i) if k != axis else slice(None) for k, i in enumerate(index.shape)),
        )
    return gather_p(grad, index, axis=axis)


def _scatter_add_vjp(grad, ans, src, index, axis, shape):
    g = _gather_block(grad, index, axis)
    if tuple(src.shape) != tuple(index.shape):  # src entries beyond the index get no gradient
        g = pad_p(g, pad=tuple((0, s - i) for s, i in zip(src.shape, index.shape)), value=0.0)
    return g


scatter_add_p = Op("scatter_add", _scatter_add_fwd, save=(1,)).defvjp(_scatter_add_vjp, None)


def _scatter_fwd(x, index, src, axis):
    out = x.copy()
    idx = _along_axis_index(index, axis)
    if isinstance(src, np.ndarray) and src.ndim:
        src = src[tuple(slice(0, n) for n in index.shape)]
    out[idx] = src
    return out


def _scatter_vjp_x(grad, ans, x, index, src, axis):
    return scatter_p(grad, index, 0.0, axis=axis)


def _scatter_vjp_src(grad, ans, x, index, src, axis):
    g = _gather_block(grad, index, axis)
    if src.ndim and tuple(src.shape) != tuple(index.shape):
        pad = [(0, s - i) for s, i in zip(src.shape, index.shape)]
        g = pad_p(g, pad=tuple(pad), value=0.0)
    return g


scatter_p = Op("scatter", _scatter_fwd, save=(1,)).defvjp(_scatter_vjp_x, None, _scatter_vjp_src)


def _index_select_fwd(x, index, axis):
    return np.take(x, index, axis=axis)


def _index_select_vjp(grad, ans, x, index, axis):
    return index_add_p(grad, index, axis=axis, shape=x.shape)


index_select_p = Op("index_select", _index_select_fwd, save=(1,)).defvjp(_index_select_vjp, None)


def _index_add_fwd(src, index, axis, shape):
    out = np.zeros(shape, dtype=src.dtype)
    sl = (slice(None),) * axis + (index,)
    np.add.at(out, sl, src)
    return out


def _index_add_vjp(grad, ans, src, index, axis, shape):
    return index_select_p(grad, index, axis=axis)


index_add_p = Op("index_add", _index_add_fwd, save=(1,)).defvjp(_index_add_vjp, None)


def _tril_fwd(x, k):
    return np.tril(x, k)


def _tril_vjp(grad, ans, x, k):
    return tril_p(grad, k=k)


tril_p = Op("tril", _tril_fwd).defvjp(_tril_vjp)


def _triu_fwd(x, k):
    return np.triu(x, k)


def _triu_vjp(grad, ans, x, k):
    return triu_p(grad, k=k)


triu_p = Op("triu", _triu_fwd).defvjp(_triu_vjp)


def _diagonal_fwd(x, offset, axis1, axis2):
    d = np.diagonal(x, offset, axis1, axis2)
    if x.flags.writeable:  # NumPy hands out a read-only view; PyTorch's may be written
        d.flags.writeable = True
    return d


def _diagonal_vjp(grad, ans, x, offset, axis1, axis2):
    return diag_embed_p(grad, offset=offset, axis1=axis1, axis2=axis2, shape=x.shape)


diagonal_p = Op("diagonal", _diagonal_fwd, view=True).defvjp(_diagonal_vjp)


def _diag_embed_fwd(g, offset, axis1, axis2, shape):
    """Zeros of ``shape`` with ``g`` written on the diagonal that ``diagonal`` reads."""
    out = np.zeros(shape, dtype=g.dtype)
    n = np.diagonal(out, offset, axis1, axis2).shape[-1]
    if n:
        # index arrays that address the diagonal: broadcasting puts it last, as diagonal does
        i = np.arange(n) + builtins.max(-offset, 0)
        j = np.arange(n) + builtins.max(offset, 0)
        view = np.moveaxis(out, (axis1, axis2), (-2, -1))
        view[..., i, j] = g
    return out


def _diag_embed_vjp(grad, ans, g, offset, axis1, axis2, shape):
    return diagonal_p(grad, offset=offset, axis1=axis1, axis2=axis2)


diag_embed_p = Op("diag_embed", _diag_embed_fwd).defvjp(_diag_embed_vjp)


def _pad_fwd(x, pad, value=0.0):
    return np.pad(x, pad, mode="constant", constant_values=value)


def _pad_vjp(grad, ans, x, pad, value=0.0):
    sl = tuple(slice(lo, lo + n) for (lo, hi), n in zip(pad, x.shape))
    return getitem_p(grad, idx=sl)


pad_p = Op("pad", _pad_fwd).defvjp(_pad_vjp)


def _sum_fwd(x, axis=None, keepdims=False, dtype=None):
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)


def _unreduce(grad, shape, axis, keepdims):
    """Broadcast a reduced gradient back to ``shape``."""
    if axis is None:
        axis = tuple(range(len(shape)))
    if not keepdims:
        kshape = tuple(1 if i in axis else s for i, s in enumerate(shape))
        grad = reshape_p(grad, shape=kshape)
    return broadcast_to_p(grad, shape=tuple(shape))


def _sum_vjp(grad, ans, x, axis=None, keepdims=False, dtype=None):
    return _unreduce(grad, x.shape, axis, keepdims)


sum_p = Op(
    "sum",
    _sum_fwd,
    node_name=lambda n: "SumBackward0" if n.kw.get("axis") is None else "SumBackward1",
).defvjp(_sum_vjp)


# ---------------------------------------------------------------------------------------
# helpers shared by the public functions


def wrap_dim(dim, ndim, name=""):
    from ..tensor import _wrap_dim

    return _wrap_dim(dim, ndim, name)


def wrap_dims(dim, ndim, name=""):
    """Normalise ``dim`` (int, tuple, list or None) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if ndim == 0:  # a 0-d tensor accepts dims 0 and -1, and reduces nothing
        for d in dim if isinstance(dim, (list, tuple)) else (dim,):
            wrap_dim(d, 0, name)
        return ()
    if isinstance(dim, (list, tuple)):
        axes = tuple(wrap_dim(d, ndim, name) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(
                f"{name}: dim {tuple(dim)} appears multiple times in the list of dims"
            )
        return tuple(sorted(axes))
    return (wrap_dim(dim, ndim, name),)


def _shape_arg(shape, name):
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(s) if not isinstance(s, Tensor) else int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be a sequence of ints, got {shape!r}") from None


def _infer_shape(shape, numel, old_shape, name):
    if shape.count(-1) > 1:
        raise RuntimeError(f"{name}: only one dimension can be inferred")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(
                f"{name}: shape '{list(shape)}' is invalid for input of size {numel}"
            )
        shape = tuple(numel // known if s == -1 else s for s in shape)
    n = 1
    for s in shape:
        if s < 0:
            raise RuntimeError(f"{name}: invalid shape dimension {s}")
        n *= s
    if n != numel:
        raise RuntimeError(
            f"{name}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(input shape {tuple(old_shape)})"
        )
    return shape


# ---------------------------------------------------------------------------------------
# public functions


@public(method=True)
def reshape(input, *shape):  # noqa: A002
    """Return a tensor with the same data and the given shape (one dim may be -1)."""
    shape = _infer_shape(_shape_arg(shape, "reshape"), input.numel(), input.shape, "reshape")
    # PyTorch: a view of a contiguous tensor; a copy (``_unsafe_view``) of another
    out = reshape_p(input, shape=shape)
    if not input._data.flags.c_contiguous:
        _unview(out, input)  # NumPy copied: not a view (as PyTorch's reshape)
        return named(out, "UnsafeViewBackward0", input)
    return named(out, "ViewBackward0", input)


@public(method=True)
def view(input, *shape):  # noqa: A002
    """Like :func:`reshape`; dtype arguments (``view(dtype)``) are not supported."""
    if (
        len(shape) == 1
        and not isinstance(shape[0], (builtins.int, list, tuple))
        and not isinstance(shape[0], Tensor)
    ):
        raise TypeError("view(dtype) is not supported; use .to(dtype)")
    shape = _infer_shape(_shape_arg(shape, "view"), input.numel(), input.shape, "view")
    if not input._data.flags.c_contiguous and not _reshapes_in_place(input._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return named(reshape_p(input, shape=shape), "ViewBackward0", input)


def _reshapes_in_place(a, shape) -> bool:
    """Whether NumPy reshapes ``a`` to ``shape`` without a copy (a view)."""
    try:
        a.view().shape = shape  # assigning a shape never copies: it raises instead
    except AttributeError:
        return False
    return True


@public(method=True)
def view_as(input, other):  # noqa: A002
    return reshape(input, tuple(other.shape))


@public(method=True)
def reshape_as(input, other):  # noqa: A002
    return reshape(input, tuple(other.shape))


@public(method=True)
def flatten(input, start_dim: int = 0, end_dim: int = -1):  # noqa: A002
    nd = input.ndim
    if nd == 0:
        return reshape_p(input, shape=(1,))
    s = wrap_dim(start_dim, nd, "flatten")
    e = wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = tuple(input.shape)
    n = 1
    for d in shp[s : e + 1]:
        n *= d
    out = reshape_p(input, shape=shp[:s] + (n,) + shp[e + 1 :])
    if not input._data.flags.c_contiguous:
        _unview(out, input)
        return named(out, "UnsafeViewBackward0", input)
    return named(out, "ViewBackward0", input)


@public(method=True)
def unflatten(input, dim: int, sizes):  # noqa: A002
    d = wrap_dim(dim, input.ndim, "unflatten")
    shp = tuple(input.shape)
    sizes = tuple(sizes)
    sizes = _infer_shape(sizes, shp[d], (shp[d],), "unflatten")
    return named(reshape_p(input, shape=shp[:d] + sizes + shp[d + 1 :]), "ViewBackward0", input)


@public(method=True)
def squeeze(input, dim=None):  # noqa: A002
    shp = tuple(input.shape)
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        axes = wrap_dims(dim, input.ndim, "squeeze")
        new = tuple(s for i, s in enumerate(shp) if not (i in axes and s == 1))
    n = 0 if dim is None else 1 if isinstance(dim, (builtins.int, np.integer)) else 2
    return named(reshape_p(input, shape=new), f"SqueezeBackward{n}", input)


@public(method=True)
def unsqueeze(input, dim: int):  # noqa: A002
    d = wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shp = tuple(input.shape)
    return named(reshape_p(input, shape=shp[:d] + (1,) + shp[d:]), "UnsqueezeBackward0", input)


@public(method=True)
def permute(input, *dims):  # noqa: A002
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = tuple(dims[0])
    nd = input.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does "
            f"not match the length of the desired ordering of dimensions i.e. "
            f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}".replace(
                "(sparse_coo)", ""
            )
        )
    axes = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(axes)) != nd:
        raise RuntimeError(f"permute(): repeated dim in dims {tuple(dims)}")
    return named(permute_p(input, dims=axes), "PermuteBackward0", input)


@public(method=True, aliases=("swapaxes", "swapdims"))
def transpose(input, dim0: int, dim1: int):  # noqa: A002
    nd = input.ndim
    if nd == 0:
        return input
    a = wrap_dim(dim0, nd, "transpose")
    b = wrap_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[a], dims[b] = dims[b], dims[a]
    return named(permute_p(input, dims=tuple(dims)), "TransposeBackward0", input)


@public(method=True)
def t(input):  # noqa: A002
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return named(transpose(input, 0, 1), "TBackward0", input) if input.ndim == 2 else input


@public(method=True, aliases=("moveaxis",))
def movedim(input, source, destination):  # noqa: A002
    nd = input.ndim
    src = [
        wrap_dim(s, nd, "movedim")
        for s in (source if isinstance(source, (list, tuple)) else [source])
    ]
    dst = [
        wrap_dim(s, nd, "movedim")
        for s in (destination if isinstance(destination, (list, tuple)) else [destination])
    ]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute_p(input, dims=tuple(order))


@public(method=True)
def broadcast_to(input, size):  # noqa: A002
    size = tuple(size)
    try:
        np.broadcast_shapes(tuple(input.shape), size)
    except ValueError:
        raise RuntimeError(
            f"broadcast_to: the shape {tuple(input.shape)} cannot be broadcast to {size}"
        ) from None
    if np.broadcast_shapes(tuple(input.shape), size) != size:
        raise RuntimeError(
            f"broadcast_to: the shape {tuple(input.shape)} cannot be broadcast to {size}"
        )
    return broadcast_to_p(input, shape=size)


@public(method=True)
def expand(input, *sizes):  # noqa: A002
    """Broadcast singleton dims to ``sizes`` (-1 keeps a dim), without copying."""
    sizes = _shape_arg(sizes, "expand")
    shp = tuple(input.shape)
    if len(sizes) < len(shp):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater "
            f"or equal to the number of dimensions in the tensor ({len(shp)})"
        )
    lead = len(sizes) - len(shp)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) isn't allowed "
                    "in a leading, non-existing dimension"
                )
            target.append(s)
        else:
            cur = shp[i - lead]
            if s == -1:
                target.append(cur)
            elif cur == 1 or cur == s:
                target.append(s)
            else:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                    f"sizes: {list(shp)}"
                )
    return broadcast_to_p(input, shape=tuple(target))


@public(method=True)
def expand_as(input, other):  # noqa: A002
    return expand(input, tuple(other.shape))


@public()
def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in tensors])
    return tuple(broadcast_to_p(t, shape=shape) for t in tensors)


@public(method=True)
def repeat(input, *sizes):  # noqa: A002
    """Tile the tensor ``sizes`` times along each dim (PyTorch's ``repeat`` = ``np.tile``)."""
    sizes = _shape_arg(sizes, "repeat")
    if len(sizes) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number "
            f"of dimensions of tensor (got {len(sizes)} < {input.ndim})"
        )
    return named(tile_p(input, reps=sizes), "RepeatBackward0", input)


@public(method=True)
def tile(input, dims):  # noqa: A002
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return tile_p(input, reps=dims)


@public(method=True)
def flip(input, dims):  # noqa: A002
    axes = wrap_dims(dims if isinstance(dims, (list, tuple)) else (dims,), input.ndim, "flip")
    return flip_p(input, axis=axes)


@public(method=True)
def fliplr(input):  # noqa: A002
    return flip(input, (1,))


@public(method=True)
def flipud(input):  # noqa: A002
    return flip(input, (0,))


@public(method=True)
def roll(input, shifts, dims=None):  # noqa: A002
    if dims is None:
        flat = flatten(input)
        r = roll_p(
            flat, shift=int(shifts if not isinstance(shifts, (list, tuple)) else shifts[0]), axis=0
        )
        return reshape_p(r, shape=tuple(input.shape))
    if isinstance(shifts, (list, tuple)):
        dims = tuple(wrap_dim(d, input.ndim, "roll") for d in dims)
        if len(dims) != len(shifts):
            raise RuntimeError(
                f"roll: shifts and dims must align. shifts: {len(shifts)}, dims: {len(dims)}"
            )
        return roll_p(input, shift=tuple(shifts), axis=dims)
    return roll_p(input, shift=int(shifts), axis=wrap_dim(dims, input.ndim, "roll"))


@public(method=True)
def narrow(input, dim: int, start: int, length: int):  # noqa: A002
    d = wrap_dim(dim, input.ndim, "narrow")
    n = input.shape[d]
    if start < 0:
        start += n
    if start < 0 or start + length > n or length < 0:
        raise RuntimeError(
            f"narrow(): start ({start}) + length ({length}) exceeds dimension size "
            f"({n}) of dim {dim}"
        )
    return getitem_p(input, idx=(slice(None),) * d + (slice(start, start + length),))


@public(method=True)
def select(input, dim: int, index: int):  # noqa: A002
    d = wrap_dim(dim, input.ndim, "select")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{tuple(input.shape)} at dimension {dim}"
        )
    return getitem_p(input, idx=(slice(None),) * d + (index % n,))


def _check_same_ndim(tensors, name, dim):
    T = Tensor
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise (TypeError if not isinstance(tensors, (list, tuple)) else RuntimeError)(
            f"{name}(): expected a non-empty list of Tensors"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, T):
            raise TypeError(
                f"{name}(): expected Tensor as element {i} in argument 0, but got "
                f"{type(t).__name__}"
            )


@public(aliases=("concat", "concatenate"))
def cat(tensors, dim: int = 0):
    """Concatenate along an existing ``dim``; all other dims must match."""
    _check_same_ndim(tensors, "cat", dim)
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)[:1]
    nd = tensors[0].ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, nd, "cat")
    ref = tuple(tensors[0].shape)
    for i, t in enumerate(tensors[1:], 1):
        s = tuple(t.shape)
        if len(s) != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {len(s)}"
            )
        for k in range(nd):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref[k]} but got size {s[k]} for tensor number {i} in the list."
                )
    return cat_p(*tensors, axis=d)


@public()
def stack(tensors, dim: int = 0):
    """Stack equally shaped tensors along a new ``dim``."""
    _check_same_ndim(tensors, "stack", dim)
    ref = tuple(tensors[0].shape)
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} "
                f"at entry 0 and {list(t.shape)} at entry {i}"
            )
    d = wrap_dim(dim, len(ref) + 1, "stack")
    return stack_p(*tensors, axis=d)


@public()
def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@public()
def vstack(tensors):
    return cat([t if t.ndim >= 2 else reshape(t, 1, -1) for t in tensors], 0)


@public(method=True)
def split(tensor, split_size_or_sections, dim: int = 0):
    """Split into chunks of ``split_size`` (the last may be smaller) or of the given sizes."""
    d = wrap_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = list(split_size_or_sections)
        sized = True
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} "
                f"(input tensor's size at dimension {d}), but got split_sizes="
                f"{sizes}"
            )
    else:
        step = int(split_size_or_sections)
        if step <= 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={step}"
            )
        sizes = [builtins.min(step, n - i) for i in range(0, n, step)] or [0]
        sized = False
    out = []
    start = 0
    for s in sizes:
        out.append(getitem_p(tensor, idx=(slice(None),) * d + (slice(start, start + s),)))
        start += s
    # outputs of a function returning several views (NOTE [ In-place on views ])
    return _multi_output_views(tuple(out), "SplitWithSizes" if sized else "Split")


@public(method=True)
def chunk(input, chunks: int, dim: int = 0):  # noqa: A002
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    step = -(-n // chunks) if n else 1
    return split(input, step, d)


@public(method=True)
def tensor_split(input, indices_or_sections, dim: int = 0):  # noqa: A002
    d = wrap_dim(dim, input.ndim, "tensor_split")
    n = input.shape[d]
    if isinstance(indices_or_sections, builtins.int):
        k = indices_or_sections
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds = [0]
        for sz in sizes:
            bounds.append(bounds[-1] + sz)
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    return tuple(
        getitem_p(input, idx=(slice(None),) * d + (slice(a, b),))
        for a, b in zip(bounds[:-1], bounds[1:])
    )


def _split_dir(input, indices_or_sections, dim, name, min_dims):  # noqa: A002
    """``hsplit``/``vsplit``/``dsplit``: ``tensor_split`` along one dim, PyTorch's checks."""
    if input.ndim < min_dims:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
            f"tensor with {input.ndim} dimensions!"
        )
    if isinstance(indices_or_sections, builtins.int):
        n = input.shape[dim]
        if indices_or_sections == 0 or n % indices_or_sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {indices_or_sections}!"
            )
    return tensor_split(input, indices_or_sections, dim)


@public(method=True)
def hsplit(input, indices_or_sections):  # noqa: A002
    """Split along dim 1 (dim 0 for a 1-D tensor), as ``tensor_split``."""
    return _split_dir(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit", 1)


@public(method=True)
def vsplit(input, indices_or_sections):  # noqa: A002
    """Split along dim 0 of a tensor of at least 2 dims, as ``tensor_split``."""
    return _split_dir(input, indices_or_sections, 0, "vsplit", 2)


@public(method=True)
def dsplit(input, indices_or_sections):  # noqa: A002
    """Split along dim 2 of a tensor of at least 3 dims, as ``tensor_split``."""
    return _split_dir(input, indices_or_sections, 2, "dsplit", 3)


@public(method=True)
def unbind(input, dim: int = 0):  # noqa: A002
    d = wrap_dim(dim, input.ndim, "unbind")
    out = tuple(getitem_p(input, idx=(slice(None),) * d + (i,)) for i in range(input.shape[d]))
    return _multi_output_views(out, "Unbind")


def _index_arg(index, name):
    T = Tensor
    if isinstance(index, T):
        if index.dtype.kind not in "iu":
            raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")
        return index._data
    a = np.asarray(index)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {a.dtype}")
    return a


@public(method=True)
def gather(input, dim: int, index, *, sparse_grad: bool = False):  # noqa: A002
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for ``dim=1``)."""
    idx = _index_arg(index, "gather")
    nd = input.ndim
    d = wrap_dim(dim, nd, "gather")
    if idx.ndim != builtins.max(nd, 1):
        raise RuntimeError(
            f"gather(): Index tensor must have the same number of dimensions as "
            f"input tensor (index has {idx.ndim}, input has {nd})"
        )
    for k in range(nd):
        if k != d and idx.shape[k] > input.shape[k]:
            raise RuntimeError(
                f"gather(): Size does not match at dimension {k} expected index "
                f"{list(idx.shape)} to be smaller than self {list(input.shape)} "
                f"apart from dimension {d}"
            )
    n = input.shape[d] if nd else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise RuntimeError(
            f"gather(): index {bad} is out of bounds for dimension {d} with size {n}"
        )
    x = input
    if any(idx.shape[k] < input.shape[k] for k in range(nd) if k != d):
        x = getitem_p(
            input, idx=tuple(slice(0, idx.shape[k]) if k != d else slice(None) for k in range(nd))
        )
    return gather_p(x, idx % n if idx.size and idx.min() < 0 else idx, axis=d)


@public(method=True)
def take_along_dim(input, indices, dim=None):  # noqa: A002
    idx = _index_arg(indices, "take_along_dim")
    if dim is None:
        return gather_p(flatten(input), idx.reshape(-1), axis=0)
    d = wrap_dim(dim, input.ndim, "take_along_dim")
    shp = list(
        np.broadcast_shapes(
            tuple(input.shape[:d]) + (1,) + tuple(input.shape[d + 1 :]),
            idx.shape[:d] + (1,) + idx.shape[d + 1 :],
        )
    )
    xs = list(shp)
    xs[d] = input.shape[d]
    ishp = list(shp)
    ishp[d] = idx.shape[d]
    x = broadcast_to_p(input, shape=tuple(xs)) if tuple(xs) != tuple(input.shape) else input
    return gather_p(x, np.broadcast_to(idx, ishp), axis=d)


def _check_scatter_sizes(name, input, d, idx, src):
    T = Tensor
    for k in range(idx.ndim):
        too_big_self = k != d and k < input.ndim and idx.shape[k] > input.shape[k]
        too_big_src = isinstance(src, T) and src.ndim and idx.shape[k] > src.shape[k]
        if too_big_self or too_big_src:
            raise RuntimeError(
                f"{name}: Expected index {list(idx.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {d} and to be no larger size than "
                f"src {list(src.shape) if isinstance(src, T) else []}"
            )


@public(method=True, inplace=True)
def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """Out-of-place ``scatter``: a copy of ``input`` with ``src`` (or ``value``) written at
    ``index`` along ``dim``."""
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter(reduce={reduce!r}): only 'add' is supported")
        return scatter_add(input, dim, index, src)
    idx = _index_arg(index, "scatter")
    d = wrap_dim(dim, input.ndim, "scatter")
    n = input.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise RuntimeError(
            f"scatter(): index {idx.max() if idx.max() >= n else idx.min()} is out "
            f"of bounds for dimension {d} with size {n}"
        )
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() needs src or value")
    _check_scatter_sizes("scatter", input, d, idx, src)
    T = Tensor
    if not isinstance(src, T):
        src = float(src) if input.dtype.kind == "f" else src
    return scatter_p(input, idx, src, axis=d)


@public(method=True, inplace=True)
def scatter_add(input, dim: int, index, src):  # noqa: A002
    idx = _index_arg(index, "scatter_add")
    d = wrap_dim(dim, input.ndim, "scatter_add")
    n = input.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise RuntimeError(
            f"scatter_add(): index {bad} is out of bounds for dimension {d} with size {n}"
        )
    _check_scatter_sizes("scatter_add", input, d, idx, src)
    from .elementwise import add_p

    return add_p(input, scatter_add_p(src, idx, axis=d, shape=tuple(input.shape)))


@public(method=True)
def index_select(input, dim: int, index):  # noqa: A002
    idx = _index_arg(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, input.ndim, "index_select")
    n = input.shape[d] if input.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise RuntimeError(
            f"index_select(): index {bad} out of range for dimension {d} with size {n}"
        )
    return index_select_p(input, idx.reshape(-1), axis=d)


@public(method=True)
def masked_select(input, mask):  # noqa: A002
    T = Tensor
    m = mask._data if isinstance(mask, T) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    x = input if tuple(input.shape) == shape else broadcast_to_p(input, shape=shape)
    return index_p(x, idx=(np.broadcast_to(m, shape),))  # a copy, not a view


@public(method=True, inplace=True)
def masked_fill(input, mask, value):  # noqa: A002
    """Fill ``input`` with ``value`` where ``mask`` is True (``mask`` broadcasts)."""
    from .elementwise import masked_fill as mf

    T = Tensor
    m = mask._data if isinstance(mask, T) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    try:
        if np.broadcast_shapes(tuple(input.shape), m.shape) != tuple(input.shape):
            raise ValueError
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the mask of shape {m.shape} cannot be broadcast to the "
            f"input of shape {tuple(input.shape)}"
        ) from None
    if isinstance(value, T):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
    return mf(input, m, value)


@public(method=True, inplace=True)
def tril(input, diagonal: int = 0):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError(f"tril: input tensor must have at least 2 dimensions, got {input.ndim}")
    return tril_p(input, k=diagonal)


@public(method=True, inplace=True)
def triu(input, diagonal: int = 0):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError(f"triu: input tensor must have at least 2 dimensions, got {input.ndim}")
    return triu_p(input, k=diagonal)


@public(method=True)
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):  # noqa: A002
    nd = input.ndim
    a = wrap_dim(dim1, nd, "diagonal")
    b = wrap_dim(dim2, nd, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return diagonal_p(input, offset=offset, axis1=a, axis2=b)


@public(method=True)
def diag(input, diagonal: int = 0):  # noqa: A002
    """1-D input: a square matrix with it on the ``diagonal``; 2-D: that diagonal."""
    if input.ndim == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        return diag_embed_p(input, offset=diagonal, axis1=0, axis2=1, shape=(n, n))
    if input.ndim == 2:  # a copy, as PyTorch's
        return clone(diagonal_p(input, offset=diagonal, axis1=0, axis2=1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@public(method=True)
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):  # noqa: A002
    nd = input.ndim + 1
    a = wrap_dim(dim1, nd, "diag_embed")
    b = wrap_dim(dim2, nd, "diag_embed")
    n = input.shape[-1] + builtins.abs(offset)
    rest = list(input.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(n if i in (a, b) else rest.pop(0))
    return diag_embed_p(input, offset=offset, axis1=a, axis2=b, shape=tuple(shape))


def pad(input, pad, mode: str = "constant", value=None):  # noqa: A002
    """Constant padding; ``pad`` lists (left, right) pairs starting from the last dim."""
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension "
            f"{input.ndim}"
        )
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        lo, hi = int(pad[2 * i]), int(pad[2 * i + 1])
        pairs[input.ndim - 1 - i] = (lo, hi)
    if any(lo < 0 or hi < 0 for lo, hi in pairs):
        # negative padding crops
        sl = tuple(
            slice(builtins.max(-lo, 0), n - builtins.max(-hi, 0))
            for (lo, hi), n in zip(pairs, input.shape)
        )
        input = getitem_p(input, idx=sl)
        pairs = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs]
    out = pad_p(input, pad=tuple(pairs), value=0.0 if value is None else value)
    return named(out, "ConstantPadNdBackward0", input)


@public(method=True)
def sum_to_size(input, *size):  # noqa: A002
    return sum_to(input, shape=_shape_arg(size, "sum_to_size"))


@public()
def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D tensors (``indexing='ij'`` as PyTorch's default, or 'xy')."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}"
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"meshgrid expects all tensors to have 0 or 1 dimensions, got {t.ndim}"
            )
    sizes = [builtins.max(t.numel(), 1) if t.ndim else 1 for t in tensors]
    ts = list(tensors)
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        shp = [1] * len(ts)
        shp[i] = sizes[i]
        out.append(expand(reshape_p(t, shape=tuple(shp)), *sizes))
    if indexing == "xy" and len(out) >= 2:
        out = [o.transpose(0, 1) for o in out]
        out[0], out[1] = out[1], out[0]
    return tuple(out)


@public(method=True, inplace=True)
def index_fill(input, dim: int, index, value):  # noqa: A002
    """``input`` with the entries at ``index`` along ``dim`` set to ``value``."""
    d = wrap_dim(dim, input.ndim, "index_fill")
    idx = _index_arg(index, "index_fill")
    mask = np.zeros(input.shape[d] if input.ndim else 1, dtype=bool)
    mask[idx] = True
    shp = [1] * input.ndim
    if input.ndim:
        shp[d] = input.shape[d]
    return masked_fill(input, mask.reshape(shp), value)


# ---------------------------------------------------------------------------------------
# atleast_nd, column_stack, dstack, block_diag, cartesian_prod, combinations, kron, rot90,
# repeat_interleave


def _tensor_args(tensors, name):
    """``f(a, b)`` and ``f([a, b])`` both name a sequence; ``f(a)`` one tensor."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i}, got {type(t).__name__}")
    return tensors, single


def _atleast(tensors, name, shape_of):
    ts, single = _tensor_args(tensors, name)
    out = []
    for t in ts:
        shape = shape_of(tuple(t.shape))
        # a tensor with enough dims is returned as is (as PyTorch does), not as a view of itself
        out.append(t if shape == tuple(t.shape) else reshape_p(t, shape=shape))
    return out[0] if single else tuple(out)


@public()
def atleast_1d(*tensors):
    """Each tensor as a view with at least 1 dim (0-d becomes ``(1,)``); one tensor in, one out,
    else a tuple."""
    return _atleast(tensors, "atleast_1d", lambda s: s or (1,))


@public()
def atleast_2d(*tensors):
    """At least 2 dims: ``()`` -> ``(1, 1)``, ``(n,)`` -> ``(1, n)``."""
    return _atleast(tensors, "atleast_2d", lambda s: (1,) * builtins.max(2 - len(s), 0) + s)


@public()
def atleast_3d(*tensors):
    """At least 3 dims: ``()`` -> ``(1, 1, 1)``, ``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``."""

    def shape3(s):
        if len(s) == 0:
            return (1, 1, 1)
        if len(s) == 1:
            return (1, s[0], 1)
        if len(s) == 2:
            return s + (1,)
        return s

    return _atleast(tensors, "atleast_3d", shape3)


def _nonempty_list(tensors, name):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


@public()
def column_stack(tensors):
    """Stack as columns: 0-d and 1-d tensors become ``(n, 1)`` columns, then ``hstack``."""
    ts = _nonempty_list(tensors, "column_stack")
    cols = [reshape_p(t, shape=(t.numel(), 1)) if t.ndim <= 1 else t for t in ts]
    return cat(cols, 1)


@public()
def dstack(tensors):
    """Concatenate along the third dim after :func:`atleast_3d`."""
    ts = _nonempty_list(tensors, "dstack")
    return cat(list(atleast_3d(ts)), 2)


@public()
def block_diag(*tensors):
    """A block-diagonal matrix of the inputs (0-d is ``(1, 1)``, 1-d ``(1, n)``).

    Returns
    -------
    Tensor
        ``(sum of rows, sum of columns)``, in the promoted dtype of the inputs.
    """
    ts, _ = _tensor_args(tensors, "block_diag")
    if not ts:
        return Tensor._wrap(np.zeros((1, 0), dtype=_default_float()))
    mats = []
    for i, t in enumerate(ts):
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                f"has {t.ndim} dimensions"
            )
        mats.append(
            reshape_p(t, shape=(1, 1) if t.ndim == 0 else (1, t.shape[0])) if t.ndim < 2 else t
        )
    ncols = builtins.sum(m.shape[1] for m in mats)
    # each block padded with zero columns to the full width, then stacked: two passes over
    # the output, and pad/cat are each other's VJPs (a getitem per block)
    rows, c0 = [], 0
    for m in mats:
        c = m.shape[1]
        rows.append(pad_p(m, pad=((0, 0), (c0, ncols - c0 - c)), value=0))
        c0 += c
    return cat_p(*rows, axis=0)


def _default_float():
    from .. import dtypes as _dt

    return _dt.get_default_dtype()


@public()
def cartesian_prod(*tensors):
    """The Cartesian product of 1-D tensors, as rows of an ``(N, len(tensors))`` tensor (a
    single tensor is returned as it is)."""
    ts, _ = _tensor_args(tensors, "cartesian_prod")
    for t in ts:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape_p(g, shape=(-1,)) for g in grids], 1)


@public()
def combinations(input, r: int = 2, with_replacement: bool = False):  # noqa: A002
    """The length-``r`` combinations of the elements of a 1-D tensor, as rows (like
    ``itertools.combinations``, or ``combinations_with_replacement``)."""
    import itertools

    from .indexing import index_p

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return index_p(input, idx=(np.zeros(0, dtype=np.int64),))
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return index_p(input, idx=(idx,))


@public(method=True)
def kron(input, other):  # noqa: A002
    """Kronecker product: ``out[i * b + j] = input[i] * other[j]`` along every dim (the shorter
    shape padded with leading ones)."""
    from .elementwise import mul as _mul

    nd = builtins.max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = reshape_p(input, shape=tuple(v for s in sa for v in (s, 1)))
    b = reshape_p(other, shape=tuple(v for s in sb for v in (1, s)))
    # one broadcast product (mul's VJP sums back over the broadcast dims), then a reshape
    return reshape_p(_mul(a, b), shape=tuple(x * y for x, y in zip(sa, sb)))


@public(method=True)
def rot90(input, k: int = 1, dims=(0, 1)):  # noqa: A002
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second), as a flip and a transpose."""
    from .elementwise import clone

    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0 = wrap_dim(dims[0], input.ndim, "rot90")
    d1 = wrap_dim(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}"
        )
    k = operator.index(k) % 4
    if k == 1:
        return transpose(flip_p(input, axis=(d1,)), d0, d1)
    if k == 2:
        return flip_p(input, axis=(d0, d1))
    if k == 3:
        return transpose(flip_p(input, axis=(d0,)), d0, d1)
    return clone(input)


def _repeats_arg(repeats, n):
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave\" not implemented for '{r.dtype}'")
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        if r.ndim == 1 and r.shape[0] not in (1, n):
            return r, False
        return np.broadcast_to(r.reshape(-1), (n,)) if r.size == 1 else r, True
    r = operator.index(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    return np.full(n, r, dtype=np.int64), True


@public(method=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Repeat each element (each slice along ``dim``) ``repeats`` times; ``dim=None`` repeats
    the flattened input. ``repeat_interleave(repeats)`` alone gives the repeated indices
    ``0, 1, ...``."""
    if repeats is None:  # torch.repeat_interleave(repeats): the index form
        r, _ = _repeats_arg(input, input.shape[0] if input.ndim else 1)
        if input.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return Tensor._wrap(np.repeat(np.arange(r.shape[0], dtype=np.int64), r))
    x = input
    if dim is None:
        x = reshape_p(input, shape=(-1,))
        d = 0
    else:
        d = wrap_dim(dim, input.ndim, "repeat_interleave")
        if input.ndim == 0:
            x = reshape_p(input, shape=(1,))
    n = x.shape[d]
    r, ok = _repeats_arg(repeats, n)
    if not ok:
        raise RuntimeError(
            f"repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{r.shape[0]} and input.size({d}) = {n}"
        )
    idx = np.repeat(np.arange(n, dtype=np.int64), r)
    if output_size is not None and output_size != idx.shape[0]:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {idx.shape[0]} but got {output_size}"
        )
    # an index_select: its VJP (index_add) sums the copies back
    return index_select_p(x, idx, axis=d)


# ---------------------------------------------------------------------------------------
# index_add, index_copy, scatter_reduce


def _index_vector(index, name, ndim_msg):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(ndim_msg[0].format(dtype=idx.dtype))
    if idx.ndim > 1:
        raise IndexError(ndim_msg[1].format(ndim=idx.ndim, shape=list(idx.shape)))
    return idx.reshape(-1).astype(np.int64, copy=False)


def _as_1d(t):
    return reshape_p(t, shape=(1,)) if t.ndim == 0 else t


@public(method=True, inplace=True)
def index_add(input, dim: int, index, source, *, alpha=1):  # noqa: A002
    """``input`` with ``alpha * source`` added at the positions ``index`` along ``dim``
    (repeated indices accumulate).

    Parameters
    ----------
    input : Tensor
        Shape ``(..., n, ...)`` with ``n`` at ``dim``.
    index : Tensor
        1-D integer tensor of ``k`` entries in ``[0, n)``.
    source : Tensor
        ``input``'s shape with ``k`` at ``dim``, and ``input``'s dtype.
    """
    idx = _index_vector(
        index,
        "index_add",
        (
            "index_add_(): Expected dtype int32/int64 for index but got: {dtype}",
            "index_add_(): Index is supposed to be a vector, but got dim: {ndim} with type: "
            "Long and size: {shape}",
        ),
    )
    d = wrap_dim(dim, input.ndim, "index_add")
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_add_(): self ({input.dtype}) and source ({source.dtype}) must have the same "
            f"scalar type"
        )
    x, s = _as_1d(input), _as_1d(source)
    if x.ndim != s.ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, s.shape)) if k != d):
        raise RuntimeError(
            f"source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}"
        )
    if idx.shape[0] != s.shape[d]:
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.shape[0]}) should be equal to "
            f"source.size(dim): ({s.shape[d]}), for dim: {dim}"
        )
    n = x.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    from .elementwise import add_p
    from .elementwise import mul as _mul

    if alpha != 1:
        s = _mul(s, alpha)
    out = add_p(x, index_add_p(s, idx, axis=d, shape=tuple(x.shape)))
    return reshape_p(out, shape=()) if input.ndim == 0 else out


@public(method=True, inplace=True)
def index_copy(input, dim: int, index, source):  # noqa: A002
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s (with
    repeated indices, one of the copies wins)."""
    from .indexing import index_put_p

    idx = _index_vector(
        index,
        "index_copy",
        (
            "index_copy_(): Expected a long tensor for index, but got {dtype}",
            "index_copy_(): Index should have dimension 1 or 0 (got {ndim})",
        ),
    )
    d = wrap_dim(dim, input.ndim, "index_copy")
    if input.ndim and source.ndim != input.ndim:
        raise IndexError(
            f"index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
            f"({input.ndim})"
        )
    x, s = _as_1d(input), _as_1d(source)
    if idx.shape[0] != s.shape[d]:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.shape[0]}) should be equal to "
            f"source.size(dim) ({s.shape[d]})"
        )
    for k in range(x.ndim):
        if k != d and x.shape[k] != s.shape[k]:
            raise RuntimeError(
                f"index_copy_(): Source/destination tensor must have same slice shapes. "
                f"Destination slice shape: {x.shape[k]} at dimension {k} and source slice "
                f"shape: {s.shape[k]} at dimension {k}."
            )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{input.dtype} and (source) {source.dtype}"
        )
    n = x.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(
            f"index_copy_(): index {bad} is out of bounds for dimension {d} with size {n}"
        )
    # index_put's VJPs are index_copy's: zeros at the copied slices for input, a gather for
    # source
    out = index_put_p(x, s, idx=(slice(None),) * d + (idx,))
    return reshape_p(out, shape=()) if input.ndim == 0 else out


_REDUCE_INIT = {"sum": 0, "mean": 0, "prod": 1}


def _scatter_reduce_fwd(x, index, src, axis, reduce, include_self):
    out = x.copy()
    idx = _along_axis_index(index, axis)
    s = src[tuple(slice(0, n) for n in index.shape)]
    if not include_self:
        if reduce in _REDUCE_INIT:
            init = _REDUCE_INIT[reduce]
        else:
            big = np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).max
            init = -big if reduce == "amax" else big
        out[idx] = init
    if reduce in ("sum", "mean"):
        np.add.at(out, idx, s)
    elif reduce == "prod":
        np.multiply.at(out, idx, s)
    elif reduce == "amax":
        np.maximum.at(out, idx, s)
    else:
        np.minimum.at(out, idx, s)
    if reduce == "mean":
        n = _scatter_count(index, axis, x.shape, include_self)
        out = np.floor_divide(out, n) if x.dtype.kind in "iub" else out / n.astype(x.dtype)
    return out


def _scatter_count(index, axis, shape, include_self):
    """How many values each position averages (at least 1)."""
    n = np.zeros(shape, dtype=np.int64)
    np.add.at(n, _along_axis_index(index, axis), 1)
    if include_self:
        n += 1
    return np.maximum(n, 1)


def _scattered(index, axis, shape):
    """Boolean mask of the positions some index writes to."""
    m = np.zeros(shape, dtype=bool)
    m[_along_axis_index(index, axis)] = True
    return m


def _to_src(g, index, axis, src_shape):
    """Gather ``g`` at ``index`` into ``src``'s shape (src entries beyond the index get 0)."""
    g = _gather_block(g, index, axis)
    if tuple(src_shape) != tuple(index.shape):
        g = pad_p(g, pad=tuple((0, s - i) for s, i in zip(src_shape, index.shape)), value=0.0)
    return g


def _arr(v):
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def _take_block(a, index, axis):
    """``take_along_axis`` over the block the index spans (no broadcasting of the index)."""
    blk = tuple(slice(0, n) if k != axis else slice(None) for k, n in enumerate(index.shape))
    return np.take_along_axis(a[blk], index, axis)


def _src_block(src, index):
    return getitem_p(src, idx=tuple(slice(0, n) for n in index.shape))


def _scatter_reduce_vjp_x(grad, ans, x, index, src, axis, reduce, include_self):
    from .elementwise import div_p, where_p
    from .elementwise import mul as _mul

    if reduce == "sum":
        g = grad
    elif reduce == "mean":
        g = div_p(grad, _scatter_count(index, axis, x.shape, include_self).astype(x.dtype))
    elif reduce == "prod":
        # grad * (product of everything else at the position): the result with self set to 1
        # where it is 0 (so that zeros in self need no division), divided by that self
        masked = where_p(_arr(x) == 0, 1.0, x)
        g = _mul(
            grad,
            div_p(
                scatter_reduce_p(
                    masked, index, src, axis=axis, reduce=reduce, include_self=include_self
                ),
                masked,
            ),
        )
    else:
        g = _mul(div_p(grad, _amax_count(ans, x, index, src, axis)), _arr(x) == _arr(ans))
    if not include_self:
        g = where_p(_scattered(index, axis, x.shape), 0.0, g)
    return g


def _amax_count(ans, x, index, src, axis):
    """Ties share the gradient: the number of values (self, even when excluded, as PyTorch
    counts it, and each src) equal to the result at each position."""
    a = _arr(ans)
    n = (_arr(x) == a).astype(a.dtype)
    hit = _arr(src)[tuple(slice(0, k) for k in index.shape)] == _take_block(a, index, axis)
    np.add.at(n, _along_axis_index(index, axis), hit)
    return n


def _scatter_reduce_vjp_src(grad, ans, x, index, src, axis, reduce, include_self):
    from .elementwise import div_p, where_p
    from .elementwise import mul as _mul

    if reduce == "sum":
        return _to_src(grad, index, axis, src.shape)
    if reduce == "mean":
        n = _scatter_count(index, axis, x.shape, include_self).astype(grad.dtype)
        return _to_src(div_p(grad, n), index, axis, src.shape)
    if reduce == "prod":
        # grad * result / src, except for a src that is the only zero at its position: there
        # the product of the others is the result recomputed with that zero set to 1
        s = _arr(src)
        zero = s == 0
        nz = np.zeros(x.shape, dtype=np.int64)
        np.add.at(nz, _along_axis_index(index, axis), zero[tuple(slice(0, k) for k in index.shape)])
        single = np.zeros(s.shape, dtype=bool)
        blk = tuple(slice(0, k) for k in index.shape)
        single[blk] = zero[blk] & (_take_block(nz, index, axis) == 1)
        plain = div_p(_to_src(_mul(grad, ans), index, axis, src.shape), where_p(zero, 1.0, src))
        if not single.any():
            return plain
        masked = where_p(single, 1.0, src)
        others = _to_src(
            _mul(
                grad,
                scatter_reduce_p(
                    x, index, masked, axis=axis, reduce=reduce, include_self=include_self
                ),
            ),
            index,
            axis,
            src.shape,
        )
        return where_p(single, others, plain)
    n = _amax_count(ans, x, index, src, axis)
    value = _take_block(_arr(ans), index, axis)
    hit = _arr(src)[tuple(slice(0, k) for k in index.shape)] == value
    g = _mul(_gather_block(div_p(grad, n), index, axis), hit)
    if tuple(src.shape) != tuple(index.shape):
        g = pad_p(g, pad=tuple((0, s - i) for s, i in zip(src.shape, index.shape)), value=0.0)
    return g


scatter_reduce_p = Op("scatter_reduce", _scatter_reduce_fwd, save=(0, 1, 2), save_out=True).defvjp(
    _scatter_reduce_vjp_x, None, _scatter_reduce_vjp_src
)


@public(method=True, inplace=True)
def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):  # noqa: A002
    """Reduce ``src`` into a copy of ``input`` at ``index`` along ``dim``.

    ``reduce`` is ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``; with
    ``include_self=False`` the values of ``input`` at the written positions are left out.
    Gradients are PyTorch's: ties of ``amax``/``amin`` share the gradient evenly, ``prod``
    handles a single zero per position (several zeros give a zero gradient).
    """
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if not isinstance(index, Tensor) or not isinstance(src, Tensor):
        raise TypeError("scatter_reduce(): index and src must be Tensors")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    nd = builtins.max(input.ndim, 1)
    if idx.ndim != nd or builtins.max(src.ndim, 1) != nd:
        raise RuntimeError(
            "Index tensor must have the same number of dimensions as self tensor"
            if idx.ndim != nd
            else "Index tensor must have the same number of dimensions as src tensor"
        )
    d = wrap_dim(dim, input.ndim, "scatter_reduce")
    x, s = _as_1d(input), _as_1d(src)
    _check_scatter_sizes("scatter_reduce", x, d, idx, s)
    n = x.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    out = scatter_reduce_p(
        x, idx.astype(np.int64, copy=False), s, axis=d, reduce=reduce, include_self=include_self
    )
    return reshape_p(out, shape=()) if input.ndim == 0 else out


# ---------------------------------------------------------------------------------------
# tril_indices / triu_indices, diff, unfold, masked_scatter


def _tri_indices(name, row, col, offset, dtype, np_fn):
    from .. import dtypes as _dt
    from ..tensor import _wrap

    for what, v in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(v, builtins.bool) or not isinstance(v, (builtins.int, np.integer)):
            raise TypeError(f"{name}(): argument '{what}' must be int, not {type(v).__name__}")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = _dt.to_dtype(dtype)
    if dt.kind not in "iu":
        from ._registry import _torch_dtype_name

        raise NotImplementedError(f"\"{name}\" not implemented for '{_torch_dtype_name(dt)}'")
    # NumPy lists the entries row by row, as PyTorch does
    r, c = np_fn(int(row), int(offset), int(col))
    return _wrap(np.stack([r, c]).astype(dt, copy=False))


@public()
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=np.int64) -> Tensor:
    """Indices of the lower triangle of a ``row x col`` matrix, shape ``(2, N)``.

    Row 0 holds the row indices and row 1 the column indices, in row-major order; ``offset``
    moves the diagonal (positive: above the main diagonal is included).
    """
    return _tri_indices("tril_indices", row, col, offset, dtype, np.tril_indices)


@public()
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=np.int64) -> Tensor:
    """Indices of the upper triangle of a ``row x col`` matrix, shape ``(2, N)`` (see
    :func:`tril_indices`)."""
    return _tri_indices("triu_indices", row, col, offset, dtype, np.triu_indices)


@public(method=True)
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):  # noqa: A002
    """The ``n``-th forward difference along ``dim``: ``out[i] = input[i + 1] - input[i]``.

    ``prepend`` and ``append`` are concatenated to ``input`` along ``dim`` first; they need
    ``input``'s number of dimensions and its sizes except along ``dim``. Boolean inputs give
    ``input[i + 1] != input[i]`` (PyTorch's logical xor). Composed from slicing and ``sub``, so
    the gradient follows.

    Shapes: ``(..., L, ...)`` gives ``(..., max(L' - n, 0), ...)``, ``L'`` the length after
    ``prepend`` and ``append``.
    """
    from .elementwise import logical_xor, sub_p

    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if isinstance(n, builtins.bool) or not isinstance(n, (builtins.int, np.integer)):
        raise TypeError(f"diff(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim, "diff")
    for other in (prepend, append):
        if other is None:
            continue
        if not isinstance(other, Tensor):
            raise TypeError(
                f"diff(): argument 'prepend/append' must be Tensor, not {type(other).__name__}"
            )
        if other.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for k in range(input.ndim):
            if k != d and other.shape[k] != input.shape[k]:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    f"input except along the differencing dimension; input.size({k}) = "
                    f"{input.shape[k]}, but got tensor.size({k}) = {other.shape[k]}"
                )
    if prepend is not None or append is not None:
        seq = [t for t in (prepend, input, append) if t is not None]
        input = cat_p(*seq, axis=d)
    head = (slice(None),) * d
    for _ in range(n):
        if input.shape[d] == 0:
            break
        hi = getitem_p(input, idx=head + (slice(1, None),))
        lo = getitem_p(input, idx=head + (slice(None, -1),))
        input = logical_xor(hi, lo) if input.dtype == np.bool_ else sub_p(hi, lo)
    return input if n else getitem_p(input, idx=())


def _unfold_fwd(x, axis, size, step):
    from numpy.lib.stride_tricks import sliding_window_view

    w = sliding_window_view(x, size, axis=axis, writeable=x.flags.writeable)
    return w[(slice(None),) * axis + (slice(None, None, step),)]


def _unfold_vjp(grad, ans, x, axis, size, step):
    return unfold_backward_p(grad, axis=axis, size=size, step=step, shape=x.shape)


unfold_p = Op("unfold", _unfold_fwd, view=True).defvjp(_unfold_vjp)


def _unfold_backward_fwd(g, axis, size, step, shape):
    """Scatter-add the windows of ``g`` (``unfold``'s layout) back into zeros of ``shape``."""
    out = np.zeros(shape, dtype=g.dtype)
    count = g.shape[axis]
    if count == 0 or size == 0:
        return out
    o = np.moveaxis(out, axis, -1)  # a view: the adds below land in ``out``
    gm = np.moveaxis(g, axis, -2)  # (..., count, size)
    stop = step * (count - 1) + 1
    if step >= size:  # windows do not overlap: one strided write
        o_win = _unfold_fwd(o, o.ndim - 1, size, step)
        o_win[...] = gm
        return out
    for k in range(size):  # one vectorised add per position in the window
        o[..., k : k + stop : step] += gm[..., k]
    return out


def _unfold_backward_vjp(grad, ans, g, axis, size, step, shape):
    return unfold_p(grad, axis=axis, size=size, step=step)


unfold_backward_p = Op("unfold_backward", _unfold_backward_fwd).defvjp(_unfold_backward_vjp)


@public(function=False, method=True)
def unfold(input, dimension: int, size: int, step: int):  # noqa: A002
    """All slices of length ``size`` along ``dimension``, ``step`` apart, as a new last dim.

    A view of ``input`` (as in PyTorch); writing into it writes into ``input``. The gradient
    adds the overlapping windows back together.

    Shapes: ``(..., L, ...)`` gives ``(..., (L - size) // step + 1, ..., size)``.
    """
    d = wrap_dim(dimension, input.ndim, "unfold")
    n = input.shape[d] if input.ndim else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input.ndim == 0:
        return getitem_p(reshape_p(input, shape=(1,)), idx=(slice(0, size),))
    return unfold_p(input, axis=d, size=int(size), step=int(step))


def _masked_scatter_fwd(x, source, mask):
    out = np.array(np.broadcast_to(x, mask.shape))
    out[mask] = source.reshape(-1)[: np.count_nonzero(mask)]
    return out


def _masked_scatter_vjp_x(grad, ans, x, source, mask):
    from .elementwise import masked_fill as mf

    return mf(grad, mask, 0.0)


def _masked_scatter_vjp_source(grad, ans, x, source, mask):
    taken = getitem_p(grad, idx=(mask,))
    n = int(np.prod(source.shape))
    flat = pad_p(taken, pad=((0, n - taken.shape[0]),))
    return reshape_p(flat, shape=tuple(source.shape))


masked_scatter_p = Op("masked_scatter", _masked_scatter_fwd).defvjp(
    _masked_scatter_vjp_x, _masked_scatter_vjp_source
)


@public(method=True, inplace=True)
def masked_scatter(input, mask, source):  # noqa: A002
    """Copy ``source``'s elements, in order, into ``input`` where ``mask`` is True.

    ``mask`` (bool) broadcasts with ``input``; ``source`` needs ``input``'s dtype and at least
    as many elements as ``mask`` has True entries. Gradients: ``input`` gets ``grad`` where
    ``mask`` is False; ``source``'s first ``mask.sum()`` elements get ``grad[mask]``, the rest
    zero.
    """
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        from ._registry import _torch_dtype_name

        raise RuntimeError(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{_torch_dtype_name(m.dtype)}"
        )
    if not isinstance(source, Tensor):
        raise TypeError(
            f"masked_scatter(): argument 'source' must be Tensor, not {type(source).__name__}"
        )
    if source.dtype != input.dtype:
        from ._registry import _torch_dtype_name

        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_torch_dtype_name(input.dtype)} and {_torch_dtype_name(source.dtype)}"
        )
    try:
        shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_scatter: the mask of shape {m.shape} cannot be broadcast with the input "
            f"of shape {tuple(input.shape)}"
        ) from None
    m = np.broadcast_to(m, shape)
    if np.count_nonzero(m) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return masked_scatter_p(input, source, mask=m)
