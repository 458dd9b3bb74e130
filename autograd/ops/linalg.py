"""Linear algebra: matmul (batched, broadcasting), mm, bmm, dot, outer, einsum, tensordot,
``linalg.inv``, ``linalg.det``, ``linalg.solve``, ``linalg.norm``.

Every contraction goes to BLAS through ``np.matmul``/``np.einsum(optimize=True)``.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..graph import named
from ._registry import Op, public
from .elementwise import add_p, mul, neg
from .shape import permute_p, reshape_p


def _mT(x):
    nd = x.ndim
    dims = list(range(nd))
    dims[-1], dims[-2] = dims[-2], dims[-1]
    return permute_p(x, dims=tuple(dims))


def _unsq(x, axis):
    shp = list(x.shape)
    shp.insert(axis if axis >= 0 else len(shp) + 1 + axis, 1)
    return reshape_p(x, shape=tuple(shp))


def _sq(x, axis):
    shp = list(x.shape)
    del shp[axis]
    return reshape_p(x, shape=tuple(shp))


def _matmul_vjp_a(grad, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return mul(grad, b)
    if b.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
        return mul(_unsq(grad, -1), b)
    if a.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
        return _sq(matmul_p(_unsq(grad, -2), _mT(b)), -2)
    return matmul_p(grad, _mT(b))


def _matmul_vjp_b(grad, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return mul(grad, a)
    if a.ndim == 1:  # grad (..., n): outer(a, grad)
        return mul(_unsq(a, -1), _unsq(grad, -2))
    if b.ndim == 1:  # a (..., m, k), grad (..., m)
        return _sq(matmul_p(_mT(a), _unsq(grad, -1)), -1)
    if a.ndim > 2 and b.ndim == 2:
        # fold the batch into the rows: one BLAS call, and a C-ordered (k, n) result
        k = a.shape[-1]
        a2 = reshape_p(a, shape=(-1, k))
        g2 = reshape_p(grad, shape=(-1, grad.shape[-1]))
        return matmul_p(_mT(a2), g2)
    return matmul_p(_mT(a), grad)


def _matmul_node_name(node) -> str:
    # PyTorch dispatches matmul by rank: mm, mv, dot (batched ranks show a view's name there)
    ranks = tuple(len(s) for s in node.shapes)
    names = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
    names[3, 3] = "BmmBackward0"
    return names.get(ranks, "MatmulBackward0")


matmul_p = Op(
    "matmul", np.matmul, save_for=((1,), (0,)), promote="arith", node_name=_matmul_node_name
).defvjp(_matmul_vjp_a, _matmul_vjp_b)


def _einsum_fwd(*ops, eq):
    return np.einsum(eq, *ops, optimize=len(ops) > 2)


def _einsum_vjp(grad, ans, *ops, eq):
    ins, out = eq.split("->")
    ins = ins.split(",")
    grads = []
    for i, sub in enumerate(ins):
        others = [s for j, s in enumerate(ins) if j != i]
        others_ops = [o for j, o in enumerate(ops) if j != i]
        avail = set(out) | set("".join(others))
        kept = "".join(dict.fromkeys(c for c in sub if c in avail))
        geq = ",".join([out] + others) + "->" + kept
        g = einsum_p(grad, *others_ops, eq=geq)
        if len(set(sub)) != len(sub):
            g = _scatter_diagonal(g, kept, sub, ops[i].shape, eq)
        elif kept != sub:
            # letters summed inside operand i alone: broadcast back
            g = _expand_letters(g, kept, sub, ops[i].shape)
        grads.append(g)
    return grads


def _scatter_diagonal(g, kept, sub, shape, eq):
    """The gradient of an operand whose subscripts repeat a letter (``'ii'``, ``'bii'``):
    ``g`` (over the letters ``kept``) placed on the diagonal, zero elsewhere, as one einsum
    with identity matrices, so that it is differentiable again.

    Each repeat of a letter gets a fresh letter tied to the first by an identity matrix
    (``'ii'`` -> ``'ij'`` with ``eye[i, j]``); a letter summed inside the operand alone comes
    from its identities or, when it doesn't repeat, from a vector of ones (a broadcast).
    """
    used = set(eq)
    fresh = iter(c for c in _LETTERS if c not in used)
    dt = g.dtype
    out_letters, consts, const_subs, seen = [], [], [], set()
    for c, n in zip(sub, shape):
        if c in seen:
            f = next(fresh)
            consts.append(np.eye(n, dtype=dt))
            const_subs.append(c + f)
            out_letters.append(f)
            continue
        seen.add(c)
        out_letters.append(c)
        if c not in kept and sub.count(c) == 1:
            consts.append(np.ones(n, dtype=dt))
            const_subs.append(c)
    seq = ",".join([kept, *const_subs]) + "->" + "".join(out_letters)
    return einsum_p(g, *consts, eq=seq)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _expand_letters(g, kept, sub, shape):
    from .shape import broadcast_to_p

    # order as in sub, with size-1 dims for the missing letters, then broadcast
    perm = [kept.index(c) for c in sub if c in kept]
    if perm != sorted(perm):
        g = permute_p(g, dims=tuple(perm))
    order = [c for c in sub if c in kept]
    shp = []
    it = iter(range(len(order)))
    gs = list(g.shape)
    for c in sub:
        shp.append(gs[next(it)] if c in kept else 1)
    g = reshape_p(g, shape=tuple(shp))
    return broadcast_to_p(g, shape=tuple(shape))


einsum_p = Op("einsum", _einsum_fwd, save="all").defvjp_all(_einsum_vjp)
# one operand, nothing summed (``ii->i``, ``ij->ji``): NumPy returns a view, and the VJP reads
# no value
einsum_view_p = Op("einsum_view", _einsum_fwd, view=True, node_name="EinsumBackward0").defvjp_all(
    _einsum_vjp
)


def _inv_fwd(a):
    return np.linalg.inv(a)


def _inv_vjp(grad, ans, a):
    at = _mT(ans)
    return neg(matmul_p(matmul_p(at, grad), at))


inv_p = Op("inv", _inv_fwd, save_out=True).defvjp(_inv_vjp)


def _det_fwd(a):
    return np.linalg.det(a)


def _det_vjp(grad, ans, a):
    # d det(A) = det(A) * inv(A)^T
    return mul(_unsq(_unsq(mul(grad, ans), -1), -1), _mT(inv_p(a)))


det_p = Op("det", _det_fwd, save=(0,), save_out=True).defvjp(_det_vjp)


def _solve_fwd(a, b):
    return np.linalg.solve(a, b)


def _solve_vjp_b(grad, ans, a, b):
    return solve_p(_mT(a), grad)


def _solve_vjp_a(grad, ans, a, b):
    gb = solve_p(_mT(a), grad)
    return neg(matmul_p(gb, _mT(ans)))


solve_p = Op("solve", _solve_fwd, save=(0,), save_out=True, promote="arith").defvjp(
    _solve_vjp_a, _solve_vjp_b
)


def _cholesky_fwd(a):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise RuntimeError(
            "linalg.cholesky: The factorization could not be completed because the input is not "
            "positive-definite."
        ) from None


def _cholesky_vjp(grad, ans, a):
    # A = L L^T: gA = L^-T Phi L^-1 with Phi = sym(tril(L^T gL)) (diagonal counted once), the
    # symmetric gradient PyTorch returns. Both triangular solves go through ``solve``.
    from .elementwise import add_p
    from .shape import tril_p

    p = tril_p(matmul_p(_mT(ans), grad), k=0)
    phi = mul(add_p(p, _mT(tril_p(p, k=-1))), 0.5)
    left = solve_p(_mT(ans), phi)  # L^-T Phi
    return _mT(solve_p(_mT(ans), _mT(left)))  # (L^-T (L^-T Phi)^T)^T = L^-T Phi L^-1


cholesky_p = Op("cholesky", _cholesky_fwd, save_out=True).defvjp(_cholesky_vjp)

# ---------------------------------------------------------------------------------------
# public functions


def _Tensor():
    from ..tensor import Tensor

    return Tensor


@public(method=True)
def matmul(input, other):  # noqa: A002
    """Matrix product with NumPy/PyTorch semantics: 1-D operands are promoted and the batch
    dims broadcast."""
    a, b = tuple(input.shape), tuple(_shape(other))
    if not a or not b:
        raise RuntimeError(
            f"matmul: both arguments to matmul need to be at least 1D, but they "
            f"are {len(a)}D and {len(b)}D"
        )
    ka = a[-1]
    kb = b[-2] if len(b) >= 2 else b[0]
    if ka != kb:
        if len(a) >= 2 and len(b) >= 2:
            raise RuntimeError(
                f"matmul: input has shape {a} and other {b}; dim {len(a) - 1} of input ({ka}) "
                f"must equal dim {len(b) - 2} of other ({kb})"
            )
        raise RuntimeError(
            f"matmul: input has shape {a} and other {b}; the contracted sizes "
            f"({ka} and {kb}) must match"
        )
    if len(a) > 2 or len(b) > 2:
        try:
            np.broadcast_shapes(a[:-2], b[:-2])
        except ValueError:
            raise RuntimeError(
                f"matmul: the batch dims of input {a} and other {b} cannot be broadcast together"
            ) from None
    out = matmul_p(input, other)
    # the name PyTorch's matmul shows: it folds or expands to mm/mv/bmm and views back
    if len(a) > 2 or len(b) > 2:
        return named(out, "CloneBackward0" if len(a) == 2 else "UnsafeViewBackward0")
    if len(a) == 1 and len(b) == 2:
        return named(out, "SqueezeBackward4")
    return out


def _shape(x):
    return x.shape if hasattr(x, "shape") else np.shape(x)


@public(method=True)
def mm(input, mat2):  # noqa: A002
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(
            f"mm: self must be a matrix and mat2 must be a matrix, got "
            f"{input.ndim}D and {mat2.ndim}D"
        )
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
            f"{mat2.shape[0]}x{mat2.shape[1]})"
        )
    return matmul_p(input, mat2)


@public(method=True)
def bmm(input, mat2):  # noqa: A002
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            f"bmm: batch1 must be a 3D tensor and batch2 must be a 3D tensor, got "
            f"{input.ndim}D and {mat2.ndim}D"
        )
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"bmm: expected batch1 {tuple(input.shape)} and batch2 "
            f"{tuple(mat2.shape)} to have the same batch size and matching inner "
            f"dims"
        )
    return matmul_p(input, mat2)


@public(method=True)
def mv(input, vec):  # noqa: A002
    if input.ndim != 2 or vec.ndim != 1 or input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"mv: size mismatch, got input ({tuple(input.shape)}) and vec ({tuple(vec.shape)})"
        )
    return matmul_p(input, vec)


@public(method=True, aliases=("inner", "vdot"))
def dot(input, other):  # noqa: A002
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements, but got "
            f"{input.shape[0]} and {other.shape[0]} elements respectively"
        )
    return matmul_p(input, other)


@public(method=True, aliases=("ger",))
def outer(input, vec2):  # noqa: A002
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {input.ndim}D and {vec2.ndim}D")
    return mul(reshape_p(input, shape=(-1, 1)), reshape_p(vec2, shape=(1, -1)))


@public()
def einsum(equation: str, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" not in eq:
        ins = eq.split(",")
        letters = "".join(ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c != "."))
        if "..." in eq:
            out = "..." + out
        eq = eq + "->" + out
    if "..." in eq:
        eq = _expand_ellipsis(eq, operands)
    ins = eq.split("->")[0].split(",")
    if len(ins) != len(operands):
        raise RuntimeError(
            f"einsum(): {len(ins)} operands were specified in the equation but "
            f"{len(operands)} were given"
        )
    for i, (s, o) in enumerate(zip(ins, operands)):
        if len(s) != o.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) "
                f"does not match the number of dimensions ({o.ndim}) for operand "
                f"{i}"
            )
    if len(operands) == 1 and set(ins[0]) == set(eq.split("->")[1]):
        # nothing summed: a diagonal or a permutation, a view (as in PyTorch)
        return einsum_view_p(operands[0], eq=eq)
    return einsum_p(*operands, eq=eq)


def _expand_ellipsis(eq, operands):
    ins, out = eq.split("->")
    ins = ins.split(",")
    used = set(eq) - {".", ",", "-", ">"}
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    nmax = 0
    new_ins = []
    for s, o in zip(ins, operands):
        if "..." in s:
            n = o.ndim - (len(s) - 3)
            nmax = max(nmax, n)
            new_ins.append(s.replace("...", "".join(free[-n:]) if n else ""))
        else:
            new_ins.append(s)
    out = out.replace("...", "".join(free[-nmax:]) if nmax else "")
    return ",".join(new_ins) + "->" + out


@public()
def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or the listed ones)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if isinstance(dims, int):
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [d % a.ndim for d in (da if isinstance(da, (list, tuple)) else [da])]
        db = [d % b.ndim for d in (db if isinstance(db, (list, tuple)) else [db])]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has "
                f"size {a.shape[x]} in dim {x} and second has size {b.shape[y]} "
                f"in dim {y}"
            )
    sa = list(letters[: a.ndim])
    sb = list(letters[a.ndim : a.ndim + b.ndim])
    for x, y in zip(da, db):
        sb[y] = sa[x]
    out = [c for i, c in enumerate(sa) if i not in da] + [
        c for i, c in enumerate(sb) if i not in db
    ]
    return einsum_p(a, b, eq="".join(sa) + "," + "".join(sb) + "->" + "".join(out))


def _square_check(a, name):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"linalg.{name}: A must be batches of square matrices, but they are "
            f"{a.shape[-2] if a.ndim >= 2 else '?'} by {a.shape[-1]} matrices "
            f"(shape {tuple(a.shape)})"
        )
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point tensor, got {a.dtype}")


def inv(A):  # noqa: N803
    _square_check(A, "inv")
    if np.any(np.linalg.matrix_rank(A._data) < A.shape[-1]) if A.numel() else False:
        raise RuntimeError(
            "linalg.inv: The diagonal element is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )
    return inv_p(A)


def det(A):  # noqa: N803
    _square_check(A, "det")
    return det_p(A)


def solve(A, B, *, left: bool = True):  # noqa: N803
    _square_check(A, "solve")
    if not left:
        raise NotImplementedError("linalg.solve(left=False) is not supported")
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    n = A.shape[-1]
    if (B.shape[-1] if vec else B.shape[-2]) != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({tuple(A.shape)} and {tuple(B.shape)})"
        )
    if np.any(np.linalg.matrix_rank(A._data) < n) if A.numel() else False:
        raise RuntimeError("linalg.solve: The solver failed because the input matrix is singular.")
    if vec:
        return _sq(solve_p(A, _unsq(B, -1)), -1)
    return solve_p(A, B)


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    from .reduction import norm

    return norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False):  # noqa: N803
    from .reduction import norm

    if ord != "fro":
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is not supported (only 'fro')")
    return norm(A, p="fro", dim=dim, keepdim=keepdim)


def linalg_norm(x, ord=None, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """``linalg.norm``: the 2-norm of the flattened input by default, a vector ``ord``-norm
    over an int ``dim``, the Frobenius norm over two dims."""
    from .reduction import norm

    if ord is None or ord == "fro":
        return norm(x, p=2, dim=dim, keepdim=keepdim, dtype=dtype)
    if isinstance(dim, (tuple, list)) and len(dim) == 2 or (dim is None and x.ndim == 2):
        if ord == "fro":
            return norm(x, p=2, dim=dim, keepdim=keepdim, dtype=dtype)
        raise NotImplementedError(f"linalg.norm: matrix ord={ord!r} is not supported")
    return norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


@public(method=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to ``(n, p)``."""
    out = mm(mat1, mat2)
    if alpha != 1:
        out = mul(out, alpha)
    return add_p(mul(input, beta) if beta != 1 else input, out)


