"""Op-table rows: the layers and losses of issue 10 (shrink/threshold activations, GLU, RReLU,
alpha dropout, distances, local response and instance norm, resampling, unfold/fold, padding
modes, embedding bags, Gumbel softmax, the remaining losses, CTC).

Random layers run with a fixed seed, so every evaluation draws the same noise. Inputs are kept
away from each function's kinks (``kinks`` for elementwise thresholds, ``prep`` where the kink
depends on several inputs).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_table import Row, same_shapes


def _seeded(fn):
    return lambda shapes: st.integers(0, 2**31).map(
        lambda seed: fn(np.random.default_rng(seed), shapes)
    )


def _with_seed(seed, fn):
    def run(*a, **kw):
        ag.manual_seed(seed)  # the same noise in every evaluation
        return fn(*a, **kw)

    return run


def _red(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(["mean", "sum", "none"])})


def _signs(rng, shapes):
    y = np.where(rng.random(shapes[0][0]) < 0.5, -1.0, 1.0)
    return {"y": y, "reduction": ["mean", "sum", "none"][rng.integers(3)]}


def _away(z, margin=0.1):
    """A shift that moves every entry of ``z`` at least ``margin`` away from 0."""
    return np.where(np.abs(z) < margin, np.where(z >= 0, margin, -margin) - z, 0.0)


def _mrl_prep(arrs, kw):
    x1, x2 = arrs
    z = -kw["y"] * (x1 - x2) + 0.3
    return [x1 - kw["y"] * _away(z), x2]  # z -> z + shift


def _hinge_prep(arrs, kw):
    (x,) = arrs
    return [x - _away(0.8 - x)]


def _mm_kw(rng, shapes):
    n, c = shapes[0]
    return {
        "target": rng.integers(0, c, n),
        "p": int(rng.integers(1, 3)),
        "weight": rng.uniform(0.5, 1.5, c) if rng.random() < 0.5 else None,
        "reduction": ["mean", "sum", "none"][rng.integers(3)],
    }


def _mm_prep(arrs, kw):
    (x,) = arrs
    x = x.copy()
    t = kw["target"]
    for i in range(x.shape[0]):  # margin - x[y] + x[j] away from 0 for every j != y
        for j in range(x.shape[1]):
            if j != t[i]:
                x[i, j] += _away(0.7 - x[i, t[i]] + x[i, j])
    return [x]


def _mm(x, target, p, weight, reduction):
    w = None if weight is None else ag.tensor(weight)
    return F.multi_margin_loss(x, ag.tensor(target), p=p, margin=0.7, weight=w, reduction=reduction)


def _triplet_prep(arrs, kw):
    a, p, n = arrs
    p, n = p + 0.31, n - 0.43  # no pair of the three at (nearly) the same point
    d = np.linalg.norm(a - p + 1e-6, axis=-1) - np.linalg.norm(a - n + 1e-6, axis=-1) + 0.5
    # move the negative along (a - n) so that the hinge is clearly active or inactive
    bad = np.abs(d) < 0.1
    n = n.copy()
    n[bad] = a[bad] + (n[bad] - a[bad]) * 3.0
    return [a, p, n]


def _cel_prep(arrs, kw):
    a, b = arrs
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    bad = (np.abs(cos - 0.2) < 0.05) & (kw["y"] == -1)
    b = b.copy()
    b[bad] = -b[bad]  # cos - 0.2 is then at most -0.25
    return [a, b]


def _ctc_kw(rng, shapes):
    t, n, c = shapes[0]
    tl = rng.integers(0, 3, n)
    il = rng.integers(np.maximum(2 * tl + 1, 1), t + 1)
    targets = rng.integers(1, c, (n, 3))
    return {
        "targets": targets,
        "il": il,
        "tl": tl,
        "reduction": ["mean", "sum", "none"][rng.integers(3)],
    }


def _ctc(x, targets, il, tl, reduction):
    return F.ctc_loss(
        x.log_softmax(2), ag.tensor(targets), ag.tensor(il), ag.tensor(tl), reduction=reduction
    )


def _ebag_kw(rng, shapes):
    n = shapes[1][0]
    idx = rng.integers(0, shapes[0][0], n)
    cuts = np.sort(rng.choice(np.arange(1, n), size=2, replace=False))
    return {
        "idx": idx,
        "offsets": np.concatenate([[0], cuts]),
        "mode": ["sum", "mean", "max"][rng.integers(3)],
    }


def _ebag(w, psw, idx, offsets, mode):
    out = F.embedding_bag(
        ag.tensor(idx),
        w,
        ag.tensor(offsets),
        mode=mode,
        per_sample_weights=psw if mode == "sum" else None,
    )
    return out if mode == "sum" else out + 0.0 * psw.sum()  # psw's gradient is then zero


def _interp(mode, **kw):
    return lambda x: F.interpolate(x, mode=mode, **kw)


X4 = st.just(((1, 2, 3, 4),))
X3 = st.just(((1, 2, 5),))

ROWS = [
    Row("threshold", lambda a: F.threshold(a, 0.1, 2.0), shapes=same_shapes(1), kinks=(0.1,)),
    Row("hardshrink", lambda a: F.hardshrink(a, 0.3), shapes=same_shapes(1), kinks=(-0.3, 0.3)),
    Row("softshrink", lambda a: F.softshrink(a, 0.3), shapes=same_shapes(1), kinks=(-0.3, 0.3)),
    Row(
        "glu",
        lambda a, **kw: F.glu(a, **kw),
        shapes=st.sampled_from([((2, 4, 3),), ((6,),), ((3, 2),)]),
        kwargs=lambda s: st.just({"dim": int(np.argmax([d % 2 == 0 for d in s[0]]))}),
    ),
    Row("threshold_inplace", lambda a: F.threshold_(a.clone(), 0.1, 2.0), kinks=(0.1,)),
    Row(
        "rrelu_eval",
        lambda a: F.rrelu(a, 0.1, 0.3),
        shapes=same_shapes(1),
        kinks=(0.0,),
        covers=("rrelu_with_noise",),
    ),
    Row(
        "rrelu_train",
        _with_seed(5, lambda a: F.rrelu(a, 0.1, 0.3, training=True)),
        shapes=same_shapes(1),
        kinks=(0.0,),
        covers=("rrelu_with_noise",),
    ),
    Row(
        "rrelu_eval_inplace",
        lambda a: F.rrelu_(a.clone(), 0.1, 0.3),
        shapes=same_shapes(1),
        kinks=(0.0,),
        covers=("rrelu_with_noise_",),
    ),
    Row(
        "rrelu_train_inplace",
        _with_seed(6, lambda a: F.rrelu(a.clone(), -0.3, 0.3, training=True, inplace=True)),
        shapes=same_shapes(1),
        kinks=(0.0,),
        covers=("rrelu_with_noise_",),
    ),
    Row(
        "alpha_dropout",
        _with_seed(7, lambda a: F.alpha_dropout(a, 0.3, training=True)),
        shapes=same_shapes(1, min_dims=1),
    ),
    Row(
        "feature_alpha_dropout",
        _with_seed(8, lambda a: F.feature_alpha_dropout(a, 0.4, training=True)),
        shapes=st.just(((2, 3, 2),)),
    ),
    Row(
        "alpha_dropout_inplace",
        _with_seed(7, lambda a: F.alpha_dropout(a.clone(), 0.3, True, inplace=True)),
        shapes=same_shapes(1, min_dims=1),
    ),
    Row(
        "feature_alpha_dropout_inplace",
        _with_seed(8, lambda a: F.feature_alpha_dropout(a.clone(), 0.4, True, inplace=True)),
        shapes=st.just(((2, 3, 2),)),
    ),
    Row(
        "softmax2d",
        lambda a: nn.Softmax2d()(a),
        shapes=st.sampled_from([((2, 3, 2, 2),), ((3, 2, 1),)]),
    ),
    Row(
        "pairwise_distance",
        lambda a, b, **kw: F.pairwise_distance(a, b, **kw),
        2,
        shapes=st.sampled_from([((3, 4), (3, 4)), ((4,), (4,)), ((2, 3), (1, 3))]),
        kwargs=lambda s: st.fixed_dictionaries(
            {"p": st.sampled_from([1.5, 2.0, 3.0]), "keepdim": st.booleans()}
        ),
        prep=lambda arrs, kw: [arrs[0], arrs[1] + 0.37],  # x1 - x2 away from the zero vector
    ),
    Row("pdist", lambda a: F.pdist(a), shapes=st.just(((4, 3),))),
    Row(
        "local_response_norm",
        lambda a, **kw: F.local_response_norm(a, alpha=0.5, beta=0.7, k=1.2, **kw),
        shapes=st.sampled_from([((2, 4, 3),), ((1, 3, 2, 2),)]),
        kwargs=lambda s: st.fixed_dictionaries({"size": st.integers(1, 4)}),
    ),
    Row(
        "instance_norm",
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        3,
        shapes=st.sampled_from([((2, 3, 4), (3,), (3,)), ((1, 2, 2, 3), (2,), (2,))]),
        covers=("norm",),
    ),
    Row("interpolate_nearest", _interp("nearest", scale_factor=1.7), shapes=X4),
    Row("interpolate_nearest_exact", _interp("nearest-exact", size=(5, 3)), shapes=X4),
    Row("interpolate_bilinear", _interp("bilinear", scale_factor=(1.5, 0.8)), shapes=X4),
    Row(
        "interpolate_bilinear_ac",
        _interp("bilinear", size=(4, 3), align_corners=True),
        shapes=X4,
    ),
    Row("interpolate_bicubic", _interp("bicubic", size=(4, 3)), shapes=X4),
    Row("interpolate_linear", _interp("linear", scale_factor=2.5), shapes=X3),
    Row(
        "interpolate_trilinear",
        _interp("trilinear", size=(3, 2, 3)),
        shapes=st.just(((1, 1, 2, 3, 2),)),
    ),
    Row("interpolate_area", _interp("area", size=(2, 3)), shapes=X4),
    Row(
        "interpolate_bilinear_antialias",
        lambda x, **kw: F.interpolate(x, mode="bilinear", antialias=True, **kw),
        shapes=st.just(((1, 2, 7, 6),)),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "size": st.sampled_from([(3, 2), (2, 9), (7, 4), (1, 1)]),
                "align_corners": st.booleans(),
            }
        ),
    ),
    Row(
        "interpolate_bicubic_antialias",
        lambda x, **kw: F.interpolate(x, mode="bicubic", antialias=True, **kw),
        shapes=st.just(((1, 1, 9, 7),)),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "scale_factor": st.sampled_from([0.45, (0.3, 1.5), (2.2, 0.6)]),
                "align_corners": st.booleans(),
            }
        ),
    ),
    Row("pixel_shuffle", lambda a: F.pixel_shuffle(a, 2), shapes=st.just(((1, 8, 2, 2),))),
    Row("pixel_unshuffle", lambda a: F.pixel_unshuffle(a, 2), shapes=st.just(((1, 2, 4, 2),))),
    Row(
        "unfold",
        lambda a, **kw: F.unfold(a, **kw),
        shapes=st.sampled_from([((1, 2, 4, 6),), ((1, 5, 6),)]),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "kernel_size": st.sampled_from([2, (2, 3)]),
                "dilation": st.sampled_from([1, (1, 2)]),
                "padding": st.integers(0, 1),
                "stride": st.sampled_from([1, 2, (2, 1)]),
            }
        ),
        covers=("im2col",),
    ),
    Row(
        "fold",
        lambda a: F.fold(a, (4, 5), (2, 3), padding=1, stride=(2, 1)),
        shapes=st.sampled_from([((1, 12, 15),), ((6, 15),)]),
        covers=("col2im",),
    ),
    Row(
        "pad_modes",
        lambda a, **kw: F.pad(a, **kw),
        shapes=st.just(((2, 3, 4),)),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "pad": st.sampled_from([(1, 2), (2, 0, 1, 2), (0, 3, 2, 1)]),
                "mode": st.sampled_from(["reflect", "replicate", "circular"]),
            }
        ),
    ),
    Row(
        "embedding_bag",
        _ebag,
        2,
        shapes=st.just(((5, 3), (7,))),
        kwargs=_seeded(_ebag_kw),
        covers=("embedding", "matmul"),
    ),
    Row(
        "gumbel_softmax",
        _with_seed(3, lambda a: F.gumbel_softmax(a, tau=0.7, dim=-1)),
        shapes=same_shapes(1, min_dims=1),
    ),
    Row(
        "margin_ranking_loss",
        lambda a, b, y, reduction: F.margin_ranking_loss(
            a, b, ag.tensor(y), 0.3, reduction=reduction
        ),
        2,
        shapes=st.just(((5,), (5,))),
        kwargs=_seeded(_signs),
        prep=_mrl_prep,
    ),
    Row(
        "hinge_embedding_loss",
        lambda a, y, reduction: F.hinge_embedding_loss(a, ag.tensor(y), 0.8, reduction=reduction),
        shapes=st.just(((6,),)),
        kwargs=_seeded(_signs),
        prep=_hinge_prep,
    ),
    Row(
        "cosine_embedding_loss",
        lambda a, b, y, reduction: F.cosine_embedding_loss(
            a, b, ag.tensor(y), 0.2, reduction=reduction
        ),
        2,
        shapes=st.just(((4, 3), (4, 3))),
        kwargs=_seeded(_signs),
        prep=_cel_prep,
    ),
    Row(
        "poisson_nll_loss",
        lambda a, t, **kw: F.poisson_nll_loss(a, t.exp(), **kw),
        2,
        shapes=st.just(((3, 2), (3, 2))),
        kwargs=lambda s: st.fixed_dictionaries({"reduction": st.sampled_from(["mean", "sum"])}),
    ),
    Row(
        "poisson_nll_loss_full",
        lambda a, **kw: F.poisson_nll_loss(
            a, ag.tensor([[0.0, 1.5], [3.0, 2.0]]), log_input=False, full=True, **kw
        ),
        shapes=st.just(((2, 2),)),
        domain=(0.2, 2.0),
        kwargs=_red,
    ),
    Row(
        "gaussian_nll_loss",
        lambda a, t, v, **kw: F.gaussian_nll_loss(a, t, v, full=True, **kw),
        3,
        shapes=st.sampled_from([((3, 2), (3, 2), (3, 2)), ((3, 2), (3, 2), (3,))]),
        domain=[(-2, 2), (-2, 2), (0.2, 2.0)],
        kwargs=_red,
    ),
    Row(
        "soft_margin_loss",
        lambda a, b, **kw: F.soft_margin_loss(a, b, **kw),
        2,
        shapes=st.just(((3, 2), (3, 2))),
        kwargs=_red,
    ),
    Row(
        "multilabel_soft_margin_loss",
        lambda a, b, w, **kw: F.multilabel_soft_margin_loss(a, b.sigmoid(), weight=w, **kw),
        3,
        shapes=st.just(((3, 4), (3, 4), (4,))),
        kwargs=_red,
    ),
    Row(
        "multi_margin_loss",
        _mm,
        shapes=st.just(((3, 4),)),
        kwargs=_seeded(_mm_kw),
        prep=_mm_prep,
    ),
    Row(
        "triplet_margin_loss",
        lambda a, pos, neg, **kw: F.triplet_margin_loss(a, pos, neg, 0.5, **kw),
        3,
        shapes=st.just(((4, 3), (4, 3), (4, 3))),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "p": st.sampled_from([1.5, 2.0]),
                "reduction": st.sampled_from(["mean", "sum", "none"]),
            }
        ),
        prep=_triplet_prep,
    ),
    Row(
        "ctc_loss",
        _ctc,
        shapes=st.sampled_from([((6, 2, 4),), ((7, 3, 3),)]),
        kwargs=_seeded(_ctc_kw),
        gradgrad=False,  # as PyTorch: no double backward through the fused recursion
        covers=("ctc_loss",),
    ),
]


def _grid_kw(rng, shapes):
    modes = ["bilinear", "nearest"] + ["bicubic"] * (len(shapes[0]) == 4)
    return {
        "mode": modes[rng.integers(len(modes))],
        "padding_mode": ["zeros", "border", "reflection"][rng.integers(3)],
        "align_corners": bool(rng.integers(2)),
    }


def _grid_prep(arrs, kw):
    """Keep every sampled position 0.03 pixel away from the half-pixel lattice: the floors,
    roundings, clips and reflections of grid_sample all switch there."""
    x, g = arrs
    sizes = np.array(x.shape[2:][::-1], dtype=float)  # grid's last dim is (x, y[, z])
    if kw["align_corners"]:
        u = (g + 1) / 2 * (sizes - 1)
    else:
        u = ((g + 1) * sizes - 1) / 2
    off = u * 2 - np.round(u * 2)  # distance to the lattice, in half pixels
    u = u + np.where(np.abs(off) < 0.06, 0.15 - off / 2, 0.0)
    if kw["align_corners"]:
        g = u / np.maximum(sizes - 1, 1) * 2 - 1
    else:
        g = (u * 2 + 1) / sizes - 1
    return [x, g]


ROWS += [
    Row(
        "grid_sample",
        lambda x, g, **kw: F.grid_sample(x, g, **kw),
        2,
        shapes=st.sampled_from([((2, 2, 3, 4), (2, 3, 2, 2)), ((1, 2, 2, 3, 3), (1, 2, 2, 1, 3))]),
        domain=[(-2.0, 2.0), (-1.3, 1.3)],
        kwargs=_seeded(_grid_kw),
        prep=_grid_prep,
        covers=("take", "where", "mul", "add"),
    ),
    Row(
        "affine_grid",
        lambda t, align_corners: F.affine_grid(t, (2, 1, 3, 4), align_corners=align_corners),
        1,
        shapes=st.just(((2, 2, 3),)),
        kwargs=lambda s: st.fixed_dictionaries({"align_corners": st.booleans()}),
        covers=("matmul",),
    ),
    Row(
        "affine_grid_3d",
        lambda t: F.affine_grid(t, (1, 1, 2, 3, 2), align_corners=False),
        1,
        shapes=st.just(((1, 3, 4),)),
        covers=("matmul",),
    ),
]
