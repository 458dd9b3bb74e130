"""``nn.Module``: registration, iteration, modes, dtype, hooks, state_dict layout and loading,
containers, repr. Expected keys and strings are PyTorch's, written out literally."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


# -- reference architectures (state_dict keys as PyTorch 2.x names them) ---------------------
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        return self.fc(ag.flatten(self.drop(x), 1))


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 3, padding_idx=0)
        self.blocks = nn.ModuleList(
            [nn.Sequential(nn.Linear(3, 3), nn.LayerNorm(3)) for _ in range(2)]
        )
        self.heads = nn.ModuleDict({"b": nn.Linear(3, 1), "a": nn.Bilinear(3, 3, 2, bias=False)})
        self.scales = nn.ParameterList([nn.Parameter(ag.ones(3)), nn.Parameter(ag.zeros(1))])
        self.extra = nn.ParameterDict({"t": nn.Parameter(ag.zeros(2))})
        self.register_buffer("steps", ag.zeros(()))
        self.register_buffer("tmp", ag.zeros(2), persistent=False)
        self.gate = nn.Parameter(ag.zeros(3))


MLP_KEYS = [("0.weight", (8, 4)), ("0.bias", (8,)), ("2.weight", (2, 8)), ("2.bias", (2,))]
CNN_KEYS = [
    ("conv1.weight", (4, 1, 3, 3)),
    ("conv1.bias", (4,)),
    ("bn1.weight", (4,)),
    ("bn1.bias", (4,)),
    ("bn1.running_mean", (4,)),
    ("bn1.running_var", (4,)),
    ("bn1.num_batches_tracked", ()),
    ("fc.weight", (10, 64)),
    ("fc.bias", (10,)),
]
MIXED_KEYS = [
    ("gate", (3,)),
    ("steps", ()),
    ("emb.weight", (10, 3)),
    ("blocks.0.0.weight", (3, 3)),
    ("blocks.0.0.bias", (3,)),
    ("blocks.0.1.weight", (3,)),
    ("blocks.0.1.bias", (3,)),
    ("blocks.1.0.weight", (3, 3)),
    ("blocks.1.0.bias", (3,)),
    ("blocks.1.1.weight", (3,)),
    ("blocks.1.1.bias", (3,)),
    ("heads.b.weight", (1, 3)),
    ("heads.b.bias", (1,)),
    ("heads.a.weight", (2, 3, 3)),
    ("scales.0", (3,)),
    ("scales.1", (1,)),
    ("extra.t", (2,)),
]


def _mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


@pytest.mark.parametrize(
    "make, keys",
    [(_mlp, MLP_KEYS), (CNN, CNN_KEYS), (Mixed, MIXED_KEYS)],
    ids=["mlp", "cnn", "mixed"],
)
def test_state_dict_keys_order_and_shapes_are_pytorchs(make, keys):
    sd = make().state_dict()
    assert isinstance(sd, OrderedDict)
    assert [(k, tuple(v.shape)) for k, v in sd.items()] == keys


def test_named_parameters_and_modules_orders_are_pytorchs():
    m = Mixed()
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in MIXED_KEYS if k != "steps"]
    assert [k for k, _ in m.named_modules()] == [
        "",
        "emb",
        "blocks",
        "blocks.0",
        "blocks.0.0",
        "blocks.0.1",
        "blocks.1",
        "blocks.1.0",
        "blocks.1.1",
        "heads",
        "heads.b",
        "heads.a",
        "scales",
        "extra",
    ]
    assert [k for k, _ in m.named_buffers()] == ["steps", "tmp"]  # non-persistent too
    assert [k for k, _ in CNN().named_modules()] == ["", "conv1", "bn1", "pool", "drop", "fc"]


def test_repr_of_nested_tree_is_pytorchs():
    assert repr(Mixed()) == (
        "Mixed(\n"
        "  (emb): Embedding(10, 3, padding_idx=0)\n"
        "  (blocks): ModuleList(\n"
        "    (0-1): 2 x Sequential(\n"
        "      (0): Linear(in_features=3, out_features=3, bias=True)\n"
        "      (1): LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "    )\n"
        "  )\n"
        "  (heads): ModuleDict(\n"
        "    (b): Linear(in_features=3, out_features=1, bias=True)\n"
        "    (a): Bilinear(in1_features=3, in2_features=3, out_features=2, bias=False)\n"
        "  )\n"
        "  (scales): ParameterList(\n"
        "      (0): Parameter containing: [autograd.float32 of size 3]\n"
        "      (1): Parameter containing: [autograd.float32 of size 1]\n"
        "  )\n"
        "  (extra): ParameterDict(  (t): Parameter containing: [autograd.FloatTensor of size 2])\n"
        ")"
    )
    assert repr(CNN()) == (
        "CNN(\n"
        "  (conv1): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (bn1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (drop): Dropout(p=0.25, inplace=False)\n"
        "  (fc): Linear(in_features=64, out_features=10, bias=True)\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.Sequential()) == "Sequential()"
    ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU()])
    assert repr(ml) == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n  (3): ReLU()\n)"


def test_parameter_basics():
    t = ag.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    p.detach().numpy()[0, 0] = 5.0  # shares memory with the tensor it wraps
    assert t.numpy()[0, 0] == 5.0
    assert repr(nn.Parameter(ag.zeros(2))) == (
        "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    )
    assert not nn.Parameter(ag.zeros(1), requires_grad=False).requires_grad
    assert type(p * 2) is ag.Tensor and type(p.detach()) is ag.Tensor
    assert nn.Parameter().shape == (0,)
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q is not p


def test_registration_by_assignment_and_removal():
    m = nn.Module()
    m.w = nn.Parameter(ag.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("b", ag.ones(1))
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["b"] and m.plain == 3
    m.b = ag.zeros(1)  # a tensor assigned to a buffer name stays a buffer
    assert list(m.state_dict()) == ["w", "b", "sub.weight", "sub.bias"]
    m.w = None  # a registered parameter may be set to None
    assert "w" not in m.state_dict() and "w" in m._parameters
    del m.sub
    assert not hasattr(m, "sub") and list(m.state_dict()) == ["b"]
    m.buf2 = nn.Buffer(ag.zeros(3), persistent=False)
    assert "buf2" in dict(m.named_buffers()) and "buf2" not in m.state_dict()
    assert type(m.buf2) is ag.Tensor
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope  # noqa: B018
    assert {"b", "buf2", "w"} <= set(dir(m))


def test_registration_errors():
    m = nn.Module()
    m.w = nn.Parameter(ag.zeros(2))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = ag.zeros(2)
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ag.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("w", ag.zeros(1))
    with pytest.raises(TypeError, match="buffer 'x'"):
        m.register_buffer("x", [1, 2])
    with pytest.raises(TypeError, match="parameter 'y'"):
        m.register_parameter("y", ag.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("z", 5)
    nonleaf = ag.zeros(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("q", _nonleaf(nonleaf))

    class Early(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(1, 1)  # before super().__init__()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(ag.zeros(1))


def _nonleaf(t):
    """A Parameter object that has a grad_fn (only reachable by hand; checks the guard)."""
    p = nn.Parameter(ag.zeros(2))
    p.grad_fn = t.grad_fn
    return p


def test_shared_modules_and_parameters_are_yielded_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert [k for k, _ in m.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    assert [k for k, _ in m.named_modules()] == ["", "0", "1"]
    # state_dict keeps every path, as PyTorch does (weight tying round-trips)
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(m.named_children()) == [("0", lin), ("1", m[1])]


def test_get_submodule_parameter_buffer():
    m = CNN()
    assert m.get_submodule("bn1") is m.bn1
    assert m.get_submodule("") is m
    assert m.get_parameter("fc.bias") is m.fc.bias
    assert m.get_buffer("bn1.running_mean") is m.bn1.running_mean
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("nope")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        m.get_parameter("bn1.running_mean")


def test_train_eval_requires_grad_apply_zero_grad():
    m = Mixed()
    assert m.training and all(c.training for c in m.modules())
    assert m.eval() is m and not any(c.training for c in m.modules())
    m.train()
    assert all(c.training for c in m.modules())
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Mixed" and seen[0] == "Embedding"  # children first
    lin = nn.Linear(3, 2)
    lin(ag.randn(4, 3)).sum().backward()
    g = lin.weight.grad
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is g and not g.numpy().any()
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_to_dtype_casts_floats_in_place_and_keeps_identity():
    m = CNN()
    w = m.fc.weight
    m(ag.randn(2, 1, 8, 8)).sum().backward()
    assert m.double() is m
    assert m.fc.weight is w and w.dtype == ag.float64 and w.grad.dtype == ag.float64
    assert m.bn1.running_mean.dtype == ag.float64
    assert m.bn1.num_batches_tracked.dtype == ag.int64  # integer buffers are left alone
    m.to(ag.float32)
    assert w.dtype == ag.float32
    assert m.to("cpu") is m and m.cpu() is m
    m.to(ag.zeros(1, dtype=ag.float64))
    assert w.dtype == ag.float64
    m.half()
    assert w.dtype == ag.float16
    with pytest.raises(RuntimeError, match="ndgrad runs on the CPU"):
        m.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        m.to(ag.int64)


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = lin(ag.ones(3, 2))
    np.testing.assert_allclose(
        y.detach().numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1, (3, 2))
    )
    assert calls == [(3, 2)]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(
        lin(ag.ones(1, 2)).detach().numpy(),
        F.linear(ag.ones(1, 2), lin.weight, lin.bias).detach().numpy(),
    )
    assert calls == [(3, 2)]
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append("a"))
    lin.register_forward_hook(lambda m, a, o: order.append("b"), prepend=True)
    lin.register_forward_pre_hook(
        lambda m, a, kw: (a, {**kw}) if order.append("pre") is None else None, with_kwargs=True
    )
    lin(ag.ones(1, 2))
    assert order == ["pre", "b", "a"]
    with lin.register_forward_hook(lambda m, a, o: o * 0):
        assert not lin(ag.ones(1, 2)).detach().numpy().any()
    assert lin(ag.ones(1, 2)).detach().numpy().any()


def test_state_dict_shares_memory_and_keep_vars():
    lin = nn.Linear(2, 3)
    sd = lin.state_dict()
    assert type(sd["weight"]) is ag.Tensor and not sd["weight"].requires_grad
    sd["weight"].numpy()[...] = 7.0
    assert np.all(lin.weight.detach().numpy() == 7.0)
    kv = lin.state_dict(keep_vars=True)
    assert kv["weight"] is lin.weight
    assert list(lin.state_dict(prefix="enc.")) == ["enc.weight", "enc.bias"]


def test_load_state_dict_copies_in_place_and_accepts_arrays():
    a, b = _mlp(), _mlp()
    w = b[0].weight
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    assert b[0].weight is w  # identity kept (an optimizer built on b still holds it)
    np.testing.assert_array_equal(w.detach().numpy(), a[0].weight.detach().numpy())
    # a PyTorch checkpoint converted to NumPy arrays (float64 values are cast to float32)
    arrays = {k: np.full(s, 0.5) for k, s in MLP_KEYS}
    b.load_state_dict(arrays)
    assert w.dtype == ag.float32 and np.all(w.detach().numpy() == 0.5)
    # assign=True replaces the parameters by the loaded values
    src = {k: ag.full(s, 2.0) for k, s in MLP_KEYS}
    b.load_state_dict(src, assign=True)
    assert b[0].weight is not w and isinstance(b[0].weight, nn.Parameter)
    assert b[0].weight.requires_grad
    with pytest.raises(TypeError, match="dict-like"):
        b.load_state_dict([1, 2])


def test_load_state_dict_error_message_lists_every_problem_in_pytorchs_format():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.out = nn.Linear(4, 1)

    m = Net()
    sd = m.state_dict()
    del sd["fc.weight"]
    sd["fc.bias"] = ag.zeros(3)
    sd["head.weight"] = ag.zeros(1)
    sd["out.scale"] = ag.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    assert str(e.value) == (
        "Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "fc.weight". \n'
        '\tUnexpected key(s) in state_dict: "head.weight", "out.scale". \n'
        "\tsize mismatch for fc.bias: copying a param with shape (3,) from checkpoint, the shape "
        "in current model is (4,)."
    )
    # non-strict: keys reported, shape mismatches still raise
    with pytest.raises(RuntimeError, match="size mismatch for fc.bias"):
        m.load_state_dict(sd, strict=False)
    sd["fc.bias"] = ag.zeros(4)
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc.weight"]
    assert res.unexpected_keys == ["head.weight", "out.scale"]
    assert np.all(m.fc.bias.detach().numpy() == 0)


def test_state_dict_round_trip_through_save_load_with_buffers(tmp_path):
    ag.manual_seed(3)
    a = CNN()
    a(ag.randn(4, 1, 8, 8))  # updates running statistics
    path = tmp_path / "cnn.ckpt"
    ag.save(a.state_dict(), path)
    b = CNN()
    b.load_state_dict(ag.load(path))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    a.eval()
    b.eval()
    x = ag.randn(2, 1, 8, 8)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_deepcopy_gives_an_independent_model():
    m = Mixed()
    m2 = copy.deepcopy(m)
    assert list(m2.state_dict()) == list(m.state_dict())
    assert m2.blocks[0][0].weight is not m.blocks[0][0].weight
    m2.blocks[0][0].weight.detach().numpy()[...] = 0
    assert m.blocks[0][0].weight.detach().numpy().any()
    assert isinstance(m2.scales[0], nn.Parameter)


def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert s[0] is a and s[-1] is c and len(s) == 3 and list(s) == [a, b, c]
    sl = s[1:]
    assert isinstance(sl, nn.Sequential) and list(sl._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]  # noqa: B018
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is b
    s.insert(0, a)
    assert list(s) == [a, b, c]
    s[1] = nn.Tanh()
    assert isinstance(s[1], nn.Tanh)
    s.extend([nn.Sigmoid()])
    assert len(s) == 4 and isinstance(s.pop(3), nn.Sigmoid) and len(s) == 3
    t = s + nn.Sequential(nn.ReLU())
    assert len(t) == 4
    named = nn.Sequential(OrderedDict([("fc1", nn.Linear(2, 3)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc1.weight", "fc1.bias"]
    assert named[0] is named.fc1
    x = ag.randn(5, 2)
    np.testing.assert_allclose(named(x).detach().numpy(), ag.tanh(named.fc1(x)).detach().numpy())


def test_module_list_dict_and_parameter_containers():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml += [nn.Tanh()]
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "ReLU", "Tanh"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(nn.ReLU())

    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Linear(1, 1)
    assert isinstance(md.pop("b"), nn.ReLU) and list(md) == ["a", "c"]

    pl = nn.ParameterList([ag.zeros(2)])  # plain tensors become Parameters
    pl.append(nn.Parameter(ag.ones(3)))
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    assert len(list(nn.Module.parameters(pl))) == 2

    pd = nn.ParameterDict({"b": ag.zeros(1), "a": ag.zeros(2)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is sorted, as in PyTorch
    pd["c"] = ag.ones(1)
    assert isinstance(pd["c"], nn.Parameter) and "c" in pd and len(pd) == 3
    assert [k for k, _ in pd.named_parameters()] == ["a", "b", "c"]
    del pd["a"]
    assert list(pd) == ["b", "c"]


def test_pytorch_style_models_run_unchanged():
    class MLP(nn.Module):
        def __init__(self, d_in, d_hidden, n_classes):
            super().__init__()
            self.fc1 = nn.Linear(d_in, d_hidden)
            self.fc2 = nn.Linear(d_hidden, d_hidden)
            self.drop = nn.Dropout(0.1)
            self.out = nn.Linear(d_hidden, n_classes)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = self.drop(F.gelu(self.fc2(x)))
            return self.out(x)

    ag.manual_seed(0)
    x = ag.randn(32, 5)
    y = (x[:, 0] > 0).long()
    for model in (MLP(5, 16, 2), CNN()):
        inp = x if isinstance(model, MLP) else ag.randn(32, 1, 8, 8)
        tgt = y
        if isinstance(model, CNN):
            tgt = (inp.mean((1, 2, 3)) > 0).long()
        params = list(model.parameters())
        losses = []
        for _ in range(60):
            model.zero_grad()
            loss = F.cross_entropy(model(inp), tgt)
            loss.backward()
            with ag.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        assert losses[-1] < 0.8 * losses[0]
