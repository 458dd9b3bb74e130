"""Behaviour of the layers of issue 10: module paths, reprs, state_dict keys, packed sequences,
the Transformer, CTC, resampling, embedding bags, parametrizations and error messages.

Values against PyTorch were compared side by side outside the tests (same weights, float64,
agreement to ~1e-15); here each behaviour is checked against an independent NumPy computation
or an invariant.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn.utils import parametrizations as PZ
from nn.utils import parametrize as P
from nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
)
from tests.nn.aa_reference import AA_CASES


def _t(a, rg=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


# -- namespace, reprs, state_dict ----------------------------------------------------------------
def test_pytorch_module_paths_resolve():
    m = nn.modules
    assert m.activation.MultiheadAttention is nn.MultiheadAttention
    assert m.loss._Loss is type(nn.MSELoss()).__mro__[1]
    assert m.conv.Conv2d is nn.Conv2d and m.module.Module is nn.Module
    assert m.transformer.TransformerDecoderLayer is nn.TransformerDecoderLayer
    assert m.padding.ReflectionPad2d is nn.ReflectionPad2d
    assert m.pixelshuffle.PixelShuffle is nn.PixelShuffle
    assert m.upsampling.Upsample is nn.Upsample
    assert m.fold.Fold is nn.Fold and m.distance.PairwiseDistance is nn.PairwiseDistance
    assert m.instancenorm.InstanceNorm2d is nn.InstanceNorm2d
    assert m.sparse.EmbeddingBag is nn.EmbeddingBag
    assert m.normalization.LocalResponseNorm is nn.LocalResponseNorm


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
        (lambda: nn.Hardshrink(), "Hardshrink(0.5)"),
        (lambda: nn.Softshrink(), "Softshrink(0.5)"),
        (lambda: nn.GLU(), "GLU(dim=-1)"),
        (lambda: nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
        (lambda: nn.Softmax2d(), "Softmax2d()"),
        (lambda: nn.AlphaDropout(), "AlphaDropout(p=0.5, inplace=False)"),
        (lambda: nn.LocalResponseNorm(2), "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"),
        (
            lambda: nn.InstanceNorm2d(3),
            "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
            "track_running_stats=False)",
        ),
        (lambda: nn.EmbeddingBag(10, 3), "EmbeddingBag(10, 3, mode='mean')"),
        (
            lambda: nn.EmbeddingBag(5, 3, max_norm=1.0),
            "EmbeddingBag(5, 3, max_norm=1.0, mode='mean')",
        ),
        (lambda: nn.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
        (
            lambda: nn.Upsample(size=(3, 4), mode="bilinear"),
            "Upsample(size=(3, 4), mode='bilinear')",
        ),
        (lambda: nn.PixelShuffle(2), "PixelShuffle(upscale_factor=2)"),
        (lambda: nn.PixelUnshuffle(2), "PixelUnshuffle(downscale_factor=2)"),
        (lambda: nn.Unfold(2), "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"),
        (
            lambda: nn.Fold((4, 5), 2),
            "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)",
        ),
        (lambda: nn.ZeroPad2d(1), "ZeroPad2d((1, 1, 1, 1))"),
        (lambda: nn.ReflectionPad2d((1, 0, 2, 1)), "ReflectionPad2d((1, 0, 2, 1))"),
        (lambda: nn.ReplicationPad2d(1), "ReplicationPad2d((1, 1, 1, 1))"),
        (lambda: nn.ConstantPad2d(1, 3.5), "ConstantPad2d(padding=(1, 1, 1, 1), value=3.5)"),
        (lambda: nn.CosineSimilarity(), "CosineSimilarity()"),
        (lambda: nn.PairwiseDistance(), "PairwiseDistance()"),
        (lambda: nn.TripletMarginLoss(), "TripletMarginLoss()"),
        (lambda: nn.CTCLoss(), "CTCLoss()"),
    ],
)
def test_reprs_as_pytorch(make, text):
    assert repr(make()) == text


def test_state_dict_keys_as_pytorch():
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    assert list(m.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert list(nn.EmbeddingBag(4, 2).state_dict()) == ["weight"]
    t = nn.Transformer(8, 2, 1, 1, 16)
    keys = list(t.state_dict())
    assert len(keys) == 12 + 2 + 18 + 2  # encoder layer, encoder norm, decoder layer, norm
    assert keys[:4] == [
        "encoder.layers.0.self_attn.in_proj_weight",
        "encoder.layers.0.self_attn.in_proj_bias",
        "encoder.layers.0.self_attn.out_proj.weight",
        "encoder.layers.0.self_attn.out_proj.bias",
    ]
    dec = [k for k in keys if k.startswith("decoder.layers.0.")]
    assert [k[len("decoder.layers.0.") :] for k in dec] == [
        "self_attn.in_proj_weight",
        "self_attn.in_proj_bias",
        "self_attn.out_proj.weight",
        "self_attn.out_proj.bias",
        "multihead_attn.in_proj_weight",
        "multihead_attn.in_proj_bias",
        "multihead_attn.out_proj.weight",
        "multihead_attn.out_proj.bias",
        "linear1.weight",
        "linear1.bias",
        "linear2.weight",
        "linear2.bias",
        "norm1.weight",
        "norm1.bias",
        "norm2.weight",
        "norm2.bias",
        "norm3.weight",
        "norm3.bias",
    ]
    assert keys[-2:] == ["decoder.norm.weight", "decoder.norm.bias"]


def test_transformer_init_is_xavier_on_matrices():
    ag.manual_seed(0)
    t = nn.Transformer(16, 2, 1, 1, 64)
    w = t.decoder.layers[0].linear1.weight.detach().numpy()
    bound = math.sqrt(6.0 / (16 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(t.encoder.layers[0].self_attn.in_proj_bias.detach().numpy() == 0)


# -- dropout ---------------------------------------------------------------------------------------
def test_dropout2d_on_2d_input_warns_and_runs_elementwise():
    ag.manual_seed(0)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        y = nn.Dropout2d(0.5)(ag.ones(30, 40))
    v = np.unique(y.numpy())
    assert set(v) <= {0.0, 2.0} and 0 < (y.numpy() == 0).mean() < 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
            F.dropout2d(ag.ones(5), training=True)
        assert F.dropout2d(ag.ones(5), training=False).shape == (5,)


def test_alpha_dropout_keeps_selu_statistics():
    ag.manual_seed(1)
    x = ag.tensor(np.random.default_rng(0).normal(size=200_000))
    y = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.3, training=False) is x


def test_rrelu_slopes():
    x = _t(-np.ones(1000))
    ag.manual_seed(2)
    y = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert (-y >= 0.1).all() and (-y <= 0.3).all() and y.std() > 0.03
    np.testing.assert_allclose(F.rrelu(x, 0.1, 0.3).numpy(), -0.2)


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    x = _t(np.random.default_rng(3).normal(size=(4, 5)), rg=True)
    w = _t(np.random.default_rng(4).normal(size=(4, 5)))
    ag.manual_seed(5)
    y = F.gumbel_softmax(x, tau=0.5, hard=True)
    assert np.array_equal(y.detach().numpy().sum(1), np.ones(4))
    assert set(np.unique(y.detach().numpy())) <= {0.0, 1.0}
    (y * w).sum().backward()
    g_hard = x.grad.numpy().copy()
    x.grad = None
    ag.manual_seed(5)
    (F.gumbel_softmax(x, tau=0.5) * w).sum().backward()
    np.testing.assert_allclose(g_hard, x.grad.numpy(), rtol=1e-12)


# -- packed sequences ------------------------------------------------------------------------------
def test_pack_pad_round_trip_and_layout():
    seqs = [_t(np.arange(n * 2).reshape(n, 2) + 10 * i) for i, n in enumerate([2, 4, 1])]
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert padded.shape == (3, 4, 2) and padded.numpy()[2, 1:].tolist() == [[-1, -1]] * 3
    packed = pack_padded_sequence(padded, [2, 4, 1], batch_first=True, enforce_sorted=False)
    assert isinstance(packed, PackedSequence)
    assert packed.batch_sizes.numpy().tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.numpy().tolist() == [1, 0, 2]
    assert packed.unsorted_indices.numpy().tolist() == [1, 0, 2]
    # data: step 0 of the sorted sequences (1, 0, 2), then step 1 of (1, 0), ...
    assert packed.data.numpy()[:, 0].tolist() == [10, 0, 20, 12, 2, 14, 16]
    out, lengths = pad_packed_sequence(packed, batch_first=True, total_length=5)
    assert lengths.numpy().tolist() == [2, 4, 1] and out.shape == (3, 5, 2)
    np.testing.assert_array_equal(
        out.numpy()[:, :4], np.where(padded.numpy() < 0, 0, padded.numpy())
    )
    back = unpack_sequence(packed)
    assert [b.shape[0] for b in back] == [2, 4, 1]
    left = pad_sequence(seqs, padding_side="left")
    assert left.shape == (4, 3, 2) and left.numpy()[0, 0].tolist() == [0, 0]


def test_packing_errors():
    x = ag.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_padded_sequence(x, [1, 3])
    p = pack_padded_sequence(x, [3, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        pad_packed_sequence(p, total_length=2)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_rnn_on_packed_equals_separate_runs(cls, bidirectional):
    ag.manual_seed(0)
    m = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    rng = np.random.default_rng(1)
    lens = [3, 5, 2]
    seqs = [_t(rng.normal(size=(n, 3)), rg=True) for n in lens]
    d = 2 if bidirectional else 1
    h0 = _t(rng.normal(size=(2 * d, 3, 4)))
    c0 = _t(rng.normal(size=(2 * d, 3, 4)))
    hx = (h0, c0) if cls == "LSTM" else h0
    packed = pack_sequence(seqs, enforce_sorted=False)
    out, hn = m(packed, hx)
    assert isinstance(out, PackedSequence)
    padded, _ = pad_packed_sequence(out)
    hs = hn if cls == "LSTM" else (hn,)
    for b, s in enumerate(seqs):
        hxb = (h0[:, b : b + 1], c0[:, b : b + 1]) if cls == "LSTM" else h0[:, b : b + 1]
        ob, hb = m(s.unsqueeze(1), hxb)
        np.testing.assert_allclose(
            padded.detach().numpy()[: lens[b], b], ob.detach().numpy()[:, 0], atol=1e-12
        )
        np.testing.assert_array_equal(padded.detach().numpy()[lens[b] :, b], 0.0)
        hbs = hb if cls == "LSTM" else (hb,)
        for h, h1 in zip(hs, hbs):
            np.testing.assert_allclose(
                h.detach().numpy()[:, b], h1.detach().numpy()[:, 0], atol=1e-12
            )
    # gradients reach every sequence, only through its real steps
    (padded.sum() + hs[0].sum()).backward()
    for s in seqs:
        assert s.grad is not None and np.isfinite(s.grad.numpy()).all()


# -- transformer -----------------------------------------------------------------------------------
def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_transformer_causal_decoder_ignores_future_targets():
    ag.manual_seed(0)
    t = nn.Transformer(8, 2, 1, 2, 16, dropout=0.0, batch_first=True).double()
    t.eval()
    rng = np.random.default_rng(0)
    src, tgt = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 4, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64)
    y1 = t(_t(src), _t(tgt), tgt_mask=mask).detach().numpy()
    tgt2 = tgt.copy()
    tgt2[:, 3] += 1.0
    y2 = t(_t(src), _t(tgt2), tgt_mask=mask).detach().numpy()
    np.testing.assert_allclose(y1[:, :3], y2[:, :3], atol=1e-12)
    assert np.abs(y1[:, 3] - y2[:, 3]).max() > 1e-3
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        t(_t(src), _t(tgt[:1]))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal"):
        t(_t(src[..., :4]), _t(tgt[..., :4]))


def test_transformer_decoder_unbatched_matches_batched():
    ag.manual_seed(1)
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True).double()
    dec = nn.TransformerDecoder(layer, 2, nn.LayerNorm(8).double())
    rng = np.random.default_rng(2)
    tgt, mem = rng.normal(size=(4, 8)), rng.normal(size=(3, 8))
    a = dec(_t(tgt), _t(mem)).detach().numpy()
    b = dec(_t(tgt[:, None]), _t(mem[:, None])).detach().numpy()[:, 0]
    np.testing.assert_allclose(a, b, atol=1e-12)


# -- CTC -------------------------------------------------------------------------------------------
def _ctc_brute(lp, target, blank=0):
    """-log sum over every length-T path that collapses to ``target``."""
    T, C = lp.shape
    total = -np.inf
    for path in itertools.product(range(C), repeat=T):
        out, prev = [], None
        for c in path:
            if c != prev and c != blank:
                out.append(c)
            prev = c
        if out == list(target):
            total = np.logaddexp(total, sum(lp[t, c] for t, c in enumerate(path)))
    return -total


def test_ctc_matches_brute_force_and_reductions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 2, 3))
    lp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    targets = np.array([[1, 1], [2, 0]])
    il, tl = np.array([5, 4]), np.array([2, 1])
    ref = np.array([_ctc_brute(lp[:5, 0], [1, 1]), _ctc_brute(lp[:4, 1], [2])])
    none = F.ctc_loss(_t(lp), ag.tensor(targets), ag.tensor(il), ag.tensor(tl), reduction="none")
    np.testing.assert_allclose(none.numpy(), ref, rtol=1e-12)
    mean = F.ctc_loss(_t(lp), ag.tensor(targets), ag.tensor(il), ag.tensor(tl))
    np.testing.assert_allclose(mean.item(), (ref / tl).mean(), rtol=1e-12)
    flat = F.ctc_loss(_t(lp), ag.tensor([1, 1, 2]), il, tl, reduction="sum")
    np.testing.assert_allclose(flat.item(), ref.sum(), rtol=1e-12)


def test_ctc_zero_infinity():
    x = _t(np.random.default_rng(1).normal(size=(2, 1, 3)), rg=True)
    args = (ag.tensor([[1, 1]]), ag.tensor([2]), ag.tensor([2]))  # "1 1" needs 3 steps
    loss = F.ctc_loss(x.log_softmax(2), *args, reduction="sum")
    assert math.isinf(loss.item())
    loss = nn.CTCLoss(zero_infinity=True, reduction="sum")(x.log_softmax(2), *args)
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_ctc_no_double_backward():
    x = _t(np.random.default_rng(1).normal(size=(3, 1, 3)), rg=True)
    loss = F.ctc_loss(x.log_softmax(2), ag.tensor([[1]]), [3], [1])
    with pytest.raises(RuntimeError, match="double backward"):
        ag.grad(loss, x, create_graph=True)


# -- resampling ------------------------------------------------------------------------------------
def test_interpolate_nearest_and_bilinear_corners():
    x = np.random.default_rng(0).normal(size=(1, 2, 3, 4))
    y = F.interpolate(_t(x), scale_factor=2).numpy()
    np.testing.assert_array_equal(y, x.repeat(2, 2).repeat(2, 3))
    z = F.interpolate(_t(x), size=(5, 7), mode="bilinear", align_corners=True).numpy()
    np.testing.assert_allclose(z[..., ::2, ::2], x, atol=1e-12)  # source = output / 2
    u = F.interpolate(_t(x), size=(3, 4), mode="bicubic", align_corners=False).numpy()
    np.testing.assert_allclose(u, x, atol=1e-12)  # same size: the identity


@pytest.mark.parametrize("case", range(len(AA_CASES)))
def test_interpolate_antialias_matches_pytorch(case):
    """``antialias=True`` against PyTorch's values (``aa_reference.py``): the output and the
    input's gradient, to 1e-12 in float64 and 2e-6 in float32."""
    shape, mode, ac, kw, out_shape, want_y, want_g = AA_CASES[case]
    n = int(np.prod(shape))
    x = np.sin(np.arange(n) * 0.7 + 0.3).reshape(shape)
    for dtype, tol in ((ag.float64, 1e-12), (ag.float32, 2e-6)):
        t = ag.tensor(x, dtype=dtype, requires_grad=True)
        y = F.interpolate(t, mode=mode, align_corners=ac, antialias=True, **kw)
        assert tuple(y.shape) == out_shape and y.dtype == dtype
        g = np.cos(np.arange(y.numel()) * 0.9).reshape(out_shape)
        y.backward(ag.tensor(g, dtype=dtype))
        np.testing.assert_allclose(y.detach().numpy().ravel(), want_y, rtol=tol, atol=tol)
        np.testing.assert_allclose(t.grad.numpy().ravel(), want_g, rtol=tol, atol=tol)


