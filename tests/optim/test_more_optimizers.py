"""NAdam, RAdam, Adamax, Rprop and ASGD against NumPy references of PyTorch's formulas.

The references (``tests/optim/_reference.py``) follow ``torch.optim``'s single-tensor code in
its order of operations; side by side with PyTorch 2.13 from the same start and gradients they
agree to 4.4e-16 over 30 steps in float64 (PyTorch's CPU kernels fuse some multiply-adds), and
the optimizers agree with them to round-off. Gradients are set on ``p.grad`` directly, so these
tests exercise the optimizers alone.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import optim
from tests.optim._reference import adamax_ref, asgd_ref, nadam_ref, radam_ref, rprop_ref

RTOL, ATOL = 1e-13, 1e-15
STEPS = 30
SHAPES = [(3, 4), (5,), ()]


@pytest.fixture
def default_float64():
    """PyTorch keeps NAdam's and ASGD's scalar state in float64 only when the default dtype is
    float64; the float64 trajectories are compared in that setting."""
    old = autograd.get_default_dtype()
    autograd.set_default_dtype(autograd.float64)
    yield
    autograd.set_default_dtype(old)


def _problem(seed, shapes=SHAPES, steps=STEPS):
    """Initial arrays and a gradient sequence, with exact zeros (Rprop's sign 0)."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in shapes]
    grads = []
    for _ in range(steps):
        gs = [rng.standard_normal(s) for s in shapes]
        gs[0][rng.random(shapes[0]) < 0.15] = 0.0
        grads.append(gs)
    return init, grads


def run(cls, init, grads, none_mask=None, dtype=np.float64, **kw):
    ps = [autograd.tensor(np.array(a, dtype=dtype), requires_grad=True) for a in init]
    opt = cls(ps, **kw)
    traj = []
    for k, gs in enumerate(grads):
        for i, (p, g) in enumerate(zip(ps, gs)):
            skip = none_mask is not None and none_mask[k][i]
            p.grad = None if skip else autograd.tensor(np.array(g, dtype=dtype))
        opt.step()
        traj.append([p.detach().numpy().copy() for p in ps])
    return traj, opt


def reference(make, init, grads, none_mask=None, **kw):
    """The reference per parameter; a parameter without a gradient keeps its step count."""
    updates = [make(**kw) for _ in init]
    ps = [np.array(a, dtype=np.float64) for a in init]
    states = [{} for _ in init]
    steps = [0] * len(init)
    traj = []
    for k, gs in enumerate(grads):
        for i, g in enumerate(gs):
            if none_mask is not None and none_mask[k][i]:
                continue
            steps[i] += 1
            ps[i] = np.asarray(updates[i](ps[i], g, states[i], steps[i]))
        traj.append([p.copy() for p in ps])
    return traj


def assert_traj(got, want, rtol=RTOL, atol=ATOL):
    for k, (gs, ws) in enumerate(zip(got, want)):
        for i, (g, w) in enumerate(zip(gs, ws)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"step {k} param {i}")


# -- 30 steps against the reference, hyper-parameter variants ----------------------------------

VARIANTS = [
    (optim.NAdam, nadam_ref, {}),
    (
        optim.NAdam,
        nadam_ref,
        dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.1, momentum_decay=0.01),
    ),
    (
        optim.NAdam,
        nadam_ref,
        dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    ),
    (optim.NAdam, nadam_ref, dict(lr=0.05, betas=(0.3, 0.4), eps=1e-3, momentum_decay=0.0)),
    (optim.RAdam, radam_ref, {}),
    (optim.RAdam, radam_ref, dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.1)),
    (
        optim.RAdam,
        radam_ref,
        dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.1, decoupled_weight_decay=True),
    ),
    (optim.RAdam, radam_ref, dict(lr=0.05, betas=(0.2, 0.99), eps=1e-3, maximize=True)),
    (optim.Adamax, adamax_ref, {}),
    (
        optim.Adamax,
        adamax_ref,
        dict(lr=0.1, betas=(0.3, 0.5), eps=1e-3, weight_decay=0.2, maximize=True),
    ),
    (optim.Rprop, rprop_ref, {}),
    (
        optim.Rprop,
        rprop_ref,
        dict(lr=0.1, etas=(0.3, 1.7), step_sizes=(1e-3, 0.5), maximize=True),
    ),
    (optim.ASGD, asgd_ref, {}),
    (optim.ASGD, asgd_ref, dict(lr=0.1, lambd=0.05, alpha=0.6, t0=10, weight_decay=0.1)),
    (optim.ASGD, asgd_ref, dict(lr=0.05, lambd=1e-3, t0=0, maximize=True)),
]
IDS = [f"{c.__name__}-{kw}" for c, _, kw in VARIANTS]


