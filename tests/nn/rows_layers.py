"""Op-table rows: activations, losses, linear/bilinear, dropout (fixed seed), embedding.

Every parameter is passed to the functional form as a tensor input, so gradcheck checks the
input's and every parameter's gradient.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_table import Row, same_shapes

S = same_shapes(1)
S2 = same_shapes(2)


def _seeded(fn):
    return lambda shapes: st.integers(0, 2**31).map(
        lambda seed: fn(np.random.default_rng(seed), shapes)
    )


@st.composite
def _logits_shapes(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    extra = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    return ((n, c) + extra,)


def _ce_kw(rng, shapes):
    shape = shapes[0]
    n, c = shape[0], shape[1]
    t = rng.integers(0, c, (n,) + shape[2:])
    if rng.random() < 0.5 and t.size > 1:
        t.reshape(-1)[0] = -100  # ignored
    return {
        "target": t,
        "reduction": ["mean", "sum", "none"][rng.integers(3)],
        "label_smoothing": float(rng.choice([0.0, 0.2])),
        "weight": rng.uniform(0.5, 1.5, c) if rng.random() < 0.5 else None,
    }


def _ce(a, target, weight, **kw):
    w = None if weight is None else ag.tensor(weight)
    t = ag.tensor(target)
    if kw["reduction"] == "mean" and np.all(target == -100):
        kw["reduction"] = "sum"
    return F.cross_entropy(a, t, weight=w, **kw)


def _nll(a, target, weight, **kw):
    kw.pop("label_smoothing")
    w = None if weight is None else ag.tensor(weight)
    if kw["reduction"] == "mean" and np.all(target == -100):
        kw["reduction"] = "sum"
    return F.nll_loss(a.log_softmax(1), ag.tensor(target), weight=w, **kw)


def _red_kw(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(["mean", "sum", "none"])})


@st.composite
def _linear_shapes(draw):
    i, o = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return (lead + (i,), (o, i), (o,))


def _lazy(make):
    """A fresh lazy module, materialized by its first call from a fixed seed (the same
    parameters in every evaluation), applied to the input."""

    def run(a):
        ag.manual_seed(11)
        return make().to(a.dtype)(a)

    return run


ACT = [
    ("leaky_relu", lambda a: F.leaky_relu(a, 0.1), (0.0,), ("leaky_relu",)),
    ("leaky_relu_negative", lambda a: F.leaky_relu(a, -0.3), (0.0,), ("leaky_relu",)),
    ("elu", lambda a: F.elu(a, 0.7), (0.0,), ("elu",)),
    ("elu_negative_alpha", lambda a: F.elu(a, -0.6), (0.0,), ("elu",)),
    ("gelu", F.gelu, (), ("gelu",)),
    ("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), (), ("gelu",)),
    ("selu", F.selu, (0.0,), ("elu",)),
    ("celu", lambda a: F.celu(a, 0.6), (0.0,), ("celu",)),
    ("logsigmoid", lambda a: F.logsigmoid(a * 3), (), ("softplus",)),
    ("mish", F.mish, (), ("softplus", "tanh")),
    ("hardsigmoid", lambda a: F.hardsigmoid(a * 4), (-0.75, 0.75), ("where",)),
    ("hardswish", lambda a: F.hardswish(a * 4), (-0.75, 0.75), ("where",)),
    ("softsign", F.softsign, (0.0,), ("abs",)),
    ("tanhshrink", F.tanhshrink, (), ("tanh",)),
    ("silu", F.silu, (), ("sigmoid",)),
    ("softplus", lambda a: F.softplus(a * 3, beta=2.0, threshold=4.0), (2.0 / 3,), ("softplus",)),
    ("hardtanh", lambda a: F.hardtanh(a, -0.5, 0.8), (-0.5, 0.8), ("where",)),
    ("relu6", lambda a: F.relu6(a * 4), (0.0, 1.5), ("where",)),
    ("normalize", lambda a: F.normalize(a, dim=-1), (), ("norm2", "maximum")),
]

# inplace=True inside a graph: the activation written into a non-leaf (a clone of the input)
ACT_INPLACE = [
    ("elu_inplace", lambda a: F.elu(a.clone(), 0.7, inplace=True), (0.0,), ("elu_",)),
    ("elu__zero_alpha", lambda a: F.elu_(a.clone(), 0.0), (0.0,), ("elu_",)),
    ("selu_inplace", lambda a: F.selu(a.clone(), inplace=True), (0.0,), ("elu_",)),
    ("celu_inplace", lambda a: F.celu_(a.clone(), 0.6), (0.0,), ("celu_",)),
    ("leaky_relu_inplace", lambda a: F.leaky_relu_(a.clone(), 0.1), (0.0,), ("leaky_relu_",)),
    ("hardtanh_inplace", lambda a: F.hardtanh_(a.clone(), -0.5, 0.8), (-0.5, 0.8), ("where",)),
    ("relu6_inplace", lambda a: F.relu6(a * 4, inplace=True), (0.0, 1.5), ("where",)),
    ("hardsigmoid_inplace", lambda a: F.hardsigmoid(a * 4, True), (-0.75, 0.75), ("where",)),
    ("hardswish_inplace", lambda a: F.hardswish(a * 4, True), (-0.75, 0.75), ("where",)),
    ("silu_inplace", lambda a: F.silu(a.clone(), inplace=True), (), ("sigmoid",)),
    ("mish_inplace", lambda a: F.mish(a.clone(), inplace=True), (), ("softplus", "tanh")),
]

ROWS = [
    Row(n, f, 1, shapes=same_shapes(1, min_dims=1), kinks=k, covers=c)
    for n, f, k, c in ACT + ACT_INPLACE
]
ROWS += [
    Row(
        "F.linear",
        lambda x, w, b: F.linear(x, w, b),
        3,
        shapes=_linear_shapes(),
        covers=("linear",),
    ),
    Row(
        "F.bilinear",
        lambda x1, x2, w, b: F.bilinear(x1, x2, w, b),
        4,
        shapes=st.just(((2, 3), (2, 2), (4, 3, 2), (4,))),
        covers=("einsum",),
    ),
    Row("mse_loss", lambda a, b, **kw: F.mse_loss(a, b, **kw), 2, shapes=S2, kwargs=_red_kw),
    Row(
        "l1_loss",
        lambda a, b, **kw: F.l1_loss(a, b, **kw),
        2,
        shapes=S2,
        kwargs=_red_kw,
        prep=lambda arrs, kw: [arrs[0], arrs[0] + np.where(arrs[1] > 0, 0.3, -0.3)],
    ),
    Row(
        "smooth_l1_loss",
        lambda a, b, **kw: F.smooth_l1_loss(a, b, beta=0.5, **kw),
        2,
        shapes=S2,
        kwargs=_red_kw,
        prep=lambda arrs, kw: [arrs[0], arrs[0] + np.where(np.abs(arrs[1]) < 0.05, 0.3, arrs[1])],
    ),
    Row(
        "huber_loss",
        lambda a, b, **kw: F.huber_loss(a, b, delta=0.7, **kw),
        2,
        shapes=S2,
        kwargs=_red_kw,
        prep=lambda arrs, kw: [
            arrs[0],
            arrs[0] + np.where(np.abs(np.abs(arrs[1]) - 0.7) < 0.05, 0.3, arrs[1]),
        ],
    ),
    Row(
        "cross_entropy",
        _ce,
        1,
        shapes=_logits_shapes(),
        kwargs=_seeded(_ce_kw),
        covers=("cross_entropy",),
    ),
    Row(
        "cross_entropy_unbatched",
        lambda a, target: F.cross_entropy(a, ag.tensor(target), label_smoothing=0.1),
        1,
        shapes=st.just(((4,),)),
        kwargs=_seeded(lambda rng, s: {"target": rng.integers(0, 4, ())}),
        covers=("cross_entropy",),
    ),
    Row(
        "cross_entropy_probs",
        lambda a, b: F.cross_entropy(a, b.softmax(1), label_smoothing=0.1),
        2,
        shapes=st.just(((3, 4), (3, 4))),
    ),
    Row(
        "nll_loss",
        _nll,
        1,
        shapes=_logits_shapes(),
        kwargs=_seeded(_ce_kw),
        covers=("gather",),
    ),
    Row(
        "binary_cross_entropy",
        lambda p, b: F.binary_cross_entropy(p, b.sigmoid()),
        2,
        shapes=S2,
        domain=[(0.05, 0.95), (-2, 2)],
        covers=("binary_cross_entropy",),
    ),
    Row(
        "bce_with_logits",
        lambda a, b, pw: F.binary_cross_entropy_with_logits(a, b.sigmoid(), pos_weight=pw),
        3,
        shapes=st.just(((3, 2), (3, 2), (2,))),
        covers=("binary_cross_entropy_with_logits", "softplus"),
    ),
    Row(
        "bce_with_logits_weighted",
        lambda a, b, w, **kw: F.binary_cross_entropy_with_logits(a, b.sigmoid(), weight=w, **kw),
        3,
        shapes=st.just(((2, 3), (2, 3), (3,))),
        domain=[(-6, 6), (-2, 2), (0.5, 2)],
        kwargs=lambda shapes: st.fixed_dictionaries(
            {"reduction": st.sampled_from(["mean", "sum", "none"])}
        ),
        covers=("binary_cross_entropy_with_logits",),
    ),
    Row(
        "kl_div",
        lambda a, b, **kw: F.kl_div(
            a.log_softmax(-1),
            b.log_softmax(-1) if kw["log_target"] else b.softmax(-1),
            **kw,
        ),
        2,
        shapes=st.just(((3, 4), (3, 4))),
        kwargs=lambda shapes: st.fixed_dictionaries(
            {
                "reduction": st.sampled_from(["batchmean", "sum", "none", "mean"]),
                "log_target": st.booleans(),
            }
        ),
        covers=("kl_div", "kl_div_log_target"),
    ),
    Row(
        "kl_div_broadcast_near_zero_targets",
        lambda a, b, **kw: F.kl_div(a, b * b + 1e-3, **kw),
        2,
        shapes=st.sampled_from([((3, 4), (3, 4)), ((2, 3), (3,)), ((3,), (2, 3))]),
        kwargs=lambda shapes: st.fixed_dictionaries(
            {
                "reduction": st.sampled_from(["batchmean", "sum", "none"]),
                "log_target": st.booleans(),
            }
        ),
        covers=("kl_div", "kl_div_log_target"),
    ),
    Row(
        "binary_cross_entropy_weighted",
        lambda p, b: F.binary_cross_entropy(
            p, b.sigmoid(), weight=ag.tensor([0.5, 2.0, 1.5]), reduction="sum"
        ),
        2,
        shapes=st.just(((2, 3), (2, 3))),
        domain=[(0.05, 0.95), (-2, 2)],
        covers=("binary_cross_entropy",),
    ),
    Row(
        "cosine_similarity",
        lambda a, b: F.cosine_similarity(a, b, dim=-1),
        2,
        shapes=st.sampled_from([((3, 4), (3, 4)), ((2, 3), (1, 3)), ((4,), (4,))]),
        covers=("norm2",),
    ),
    Row(
        "prelu",
        lambda x, w: F.prelu(x, w),
        2,
        shapes=st.sampled_from([((2, 3, 2), (3,)), ((3, 2), (1,)), ((2, 2), (2,))]),
        kinks=(0.0,),
    ),
    Row("dropout2d_fixed_seed", lambda a: _seeded_dropout2d(a), 1, shapes=st.just(((2, 3, 2, 2),))),
    Row("dropout_fixed_seed", lambda a: _seeded_dropout(a), 1, shapes=same_shapes(1, 1)),
    Row(
        "dropout2d_inplace_fixed_seed",
        lambda a: _seeded_dropout2d(a.clone(), inplace=True),
        1,
        shapes=st.just(((2, 3, 2, 2),)),
    ),
    Row(
        "dropout_inplace_fixed_seed",
        lambda a: _seeded_dropout(a.clone(), inplace=True),
        1,
        shapes=same_shapes(1, 1),
    ),
    Row("LazyLinear", _lazy(lambda: nn.LazyLinear(3)), 1, shapes=st.just(((2, 4),))),
    Row(
        "LazyConv2d_LazyBatchNorm2d",
        _lazy(lambda: nn.Sequential(nn.LazyConv2d(2, 2), nn.LazyBatchNorm2d())),
        1,
        shapes=st.just(((2, 3, 3, 3),)),
    ),
    Row(
        "embedding",
        lambda w, idx: F.embedding(ag.tensor(idx), w),
        1,
        shapes=st.just(((5, 3),)),
        kwargs=_seeded(lambda rng, s: {"idx": rng.integers(0, 5, (2, 4))}),
        covers=("embedding", "index_grad"),
    ),
]


def _seeded_dropout(a, inplace=False):
    ag.manual_seed(123)  # the same mask in every evaluation
    return F.dropout(a, 0.4, training=True, inplace=inplace)


def _seeded_dropout2d(a, inplace=False):
    ag.manual_seed(321)
    return F.dropout2d(a, 0.5, training=True, inplace=inplace)