def cholesky(A, *, upper: bool = False):  # noqa: N803
    """Cholesky factor of a symmetric positive-definite matrix (batched).

    Parameters
    ----------
    A : Tensor, shape (..., n, n)
        Only the lower triangle is read, as in PyTorch.
    upper : bool
        Return the upper factor ``U = L^T`` (``A = U^T U``) instead of ``L``.

    Returns
    -------
    Tensor, shape (..., n, n)
        ``L`` lower-triangular with positive diagonal, ``A = L L^T``.

    Raises
    ------
    RuntimeError
        If ``A`` is not square, not floating, or not positive-definite.
    """
    _square_check(A, "cholesky")
    L = cholesky_p(A)  # noqa: N806
    return _mT(L) if upper else L


# ---------------------------------------------------------------------------------------
# trace, cross, baddbmm, cdist


@public(method=True)
def trace(input):  # noqa: A002
    """The sum of the main diagonal of a matrix (integer inputs sum to int64)."""
    from .reduction import sum as _sum
    from .shape import diagonal_p

    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'bool'")
    return _sum(diagonal_p(input, offset=0, axis1=0, axis2=1))


def _cross_fwd(a, b, axis):
    return np.cross(a, b, axis=axis)


def _cross_vjp_a(grad, ans, a, b, axis):
    # d <g, a x b> / da = b x g
    return cross_p(b, grad, axis=axis)


