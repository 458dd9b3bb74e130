"""Schedulers against their closed forms over 50 steps, state_dict round trips, errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import optim
from optim import lr_scheduler as S

STEPS = 50


def make_opt(lrs=(0.1, 0.05), cls=optim.SGD, **kw):
    groups = [{"params": [autograd.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if cls is optim.SGD:
        kw.setdefault("momentum", 0.9)
    return cls(groups, **kw)


def trajectory(opt, sched, steps=STEPS):
    """The lrs of every group at epochs 0..steps (optimizer stepped before the scheduler)."""
    out = [list(sched.get_last_lr())]
    assert out[0] == [g["lr"] for g in opt.param_groups]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(out, dtype=float)


def closed(bases, fn, steps=STEPS):
    return np.array([[fn(b, e) for b in bases] for e in range(steps + 1)])


BASES = (0.1, 0.05)


def check(sched_fn, fn, rtol=1e-12, **opt_kw):
    opt = make_opt(**opt_kw)
    got = trajectory(opt, sched_fn(opt))
    np.testing.assert_allclose(got, closed(BASES, fn), rtol=rtol, atol=1e-15)


@given(st.floats(0.5, 0.99), st.floats(0.0, 0.1))
def test_lambda_lr(a, c):
    check(lambda o: S.LambdaLR(o, lambda e: a**e + c * e), lambda b, e: b * (a**e + c * e))


def test_lambda_lr_per_group():
    opt = make_opt()
    sched = S.LambdaLR(opt, [lambda e: 1.0 / (e + 1), lambda e: 0.5**e])
    got = trajectory(opt, sched)
    want = np.array([[0.1 / (e + 1), 0.05 * 0.5**e] for e in range(STEPS + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(make_opt(), [lambda e: 1.0])


@given(st.integers(1, 12), st.floats(0.1, 0.9))
def test_step_lr(step_size, gamma):
    check(lambda o: S.StepLR(o, step_size, gamma), lambda b, e: b * gamma ** (e // step_size))


@given(st.lists(st.integers(1, 49), min_size=1, max_size=5), st.floats(0.1, 0.9))
def test_multistep_lr(milestones, gamma):
    def fn(b, e):
        return b * gamma ** sum(m <= e for m in milestones)  # repeated milestones count twice

    check(lambda o: S.MultiStepLR(o, milestones, gamma), fn, rtol=1e-11)


@given(st.floats(0.8, 0.999))
def test_exponential_lr(gamma):
    check(lambda o: S.ExponentialLR(o, gamma), lambda b, e: b * gamma**e, rtol=1e-11)


@given(st.integers(1, 30), st.sampled_from([0.0, 0.001, 0.01]))
def test_cosine_annealing_lr(t_max, eta_min):
    def fn(b, e):
        return eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2

    check(lambda o: S.CosineAnnealingLR(o, t_max, eta_min), fn, rtol=1e-9)


@given(st.floats(0.05, 1.0), st.floats(0.0, 1.0), st.integers(1, 60))
def test_linear_lr(start, end, total):
    def fn(b, e):
        return b * (start + (end - start) * min(e, total) / total)

    check(lambda o: S.LinearLR(o, start, end, total), fn, rtol=1e-10)


def test_constant_and_polynomial_lr():
    check(lambda o: S.ConstantLR(o, 0.25, 7), lambda b, e: b * (0.25 if e < 7 else 1.0))
    check(
        lambda o: S.PolynomialLR(o, total_iters=30, power=2.0),
        lambda b, e: b * (1 - min(e, 30) / 30) ** 2,
        rtol=1e-9,
    )


def _cycle(e, total, pct, a0, a1, a2, anneal, three_phase=False):
    """PyTorch's one-cycle value at epoch ``e``: ``a0 -> a1`` until ``pct * total - 1``, then
    ``a1 -> a2`` (``three_phase``: ``a1 -> a0`` until ``2 pct total - 2``, then ``a0 -> a2``);
    cosine or linear within each phase. For the lr ``(a0, a1, a2) = (max/div, max,
    max/div/final_div)``; for the momentum (or Adam's beta1) ``(max_m, base_m, max_m)``."""
    if three_phase:
        ends = [pct * total - 1, 2 * pct * total - 2, total - 1]
        legs = [(a0, a1), (a1, a0), (a0, a2)]
    else:
        ends = [pct * total - 1, total - 1]
        legs = [(a0, a1), (a1, a2)]
    i = next(i for i, end in enumerate(ends) if e <= end or i == len(ends) - 1)
    start = ends[i - 1] if i else 0.0
    frac = (e - start) / (ends[i] - start)
    lo, hi = legs[i]
    if anneal == "cos":
        return hi + (lo - hi) * (1 + math.cos(math.pi * frac)) / 2
    return lo + (hi - lo) * frac


def _one_cycle(b_max, e, total, pct, div, final_div, anneal):
    return _cycle(e, total, pct, b_max / div, b_max, b_max / div / final_div, anneal)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_lr(anneal):
    opt = make_opt()
    sched = S.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=STEPS + 1, anneal_strategy=anneal)
    got = trajectory(opt, sched)
    want = np.array(
        [
            [_one_cycle(m, e, STEPS + 1, 0.3, 25.0, 1e4, anneal) for m in (1.0, 0.5)]
            for e in range(STEPS + 1)
        ]
    )
    np.testing.assert_allclose(got, want, rtol=1e-10)
    opt.step()
    sched.step()  # epoch total_steps itself is allowed, as in PyTorch
    with pytest.raises(ValueError, match="Tried to step 52 times"):
        sched.step()


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam], ids=["SGD-momentum", "Adam-beta1"])
def test_one_cycle_momentum_schedule(cls, anneal, three_phase):
    """The whole momentum (SGD) / beta1 (Adam) schedule, every epoch, against PyTorch's
    formula (checked against PyTorch 2.13): it moves opposite to the lr, from ``max_momentum``
    down to ``base_momentum`` at the lr's peak and back; the lr follows its own formula."""
    opt = make_opt(lrs=(0.1,), cls=cls)
    total, pct = STEPS + 1, 0.25
    sched = S.OneCycleLR(
        opt,
        max_lr=2.0,
        total_steps=total,
        pct_start=pct,
        anneal_strategy=anneal,
        three_phase=three_phase,
        base_momentum=0.8,
        max_momentum=0.9,
        div_factor=10.0,
        final_div_factor=100.0,
    )

    def momentum():
        g = opt.param_groups[0]
        return g["momentum"] if cls is optim.SGD else g["betas"][0]

    lrs, moms = [sched.get_last_lr()[0]], [momentum()]
    for _ in range(total - 1):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(momentum())
    epochs = range(total)
    np.testing.assert_allclose(
        moms,
        [_cycle(e, total, pct, 0.9, 0.8, 0.9, anneal, three_phase) for e in epochs],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        lrs,
        [_cycle(e, total, pct, 0.2, 2.0, 0.002, anneal, three_phase) for e in epochs],
        rtol=1e-12,
    )
    if cls is optim.Adam:
        assert opt.param_groups[0]["betas"][1] == 0.999


