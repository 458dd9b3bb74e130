"""Op-table rows: sort, topk, kthvalue, median, cumprod, logaddexp, nan_to_num, meshgrid, mode,
unique, unique_consecutive."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from autograd.testing import dims
from tests.autograd.op_table import Row, same_shapes
from tests.autograd.rows_reduction import _distinct

S1 = same_shapes(1, min_dims=1)


def _dim(shapes):
    return st.fixed_dictionaries({"dim": dims(len(shapes[0]))})


ROWS = [
    Row(
        "sort",
        lambda a, dim: a.sort(dim).values,
        1,
        shapes=S1,
        kwargs=_dim,
        prep=_distinct,
        ref=lambda a, dim: np.sort(a, axis=dim),
        covers=("gather",),
    ),
    Row(
        "sort_descending",
        lambda a, dim: a.sort(dim, descending=True).values,
        1,
        shapes=S1,
        kwargs=_dim,
        prep=_distinct,
        ref=lambda a, dim: -np.sort(-a, axis=dim),
        covers=("gather",),
    ),
    Row(
        "topk",
        lambda a: a.topk(1, dim=-1).values,
        1,
        shapes=S1,
        prep=_distinct,
        ref=lambda a: np.sort(a, axis=-1)[..., ::-1][..., :1],
        covers=("gather",),
    ),
    Row(
        "kthvalue_median",
        lambda a: a.median() + a.kthvalue(1, 0).values.sum(),
        1,
        shapes=S1,
        prep=_distinct,
        covers=("gather", "reshape"),
    ),
    Row(
        "cumprod",
        lambda a, dim: a.cumprod(dim),
        1,
        shapes=S1,
        kwargs=_dim,
        domain=(0.5, 1.5),
        ref=lambda a, dim: np.cumprod(a, axis=dim),
        covers=("cumprod",),
    ),
    Row(
        "cumprod_with_zero",
        lambda a: (a * (a > 0.5)).cumprod(0),
        1,
        shapes=st.just(((4,),)),
        domain=(0.0, 2.0),
        kinks=(0.5,),
        gradgrad=False,
        covers=("cumprod", "cumprod_zero_grad"),
    ),
    Row("logaddexp", ag.logaddexp, 2, ref=np.logaddexp),
    Row(
        "nan_to_num",
        lambda a: ag.nan_to_num(ag.log(a)),
        1,
        domain=(0.2, 2.0),
        ref=lambda a: np.nan_to_num(np.log(a)),
        covers=("nan_to_num", "log"),
    ),
    Row(
        "meshgrid",
        lambda a, b: sum(g.sum() * (i + 1) for i, g in enumerate(ag.meshgrid(a, b))),
        2,
        shapes=st.just(((2,), (3,))),
        covers=("broadcast_to",),
    ),
    Row(
        "argsort",
        lambda a: a.argsort(-1),
        1,
        shapes=S1,
        prep=_distinct,
        grad=False,
        ref=lambda a: np.argsort(a, axis=-1),
    ),
]


# ---------------------------------------------------------------------------------------
# mode


def _np_mode(a, dim, keepdim):
    """Smallest most frequent value along ``dim``, by counting."""
    m = np.moveaxis(a, dim, -1)
    out = np.empty(m.shape[:-1])
    for i in np.ndindex(*m.shape[:-1]):
        vals, counts = np.unique(m[i], return_counts=True)
        out[i] = vals[np.argmax(counts)]
    return np.expand_dims(out, dim) if keepdim else out


def _repeats(arrs, kw):
    """Distinct values, except that some repeat (so a mode exists beyond the minimum); the
    repeats are exact copies, and all values stay 0.3 apart."""
    (a,) = _distinct(arrs, kw)
    flat = a.reshape(-1).copy()
    if flat.size >= 3:
        flat[1::3] = flat[0::3][: flat[1::3].size]
    return [flat.reshape(a.shape)]


ROWS += [
    # distinct values: the mode is the minimum, and a small perturbation keeps it so
    Row(
        "mode",
        lambda a, dim, keepdim: ag.mode(a, dim, keepdim).values,
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"dim": dims(len(s[0])), "keepdim": st.booleans()}),
        prep=_distinct,
        ref=_np_mode,
        covers=("gather", "reshape"),
    ),
    # repeated values: a perturbation changes the counts (no finite differences), forward only
    Row(
        "mode_ties",
        lambda a, dim, keepdim: ag.mode(a, dim, keepdim).values,
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"dim": dims(len(s[0])), "keepdim": st.booleans()}),
        prep=_repeats,
        ref=_np_mode,
        grad=False,
        covers=("gather",),
    ),
]


def _np_unique_consecutive(a, dim=None):
    if dim is None:
        flat = a.reshape(-1)
        keep = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else flat.astype(bool)
        return flat[keep]
    m = np.moveaxis(a, dim, 0)
    keep = [i == 0 or not np.array_equal(m[i], m[i - 1]) for i in range(m.shape[0])]
    return np.moveaxis(m[np.array(keep, dtype=bool)], 0, dim)


def _np_unique_dim(a, dim):
    # unique slices along dim in lexicographic order, written out (not np.unique(axis=))
    m = np.moveaxis(a, dim, 0)
    rows = sorted({tuple(r.reshape(-1)) for r in m})
    out = np.array(rows, dtype=a.dtype).reshape((len(rows),) + m.shape[1:])
    return np.moveaxis(out, 0, dim)


ROWS += [
    # values with repeats; the values record a node whose backward raises, as PyTorch's
    Row(
        "unique_consecutive",
        lambda a, dim: ag.unique_consecutive(a, dim=dim),
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"dim": st.none() | dims(len(s[0]))}),
        prep=_repeats,
        ref=_np_unique_consecutive,
        grad=False,
    ),
    Row(
        "_unique2",
        ag.unique,
        1,
        shapes=S1,
        prep=_repeats,
        ref=lambda a: np.array(sorted(set(a.reshape(-1).tolist())), dtype=a.dtype),
        grad=False,
    ),
    Row(
        "unique_dim",
        lambda a, dim: ag.unique(a, dim=dim),
        1,
        shapes=S1,
        kwargs=lambda s: st.fixed_dictionaries({"dim": dims(len(s[0]))}),
        prep=_repeats,
        ref=_np_unique_dim,
        grad=False,
    ),
]
