"""Op-table rows: shape ops, indexing, concatenation, gather/scatter, pads, diagonals."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from autograd.ops.shape import pad as _pad
from autograd.testing import dims
from tests.autograd.op_table import Row, same_shapes

S1 = same_shapes(1, min_dims=1)
S2D = same_shapes(1, min_dims=2)


def _seeded(fn):
    """kwargs strategy built from a random seed and the shapes."""
    return lambda shapes: st.integers(0, 2**31).map(
        lambda seed: fn(np.random.default_rng(seed), shapes)
    )


def _perm(rng, shapes):
    return {"dims": tuple(int(d) for d in rng.permutation(len(shapes[0])))}


def _reshape_kw(rng, shapes):
    n = int(np.prod(shapes[0]))
    opts = [(n,), (1, n), (n, 1), (-1,)]
    return {"shape": opts[rng.integers(len(opts))]}


def _index_kw(rng, shapes):
    shape = shapes[0]
    kind = rng.integers(5)
    if kind == 0:  # int + slice
        return {"idx": (int(rng.integers(shape[0])),) + (slice(None, None, 2),) * (len(shape) > 1)}
    if kind == 1:  # repeated integer indices accumulate
        return {"idx": (np.array(rng.integers(0, shape[0], size=5)),)}
    if kind == 2:  # boolean mask
        return {"idx": (rng.random(shape) < 0.5,)}
    if kind == 3:  # None and Ellipsis and negative step handled by flip, so a step slice
        return {"idx": (None, Ellipsis, slice(0, None, 1))}
    # two index arrays (advanced, broadcast together)
    if len(shape) >= 2:
        i = np.array(rng.integers(0, shape[0], size=3))
        j = np.array(rng.integers(0, shape[1], size=3))
        return {"idx": (i, j)}
    return {"idx": (slice(-2, None),)}


def _getitem(a, idx):
    return a[tuple(ag.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)]


def _gather_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    ishape = list(shape)
    ishape[d] = int(rng.integers(1, 4))
    return {"dim": d, "index": rng.integers(0, shape[d], size=ishape)}


def _scatter_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    # unique indices along d so scatter (overwrite) is well defined
    ishape = list(shape)
    k = int(rng.integers(1, shape[d] + 1))
    ishape[d] = k
    idx = np.argsort(rng.random(shape), axis=d)
    idx = np.take(idx, np.arange(k), axis=d)
    return {"dim": d, "index": idx}


def _scatter_add_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    ishape = [int(rng.integers(1, n + 1)) for n in shape]
    return {"dim": d, "index": rng.integers(0, shape[d], size=ishape)}


def _index_select_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    return {"dim": d, "index": rng.integers(0, shape[d], size=int(rng.integers(1, 5)))}


def _pad_kw(rng, shapes):
    nd = len(shapes[0])
    k = int(rng.integers(1, nd + 1))
    return {
        "pad": tuple(int(v) for v in rng.integers(0, 3, size=2 * k)),
        "value": float(rng.uniform(-1, 1)),
    }


def _cat_shapes():
    return st.lists(st.integers(1, 3), min_size=1, max_size=3).flatmap(
        lambda base: st.integers(0, len(base) - 1).flatmap(
            lambda d: st.tuples(
                *[
                    st.integers(1, 3).map(
                        lambda n, d=d: tuple(n if i == d else s for i, s in enumerate(base))
                    )
                    for _ in range(3)
                ]
            )
        )
    )


def _cat_dim(shapes):
    a = shapes[0]
    diff = [i for i in range(len(a)) if any(s[i] != a[i] for s in shapes)]
    d = diff[0] if diff else 0
    return st.sampled_from([d, d - len(a)]).map(lambda v: {"dim": v})


def _roll_kw(rng, shapes):
    nd = len(shapes[0])
    d = int(rng.integers(nd))
    return {"shifts": int(rng.integers(-3, 4)), "dims": d}


def _expand_shapes():
    return st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3).map(lambda s: (tuple(s),))


def _expand_kw(shapes):
    s = shapes[0]
    return st.just({"sizes": (2,) + tuple(3 if v == 1 else v for v in s)})


def _split_kw(shapes):
    nd = len(shapes[0])
    return st.fixed_dictionaries({"dim": dims(nd), "size": st.integers(1, 3)})


def _diag_kw(shapes):
    return st.fixed_dictionaries({"offset": st.integers(-1, 1)})


ROWS = [
    Row(
        "reshape",
        lambda a, shape: a.reshape(shape),
        1,
        shapes=S1,
        kwargs=_seeded(_reshape_kw),
        ref=lambda a, shape: a.reshape(shape),
    ),
    Row(
        "view_flatten_unflatten",
        lambda a: a.flatten().unflatten(0, tuple(a.shape)),
        1,
        shapes=S1,
        ref=lambda a: a,
        covers=("reshape",),
    ),
    Row(
        "squeeze_unsqueeze",
        lambda a, dim: a.unsqueeze(dim).squeeze(dim),
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"dim": dims(len(s[0]) + 1)}),
        ref=lambda a, dim: a,
        covers=("reshape",),
    ),
    Row(
        "permute",
        lambda a, dims: a.permute(*dims),
        1,
        shapes=S1,
        kwargs=_seeded(_perm),
        ref=lambda a, dims: np.transpose(a, dims),
    ),
    Row(
        "transpose",
        lambda a, d0, d1: a.transpose(d0, d1),
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"d0": dims(len(s[0])), "d1": dims(len(s[0]))}),
        ref=lambda a, d0, d1: np.swapaxes(a, d0, d1),
        covers=("permute",),
    ),
    Row(
        "T_mT",
        lambda a: a.mT + 0,
        1,
        shapes=S2D,
        ref=lambda a: np.swapaxes(a, -1, -2),
        covers=("permute", "add"),
    ),
    Row(
        "expand",
        lambda a, sizes: a.expand(*sizes),
        1,
        shapes=_expand_shapes(),
        kwargs=_expand_kw,
        ref=lambda a, sizes: np.broadcast_to(a, sizes),
        covers=("broadcast_to",),
    ),
    Row(
        "broadcast_to",
        lambda a: ag.broadcast_to(a, (2,) + tuple(a.shape)),
        1,
        ref=lambda a: np.broadcast_to(a, (2,) + a.shape),
    ),
    Row(
        "getitem",
        _getitem,
        1,
        shapes=S1,
        kwargs=_seeded(_index_kw),
        ref=lambda a, idx: a[idx],
        covers=("getitem", "index", "index_grad"),
    ),
    Row(
        "setitem",
        lambda a, v: _setitem(a, v),
        2,
        shapes=st.just(((3, 4), (4,))),
        covers=("index_put", "clone"),
    ),
    Row(
        "cat",
        lambda *xs, dim: ag.cat(list(xs), dim),
        3,
        shapes=_cat_shapes(),
        kwargs=_cat_dim,
        ref=lambda *xs, dim: np.concatenate(xs, axis=dim),
    ),
    Row(
        "stack",
        lambda *xs, dim: ag.stack(list(xs), dim),
        3,
        shapes=same_shapes(3),
        kwargs=lambda s: st.fixed_dictionaries({"dim": dims(len(s[0]) + 1)}),
        ref=lambda *xs, dim: np.stack(xs, axis=dim),
    ),
    Row(
        "split",
        lambda a, dim, size: ag.cat(
            [p * (i + 1) for i, p in enumerate(ag.split(a, size, dim))], dim
        ),
        1,
        shapes=S1,
        kwargs=_split_kw,
        covers=("getitem", "cat"),
    ),
    Row(
        "chunk_unbind",
        lambda a: ag.stack(
            [c.sum() for c in ag.chunk(a, 2, 0)] + list(ag.unbind(a, 0)[0].reshape(-1))
        ),
        1,
        shapes=S1,
        covers=("getitem", "stack"),
    ),
    Row(
        "narrow_select",
        lambda a: a.narrow(0, 0, 1).sum() + a.select(-1, 0).sum(),
        1,
        shapes=S1,
        covers=("getitem",),
    ),
    Row(
        "flip",
        lambda a, dim: a.flip(dim),
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"dim": dims(len(s[0]))}),
        ref=lambda a, dim: np.flip(a, dim),
    ),
    Row(
        "roll",
        lambda a, shifts, dims: a.roll(shifts, dims),
        1,
        shapes=S1,
        kwargs=_seeded(_roll_kw),
        ref=lambda a, shifts, dims: np.roll(a, shifts, dims),
    ),
    Row(
        "roll_flat",
        lambda a: a.roll(2),
        1,
        shapes=S1,
        ref=lambda a: np.roll(a.reshape(-1), 2).reshape(a.shape),
        covers=("roll",),
    ),
    Row(
        "repeat",
        lambda a: a.repeat(*([2] * a.ndim + [1])) if a.ndim else a.repeat(3),
        1,
        ref=lambda a: np.tile(a, [2] * a.ndim + [1]) if a.ndim else np.tile(a, 3),
        covers=("tile",),
    ),
    Row("tile", lambda a: a.tile((2, 1)), 1, shapes=S1, ref=lambda a: np.tile(a, (2, 1))),
    Row(
        "gather",
        lambda a, dim, index: ag.gather(a, dim, ag.tensor(index)),
        1,
        shapes=S1,
        kwargs=_seeded(_gather_kw),
        covers=("gather", "getitem", "scatter_add"),
        ref=lambda a, dim, index: np.take_along_axis(
            a[tuple(slice(0, index.shape[k]) if k != dim else slice(None) for k in range(a.ndim))],
            index,
            dim,
        ),
    ),
    Row(
        "take_along_dim",
        lambda a, dim, index: ag.take_along_dim(a, ag.tensor(index), dim),
        1,
        shapes=S1,
        kwargs=_seeded(_gather_kw),
        covers=("gather",),
    ),
    Row(
        "scatter",
        lambda a, src, dim, index: ag.scatter(a, dim, ag.tensor(index), src),
        2,
        shapes=same_shapes(2, min_dims=1),
        kwargs=_seeded(_scatter_kw),
        covers=("scatter", "pad"),
    ),
    Row(
        "scatter_value",
        lambda a, dim, index: ag.scatter(a, dim, ag.tensor(index), value=0.5),
        1,
        shapes=S1,
        kwargs=_seeded(_scatter_kw),
        covers=("scatter",),
    ),
    Row(
        "scatter_add",
        lambda a, src, dim, index: ag.scatter_add(a, dim, ag.tensor(index), src),
        2,
        shapes=same_shapes(2, min_dims=1),
        kwargs=_seeded(_scatter_add_kw),
        covers=("scatter_add", "add"),
    ),
    Row(
        "index_select",
        lambda a, dim, index: ag.index_select(a, dim, ag.tensor(index)),
        1,
        shapes=S1,
        kwargs=_seeded(_index_select_kw),
        covers=("index_select", "index_add"),
        ref=lambda a, dim, index: np.take(a, index, axis=dim),
    ),
    Row(
        "masked_select",
        lambda a, mask: ag.masked_select(a, ag.tensor(mask)),
        1,
        shapes=S1,
        kwargs=_seeded(lambda rng, s: {"mask": rng.random(s[0][-1:]) < 0.6}),
        ref=lambda a, mask: a[np.broadcast_to(mask, a.shape)],
        covers=("getitem", "index", "broadcast_to"),
    ),
    Row(
        "tril",
        lambda a, k: ag.tril(a, k),
        1,
        shapes=S2D,
        kwargs=lambda s: st.fixed_dictionaries({"k": st.integers(-1, 1)}),
        ref=lambda a, k: np.tril(a, k),
    ),
    Row(
        "triu",
        lambda a, k: ag.triu(a, k),
        1,
        shapes=S2D,
        kwargs=lambda s: st.fixed_dictionaries({"k": st.integers(-1, 1)}),
        ref=lambda a, k: np.triu(a, k),
    ),
    Row(
        "diagonal",
        lambda a, offset: ag.diagonal(a, offset, -2, -1),
        1,
        shapes=S2D,
        kwargs=_diag_kw,
        ref=lambda a, offset: np.diagonal(a, offset, -2, -1).copy(),
        covers=("diagonal", "diag_embed"),
    ),
    Row(
        "diag_1d",
        lambda a, offset: ag.diag(a, offset),
        1,
        shapes=same_shapes(1, 1, 1),
        kwargs=_diag_kw,
        ref=lambda a, offset: np.diag(a, offset),
        covers=("diag_embed",),
    ),
    Row("diag_embed", lambda a: ag.diag_embed(a, 1), 1, shapes=S1, covers=("diag_embed",)),
    Row(
        "pad",
        lambda a, pad, value: _pad(a, pad, value=value),
        1,
        shapes=same_shapes(1, min_dims=1),
        kwargs=_seeded(_pad_kw),
    ),
    Row(
        "movedim",
        lambda a: ag.movedim(a, 0, -1),
        1,
        shapes=S1,
        ref=lambda a: np.moveaxis(a, 0, -1),
        covers=("permute",),
    ),
]


def _setitem(a, v):
    out = a * 1.0  # a non-leaf copy we may modify in place
    out[1] = v * 2.0
    out[0, 1:3] = 0.0
    return out


# ---------------------------------------------------------------------------------------
# atleast_nd, column_stack, dstack, block_diag, cartesian_prod, combinations, kron, rot90,
# repeat_interleave, take, index_add, index_copy, scatter_reduce

SMALL = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)


def _atleast(a, b, c):
    outs = ag.atleast_1d(a, b) + (ag.atleast_2d(b), ag.atleast_3d(c))
    return ag.cat([o.reshape(-1) * (i + 1) for i, o in enumerate(outs)])


def _np_atleast(a, b, c):
    outs = [np.atleast_1d(a), np.atleast_1d(b), np.atleast_2d(b), np.atleast_3d(c)]
    return np.concatenate([o.reshape(-1) * (i + 1) for i, o in enumerate(outs)])


def _col_shapes():
    return st.integers(1, 3).flatmap(
        lambda n: st.tuples(st.just((n,)), st.just((n, 2)), st.sampled_from([(n,), (n, 1)]))
    )


def _dstack_shapes():
    return st.integers(1, 3).flatmap(
        lambda n: st.tuples(st.just((1, n)), st.just((n,)), st.just((1, n, 2)))
    )


def _block_shapes():
    one = st.one_of(st.just(()), st.tuples(st.integers(1, 3)), st.tuples(*[st.integers(1, 3)] * 2))
    return st.tuples(one, one, one)


def _np_block_diag(*xs):
    ms = [np.atleast_2d(x) for x in xs]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r : r + m.shape[0], c : c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _np_combinations(a, r, with_replacement):
    import itertools

    if r == 0:
        return a[:0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(a.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return a[idx]


def _rot90_kw(shapes):
    nd = len(shapes[0])
    return st.fixed_dictionaries(
        {
            "k": st.integers(-5, 5),
            "dims": st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True).map(
                tuple
            ),
        }
    )


def _repeat_interleave_kw(rng, shapes):
    shape = shapes[0]
    if rng.random() < 0.3:
        return {"repeats": int(rng.integers(0, 3)), "dim": None}
    d = int(rng.integers(len(shape)))
    reps = rng.integers(0, 3, size=shape[d])
    return {"repeats": reps, "dim": d - len(shape) if rng.random() < 0.5 else d}


def _repeat_interleave(a, repeats, dim):
    r = ag.tensor(repeats) if isinstance(repeats, np.ndarray) else repeats
    return ag.repeat_interleave(a, r, dim)


def _np_repeat_interleave(a, repeats, dim):
    return np.repeat(a, repeats, axis=dim)


def _take_kw(rng, shapes):
    n = int(np.prod(shapes[0]))
    return {"index": rng.integers(-n, n, size=tuple(rng.integers(1, 3, size=2)))}


def _index_add_shapes():
    return st.lists(st.integers(1, 3), min_size=1, max_size=3).flatmap(
        lambda s: st.integers(0, len(s) - 1).flatmap(
            lambda d: st.integers(1, 4).map(
                lambda k: (tuple(s), tuple(k if i == d else v for i, v in enumerate(s)), d)
            )
        )
    )


def _index_add_case():
    # shapes (input, source); the dim rides along in the kwargs
    return _index_add_shapes().map(lambda t: (t[0], t[1]))


def _index_kw_from(shapes, unique):
    x, s = shapes
    d = [i for i in range(len(x)) if x[i] != s[i]]
    d = d[0] if d else 0
    k = s[d]

    def make(seed):
        rng = np.random.default_rng(seed)
        if unique:
            return {"dim": d, "index": rng.permutation(x[d])[:k], "alpha": 1}
        return {"dim": d, "index": rng.integers(0, x[d], size=k), "alpha": 1.5}

    return st.integers(0, 2**31).map(make)


def _index_copy_shapes():
    # source no longer than input along the dim, so indices can be distinct
    return _index_add_shapes().map(lambda t: (t[0], tuple(min(a, b) for a, b in zip(t[0], t[1]))))


def _np_index_add(x, s, dim, index, alpha):
    out = x.copy()
    np.add.at(out, (slice(None),) * dim + (index,), alpha * s)
    return out


def _np_index_copy(x, s, dim, index, alpha):
    out = x.copy()
    out[(slice(None),) * dim + (index,)] = s
    return out


def _scatter_reduce_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    ishape = [int(rng.integers(1, n + 1)) for n in shape]
    ishape[d] = int(rng.integers(1, 2 * shape[d] + 1))
    return {
        "dim": d,
        "index": rng.integers(0, shape[d], size=ishape),
        "reduce": ["sum", "prod", "mean", "amax", "amin"][int(rng.integers(5))],
        "include_self": bool(rng.integers(2)),
    }


def _scatter_reduce_shapes():
    # src at least as large as the index drawn for it: (input, src) with src's dim doubled
    return st.lists(st.integers(1, 3), min_size=1, max_size=3).map(
        lambda s: (tuple(s), tuple(2 * v for v in s))
    )


def _np_scatter_reduce(x, src, dim, index, reduce, include_self):
    out = x.copy()
    full = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
    full[dim] = index
    idx = tuple(full)
    s = src[tuple(slice(0, n) for n in index.shape)]
    groups = {}
    for pos, v in zip(
        zip(*[np.broadcast_to(i, index.shape).reshape(-1) for i in idx]), s.reshape(-1)
    ):
        groups.setdefault(pos, []).append(v)
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for pos, vals in groups.items():
        out[pos] = fn(([x[pos]] if include_self else []) + vals)
    return out


def _distinct_pair(arrs, kw):
    """Distinct, well separated values across input and src (amax/amin away from ties);
    positive and away from 0 for prod."""
    x, s = arrs
    rng = np.random.default_rng(x.size * 7 + s.size)
    vals = 0.5 + rng.permutation(x.size + s.size) * (1.0 / (x.size + s.size))
    return [vals[: x.size].reshape(x.shape), vals[x.size :].reshape(s.shape)]


ROWS += [
    Row(
        "atleast_nd",
        _atleast,
        3,
        shapes=st.tuples(SMALL, SMALL, SMALL),
        ref=_np_atleast,
        covers=("reshape", "cat"),
    ),
    Row(
        "column_stack",
        lambda a, b, c: ag.column_stack([a, b, c]),
        3,
        shapes=_col_shapes(),
        ref=lambda a, b, c: np.column_stack([a, b, c]),
        covers=("reshape", "cat"),
    ),
    Row(
        "dstack",
        lambda a, b, c: ag.dstack([a, b, c]),
        3,
        shapes=_dstack_shapes(),
        ref=lambda a, b, c: np.dstack([a, b, c]),
        covers=("reshape", "cat"),
    ),
    Row(
        "block_diag",
        ag.block_diag,
        3,
        shapes=_block_shapes(),
        ref=_np_block_diag,
        covers=("pad", "cat", "reshape"),
    ),
    Row(
        "cartesian_prod",
        ag.cartesian_prod,
        2,
        shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda t: ((t[0],), (t[1],))),
        ref=lambda a, b: np.stack([np.repeat(a, b.size), np.tile(b, a.size)], 1),
        covers=("broadcast_to", "reshape", "stack"),
    ),
    Row(
        "combinations",
        lambda a, r, with_replacement: ag.combinations(a, r, with_replacement),
        1,
        shapes=st.integers(1, 4).map(lambda n: ((n,),)),
        kwargs=lambda s: st.fixed_dictionaries(
            {"r": st.integers(0, 3), "with_replacement": st.booleans()}
        ),
        ref=_np_combinations,
        covers=("index",),
    ),
    Row(
        "kron",
        ag.kron,
        2,
        shapes=st.tuples(SMALL, SMALL),
        ref=np.kron,
        covers=("reshape", "mul"),
    ),
    Row(
        "rot90",
        lambda a, k, dims: ag.rot90(a, k, dims),
        1,
        shapes=same_shapes(1, min_dims=2),
        kwargs=_rot90_kw,
        ref=lambda a, k, dims: np.rot90(a, k, dims),
        covers=("flip", "permute", "clone"),
    ),
    Row(
        "repeat_interleave",
        _repeat_interleave,
        1,
        shapes=S1,
        kwargs=_seeded(_repeat_interleave_kw),
        ref=_np_repeat_interleave,
        covers=("index_select", "index_add", "reshape"),
    ),
    Row(
        "take",
        lambda a, index: ag.take(a, ag.tensor(index)),
        1,
        kwargs=_seeded(_take_kw),
        ref=lambda a, index: np.take(a.reshape(-1), index),
        covers=("take", "put"),
    ),
    Row(
        "index_add",
        lambda a, s, dim, index, alpha: ag.index_add(a, dim, ag.tensor(index), s, alpha=alpha),
        2,
        shapes=_index_add_case(),
        kwargs=lambda s: _index_kw_from(s, unique=False),
        ref=_np_index_add,
        covers=("index_add", "index_select", "add", "mul"),
    ),
    Row(
        "index_copy",
        lambda a, s, dim, index, alpha: ag.index_copy(a, dim, ag.tensor(index), s),
        2,
        shapes=_index_copy_shapes(),
        kwargs=lambda s: _index_kw_from(s, unique=True),
        ref=_np_index_copy,
        covers=("index_put", "getitem"),
    ),
    Row(
        "scatter_reduce",
        lambda a, s, **kw: ag.scatter_reduce(
            a, kw["dim"], ag.tensor(kw["index"]), s, kw["reduce"], include_self=kw["include_self"]
        ),
        2,
        shapes=_scatter_reduce_shapes(),
        kwargs=_seeded(_scatter_reduce_kw),
        prep=_distinct_pair,
        ref=_np_scatter_reduce,
        covers=("scatter_reduce", "gather", "pad"),
    ),
    Row(
        "scatter_reduce_prod_zero",
        lambda a, s: ag.scatter_reduce(a, 0, ag.tensor([0, 1, 0, 2]), s, "prod"),
        2,
        shapes=st.just(((3,), (4,))),
        domain=[(0.5, 1.5), (0.5, 1.5)],
        prep=lambda arrs, kw: [arrs[0], np.concatenate([[0.0], arrs[1][1:]])],
        ref=lambda a, s: a * np.array([s[0] * s[2], s[1], s[3]]),
        covers=("scatter_reduce",),
    ),
]


def _unfold_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    size = int(rng.integers(0, shape[d] + 1))
    return {"dimension": d - len(shape) * int(rng.integers(2)), "size": size,
            "step": int(rng.integers(1, 4))}  # fmt: skip


def _np_unfold(a, dimension, size, step):
    from numpy.lib.stride_tricks import sliding_window_view

    d = dimension % a.ndim
    w = sliding_window_view(a, size, axis=d)
    return w[(slice(None),) * d + (slice(None, None, step),)].copy()


def _diff_kw(rng, shapes):
    shape = shapes[0]
    d = int(rng.integers(len(shape)))
    return {"n": int(rng.integers(0, 4)), "dim": d - len(shape) * int(rng.integers(2))}


def _np_masked_scatter(a, s, mask):
    out = np.array(np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape)))
    m = np.broadcast_to(mask, out.shape)
    out[m] = s.reshape(-1)[: m.sum()]
    return out


# ---------------------------------------------------------------------------------------
# in-place ops on views: the root's history is rebased (copy_slices), the views read back out
# of it (view_from_base); zero_/fill_ record a zero gradient (overwrite)


def _inplace_on_views(a, w):
    """``a`` (3, 4), ``w`` (4,): in-place ops through many kinds of views of one root."""
    y = a * 1.0
    c = y[:, 1]  # taken before the root changes: refreshed when used below
    y[:, 0].mul_(2.0)  # select
    y[1:].narrow(1, 1, 3).add_(w[1:])  # a view of a view
    y.view(-1)[::5].sin_()  # the VJP reads the old value
    y.t().diagonal().copy_(w[:3])  # transpose, then diagonal
    y[2].unsqueeze(0).mul_(w)
    c.mul_(w[:3])
    c[1:] = w[2:] * 3.0  # index assignment on a view
    return y * y[0]  # the root read after it all


def _np_inplace_on_views(a, w):
    y = a * 1.0
    y[:, 0] *= 2.0
    y[1:, 1:] += w[1:]
    f = y.reshape(-1)
    f[::5] = np.sin(f[::5])
    y.T[np.arange(3), np.arange(3)] = w[:3]
    y[2] *= w
    y[:, 1] *= w[:3]
    y[1:, 1] = w[2:] * 3.0
    return y * y[0]


def _inplace_fills(a):
    y = a * 1.0
    y[0].zero_()
    y[:, 1].fill_(2.0)
    z = a * 3.0
    z.zero_()  # not a view: the tensor's own history gets the zero gradient
    return y * a + z


def _np_inplace_fills(a):
    y = a.copy()
    y[0] = 0.0
    y[:, 1] = 2.0
    return y * a


ROWS += [
    Row(
        "unfold",
        lambda a, **kw: a.unfold(**kw),
        1,
        shapes=same_shapes(1, min_dims=1, max_side=5),
        kwargs=_seeded(_unfold_kw),
        ref=_np_unfold,
        covers=("unfold", "unfold_backward"),
    ),
    Row(
        "unfold_overlapping",
        lambda a: a.unfold(0, 3, 1) * a.unfold(0, 3, 1),
        1,
        shapes=st.sampled_from([((5,),), ((6, 2),), ((3,),)]),
        ref=lambda a: _np_unfold(a, 0, 3, 1) ** 2,
        covers=("unfold", "unfold_backward", "mul"),
    ),
    Row(
        "diff",
        lambda a, n, dim: ag.diff(a, n, dim),
        1,
        shapes=same_shapes(1, min_dims=1, max_side=5),
        kwargs=_seeded(_diff_kw),
        ref=lambda a, n, dim: np.diff(a, n, axis=dim),
        covers=("getitem", "sub"),
    ),
    Row(
        "diff_prepend_append",
        lambda a, p, q: ag.diff(a, 2, 0, prepend=p, append=q),
        3,
        shapes=st.sampled_from([((3, 2), (1, 2), (2, 2)), ((4,), (2,), (1,))]),
        ref=lambda a, p, q: np.diff(np.concatenate([p, a, q]), 2, axis=0),
        covers=("cat", "getitem", "sub"),
    ),
    Row(
        "masked_scatter",
        lambda a, s, mask: ag.masked_scatter(a, ag.tensor(mask), s),
        2,
        shapes=st.sampled_from(
            [((2, 3), (7,)), ((3,), (2, 3)), ((4, 1), (2, 2, 2)), ((3, 2), (6,))]
        ),
        kwargs=_seeded(lambda rng, s: {"mask": rng.random((2,) * (len(s[0]) == 1) + s[0]) < 0.5}),
        ref=_np_masked_scatter,
        covers=("masked_scatter", "masked_fill", "getitem", "pad", "reshape"),
    ),
    Row(
        "inplace_on_views",
        _inplace_on_views,
        2,
        shapes=st.just(((3, 4), (4,))),
        ref=_np_inplace_on_views,
        covers=("copy_slices", "view_from_base", "copy_from", "index_put"),
    ),
    Row(
        "inplace_fills",
        _inplace_fills,
        1,
        shapes=st.just(((3, 4),)),
        ref=_np_inplace_fills,
        covers=("overwrite",),
    ),
]