def test_sequential_lr():
    opt = make_opt()
    warm = S.LinearLR(opt, start_factor=0.1, total_iters=5)
    cos = S.CosineAnnealingLR(opt, T_max=20, eta_min=0.0)
    sched = S.SequentialLR(opt, [warm, cos], milestones=[5])

    def fn(b, e):
        if e < 5:
            return b * (0.1 + 0.9 * e / 5)
        return b * (1 + math.cos(math.pi * (e - 5) / 20)) / 2

    got = trajectory(opt, sched)
    np.testing.assert_allclose(got, closed(BASES, fn), rtol=1e-9, atol=1e-15)


def test_chained_scheduler():
    opt = make_opt()
    sched = S.ChainedScheduler([S.ExponentialLR(opt, 0.9), S.StepLR(opt, 3, 0.5)])
    got = trajectory(opt, sched)
    np.testing.assert_allclose(
        got, closed(BASES, lambda b, e: b * 0.9**e * 0.5 ** (e // 3)), rtol=1e-11
    )


def test_cosine_warm_restarts_and_cyclic():
    def sgdr(b, e):
        t_i, t_cur = 5, e
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= 2
        return 0.01 + (b - 0.01) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

    check(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01), sgdr)

    opt = make_opt()
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)
    got = trajectory(opt, sched)
    tri = [0.01 + 0.09 * (1 - abs((e % 8) - 4) / 4) for e in range(STEPS + 1)]
    np.testing.assert_allclose(got[:, 0], tri, rtol=1e-10)


def test_reduce_lr_on_plateau_min():
    opt = make_opt(lrs=(1.0,))
    sched = S.ReduceLROnPlateau(
        opt, factor=0.5, patience=2, threshold=0.0, threshold_mode="abs", cooldown=1, min_lr=0.1
    )
    metrics = [1.0] * 8 + [0.5] * 12
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(sched.get_last_lr()[0])
    want = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125]
    want += [0.125, 0.125, 0.125, 0.1, 0.1, 0.1, 0.1, 0.1]
    assert lrs == pytest.approx(want)
    assert opt.param_groups[0]["lr"] == 0.1