def test_interpolate_antialias_rows_sum_to_one_and_keep_constants():
    # every output is a normalised weighted mean: a constant image stays constant
    x = ag.full((1, 2, 13, 9), 3.25, dtype=ag.float64)
    for mode in ("bilinear", "bicubic"):
        for kw in ({"size": (4, 20)}, {"scale_factor": 0.3}, {"size": (1, 1)}):
            y = F.interpolate(x, mode=mode, antialias=True, **kw).numpy()
            np.testing.assert_allclose(y, 3.25, rtol=1e-14)


def test_interpolate_antialias_errors_are_pytorchs():
    msg = "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"
    with pytest.raises(ValueError, match=msg):
        F.interpolate(ag.zeros(1, 1, 4), size=2, mode="linear", antialias=True)
    with pytest.raises(ValueError, match=msg):
        F.interpolate(ag.zeros(1, 1, 4, 4), size=2, mode="nearest", antialias=True)
    with pytest.raises(ValueError, match=msg):
        F.interpolate(ag.zeros(1, 1, 4, 4, 4), size=2, mode="trilinear", antialias=True)


def test_interpolate_errors():
    x = ag.zeros(1, 1, 2, 2)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")


def test_unfold_fold_are_adjoint():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 6))
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = F.unfold(_t(x), **kw)
    y = rng.normal(size=cols.shape)
    back = F.fold(_t(y), (5, 6), **kw)
    np.testing.assert_allclose((cols.numpy() * y).sum(), (x * back.numpy()).sum(), rtol=1e-12)
    # unfold against a direct window loop
    c = F.unfold(_t(x), 2).numpy()
    ref = np.stack(
        [x[:, :, i : i + 2, j : j + 2].reshape(2, -1) for i in range(4) for j in range(5)], -1
    )
    np.testing.assert_array_equal(c, ref)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(ag.zeros(1, 12, 10), (5, 6), (2, 3), padding=1, stride=(2, 1))


