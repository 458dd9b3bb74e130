"""Op-table rows: matmul family, einsum, tensordot, inv, det, solve, linalg.norm, linear."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from autograd.ops.nn import linear_p
from tests.autograd.op_table import Row


@st.composite
def _matmul_shapes(draw):
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["mm", "vm", "mv", "vv", "batched", "broadcast"]))
    if kind == "mm":
        return ((m, k), (k, n))
    if kind == "vm":
        return ((k,), (draw(st.integers(1, 2)), k, n))
    if kind == "mv":
        return ((draw(st.integers(1, 2)), m, k), (k,))
    if kind == "vv":
        return ((k,), (k,))
    b = draw(st.integers(1, 3))
    if kind == "batched":
        return ((b, m, k), (b, k, n))
    return ((b, 1, m, k), (2, k, n))


def _well_conditioned(arrs, kw):
    a = arrs[0]
    n = a.shape[-1]
    a = a + np.eye(n) * (n + 2.0)  # diagonally dominant: far from singular
    return [a] + list(arrs[1:])


def _square(min_batch=0):
    return st.tuples(st.integers(0, 2), st.integers(1, 3)).map(
        lambda t: ((2,) * t[0] + (t[1], t[1]),)
    )


@st.composite
def _solve_shapes(draw):
    n = draw(st.integers(1, 3))
    if draw(st.booleans()):
        return ((n, n), (n,))
    b = draw(st.integers(1, 2))
    return ((b, n, n), (b, n, draw(st.integers(1, 3))))


@st.composite
def _linear_shapes(draw):
    i, o = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return (lead + (i,), (o, i), (o,))


ROWS = [
    Row(
        "matmul",
        lambda a, b: a @ b,
        2,
        shapes=_matmul_shapes(),
        ref=np.matmul,
        covers=("matmul", "permute", "reshape", "mul"),
    ),
    Row("mm", ag.mm, 2, shapes=st.just(((2, 3), (3, 4))), ref=np.matmul, covers=("matmul",)),
    Row(
        "bmm", ag.bmm, 2, shapes=st.just(((2, 2, 3), (2, 3, 2))), ref=np.matmul, covers=("matmul",)
    ),
    Row("dot", ag.dot, 2, shapes=st.just(((3,), (3,))), ref=np.dot, covers=("matmul",)),
    Row("outer", ag.outer, 2, shapes=st.just(((3,), (2,))), ref=np.outer, covers=("mul",)),
    Row(
        "einsum",
        lambda a, b: ag.einsum("bij,bjk->bik", a, b),
        2,
        shapes=st.just(((2, 2, 3), (2, 3, 2))),
        ref=lambda a, b: np.einsum("bij,bjk->bik", a, b),
    ),
    Row(
        "einsum_sum_out",
        lambda a, b: ag.einsum("ij,j->i", a, b),
        2,
        shapes=st.just(((2, 3), (3,))),
        ref=lambda a, b: np.einsum("ij,j->i", a, b),
        covers=("einsum",),
    ),
    Row(
        "einsum_private_index",
        lambda a, b: ag.einsum("ij,k->i", a, b),
        2,
        shapes=st.just(((2, 3), (2,))),
        ref=lambda a, b: np.einsum("ij,k->i", a, b),
        covers=("einsum", "broadcast_to"),
    ),
    Row(
        "einsum_diagonal",
        lambda a: ag.einsum("ii->i", a),
        1,
        shapes=st.just(((3, 3),)),
        ref=lambda a: np.einsum("ii->i", a),
        covers=("einsum_view",),
    ),
    Row(
        "einsum_trace",
        lambda a: ag.einsum("ii->", a),
        1,
        shapes=st.just(((3, 3),)),
        ref=lambda a: np.einsum("ii->", a),
        covers=("einsum",),
    ),
    Row(
        "einsum_diagonal_summed",
        lambda a: ag.einsum("iij->j", a),
        1,
        shapes=st.just(((2, 2, 3),)),
        ref=lambda a: np.einsum("iij->j", a),
        covers=("einsum",),
    ),
    Row(
        "einsum_batch_diagonal",
        lambda a: ag.einsum("bii->bi", a),
        1,
        shapes=st.just(((2, 3, 3),)),
        ref=lambda a: np.einsum("bii->bi", a),
        covers=("einsum_view",),
    ),
    Row(
        "einsum_diagonal_two_operands",
        lambda a, b: ag.einsum("iik,kj->ij", a, b),
        2,
        shapes=st.just(((2, 2, 3), (3, 2))),
        ref=lambda a, b: np.einsum("iik,kj->ij", a, b),
        covers=("einsum",),
    ),
    Row(
        "einsum_triple_diagonal",
        lambda a, b: ag.einsum("iii,j->ij", a, b),
        2,
        shapes=st.just(((2, 2, 2), (3,))),
        ref=lambda a, b: np.einsum("iii,j->ij", a, b),
        covers=("einsum",),
    ),
    Row(
        "einsum_ellipsis",
        lambda a, b: ag.einsum("...ij,...jk", a, b),
        2,
        shapes=st.just(((2, 2, 3), (2, 3, 2))),
        ref=lambda a, b: np.einsum("...ij,...jk", a, b),
        covers=("einsum",),
    ),
    Row(
        "tensordot",
        lambda a, b: ag.tensordot(a, b, dims=([1], [0])),
        2,
        shapes=st.just(((2, 3), (3, 2))),
        ref=lambda a, b: np.tensordot(a, b, axes=([1], [0])),
        covers=("einsum",),
    ),
    Row("inv", ag.linalg.inv, 1, shapes=_square(), prep=_well_conditioned, ref=np.linalg.inv),
    Row("det", ag.linalg.det, 1, shapes=_square(), prep=_well_conditioned, ref=np.linalg.det),
    Row(
        "solve",
        ag.linalg.solve,
        2,
        shapes=_solve_shapes(),
        prep=_well_conditioned,
        ref=lambda a, b: (
            np.linalg.solve(a, b[..., None])[..., 0]
            if b.ndim == a.ndim - 1
            else np.linalg.solve(a, b)
        ),
    ),
    Row(
        "linalg_norm",
        lambda a: ag.linalg.norm(a),
        1,
        domain=(0.2, 2.0),
        ref=lambda a: np.sqrt(np.sum(a * a)),
        covers=("norm2",),
    ),
    Row(
        "linalg_vector_norm_dim",
        lambda a: ag.linalg.vector_norm(a, ord=2, dim=-1),
        1,
        shapes=st.just(((2, 3),)),
        domain=(0.2, 2.0),
        ref=lambda a: np.linalg.norm(a, axis=-1),
        covers=("norm2",),
    ),
    Row(
        "linear",
        lambda x, w, b: linear_p(x, w, b),
        3,
        shapes=_linear_shapes(),
        ref=lambda x, w, b: x @ w.T + b,
    ),
]


def _positive_definite(arrs, kw):
    a = arrs[0]
    n = a.shape[-1]
    return [a + np.eye(n) * (2.0 * n + 2.0)]  # (a + a^T)/2 is then diagonally dominant


ROWS += [
    Row(
        "cholesky",
        lambda a: ag.linalg.cholesky((a + a.mT) / 2),
        1,
        shapes=_square(),
        prep=_positive_definite,
        ref=lambda a: np.linalg.cholesky((a + np.swapaxes(a, -1, -2)) / 2),
        covers=("cholesky", "permute", "add", "div"),
    ),
    Row(
        "cholesky_upper",
        lambda a: ag.linalg.cholesky((a + a.mT) / 2, upper=True),
        1,
        shapes=_square(),
        prep=_positive_definite,
        ref=lambda a: np.swapaxes(np.linalg.cholesky((a + np.swapaxes(a, -1, -2)) / 2), -1, -2),
        covers=("cholesky",),
    ),
]


# ---------------------------------------------------------------------------------------
# trace, cross, baddbmm, cdist


@st.composite
def _cross_shapes(draw):
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    d = draw(st.integers(0, len(lead)))
    a = lead[:d] + (3,) + lead[d:]
    b = tuple(1 if draw(st.booleans()) and i != d else s for i, s in enumerate(a))
    return (a, b)


def _cross_dim(shapes):
    d = shapes[0].index(3) if 3 in shapes[0] else 0
    d = [i for i, s in enumerate(shapes[0]) if s == 3 and shapes[1][i] == 3][0]
    return st.sampled_from([d, d - len(shapes[0])]).map(lambda v: {"dim": v})


@st.composite
def _baddbmm_shapes(draw):
    b, n, m, p = (draw(st.integers(1, 3)) for _ in range(4))
    inp = draw(st.sampled_from([(b, n, p), (n, p), (p,), (1, 1, 1), ()]))
    return (inp, (b, n, m), (b, m, p))


@st.composite
def _cdist_shapes(draw):
    m = draw(st.integers(1, 3))
    p, r = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lead = draw(st.sampled_from([((), ()), ((2,), (2,)), ((2,), (1,)), ((), (2,))]))
    return (lead[0] + (p, m), lead[1] + (r, m))


def _np_cdist(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return np.count_nonzero(d, axis=-1).astype(a.dtype)
    if p == np.inf:
        return d.max(-1)
    return (d**p).sum(-1) ** (1 / p)


def _untied(arrs, kw):
    """Distinct coordinates on each side (x1 < 0 < x2), so no two |x1 - x2| components tie
    (the max norm's kink) and none is 0."""
    a, b = arrs
    rng = np.random.default_rng(a.size * 31 + b.size)
    return [-rng.uniform(0.5, 2.0, a.shape), rng.uniform(0.5, 2.0, b.shape)]


ROWS += [
    Row(
        "trace",
        ag.trace,
        1,
        shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda t: (t,)),
        ref=np.trace,
        covers=("diagonal", "sum"),
    ),
    Row(
        "cross",
        lambda a, b, dim: ag.cross(a, b, dim=dim),
        2,
        shapes=_cross_shapes(),
        kwargs=_cross_dim,
        ref=lambda a, b, dim: np.cross(a, b, axis=dim),
    ),
    Row(
        "linalg_cross",
        ag.linalg.cross,
        2,
        shapes=st.sampled_from([((3,), (3,)), ((2, 3), (1, 3)), ((2, 1, 3), (1, 2, 3))]),
        ref=lambda a, b: np.cross(a, b),
        covers=("cross",),
    ),
    Row(
        "baddbmm",
        lambda c, a, b, beta, alpha: ag.baddbmm(c, a, b, beta=beta, alpha=alpha),
        3,
        shapes=_baddbmm_shapes(),
        kwargs=lambda s: st.fixed_dictionaries(
            {"beta": st.sampled_from([1, 0.5, 0]), "alpha": st.sampled_from([1, -2.0])}
        ),
        ref=lambda c, a, b, beta, alpha: (beta * c if beta else 0) + alpha * (a @ b),
        covers=("matmul", "mul", "add", "broadcast_to"),
    ),
    Row(
        "cdist_mm",
        lambda a, b: ag.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        2,
        shapes=_cdist_shapes(),
        prep=_untied,
        ref=lambda a, b: _np_cdist(a, b, 2),
        covers=("euclid_dist", "broadcast_to"),
    ),
    Row(
        "cdist_mm_if_necessary",
        lambda a, b: ag.cdist(a, b),
        2,
        shapes=st.just(((26, 2), (3, 2))),
        prep=_untied,
        ref=lambda a, b: _np_cdist(a, b, 2),
        gradgrad=False,  # the same op as cdist_mm; this row checks the switch at P > 25
        covers=("euclid_dist",),
    ),
    Row(
        "cdist_p",
        lambda a, b, p: ag.cdist(a, b, p=p, compute_mode="donot_use_mm_for_euclid_dist"),
        2,
        shapes=_cdist_shapes(),
        kwargs=lambda s: st.fixed_dictionaries(
            {"p": st.sampled_from([2.0, 1.0, 3.0, 1.5, 0.5, 0.0, float("inf")])}
        ),
        prep=_untied,
        ref=_np_cdist,
        covers=("pnorm", "sub", "add", "neg", "reshape"),
    ),
]


