"""Where ``torch.optim`` has a behaviour a port can observe, ndgrad's optimizers have it too:
``state[p]['step']`` as a 0-d tensor, a parameter listed twice, sets of parameters, the errors
of the implementation flags (``foreach``, ``fused``, ``capturable``, ``differentiable``), and
parameters that keep their memory (arrays and tensors sharing it follow the updates). Expected
values and messages were recorded with PyTorch 2.13 (CPU); the tests never import torch.
"""

import warnings

import numpy as np
import pytest

import autograd
import nn
import optim
from optim import _flat

STEPPED = [
    (optim.Adam, {}),
    (optim.AdamW, {}),
    (optim.Adagrad, {}),
    (optim.Adadelta, {}),
    (optim.Adamax, {}),
    (optim.ASGD, {}),
    (optim.NAdam, {}),
    (optim.RAdam, {}),
    (optim.RMSprop, {}),
    (optim.Rprop, {}),
]
IDS = [c.__name__ for c, _ in STEPPED]


@pytest.fixture
def default_float64():
    old = autograd.get_default_dtype()
    autograd.set_default_dtype(autograd.float64)
    yield
    autograd.set_default_dtype(old)


def leaf(*values, dtype=autograd.float64):
    return autograd.tensor(np.array(values, dtype=dtype), requires_grad=True)


def _steps(opt, params, n, rng=None):
    rng = rng or np.random.default_rng(0)
    for _ in range(n):
        for p in params:
            p.grad = autograd.tensor(rng.standard_normal(tuple(p.shape)).astype(p.dtype))
        opt.step()


# -- state[p]['step'] -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls,kw", STEPPED, ids=IDS)
def test_step_is_a_0d_tensor_as_in_pytorch(cls, kw):
    ps = [leaf(1.0, 2.0), leaf(0.5)]
    opt = cls(ps, **kw)
    _steps(opt, ps, 3)
    sd = opt.state_dict()
    for i, p in enumerate(ps):
        step = opt.state[p]["step"]
        assert isinstance(step, autograd.Tensor)
        assert step.shape == () and step.dtype == autograd.float32 and not step.requires_grad
        assert step.item() == 3.0 and int(step) == 3 and float(step) == 3.0
        assert str(step) == "tensor(3.)" and repr(step) == "tensor(3.)"
        assert sd["state"][i]["step"] is step  # live, as in PyTorch
    assert list(opt.state[ps[0]])[0] == "step"  # created first, as PyTorch's _init_group


@pytest.mark.parametrize("cls,kw", STEPPED, ids=IDS)
def test_step_is_float64_under_a_float64_default(cls, kw, default_float64):
    p = leaf(1.0, 2.0, dtype=autograd.float32)
    opt = cls([p], **kw)
    _steps(opt, [p], 2)
    assert opt.state[p]["step"].dtype == autograd.float64
    assert opt.state[p]["step"].item() == 2.0


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.Adagrad])
def test_fused_step_is_float32_even_under_a_float64_default(cls, default_float64):
    p = leaf(1.0, 2.0)
    opt = cls([p], fused=True)
    _steps(opt, [p], 1)
    assert opt.state[p]["step"].dtype == autograd.float32


def test_one_step_array_per_group_incremented_once():
    """The flat path keeps one array of step counts per group; each parameter's step tensor
    is a 0-d view of its entry (so a step costs one ``+= 1``)."""
    ps = [leaf(1.0, 2.0), leaf(0.5), leaf(3.0, 4.0, 5.0)]
    opt = optim.Adam(ps)
    _steps(opt, ps, 2)
    arrays = [opt.state[p]["step"]._data for p in ps]
    base = arrays[0].base
    assert base is not None and base.shape == (3,)
    assert all(a.base is base for a in arrays)
    np.testing.assert_array_equal(base, [2.0, 2.0, 2.0])