def test_pixel_shuffle_round_trip_and_errors():
    x = _t(np.arange(2 * 8 * 2 * 3).reshape(2, 8, 2, 3))
    y = F.pixel_shuffle(x, 2)
    assert y.shape == (2, 2, 4, 6)
    assert y.numpy()[0, 0, 0, :2].tolist() == [0.0, 6.0]  # channels 0 and 1 interleave
    np.testing.assert_array_equal(F.pixel_unshuffle(y, 2).numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ag.zeros(1, 5, 2, 2), 2)


def test_padding_modes():
    x = _t(np.arange(6).reshape(1, 2, 3))
    np.testing.assert_array_equal(nn.ReflectionPad1d(2)(x).numpy()[0, 0], [2, 1, 0, 1, 2, 1, 0])
    np.testing.assert_array_equal(nn.ReplicationPad1d((1, 2))(x).numpy()[0, 0], [0, 0, 1, 2, 2, 2])
    np.testing.assert_array_equal(nn.CircularPad1d(1)(x).numpy()[0, 0], [2, 0, 1, 2, 0])
    assert nn.ZeroPad2d(1)(ag.ones(3, 3)).shape == (5, 5)
    with pytest.raises(NotImplementedError, match="Padding size 4 is not supported for 2D"):
        nn.ReflectionPad2d(1)(ag.ones(3, 3))


