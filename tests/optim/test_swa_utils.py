"""optim.swa_utils: AveragedModel (SWA, EMA, custom averages), update_bn and SWALR against the
formulas of ``torch.optim.swa_utils`` (checked side by side with PyTorch 2.13 outside the
suite: equal to 0 for the default average, ``avg_fn``'s and ``update_bn``, to 1.8e-15 for the
``lerp``-based multi-tensor averages, and equal learning rates for SWALR)."""

import math
import warnings

import numpy as np
import pytest

import autograd
import nn
import optim
from optim.swa_utils import (
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    update_bn,
)
from tests.optim._reference import lerp


def _model(dtype=autograd.float64):
    return nn.Sequential(
        nn.Linear(3, 4, dtype=dtype), nn.BatchNorm1d(4, dtype=dtype), nn.Linear(4, 2, dtype=dtype)
    )


def _randomize(model, rng):
    """New random values for every parameter and buffer (as training would leave them);
    returns them as a dict of arrays."""
    values = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            v = np.array(int(rng.integers(0, 100)))
        else:
            v = rng.standard_normal(tuple(t.shape))
            if name.endswith("running_var"):
                v = np.abs(v) + 0.5
        t.numpy()[...] = v
        values[name] = t.numpy().copy()
    return values


def _snapshots(averaged, model, n, seed=1):
    rng = np.random.default_rng(seed)
    snaps = []
    for _ in range(n):
        snaps.append(_randomize(model, rng))
        averaged.update_parameters(model)
    return snaps


def _state(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


PARAMS = ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]
BUFFERS = ["1.running_mean", "1.running_var", "1.num_batches_tracked"]


# -- AveragedModel ----------------------------------------------------------------------------


def test_default_is_the_equal_weight_running_average():
    model = _model()
    swa = AveragedModel(model)
    snaps = _snapshots(swa, model, 20)
    got = _state(swa.module)
    for name in PARAMS:
        want = snaps[0][name]
        for n, s in enumerate(snaps[1:], 1):
            want = want + (s[name] - want) / (n + 1)
        np.testing.assert_array_equal(got[name], want)
        np.testing.assert_allclose(got[name], np.mean([s[name] for s in snaps], axis=0), 1e-12)
    for name in BUFFERS:  # buffers are the model's latest, not averaged
        np.testing.assert_array_equal(got[name], snaps[-1][name])
    assert swa.n_averaged.item() == 20 and swa.n_averaged.dtype == autograd.int64
    assert list(swa.state_dict()) == ["n_averaged"] + [f"module.{k}" for k in PARAMS[:4]] + [
        f"module.{k}" for k in BUFFERS
    ] + [f"module.{k}" for k in PARAMS[4:]]


def test_first_update_copies_and_the_copy_is_independent():
    model = _model()
    swa = AveragedModel(model)
    assert swa.n_averaged.item() == 0
    before = _state(swa.module)
    _randomize(model, np.random.default_rng(0))
    np.testing.assert_array_equal(_state(swa.module)["0.weight"], before["0.weight"])
    swa.update_parameters(model)
    after = _state(swa.module)
    for k, v in _state(model).items():
        np.testing.assert_array_equal(after[k], v)
    x = autograd.randn(5, 3, dtype=autograd.float64)
    model.eval()
    swa.eval()
    np.testing.assert_array_equal(swa(x).detach().numpy(), model(x).detach().numpy())
    assert all(p.requires_grad for p in swa.parameters())
    assert list(swa.parameters())[0] is list(swa.module.parameters())[0]


def test_use_buffers_averages_the_buffers_too():
    model = _model()
    swa = AveragedModel(model, use_buffers=True)
    snaps = _snapshots(swa, model, 7)
    got = _state(swa.module)
    for name in PARAMS + BUFFERS:
        want = snaps[0][name]
        for n, s in enumerate(snaps[1:], 1):
            if want.dtype.kind == "i":  # computed in floating point, stored truncated
                want = np.trunc(want + (s[name] - want) / (n + 1)).astype(want.dtype)
            else:
                want = want + (s[name] - want) / (n + 1)
        np.testing.assert_array_equal(got[name], want, err_msg=name)
    assert got["1.num_batches_tracked"].dtype == np.int64


