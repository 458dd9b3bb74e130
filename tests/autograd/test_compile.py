"""autograd.compile: compiled vs eager bit-identical over training steps, guards, fallbacks."""

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from autograd.compiler import CompileFallback


def _sgd(params):
    return optim.SGD(params, lr=0.05, momentum=0.9)


def _adam(params):
    return optim.Adam(params, lr=1e-2)


def _arr(t):
    return np.array(t.detach().numpy(), copy=True)


def _train_pair(make, batches, loss_of, opt_fn, steps=20, seed=0):
    """Train an eager and a compiled copy of ``make()`` seeded alike; assert bitwise equality
    of losses, gradients, parameters and buffers at every step. Returns the compiled model."""
    ag.manual_seed(seed)
    eager = make()
    ag.manual_seed(seed)
    comp_orig = make()
    comp = ag.compile(comp_orig)
    opts = (opt_fn(eager.parameters()), opt_fn(comp.parameters()))
    for step in range(steps):
        x, y = batches(step)
        state = ag.get_rng_state()
        losses = []
        for model, opt in zip((eager, comp), opts):
            ag.set_rng_state(state)
            opt.zero_grad()
            loss = loss_of(model, x, y)
            loss.backward()
            opt.step()
            losses.append(_arr(loss))
        assert np.array_equal(losses[0], losses[1]), (step, losses)
        for (n, p), q in zip(eager.named_parameters(), comp_orig.parameters()):
            assert np.array_equal(_arr(p.grad), _arr(q.grad)), (step, n)
            assert np.array_equal(_arr(p), _arr(q)), (step, n)
        for (n, b), c in zip(eager.named_buffers(), comp_orig.buffers()):
            assert np.array_equal(_arr(b), _arr(c)), (step, n)
    return comp


def _cls_batches(shape, classes, sizes=(16,), seed=0):
    rng = np.random.default_rng(seed)

    def batches(step):
        n = sizes[step % len(sizes)]
        x = ag.from_numpy(rng.standard_normal((n, *shape)).astype(np.float32))
        y = ag.from_numpy(rng.integers(0, classes, n).astype(np.int64))
        return x, y

    return batches


def _ce(model, x, y):
    return F.cross_entropy(model(x), y)


@pytest.mark.parametrize("opt_fn", [_sgd, _adam], ids=["sgd-momentum", "adam"])
def test_mlp_dropout_bit_identical(opt_fn):
    def make():
        return nn.Sequential(
            nn.Linear(20, 32),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(32, 16),
            nn.Tanh(),
            nn.Linear(16, 5),
        )

    comp = _train_pair(make, _cls_batches((20,), 5), _ce, opt_fn, steps=25)
    info = comp.cache_info()
    assert info["misses"] == 1 and info["verifications"] == 1 and info["hits"] == 23
    assert info["eager_fallback"] is None


@pytest.mark.parametrize("opt_fn", [_sgd, _adam], ids=["sgd-momentum", "adam"])
def test_cnn_batchnorm_bit_identical(opt_fn):
    def make():
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(8 * 2 * 2, 10),
        )

    comp = _train_pair(make, _cls_batches((1, 8, 8), 10, sizes=(6,)), _ce, opt_fn)
    assert comp.cache_info()["hits"] == 18
    bn = comp._orig_mod[1]
    assert int(bn.num_batches_tracked.item()) == 20  # updated at every replay


def test_lstm_bit_identical():
    rng = np.random.default_rng(1)

    def batches(step):
        x = ag.from_numpy(rng.standard_normal((6, 3, 4)).astype(np.float32))
        y = ag.from_numpy(rng.standard_normal((6, 3, 8)).astype(np.float32))
        return x, y

    def loss_of(model, x, y):
        out, _ = model(x)
        return F.mse_loss(out, y)

    comp = _train_pair(lambda: nn.LSTM(4, 8), batches, loss_of, _adam)
    assert comp.cache_info()["hits"] == 18