# -- norms, distances, bags ------------------------------------------------------------------------
def test_instance_norm_running_stats():
    m = nn.InstanceNorm1d(2, track_running_stats=True, momentum=0.5).double()
    x = np.random.default_rng(0).normal(size=(3, 2, 5))
    y = m(_t(x)).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.5 * x.mean(-1).mean(0), rtol=1e-12)
    np.testing.assert_allclose(
        m.running_var.numpy(), 0.5 + 0.5 * x.var(-1, ddof=1).mean(0), rtol=1e-12
    )
    m.eval()
    z = m(_t(x)).numpy()
    rm, rv = m.running_mean.numpy(), m.running_var.numpy()
    np.testing.assert_allclose(z, (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5), rtol=1e-12)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        m(ag.zeros(2))


def test_local_response_norm_formula():
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    y = F.local_response_norm(_t(x), 3, alpha=0.3, beta=0.6, k=2.0).numpy()
    sq = np.pad(x**2, ((0, 0), (1, 1), (0, 0)))
    div = (2.0 + 0.3 * (sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]) / 3) ** 0.6
    np.testing.assert_allclose(y, x / div, rtol=1e-12)


def test_distances():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    d = nn.PairwiseDistance(p=3.0)(_t(a), _t(b)).numpy()
    np.testing.assert_allclose(d, (np.abs(a - b + 1e-6) ** 3).sum(1) ** (1 / 3), rtol=1e-12)
    c = nn.CosineSimilarity(dim=1)(_t(a), _t(b)).numpy()
    ref = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(c, ref, rtol=1e-12)
    tiny = F.cosine_similarity(_t(a * 1e-10), _t(b), dim=1).numpy()
    assert np.abs(tiny).max() < 1e-1  # each norm clamped to eps separately, as PyTorch