# ---------------------------------------------------------------------------------------
# Decompositions: svd, qr, eigh. Each is one multi-output node (an ``autograd.Function``);
# the rows check PyTorch's backward formulas through gauge-invariant functions of the factors
# (as PyTorch's OpInfo tests do): the sign of each singular/eigen vector pair is arbitrary, so
# a row uses only ``S``, ``U * U``, ``U @ Vh``, ``V * V``, ... Inputs get well-separated
# singular values/eigenvalues (the derivatives divide by their differences).


@st.composite
def _rect(draw):
    lead = (2,) * draw(st.integers(0, 2))
    return (lead + (draw(st.integers(1, 3)), draw(st.integers(1, 3))),)


def _separated_svals(arrs, kw):
    """Keep the singular vectors of the drawn matrix, set its singular values to 1, 2, 3..."""
    a = arrs[0]
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    s = np.broadcast_to(np.arange(s.shape[-1], 0, -1, dtype=a.dtype) + 0.5, s.shape)
    return [(u * s[..., None, :]) @ vh]


def _separated_eigs(arrs, kw):
    """A symmetric matrix with the drawn matrix's eigenvectors and eigenvalues -1, 0.5, 2..."""
    a = arrs[0]
    a = a + np.swapaxes(a, -1, -2)
    _, v = np.linalg.eigh(a)
    lam = np.broadcast_to(np.arange(a.shape[-1], dtype=a.dtype) * 1.5 - 1.0, a.shape[:-1])
    return [(v * lam[..., None, :]) @ np.swapaxes(v, -1, -2)]


