"""Behaviour of the nn core: Module system, state_dict layout, init, layers, losses, errors."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8, bias=False)])
        self.head = nn.Sequential(OrderedDict(drop=nn.Dropout(0.2), out=nn.Linear(8, 3)))
        self.emb = nn.Embedding(5, 4, padding_idx=0)

    def forward(self, x):
        x = self.act(self.fc1(x))
        for b in self.blocks:
            x = b(x)
        return self.head(x)


def test_state_dict_keys_and_order_as_pytorch():
    sd = Net().state_dict()
    assert list(sd) == [
        "fc1.weight",
        "fc1.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "head.out.weight",
        "head.out.bias",
        "emb.weight",
    ]
    assert sd["fc1.weight"].shape == (8, 4)
    assert not sd["fc1.weight"].requires_grad


def test_repr_tree_as_pytorch():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2, bias=False))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.5, inplace=False)\n"
        "  (3): Linear(in_features=4, out_features=2, bias=False)\n"
        ")"
    )
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    ag.manual_seed(0)
    a, b = Net(), Net()
    path = tmp_path / "net.safetensors"
    ag.save(a.state_dict(), path)
    b.load_state_dict(ag.load(path))
    x = ag.randn(2, 4)
    a.eval()
    b.eval()
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_load_state_dict_reports_every_problem():
    m = Net()
    sd = m.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = ag.zeros(1)
    sd["head.out.bias"] = ag.zeros(4)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert "fc1.bias" in msg and "extra.weight" in msg and "head.out.bias" in msg
    assert "size mismatch" in msg
    sd["head.out.bias"] = ag.zeros(3)
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra.weight"]


def test_linear_init_bounds_follow_pytorch():
    ag.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) gives the same bound as the bias
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound


def test_init_statistics():
    ag.manual_seed(1)
    t = ag.empty(500, 400)
    nn.init.xavier_uniform_(t)
    assert abs(t.numpy().std() - math.sqrt(2 / 900)) < 0.02 * math.sqrt(2 / 900)
    nn.init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu")
    assert abs(t.numpy().std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)


def test_dropout_train_eval():
    ag.manual_seed(0)
    d = nn.Dropout(0.5)
    x = ag.ones(1000)
    y = d(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_embedding_padding_row_gets_no_gradient():
    e = nn.Embedding(4, 2, padding_idx=1)
    assert np.all(e.weight.detach().numpy()[1] == 0)
    e(ag.tensor([[1, 2, 1, 3]])).sum().backward()
    g = e.weight.grad.numpy()
    np.testing.assert_array_equal(g[1], 0.0)
    np.testing.assert_array_equal(g[2], 1.0)


def test_module_api():
    m = Net()
    assert len(list(m.parameters())) == 8
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "blocks", "head", "emb"]
    m.double()
    assert m.fc1.weight.dtype == ag.float64
    m(ag.randn(2, 4, dtype=ag.float64)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad()
    assert m.fc1.weight.grad is None
    m2 = copy.deepcopy(m)
    assert m2.fc1.weight is not m.fc1.weight
    np.testing.assert_array_equal(m2.fc1.weight.detach().numpy(), m.fc1.weight.detach().numpy())
    assert not m.eval().training and not m.head.drop.training


def test_linear_wrong_feature_size_names_layer_expected_and_got():
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=3.*expected.*3.*\(2, 5\)"):
        nn.Linear(3, 4)(ag.randn(2, 5))


def test_cross_entropy_target_out_of_range():
    with pytest.raises(IndexError, match=r"Target 7 is out of bounds.*3 classes"):
        F.cross_entropy(ag.randn(2, 3), ag.tensor([0, 7]))


def test_losses_finite_at_extreme_logits():
    x = ag.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    loss = F.cross_entropy(x, ag.tensor([1, 1])) + F.binary_cross_entropy_with_logits(
        x, ag.tensor([[0.0, 1.0], [1.0, 0.0]])
    )
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))
    # cross-entropy: mean of 2000 and 0; BCE: every element 1000
    assert loss.item() == pytest.approx(1000.0 + 1000.0, rel=1e-6)


def test_cross_entropy_against_numpy_reference():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    t = np.array([0, 3, 1, -100, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    got = F.cross_entropy(ag.tensor(logits), ag.tensor(t), weight=ag.tensor(w)).item()
    lp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    keep = t != -100
    wt = w[t[keep]]
    expected = -(wt * lp[keep, t[keep]]).sum() / wt.sum()
    assert got == pytest.approx(expected, rel=1e-12)


def test_containers():
    s = nn.Sequential(OrderedDict(a=nn.Linear(2, 3), b=nn.ReLU(), c=nn.Linear(3, 1)))
    assert isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2 and s[-1] is s.c
    s.append(nn.Sigmoid())
    assert len(s) == 4

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.pl = nn.ParameterList([nn.Parameter(ag.zeros(2)), nn.Parameter(ag.ones(3))])
            self.pd = nn.ParameterDict({"w": nn.Parameter(ag.zeros(2))})
            self.md = nn.ModuleDict({"x": nn.Linear(1, 1)})
            self.ml = nn.ModuleList([nn.Linear(1, 2)])

    assert list(M().state_dict()) == [
        "pl.0",
        "pl.1",
        "pd.w",
        "md.x.weight",
        "md.x.bias",
        "ml.0.weight",
        "ml.0.bias",
    ]


def test_clip_grad_norm_and_value():
    a = nn.Parameter(ag.zeros(3))
    b = nn.Parameter(ag.zeros(4))
    a.grad = ag.tensor([3.0, 0.0, 0.0])
    b.grad = ag.tensor([0.0, 4.0, 0.0, 0.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    # PyTorch scales by max_norm / (total + 1e-6)
    np.testing.assert_allclose(a.grad.numpy(), [3.0 / (5.0 + 1e-6), 0, 0], rtol=1e-6)
    nn.utils.clip_grad_value_([b], 0.5)
    assert b.grad.numpy().max() == pytest.approx(0.5)
    v = nn.utils.parameters_to_vector([a, b])
    assert v.shape == (7,)
    nn.utils.vector_to_parameters(ag.arange(7.0), [a, b])
    np.testing.assert_array_equal(b.detach().numpy(), [3.0, 4.0, 5.0, 6.0])


# -- more layers ------------------------------------------------------------------------------
def test_linear_values_shapes_and_errors():
    lin = nn.Linear(3, 2).double()
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    x = np.random.default_rng(0).standard_normal((4, 5, 3))
    np.testing.assert_allclose(lin(ag.tensor(x)).detach().numpy(), x @ w.T + b, rtol=1e-12)
    assert lin(ag.tensor(x[0, 0])).shape == (2,)  # 1-D input
    assert nn.Linear(3, 2, bias=False).bias is None
    assert list(nn.Linear(3, 2, bias=False).state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match=r"expected input with last dimension 3"):
        lin(ag.randn(3, 2, dtype=ag.float64))
    with pytest.raises(RuntimeError):
        F.linear(ag.randn(2, 5), ag.randn(4, 3))
    # LazyLinear is supported (tests/nn/test_lazy.py): in_features comes from the first input
    assert nn.LazyLinear(3)(ag.randn(4, 5)).shape == (4, 3)


def test_bilinear_values_and_errors():
    m = nn.Bilinear(3, 2, 4).double()
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    expected = np.einsum("ni,oij,nj->no", x1, w, x2) + b
    np.testing.assert_allclose(m(ag.tensor(x1), ag.tensor(x2)).detach().numpy(), expected)
    with pytest.raises(RuntimeError, match=r"Bilinear: expected inputs with last dimensions 3"):
        m(ag.randn(5, 2, dtype=ag.float64), ag.randn(5, 2, dtype=ag.float64))


def test_flatten_unflatten_identity():
    x = ag.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    ident = nn.Identity(54, unused="x")
    assert ident(x) is x and repr(ident) == "Identity()"


def test_embedding_behaviour():
    w = ag.tensor([[0.0, 0.0], [3.0, 4.0], [0.6, 0.8]])
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and e.weight.shape == (3, 2)
    np.testing.assert_allclose(e(ag.tensor([2, 1])).numpy(), [[0.6, 0.8], [3.0, 4.0]], rtol=1e-6)
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    # max_norm renormalises the looked-up rows in place
    e2 = nn.Embedding(3, 2, max_norm=1.0, _weight=ag.tensor([[0.0, 0.0], [3.0, 4.0], [0.6, 0.8]]))
    e2(ag.tensor([1]))
    np.testing.assert_allclose(np.linalg.norm(e2.weight.detach().numpy()[1]), 1.0, rtol=1e-5)
    assert repr(e2) == "Embedding(3, 2, max_norm=1.0)"
    # scale_grad_by_freq divides each row's gradient by its count in the batch (PyTorch)
    e3 = nn.Embedding(4, 2, scale_grad_by_freq=True)
    e3(ag.tensor([[1, 1, 2], [1, 3, 3]])).sum().backward()
    np.testing.assert_allclose(e3.weight.grad.numpy(), [[0, 0], [1, 1], [1, 1], [1, 1]])
    with pytest.raises(IndexError, match="out of range"):
        nn.Embedding(4, 2)(ag.tensor([4]))
    with pytest.raises(RuntimeError, match="integer dtype"):
        nn.Embedding(4, 2)(ag.tensor([1.0]))
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3


def test_dropout_variants():
    ag.manual_seed(0)
    x = ag.ones(200, 8, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(200, 8, 9)
    # whole channels are dropped together and the kept ones scaled by 2
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(y)) == {0.0, 2.0} and 0.45 < (y == 0).mean() < 0.55
    y1 = nn.Dropout1d(0.3)(ag.ones(100, 4, 6)).numpy()
    assert np.all(y1.min(-1) == y1.max(-1)) and 0.25 < (y1 == 0).mean() < 0.35
    y1u = F.dropout1d(ag.ones(50, 6), 0.5).numpy()  # unbatched (C, L)
    assert np.all(y1u.min(-1) == y1u.max(-1))
    assert not F.dropout(ag.ones(10), p=1.0).numpy().any()
    z = ag.randn(10)
    assert F.dropout(z, 0.0) is z and F.dropout(z, 0.5, training=False) is z
    d = nn.Dropout2d(0.5).eval()
    assert d(x) is x
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        F.dropout2d(ag.ones(2, 3, 4), 0.5)
    # the same seed gives the same mask; a generator keeps the global stream untouched
    ag.manual_seed(5)
    a = F.dropout(ag.ones(50), 0.5).numpy()
    ag.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(ag.ones(50), 0.5).numpy(), a)
    # gradient goes through the kept elements only, scaled
    x = ag.ones(1000, requires_grad=True)
    out = F.dropout(x, 0.25)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())


def test_one_hot_pad_normalize_cosine():
    oh = F.one_hot(ag.tensor([0, 2, 1]), 4)
    assert oh.dtype == ag.int64
    np.testing.assert_array_equal(oh.numpy(), np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(ag.tensor([[0, 3]])).shape == (1, 2, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ag.tensor([5]), 3)
    p = F.pad(ag.ones(2, 3), (1, 2), value=0.5)
    assert p.shape == (2, 6) and p.numpy()[0].tolist() == [0.5, 1, 1, 1, 0.5, 0.5]
    assert F.pad(ag.ones(1, 2, 2), (1, 1, 2, 0)).shape == (1, 4, 4)
    x = np.random.default_rng(2).standard_normal((3, 4))
    np.testing.assert_allclose(
        F.normalize(ag.tensor(x)).numpy(), x / np.linalg.norm(x, axis=1, keepdims=True)
    )
    y = np.random.default_rng(3).standard_normal((3, 4))
    cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(F.cosine_similarity(ag.tensor(x), ag.tensor(y)).numpy(), cos)


def test_clip_grad_norm_inf_nonfinite_and_vector_errors():
    a = nn.Parameter(ag.zeros(3))
    a.grad = ag.tensor([1.0, -6.0, 2.0])
    total = nn.utils.clip_grad_norm_(a, max_norm=3.0, norm_type=float("inf"))
    assert total.item() == 6.0 and total.dtype == ag.float32
    np.testing.assert_allclose(a.grad.numpy(), [0.5, -3.0, 1.0], rtol=1e-5)
    # a norm under max_norm leaves the gradients (numerically) unchanged
    nn.utils.clip_grad_norm_([a], max_norm=100.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.5, -3.0, 1.0], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([nn.Parameter(ag.zeros(1))], 1.0).item() == 0.0
    a.grad = ag.tensor([1.0, float("nan"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    b = nn.Parameter(ag.zeros(2))
    b.grad = ag.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_([b], 1.0, norm_type=1).item() == pytest.approx(7.0)
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters([1.0, 2.0], [b])
    with pytest.raises(RuntimeError, match="elements"):
        nn.utils.vector_to_parameters(ag.zeros(5), [b])
    v = nn.utils.parameters_to_vector([b])
    assert v.requires_grad  # differentiable, as in PyTorch