def test_embedding_bag_modes():
    w = np.random.default_rng(0).normal(size=(6, 3))
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 0])
    off = np.array([0, 2, 2, 5])
    bags = [idx[0:2], idx[2:2], idx[2:5], idx[5:]]
    for mode, red in (("sum", np.sum), ("mean", np.mean), ("max", np.max)):
        out = nn.EmbeddingBag.from_pretrained(_t(w), mode=mode)(ag.tensor(idx), ag.tensor(off))
        ref = np.stack([red(w[b], 0) if len(b) else np.zeros(3) for b in bags])
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    out = F.embedding_bag(ag.tensor(idx), _t(w), ag.tensor(off), mode="mean", padding_idx=4)
    np.testing.assert_allclose(out.numpy()[2], w[5], rtol=1e-12)  # the 4s are left out
    psw = np.arange(8.0)
    out = F.embedding_bag(
        ag.tensor(idx), _t(w), ag.tensor(off), mode="sum", per_sample_weights=_t(psw)
    )
    np.testing.assert_allclose(out.numpy()[0], w[1] * 0 + w[2] * 1, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(ag.tensor(idx), _t(w), ag.tensor(off), per_sample_weights=_t(psw))
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(ag.tensor(idx.reshape(2, 4)), _t(w), ag.tensor(off))


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    x = ag.zeros(3, 2)
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(x, x, -ag.ones(3, 2))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, ag.ones(2))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(ag.zeros(3, 3), 1)