def test_a_step_changed_by_hand_is_used_per_parameter():
    """Writing one parameter's step count in place makes that parameter use its own count,
    as PyTorch's per-parameter loop does; the others keep theirs."""
    init = [np.array([1.0, -2.0]), np.array([0.5])]
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal(a.shape) for a in init] for _ in range(4)]
    ps = [autograd.tensor(a.copy(), requires_grad=True) for a in init]
    opt = optim.Adam(ps, lr=0.1)
    for k, gs in enumerate(grads):
        for p, g in zip(ps, gs):
            p.grad = autograd.tensor(g)
        if k == 2:
            opt.state[ps[0]]["step"] += 10
        opt.step()
    assert opt.state[ps[0]]["step"].item() == 14.0 and opt.state[ps[1]]["step"].item() == 4.0
    # the same, one optimizer per parameter
    for i, a in enumerate(init):
        q = autograd.tensor(a.copy(), requires_grad=True)
        o = optim.Adam([q], lr=0.1)
        for k, gs in enumerate(grads):
            q.grad = autograd.tensor(gs[i])
            if k == 2 and i == 0:
                o.state[q]["step"] += 10
            o.step()
        np.testing.assert_array_equal(q.detach().numpy(), ps[i].detach().numpy())


@pytest.mark.parametrize(
    "saved,dtype",
    [
        (3.0, autograd.float32),
        (3, autograd.float32),
        (lambda: autograd.tensor(3.0, dtype=autograd.float64), autograd.float64),
        (lambda: autograd.tensor(3.0, dtype=autograd.float32), autograd.float32),
    ],
    ids=["float", "int", "tensor64", "tensor32"],
)
def test_load_state_dict_takes_a_number_or_a_tensor_step(saved, dtype):
    """A number becomes a 0-d tensor of the scalar dtype (PyTorch's ``__setstate__``); a
    tensor keeps its dtype (``_process_value_according_to_param_policy``)."""
    p = leaf(1.0, 2.0)
    opt = optim.Adam([p])
    step = saved() if callable(saved) else saved
    sd = {
        "state": {0: {"step": step, "exp_avg": autograd.zeros(2), "exp_avg_sq": autograd.zeros(2)}},
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(sd)
    got = opt.state[p]["step"]
    assert isinstance(got, autograd.Tensor) and got.dtype == dtype and got.item() == 3.0
    assert opt.state[p]["exp_avg"].dtype == autograd.float64  # cast to the parameter's dtype
    _steps(opt, [p], 1)
    assert opt.state[p]["step"].item() == 4.0 and opt.state[p]["step"].dtype == dtype


def test_load_state_dict_casts_a_fused_groups_step_to_float32():
    p = leaf(1.0, 2.0)
    opt = optim.Adam([p], fused=True)
    sd = {
        "state": {
            0: {
                "step": autograd.tensor(2.0, dtype=autograd.float64),
                "exp_avg": autograd.zeros(2),
                "exp_avg_sq": autograd.zeros(2),
            }
        },
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(sd)
    assert opt.state[p]["step"].dtype == autograd.float32


def test_step_tensors_survive_save_and_load(tmp_path):
    ps = [leaf(1.0, 2.0), leaf(0.5)]
    opt = optim.NAdam(ps)
    _steps(opt, ps, 3)
    autograd.save(opt.state_dict(), tmp_path / "opt.safetensors")
    loaded = autograd.load(tmp_path / "opt.safetensors")
    assert loaded["state"][1]["step"].item() == 3.0
    assert loaded["state"][1]["step"].dtype == autograd.float32
    opt2 = optim.NAdam(ps)
    opt2.load_state_dict(loaded)
    _steps(opt2, ps, 1)
    assert [opt2.state[p]["step"].item() for p in ps] == [4.0, 4.0]


def test_lbfgs_counters_are_ints():
    p = leaf(1.0, -2.0)
    opt = optim.LBFGS([p], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = ((p - 3) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    st = opt.state[p]
    assert type(st["func_evals"]) is int and type(st["n_iter"]) is int


# -- a parameter listed twice; sets ---------------------------------------------------------------

DUP_MESSAGE = (
    "optimizer contains a parameter group with duplicate parameters; in future, this will "
    "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information"
)

# PyTorch 2.13, foreach=False and the default (the same on the CPU), default dtype float64:
# params [p, q, p] with p = [1, -2, 0.5], q = [0.25], three steps of loss sum(p^2) + sum(q^3).
DUPLICATE_RUNS = [
    (
        optim.SGD,
        dict(lr=0.1, momentum=0.9),
        ["-0x1.68ce703afb7eap-1", "0x1.68ce703afb7eap+0", "-0x1.68ce703afb7eap-2"],
        ["0x1.415780e75e489p-3"],
        {"momentum_buffer": [2.817, -5.634, 1.4085]},
    ),
    (
        optim.Adam,
        dict(lr=0.1),
        ["0x1.a63b84d56d112p-2", "-0x1.67914ca1bc30bp+0", "-0x1.d7a1cb3f1671cp-5"],
        ["-0x1.48bf45589b288p-7"],
        {"step": 6.0, "exp_avg": [0.7247056596138296, -1.6611200752210855, 0.25856762774295594]},
    ),
    (
        optim.NAdam,
        dict(lr=0.1),
        ["0x1.1d1ca6c24c9c2p-1", "-0x1.894bdeb709163p+0", "0x1.b365802a32f60p-4"],
        ["0x1.3feaeedc2659ap-4"],
        {"step": 6.0, "mu_product": 0.008332268306426593},
    ),
    (
        optim.Adagrad,
        dict(lr=0.1),
        ["0x1.52ccbe8ca11b7p-1", "-0x1.a5eebf5ed88b5p+0", "0x1.8b3674ae64100p-3"],
        ["0x1.8a2ad2f5b494ap-4"],
        {"step": 6.0, "sum": [17.80673509946957, 82.63777909540694, 3.360205684154791]},
    ),
]


def test_a_parameter_listed_twice_warns_as_pytorch():
    p = leaf(1.0)
    with pytest.warns(UserWarning) as record:
        opt = optim.SGD([p, p], lr=0.1)
    assert [str(w.message) for w in record] == [DUP_MESSAGE]
    assert record[0].filename == __file__  # attributed to the caller
    assert opt.param_groups[0]["params"] == [p, p] or len(opt.param_groups[0]["params"]) == 2
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt.add_param_group({"params": [leaf(2.0)] * 2})
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


@pytest.mark.parametrize(
    "cls,kw,want_p,want_q,want_state", DUPLICATE_RUNS, ids=[r[0].__name__ for r in DUPLICATE_RUNS]
)
def test_a_parameter_listed_twice_is_updated_twice_as_pytorch(
    cls, kw, want_p, want_q, want_state, default_float64
):
    """PyTorch's single-tensor loop updates it twice per step (its state, shared, advancing
    twice); SGD's momentum buffer is listed before the loop, so both updates of the first step
    start one, and the second one is kept."""
    p = autograd.tensor([1.0, -2.0, 0.5], requires_grad=True)
    q = autograd.tensor([0.25], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = cls([p, q, p], **kw)
    for _ in range(3):
        opt.zero_grad()
        loss = (p**2).sum() + (q**3).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(
        p.detach().numpy(), [float.fromhex(x) for x in want_p], rtol=1e-14, atol=0
    )
    np.testing.assert_allclose(
        q.detach().numpy(), [float.fromhex(x) for x in want_q], rtol=1e-14, atol=0
    )
    for k, v in want_state.items():
        np.testing.assert_allclose(opt.state[p][k].numpy(), v, rtol=1e-14)


def test_sets_of_parameters_as_pytorch():
    """A set given as ``params`` is listed (accepted); a set as a group's ``'params'`` is a
    TypeError; a frozenset is accepted either way."""
    p = leaf(1.0, 2.0)
    for params in ({p}, frozenset([p]), [{"params": frozenset([p])}]):
        opt = optim.SGD(params, lr=0.1)
        assert opt.param_groups[0]["params"] == [p] or opt.param_groups[0]["params"][0] is p
    for make in (
        lambda: optim.SGD([{"params": {p}}], lr=0.1),
        lambda: optim.SGD([leaf(1.0)], lr=0.1).add_param_group({"params": {p}}),
    ):
        with pytest.raises(TypeError) as info:
            make()
        assert str(info.value) == (
            "optimizer parameters need to be organized in ordered collections, but the ordering "
            "of tensors in sets will change between runs. Please use a list instead."
        )


# -- foreach / fused / capturable / differentiable --------------------------------------------

DEVICES = "['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']"
DEVICES_NO_XLA = "['cuda', 'xpu', 'hpu', 'privateuseone']"
PARAMS_STEPS = "params and state_steps"
CAPTURABLE = [  # (class, subject single-tensor, devices, subject foreach, devices)
    (optim.Adam, PARAMS_STEPS, DEVICES, PARAMS_STEPS, DEVICES_NO_XLA),
    (optim.AdamW, PARAMS_STEPS, DEVICES, PARAMS_STEPS, DEVICES_NO_XLA),
    (optim.Adadelta, PARAMS_STEPS, DEVICES_NO_XLA, PARAMS_STEPS, DEVICES_NO_XLA),
    (optim.Adamax, PARAMS_STEPS, DEVICES, PARAMS_STEPS, DEVICES_NO_XLA),
    (
        optim.ASGD,
        "params, mus, etas, and state_steps",
        DEVICES,
        "params, mus, etas, and state_steps",
        DEVICES_NO_XLA,
    ),
    (
        optim.NAdam,
        "params, mu_products and state_steps",
        DEVICES,
        "params, mu_products, and state_steps",
        DEVICES_NO_XLA,
    ),
    (optim.RAdam, PARAMS_STEPS, DEVICES, PARAMS_STEPS, DEVICES_NO_XLA),
    (optim.RMSprop, PARAMS_STEPS, DEVICES, PARAMS_STEPS, DEVICES),
    (optim.Rprop, PARAMS_STEPS, DEVICES, PARAMS_STEPS, DEVICES),
]


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad])
def test_fused_errors_when_built(cls):
    p = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError) as info:
        cls([p], fused=True, foreach=True)
    assert str(info.value) == "`fused` and `foreach` cannot be `True` together."
    with pytest.raises(RuntimeError) as info:
        cls([p], fused=True, differentiable=True)
    assert str(info.value) == "`fused` does not support `differentiable`"
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        cls([p * 2], fused=True, foreach=True)  # the groups are checked first


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad])
def test_fused_and_foreach_alone_are_accepted(cls):
    init = np.array([1.0, -2.0, 0.5])
    results = []
    for flags in ({}, {"fused": True}, {"foreach": True}, {"foreach": False}):
        p = autograd.tensor(init.copy(), requires_grad=True)
        opt = cls([p], lr=0.1, **flags)
        _steps(opt, [p], 3)
        results.append(p.detach().numpy())
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