def _flat(*ts):
    return ag.cat([t.reshape(*t.shape[:-2], -1) if t.ndim >= 2 else t for t in ts], dim=-1)


def _svd_invariants(U, S, Vh):  # noqa: N803
    k = S.shape[-1]
    Uk, Vhk = U[..., :k], Vh[..., :k, :]  # noqa: N806
    return ag.cat(
        [(Uk * Uk).flatten(-2), S, (Vhk * Vhk).flatten(-2), (Uk @ Vhk).flatten(-2)], dim=-1
    )


def _np_svd_invariants(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    f = lambda x: x.reshape(*x.shape[:-2], -1)  # noqa: E731
    return np.concatenate([f(u * u), s, f(vh * vh), f(u @ vh)], axis=-1)


def _sym(a):
    return (a + a.mT) / 2


def _np_sym(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


def _eigh_invariants(L, V):  # noqa: N803
    return ag.cat([L, (V * V).flatten(-2), (V @ (L.unsqueeze(-1) * V.mT)).flatten(-2)], dim=-1)


def _np_eigh_invariants(a):
    lam, v = np.linalg.eigh(a)
    f = lambda x: x.reshape(*x.shape[:-2], -1)  # noqa: E731
    full = v @ (lam[..., :, None] * np.swapaxes(v, -1, -2))
    return np.concatenate([lam, f(v * v), f(full)], axis=-1)


def _np_qr_flat(a, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    f = lambda x: x.reshape(*x.shape[:-2], -1)  # noqa: E731
    return np.concatenate([f(q), f(r)], axis=-1)


@st.composite
def _wide_or_square(draw):
    lead = (2,) * draw(st.integers(0, 2))
    m = draw(st.integers(1, 3))
    return (lead + (m, draw(st.integers(m, 3))),)


_DECOMP_COVERS = ("matmul", "diag_embed", "permute", "mul", "div", "add", "sub")

ROWS += [
    Row(
        "linalg_svd",
        lambda a: _svd_invariants(*ag.linalg.svd(a, full_matrices=False)),
        1,
        shapes=_rect(),
        prep=_separated_svals,
        ref=_np_svd_invariants,
        covers=_DECOMP_COVERS,
    ),
    Row(
        "linalg_svd_full_matrices",
        lambda a: _svd_invariants(*ag.linalg.svd(a)),
        1,
        shapes=_rect(),
        prep=_separated_svals,
        ref=_np_svd_invariants,
        covers=("narrow", "getitem"),
    ),
    Row(
        "linalg_svd_U_only",
        lambda a: (lambda r: (r.U * r.U).flatten(-2))(ag.linalg.svd(a, full_matrices=False)),
        1,
        shapes=_rect(),
        prep=_separated_svals,
        covers=_DECOMP_COVERS,
    ),
    Row(
        "linalg_svd_Vh_only",
        lambda a: (lambda r: (r.Vh * r.Vh).flatten(-2))(ag.linalg.svd(a, full_matrices=False)),
        1,
        shapes=_rect(),
        prep=_separated_svals,
        covers=_DECOMP_COVERS,
    ),
    Row(
        "linalg_svdvals",
        ag.linalg.svdvals,
        1,
        shapes=_rect(),
        prep=_separated_svals,
        ref=lambda a: np.linalg.svd(a, compute_uv=False),
        covers=_DECOMP_COVERS,
    ),
    Row(
        "svd",
        lambda a: (lambda r: _svd_invariants(r.U, r.S, r.V.mT))(ag.svd(a)),
        1,
        shapes=_rect(),
        prep=_separated_svals,
        ref=_np_svd_invariants,
        covers=_DECOMP_COVERS,
    ),
    Row(
        "svd_no_uv",
        lambda a: ag.svd(a, compute_uv=False).S,
        1,
        shapes=_rect(),
        prep=_separated_svals,
        ref=lambda a: np.linalg.svd(a, compute_uv=False),
        covers=_DECOMP_COVERS,
    ),
    Row(
        "linalg_qr",
        lambda a: _flat(*ag.linalg.qr(a)),
        1,
        shapes=_rect(),
        prep=_separated_svals,
        ref=_np_qr_flat,
        covers=("solve", "triu", "tril", "cat", *_DECOMP_COVERS),
    ),
    Row(
        "linalg_qr_Q_only",
        lambda a: ag.linalg.qr(a).Q,
        1,
        shapes=_rect(),
        prep=_separated_svals,
        covers=("solve", "triu", "tril", "cat"),
    ),
    Row(
        "linalg_qr_R_only",
        lambda a: ag.linalg.qr(a).R,
        1,
        shapes=_rect(),
        prep=_separated_svals,
        covers=("solve", "triu", "tril", "cat"),
    ),
    Row(
        "linalg_qr_complete",
        lambda a: _flat(*ag.linalg.qr(a, mode="complete")),
        1,
        shapes=_wide_or_square(),
        prep=_separated_svals,
        ref=lambda a: _np_qr_flat(a, "complete"),
        covers=("solve", "triu", "tril", "cat"),
    ),
    Row(
        "linalg_eigh",
        lambda a: _eigh_invariants(*ag.linalg.eigh(_sym(a))),
        1,
        shapes=_square(),
        prep=_separated_eigs,
        ref=lambda a: _np_eigh_invariants(_np_sym(a)),
        covers=_DECOMP_COVERS,
    ),
    Row(
        "linalg_eigh_upper",
        lambda a: _eigh_invariants(*ag.linalg.eigh(_sym(a), UPLO="U")),
        1,
        shapes=_square(),
        prep=_separated_eigs,
        ref=lambda a: _np_eigh_invariants(_np_sym(a)),
        covers=_DECOMP_COVERS,
    ),
    Row(
        "linalg_eigvalsh",
        lambda a: ag.linalg.eigvalsh(_sym(a)),
        1,
        shapes=_square(),
        prep=_separated_eigs,
        ref=lambda a: np.linalg.eigvalsh(_np_sym(a)),
        covers=_DECOMP_COVERS,
    ),
]