@pytest.mark.parametrize("decay", [0.9, 0.3])
@pytest.mark.parametrize("use_buffers", [False, True])
def test_ema_multi_avg_fn_is_lerp_towards_the_model(decay, use_buffers):
    """``lerp(ema, p, 1 - decay)`` with PyTorch's two-branch lerp (weight 0.1 and 0.7)."""
    model = _model()
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=use_buffers)
    snaps = _snapshots(ema, model, 12)
    got = _state(ema.module)
    for name in PARAMS + (BUFFERS if use_buffers else []):
        want = snaps[0][name]
        textbook = snaps[0][name]
        for s in snaps[1:]:
            if want.dtype.kind == "i":
                want = np.trunc(want * decay + s[name] * (1 - decay)).astype(want.dtype)
                textbook = want
            else:
                want = lerp(want, s[name], 1 - decay)
                textbook = decay * textbook + (1 - decay) * s[name]
        np.testing.assert_array_equal(got[name], want, err_msg=name)
        np.testing.assert_allclose(got[name], textbook, rtol=1e-12, atol=1e-14)


def test_ema_avg_fn_is_decay_times_ema_plus_the_rest():
    model = _model()
    ema = AveragedModel(model, avg_fn=get_ema_avg_fn(0.75))
    snaps = _snapshots(ema, model, 9)
    got = _state(ema.module)
    for name in PARAMS:
        want = snaps[0][name]
        for s in snaps[1:]:
            want = 0.75 * want + (1 - 0.75) * s[name]
        np.testing.assert_array_equal(got[name], want)


def test_swa_fns_are_the_running_mean():
    """(With the default dtype float64: see the next test for float32.)"""
    for fns in (dict(multi_avg_fn=get_swa_multi_avg_fn()), dict(avg_fn=get_swa_avg_fn())):
        model = _model()
        swa = AveragedModel(model, **fns)
        old = autograd.get_default_dtype()
        autograd.set_default_dtype(autograd.float64)
        try:
            snaps = _snapshots(swa, model, 10)
        finally:
            autograd.set_default_dtype(old)
        got = _state(swa.module)
        for name in PARAMS:
            mean = np.mean([s[name] for s in snaps], axis=0)
            np.testing.assert_allclose(got[name], mean, rtol=1e-12, atol=1e-14)


def test_swa_multi_avg_fn_weight_is_computed_in_the_default_dtype():
    """PyTorch computes ``1 / (n + 1)`` on the int64 tensor ``n``: a float32 weight unless the
    default dtype is float64 (so the average is off by ~1e-8 relative, as in PyTorch)."""
    model = _model()
    swa = AveragedModel(model, multi_avg_fn=get_swa_multi_avg_fn())
    snaps = _snapshots(swa, model, 8)
    want = snaps[0]["0.weight"]
    for n, s in enumerate(snaps[1:], 1):
        want = lerp(want, s["0.weight"], float(np.float32(1) / np.float32(n + 1)))
    np.testing.assert_array_equal(_state(swa.module)["0.weight"], want)


def test_custom_avg_fn_gets_the_count_and_its_result_is_stored():
    seen = []

    def running_max(avg, cur, n):
        seen.append((int(n.item()), n.dtype))
        return autograd.maximum(avg, cur)

    model = _model()
    swa = AveragedModel(model, avg_fn=running_max)
    snaps = _snapshots(swa, model, 4)
    assert seen[:: len(PARAMS)] == [(1, autograd.int64), (2, autograd.int64), (3, autograd.int64)]
    np.testing.assert_array_equal(
        _state(swa.module)["0.weight"], np.max([s["0.weight"] for s in snaps], axis=0)
    )


def test_multi_avg_fn_is_called_once_per_dtype_with_lists():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2, dtype=autograd.float64))
    calls = []

    def record(avgs, currents, n):
        calls.append(([a.dtype for a in avgs], len(currents), int(n.item())))

    swa = AveragedModel(model, multi_avg_fn=record)
    swa.update_parameters(model)
    assert calls == []  # the first update only copies
    swa.update_parameters(model)
    assert sorted(calls, key=str) == sorted(
        [([autograd.float32] * 2, 2, 1), ([autograd.float64] * 2, 2, 1)], key=str
    )


ADDCDIV_MESSAGE = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes."
)
BOOL_SUB_MESSAGE = (
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
    "`logical_xor()` operator instead."
)