@pytest.mark.parametrize("cls,single,dev1,foreach,dev2", CAPTURABLE, ids=lambda c: str(c)[:12])
def test_capturable_on_the_cpu_fails_at_the_step(cls, single, dev1, foreach, dev2):
    """PyTorch builds the optimizer, makes the state at the first step, then asserts that
    the tensors are on a capturable device."""
    for use_foreach, subject, devices in ((None, single, dev1), (True, foreach, dev2)):
        p = leaf(1.0, 2.0)
        opt = cls([p], capturable=True, foreach=use_foreach)
        p.grad = autograd.ones(2, dtype=autograd.float64)
        with pytest.raises(AssertionError) as info:
            opt.step()
        assert str(info.value) == (
            f"If capturable=True, {subject} must be on supported devices: {devices}."
        )
        np.testing.assert_array_equal(p.detach().numpy(), [1.0, 2.0])
        assert opt.state[p]["step"].item() == 0.0


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_fused_capturable_is_accepted(cls):
    p = leaf(1.0, 2.0)
    opt = cls([p], fused=True, capturable=True)
    _steps(opt, [p], 2)
    assert opt.state[p]["step"].item() == 2.0


def test_foreach_with_differentiable_fails_at_the_step():
    for cls, _ in STEPPED:
        p = leaf(1.0, 2.0)
        x = p * 1.0  # differentiable optimizers take non-leaf tensors
        opt = cls([x], foreach=True, differentiable=True)
        x.grad = autograd.ones(2, dtype=autograd.float64)
        with pytest.raises(AssertionError) as info:
            opt.step()
        assert str(info.value) == "_foreach ops don't support autograd", cls
    # with capturable too: Adam and AdamW check capturable first, the others autograd
    for cls, want in ((optim.Adam, "If capturable"), (optim.Adadelta, "_foreach ops")):
        x = leaf(1.0) * 1.0
        opt = cls([x], foreach=True, differentiable=True, capturable=True)
        x.grad = autograd.ones(1, dtype=autograd.float64)
        with pytest.raises(AssertionError, match=want):
            opt.step()
    # SGD's foreach step supports autograd
    x = leaf(1.0, 2.0) * 1.0
    opt = optim.SGD([x], lr=0.1, foreach=True, differentiable=True)
    x.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    np.testing.assert_allclose(x.detach().numpy(), [0.9, 1.9])


