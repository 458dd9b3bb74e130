"""Behaviour of MultiheadAttention, scaled_dot_product_attention, TransformerEncoderLayer and
TransformerEncoder: PyTorch's parameter names, ``repr`` and initialisation, shapes, masks and
attention weights against a NumPy reference written here, dropout only in training, errors.

Gradients against finite differences over drawn options are in the op table
(``tests/nn/rows_rnn.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def _a(t):
    return t.detach().numpy()


def _sd_shapes(m):
    return [(k, tuple(v.shape)) for k, v in m.state_dict().items()]


def _softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _ref_mha(m, q, k, v, kpm=None, attn_mask=None):
    """Time-major ``(L, N, E)`` inputs as arrays; the module's weights; returns the output
    ``(L, N, E)`` and per-head weights ``(N, heads, L, S)``. Bool masks: True = blocked."""
    sd = {n: _a(p) for n, p in m.state_dict().items()}
    E, h = m.embed_dim, m.num_heads
    d = E // h
    if "in_proj_weight" in sd:
        wq, wk, wv = np.split(sd["in_proj_weight"], 3)
    else:
        wq, wk, wv = sd["q_proj_weight"], sd["k_proj_weight"], sd["v_proj_weight"]
    bq, bk, bv = np.split(sd["in_proj_bias"], 3) if "in_proj_bias" in sd else (0, 0, 0)
    L, N, _ = q.shape
    S = k.shape[0]
    Q = (q @ wq.T + bq).reshape(L, N, h, d).transpose(1, 2, 0, 3)
    K = (k @ wk.T + bk).reshape(S, N, h, d).transpose(1, 2, 0, 3)
    V = (v @ wv.T + bv).reshape(S, N, h, d).transpose(1, 2, 0, 3)
    s = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(d)
    if attn_mask is not None:
        am = attn_mask if attn_mask.ndim == 2 else attn_mask.reshape(N, h, L, S)
        s = s + (np.where(am, -np.inf, 0.0) if am.dtype == bool else am)
    if kpm is not None:
        s = s + np.where(kpm, -np.inf, 0.0)[:, None, None, :]
    w = _softmax(s)
    o = (w @ V).transpose(2, 0, 1, 3).reshape(L, N, E)
    o = o @ sd["out_proj.weight"].T + sd.get("out_proj.bias", 0)
    return o, w


def _mha(E=8, h=2, **kw):
    ag.manual_seed(0)
    m = nn.MultiheadAttention(E, h, **kw).double()
    rng = np.random.default_rng(5)
    with ag.no_grad():
        for p in m.parameters():  # non-zero biases, so the reference checks them too
            p.copy_(ag.tensor(rng.uniform(-0.5, 0.5, p.shape)))
    return m


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --------------------------------------------------------------------------- parameters


def test_mha_state_dict_keys_as_pytorch():
    assert _sd_shapes(nn.MultiheadAttention(8, 2)) == [
        ("in_proj_weight", (24, 8)),
        ("in_proj_bias", (24,)),
        ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,)),
    ]
    assert _sd_shapes(nn.MultiheadAttention(8, 2, kdim=3, vdim=5)) == [
        ("q_proj_weight", (8, 8)),
        ("k_proj_weight", (8, 3)),
        ("v_proj_weight", (8, 5)),
        ("in_proj_bias", (24,)),
        ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,)),
    ]
    assert _sd_shapes(nn.MultiheadAttention(8, 2, bias=False)) == [
        ("in_proj_weight", (24, 8)),
        ("out_proj.weight", (8, 8)),
    ]


def test_encoder_layer_state_dict_keys_as_pytorch():
    assert _sd_shapes(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)) == [
        ("self_attn.in_proj_weight", (24, 8)),
        ("self_attn.in_proj_bias", (24,)),
        ("self_attn.out_proj.weight", (8, 8)),
        ("self_attn.out_proj.bias", (8,)),
        ("linear1.weight", (16, 8)),
        ("linear1.bias", (16,)),
        ("linear2.weight", (8, 16)),
        ("linear2.bias", (8,)),
        ("norm1.weight", (8,)),
        ("norm1.bias", (8,)),
        ("norm2.weight", (8,)),
        ("norm2.bias", (8,)),
    ]
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2)
    keys = list(enc.state_dict())
    assert len(keys) == 24
    assert keys[0] == "layers.0.self_attn.in_proj_weight"
    assert keys[12] == "layers.1.self_attn.in_proj_weight"
    assert keys[-1] == "layers.1.norm2.bias"


def test_mha_repr_as_pytorch():
    assert repr(nn.MultiheadAttention(8, 2)) == (
        "MultiheadAttention(\n"
        "  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n"
        ")"
    )


def test_encoder_layer_repr_as_pytorch():
    assert repr(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)) == (
        "TransformerEncoderLayer(\n"
        "  (self_attn): MultiheadAttention(\n"
        "    (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, "
        "bias=True)\n"
        "  )\n"
        "  (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "  (dropout): Dropout(p=0.1, inplace=False)\n"
        "  (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        "  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (dropout1): Dropout(p=0.1, inplace=False)\n"
        "  (dropout2): Dropout(p=0.1, inplace=False)\n"
        ")"
    )


def test_mha_default_init_as_pytorch():
    ag.manual_seed(0)
    m = nn.MultiheadAttention(16, 4)
    w = _a(m.in_proj_weight)
    bound = math.sqrt(6.0 / (16 + 48))  # xavier_uniform_ over the packed (3E, E) weight
    assert np.all(np.abs(w) <= bound) and w.std() > bound / 3
    np.testing.assert_array_equal(_a(m.in_proj_bias), 0.0)
    np.testing.assert_array_equal(_a(m.out_proj.bias), 0.0)
    wo = _a(m.out_proj.weight)  # Linear's default: U(-1/sqrt(in), 1/sqrt(in))
    assert np.all(np.abs(wo) <= 1 / math.sqrt(16)) and wo.std() > 0.05
    ag.manual_seed(0)
    np.testing.assert_array_equal(_a(nn.MultiheadAttention(16, 4).in_proj_weight), w)


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("average", [True, False])
def test_mha_output_and_weights_match_numpy(average):
    m = _mha()
    q, k, v = _x(4, 3, 8, seed=1), _x(5, 3, 8, seed=2), _x(5, 3, 8, seed=3)
    out, w = m(ag.tensor(q), ag.tensor(k), ag.tensor(v), average_attn_weights=average)
    eo, ew = _ref_mha(m, q, k, v)
    np.testing.assert_allclose(_a(out), eo, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_a(w), ew.mean(1) if average else ew, rtol=1e-10, atol=1e-12)
    assert w.shape == ((3, 4, 5) if average else (3, 2, 4, 5))


def test_mha_key_padding_mask_bool_and_attn_mask_bool():
    m = _mha()
    q, k = _x(4, 2, 8, seed=1), _x(5, 2, 8, seed=2)
    kpm = np.array([[False, True, False, False, True], [False, False, False, True, False]])
    am = np.zeros((4, 5), dtype=bool)
    am[0, 2:] = True
    am[3, 0] = True
    out, w = m(
        ag.tensor(q),
        ag.tensor(k),
        ag.tensor(k),
        key_padding_mask=ag.tensor(kpm),
        attn_mask=ag.tensor(am),
        average_attn_weights=False,
    )
    eo, ew = _ref_mha(m, q, k, k, kpm, am)
    np.testing.assert_allclose(_a(out), eo, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_a(w), ew, rtol=1e-10, atol=1e-12)
    wa = _a(w)
    assert np.all(wa[:, :, :, 1][0] == 0.0) and np.all(wa[1, :, :, 3] == 0.0)  # padded keys
    assert np.all(wa[:, :, 0, 2:] == 0.0) and np.all(wa[:, :, 3, 0] == 0.0)  # blocked pairs
    np.testing.assert_allclose(wa.sum(-1), 1.0)


def test_mha_float_attn_mask_is_added_and_3d_per_head():
    m = _mha()
    q, k = _x(3, 2, 8, seed=1), _x(4, 2, 8, seed=2)
    am = np.random.default_rng(9).uniform(-2, 2, (2 * 2, 3, 4))
    out, w = m(
        ag.tensor(q),
        ag.tensor(k),
        ag.tensor(k),
        attn_mask=ag.tensor(am),
        average_attn_weights=False,
    )
    eo, ew = _ref_mha(m, q, k, k, None, am)
    np.testing.assert_allclose(_a(out), eo, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_a(w), ew, rtol=1e-10, atol=1e-12)


def test_mha_causal_with_and_without_weights():
    m = _mha()
    x = _x(4, 2, 8, seed=1)
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    eo, ew = _ref_mha(m, x, x, x, None, causal)
    t = ag.tensor(x)
    out, w = m(t, t, t, attn_mask=ag.tensor(causal), is_causal=True)
    np.testing.assert_allclose(_a(out), eo, rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(_a(w)[0], 1) == 0.0)
    out2, w2 = m(t, t, t, attn_mask=ag.tensor(causal), is_causal=True, need_weights=False)
    assert w2 is None
    np.testing.assert_allclose(_a(out2), eo, rtol=1e-10, atol=1e-12)


def test_mha_batch_first_unbatched_and_separate_kv_dims():
    m = _mha(batch_first=True)
    q, k = _x(2, 4, 8, seed=1), _x(2, 5, 8, seed=2)
    out, w = m(ag.tensor(q), ag.tensor(k), ag.tensor(k))
    eo, ew = _ref_mha(m, q.transpose(1, 0, 2), k.transpose(1, 0, 2), k.transpose(1, 0, 2))
    np.testing.assert_allclose(_a(out), eo.transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    assert out.shape == (2, 4, 8) and w.shape == (2, 4, 5)
    # unbatched (L, E): the batch dim is dropped from output and weights
    out1, w1 = m(ag.tensor(q[0]), ag.tensor(k[0]), ag.tensor(k[0]))
    np.testing.assert_allclose(_a(out1), _a(out)[0], rtol=1e-10, atol=1e-12)
    assert w1.shape == (4, 5)
    m2 = _mha(kdim=3, vdim=5)
    q, k, v = _x(4, 2, 8, seed=1), _x(6, 2, 3, seed=2), _x(6, 2, 5, seed=3)
    out, w = m2(ag.tensor(q), ag.tensor(k), ag.tensor(v))
    eo, ew = _ref_mha(m2, q, k, v)
    np.testing.assert_allclose(_a(out), eo, rtol=1e-10, atol=1e-12)
    assert out.shape == (4, 2, 8) and w.shape == (2, 4, 6)


def test_mha_need_weights_false_returns_none():
    m = nn.MultiheadAttention(4, 2)
    x = ag.randn(3, 2, 4)
    out, w = m(x, x, x, need_weights=False)
    assert w is None and out.shape == (3, 2, 4)


def test_mha_dropout_only_in_training():
    ag.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = ag.randn(4, 2, 8)
    m.eval()
    o1, w1 = m(x, x, x)
    o2, w2 = m(x, x, x)
    np.testing.assert_array_equal(_a(o1), _a(o2))
    np.testing.assert_allclose(_a(w1).sum(-1), 1.0, rtol=1e-6)
    m.train()
    o3, w3 = m(x, x, x, average_attn_weights=False)
    assert not np.allclose(_a(o3), _a(o1))
    assert np.any(_a(w3) == 0.0)  # dropped attention weights


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(7, 2)
    with pytest.raises(NotImplementedError, match="add_bias_kv"):
        nn.MultiheadAttention(8, 2, add_bias_kv=True)
    m = nn.MultiheadAttention(8, 2)
    q, k = ag.randn(4, 2, 8), ag.randn(5, 2, 8)
    with pytest.raises(AssertionError, match=r"MultiheadAttention: .*8, but got 7"):
        m(ag.randn(4, 2, 7), ag.randn(5, 2, 7), ag.randn(5, 2, 7))
    m2 = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    with pytest.raises(AssertionError, match=r"key feature size 3, but got 4"):
        m2(q, ag.randn(5, 2, 4), ag.randn(5, 2, 5))
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 3\), but should be \(4, 5\)"):
        m(q, k, k, attn_mask=ag.zeros(3, 3))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(q, k, k, attn_mask=ag.zeros(4, 5, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(q, k, k, is_causal=True)


# --------------------------------------------------------------------------- SDPA


def test_sdpa_matches_numpy_and_bool_mask_means_take_part():
    q, k, v = _x(2, 3, 4, seed=1), _x(2, 5, 4, seed=2), _x(2, 5, 6, seed=3)
    keep = np.ones((3, 5), dtype=bool)
    keep[0, 1:] = False
    out = F.scaled_dot_product_attention(
        ag.tensor(q), ag.tensor(k), ag.tensor(v), attn_mask=ag.tensor(keep)
    )
    s = q @ k.transpose(0, 2, 1) / 2.0 + np.where(keep, 0.0, -np.inf)
    np.testing.assert_allclose(_a(out), _softmax(s) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_a(out)[:, 0], v[:, 0], rtol=1e-12)  # only key 0 allowed
    assert out.shape == (2, 3, 6)


def test_sdpa_causal_and_scale():
    q = _x(3, 3, 2, seed=1)
    out = F.scaled_dot_product_attention(
        ag.tensor(q), ag.tensor(q), ag.tensor(q), is_causal=True, scale=0.3
    )
    s = q @ q.transpose(0, 2, 1) * 0.3 + np.triu(np.full((3, 3), -np.inf), 1)
    np.testing.assert_allclose(_a(out), _softmax(s) @ q, rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        t = ag.tensor(q)
        F.scaled_dot_product_attention(t, t, t, attn_mask=ag.ones(3, 3), is_causal=True)


# --------------------------------------------------------------------------- encoder layer


def _ln(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    var = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(var + eps) * w + b


def _ref_encoder_layer(layer, x, attn_mask=None, kpm=None, act=None):
    """Time-major ``(S, N, E)``; eval mode (no dropout)."""
    sd = {n: _a(p) for n, p in layer.state_dict().items()}
    act = act or (lambda a: np.maximum(a, 0.0))

    def sa(y):
        return _ref_mha(layer.self_attn, y, y, y, kpm, attn_mask)[0]

    def ff(y):
        h = act(y @ sd["linear1.weight"].T + sd["linear1.bias"])
        return h @ sd["linear2.weight"].T + sd["linear2.bias"]

    def n1(y):
        return _ln(y, sd["norm1.weight"], sd["norm1.bias"])

    def n2(y):
        return _ln(y, sd["norm2.weight"], sd["norm2.bias"])

    if layer.norm_first:
        x = x + sa(n1(x))
        return x + ff(n2(x))
    x = n1(x + sa(x))
    return n2(x + ff(x))


def _layer(**kw):
    ag.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw).double()
    rng = np.random.default_rng(4)
    with ag.no_grad():
        for n, p in layer.named_parameters():
            base = 1.0 if n.startswith("norm") and n.endswith("weight") else 0.0
            p.copy_(ag.tensor(base + rng.uniform(-0.5, 0.5, p.shape)))
    return layer.eval()


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_numpy(norm_first):
    layer = _layer(norm_first=norm_first)
    x = _x(5, 2, 8, seed=1)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    out = layer(ag.tensor(x), src_key_padding_mask=ag.tensor(kpm))
    np.testing.assert_allclose(
        _a(out), _ref_encoder_layer(layer, x, kpm=kpm), rtol=1e-9, atol=1e-11
    )
    assert out.shape == (5, 2, 8)


def test_encoder_layer_gelu_batch_first_causal_unbatched():
    from math import erf

    layer = _layer(activation="gelu", batch_first=True)
    x = _x(2, 4, 8, seed=2)
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    out = layer(ag.tensor(x), src_mask=ag.tensor(causal), is_causal=True)
    gelu = np.vectorize(lambda a: 0.5 * a * (1 + erf(a / math.sqrt(2))))
    ref = _ref_encoder_layer(layer, x.transpose(1, 0, 2), attn_mask=causal, act=gelu)
    np.testing.assert_allclose(_a(out), ref.transpose(1, 0, 2), rtol=1e-9, atol=1e-11)
    out1 = layer(ag.tensor(x[0]), src_mask=ag.tensor(causal))
    np.testing.assert_allclose(_a(out1), _a(out)[0], rtol=1e-10, atol=1e-12)


def test_encoder_layer_callable_activation_and_dropout_only_in_training():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation=F.relu)
    x = ag.randn(5, 2, 8)
    layer.eval()
    np.testing.assert_array_equal(_a(layer(x)), _a(layer(x)))
    layer.train()
    assert not np.allclose(_a(layer(x)), _a(layer(x)))


def test_encoder_stacks_independent_copies():
    layer = _layer()
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8).double())
    enc.eval()
    p0 = enc.layers[0].linear1.weight
    assert p0 is not enc.layers[1].linear1.weight and p0 is not layer.linear1.weight
    with ag.no_grad():
        enc.layers[1].linear1.weight.mul_(0.5)
    x = _x(3, 2, 8, seed=3)
    y = _ref_encoder_layer(enc.layers[0], x)
    y = _ref_encoder_layer(enc.layers[1], y)
    y = _ln(y, 1.0, 0.0)
    np.testing.assert_allclose(_a(enc(ag.tensor(x))), y, rtol=1e-9, atol=1e-11)


def test_encoder_layer_gradients_reach_every_parameter():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    x = ag.randn(2, 3, 8, requires_grad=True)
    layer(x).pow(2).sum().backward()
    assert x.grad.shape == x.shape
    for n, p in layer.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, n
        assert p.grad.dtype == ag.float32, n