@pytest.mark.parametrize("dtype", [autograd.int64, autograd.int32, autograd.uint8, autograd.bool])
def test_swa_multi_avg_fn_on_integer_tensors_raises_as_pytorch(dtype):
    """PyTorch's integer branch fails: ``_foreach_sub`` on bools, ``_foreach_addcdiv_`` with an
    integer count tensor, a float result for an integer tensor with a float count tensor,
    ``_foreach_add_`` with a float ``alpha`` for a Python count (messages of PyTorch 2.13)."""
    fn = get_swa_multi_avg_fn()
    torch_name = {"int64": "Long", "int32": "Int", "uint8": "Byte"}.get(np.dtype(dtype).name)
    counts = [
        (autograd.tensor(1), ADDCDIV_MESSAGE),
        (1, "For integral input tensors, argument alpha must not be a floating point number."),
        (0, "For integral input tensors, argument alpha must not be a floating point number."),
        (
            autograd.tensor(1.0),
            f"result type Float can't be cast to the desired output type {torch_name}",
        ),
    ]
    for n, message in counts:
        avg = [autograd.tensor([1, 2]).to(dtype)]
        cur = [autograd.tensor([3, 0]).to(dtype)]
        with pytest.raises(RuntimeError) as info:
            fn(avg, cur, n)
        assert str(info.value) == (BOOL_SUB_MESSAGE if dtype == autograd.bool else message)
        np.testing.assert_array_equal(avg[0].numpy(), np.array([1, 2]).astype(dtype))


def test_swa_multi_avg_fn_with_use_buffers_fails_on_num_batches_tracked():
    """With ``use_buffers=True`` the second update reaches BatchNorm's int64 counter: PyTorch
    raises there, and (its dtype groups coming in reverse order of first appearance) before
    the floating tensors are averaged; the count does not advance."""
    model = _model()
    swa = AveragedModel(model, use_buffers=True, multi_avg_fn=get_swa_multi_avg_fn())
    swa.update_parameters(model)
    before = _state(swa.module)
    _randomize(model, np.random.default_rng(3))
    with pytest.raises(RuntimeError) as info:
        swa.update_parameters(model)
    assert str(info.value) == ADDCDIV_MESSAGE
    after = _state(swa.module)
    for name in PARAMS + BUFFERS:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert swa.n_averaged.item() == 1
    # the default average (no multi_avg_fn) handles the counter
    swa = AveragedModel(model, use_buffers=True)
    swa.update_parameters(model)
    swa.update_parameters(model)


def test_update_parameters_tracks_no_gradient_history():
    model = _model()
    swa = AveragedModel(model)
    _snapshots(swa, model, 3)
    for p in swa.parameters():
        assert p.grad_fn is None and p.is_leaf and p.grad is None


def test_errors_match_pytorch():
    model = _model()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        AveragedModel(model, avg_fn=get_swa_avg_fn(), multi_avg_fn=get_swa_multi_avg_fn())
    for make in (get_ema_avg_fn, get_ema_multi_avg_fn):
        for decay in (-0.1, 1.5):
            with pytest.raises(ValueError) as info:
                make(decay)
            assert str(info.value) == (
                f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
            )


# -- update_bn ----------------------------------------------------------------------------------


def _batches(rng, n=6):
    return [rng.standard_normal((int(rng.integers(2, 9)), 3)) for _ in range(n)]


@pytest.mark.parametrize("training", [False, True])
def test_update_bn_recomputes_the_statistics_as_a_cumulative_average(training):
    """momentum=None: the running mean (variance) is the plain average over the batches of the
    batch mean (unbiased batch variance) of the BatchNorm's input."""
    model = _model()
    _randomize(model, np.random.default_rng(2))
    model.train(training)
    batches = _batches(np.random.default_rng(3))
    loader = []
    for i, b in enumerate(batches):  # a tensor, a (input, target) tuple or a list
        x = autograd.tensor(b)
        loader.append([x, autograd.zeros(1)] if i % 3 == 0 else (x,) if i % 3 == 1 else x)
    w, bias = (model[0].weight.detach().numpy(), model[0].bias.detach().numpy())
    hs = [b @ w.T + bias for b in batches]
    update_bn(loader, model)
    bn = model[1]
    np.testing.assert_allclose(
        bn.running_mean.numpy(), np.mean([h.mean(0) for h in hs], axis=0), rtol=1e-12
    )
    np.testing.assert_allclose(
        bn.running_var.numpy(), np.mean([h.var(0, ddof=1) for h in hs], axis=0), rtol=1e-12
    )
    assert bn.num_batches_tracked.item() == len(batches)
    assert bn.momentum == 0.1 and model.training is training and bn.training is training
    assert all(p.grad is None for p in model.parameters())


def test_update_bn_on_an_averaged_model_and_without_batchnorm():
    model = _model()
    swa = AveragedModel(model)
    _snapshots(swa, model, 3)
    rng = np.random.default_rng(4)
    loader = [autograd.tensor(b) for b in _batches(rng, 3)]
    update_bn(loader, swa, device="cpu")
    assert swa.module[1].num_batches_tracked.item() == 3

    class Exploding:
        def __iter__(self):
            raise AssertionError("a model without BatchNorm needs no pass over the data")

    plain = nn.Sequential(nn.Linear(3, 2))
    update_bn(Exploding(), plain)