def test_sin_fit_function_bit_identical():
    """A compiled function (closure parameters, the loss inside) as in the sine-fit example."""
    rng = np.random.default_rng(2)
    x = ag.from_numpy(rng.uniform(-3, 3, (64, 1)))
    y = ag.sin(x)
    ag.manual_seed(0)
    m1 = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    m2 = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    m2.load_state_dict(m1.state_dict())

    @ag.compile
    def step_loss(x, y):
        return F.mse_loss(m2(x), y)

    o1, o2 = _adam(m1.parameters()), _adam(m2.parameters())
    for _ in range(20):
        for fn, opt in ((lambda: F.mse_loss(m1(x), y), o1), (lambda: step_loss(x, y), o2)):
            opt.zero_grad()
            loss = fn()
            loss.backward()
            opt.step()
        assert np.array_equal(_arr(F.mse_loss(m1(x), y)), _arr(F.mse_loss(m2(x), y)))
    assert step_loss.cache_info()["hits"] == 18


def test_chain_input_gradient_and_one_node():
    a = ag.from_numpy(np.linspace(0.5, 1.5, 16))
    b = ag.from_numpy(np.linspace(-0.5, 0.5, 16))

    def chain(x):
        y = x
        for k in range(40):
            y = (y * a, y + b, ag.tanh(y), ag.sin(y))[k % 4] if False else _chain_op(k, y, a, b)
        return y

    comp = ag.compile(chain)
    for i in range(3):
        x1 = ag.from_numpy(np.linspace(-1, 1, 16) + i).requires_grad_()
        x2 = ag.from_numpy(np.linspace(-1, 1, 16) + i).requires_grad_()
        y1, y2 = chain(x1), comp(x2)
        g = ag.ones(16)
        y1.backward(g)
        y2.backward(g)
        assert np.array_equal(_arr(y1), _arr(y2))
        assert np.array_equal(_arr(x1.grad), _arr(x2.grad))
    assert type(y2.grad_fn).__name__ == "CompiledNode"
    assert y2.grad_fn.name() == "CompiledFunctionBackward"
    assert comp.cache_info()["hits"] == 1


def _chain_op(k, y, a, b):
    r = k % 4
    if r == 0:
        return y * a
    if r == 1:
        return y + b
    if r == 2:
        return ag.tanh(y)
    return ag.sin(y)


def test_guard_misses_batch_size_and_eval():
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2))
    c = ag.compile(m)
    x8 = ag.randn(8, 3)
    c(x8)
    c(x8)
    c(ag.randn(5, 3))  # new batch size: recorded again
    info = c.cache_info()
    assert info["misses"] == 2 and info["verifications"] == 1 and info["hits"] == 0
    c.eval()
    assert not m.training and not m[2].training
    with ag.no_grad():
        out_c = c(x8)
        out_e = m(x8)
    assert np.array_equal(_arr(out_c), _arr(out_e))
    assert c.cache_info()["misses"] == 3
    c.train()
    assert m.training
    c(x8)
    assert c.cache_info()["hits"] == 1  # the first recording again


def test_parameters_read_at_call_time():
    ag.manual_seed(0)
    m = nn.Linear(3, 2)
    c = ag.compile(m)
    x = ag.randn(4, 3)
    c(x)
    m.weight.data = ag.zeros(2, 3)  # p.data = ... replaces the array
    assert np.array_equal(_arr(c(x)), _arr(m(x)))
    m.load_state_dict({"weight": ag.ones(2, 3), "bias": ag.zeros(2)})
    assert np.array_equal(_arr(c(x)), _arr(x.sum(1, keepdim=True).expand(4, 2)))
    m.weight = nn.Parameter(ag.full((2, 3), 2.0))  # a new Parameter object
    assert np.array_equal(_arr(c(x)), _arr(m(x)))
    assert set(c.state_dict()) == {"weight", "bias"}
    assert [id(p) for p in c.parameters()] == [id(p) for p in m.parameters()]


def test_guard_requires_grad_change():
    ag.manual_seed(0)
    m = nn.Linear(3, 2)
    c = ag.compile(m)
    x = ag.randn(4, 3)
    c(x).sum().backward()
    c(x).sum().backward()
    m.weight.requires_grad_(False)
    m.bias.grad = None
    c(x).sum().backward()  # the external's guard fails: recorded again
    assert c.cache_info()["misses"] == 2
    assert m.bias.grad is not None


