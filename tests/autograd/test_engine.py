"""Semantics of the graph: backward, grad, modes, hooks, version counters, Function, errors."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd as ag


def leaf(*vals, dtype=None):
    return ag.tensor(list(vals) if len(vals) > 1 else vals[0], dtype=dtype, requires_grad=True)


# -- backward ----------------------------------------------------------------------------------
def test_backward_accumulates_into_leaves():
    x = leaf(1.0, 2.0, 3.0)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])


def test_shared_subexpression_sums_both_paths():
    x = leaf(2.0)
    y = x * x
    z = y * y + y  # dz/dx = (2y + 1) * 2x = (8 + 1) * 4
    z.backward()
    assert x.grad.item() == pytest.approx(36.0)


def test_second_backward_through_freed_graph_raises():
    x = leaf(1.0, 2.0)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(1.0, 2.0)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_long_chain_backpropagates_iteratively():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_non_scalar_backward_needs_gradient():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(ag.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_gradient_shape_mismatch_names_both_shapes():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(ag.tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor([1.0]).sum().backward()


def test_graph_is_freed_after_backward():
    x = leaf(1.0, 2.0)
    y = x.exp()
    node = weakref.ref(y.grad_fn)
    z = y.sum()
    z.backward()
    del y, z
    gc.collect()
    assert node() is None


def test_plain_backward_builds_no_graph():
    x = leaf(1.0, 2.0)
    (x.exp() * x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_grad_dtype_and_shape_follow_input_under_broadcast():
    x = ag.randn(3, 1, dtype=ag.float32, requires_grad=True)
    w = ag.randn(4, dtype=ag.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.shape == (3, 1) and x.grad.dtype == ag.float32
    assert w.grad.shape == (4,) and w.grad.dtype == ag.float64


def test_leaf_grads_are_not_aliases_of_each_other():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (a + b).sum().backward()
    a.grad.add_(1.0)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_weight_grad_is_c_contiguous_when_used_transposed():
    x = ag.randn(5, 3)
    w = ag.randn(4, 3, requires_grad=True)
    (x @ w.T).sum().backward()
    assert w.grad.numpy().flags.c_contiguous


def test_backward_inputs_restricts_accumulation():
    a, b = leaf(1.0), leaf(2.0)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_leaf_contributions_are_summed_before_accumulating():
    """AccumulateGrad: within one backward a leaf's contributions are summed, then added to
    ``.grad`` once, so two retained passes give exactly twice one pass, bit for bit."""
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal(64).astype(np.float32), requires_grad=True)
    w = ag.tensor(rng.standard_normal((64, 64)).astype(np.float32) * 1e3, requires_grad=True)
    y = (x * 1e-3).sum() + (w @ x).sum() + (x.sin() * 7.1).sum() + (x * x * 3.3).sum()
    y.backward(retain_graph=True)
    once_x, once_w = x.grad.numpy().copy(), w.grad.numpy().copy()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * once_x)
    np.testing.assert_array_equal(w.grad.numpy(), 2 * once_w)
    y.backward()
    assert np.array_equal(x.grad.numpy(), 2 * once_x + once_x)


def test_leaf_hook_runs_once_on_the_summed_gradient():
    x = leaf(1.0, 2.0)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 2 + x * 3 + x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [6.0, 6.0])
    (g,) = ag.grad((x * 2 + x).sum(), x)  # grad() runs a leaf's hooks too, as in PyTorch
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[1], [3.0, 3.0])


def test_leaf_hook_return_value_replaces_the_summed_gradient():
    x = leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 10)
    (x * 2 + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    (g,) = ag.grad((x * 2).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [20.0, 20.0])


def test_fresh_grad_aliases_nothing_when_summed_or_passed_through():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    root = np.ones(2)
    (a + b + a).backward(ag.tensor(root))
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert not np.shares_memory(b.grad.numpy(), root)
    for g in (a.grad.numpy(), b.grad.numpy()):
        assert g.flags.c_contiguous and g.flags.writeable
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(root, [1.0, 1.0])


def test_post_accumulate_grad_hook_sees_the_updated_grad():
    p = leaf(1.0, 2.0)
    seen = []
    h = p.register_post_accumulate_grad_hook(lambda t: seen.append((t is p, t.grad.numpy().copy())))
    (p * p + p).sum().backward()  # one call per backward, after .grad holds the whole sum
    assert len(seen) == 1 and seen[0][0]
    np.testing.assert_array_equal(seen[0][1], [3.0, 5.0])
    (p * 2).sum().backward()
    np.testing.assert_array_equal(seen[1][1], [5.0, 7.0])
    ag.grad((p * 2).sum(), p)  # grad() does not accumulate, so no post-accumulate hook
    assert len(seen) == 2
    h.remove()
    (p * 2).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_grad_hook_only_on_leaves_requiring_grad():
    with pytest.raises(RuntimeError, match="non-leaf"):
        (leaf(1.0) * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_retained_grad_accumulates_across_backwards():
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    z = (y * 3).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 6.0])


def test_backward_inputs_may_be_non_leaf():
    a = leaf(1.0, 2.0)
    b = a * 2
    (b * b).sum().backward(inputs=[b])
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 8.0])
    assert a.grad is None


# -- autograd.grad and higher order ------------------------------------------------------------
def test_grad_returns_and_does_not_accumulate():
    x = leaf(1.0, 2.0)
    (g,) = ag.grad((x**3).sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    assert x.grad is None


def test_second_and_third_derivatives():
    x = leaf(0.5, 1.5)
    (g,) = ag.grad((x**4).sum(), x, create_graph=True)
    (gg,) = ag.grad(g.sum(), x, create_graph=True)
    (ggg,) = ag.grad(gg.sum(), x)
    np.testing.assert_allclose(gg.detach().numpy(), 12 * np.array([0.5, 1.5]) ** 2, rtol=1e-6)
    np.testing.assert_allclose(ggg.numpy(), 24 * np.array([0.5, 1.5]), rtol=1e-6)


def test_grad_of_nonleaf_input():
    x = leaf(1.0, 2.0)
    y = x * 3
    z = (y * y).sum()
    (gy,) = ag.grad(z, y)
    np.testing.assert_allclose(gy.numpy(), 2 * 3 * np.array([1.0, 2.0]))


def test_grad_unused_input():
    x, u = leaf(1.0), leaf(2.0)
    with pytest.raises(RuntimeError, match="not have been used"):
        ag.grad(x * 2, [x, u])
    gx, gu = ag.grad(x * 2, [x, u], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


# -- grad modes ---------------------------------------------------------------------------------
def test_no_grad_context_and_decorator():
    x = leaf(1.0)
    with ag.no_grad():
        y = x * 2
        with ag.enable_grad():
            z = x * 2
    assert not y.requires_grad and z.requires_grad

    @ag.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ag.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context():
    x = leaf(1.0)
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()
    ag.set_grad_enabled(False)
    try:
        assert not ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)


def test_inference_mode():
    x = leaf(1.0)
    with ag.inference_mode():
        assert ag.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert not ag.is_inference_mode_enabled()


def test_grad_mode_is_thread_local():
    seen = []

    def worker():
        seen.append(ag.is_grad_enabled())

    with ag.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == [True]


# -- detach, requires_grad, hooks ---------------------------------------------------------------
def test_detach_shares_memory_and_cuts_graph():
    x = leaf(1.0, 2.0)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.numpy()[0] = 5.0
    assert x.detach().numpy()[0] == 5.0


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        ag.tensor([1, 2]).requires_grad_()
    y = leaf(1.0) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_retain_grad_on_nonleaf():
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [4.0, 8.0])


def test_hooks_see_and_replace_gradients():
    x = leaf(1.0, 2.0)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 3
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [30.0, 30.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1


# -- in-place and version counters --------------------------------------------------------------
def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 3.0
    with ag.no_grad():
        x.add_(1.0)
    np.testing.assert_allclose(x.detach().numpy(), [2.0, 3.0])


def test_modifying_a_saved_tensor_raises_naming_the_op():
    x = leaf(1.0, 2.0)
    y = x * 2
    z = y.exp()  # saves its output
    w = (y * y).sum()  # saves y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*mul"):
        w.backward()
    z2 = x.exp()
    z2.mul_(2)  # exp saved its output, which is now modified
    with pytest.raises(RuntimeError, match="exp"):
        z2.sum().backward()
    del z


def test_inplace_on_nonleaf_is_differentiated():
    x = leaf(1.0, 2.0)
    y = x * 1.0
    y.mul_(3.0)
    y.add_(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_setitem_on_nonleaf_routes_gradients():
    x = leaf(1.0, 2.0, 3.0)
    v = leaf(10.0)
    y = x * 2
    y[1] = v * 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 2.0])
    assert v.grad.item() == 3.0


def test_repeated_integer_indices_accumulate():
    x = leaf(1.0, 2.0, 3.0)
    x[ag.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_inplace_dtype_cast_error():
    t = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        t.add_(1.5)


# -- Function -----------------------------------------------------------------------------------
class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x**3 * k

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2 * ctx.k, None


def test_function_forward_backward_and_gradcheck():
    x = ag.tensor([0.5, -1.0], dtype=ag.float64, requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([0.25, 1.0]))
    assert ag.gradcheck(lambda t: Cube.apply(t, 2.0), (x,))
    assert ag.gradgradcheck(lambda t: Cube.apply(t, 2.0), (x,))


def test_function_needs_input_grad_and_non_differentiable_output():
    class Split(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.flags = ctx.needs_input_grad
            idx = ag.tensor([1, 0])
            ctx.mark_non_differentiable(idx)
            return a * 2, idx

        @staticmethod
        def backward(ctx, g, _):
            return g * 2, None

    a = leaf(1.0, 2.0)
    b = ag.tensor([1.0])
    out, idx = Split.apply(a, b)
    assert not idx.requires_grad and out.requires_grad
    out.sum().backward()
    assert out.grad_fn.ctx.flags == (True, False)
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


def test_function_wrong_number_of_gradients():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(leaf(1.0), leaf(2.0)).backward()


# -- gradcheck reports --------------------------------------------------------------------------
def test_gradcheck_names_input_and_element():
    class Wrong(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            gb = g * a
            gb = gb + (ag.arange(gb.numel()).reshape(gb.shape) == 2) * 1.0  # wrong at element 2
            return g * b, gb

    a = ag.randn(4, dtype=ag.float64, requires_grad=True)
    b = ag.randn(4, dtype=ag.float64, requires_grad=True)
    with pytest.raises(
        ag.gradcheck.__globals__["GradcheckError"], match=r"input 1[\s\S]*element \(2,\)"
    ):
        ag.gradcheck(Wrong.apply, (a, b))
    assert ag.gradcheck(Wrong.apply, (a, b), raise_exception=False) is False


# -- anomaly mode -------------------------------------------------------------------------------
def test_detect_anomaly_names_the_op():
    x = leaf(0.0, 1.0)
    with pytest.warns(UserWarning), ag.detect_anomaly():
        y = x.sqrt().sum()  # d sqrt at 0 is inf
        with pytest.raises(RuntimeError, match=r"SqrtBackward0.*sqrt"):
            y.backward()


def test_detect_anomaly_warns_about_where_discarded_branch():
    x = leaf(-1.0, 4.0)
    with pytest.warns(UserWarning), ag.detect_anomaly():
        y = ag.where(x > 0, x.sqrt(), ag.zeros(2)).sum()
        with pytest.warns(RuntimeWarning, match=r"where.*discarded.*sqrt"):
            with pytest.raises(RuntimeError, match="nan"):
                y.backward()


# -- errors -------------------------------------------------------------------------------------
def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(5, 2\)"):
        ag.randn(3, 4) @ ag.randn(5, 2)


def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4,\)"):
        ag.randn(3) + ag.randn(4)


def test_bad_dim_names_dim_and_ndim():
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        ag.randn(2, 3).sum(dim=2)


def test_index_out_of_range_names_index():
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        ag.randn(3)[5]


# -- dtypes, factories, repr ------------------------------------------------------------------
def test_dtype_rules_follow_pytorch():
    assert ag.tensor([1.0, 2.0]).dtype == ag.float32
    assert ag.tensor([1, 2]).dtype == ag.int64
    assert ag.tensor([True]).dtype == ag.bool
    assert ag.tensor(np.zeros(2, np.float64)).dtype == ag.float64
    assert (ag.tensor([1, 2]) + 1.5).dtype == ag.float32
    assert (ag.tensor([1, 2]) / ag.tensor([2, 2])).dtype == ag.float32
    assert (ag.ones(2) * ag.tensor(2.0, dtype=ag.float64)).dtype == ag.float32
    assert (ag.ones(2, dtype=ag.float64) * ag.ones(2)).dtype == ag.float64
    assert ag.arange(3).dtype == ag.int64 and ag.arange(0.0, 1.0, 0.5).dtype == ag.float32


def test_numpy_refuses_requires_grad():
    x = leaf(1.0)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy()[()] == 1.0
    assert np.asarray(ag.ones(2)).shape == (2,)


def test_repr_like_pytorch():
    assert repr(ag.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert (
        repr(ag.tensor([1.5, 2.0], requires_grad=True))
        == "tensor([1.5000, 2.0000], requires_grad=True)"
    )
    assert repr(ag.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ag.tensor(2.0, dtype=ag.float64)) == "tensor(2., dtype=autograd.float64)"
    assert "grad_fn=<MulBackward0>" in repr(leaf(1.0) * 2)


def test_manual_seed_reproduces_every_draw():
    ag.manual_seed(7)
    a = (ag.randn(3), ag.rand(2), ag.randint(0, 10, (4,)), ag.randperm(5))
    ag.manual_seed(7)
    b = (ag.randn(3), ag.rand(2), ag.randint(0, 10, (4,)), ag.randperm(5))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    g = ag.Generator().manual_seed(3)
    g2 = ag.Generator().manual_seed(3)
    np.testing.assert_array_equal(
        ag.randn(4, generator=g).numpy(), ag.randn(4, generator=g2).numpy()
    )


def test_tensors_refuse_pickle():
    import pickle

    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(ag.ones(2))


def test_node_hooks_as_pytorch():
    """``grad_fn.register_prehook``/``register_hook``: order (tensor hook, node pre-hook,
    node, node hook), shapes (inputs' own shapes), replacement and PyTorch's errors."""
    x = ag.randn(2, 3, requires_grad=True)
    b = ag.randn(3, requires_grad=True)
    c = ag.randn(3)
    y = x * b
    z = y * 2
    order = []
    y.register_hook(lambda g: order.append("tensor"))
    y.grad_fn.register_prehook(lambda go: order.append(("pre", [tuple(t.shape) for t in go])))

    def post(gi, go):
        order.append(("post", [tuple(t.shape) for t in gi], [tuple(t.shape) for t in go]))
        return (gi[0] * 10, gi[1])

    y.grad_fn.register_hook(post)
    y.retain_grad()
    z.sum().backward()
    assert order == ["tensor", ("pre", [(2, 3)]), ("post", [(2, 3), (3,)], [(2, 3)])]
    np.testing.assert_allclose(x.grad.numpy(), 20 * np.broadcast_to(b.detach().numpy(), (2, 3)))
    np.testing.assert_allclose(b.grad.numpy(), 2 * x.detach().numpy().sum(0), rtol=1e-6)
    assert y.grad is not None

    seen = []
    w = x * c
    w.grad_fn.register_hook(
        lambda gi, go: seen.append([None if g is None else g.shape for g in gi])
    )
    w.sum().backward()
    assert seen == [[(2, 3), None]]

    w = x * c
    w.grad_fn.register_prehook(lambda go: 5)
    with pytest.raises(TypeError, match="expected tuple, but hook returned 'int'"):
        w.sum().backward()

    def bad(gi, go):
        return (1,)

    w = x * c
    w.grad_fn.register_hook(bad)
    with pytest.raises(
        RuntimeError,
        match=r"hook 'bad' has returned an incorrect number of values \(got 1, but expected 2\)",
    ):
        w.sum().backward()

    w = x * c
    handle = w.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    x.grad = None
    w.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.broadcast_to(c.numpy(), (2, 3)), rtol=1e-6)
    handle.remove()
    x.grad = None
    w.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(c.numpy(), (2, 3)), rtol=1e-6)


def test_grad_mode_is_per_thread_with_the_dispatch_counter():
    """NOTE [ The dispatch's mode check ]: one thread inside no_grad does not change what
    another records, and the process-wide counter returns to 0 when both are done."""
    from autograd.grad_mode import _modes

    base = _modes.nondefault  # other tests' threads may have ended inside a mode
    x = ag.ones(3, requires_grad=True)
    inside = threading.Event()
    leave = threading.Event()
    seen = {}

    def quiet():
        with ag.no_grad():
            seen["quiet"] = (x * 2).requires_grad
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=quiet)
    t.start()
    assert inside.wait(10)
    assert _modes.nondefault == base + 1
    y = x * 2  # this thread still records
    assert y.requires_grad and y.grad_fn is not None
    leave.set()
    t.join(10)
    assert seen["quiet"] is False
    assert _modes.nondefault == base
    with ag.no_grad():
        assert _modes.nondefault == base + 1 and not (x * 2).requires_grad
    assert _modes.nondefault == base