@pytest.mark.parametrize("cls,ref,kw", VARIANTS, ids=IDS)
def test_thirty_steps_match_pytorchs_formula(cls, ref, kw, default_float64):
    init, grads = _problem(len(kw))
    got, _ = run(cls, init, grads, **kw)
    assert_traj(got, reference(ref, init, grads, **kw))


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def options(draw, cls):
    """Random hyper-parameters of ``cls``."""
    maximize = draw(st.booleans())
    if cls in (optim.NAdam, optim.RAdam, optim.Adamax):
        kw = dict(
            lr=draw(floats(1e-4, 0.5)),
            betas=(draw(floats(0.0, 0.99)), draw(floats(0.0, 0.999))),
            eps=draw(st.sampled_from([1e-8, 1e-3])),
            weight_decay=draw(st.sampled_from([0.0, 0.1]) | floats(0.0, 0.5)),
            maximize=maximize,
        )
        if cls is not optim.Adamax:
            kw["decoupled_weight_decay"] = draw(st.booleans())
        if cls is optim.NAdam:
            kw["momentum_decay"] = draw(st.sampled_from([4e-3, 0.0]) | floats(0.0, 0.1))
        return kw
    if cls is optim.Rprop:
        lo = draw(floats(0.0, 0.01))
        return dict(
            lr=draw(floats(1e-4, 0.5)),
            etas=(draw(floats(0.05, 0.95)), draw(floats(1.05, 3.0))),
            step_sizes=(lo, draw(floats(lo, 50.0))),
            maximize=maximize,
        )
    return dict(
        lr=draw(floats(1e-4, 0.5)),
        lambd=draw(st.sampled_from([1e-4, 0.0]) | floats(0.0, 0.1)),
        alpha=draw(floats(0.0, 1.0)),
        t0=draw(st.sampled_from([0.0, 3.0, 1e6])),
        weight_decay=draw(st.sampled_from([0.0, 0.1])),
        maximize=maximize,
    )


