"""The Optimizer base class: groups, errors, zero_grad, hooks, state_dict and resuming, and
the flat-buffer layout (NOTE [ Flat parameter buffers ] in optim/_flat.py)."""

import copy

import numpy as np
import pytest

import autograd
import optim


def leaf(*shape, dtype=autograd.float64):
    return autograd.randn(*shape, dtype=dtype, requires_grad=True)


def set_grads(params, rng, dtype=np.float64):
    for p in params:
        p.grad = autograd.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))


# -- bad input ---------------------------------------------------------------------------------


def test_errors_match_pytorch():
    p = leaf(2)
    cases = [
        (lambda: optim.SGD([p], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
        (lambda: optim.Adam([p], lr=-1.0), ValueError, "Invalid learning rate: -1.0"),
        (
            lambda: optim.Adam([p], betas=(1.0, 0.9)),
            ValueError,
            "Invalid beta parameter at index 0: 1.0",
        ),
        (
            lambda: optim.AdamW([p], betas=(0.9, -0.1)),
            ValueError,
            "Invalid beta parameter at index 1: -0.1",
        ),
        (lambda: optim.Adam([p], eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
        (lambda: optim.SGD([p], momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
        (
            lambda: optim.SGD([p], weight_decay=-1),
            ValueError,
            "Invalid weight_decay value: -1",
        ),
        (
            lambda: optim.SGD([p], lr=0.1, nesterov=True),
            ValueError,
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (lambda: optim.RMSprop([p], alpha=-0.1), ValueError, "Invalid alpha value: -0.1"),
        (lambda: optim.Adagrad([p], lr_decay=-1.0), ValueError, "Invalid lr_decay value: -1.0"),
        (lambda: optim.Adadelta([p], rho=1.5), ValueError, "Invalid rho value: 1.5"),
        (lambda: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
        (
            lambda: optim.SGD(p, lr=0.1),
            TypeError,
            "params argument given to the optimizer should be an iterable of Tensors or dicts, "
            "but got Tensor",
        ),
        (
            lambda: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
            ValueError,
            "some parameters appear in more than one parameter group",
        ),
        (lambda: optim.SGD([p * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
        (
            lambda: optim.SGD([p, np.zeros(2)], lr=0.1),
            TypeError,
            "optimizer can only optimize Tensors, but one of the params is ndarray",
        ),
        (
            lambda: optim.SGD([{"params": {p}}], lr=0.1),
            TypeError,
            "ordered collections",
        ),
        (
            lambda: optim.LBFGS([{"params": [p]}, {"params": [leaf(2)]}]),
            ValueError,
            "LBFGS doesn't support per-parameter options (parameter groups)",
        ),
        (
            lambda: optim.LBFGS([p], line_search_fn="armijo"),
            ValueError,
            "line_search_fn",
        ),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc) as info:
            fn()
        assert msg in str(info.value), (msg, str(info.value))


def test_required_option():
    class Custom(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

    with pytest.raises(ValueError, match="didn't specify a value of required optimization"):
        Custom([leaf(2)])
    opt = Custom([{"params": [leaf(2)], "lr": 0.5}])
    assert opt.param_groups[0]["lr"] == 0.5


def test_tensor_lr_must_have_one_element():
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.SGD([leaf(2)], lr=autograd.tensor([0.1, 0.2]))
    p = leaf(3)
    opt = optim.SGD([p], lr=autograd.tensor(0.5))
    p.grad = autograd.ones(3, dtype=autograd.float64)
    before = p.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), before - 0.5)


# -- groups, defaults, zero_grad -------------------------------------------------------------


def test_param_groups_and_defaults():
    a, b, c = leaf(2), leaf(3), leaf(1)
    opt = optim.Adam([{"params": [a, b]}, {"params": c, "lr": 0.5, "betas": (0.5, 0.6)}], lr=0.01)
    g0, g1 = opt.param_groups
    assert g0["params"] == [a, b] and g1["params"] == [c]
    assert g0["lr"] == 0.01 and g1["lr"] == 0.5
    assert g0["betas"] == (0.9, 0.999) and g1["betas"] == (0.5, 0.6)
    assert opt.defaults["lr"] == 0.01 and opt.defaults["eps"] == 1e-8
    for key in ("foreach", "fused", "capturable", "differentiable", "maximize", "amsgrad"):
        assert key in g0
    d = leaf(2)
    opt.add_param_group({"params": [d], "lr": 1.0})
    assert opt.param_groups[2]["lr"] == 1.0 and opt.param_groups[2]["eps"] == 1e-8
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert "Parameter Group 1" in repr(opt) and "lr: 0.5" in repr(opt)


def test_defaults_match_pytorch():
    p = leaf(2)
    assert optim.SGD([p]).defaults["lr"] == 1e-3
    assert optim.Adam([p]).defaults["betas"] == (0.9, 0.999)
    assert optim.AdamW([p]).defaults["weight_decay"] == 1e-2
    assert optim.AdamW([p]).defaults["decoupled_weight_decay"] is True
    assert optim.RMSprop([p]).defaults["lr"] == 1e-2
    assert optim.RMSprop([p]).defaults["alpha"] == 0.99
    assert optim.Adagrad([p]).defaults["eps"] == 1e-10
    assert optim.Adadelta([p]).defaults["lr"] == 1.0
    assert optim.Adadelta([p]).defaults["eps"] == 1e-6
    lb = optim.LBFGS([p])
    assert lb.defaults["max_eval"] == 25 and lb.defaults["history_size"] == 100


def test_named_parameters():
    a, b = leaf(2), leaf(3)
    opt = optim.SGD([("w", a), ("b", b)], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [leaf(2)]})


def test_zero_grad():
    a, b = leaf(2), leaf(3)
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = autograd.ones(2, dtype=autograd.float64)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    a.grad = autograd.ones(2, dtype=autograd.float64)
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and np.all(g.numpy() == 0) and b.grad is None
    # accumulation into the zeroed gradient by backward
    (a * 3.0).sum().backward()
    assert a.grad is g
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])


def test_step_is_outside_the_graph_and_bumps_versions():
    p = leaf(3)
    opt = optim.Adam([p], lr=0.1)
    y = (p * p).sum()
    y.backward(retain_graph=True)
    opt.step()
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_closure_runs_with_grad_enabled_and_loss_is_returned():
    p = leaf(3)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        assert autograd.is_grad_enabled()
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with autograd.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, autograd.Tensor)
    assert opt.step() is None


def test_step_hooks():
    p = leaf(2)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = autograd.ones(2, dtype=autograd.float64)
    opt.step()
    assert calls == ["pre", "post"]
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]
    # hooks of one instance don't fire for another
    other = optim.SGD([leaf(2)], lr=0.1)
    other.step()
    assert calls == ["pre", "post", "post"]


def test_state_dict_hooks():
    p = leaf(2)
    opt = optim.SGD([p], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append("load-pre"))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("load-post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1 and seen == ["pre"]
    opt.load_state_dict(sd)
    assert seen == ["pre", "load-pre", "load-post"]


# -- state_dict -----------------------------------------------------------------------------


def test_state_dict_layout():
    a, b, c = leaf(2), leaf(3), leaf(1)
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.01)
    rng = np.random.default_rng(0)
    set_grads([a, c], rng)  # b gets no gradient: no state for it
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 2]
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][1]["params"] == [2]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert sd["state"][0]["step"] == 1.0
    assert sd["state"][0]["exp_avg"] is opt.state[a]["exp_avg"]  # live, as in PyTorch


def test_load_state_dict_errors():
    opt = optim.SGD([leaf(2), leaf(3)], lr=0.1)
    other = optim.SGD([{"params": [leaf(2)]}, {"params": [leaf(3)]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    small = optim.SGD([leaf(2)], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(small.state_dict())


def test_load_state_dict_takes_group_options_and_copies_state():
    a = leaf(3)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = autograd.ones(3, dtype=autograd.float64)
    opt.step()
    sd = opt.state_dict()
    b = leaf(3)
    opt2 = optim.SGD([b], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["momentum"] == 0.9
    assert opt2.param_groups[0]["params"][0] is b
    buf = opt2.state[b]["momentum_buffer"]
    np.testing.assert_array_equal(buf.numpy(), np.ones(3))
    assert buf is not opt.state[a]["momentum_buffer"]
    buf.numpy()[:] = 7
    assert np.all(opt.state[a]["momentum_buffer"].numpy() == 1)


def test_load_state_dict_casts_to_parameter_dtype_and_accepts_tensor_step():
    a = leaf(2, dtype=autograd.float32)
    opt = optim.Adam([a], lr=0.1)
    sd = {
        "state": {
            0: {
                "step": autograd.tensor(3.0, dtype=autograd.float64),
                "exp_avg": autograd.tensor(np.array([0.1, 0.2])),
                "exp_avg_sq": autograd.tensor(np.array([0.01, 0.02])),
            }
        },
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    opt.load_state_dict(sd)
    st = opt.state[a]
    # the step keeps its dtype (float64 here), the other state takes the parameter's
    assert isinstance(st["step"], autograd.Tensor) and st["step"].dtype == autograd.float64
    assert st["step"].item() == 3.0
    assert st["exp_avg"].dtype == autograd.float32
    a.grad = autograd.ones(2)
    opt.step()
    assert opt.state[a]["step"].item() == 4.0 and opt.state[a]["step"].dtype == autograd.float64


OPTIMIZERS = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adadelta, dict(lr=1.0)),
]


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    w_true = rng.standard_normal((4, 3))
    x = rng.standard_normal((16, 3))
    y = x @ w_true.T
    return autograd.tensor(x), autograd.tensor(y)


def _train(opt, params, data, steps):
    x, y = data
    w, b = params
    for _ in range(steps):
        opt.zero_grad()
        loss = (((x @ w.T + b) - y) ** 2).mean()
        loss.backward()
        opt.step()


def _fresh_params():
    gen = autograd.Generator().manual_seed(7)
    w = autograd.randn(4, 3, dtype=autograd.float64, generator=gen).requires_grad_()
    b = autograd.zeros(4, dtype=autograd.float64, requires_grad=True)
    return [w, b]


@pytest.mark.parametrize("cls,kw", OPTIMIZERS, ids=[c[0].__name__ for c in OPTIMIZERS])
def test_resume_from_file_continues_exactly(cls, kw, tmp_path):
    """Save mid-training with autograd.save, load into new objects, continue: bit for bit the
    uninterrupted run."""
    data = _problem()
    ref = _fresh_params()
    opt_ref = cls(ref, **kw)
    _train(opt_ref, ref, data, 12)

    params = _fresh_params()
    opt = cls(params, **kw)
    _train(opt, params, data, 5)
    path = tmp_path / "ckpt.safetensors"
    autograd.save({"params": [p.detach() for p in params], "optim": opt.state_dict()}, path)

    ck = autograd.load(path)
    params2 = [t.clone().requires_grad_() for t in ck["params"]]
    opt2 = cls(params2, **kw)
    opt2.load_state_dict(ck["optim"])
    _train(opt2, params2, data, 7)
    for p, q in zip(ref, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    sd_ref, sd2 = opt_ref.state_dict(), opt2.state_dict()
    for i in sd_ref["state"]:
        for k, v in sd_ref["state"][i].items():
            w = sd2["state"][i][k]
            if isinstance(v, autograd.Tensor):
                np.testing.assert_array_equal(v.numpy(), w.numpy())
            else:
                assert v == w


def test_resume_lbfgs_from_file(tmp_path):
    data = _problem(1)
    x, y = data

    def make(params):
        opt = optim.LBFGS(params, history_size=4, max_iter=3, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = (((x @ params[0].T + params[1]) - y) ** 2).mean()
            loss.backward()
            return loss

        return opt, closure

    ref = _fresh_params()
    opt_ref, c_ref = make(ref)
    for _ in range(4):
        opt_ref.step(c_ref)
    params = _fresh_params()
    opt, c = make(params)
    for _ in range(2):
        opt.step(c)
    path = tmp_path / "lbfgs.safetensors"
    autograd.save({"params": [p.detach() for p in params], "optim": opt.state_dict()}, path)
    ck = autograd.load(path)
    params2 = [t.clone().requires_grad_() for t in ck["params"]]
    opt2, c2 = make(params2)
    opt2.load_state_dict(ck["optim"])
    for _ in range(2):
        opt2.step(c2)
    for p, q in zip(ref, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_deepcopy_gives_an_independent_optimizer():
    params = _fresh_params()
    opt = optim.Adam(params, lr=0.1)
    _train(opt, params, _problem(), 2)
    clone = copy.deepcopy(opt)
    assert clone.param_groups[0]["params"][0] is not params[0]
    st = clone.state[clone.param_groups[0]["params"][0]]
    np.testing.assert_array_equal(st["exp_avg"].numpy(), opt.state[params[0]]["exp_avg"].numpy())


# -- the flat layout -------------------------------------------------------------------------


def test_parameters_become_views_of_one_buffer():
    params = [leaf(3, 2), leaf(2), leaf(4)]
    opt = optim.Adam(params, lr=0.1)
    set_grads(params, np.random.default_rng(0))
    opt.step()
    base = params[0]._data.base
    assert base is not None
    for p in params:
        assert p._data.base is base and p.is_contiguous()
        assert opt.state[p]["exp_avg"]._data.base is opt.state[params[0]]["exp_avg"]._data.base


def _adam_run(params, steps, seed, **kw):
    opt = optim.Adam(params, lr=0.1, amsgrad=True, **kw)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        set_grads(params, rng)
        opt.step()
    return opt


def test_flat_and_per_parameter_paths_agree_bitwise():
    rng = np.random.default_rng(3)
    init = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    flat = [autograd.tensor(a.copy(), requires_grad=True) for a in init]
    # a Fortran-ordered parameter can't join a flat buffer: the group runs per parameter
    fort = autograd.tensor(np.asfortranarray(init[0]), requires_grad=True)
    loose = [fort, autograd.tensor(init[1].copy(), requires_grad=True)]
    o1 = _adam_run(flat, 4, 0)
    o2 = _adam_run(loose, 4, 0)
    assert not loose[0].is_contiguous()  # left alone
    for p, q in zip(flat, loose):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            np.testing.assert_array_equal(o1.state[p][k].numpy(), o2.state[q][k].numpy())


def test_mixed_dtypes_in_a_group():
    a = leaf(3, dtype=autograd.float32)
    b = leaf(2, dtype=autograd.float64)
    opt = _adam_run([a, b], 3, 1)
    assert a.dtype == autograd.float32 and b.dtype == autograd.float64
    assert opt.state[a]["exp_avg"].dtype == autograd.float32


def test_reassigning_data_mid_run_is_picked_up():
    """``p.data = ...`` (or a module's ``to()``) replaces the array the layout made: the next
    step lays the group out again from the new values."""
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    a = [autograd.tensor(v.copy(), requires_grad=True) for v in init]
    b = [autograd.tensor(v.copy(), requires_grad=True) for v in init]
    oa = optim.SGD(a, lr=0.1, momentum=0.9)
    ob = optim.SGD(b, lr=0.1, momentum=0.9)
    grads = [[rng.standard_normal(3), rng.standard_normal((2, 2))] for _ in range(4)]
    for k, gs in enumerate(grads):
        if k == 2:
            new = autograd.tensor(np.full(3, 5.0))
            a[0].data = new
            b[0].data = autograd.tensor(np.full(3, 5.0))
        for p, q, g in zip(a, b, gs):
            p.grad = autograd.tensor(g.copy())
            q.grad = autograd.tensor(g.copy())
        oa.step()
        # reference: the same update by hand on b
        with autograd.no_grad():
            for q in b:
                st = ob.state[q]
                g = q.grad.numpy()
                st["buf"] = g.copy() if "buf" not in st else 0.9 * st["buf"] + g
                q.data = autograd.tensor(q.data.numpy() - 0.1 * st["buf"])
    assert np.all(a[0].detach().numpy() != 5.0)  # the new values were updated
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12)


def test_state_changed_by_the_user_is_used():
    p = leaf(4)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = autograd.ones(4, dtype=autograd.float64)
    opt.step()
    opt.state[p]["momentum_buffer"].zero_()  # in place
    before = p.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), before - 0.1 * 1.0)
    opt.state[p]["momentum_buffer"] = autograd.full((4,), 10.0, dtype=autograd.float64)
    before = p.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), before - 0.1 * (9.0 + 1.0))


def test_groups_added_later_and_lr_changes():
    a, b = leaf(3), leaf(2)
    opt = optim.SGD([a], lr=0.1)
    a.grad = autograd.ones(3, dtype=autograd.float64)
    opt.step()
    opt.add_param_group({"params": [b], "lr": 1.0})
    b.grad = autograd.ones(2, dtype=autograd.float64)
    a0, b0 = a.detach().numpy().copy(), b.detach().numpy().copy()
    opt.param_groups[0]["lr"] = 0.01
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), a0 - 0.01)
    np.testing.assert_allclose(b.detach().numpy(), b0 - 1.0)


def test_adagrad_state_is_made_up_front():
    a = leaf(3)
    opt = optim.Adagrad([a], initial_accumulator_value=0.25)
    step = opt.state[a]["step"]
    assert isinstance(step, autograd.Tensor) and step.shape == () and step.item() == 0.0
    assert step.dtype == autograd.float32
    np.testing.assert_array_equal(opt.state[a]["sum"].numpy(), np.full(3, 0.25))


def test_gradient_of_the_wrong_shape_is_a_clear_error():
    for params in ([leaf(3)], [leaf(3), leaf(2, dtype=autograd.float32)]):  # flat / per-param
        opt = optim.Adam(params)
        for p in params:
            p.grad = autograd.zeros(4, dtype=p.dtype)
        with pytest.raises(RuntimeError, match=r"gradient has shape \(4,\) but the parameter"):
            opt.step()


# -- the base-class hook (NOTE [ Writing an elementwise optimizer ] in optim/optimizer.py) ------


def _adamax_update(param, grad, bufs, scratch, *, step, lr, beta1, beta2, eps):
    exp_avg, exp_inf = bufs
    tmp = scratch[0]
    exp_avg *= beta1
    np.multiply(grad, 1 - beta1, out=tmp)
    exp_avg += tmp
    exp_inf *= beta2
    np.abs(grad, out=tmp)
    tmp += eps
    np.maximum(exp_inf, tmp, out=exp_inf)
    np.divide(exp_avg, exp_inf, out=tmp)
    tmp *= -lr / (1 - beta1**step)
    param += tmp


class _Adamax(optim.Optimizer):
    """An optimizer written as the base class's docstring says: hyper-parameters, state names
    and one update function, nothing else."""

    _update = staticmethod(_adamax_update)
    _hyper_names = ("lr", "beta1", "beta2", "eps")
    _state_names = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps})


def _adamax_reference(init, grads, lr=2e-3, b1=0.9, b2=0.999, eps=1e-8):
    x, m, u = init.copy(), np.zeros_like(init), np.zeros_like(init)
    for t, g in enumerate(grads, 1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        x = x - lr / (1 - b1**t) * (m / u)
    return x, m, u


@pytest.mark.parametrize("flat", [True, False])
def test_a_new_optimizer_is_hyper_parameters_state_names_and_an_update(flat, tmp_path):
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(5)]
    arr = init.copy() if flat else np.asfortranarray(init)  # Fortran order: per-parameter path
    p = autograd.tensor(arr, requires_grad=True)
    opt = _Adamax([p])
    hook_calls = []
    opt.register_step_post_hook(lambda *a: hook_calls.append(1))
    for g in grads[:3]:
        p.grad = autograd.tensor(g)
        opt.step()
    # resume through a file, then finish the run
    autograd.save(opt.state_dict(), tmp_path / "opt.ndg")
    opt2 = _Adamax([p])
    opt2.load_state_dict(autograd.load(tmp_path / "opt.ndg"))
    for g in grads[3:]:
        p.grad = autograd.tensor(g)
        opt2.step()
    x, m, u = _adamax_reference(init, grads)
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-13, atol=0)
    np.testing.assert_allclose(opt2.state[p]["exp_avg"].numpy(), m, rtol=1e-13, atol=0)
    np.testing.assert_allclose(opt2.state[p]["exp_inf"].numpy(), u, rtol=1e-13, atol=0)
    assert opt2.state[p]["step"] == 5.0
    assert len(hook_calls) == 3


def test_the_base_optimizer_has_no_step():
    with pytest.raises(NotImplementedError):
        optim.Optimizer([leaf(2)], {"lr": 1.0}).step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: optim.Adam(ps),
        lambda ps: optim.LBFGS(ps, max_iter=2),
    ],
)
def test_steps_bump_versions_through_the_tensor_method(make, monkeypatch):
    """Version counters are the Tensor's business (Tensor._bump), not the optimizer's."""
    from autograd.tensor import Tensor

    bumped = []
    real = Tensor._bump

    def spy(self):
        bumped.append(id(self))
        real(self)

    monkeypatch.setattr(Tensor, "_bump", spy)
    ps = [leaf(3), leaf(2)]
    opt = make(ps)

    def closure():
        opt.zero_grad()
        loss = sum((p * p).sum() for p in ps)
        loss.backward()
        return loss

    closure()
    v0 = [p._version for p in ps]
    bumped.clear()
    opt.step(closure)
    assert {id(p) for p in ps} <= set(bumped)
    assert all(p._version > v for p, v in zip(ps, v0))
