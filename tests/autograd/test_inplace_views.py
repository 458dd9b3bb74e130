"""In-place ops on views rebase history as in PyTorch (NOTE [ In-place on views ] in tensor.py).

Expected values were produced by running the same scripts with PyTorch 2.13; every scenario is
also checked against central differences in float64 (``ag.gradcheck``/``gradgradcheck``).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

F64 = ag.float64


def leaf(arr):
    return ag.tensor(np.asarray(arr, dtype=np.float64), requires_grad=True)


def x23():
    return leaf(np.arange(6.0).reshape(2, 3))


A = np.array([[0.5, -0.9, -1.8, -1.9], [1.25, 1.65, 0.43, 0.92], [0.17, 1.74, 1.26, -1.99]])
W = np.array([0.3, -0.7, 1.1, 0.4])


# -- the scripts of issue #10, against PyTorch's values ------------------------------------------
def test_mul_on_a_column_rebases_the_base():
    x = x23()
    y = x * 1
    v = y[:, 0]
    v.mul_(2)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert v._base is y and not v.is_leaf
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 1, 2], [6, 4, 5]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 1, 1], [2, 1, 1]])


def test_add_through_a_strided_flat_view():
    x = x23()
    w = leaf([10.0, 20.0, 30.0])
    y = x.clone()
    y.view(-1)[::2].add_(w)
    assert repr(y).endswith("grad_fn=<CopySlices>)")
    np.testing.assert_array_equal(y.detach().numpy(), [[10, 1, 22], [3, 34, 5]])
    (y * ag.arange(6.0, dtype=F64).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(w.grad.numpy(), [0, 2, 4])


def test_relu_on_a_transpose():
    x = x23()
    y = x.clone() - 2
    y.t().relu_()
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 0, 0], [1, 2, 3]])
    (y**2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [2, 4, 6]])


def test_copy_into_a_slice():
    x = x23()
    z = leaf([[7.0, 8.0, 9.0]])
    y = x.clone()
    y[1:].copy_(z)
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 4], [0, 0, 0]])
    np.testing.assert_array_equal(z.grad.numpy(), [[14, 16, 18]])


@pytest.mark.parametrize(
    "make",
    [
        lambda y: y.unsqueeze(0),
        lambda y: y.narrow(1, 0, 2),
        lambda y: y.select(1, 1),
        lambda y: y.transpose(0, 1),
        lambda y: y.view(9),
        lambda y: y.diagonal(),
        lambda y: y.movedim(0, 1),
        lambda y: y.T,
        lambda y: y.flatten(),
        lambda y: y.unflatten(0, (3, 1)),
        lambda y: y[None, ..., 1:],
        lambda y: ag.einsum("ii->i", y),
    ],
)
def test_every_view_op_rebases(make):
    x = leaf(np.arange(1.0, 10.0).reshape(3, 3) / 4)
    y = x * 1
    v = make(y)
    assert v._base is y
    v.mul_(2)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    probe = ag.tensor(np.arange(1.0, 10.0).reshape(3, 3))  # which elements the view holds
    make(probe).mul_(0)
    mask = probe.numpy() == 0
    np.testing.assert_allclose(y.detach().numpy(), np.where(mask, 2, 1) * x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(mask, 2.0, 1.0))


# -- gradients against finite differences ----------------------------------------------------------
def _views_script(a, w):
    y = a * 1.0
    c = y[:, 1]  # taken before the root changes
    y[:, 0].mul_(2.0)
    y[1:].narrow(1, 1, 3).add_(w[1:])  # a view of a view
    y.view(-1)[::5].sin_()  # the VJP reads the old value
    y.t().diagonal().copy_(w[:3])
    y[2].unsqueeze(0).mul_(w)
    c.mul_(w[:3])  # a stale view: refreshed first
    c[1:] = w[2:] * 3.0
    return y * y[0]


def _overlapping(a):
    y = a * 1.0
    r = y[0]
    col = y[:, 1]
    r.mul_(2.0)
    col.mul_(a[:, 2])  # modifies r[1] too
    return r * 1.0 + (y**2).sum()


def _fortran_root(a):
    # a root whose memory is not in C order: positions come from labelling its memory
    y = a.t().contiguous().t() * 1.0  # NumPy keeps the operand's (Fortran) order
    assert not y._data.flags.c_contiguous
    y[:, 1:3].sin_()
    y.t()[0].mul_(a[:, 0])
    return y * 1.0


def _fills(a):
    y = a * 1.0
    y[0].zero_()
    y[:, 1].fill_(2.0)
    z = a * 3.0
    z.zero_()
    return y * a + z


@pytest.mark.parametrize("script", [_views_script, _overlapping, _fortran_root, _fills])
def test_gradcheck_in_place_on_views(script):
    ins = (leaf(A), leaf(W)) if script is _views_script else (leaf(A),)
    assert ag.gradcheck(script, ins, atol=1e-8, rtol=1e-6)
    assert ag.gradgradcheck(script, ins, atol=1e-8, rtol=1e-6)


def test_overlapping_views_match_pytorch():
    x = x23()
    y = x * 1
    a, b = y[0], y[:, 1]
    a.mul_(2)
    b.mul_(3)
    np.testing.assert_array_equal(a.detach().numpy(), [0, 6, 4])
    assert repr(a).endswith("grad_fn=<AsStridedBackward0>)")  # refreshed: b changed a[1]
    (a.sum() + (y**2).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 78, 18], [6, 72, 10]])


def test_a_view_taken_before_the_base_changed_follows_it():
    x = x23()
    y = x * 1
    v = y[0]
    y.mul_(2)
    (v * v).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 8, 16], [0, 0, 0]])


def test_views_of_views_and_reading_the_base_after():
    x = x23()
    y = x * 1
    vv = y[1:][:, 1:]
    assert vv._base is y
    vv.mul_(3)
    assert vv.grad_fn.name() == "AsStridedBackward0"
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 4], [6, 72, 90]])


def test_base_that_did_not_require_grad_gets_history():
    w = leaf([1.0, 2.0, 3.0])
    b = ag.zeros(2, 3, dtype=F64)
    v = b[0]
    b[1].add_(w)
    assert b.requires_grad and b.grad_fn.name() == "torch::autograd::CopySlices"
    assert v.requires_grad and not v.is_leaf  # refreshed, as PyTorch's
    ((b * b).sum() + v.sum()).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2, 4, 6])


def test_nothing_recorded_when_nothing_requires_grad_or_in_no_grad():
    b = ag.zeros(3)
    b[1:].add_(1)
    assert b.grad_fn is None and not b.requires_grad
    x = x23()
    y = x * 2
    with ag.no_grad():
        y[0].mul_(10)  # changes the values, not the history
    assert y.grad_fn.name() == "MulBackward0"
    (y * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_double_backward_through_copy_slices():
    x = leaf(A)
    y = x * x
    y[:, 1:].mul_(x[:, :3])
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    expect = 2 * A  # y[i, j] = x[i, j]**2 * x[i, j - 1] for j >= 1
    expect[:, 1:] *= A[:, :3]
    expect[:, :3] += A[:, 1:] ** 2
    np.testing.assert_allclose(g.detach().numpy(), expect)
    (g * g).sum().backward()
    assert x.grad is not None


def test_view_nodes_survive_a_backward_without_retain_graph():
    # AsStridedBackward0/CopySlices hold positions, not saved tensors: a new graph through
    # them still runs after a backward released the old one (as in PyTorch)
    x = x23()
    y = x * 1
    v = y[:, 0]
    v.mul_(2)
    (v * 1).sum().backward()
    (v * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[8, 0, 0], [8, 0, 0]])


# -- what PyTorch forbids --------------------------------------------------------------------------
def test_view_of_a_leaf_that_requires_grad():
    x = x23()
    with pytest.raises(
        RuntimeError,
        match="^a view of a leaf Variable that requires grad is being used in an in-place",
    ):
        x[0].mul_(2)
    with ag.no_grad():
        x[0].mul_(2)  # allowed, not recorded
    np.testing.assert_array_equal(x.detach().numpy()[0], [0, 2, 4])


NO_GRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked)."
)


def test_view_made_in_no_grad_mode():
    y = x23() * 1
    with ag.no_grad():
        v = y[0]
    with pytest.raises(RuntimeError) as e:
        v.mul_(2)
    assert str(e.value) == NO_GRAD_VIEW
    with ag.no_grad():
        v.mul_(2)  # both in no_grad: fine
    # a base that does not require grad: only an in-place op that needs a gradient is refused
    b = ag.zeros(2, 3, dtype=F64)
    with ag.no_grad():
        bv = b[0]
    bv.add_(1)
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        bv.add_(leaf([1.0, 2.0, 3.0]))
    # a view of a leaf made in no_grad mode does not require grad (PyTorch): add_(1) works
    x = x23()
    with ag.no_grad():
        xv = x[0]
    xv.add_(1)
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        xv.add_(leaf([1.0, 2.0, 3.0]))


MULTI = (
    " This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation "
    "by an out-of-place one."
)


@pytest.mark.parametrize(
    "outs, i, name",
    [
        (lambda y: y.unbind(0), 1, "Unbind"),
        (lambda y: y.unbind(1), 2, "Unbind"),
        (lambda y: y.split(1), 1, "Split"),
        (lambda y: y.chunk(2), 1, "Split"),
        (lambda y: y.split([1, 1]), 1, "SplitWithSizes"),
        (lambda y: list(y), 1, "Unbind"),  # iteration is unbind(0), as in PyTorch
    ],
)
def test_outputs_of_functions_returning_several_views(outs, i, name):
    y = x23() * 1
    with pytest.raises(RuntimeError) as e:
        outs(y)[i].mul_(2)
    assert str(e.value) == f"Output {i} of {name} is a view and is being modified inplace." + MULTI


def test_multi_output_views_other_cases():
    y = x23() * 1
    with pytest.raises(RuntimeError) as e:
        y.unbind(0)[0][1:].mul_(2)  # a view of one: PyTorch names the view's own node
    assert str(e.value) == "Output 0 of Slice is a view and is being modified inplace." + MULTI
    w = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError) as e:
        ag.ones(2, 3, dtype=F64).split(1)[1].add_(w)
    assert str(e.value) == (
        "A view was created in no_grad mode and is being modified inplace with grad mode "
        "enabled." + MULTI
    )
    ag.ones(2, 2).split(1)[1].mul_(2)  # nothing requires grad: allowed
    y.tensor_split(2)[1].mul_(2)  # tensor_split's outputs are plain views (PyTorch)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"


def test_internal_overlap_is_refused():
    msg = (
        "unsupported operation: more than one element of the written-to tensor refers to a "
        "single memory location. Please clone() the tensor before performing the operation."
    )
    y = x23() * 1
    with pytest.raises(RuntimeError) as e:
        y[:1].expand(2, 3).mul_(2)
    assert str(e.value) == msg
    with pytest.raises(RuntimeError, match="more than one element"):
        ag.ones(3)[None].expand(2, 3).add_(1)  # also in a plain update
    e = ag.ones(3, 1).expand(3, 1)  # no overlap: fine
    e.add_(1)


def test_detach_of_a_view_in_place():
    with pytest.raises(RuntimeError, match="^Can't detach views in-place. Use detach"):
        ag.ones(3)[1:].detach_()


def test_view_of_a_non_contiguous_tensor_that_needs_a_copy():
    with pytest.raises(RuntimeError) as e:
        ag.ones(3, 3).t().view(9)
    assert str(e.value) == (
        "view size is not compatible with input tensor's size and stride (at least one "
        "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
    )
    assert ag.ones(3, 3).t().view(3, 1, 3)._base is not None  # a view without a copy


# -- copies are not views --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "copy",
    [
        lambda y: y.t().reshape(9),
        lambda y: y.t().flatten(),
        lambda y: y.flip(0),
        lambda y: ag.diag(y),
        lambda y: y.masked_select(y > 0),
    ],
)
def test_results_that_are_copies_do_not_alias(copy):
    x = leaf(np.arange(1.0, 10.0).reshape(3, 3))
    y = x * 1
    c = copy(y)
    assert c._base is None
    c.mul_(2)
    np.testing.assert_array_equal(y.detach().numpy(), np.arange(1.0, 10.0).reshape(3, 3))
    assert y.grad_fn.name() == "MulBackward0"


def test_atleast_returns_a_tensor_with_enough_dims_itself():
    y = ag.ones(2, 3)
    assert ag.atleast_2d(y) is y and ag.atleast_1d(y) is y
    assert ag.atleast_3d(y)._base is y


# -- saved values and version counters ----------------------------------------------------------
def test_modifying_a_view_that_a_node_saved_raises():
    x = x23()
    y = x * 1
    v = y[:, 1]
    s = v.sin()  # saves v
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.sum().backward()
    # a sibling view shares the version counter (PyTorch)
    y = x * 1
    v = y[0]
    s = v * v
    y[1].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.sum().backward()
    # exp saves its output, which the in-place op on the view does not touch: fine
    y = x * 1
    v = y[:, 1]
    p = v.exp()
    y[:, 0].mul_(2)
    p.sum().backward()


def test_in_place_op_whose_backward_reads_the_old_value():
    # PyTorch saves a copy of the old value (original_self) for these: sin_ works
    x = x23()
    y = x * 1
    y.sin_()
    y.mul_(x)
    (y.sum()).backward()
    xs = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(x.grad.numpy(), np.cos(xs) * xs + np.sin(xs))


def test_in_place_op_that_saves_its_output_then_modified_raises():
    # exp_ saves its result, which is the tensor itself (PyTorch): changing it again raises
    x = x23()
    y = x * 1
    y.exp_()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*its output"):
        y.sum().backward()
    y = x * 1
    y[1].relu_()
    y[1, 0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = x * 1
    y.mul_(y)  # the other operand is the target itself
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_fills_record_a_zero_gradient_with_pytorch_names():
    x = x23()
    for fill, name in [
        (lambda t: t.zero_(), "ZeroBackward0"),
        (lambda t: t.fill_(2.0), "FillBackward2"),
        (lambda t: t.uniform_(), "UniformBackward0"),
        (lambda t: t.normal_(), "NormalBackward0"),
        (lambda t: t.bernoulli_(0.5), "BernoulliBackward2"),
        (lambda t: t.exponential_(), "ExponentialBackward0"),
        (lambda t: t.random_(0, 5), "RandomBackward0"),
    ]:
        y = x * 1
        fill(y)
        assert y.requires_grad and y.grad_fn.name() == name
        x.grad = None
        (y * 1).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    y = x * 1
    y.copy_(ag.ones(2, 3))
    assert y.grad_fn.name() == "CopyBackwards"


def test_in_place_on_a_detached_view_is_not_recorded():
    x = x23()
    y = x * 1
    d = y.detach()[0]
    d.mul_(2)
    np.testing.assert_array_equal(y.detach().numpy()[0], [0, 2, 4])
    assert y.grad_fn.name() == "MulBackward0"


def test_a_refreshed_view_runs_once_after_all_its_consumers():
    # the view's new node is made while its first consumer's node is being built; the
    # consumer still comes after it in the engine's order
    x = x23()
    y = x * 1
    v = y[0]
    y.mul_(2)
    a = v * 2
    b = v * 3
    seen = []
    v.register_hook(lambda g: seen.append(g.numpy().copy()))
    (a + b).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [5, 5, 5])
    np.testing.assert_array_equal(x.grad.numpy(), [[10, 10, 10], [0, 0, 0]])


def test_an_in_place_update_that_saved_a_view_of_the_old_value_raises_in_backward():
    # no public op does this today; a composite in-place op whose node saved a view of its
    # target would read the new values: the machinery makes that node's backward raise
    x = x23()
    y = x * 1
    y._inplace(lambda s: s * 1.0 + s[0].sin())  # sin saves s[0], a view of the old value
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = x * 1
    y._inplace(lambda s: s.sin())  # sin saves s itself: it keeps a copy of the old value
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(np.arange(6.0).reshape(2, 3)))
    y = x * 1
    y._inplace(lambda s: s)  # returns its input: nothing to keep
    assert y.grad_fn.name() == "MulBackward0"


def test_an_element_is_a_0d_view():
    """``y[0]`` is a 0-d view (PyTorch's select), not a copy: in-place ops on it write into
    ``y`` and rebase its history; reading it gives the value."""
    y = ag.tensor([1.0, 2.0])
    y[0].mul_(2.0)
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0])
    x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    y = x * 1
    y[0, 1].mul_(3.0)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert repr(y) == "tensor([[1., 6.]], grad_fn=<CopySlices>)"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 3.0]])
    z = ag.zeros(3)
    z[1].copy_(ag.tensor(5.0))
    z[2].fill_(7.0)
    z[0].add_(1.0)
    np.testing.assert_array_equal(z.numpy(), [1.0, 5.0, 7.0])
    assert z[1].shape == () and z[1].item() == 5.0


def test_a_0d_integer_tensor_index_is_an_integer():
    """As in PyTorch, ``z[torch.tensor(1)]`` indexes like ``z[1]``: a view."""
    z = ag.zeros(3)
    z[ag.tensor(1)].fill_(5.0)
    np.testing.assert_array_equal(z.numpy(), [0.0, 5.0, 0.0])
    x = ag.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(x[ag.tensor(1), [0, 2]].numpy(), [3.0, 5.0])
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 2"):
        x[ag.tensor(3)]
