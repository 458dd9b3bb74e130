"""Op-table rows: reductions, softmax, log-softmax, cumsum."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from autograd.testing import dims
from tests.autograd.op_table import Row, same_shapes


def _dim_kw(min_dims=0, allow_tuple=True, keepdim=True):
    def kw(shapes):
        nd = len(shapes[0])
        dim = dims(nd, allow_tuple=allow_tuple and nd > 0) if nd else st.sampled_from([0, -1])
        opts = {"dim": st.one_of(st.none(), dim) if allow_tuple else dim}
        if keepdim:
            opts["keepdim"] = st.booleans()
        return st.fixed_dictionaries(opts)

    return kw


def _np_axis(dim, nd):
    if dim is None:
        return None
    if isinstance(dim, tuple):
        return tuple(d % max(nd, 1) for d in dim) if nd else None
    return dim % max(nd, 1) if nd else None


def _distinct(arrs, kw):
    """Make values distinct so max/min have a unique arg (away from ties)."""
    a = arrs[0]
    n = a.size
    if n:
        rng = np.random.default_rng(int(abs(a.reshape(-1)[0]) * 1e6) % 2**32)
        vals = (rng.permutation(n) - n / 2) * 0.3 + rng.uniform(-0.05, 0.05)
        a = vals.reshape(a.shape)
    return [a]


def _ref_reduce(fn):
    def ref(a, dim=None, keepdim=False):
        return fn(a, axis=_np_axis(dim, a.ndim), keepdims=keepdim)

    return ref


def _var_ref(a, dim=None, keepdim=False, correction=1):
    ax = _np_axis(dim, a.ndim)
    return np.var(a, axis=ax, keepdims=keepdim, ddof=correction)


def _std_ref(a, dim=None, keepdim=False, correction=1):
    ax = _np_axis(dim, a.ndim)
    return np.std(a, axis=ax, keepdims=keepdim, ddof=correction)


def _var_kw(shapes):
    nd = len(shapes[0])
    return st.fixed_dictionaries(
        {
            "dim": st.one_of(st.none(), dims(nd, allow_tuple=True)) if nd else st.none(),
            "keepdim": st.booleans(),
            "correction": st.sampled_from([0, 1]),
        }
    )


def _enough_for_var(arrs, kw):
    # keep at least 2 elements per group for correction=1 (else the result is inf/nan)
    return arrs


def _var_shapes():
    return st.tuples(st.lists(st.integers(2, 3), min_size=1, max_size=3).map(tuple))


def _lse_ref(a, dim=None, keepdim=False):
    ax = _np_axis(dim, a.ndim)
    m = np.max(a, axis=ax, keepdims=True)
    r = np.log(np.sum(np.exp(a - m), axis=ax, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=ax)


def _softmax_ref(a, dim=-1):
    ax = dim % a.ndim if a.ndim else None
    e = np.exp(a - np.max(a, axis=ax, keepdims=True))
    return e / np.sum(e, axis=ax, keepdims=True)


def _single_dim(shapes):
    nd = len(shapes[0])
    return st.fixed_dictionaries({"dim": dims(nd)}) if nd else st.just({"dim": 0})


def _max_dim_kw(shapes):
    nd = len(shapes[0])
    return st.fixed_dictionaries({"dim": dims(nd), "keepdim": st.booleans()})


NONEMPTY1 = same_shapes(1, min_dims=1)

ROWS = [
    Row(
        "sum",
        lambda a, **kw: ag.sum(a, **kw),
        1,
        shapes=same_shapes(1),
        kwargs=_dim_kw(),
        ref=_ref_reduce(np.sum),
    ),
    Row(
        "mean",
        lambda a, **kw: ag.mean(a, **kw),
        1,
        shapes=same_shapes(1),
        kwargs=_dim_kw(),
        ref=_ref_reduce(np.mean),
    ),
    Row(
        "prod",
        lambda a, dim=None, keepdim=False: (
            ag.prod(a) if dim is None or isinstance(dim, tuple) else ag.prod(a, dim, keepdim)
        ),
        1,
        shapes=same_shapes(1),
        domain=(0.5, 1.5),
        kwargs=_dim_kw(),
        ref=lambda a, dim=None, keepdim=False: (
            np.prod(a)
            if dim is None or isinstance(dim, tuple)
            else np.prod(a, axis=_np_axis(dim, a.ndim), keepdims=keepdim)
        ),
        covers=("prod", "prod_others", "prod_others_grad"),
    ),
    Row(
        "prod_with_zero",
        lambda a: ag.prod(a * (a > 0.5), 0),
        1,
        shapes=st.just(((4,),)),
        kinks=(0.5,),
        domain=(0.0, 2.0),
        covers=("prod",),
        gradgrad=True,
    ),
    Row(
        "amax",
        lambda a, **kw: ag.amax(a, **({} if kw["dim"] is None else kw)),
        1,
        shapes=same_shapes(1),
        kwargs=_dim_kw(),
        prep=_distinct,
        ref=_ref_reduce(np.amax),
    ),
    Row(
        "amin",
        lambda a, **kw: ag.amin(a, **({} if kw["dim"] is None else kw)),
        1,
        shapes=same_shapes(1),
        kwargs=_dim_kw(),
        prep=_distinct,
        ref=_ref_reduce(np.amin),
    ),
    Row(
        "max_full",
        lambda a: ag.max(a),
        1,
        shapes=NONEMPTY1,
        prep=_distinct,
        ref=np.max,
        covers=("amax",),
    ),
    Row(
        "max_tie_even_split",
        lambda a: ag.max(ag.cat([a, a])),
        1,
        shapes=NONEMPTY1,
        prep=_distinct,
        covers=("amax", "cat"),
    ),
    Row(
        "max_dim",
        lambda a, **kw: ag.max(a, **kw).values,
        1,
        shapes=NONEMPTY1,
        kwargs=_max_dim_kw,
        prep=_distinct,
        ref=lambda a, dim, keepdim: np.max(a, axis=dim % a.ndim, keepdims=keepdim),
        covers=("gather", "reshape"),
    ),
    Row(
        "min_dim",
        lambda a, **kw: ag.min(a, **kw).values,
        1,
        shapes=NONEMPTY1,
        kwargs=_max_dim_kw,
        prep=_distinct,
        ref=lambda a, dim, keepdim: np.min(a, axis=dim % a.ndim, keepdims=keepdim),
        covers=("gather",),
    ),
    Row(
        "var",
        lambda a, **kw: ag.var(a, **kw),
        1,
        shapes=_var_shapes(),
        kwargs=_var_kw,
        ref=_var_ref,
        covers=("mean", "sub", "mul", "sum", "div"),
    ),
    Row(
        "std",
        lambda a, **kw: ag.std(a, **kw),
        1,
        shapes=_var_shapes(),
        kwargs=_var_kw,
        ref=_std_ref,
        covers=("sqrt",),
    ),
    Row(
        "norm2",
        lambda a, **kw: ag.norm(a, **kw),
        1,
        shapes=same_shapes(1, min_dims=1),
        kwargs=_dim_kw(),
        domain=(0.2, 2.0),
        ref=lambda a, dim=None, keepdim=False: np.sqrt(
            np.sum(a * a, axis=_np_axis(dim, a.ndim), keepdims=keepdim)
        ),
        covers=("norm2",),
    ),
    Row(
        "norm_p",
        lambda a, p=3: ag.norm(a, p=p),
        1,
        kinks=(0.0,),
        kwargs=lambda s: st.fixed_dictionaries({"p": st.sampled_from([1, 3, 1.5, float("inf")])}),
        shapes=NONEMPTY1,
        prep=_distinct,
        ref=lambda a, p=3: np.linalg.norm(a.reshape(-1), ord=p),
        covers=("abs", "pow"),
    ),
    Row(
        "logsumexp",
        lambda a, **kw: ag.logsumexp(
            a, kw["dim"] if kw["dim"] is not None else tuple(range(a.ndim)), kw["keepdim"]
        ),
        1,
        shapes=same_shapes(1, min_dims=1),
        kwargs=_dim_kw(),
        ref=_lse_ref,
    ),
    Row(
        "softmax",
        lambda a, dim: ag.softmax(a, dim),
        1,
        shapes=NONEMPTY1,
        kwargs=_single_dim,
        ref=_softmax_ref,
    ),
    Row(
        "log_softmax",
        lambda a, dim: ag.log_softmax(a, dim),
        1,
        shapes=NONEMPTY1,
        kwargs=_single_dim,
        ref=lambda a, dim: np.log(_softmax_ref(a, dim)),
    ),
    Row(
        "cumsum",
        lambda a, dim: ag.cumsum(a, dim),
        1,
        shapes=NONEMPTY1,
        kwargs=_single_dim,
        ref=lambda a, dim: np.cumsum(a, axis=dim % a.ndim),
    ),
    Row(
        "argmax",
        lambda a, dim: ag.argmax(a, dim),
        1,
        shapes=NONEMPTY1,
        kwargs=_single_dim,
        prep=_distinct,
        grad=False,
        ref=lambda a, dim: np.argmax(a, axis=dim % a.ndim),
    ),
    Row(
        "argmin",
        lambda a, dim: ag.argmin(a, dim),
        1,
        shapes=NONEMPTY1,
        kwargs=_single_dim,
        prep=_distinct,
        grad=False,
        ref=lambda a, dim: np.argmin(a, axis=dim % a.ndim),
    ),
    Row("all", lambda a: ag.all(a > 0), 1, grad=False, ref=lambda a: np.all(a > 0)),
    Row("any", lambda a: ag.any(a > 0), 1, grad=False, ref=lambda a: np.any(a > 0)),
    Row(
        "count_nonzero",
        lambda a: ag.count_nonzero(a > 0),
        1,
        grad=False,
        ref=lambda a: np.count_nonzero(a > 0),
    ),
]


# ---------------------------------------------------------------------------------------
# nanmean


def _with_nans(a, mask):
    return ag.where(ag.tensor(mask), float("nan"), a)


def _nanmean_kw(shapes):
    nd = len(shapes[0])
    return st.fixed_dictionaries(
        {
            "dim": st.one_of(st.none(), dims(nd, allow_tuple=True)) if nd else st.none(),
            "keepdim": st.booleans(),
            "mask": st.integers(0, 2**31).map(
                lambda seed: np.random.default_rng(seed).random(shapes[0]) < 0.3
            ),
        }
    )


def _nanmean_ref(a, dim=None, keepdim=False, mask=None):
    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN groups: "Mean of empty slice"
        return np.nanmean(np.where(mask, np.nan, a), axis=_np_axis(dim, a.ndim), keepdims=keepdim)


def _nanmean_fn(a, dim=None, keepdim=False, mask=None):
    out = ag.nanmean(_with_nans(a, mask), dim, keepdim)
    # all-NaN groups give NaN (as np.nanmean); the gradient check needs finite outputs
    return ag.nan_to_num(out)


ROWS += [
    Row(
        "nanmean",
        _nanmean_fn,
        1,
        shapes=same_shapes(1, min_dims=1),
        kwargs=_nanmean_kw,
        ref=lambda a, **kw: np.nan_to_num(_nanmean_ref(a, **kw)),
        covers=("where", "sum", "div", "nan_to_num"),
    ),
]


def _logcumsumexp_ref(a, dim):
    d = dim % a.ndim
    m = np.max(a, axis=d, keepdims=True)
    return np.log(np.cumsum(np.exp(a - m), axis=d)) + m


ROWS += [
    Row(
        "logcumsumexp",
        lambda a, dim: ag.logcumsumexp(a, dim),
        1,
        shapes=NONEMPTY1,
        kwargs=_single_dim,
        domain=(-3.0, 3.0),
        ref=_logcumsumexp_ref,
        covers=("logcumsumexp", "flip", "where"),
    ),
]