@pytest.mark.parametrize(
    "body",
    [
        lambda x: x * 2 if x.sum().item() > 0 else x,
        lambda x: x * 2 if x.sum() > 0 else x,
        lambda x: x * len(x.tolist()),
        lambda x: x * float(x.detach().numpy().sum()),
        lambda x: ag.stack([r * 2 for r in x]),
    ],
    ids=["item", "bool", "tolist", "numpy", "iteration"],
)
def test_python_value_falls_back_with_one_warning(body):
    c = ag.compile(body)
    xs = [ag.from_numpy(np.array([1.0, 2.0])), ag.from_numpy(np.array([-3.0, 1.0]))]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        outs = [c(x) for x in xs for _ in range(2)]
    msgs = [str(m.message) for m in w if "autograd.compile" in str(m.message)]
    assert len(msgs) == 1, msgs
    assert "test_compile.py" in msgs[0]
    for x, o in zip([xs[0], xs[0], xs[1], xs[1]], outs):
        assert np.array_equal(_arr(o), _arr(body(x)))
    assert c.cache_info()["eager_fallback"] is not None


def test_input_mutation_falls_back_and_fullgraph_raises():
    def f(x):
        x.add_(1.0)
        return x * 2

    c = ag.compile(f)
    with pytest.warns(RuntimeWarning, match="mutates an input"):
        out = c(ag.ones(3))
    assert np.array_equal(_arr(out), np.full(3, 4.0))
    assert np.array_equal(_arr(c(ag.ones(3))), np.full(3, 4.0))
    with pytest.raises(CompileFallback, match="mutates an input"):
        ag.compile(f, fullgraph=True)(ag.ones(3))
    with pytest.raises(CompileFallback, match="item"):
        ag.compile(lambda x: x * x.sum().item(), fullgraph=True)(ag.ones(3))


def test_random_factory_draws_fresh_numbers():
    c = ag.compile(lambda x: x + ag.randn(3))
    x = ag.zeros(3)
    ag.manual_seed(5)
    a = [_arr(c(x)) for _ in range(3)]
    ag.manual_seed(5)
    b = [_arr(x + ag.randn(3)) for _ in range(3)]
    for u, v in zip(a, b):
        assert np.array_equal(u, v)
    assert not np.array_equal(a[1], a[2])


def test_create_graph_through_compiled_call():
    def f(x, w):
        return (ag.tanh(x * w) ** 2).sum()

    c = ag.compile(f)
    for k in range(2):
        xs = [ag.from_numpy(np.array([0.3, -0.2, 0.7]) + k).requires_grad_() for _ in range(2)]
        w = ag.from_numpy(np.array([1.5, 0.5, -1.0])).requires_grad_()
        results = []
        c(xs[1], w)
        c(xs[1], w)
        for fn, x in ((f, xs[0]), (c, xs[1])):
            (gx,) = ag.grad(fn(x, w), x, create_graph=True)
            (ggx,) = ag.grad(gx.sum(), x)
            results.append((_arr(gx), _arr(ggx)))
        np.testing.assert_allclose(results[0][0], results[1][0], rtol=0, atol=0)
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-15, atol=0)


def test_hooks_retain_graph_and_grad_accumulation():
    w = ag.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    c = ag.compile(lambda x: (x * w).sum())
    x = ag.from_numpy(np.array([3.0, 4.0]))
    c(x)
    c(x)
    out = c(x)  # a replay
    assert type(out.grad_fn).__name__ == "CompiledNode"
    seen = []
    out.register_hook(lambda g: seen.append(_arr(g)))
    out.backward(retain_graph=True)
    out.backward()
    assert np.array_equal(_arr(w.grad), np.array([6.0, 8.0]))
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()

    def hooked(x):
        y = x * w
        y.register_hook(lambda g: g * 2)
        return y.sum()

    ch = ag.compile(hooked)
    w.grad = None
    with pytest.warns(RuntimeWarning, match="register_hook"):
        ch(x).backward()
    ch(x).backward()
    assert np.array_equal(_arr(w.grad), np.array([12.0, 16.0]))


def test_anomaly_mode_runs_eagerly():
    c = ag.compile(lambda x: ag.log(x))
    x = ag.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    c(x)
    with ag.detect_anomaly():
        y = c(x)
        assert type(y.grad_fn).__name__ != "CompiledNode"