def test_hinge_and_margin_losses_formulas():
    x = np.array([0.5, -0.2, 1.5, 0.3])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    h = F.hinge_embedding_loss(_t(x), _t(y), margin=1.0, reduction="none").numpy()
    np.testing.assert_allclose(h, [0.5, 1.2, 0.0, 0.3])
    m = F.margin_ranking_loss(_t(x), _t(x[::-1].copy()), _t(y), 0.1, reduction="none").numpy()
    np.testing.assert_allclose(m, np.maximum(0, -y * (x - x[::-1]) + 0.1))
    logits = np.array([[0.1, 0.9, -0.3], [0.4, 0.2, 0.0]])
    mm = F.multi_margin_loss(_t(logits), ag.tensor([1, 0]), reduction="none").numpy()
    ref = [
        (max(0, 1 - 0.9 + 0.1) + max(0, 1 - 0.9 - 0.3)) / 3,
        (max(0, 1 - 0.4 + 0.2) + max(0, 1 - 0.4 + 0.0)) / 3,
    ]
    np.testing.assert_allclose(mm, ref, rtol=1e-12)


# -- parametrizations -----------------------------------------------------------------------------
class _Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


def test_register_and_remove_parametrization():
    m = nn.Linear(3, 3).double()
    P.register_parametrization(m, "weight", _Symmetric())
    assert type(m).__name__ == "ParametrizedLinear"
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    m.weight = _t(np.arange(9.0).reshape(3, 3))  # stored through right_inverse
    np.testing.assert_array_equal(
        m.parametrizations.weight.original.detach().numpy(), np.triu(np.arange(9.0).reshape(3, 3))
    )
    with P.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    m(_t(np.ones((2, 3)))).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]  # as PyTorch
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")