# -- SWALR --------------------------------------------------------------------------------------


def _alpha(strategy, t):
    return (1 - math.cos(math.pi * t)) / 2 if strategy == "cos" else t


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5])
def test_swalr_anneals_to_the_swa_lr(strategy, anneal_epochs):
    """From a fresh start, step s sets ``swa_lr * a(t) + lr0 * (1 - a(t))`` with
    ``t = min(1, s / anneal_epochs)`` (immediately swa_lr when anneal_epochs is 0)."""
    p = autograd.zeros(1, requires_grad=True)
    q = autograd.zeros(1, requires_grad=True)
    opt = optim.SGD([{"params": [p], "lr": 1.0}, {"params": [q], "lr": 0.3}], lr=1.0)
    sched = SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    assert [g["swa_lr"] for g in opt.param_groups] == [0.05, 0.01]
    for s in range(12):
        if s:
            opt.step()
            sched.step()
        t = 1.0 if anneal_epochs == 0 else min(1.0, s / anneal_epochs)
        a = _alpha(strategy, t)
        for group, lr0, swa in zip(opt.param_groups, (1.0, 0.3), (0.05, 0.01)):
            np.testing.assert_allclose(group["lr"], swa * a + lr0 * (1 - a), rtol=1e-12)
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert opt.param_groups[0]["lr"] == 0.05


def test_swalr_continues_from_the_lr_another_scheduler_left():
    """The SWA switch of PyTorch's recipe: a cosine schedule, then SWALR from wherever the
    lr is; the lr ends at swa_lr and moves monotonically towards it."""
    p = autograd.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    cosine = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        cosine.step()
    start = opt.param_groups[0]["lr"]
    swa = SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear")
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(5):
        opt.step()
        swa.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs[0], start, rtol=1e-12)
    np.testing.assert_allclose(lrs[3:], 0.05, rtol=1e-12)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_swalr_state_dict_round_trip(tmp_path):
    def make():
        p = autograd.zeros(1, requires_grad=True)
        opt = optim.SGD([p], lr=0.5)
        return opt, SWALR(opt, swa_lr=0.1, anneal_epochs=6, anneal_strategy="linear")

    opt, sched = make()
    for _ in range(3):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    path = tmp_path / "sched.safetensors"
    autograd.save({"sched": state, "optim": opt.state_dict()}, path)
    ck = autograd.load(path)
    opt2, sched2 = make()
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    assert sched2.anneal_func(0.5) == 0.5  # the linear strategy came back
    for _ in range(4):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_swalr_errors_match_pytorch():
    p = autograd.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    with pytest.raises(ValueError) as info:
        SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    assert str(info.value) == "anneal_strategy must be one of 'cos' or 'linear', instead got exp"
    for bad in (-1, 2.5):
        with pytest.raises(ValueError) as info:
            SWALR(opt, swa_lr=0.1, anneal_epochs=bad)
        assert str(info.value) == f"anneal_epochs must be equal or greater than 0, got {bad}"
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        SWALR(opt, swa_lr=[0.1, 0.2])
    sched = SWALR(opt, swa_lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.get_lr()
    assert any("get_last_lr()" in str(w.message) for w in caught)


# -- the recipe ---------------------------------------------------------------------------------


def test_the_swa_recipe_runs_and_the_averaged_model_fits():
    """PyTorch's documented SWA loop on a tiny regression with BatchNorm."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = x @ rng.standard_normal((3, 1)) + 0.5
    loader = [
        (autograd.tensor(x[i : i + 16]), autograd.tensor(y[i : i + 16])) for i in range(0, 64, 16)
    ]
    model = nn.Sequential(
        nn.Linear(3, 8, dtype=autograd.float64),
        nn.BatchNorm1d(8, dtype=autograd.float64),
        nn.ReLU(),
        nn.Linear(8, 1, dtype=autograd.float64),
    )
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    swa_model = AveragedModel(model)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
    swa_scheduler = SWALR(opt, swa_lr=0.01, anneal_epochs=3)
    loss_fn = nn.MSELoss()

    def loss_of(m):
        m.eval()
        with autograd.no_grad():
            out = m(autograd.tensor(x))
        m.train()
        return float(loss_fn(out, autograd.tensor(y)).item())

    initial = loss_of(model)
    for epoch in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        if epoch > 20:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
    update_bn(loader, swa_model)
    assert swa_model.n_averaged.item() == 9
    assert loss_of(swa_model) < 0.05 * initial