REFS = {
    optim.NAdam: nadam_ref,
    optim.RAdam: radam_ref,
    optim.Adamax: adamax_ref,
    optim.Rprop: rprop_ref,
    optim.ASGD: asgd_ref,
}
CLASSES = list(REFS)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_random_hyper_parameters_match_pytorchs_formula(cls, data, seed):
    kw = data.draw(options(cls))
    init, grads = _problem(seed, steps=8)
    old = autograd.get_default_dtype()
    autograd.set_default_dtype(autograd.float64)
    try:
        got, _ = run(cls, init, grads, **kw)
    finally:
        autograd.set_default_dtype(old)
    assert_traj(got, reference(REFS[cls], init, grads, **kw), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_none_gradients_are_skipped(cls, data, seed):
    """A parameter without a gradient keeps its state and step count; with scalar state that
    then differs between parameters, the group runs per parameter (same numbers)."""
    init, grads = _problem(seed, steps=6)
    mask = [[data.draw(st.booleans()) for _ in init] for _ in grads]
    old = autograd.get_default_dtype()
    autograd.set_default_dtype(autograd.float64)
    try:
        got, opt = run(cls, init, grads, none_mask=mask, lr=0.05)
    finally:
        autograd.set_default_dtype(old)
    assert_traj(got, reference(REFS[cls], init, grads, none_mask=mask, lr=0.05))
    touched = {i for i in range(len(init)) if any(not m[i] for m in mask)}
    assert set(opt.state_dict()["state"]) == touched
    for i, p in enumerate(opt.param_groups[0]["params"]):
        if i in touched:
            assert opt.state[p]["step"] == sum(not m[i] for m in mask)


# -- the scalar state: PyTorch's 0-d tensors of the default scalar dtype ----------------------


@pytest.mark.parametrize("cls,ref", [(optim.NAdam, nadam_ref), (optim.ASGD, asgd_ref)])
def test_scalar_state_is_float32_unless_the_default_dtype_is_float64(cls, ref):
    """With the default dtype float32 (PyTorch's default), ``mu_product`` / ``eta`` / ``mu``
    are float32 0-d tensors even for float64 parameters, and the trajectory is the one that
    rounds them to float32 -- not the one that keeps them in float64."""
    kw = dict(lr=0.05, lambd=0.01, t0=5) if cls is optim.ASGD else dict(lr=0.05)
    init, grads = _problem(7)
    assert autograd.get_default_dtype() == autograd.float32
    got, opt = run(cls, init, grads, **kw)
    assert_traj(got, reference(ref, init, grads, scalar=np.float32, **kw))
    with pytest.raises(AssertionError):
        assert_traj(got, reference(ref, init, grads, scalar=np.float64, **kw))
    for st_ in opt.state.values():
        for name in cls._scalar_names:
            assert st_[name].shape == () and st_[name].dtype == autograd.float32


def test_scalar_state_is_float64_under_a_float64_default(default_float64):
    p = autograd.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for cls in (optim.NAdam, optim.ASGD):
        opt = cls([p])
        p.grad = autograd.ones(3, dtype=autograd.float32)
        opt.step()
        for name in cls._scalar_names:
            assert opt.state[p][name].dtype == autograd.float64
        assert p.dtype == autograd.float32


STATE_KEYS = [
    (optim.NAdam, ["step", "mu_product", "exp_avg", "exp_avg_sq"]),
    (optim.RAdam, ["step", "exp_avg", "exp_avg_sq"]),
    (optim.Adamax, ["step", "exp_avg", "exp_inf"]),
    (optim.Rprop, ["step", "prev", "step_size"]),
    (optim.ASGD, ["step", "eta", "mu", "ax"]),
]


@pytest.mark.parametrize("cls,keys", STATE_KEYS, ids=[c[0].__name__ for c in STATE_KEYS])
@pytest.mark.parametrize("dtype", [autograd.float32, autograd.float64])
def test_state_layout_matches_pytorch(cls, keys, dtype):
    p = autograd.tensor(np.array([1.0, 2.0]), dtype=dtype, requires_grad=True)
    q = autograd.tensor(np.array([[3.0]]), dtype=dtype, requires_grad=True)
    opt = cls([p, q], lr=0.25)
    for _ in range(2):
        for t in (p, q):
            t.grad = autograd.ones_like(t)
        opt.step()
    sd = opt.state_dict()["state"]
    assert sorted(sd) == [0, 1]
    for i, t in enumerate((p, q)):
        assert list(sd[i]) == keys
        assert sd[i]["step"] == 2.0
        for k in keys[1:]:
            if k in cls._scalar_names:
                assert sd[i][k].shape == ()
            else:
                assert sd[i][k].shape == t.shape and sd[i][k].dtype == t.dtype
    assert p.dtype == dtype


def test_defaults_match_pytorch():
    p = autograd.zeros(2, requires_grad=True)
    common = dict(foreach=None, maximize=False, differentiable=False, capturable=False)
    expect = {
        optim.NAdam: dict(
            lr=2e-3,
            betas=(0.9, 0.999),
            eps=1e-8,
            weight_decay=0,
            momentum_decay=4e-3,
            decoupled_weight_decay=False,
            **common,
        ),
        optim.RAdam: dict(
            lr=1e-3,
            betas=(0.9, 0.999),
            eps=1e-8,
            weight_decay=0,
            decoupled_weight_decay=False,
            **common,
        ),
        optim.Adamax: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, **common),
        optim.Rprop: dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), **common),
        optim.ASGD: dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, **common),
    }
    for cls, want in expect.items():
        assert cls([p]).defaults == want, cls
        for flag in ("foreach", "capturable", "differentiable"):
            assert cls([p], **{flag: True}).param_groups[0][flag] is True