def _cross_vjp_b(grad, ans, a, b, axis):
    return cross_p(grad, a, axis=axis)


# One fused op, its VJPs are cross products again (so it is differentiable to any order);
# ``axis`` is negative, counted from the end of the broadcast shape.
cross_p = Op("cross", _cross_fwd, save_for=((1,), (0,)), promote="arith").defvjp(
    _cross_vjp_a, _cross_vjp_b
)


def _linalg_cross(input, other, dim, name):  # noqa: A002
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    d = _wrap(dim, input.ndim, name)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"{name}: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
            f"{other.shape[d]}"
        )
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        raise RuntimeError(
            f"{name}: the shapes {tuple(input.shape)} and {tuple(other.shape)} cannot be "
            f"broadcast together"
        ) from None
    return cross_p(input, other, axis=d - input.ndim)


def _wrap(dim, ndim, name):
    from .shape import wrap_dim

    return wrap_dim(dim, ndim, name)


def linalg_cross(input, other, *, dim: int = -1):  # noqa: A002
    """``linalg.cross``: the cross product of 3-vectors along ``dim`` (batch dims broadcast)."""
    return _linalg_cross(input, other, dim, "linalg.cross")


@public(method=True)
def cross(input, other, dim=None):  # noqa: A002
    """The cross product along ``dim``; with ``dim=None`` (deprecated in PyTorch, which warns)
    the first dim of size 3."""
    if dim is None:
        import warnings

        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated. Please either pass "
            "the dim explicitly or simply use torch.linalg.cross.",
            UserWarning,
            stacklevel=2,
        )
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        sizes = [k for k, s in enumerate(shape) if s == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    return _linalg_cross(input, other, dim, "linalg.cross")


@public(method=True, inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * (batch1 @ batch2)`` for ``(b, n, m) @ (b, m, p)``; ``input``
    broadcasts to ``(b, n, p)``. With ``beta=0`` ``input`` is ignored (its NaNs do not
    propagate), as in PyTorch."""
    from .shape import broadcast_to

    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(
            f"batch1 must be a 3D tensor, batch2 must be a 3D tensor (got {batch1.ndim}D and "
            f"{batch2.ndim}D)"
        )
    b, n, m = batch1.shape
    if tuple(batch2.shape[:2]) != (b, m):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but "
            f"got: [{batch2.shape[0]}, {batch2.shape[1]}]."
        )
    out = matmul_p(batch1, batch2)
    if alpha != 1:
        out = mul(out, alpha)
    target = (b, n, batch2.shape[2])
    if beta == 0:
        broadcast_to(input, target)  # the shape check PyTorch still makes
        return out
    return add_p(broadcast_to(mul(input, beta) if beta != 1 else input, target), out)


def _euclid_fwd(x1, x2):
    # PyTorch's matmul form: [-2 x1, |x1|^2, 1] @ [x2, 1, |x2|^2]^T = |x1 - x2|^2 in one BLAS
    # call, clamped at 0 (rounding can make it slightly negative), then sqrt
    n1 = np.sum(x1 * x1, axis=-1, keepdims=True)
    n2 = np.sum(x2 * x2, axis=-1, keepdims=True)
    a = np.concatenate([-2 * x1, n1, np.ones_like(n1)], axis=-1)
    b = np.concatenate([x2, np.ones_like(n2), n2], axis=-1)
    return np.sqrt(np.maximum(np.matmul(a, np.swapaxes(b, -1, -2)), 0))


def _euclid_ratio(grad, ans):
    from .elementwise import div_p, eq, where_p

    zero = eq(ans, 0)
    # grad / dist, taken as 0 at zero distance (PyTorch's choice)
    return where_p(zero, 0.0, div_p(grad, where_p(zero, 1.0, ans)))


def _euclid_vjp_x1(grad, ans, x1, x2):
    from .reduction import sum as _sum

    r = _euclid_ratio(grad, ans)
    return add_p(mul(x1, _sum(r, -1, True)), neg(matmul_p(r, x2)))


def _euclid_vjp_x2(grad, ans, x1, x2):
    from .reduction import sum as _sum

    r = _euclid_ratio(grad, ans)
    return add_p(mul(x2, _unsq(_sum(r, -2), -1)), neg(matmul_p(_mT(r), x1)))


euclid_dist_p = Op("euclid_dist", _euclid_fwd, save=(0, 1), save_out=True).defvjp(
    _euclid_vjp_x1, _euclid_vjp_x2
)


def _pnorm_fwd(d, p):
    a = np.abs(d)
    if p == 0:
        return np.count_nonzero(a, axis=-1).astype(d.dtype)
    if p == 1:
        return np.sum(a, axis=-1)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=-1))
    if p == np.inf:
        return np.max(a, axis=-1, initial=0)
    return np.sum(a**p, axis=-1) ** (1.0 / p)


def _pnorm_vjp(grad, ans, d, p):
    """PyTorch's cdist subgradients: 0 at zero distance; for ``p < 1`` also where a component
    is 0; for ``p = inf`` the full gradient to every component at the maximum."""
    from .elementwise import abs as _abs
    from .elementwise import div_p, eq, sign, where_p
    from .elementwise import pow as _pow

    g = _unsq(grad, -1)
    n = _unsq(ans, -1)
    if p == 0:
        return mul(d, 0.0)
    if p == 1:
        return mul(g, sign(d))
    zero = eq(n, 0)
    if p == np.inf:
        return mul(mul(g, sign(d)), eq(_abs(d), n))
    safe_n = where_p(zero, 1.0, n)
    if p == 2:
        return where_p(zero, 0.0, mul(g, div_p(d, safe_n)))
    if p < 1:
        # |d|^(p-1) is infinite at d = 0: those components get 0 (sign(0) = 0)
        r = mul(sign(d), _pow(where_p(eq(d, 0), 1.0, _abs(d)), p - 1))
        return where_p(zero, 0.0, mul(g, div_p(r, _pow(safe_n, p - 1))))
    return where_p(zero, 0.0, mul(g, mul(sign(d), _pow(div_p(_abs(d), safe_n), p - 1))))


pnorm_p = Op("pnorm", _pnorm_fwd, save=(0,), save_out=True).defvjp(_pnorm_vjp)


_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


@public()
def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"):
    """Pairwise ``p``-norm distances between the rows of ``x1`` and of ``x2``.

    Parameters
    ----------
    x1 : Tensor
        ``(*, P, M)``.
    x2 : Tensor
        ``(*, R, M)``; the batch dims ``*`` broadcast.
    p : float
        ``>= 0``; ``inf`` is the max norm.
    compute_mode : str
        For ``p = 2``, whether distances come from one matrix product,
        ``|x1|^2 + |x2|^2 - 2 x1 x2^T`` (fast, BLAS, but it loses digits for close points):
        ``'use_mm_for_euclid_dist_if_necessary'`` when ``P > 25`` or ``R > 25``,
        ``'use_mm_for_euclid_dist'`` always, ``'donot_use_mm_for_euclid_dist'`` never.

    Returns
    -------
    Tensor
        ``(*, P, R)``. The gradient at zero distance is 0, as in PyTorch.
    """
    from .shape import broadcast_to_p

    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {x.dtype}")
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.dtype != x2.dtype:
        raise RuntimeError(
            f"cdist: expected both inputs to have the same dtype, got {x1.dtype} and {x2.dtype}"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    try:
        batch = np.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    except ValueError:
        raise RuntimeError(
            f"cdist: the batch dims of x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} cannot be "
            f"broadcast together"
        ) from None
    P, R, M = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    if tuple(x1.shape[:-2]) != batch:
        x1 = broadcast_to_p(x1, shape=batch + (P, M))
    if tuple(x2.shape[:-2]) != batch:
        x2 = broadcast_to_p(x2, shape=batch + (R, M))
    p = float(p)
    if p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == "use_mm_for_euclid_dist_if_necessary" and (P > 25 or R > 25))
    ):
        return euclid_dist_p(x1, x2)
    # the differences of every pair, (*, P, R, M), then a norm over M
    diff = add_p(_unsq(x1, -2), neg(_unsq(x2, -3)))
    return pnorm_p(diff, p=p)


# ---------------------------------------------------------------------------------------
# Decompositions: svd, qr, eigh
#
# NOTE [ Decompositions as one node with several outputs ]
# ``linalg.svd`` returns ``(U, S, Vh)`` from one node (PyTorch's ``LinalgSvdBackward0`` is the
# ``grad_fn`` of all three, at output indices 0, 1, 2), so each decomposition is an
# :class:`~autograd.function.Function`: NumPy's LAPACK call forward, PyTorch's derivative
# formula backward (``svd_backward``, ``linalg_qr_backward``, ``linalg_eig_backward`` in
# ``torch/csrc/autograd/FunctionsManual.cpp``), written with our ops so that
# ``create_graph=True`` differentiates it again. An output that the loss does not use gets no
# gradient (``None``, not zeros), as in PyTorch, so e.g. ``S``-only losses take the cheap path.


def _decomposition_fns():
    """The three Functions (built on first use: ``function.py`` imports the tensor module)."""
    global _SVD, _QR, _EIGH
    if _SVD is not None:
        return
    from ..function import Function

    class LinalgSvd(Function):
        @staticmethod
        def forward(ctx, A, full_matrices):  # noqa: N803
            ctx.set_materialize_grads(False)
            U, S, Vh = _np_svd(A._data, full_matrices)  # noqa: N806
            outs = tuple(_Tensor()._wrap(x) for x in (U, S, Vh))
            ctx.save_for_backward(*outs)
            ctx.full_matrices = full_matrices
            return outs

        @staticmethod
        def backward(ctx, gU, gS, gVh):  # noqa: N803
            U, S, Vh = ctx.saved_tensors  # noqa: N806
            if ctx.full_matrices:
                k = S.shape[-1]
                U, Vh = _cols(U, k), _rows(Vh, k)  # noqa: N806
                gU = None if gU is None else _cols(gU, k)  # noqa: N806
                gVh = None if gVh is None else _rows(gVh, k)  # noqa: N806
            return _svd_backward(gU, gS, gVh, U, S, Vh), None

    class LinalgQr(Function):
        @staticmethod
        def forward(ctx, A, mode):  # noqa: N803
            ctx.set_materialize_grads(False)
            Q, R = _np_qr(A._data, mode)  # noqa: N806
            outs = (_Tensor()._wrap(Q), _Tensor()._wrap(R))
            ctx.save_for_backward(*outs)
            ctx.mode = mode
            return outs

        @staticmethod
        def backward(ctx, gQ, gR):  # noqa: N803
            Q, R = ctx.saved_tensors  # noqa: N806
            return _qr_backward(gQ, gR, Q, R, ctx.mode), None

    class LinalgEigh(Function):
        @staticmethod
        def forward(ctx, A, UPLO):  # noqa: N803
            ctx.set_materialize_grads(False)
            L, V = _np_eigh(A._data, UPLO)  # noqa: N806
            outs = (_Tensor()._wrap(L), _Tensor()._wrap(V))
            ctx.save_for_backward(*outs)
            return outs

        @staticmethod
        def backward(ctx, gL, gV):  # noqa: N803
            L, V = ctx.saved_tensors  # noqa: N806
            return _eigh_backward(gL, gV, L, V), None

    _SVD, _QR, _EIGH = LinalgSvd, LinalgQr, LinalgEigh


_SVD = _QR = _EIGH = None


def _cols(x, k):
    from .shape import narrow

    return x if x.shape[-1] == k else narrow(x, -1, 0, k)


def _rows(x, k):
    from .shape import narrow

    return x if x.shape[-2] == k else narrow(x, -2, 0, k)


def _diag(x):
    from .shape import diagonal_p

    return diagonal_p(x, offset=0, axis1=-2, axis2=-1)


def _diag_embed(v):
    from .shape import diag_embed_p

    n = v.shape[-1]
    return diag_embed_p(v, offset=0, axis1=-2, axis2=-1, shape=tuple(v.shape) + (n,))


def _np_svd(a, full_matrices):
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0:  # LAPACK refuses empty matrices; PyTorch gives identities and no S
        batch = a.shape[:-2]
        um, vn = (m, n) if full_matrices else (k, k)
        U = np.broadcast_to(np.eye(m, um, dtype=a.dtype), batch + (m, um)).copy()  # noqa: N806
        Vh = np.broadcast_to(np.eye(vn, n, dtype=a.dtype), batch + (vn, n)).copy()  # noqa: N806
        return U, np.zeros(batch + (k,), a.dtype), Vh
    return np.linalg.svd(a, full_matrices=full_matrices)


def _np_qr(a, mode):
    m, n = a.shape[-2:]
    if a.size == 0:
        batch = a.shape[:-2]
        qc = m if mode == "complete" else min(m, n)
        Q = np.broadcast_to(np.eye(m, qc, dtype=a.dtype), batch + (m, qc)).copy()  # noqa: N806
        R = np.zeros(batch + (qc, n), a.dtype)  # noqa: N806
    else:
        Q, R = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")  # noqa: N806
    if mode == "r":
        Q = np.empty((0,), a.dtype)  # noqa: N806
    return Q, R


def _np_eigh(a, uplo):
    if a.size == 0:
        return np.zeros(a.shape[:-1], a.dtype), np.zeros(a.shape, a.dtype)
    return np.linalg.eigh(a, UPLO=uplo)


def _E(S):  # noqa: N802
    """``E[j, k] = S_k^2 - S_j^2`` off the diagonal, 1 on it (PyTorch's ``svd_backward``)."""
    from .shape import unsqueeze

    S2 = S * S  # noqa: N806
    E = unsqueeze(S2, -2) - unsqueeze(S2, -1)  # noqa: N806
    return E + np.eye(S.shape[-1], dtype=S.dtype)


def _svd_backward(gU, gS, gVh, U, S, Vh):  # noqa: N803
    """PyTorch's ``svd_backward`` (real case), for the reduced ``U`` (m, k), ``Vh`` (k, n)."""
    from .shape import unsqueeze

    if gU is None and gS is None and gVh is None:
        return None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:  # svdvals: U diag(gS) Vh
        if m >= n:
            return U @ (unsqueeze(gS, -1) * Vh)
        return (U * unsqueeze(gS, -2)) @ Vh
    UhgU = None if gU is None else _skew(U.mT @ gU)  # noqa: N806
    VhgV = None if gVh is None else _skew(Vh @ gVh.mT)  # noqa: N806
    E = _E(S)  # noqa: N806
    if gU is not None and gVh is not None:
        gA = (UhgU * unsqueeze(S, -2) + unsqueeze(S, -1) * VhgV) / E  # noqa: N806
    elif gU is not None:
        gA = (UhgU / E) * unsqueeze(S, -2)  # noqa: N806
    else:
        gA = unsqueeze(S, -1) * (VhgV / E)  # noqa: N806
    if gS is not None:
        gA = gA + _diag_embed(gS)  # noqa: N806
    if m > n and gU is not None:
        gA = U @ gA  # noqa: N806
        gUSinv = gU / unsqueeze(S, -2)  # noqa: N806
        gA = gA + gUSinv - U @ (U.mT @ gUSinv)  # noqa: N806
        return gA @ Vh
    if m < n and gVh is not None:
        gA = gA @ Vh  # noqa: N806
        SinvgVh = gVh / unsqueeze(S, -1)  # noqa: N806
        gA = gA + SinvgVh - (SinvgVh @ Vh.mT) @ Vh  # noqa: N806
        return U @ gA
    return U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh


def _skew(x):
    return x - x.mT


_QR_R_ONLY = (
    "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
    "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
)


def _solve_right_lower_t(G, R):  # noqa: N803
    """``G R^{-T}`` for an upper-triangular invertible ``R`` (``X R^T = G``)."""
    return solve_p(R, G.mT).mT


def _qr_backward(gQ, gR, Q, R, mode):  # noqa: N803
    """PyTorch's ``linalg_qr_backward`` (real case)."""
    from .shape import cat_p, tril, triu

    if mode == "r":
        raise RuntimeError(_QR_R_ONLY)
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    if gQ is None and gR is None:
        return None
    if gQ is not None:
        gA = gR @ R.mT - Q.mT @ gQ if gR is not None else -(Q.mT @ gQ)  # noqa: N806
    else:
        gA = gR @ R.mT  # noqa: N806
    if m >= n:
        t = triu(gA)
        gA = Q @ (t + triu(t, 1).mT)  # noqa: N806  (X + X^H with the diagonal once)
        if gQ is not None:
            gA = gA + gQ  # noqa: N806
        return _solve_right_lower_t(gA, R)
    gA = Q @ tril(-gA - (-gA).mT)  # noqa: N806
    gA = _solve_right_lower_t(gA, _cols(R, m))  # noqa: N806
    zeros = np.zeros(tuple(gA.shape[:-1]) + (n - m,), dtype=gA.dtype)
    gA = cat_p(gA, zeros, axis=-1)  # noqa: N806
    if gR is not None:
        gA = gA + Q @ gR  # noqa: N806
    return gA


def _eigh_backward(gL, gV, L, V):  # noqa: N803
    """PyTorch's ``linalg_eig_backward`` for a real symmetric input (``is_hermitian``)."""
    from .shape import unsqueeze

    if gL is None and gV is None:
        return None
    if gV is None:
        return (V * unsqueeze(gL, -2)) @ V.mT
    VhgV = V.mT @ gV  # noqa: N806
    VhgV = (VhgV - VhgV.mT) * 0.5  # noqa: N806
    Ec = unsqueeze(L, -2) - unsqueeze(L, -1) + np.eye(L.shape[-1], dtype=L.dtype)  # noqa: N806
    gA = VhgV / Ec  # noqa: N806
    if gL is not None:
        gA = gA + _diag_embed(gL)  # noqa: N806
    return V @ (gA @ V.mT)


_SvdResult = namedtuple("svd", ["U", "S", "V"])
_LinalgSvdResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
_QrResult = namedtuple("qr", ["Q", "R"])
_LinalgQrResult = namedtuple("linalg_qr", ["Q", "R"])
_EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
for _nt in (_SvdResult, _LinalgSvdResult, _QrResult, _LinalgQrResult, _EighResult):
    _nt.__module__ = "autograd.return_types"


def _decomp_check(A, name, square=False):  # noqa: N803
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )
    if A.dtype.kind not in "fc":
        if name == "linalg.eigh":
            raise NotImplementedError(
                f"\"linalg_eigh_cpu\" not implemented for '{_torch_name(A.dtype)}'"
            )
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got "
            f"{_torch_name(A.dtype)}"
        )
    if A.dtype.kind == "c":
        raise NotImplementedError(f"{name}: complex inputs are not supported")


def _torch_name(dt):
    from ._registry import _torch_dtype_name

    return _torch_dtype_name(dt)


def _records(A) -> bool:  # noqa: N803
    from ..grad_mode import is_grad_enabled

    return bool(A.requires_grad) and is_grad_enabled()


def _svd3(A, full_matrices):  # noqa: N803
    _decomposition_fns()
    U, S, Vh = _SVD.apply(A, full_matrices)  # noqa: N806
    for t in (U, S, Vh):
        named(t, "LinalgSvdBackward0")
    return U, S, Vh


def svd_linalg(A, full_matrices: bool = True, *, driver=None):  # noqa: N803
    """``linalg.svd``: ``A = U diag(S) Vh`` for a batch of matrices.

    Parameters
    ----------
    A : Tensor, shape (..., m, n)
        Floating point (``float32`` gives ``float32`` factors).
    full_matrices : bool
        ``U`` (..., m, m) and ``Vh`` (..., n, n) when True; else the reduced ``U`` (..., m, k)
        and ``Vh`` (..., k, n), ``k = min(m, n)``.
    driver : None
        CUDA only in PyTorch: any other value raises on the CPU, as there.

    Returns
    -------
    namedtuple ``(U, S, Vh)``
        ``S`` (..., k) descending. One ``LinalgSvdBackward0`` node; the gradient is PyTorch's
        (distinct singular values assumed; with ``full_matrices`` the extra columns of ``U``
        and rows of ``Vh`` get no gradient).
    """
    _decomp_check(A, "linalg.svd")
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend."
        )
    return _LinalgSvdResult(*_svd3(A, bool(full_matrices)))