def test_reduce_lr_on_plateau_max_rel():
    opt = make_opt(lrs=(1.0, 2.0))
    sched = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.1)
    sched.step(1.0)  # improves on -inf
    sched.step(1.05)  # not 10% better: reduce (patience 0)
    assert sched.get_last_lr() == pytest.approx([0.1, 0.2])
    sched.step(1.2)  # 20% better than 1.0
    assert sched.get_last_lr() == pytest.approx([0.1, 0.2])
    sched.step(autograd.tensor(0.5))  # a 1-element tensor is a metric too
    assert sched.get_last_lr() == pytest.approx([0.01, 0.02])


ROUND_TRIP = [
    ("LambdaLR", lambda o: S.LambdaLR(o, lambda e: 0.95**e)),
    ("StepLR", lambda o: S.StepLR(o, 7, 0.5)),
    ("MultiStepLR", lambda o: S.MultiStepLR(o, [10, 25, 25, 40], 0.3)),
    ("ExponentialLR", lambda o: S.ExponentialLR(o, 0.95)),
    ("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, 15, 0.001)),
    ("LinearLR", lambda o: S.LinearLR(o, 0.2, 1.0, 30)),
    ("OneCycleLR", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=STEPS + 1)),
    (
        "SequentialLR",
        lambda o: S.SequentialLR(
            o, [S.LinearLR(o, 0.1, total_iters=10), S.ExponentialLR(o, 0.9)], [10]
        ),
    ),
]


@pytest.mark.parametrize("name,make", ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_state_dict_round_trip_mid_run(name, make, tmp_path):
    opt = make_opt()
    sched = make(opt)
    want = trajectory(opt, sched)

    opt = make_opt()
    sched = make(opt)
    first = trajectory(opt, sched, steps=20)
    path = tmp_path / "sched.safetensors"
    autograd.save({"optim": opt.state_dict(), "sched": sched.state_dict()}, path)
    ck = autograd.load(path)
    opt2 = make_opt()
    sched2 = make(opt2)
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    assert sched2.last_epoch == 20 and sched2.get_last_lr() == list(first[-1])
    rest = trajectory(opt2, sched2, steps=STEPS - 20)
    np.testing.assert_array_equal(np.concatenate([first, rest[1:]]), want)


def test_reduce_lr_on_plateau_round_trip(tmp_path):
    metrics = [1.0, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.91, 0.92, 0.9, 0.9, 0.9, 0.9]

    def run(sched, ms):
        out = []
        for m in ms:
            sched.step(m)
            out.append(sched.get_last_lr()[0])
        return out

    opt = make_opt(lrs=(1.0,))
    want = run(S.ReduceLROnPlateau(opt, patience=1, cooldown=1), metrics)
    opt = make_opt(lrs=(1.0,))
    sched = S.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    first = run(sched, metrics[:5])
    sd = sched.state_dict()
    assert sd["mode_worse"] == math.inf and "optimizer" not in sd
    path = tmp_path / "plateau.safetensors"
    autograd.save({"optim": opt.state_dict(), "sched": sd}, path)
    ck = autograd.load(path)
    opt2 = make_opt(lrs=(1.0,))
    sched2 = S.ReduceLROnPlateau(opt2, patience=1, cooldown=1)
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    assert first + run(sched2, metrics[5:]) == want


def test_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], 3)
    opt = make_opt()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, 3, last_epoch=4)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        S.ReduceLROnPlateau(opt, mode="foo")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="Expected positive integer total_steps"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match="You must define either total_steps"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.OneCycleLR(opt, max_lr=[1.0], total_steps=10)
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(make_opt(cls=optim.Adagrad), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="number of milestone points"):
        S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.SequentialLR(opt, [S.ReduceLROnPlateau(opt), S.StepLR(opt, 2)], milestones=[3])


def test_warnings():
    opt = make_opt()
    sched = S.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    opt = make_opt()
    sched = S.StepLR(opt, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_initial_lr_and_base_lrs():
    opt = make_opt()
    sched = S.ExponentialLR(opt, 0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASES)
    assert sched.base_lrs == list(BASES) and sched.last_epoch == 0
    # a second scheduler chains on the first
    S.StepLR(opt, 1, 0.1)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.05, 0.025])