def test_modified_read_tensor_raises_at_backward():
    w = ag.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    c = ag.compile(lambda x: (ag.exp(x) * w).sum())
    x = ag.from_numpy(np.array([0.5, 0.1])).requires_grad_()
    c(x)
    c(x)
    out = c(x)
    with ag.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_check_module_on_compiled_layers():
    from autograd.testing import check_module

    ag.manual_seed(0)
    for layer, x in (
        (nn.Linear(3, 4, dtype=ag.float64), ag.randn(2, 3, dtype=ag.float64)),
        (
            nn.Sequential(nn.Conv2d(2, 3, 3, dtype=ag.float64), nn.Tanh()),
            ag.randn(2, 2, 5, 5, dtype=ag.float64),
        ),
        (nn.LSTM(3, 4, dtype=ag.float64), ag.randn(4, 2, 3, dtype=ag.float64)),
    ):
        check_module(ag.compile(layer), x)


def test_decorator_forms():
    @ag.compile(fullgraph=True)
    def f(x):
        return x * 3

    assert np.array_equal(_arr(f(ag.ones(2))), np.full(2, 3.0))
    assert f.cache_info()["recordings"] == 1
    assert ag.compile(f, disable=True) is f


def test_values_read_outside_the_ops_are_caught_by_the_second_recording():
    """An array computed from a traced tensor's data behind the ops' back would be baked into
    a recording: the second call records again, sees the difference and falls back."""

    def f(x):
        return x * ag.tensor(x.detach().numpy(force=True) * 0 + x._data.sum())

    class M(nn.Module):
        def forward(self, x):
            return x * ag.Tensor._wrap(x._data[::-1].copy())

    for fn, eager in ((f, f), (M(), M())):
        c = ag.compile(fn)
        xs = [ag.from_numpy(np.array([1.0, 2.0]) + k) for k in range(4)]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            outs = [c(x) for x in xs]
        assert len([m for m in w if "autograd.compile" in str(m.message)]) == 1
        for x, o in zip(xs, outs):
            assert np.array_equal(_arr(o), _arr(eager(x)))


def _example(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_compile_example_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "name, make, shape",
    [
        ("train_digits", "make_mlp", (64,)),
        ("train_digits", "make_cnn", (1, 8, 8)),
        ("mnist_mlp", "make_model", (784,)),
        ("training_recipe", "make_mlp", (1, 8, 8)),
        ("fit_function", "make_net", None),
    ],
)
def test_example_models_bit_identical(name, make, shape):
    mod = _example(name)
    if shape is None:  # the function-fitting net: 1 -> 1, MSE
        rng = np.random.default_rng(3)

        def batches(step):
            x = ag.from_numpy(rng.uniform(-3, 3, (32, 1)).astype(np.float32))
            return x, ag.sin(x)

        def loss_of(model, x, y):
            return F.mse_loss(model(x), y)

        _train_pair(lambda: mod.make_net(3, "tanh", "default"), batches, loss_of, _sgd)
        return
    if name == "training_recipe":
        factory = lambda: mod.make_mlp(dropout=0.2)  # noqa: E731
    else:
        factory = getattr(mod, make)
    _train_pair(factory, _cls_batches(shape, 10, sizes=(8,)), _ce, _adam)


def test_two_calls_then_one_backward_with_batchnorm():
    """Running statistics updated by a second call do not invalidate the first call's backward
    (the buffers are not read by the backward)."""
    ag.manual_seed(0)
    m1 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    m2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    m2.load_state_dict(m1.state_dict())
    c = ag.compile(m2)
    a, b = ag.randn(6, 3), ag.randn(6, 3)
    for _ in range(3):
        (m1(a) * m1(b)).sum().backward()
        (c(a) * c(b)).sum().backward()
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert np.array_equal(_arr(p.grad), _arr(q.grad))
    assert np.array_equal(_arr(m1[1].running_var), _arr(m2[1].running_var))


def test_parameter_item_and_passed_through_input():
    ag.manual_seed(0)

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x) * float(self.lin.bias.sum().item())

    with pytest.warns(RuntimeWarning, match="item"):
        ag.compile(Scaled())(ag.ones(1, 2))

    c = ag.compile(lambda x, y: (x, y * 2))
    for _ in range(3):
        a = ag.ones(2).requires_grad_()
        x = a * 3  # a non-leaf input, returned as it is
        out, _ = c(x, ag.ones(2))
        out.sum().backward()
        assert np.array_equal(_arr(a.grad), np.full(2, 3.0))