def svdvals(A, *, driver=None):  # noqa: N803
    """``linalg.svdvals``: the singular values (..., min(m, n)), descending."""
    _decomp_check(A, "linalg.svd")
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend."
        )
    if _records(A):
        return _svd3(A, False)[1]
    a = A._data
    if a.size == 0:
        return _Tensor()._wrap(np.zeros(a.shape[:-2] + (min(a.shape[-2:]),), a.dtype))
    return _Tensor()._wrap(np.linalg.svd(a, compute_uv=False))


@public(method=True)
def svd(input, some: bool = True, compute_uv: bool = True):  # noqa: A002
    """``torch.svd``: ``(U, S, V)`` with ``input = U diag(S) V^T`` (``V``, not ``Vh``).

    ``some=True`` gives the reduced factors; ``compute_uv=False`` gives ``S`` and zero ``U``
    (m, m) and ``V`` (n, n), as in PyTorch.
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"linalg.svd: input should have at least 2 dimensions, but has {input.ndim} "
            f"dimensions instead"
        )
    _decomp_check(input, "linalg.svd")
    if not compute_uv:
        S = svdvals(input)  # noqa: N806
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        z = _Tensor()._wrap
        return _SvdResult(
            z(np.zeros(batch + (m, m), input.dtype)), S, z(np.zeros(batch + (n, n), input.dtype))
        )
    U, S, Vh = _svd3(input, not some)  # noqa: N806
    return _SvdResult(U, S, named(_mT(Vh), "TransposeBackward0"))


_QR_MODES = ("reduced", "complete", "r")


def qr_linalg(A, mode: str = "reduced"):  # noqa: N803
    """``linalg.qr``: ``A = Q R`` with ``Q`` orthonormal columns, ``R`` upper-triangular.

    Parameters
    ----------
    A : Tensor, shape (..., m, n)
    mode : {'reduced', 'complete', 'r'}
        ``Q`` (..., m, k), ``R`` (..., k, n) with ``k = min(m, n)``; ``'complete'``: ``Q``
        (..., m, m), ``R`` (..., m, n); ``'r'``: an empty ``Q`` and the reduced ``R``.

    Returns
    -------
    namedtuple ``(Q, R)``
        One ``LinalgQrBackward0`` node. Backward raises, as PyTorch does, for ``mode='r'``
        and for ``mode='complete'`` with ``m > n``.
    """
    if mode not in _QR_MODES:
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            f"'r', or 'complete'"
        )
    _decomp_check(A, "linalg.qr")
    _decomposition_fns()
    Q, R = _QR.apply(A, mode)  # noqa: N806
    return _LinalgQrResult(named(Q, "LinalgQrBackward0"), named(R, "LinalgQrBackward0"))


@public(method=True)
def qr(input, some: bool = True):  # noqa: A002
    """``torch.qr`` (deprecated in PyTorch, which warns once): ``linalg.qr`` with
    ``mode='reduced' if some else 'complete'``."""
    import warnings

    warnings.warn(
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
        "torch.linalg.qr(A, 'reduced' if some else 'complete')",
        UserWarning,
        stacklevel=2,
    )
    r = qr_linalg(input, "reduced" if some else "complete")
    return _QrResult(*r)


def _uplo(UPLO):  # noqa: N803
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A, UPLO: str = "L"):  # noqa: N803
    """``linalg.eigh``: eigenvalues (ascending) and orthonormal eigenvectors of symmetric
    matrices, reading only the ``UPLO`` triangle.

    Parameters
    ----------
    A : Tensor, shape (..., n, n)
    UPLO : {'L', 'U'}

    Returns
    -------
    namedtuple ``(eigenvalues, eigenvectors)``
        (..., n) and (..., n, n); one ``LinalgEighBackward0`` node. The gradient is PyTorch's
        symmetric ``V (diag(gL) + sym(V^T gV) / E) V^T`` (distinct eigenvalues assumed), not
        projected on the read triangle, as in PyTorch.
    """
    uplo = _uplo(UPLO)
    _decomp_check(A, "linalg.eigh", square=True)
    _decomposition_fns()
    L, V = _EIGH.apply(A, uplo)  # noqa: N806
    return _EighResult(named(L, "LinalgEighBackward0"), named(V, "LinalgEighBackward0"))


def eigvalsh(A, UPLO: str = "L"):  # noqa: N803
    """``linalg.eigvalsh``: the eigenvalues (..., n), ascending, of symmetric matrices."""
    uplo = _uplo(UPLO)
    _decomp_check(A, "linalg.eigh", square=True)
    if _records(A):
        return eigh(A, uplo).eigenvalues
    a = A._data
    if a.size == 0:
        return _Tensor()._wrap(np.zeros(a.shape[:-1], a.dtype))
    return _Tensor()._wrap(np.linalg.eigvalsh(a, UPLO=uplo))