@pytest.mark.parametrize("cls,kw", [(optim.SGD, dict(lr=0.1))] + STEPPED, ids=["SGD"] + IDS)
def test_differentiable_on_a_leaf_that_requires_grad_fails_at_the_step(cls, kw):
    """PyTorch's differentiable step runs with grad mode on, so its in-place update of a leaf
    that requires grad raises autograd's error."""
    p = leaf(1.0, 2.0)
    opt = cls([p], differentiable=True, **kw)
    p.grad = autograd.ones(2, dtype=autograd.float64)
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert (
        str(info.value)
        == "a leaf Variable that requires grad is being used in an in-place operation."
    )
    np.testing.assert_array_equal(p.detach().numpy(), [1.0, 2.0])
    # a leaf that doesn't require grad is updated
    w = autograd.tensor([1.0, 2.0])
    opt = cls([w], differentiable=True, **kw)
    w.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    assert not np.array_equal(w.numpy(), [1.0, 2.0])


def test_adam_tensor_lr_with_foreach_needs_capturable():
    p = leaf(1.0, 2.0)
    with pytest.raises(ValueError) as info:
        optim.Adam([p], lr=autograd.tensor(0.1), foreach=True)
    assert (
        str(info.value) == "lr as a Tensor is not supported for capturable=False and foreach=True"
    )
    optim.Adam([p], lr=autograd.tensor(0.1), foreach=True, capturable=True)
    optim.SGD([p], lr=autograd.tensor(0.1), foreach=True)  # only Adam's family checks