def test_create_graph_with_dropout_and_batchnorm_stats():
    """The create_graph re-run uses the replay's own dropout mask and batch statistics."""
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4, dtype=ag.float64), nn.Tanh(), nn.Dropout(0.5))
    c = ag.compile(m)
    x = ag.randn(5, 3, dtype=ag.float64)
    c(x)
    c(x)
    for _ in range(2):
        xi = x.detach().requires_grad_()
        state = ag.get_rng_state()
        (g1,) = ag.grad((c(xi) ** 2).sum(), xi, create_graph=True)
        ag.set_rng_state(state)
        xe = x.detach().requires_grad_()
        (g2,) = ag.grad((m(xe) ** 2).sum(), xe, create_graph=True)
        assert np.array_equal(_arr(g1), _arr(g2))
        (h1,) = ag.grad(g1.sum(), xi)
        (h2,) = ag.grad(g2.sum(), xe)
        np.testing.assert_allclose(_arr(h1), _arr(h2), rtol=1e-14, atol=1e-15)


def test_module_forward_hooks_run_eagerly():
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    c = ag.compile(m)
    x = ag.ones(4, 2)
    seen = []
    h = m[0].register_forward_hook(lambda mod, inp, out: seen.append(out.shape))
    for _ in range(3):
        c(x)
    assert len(seen) == 3 and c.cache_info()["misses"] == 0
    h.remove()
    for _ in range(3):
        c(x)
    assert len(seen) == 3 and c.cache_info()["hits"] == 1


def test_replaced_submodule_is_a_new_key():
    """A submodule replaced by another of the same shapes: the replay must read the new one's
    parameters (the module tree is part of the guard key)."""
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    c = ag.compile(m)
    x = ag.randn(5, 3)
    for _ in range(3):
        c(x)
    m[2] = nn.Linear(4, 2)
    for _ in range(3):
        assert np.array_equal(_arr(c(x)), _arr(m(x)))
    assert c.cache_info()["misses"] == 2


def test_guard_fast_path_checks_every_argument():
    """The replay of the last key behind its own checks (NOTE [ Guard fast path ]): any change of
    a Tensor argument's shape, dtype or requires_grad, of another argument's type or value, of
    grad mode, or keywords, goes to the key lookup and records where needed."""
    w = ag.from_numpy(np.array([1.0, 2.0, 3.0])).requires_grad_()

    def f(x, s, flag=None):
        y = x * w * s
        return y + 1 if flag else y

    c = ag.compile(f)
    x = ag.from_numpy(np.array([0.5, -1.0, 2.0]))
    for _ in range(3):
        c(x, 2.0)
    assert c.fast is not None and c.cache_info()["hits"] == 1
    cases = [
        (x, 3.0),
        (x, 2),  # an int, not a float: another key
        (ag.from_numpy(np.ones((2, 3))), 2.0),
        (x.float(), 2.0),
        (x.detach().requires_grad_(), 2.0),
    ]
    for args in cases * 3:
        out = c(*args)
        assert np.array_equal(_arr(out), _arr(f(*args)))
        assert out.dtype == f(*args).dtype
    assert np.array_equal(_arr(c(x, 2.0, flag=True)), _arr(f(x, 2.0, flag=True)))
    with ag.no_grad():
        out = c(x, 2.0)
    assert out.grad_fn is None and np.array_equal(_arr(out), _arr(f(x, 2.0)))
    out = c(x, 2.0)
    out.sum().backward()
    assert np.array_equal(_arr(w.grad), _arr(x * 2.0))