# -- properties of the algorithms ------------------------------------------------------------


def test_maximize_is_minimizing_the_negation():
    init, grads = _problem(3, steps=10)
    neg = [[-g for g in gs] for gs in grads]
    for cls, kw in [
        (optim.NAdam, dict(lr=0.1, weight_decay=0.1)),
        (optim.NAdam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
        (optim.RAdam, dict(lr=0.1, weight_decay=0.1)),
        (optim.Adamax, dict(lr=0.1, weight_decay=0.1)),
        (optim.Rprop, dict(lr=0.1)),
        (optim.ASGD, dict(lr=0.1, weight_decay=0.1, t0=2)),
    ]:
        a, _ = run(cls, init, grads, maximize=True, **kw)
        b, _ = run(cls, init, neg, **kw)
        assert_traj(a, b, rtol=0, atol=0)


def test_radam_is_sgd_with_bias_corrected_momentum_while_rho_is_small():
    """With beta2 = 0.999, rho_t <= 5 for the first steps: the update is lr * mhat_t, without
    the adaptive term; from the step where rho_t > 5 the update is rectified."""
    p = autograd.zeros(1, dtype=autograd.float64, requires_grad=True)
    opt = optim.RAdam([p], lr=0.1, betas=(0.9, 0.999))
    b2, rho_inf = 0.999, 2 / (1 - 0.999) - 1
    prev, m = 0.0, 0.0
    for t in range(1, 8):
        g = 3.0 * t
        p.grad = autograd.tensor([g], dtype=autograd.float64)
        opt.step()
        m = 0.9 * m + 0.1 * g
        step = prev - p.item()
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t <= 5:
            np.testing.assert_allclose(step, 0.1 * m / (1 - 0.9**t), rtol=1e-12)
        else:
            assert abs(step - 0.1 * m / (1 - 0.9**t)) > 1e-6
        prev = p.item()
    assert rho_t > 5  # the loop reached the rectified regime


def test_adamax_infinity_norm_is_a_decayed_maximum():
    p = autograd.zeros(2, dtype=autograd.float64, requires_grad=True)
    opt = optim.Adamax([p], betas=(0.9, 0.5), eps=0.0)
    for g in ([4.0, -1.0], [1.0, 2.0], [0.5, -0.5]):
        p.grad = autograd.tensor(g, dtype=autograd.float64)
        opt.step()
    # u = max(0.5 * max(0.5 * |g1|, |g2|), |g3|)
    np.testing.assert_array_equal(opt.state[p]["exp_inf"].numpy(), [1.0, 1.0])


def test_rprop_step_sizes_follow_the_gradient_signs():
    p = autograd.zeros(3, dtype=autograd.float64, requires_grad=True)
    opt = optim.Rprop([p], lr=0.5, etas=(0.5, 2.0), step_sizes=(0.1, 1.5))
    seq = [[1.0, 1.0, 0.0], [1.0, -1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 1.0, -3.0]]
    sizes, moves = [], []
    for g in seq:
        before = p.detach().numpy().copy()
        p.grad = autograd.tensor(g, dtype=autograd.float64)
        opt.step()
        sizes.append(opt.state[p]["step_size"].numpy().copy())
        moves.append(p.detach().numpy() - before)
    # same sign: x2 (clamped at 1.5); sign change: x0.5 (clamped at 0.1), no move, prev = 0
    np.testing.assert_array_equal(sizes[0], [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(sizes[1], [1.0, 0.25, 0.5])
    np.testing.assert_array_equal(sizes[2], [1.5, 0.25, 1.0])
    np.testing.assert_array_equal(sizes[3], [1.5, 0.5, 0.5])
    np.testing.assert_array_equal(moves[0], [-0.5, -0.5, 0.0])
    np.testing.assert_array_equal(moves[1], [-1.0, 0.0, -0.5])
    np.testing.assert_array_equal(moves[3], [-1.5, -0.5, 0.0])
    np.testing.assert_array_equal(opt.state[p]["prev"].numpy(), [2.0, 1.0, 0.0])


def test_rprop_initial_step_size_is_the_lr_at_the_first_step():
    p = autograd.zeros(2, dtype=autograd.float64, requires_grad=True)
    opt = optim.Rprop([p], lr=0.5)
    opt.param_groups[0]["lr"] = 0.125
    p.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [-0.125, -0.125])


def test_asgd_ax_is_the_mean_of_the_iterates_after_t0(default_float64):
    """``mu_t = 1 / max(1, t - t0)``: ``ax`` is the plain average of the iterates from step
    ``t0 + 2`` on (before that, the last iterate)."""
    init, grads = _problem(5, steps=12)
    t0 = 4
    traj, opt = run(optim.ASGD, init, grads, lr=0.05, lambd=0.01, t0=t0)
    for i, p in enumerate(opt.param_groups[0]["params"]):
        want = np.mean([traj[k][i] for k in range(t0 + 1, 12)], axis=0)
        np.testing.assert_allclose(opt.state[p]["ax"].numpy(), want, rtol=1e-12, atol=1e-14)
        assert float(opt.state[p]["mu"]) == 1 / (12 - t0)
        assert float(opt.state[p]["eta"]) == 0.05 / (1 + 0.01 * 0.05 * 12) ** 0.75


# -- flat and per-parameter paths, float32 -----------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_flat_and_per_parameter_paths_agree_bitwise(cls):
    rng = np.random.default_rng(3)
    init = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    flat = [autograd.tensor(a.copy(), requires_grad=True) for a in init]
    # a Fortran-ordered parameter can't join a flat buffer: the group runs per parameter
    loose = [
        autograd.tensor(np.asfortranarray(init[0]), requires_grad=True),
        autograd.tensor(init[1].copy(), requires_grad=True),
    ]
    o1, o2 = cls(flat, lr=0.05), cls(loose, lr=0.05)
    for _ in range(6):
        gs = [rng.standard_normal(a.shape) for a in init]
        for ps in (flat, loose):
            for p, g in zip(ps, gs):
                p.grad = autograd.tensor(g)
        o1.step()
        o2.step()
    assert flat[0]._data.base is not None and not loose[0].is_contiguous()
    for p, q in zip(flat, loose):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        for k, v in o1.state[p].items():
            w = o2.state[q][k]
            if isinstance(v, autograd.Tensor):
                np.testing.assert_array_equal(v.numpy(), w.numpy())
                assert v.dtype == w.dtype
            else:
                assert v == w


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_float32_parameters_stay_float32(cls):
    p = autograd.randn(3, 2, requires_grad=True)
    opt = cls([p], lr=0.1)
    for _ in range(3):
        p.grad = autograd.randn(3, 2)
        opt.step()
    assert p.dtype == autograd.float32
    for k, v in opt.state[p].items():
        if isinstance(v, autograd.Tensor):
            assert v.dtype == autograd.float32, k


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_user_changes_to_the_scalar_state_are_used(cls):
    """Assigning to ``optimizer.state[p]`` between steps is picked up (the flat layout is
    checked each step), as a per-parameter run shows."""
    init, grads = _problem(11, steps=4)
    a, oa = run(cls, init, grads[:2], lr=0.05)
    b, ob = run(cls, init, grads[:2], lr=0.05)
    for o in (oa, ob):
        p = o.param_groups[0]["params"][1]
        for name in cls._scalar_names:
            o.state[p][name] = autograd.tensor(0.5)
    ps_a, ps_b = oa.param_groups[0]["params"], ob.param_groups[0]["params"]
    ps_b[0]._data = np.asfortranarray(ps_b[0]._data)  # b runs per parameter
    for gs in grads[2:]:
        for ps in (ps_a, ps_b):
            for p, g in zip(ps, gs):
                p.grad = autograd.tensor(g)
        oa.step()
        ob.step()
    for p, q in zip(ps_a, ps_b):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


# -- save and resume -----------------------------------------------------------------------------


def _quadratic_grads(params, a, b):
    w = params[0]
    x = w.detach().numpy()
    w.grad = autograd.tensor(a @ x - b)
    params[1].grad = autograd.tensor(np.sin(params[1].detach().numpy()) + 0.1)


def _train(opt, params, steps, a, b):
    for _ in range(steps):
        _quadratic_grads(params, a, b)
        opt.step()


RESUME = [
    (optim.RAdam, dict(lr=0.05, weight_decay=0.01)),
    (optim.Adamax, dict(lr=0.05)),
    (optim.Rprop, dict(lr=0.05)),
]


def _fresh_quadratic_params():
    return [
        autograd.tensor(np.linspace(-1, 1, 4), requires_grad=True),
        autograd.tensor(np.array([[0.3, -0.2]]), requires_grad=True),
    ]


def _resume_through_file(cls, kw, tmp_path, before=5, after=7):
    """Train ``before`` steps, save parameters and optimizer with autograd.save, load them into
    new objects, train ``after`` more steps; returns the new parameters and optimizer (and the
    state dtypes right after loading)."""
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 4))
    a, b = q @ q.T / 4 + np.eye(4), rng.standard_normal(4)
    params = _fresh_quadratic_params()
    opt = cls(params, **kw)
    _train(opt, params, before, a, b)
    path = tmp_path / "ckpt.safetensors"
    autograd.save({"params": [p.detach() for p in params], "optim": opt.state_dict()}, path)
    ck = autograd.load(path)
    params2 = [t.clone().requires_grad_() for t in ck["params"]]
    opt2 = cls(params2, **kw)
    opt2.load_state_dict(ck["optim"])
    loaded = {k: v.dtype for k, v in opt2.state[params2[0]].items()}
    _train(opt2, params2, after, a, b)
    return params2, opt2, loaded