# -- parameters keep their memory ---------------------------------------------------------------


def _mlp():
    autograd.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))


def _train(model, opt, steps=3):
    rng = np.random.default_rng(0)
    x = autograd.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    y = autograd.tensor(rng.standard_normal((5, 2)).astype(np.float32))
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


@pytest.mark.parametrize(
    "take",
    [
        lambda p: p.detach().numpy(),
        lambda p: p.detach(),
        lambda p: p.data,
        lambda p: np.asarray(p.detach()),  # np.asarray(p) raises, as in PyTorch
        lambda p: p.detach()[0],
        lambda p: p.detach().numpy()[1:],
        lambda p: memoryview(p.detach().numpy()),
    ],
    ids=["numpy", "detach", "data", "asarray", "index", "slice", "memoryview"],
)
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_what_shares_a_parameters_memory_before_the_first_step_follows_it(take, cls):
    """As in PyTorch, where a parameter keeps its storage: the layout moves no memory that
    anything else can see (NOTE [ Laying out without moving observed memory ])."""
    model = _mlp()
    weight = model[2].weight
    held = take(weight)
    opt = cls(model.parameters(), lr=0.1)
    _train(model, opt)
    now = weight.detach().numpy()
    arr = np.asarray(held.numpy() if isinstance(held, autograd.Tensor) else held)
    assert np.shares_memory(arr, now)
    ref = _mlp()
    _train(ref, cls(ref.parameters(), lr=0.1))  # nobody holding anything: the flat path
    np.testing.assert_array_equal(now, ref[2].weight.detach().numpy())  # same numbers