def test_weight_norm_parametrization():
    m = PZ.weight_norm(nn.Linear(3, 4).double())
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    g = m.parametrizations.weight.original0
    v = m.parametrizations.weight.original1
    assert g.shape == (4, 1) and v.shape == (4, 3)
    with ag.no_grad():
        g.copy_(_t([[1.0], [2.0], [3.0], [4.0]]))
    np.testing.assert_allclose(np.linalg.norm(m.weight.detach().numpy(), axis=1), [1, 2, 3, 4])


def test_spectral_norm_parametrization():
    ag.manual_seed(0)
    m = PZ.spectral_norm(nn.Linear(5, 4).double())
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    for _ in range(30):
        w = m.weight
    sigma = np.linalg.svd(w.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(sigma, 1.0, rtol=1e-6)


@pytest.mark.parametrize("mp", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5)])
def test_orthogonal_parametrization(mp, shape):
    ag.manual_seed(0)
    m = nn.Linear(shape[1], shape[0]).double()
    w0 = m.weight.detach().numpy().copy()
    PZ.orthogonal(m, orthogonal_map=mp)
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0.base",
    ]
    # the start is the original's QR factor (R with a positive diagonal)
    tall = w0 if shape[0] >= shape[1] else w0.T
    qf, r = np.linalg.qr(tall)
    qf = qf * np.sign(np.diag(r))
    q = m.weight.detach().numpy()
    np.testing.assert_allclose(q if shape[0] >= shape[1] else q.T, qf, atol=1e-10)
    new = np.random.default_rng(1).normal(size=shape) * 0.5
    if mp == "householder":  # its diagonal holds the reflections' signs (+-1, never trained)
        k = min(shape)
        new[np.arange(k), np.arange(k)] = -1.0
    with ag.no_grad():
        m.parametrizations.weight.original.copy_(_t(new))
    q = m.weight.detach().numpy()
    small = min(shape)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-10)
    m(_t(np.ones((2, shape[1])))).sum().backward()
    assert np.isfinite(m.parametrizations.weight.original.grad.numpy()).all()