def _uninterrupted(cls, kw, steps=12):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 4))
    a, b = q @ q.T / 4 + np.eye(4), rng.standard_normal(4)
    params = _fresh_quadratic_params()
    opt = cls(params, **kw)
    _train(opt, params, steps, a, b)
    return params, opt


@pytest.mark.parametrize("cls,kw", RESUME, ids=[f"{c.__name__}-{kw}" for c, kw in RESUME])
def test_resume_from_file_continues_bit_identically(cls, kw, tmp_path):
    """Save mid-training with autograd.save, load into new objects, continue: bit for bit the
    uninterrupted run (these optimizers keep no 0-d state besides the step count)."""
    ref, opt_ref = _uninterrupted(cls, kw)
    params2, opt2, loaded = _resume_through_file(cls, kw, tmp_path)
    assert loaded["step"] == autograd.float32
    for p, q_ in zip(ref, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q_.detach().numpy())
    sd_ref, sd2 = opt_ref.state_dict(), opt2.state_dict()
    for i in sd_ref["state"]:
        for k, v in sd_ref["state"][i].items():
            w = sd2["state"][i][k]
            assert isinstance(v, autograd.Tensor) and v.dtype == w.dtype
            np.testing.assert_array_equal(v.numpy(), w.numpy())


# PyTorch 2.13's resumed runs (torch.save / torch.load between step 5 and step 6, float64
# parameters, default dtype float32), final parameters as float.hex: load_state_dict casts
# mu_product / eta / mu to the parameters' float64, so NAdam's resumed run leaves its
# uninterrupted one (by ~1e-11 here); ASGD's eta and mu are rounded through the default dtype
# (torch.as_tensor of a Python float) each step, so its run does not move.
TORCH_RESUMED = {
    (optim.NAdam, False): [
        ["-0x1.30525b7c33428p-1", "-0x1.3f045a0441a90p-7", "-0x1.2b024713b9312p-8",
         "0x1.2d757f1fc3e9fp-1"],
        ["-0x1.e2aa1e439a7a2p-5", "-0x1.8b72b8d5deb0ep-4"],
    ],
    (optim.NAdam, True): [
        ["-0x1.2eac904b069c8p-1", "-0x1.411825f937b5bp-7", "-0x1.242cd03c00d76p-8",
         "0x1.2b939c1332193p-1"],
        ["-0x1.e8522fd82e6cap-5", "-0x1.8fbdbf0e4d993p-4"],
    ],
    (optim.ASGD, False): [
        ["-0x1.4cc96b2419b76p-1", "-0x1.927cfff5bcb3dp-4", "0x1.a3c8d65d30500p-4",
         "0x1.697762c3940d6p-2"],
        ["0x1.dc1a10d0c007bp-4", "-0x1.3ad028b950294p-3"],
    ],
}  # fmt: skip
SCALAR_RESUME = [
    (optim.NAdam, dict(lr=0.05, weight_decay=0.01), False),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=True), True),
    (optim.ASGD, dict(lr=0.05, t0=3, lambd=0.01), False),
]