def test_the_layout_is_made_once_nothing_holds_the_old_memory():
    model = _mlp()
    held = model[0].bias.detach().numpy()
    opt = optim.Adam(model.parameters())
    _train(model, opt, 2)
    assert opt._flat == {}  # per parameter while the array is held
    assert np.shares_memory(held, model[0].bias.detach().numpy())
    del held
    _train(model, opt, 1)
    (fg,) = opt._flat.values()
    assert all(np.shares_memory(p.detach().numpy(), fg.flat) for p in model.parameters())


def test_memory_taken_after_the_first_step_follows_through_relayouts():
    """A step where one parameter has no gradient lays the others out anew, and
    ``load_state_dict`` replaces the state: arrays taken from parameters (and state) stay
    shared with them."""
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=0.1)
    _train(model, opt, 1)
    ps = list(model.parameters())
    held = [p.detach().numpy() for p in ps]
    exp_avg = opt.state[ps[0]]["exp_avg"].numpy()
    # a step where the last bias gets no gradient
    opt.zero_grad()
    x = autograd.tensor(np.ones((2, 3), dtype=np.float32))
    loss = model(x).sum()
    loss.backward()
    ps[-1].grad = None
    opt.step()
    _train(model, opt, 1)
    assert np.shares_memory(exp_avg, opt.state[ps[0]]["exp_avg"].numpy())
    opt.load_state_dict(opt.state_dict())  # (copies the state: take it anew)
    exp_avg = opt.state[ps[0]]["exp_avg"].numpy()
    _train(model, opt, 1)
    for h, p in zip(held, ps):
        assert np.shares_memory(h, p.detach().numpy())
    assert np.shares_memory(exp_avg, opt.state[ps[0]]["exp_avg"].numpy())


def test_parameters_sharing_one_buffer_are_updated_in_it():
    """Parameters made from views of one array (``from_numpy``) lie back to back: the layout
    adopts that memory, so the array sees every update."""
    buf = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    p = autograd.from_numpy(buf[:2]).requires_grad_()
    q = autograd.from_numpy(buf[2:]).requires_grad_()
    opt = optim.SGD([p, q], lr=0.5)
    for _ in range(2):
        p.grad = autograd.ones(2, dtype=autograd.float64)
        q.grad = autograd.ones(3, dtype=autograd.float64)
        opt.step()
    np.testing.assert_array_equal(buf, [0.0, 1.0, 2.0, 3.0, 4.0])
    assert len(opt._flat) == 1
    # out of order, they can't be adopted, and buf is observed: per parameter
    opt = optim.SGD([q, p], lr=0.5)
    q.grad = autograd.ones(3, dtype=autograd.float64)
    p.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    np.testing.assert_array_equal(buf, [-0.5, 0.5, 1.5, 2.5, 3.5])
    assert opt._flat == {}


def test_tied_parameters_are_never_separated():
    """Two parameters sharing memory (one a view of the other's array) are updated in that
    memory, one after the other, as PyTorch does."""
    base = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    view = autograd.from_numpy(base.detach().numpy()[1:]).requires_grad_()
    opt = optim.SGD([base, view], lr=1.0)
    base.grad = autograd.ones(3, dtype=autograd.float64)
    view.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    np.testing.assert_array_equal(base.detach().numpy(), [0.0, 0.0, 1.0])
    assert np.shares_memory(base.detach().numpy(), view.detach().numpy())


def test_build_refuses_observed_memory_directly():
    """``_flat.build`` itself: a held array blocks the move, and nothing changes."""
    ps = [leaf(1.0, 2.0), leaf(3.0)]
    held = ps[1].detach().numpy()
    before = [p._data for p in ps]
    states = [{}, {}]
    assert _flat.build(ps, states, (), (), (), [p._data for p in ps]) is None
    assert all(p._data is b for p, b in zip(ps, before))
    del held, before
    fg = _flat.build(ps, states, (), (), (), [p._data for p in ps])
    assert fg is not None and all(p._data.base is fg.flat for p in ps)