def test_vjp_reading_values_is_called_not_traced():
    """A VJP whose computation depends on its input's values outside the ops (cumprod's, on
    zeros) is called at each replay, not traced (NOTE [ Traced VJPs ]): inputs with a zero after
    recordings without one still get eager's gradient."""
    c = ag.compile(lambda x: (ag.cumprod(x, 0) * 1.5).sum())
    eager = lambda x: (ag.cumprod(x, 0) * 1.5).sum()  # noqa: E731
    for vals in (
        [1.0, 2.0, 3.0],
        [0.5, 1.5, -2.0],
        [2.0, -1.0, 0.5],
        [1.0, 0.0, 3.0],
        [0.0, 2.0, 0.0],
    ):
        xs = [ag.from_numpy(np.array(vals)).requires_grad_() for _ in range(2)]
        eager(xs[0]).backward()
        c(xs[1]).backward()
        assert np.array_equal(_arr(xs[0].grad), _arr(xs[1].grad)), vals
    plan = c.last_plan
    names = {k: plan.steps[k][1].name for k in plan.traces}
    assert [plan.traces[k] is None for k in names if names[k] == "cumprod"] == [True]
    assert [plan.traces[k] is not None for k in names if names[k] == "mul"] == [True]


def test_vjp_computing_otherwise_on_tensors_is_called():
    """lstm_seq's VJP has an array path and a differentiable path (for create_graph): its trace
    on Tensors is not what a plain backward runs, so the replay calls the VJP itself; the
    Linear's VJPs are traced."""
    ag.manual_seed(0)
    m = nn.LSTM(3, 4)
    c = ag.compile(m)
    x = ag.randn(5, 2, 3)
    for _ in range(3):
        out, _ = c(x)
        out.sum().backward()
    plan = c._compiled.last_plan
    traced = {plan.steps[k][1].name: plan.traces[k] is not None for k in plan.traces}
    assert traced["lstm_seq"] is False and traced["linear"] is True


# -- every op of the op table, compiled ---------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from autograd.testing import arrays as _arrays  # noqa: E402
from tests.autograd.op_table import all_rows, bshapes  # noqa: E402

# Every differentiable row: indices computed from values (sort, topk, max(dim), ...) go through
# ``autograd.compiler.arrays`` and a reseeded generator (``manual_seed``) makes the recording
# unusable, so no row needs an exception.
_GRAD_ROWS = [r for r in all_rows() if r.grad]


def _bitwise(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("row", _GRAD_ROWS, ids=repr)
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_op_table_compiled_bit_identical(row, data):
    """Every differentiable op of the op table under ``autograd.compile``: outputs and input
    gradients bit-identical to eager over calls with new values at the same shapes (the VJPs
    traced into the generated backward, NOTE [ Traced VJPs ], or called where a trace would not
    be the same computation, e.g. a VJP that branches on its input's values)."""
    shp = data.draw(row.shapes if row.shapes is not None else bshapes(row.nin))
    kw = data.draw(row.kwargs(shp)) if row.kwargs is not None else {}
    doms = row.domain if isinstance(row.domain, list) else [row.domain] * row.nin
    dtype = data.draw(st.sampled_from([np.float64, np.float32]))
    grng = np.random.default_rng(0)

    def fn(*xs):
        return row.fn(*xs, **kw)

    comp = ag.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            arrs = [
                data.draw(_arrays(s, np.float64, lo, hi, row.kinks, row.margin))
                for s, (lo, hi) in zip(shp, doms)
            ]
            if row.prep is not None:
                arrs = row.prep(arrs, kw)
            arrs = [np.asarray(a).astype(dtype) for a in arrs]
            state = ag.get_rng_state()
            results = []
            gouts = None
            for f in (fn, comp):
                ag.set_rng_state(state)
                xs = [ag.tensor(a, requires_grad=True) for a in arrs]
                out = f(*xs)
                outs = [o for o in (out if isinstance(out, tuple) else (out,))]
                diff = [o for o in outs if isinstance(o, ag.Tensor) and o.requires_grad]
                if gouts is None:
                    gouts = [grng.uniform(0.5, 1.5, o.shape).astype(o.dtype) for o in diff]
                if diff:
                    ag.backward(diff, [ag.from_numpy(g.copy()) for g in gouts])
                results.append(
                    (
                        [_arr(o) for o in outs if isinstance(o, ag.Tensor)],
                        [None if x.grad is None else _arr(x.grad) for x in xs],
                    )
                )
            (oe, ge), (oc, gc) = results
            assert len(oe) == len(oc)
            for a, b in zip(oe, oc):
                assert _bitwise(a, b)
            for a, b in zip(ge, gc):
                assert (a is None) == (b is None)
                if a is not None:
                    assert _bitwise(a, b)