@pytest.mark.parametrize(
    "cls,kw,dwd", SCALAR_RESUME, ids=[f"{c.__name__}-{kw}" for c, kw, _ in SCALAR_RESUME]
)
def test_resume_casts_scalar_state_to_the_parameter_dtype_as_pytorch(cls, kw, dwd, tmp_path):
    """``load_state_dict`` casts ``mu_product`` / ``eta`` / ``mu`` to the parameter's dtype
    (PyTorch's ``_process_value_according_to_param_policy``), ``step`` keeps its dtype: the
    resumed run is PyTorch's resumed run (to float64 round-off), not the uninterrupted one."""
    params2, _, loaded = _resume_through_file(cls, kw, tmp_path)
    assert loaded["step"] == autograd.float32
    for name in cls._scalar_names:
        assert loaded[name] == autograd.float64
    want = [np.array([float.fromhex(x) for x in row]) for row in TORCH_RESUMED[(cls, dwd)]]
    got = [p.detach().numpy().ravel() for p in params2]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-16)
    if cls is optim.NAdam:  # the cast shows: the uninterrupted run is elsewhere
        ref, _ = _uninterrupted(cls, kw)
        drift = max(np.abs(p.detach().numpy().ravel() - w).max() for p, w in zip(ref, want))
        assert drift > 1e-12


def test_load_state_dict_accepts_python_numbers_for_scalar_state():
    """A state dict whose ``mu_product`` / ``eta`` are plain numbers (as an older PyTorch wrote
    them) loads, and the numbers become 0-d tensors at the next step."""
    p = autograd.tensor(np.ones(2), requires_grad=True)
    opt = optim.ASGD([p], lr=0.1)
    sd = {
        "state": {0: {"step": 3.0, "eta": 0.05, "mu": 1.0, "ax": autograd.tensor(np.ones(2))}},
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(sd)
    p.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    eta = np.float32(0.05)
    np.testing.assert_array_equal(p.detach().numpy(), (1 - 1e-4 * float(eta)) - float(eta))
    assert opt.state[p]["eta"].shape == () and opt.state[p]["step"] == 4.0


# -- convergence -------------------------------------------------------------------------------


_rng = np.random.default_rng(12345)
_Q = _rng.standard_normal((5, 5))
QUAD_A = _Q @ _Q.T / 5 + 0.5 * np.eye(5)
QUAD_B = _rng.standard_normal(5)
QUAD_X = np.linalg.solve(QUAD_A, QUAD_B)

# NAdam with a small eps keeps oscillating around the minimum on this problem (in PyTorch too:
# the arithmetic is the same); a larger eps lets its steps shrink with the gradient.
CONVERGENCE = [
    (optim.NAdam, dict(lr=0.05, eps=0.1), 800, 1e-10),
    (optim.RAdam, dict(lr=0.05), 800, 1e-8),
    (optim.Adamax, dict(lr=0.05), 800, 1e-9),
    (optim.Rprop, dict(lr=0.05, step_sizes=(1e-12, 1.0)), 200, 1e-10),
    (optim.ASGD, dict(lr=0.1, lambd=0.0, t0=200), 800, 1e-12),
]


@pytest.mark.parametrize(
    "cls,kw,steps,tol", CONVERGENCE, ids=[f"{c[0].__name__}-{c[1]}" for c in CONVERGENCE]
)
def test_reaches_minimum_of_convex_quadratic(cls, kw, steps, tol):
    x = autograd.tensor(np.zeros(5), requires_grad=True)
    opt = cls([x], **kw)
    for _ in range(steps):
        x.grad = autograd.tensor(QUAD_A @ x.detach().numpy() - QUAD_B)
        opt.step()
    assert np.abs(x.detach().numpy() - QUAD_X).max() < tol
    if cls is optim.ASGD:  # the average of the iterates after t0 (from 5e-5 away) too
        assert np.abs(opt.state[x]["ax"].numpy() - QUAD_X).max() < 1e-5


# -- bad input ---------------------------------------------------------------------------------


def test_errors_match_pytorch():
    p = autograd.zeros(2, requires_grad=True)
    cases = [
        (lambda: optim.NAdam([p], lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda: optim.NAdam([p], eps=-1.0), "Invalid epsilon value: -1.0"),
        (lambda: optim.NAdam([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (lambda: optim.NAdam([p], betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda: optim.NAdam([p], weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda: optim.NAdam([p], momentum_decay=-0.1), "Invalid momentum_decay value: -0.1"),
        (lambda: optim.RAdam([p], lr=-0.5), "Invalid learning rate: -0.5"),
        (lambda: optim.RAdam([p], betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda: optim.RAdam([p], weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
        (lambda: optim.Adamax([p], eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda: optim.Adamax([p], betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
        (lambda: optim.Rprop([p], lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda: optim.Rprop([p], etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
        (lambda: optim.Rprop([p], etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
        (lambda: optim.Rprop([p], etas=(0.0, 1.2)), "Invalid eta values: 0.0, 1.2"),
        (lambda: optim.ASGD([p], lr=-0.01), "Invalid learning rate: -0.01"),
        (lambda: optim.ASGD([p], weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
        (lambda: optim.ASGD([p], lr=autograd.ones(2)), "Tensor lr must be 1-element"),
        (lambda: optim.NAdam([p], lr=autograd.ones(2)), "Tensor lr must be 1-element"),
    ]
    for make, msg in cases:
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value) == msg
    # a 1-element tensor lr is accepted and used as its value
    p.grad = autograd.ones(2)
    opt = optim.Rprop([p], lr=autograd.tensor([0.25]))
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [-0.25, -0.25])


def test_wrong_gradient_shape_is_a_clear_error():
    """Also when the sizes agree (a transposed gradient): the flat path checks shapes."""
    p = autograd.zeros(2, 3, requires_grad=True)
    for cls in CLASSES + [optim.Adam, optim.SGD]:
        opt = cls([p])
        p.grad = autograd.zeros(3, 2)
        with pytest.raises(RuntimeError, match="gradient has shape"):
            opt.step()
