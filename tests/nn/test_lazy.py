"""Lazy modules as PyTorch 2.13 has them: ``nn.LazyLinear``, ``LazyConv1d/2d``,
``LazyConvTranspose2d``, ``LazyBatchNorm1d/2d`` and ``LazyInstanceNorm1d/2d/3d`` (the lazy forms of
the eager modules ndgrad has) with ``UninitializedParameter``/``UninitializedBuffer``: shapes
from the first input, the eager module's initialization from the same generator state, the
class switch, ``state_dict``/``load_state_dict`` in both states, optimizers built before the
first forward, and PyTorch's errors for using an uninitialized tensor."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from nn.modules.lazy import LazyModuleMixin
from nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

_SHAPE_ERR = "Can't access the shape of an uninitialized parameter or buffer"
_USE_ERR = "Attempted to use an uninitialized parameter in"

# lazy factory, eager factory (the module it becomes), input shape
SPECS = {
    "LazyLinear": (lambda: nn.LazyLinear(3), lambda: nn.Linear(4, 3), (2, 4)),
    "LazyLinear_nobias": (
        lambda: nn.LazyLinear(3, bias=False),
        lambda: nn.Linear(4, 3, bias=False),
        (5, 2, 4),
    ),
    "LazyConv1d": (
        lambda: nn.LazyConv1d(4, 3, padding=1),
        lambda: nn.Conv1d(2, 4, 3, padding=1),
        (2, 2, 7),
    ),
    "LazyConv2d": (
        lambda: nn.LazyConv2d(4, 3, groups=2),
        lambda: nn.Conv2d(6, 4, 3, groups=2),
        (1, 6, 5, 5),
    ),
    "LazyConv2d_unbatched": (lambda: nn.LazyConv2d(4, 2), lambda: nn.Conv2d(3, 4, 2), (3, 5, 5)),
    "LazyConvTranspose2d": (
        lambda: nn.LazyConvTranspose2d(4, 3, stride=2),
        lambda: nn.ConvTranspose2d(3, 4, 3, stride=2),
        (1, 3, 4, 4),
    ),
    "LazyBatchNorm1d": (lambda: nn.LazyBatchNorm1d(), lambda: nn.BatchNorm1d(5), (4, 5)),
    "LazyBatchNorm2d": (
        lambda: nn.LazyBatchNorm2d(momentum=None),
        lambda: nn.BatchNorm2d(3, momentum=None),
        (2, 3, 4, 4),
    ),
    "LazyInstanceNorm1d": (
        lambda: nn.LazyInstanceNorm1d(),
        lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        (2, 3, 6),
    ),
    "LazyInstanceNorm2d": (
        lambda: nn.LazyInstanceNorm2d(affine=False),
        lambda: nn.InstanceNorm2d(3, track_running_stats=True),
        (2, 3, 4, 4),
    ),
    "LazyInstanceNorm3d": (
        lambda: nn.LazyInstanceNorm3d(track_running_stats=False),
        lambda: nn.InstanceNorm3d(2, affine=True),
        (1, 2, 3, 3, 3),
    ),
}

REPRS = {  # PyTorch 2.13's
    "LazyLinear": "LazyLinear(in_features=0, out_features=3, bias=True)",
    "LazyConv2d": "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)",
    "LazyConvTranspose2d": "LazyConvTranspose2d(0, 4, kernel_size=(3, 3), stride=(2, 2))",
    "LazyBatchNorm1d": (
        "LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)"
    ),
    "LazyInstanceNorm1d": (
        "LazyInstanceNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)"
    ),
}


def _x(shape):
    return ag.tensor(np.sin(np.arange(int(np.prod(shape)))).reshape(shape), dtype=ag.float32)


def _arrays(sd):
    return {k: v.detach().numpy().copy() for k, v in sd.items()}


@pytest.mark.parametrize("name", list(SPECS))
def test_first_forward_materializes_like_the_eager_module(name):
    lazy, eager, shape = SPECS[name]
    x = _x(shape)
    m = lazy()
    assert isinstance(m, LazyModuleMixin) and m.has_uninitialized_params()
    if name in REPRS:
        assert repr(m) == REPRS[name]
    for t in list(m.parameters()) + list(m.buffers()):
        assert is_lazy(t) or t.ndim == 0  # num_batches_tracked is an ordinary 0-d buffer
    sd = m.state_dict()
    # the uninitialized tensors themselves (they cannot be detached), as in PyTorch
    assert all(v is t for v, t in zip(sd.values(), [*m.parameters(), *m.buffers()]) if is_lazy(t))
    # the same draws from the same generator state as the eager module
    ag.manual_seed(3)
    e = eager()
    want = _arrays(e.state_dict())
    ag.manual_seed(3)
    m = lazy()
    m.eval()  # no running-statistics update, so the state dicts compare
    e.eval()
    y = m(x)
    assert type(m) is type(e) and not hasattr(m, "_initialize_hook")
    assert not m._forward_pre_hooks
    assert repr(m) == repr(e)
    got = _arrays(m.state_dict())
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])
    assert all(type(p) is nn.Parameter for p in m.parameters())
    np.testing.assert_allclose(y.detach().numpy(), e(x).detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", list(SPECS))
def test_load_state_dict_materializes_a_lazy_module(name):
    lazy, eager, shape = SPECS[name]
    e = eager()
    m = lazy()
    result = m.load_state_dict(e.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    assert not m.has_uninitialized_params() and isinstance(m, LazyModuleMixin)
    for k, v in _arrays(e.state_dict()).items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v)
    x = _x(shape)
    e.eval()
    m.eval()
    np.testing.assert_allclose(m(x).detach().numpy(), e(x).detach().numpy(), rtol=1e-6)
    assert type(m) is type(e)
    # an uninitialized state dict into a lazy module: nothing happens; into an eager one:
    # PyTorch's shape error
    m2 = lazy()
    assert not m2.load_state_dict(lazy().state_dict()).missing_keys
    assert m2.has_uninitialized_params()
    with pytest.raises(RuntimeError, match=_SHAPE_ERR):
        eager().load_state_dict(lazy().state_dict())


def test_uninitialized_parameter_refuses_use_with_pytorchs_errors():
    m = nn.LazyLinear(3)
    w = m.weight
    assert repr(w) == "<UninitializedParameter>" and isinstance(w, nn.Parameter)
    assert w.requires_grad and w.is_leaf and w.grad is None and w.dtype == ag.float32
    assert w.ndim == 1 and tuple(w.size()) == (0,)  # PyTorch's empty placeholder
    with pytest.raises(RuntimeError, match=_SHAPE_ERR):
        w.shape  # noqa: B018
    for use in (w.numel, w.dim, w.detach, lambda: w.view(3), lambda: w.requires_grad_(False)):
        with pytest.raises(ValueError, match=_USE_ERR):
            use()
    with pytest.raises(ValueError, match=_USE_ERR):
        len(w)
    with pytest.raises(RuntimeError, match=_USE_ERR):  # an op on it fails, naming the op
        w + 1
    with pytest.raises(ValueError, match=_USE_ERR):  # as PyTorch: requires_grad_ is refused
        nn.LazyLinear(3).requires_grad_(False)
    with pytest.raises(ValueError, match=_USE_ERR):
        sum(p.numel() for p in nn.LazyLinear(3).parameters())
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized parameter"):
        w.share_memory_()


def test_materialize_turns_the_object_itself_into_a_parameter_or_tensor():
    p = UninitializedParameter(requires_grad=False, dtype=ag.float64)
    same = p
    p.materialize((2, 3))
    assert p is same and type(p) is nn.Parameter and p.shape == (2, 3)
    assert p.dtype == ag.float64 and not p.requires_grad
    b = UninitializedBuffer()
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad and b.persistent
    b.materialize((4,), dtype=ag.float64)
    assert type(b) is ag.Tensor and b.shape == (4,) and b.dtype == ag.float64
    assert not UninitializedBuffer(persistent=False).persistent
    assert repr(UninitializedBuffer(persistent=False)) == "<UninitializedBuffer>"


def test_uninitialized_buffer_assigned_to_a_module_is_a_buffer():
    m = nn.Module()
    m.a = UninitializedBuffer()
    m.b = UninitializedBuffer(persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]
    assert list(m.state_dict(keep_vars=True)) == ["a"]
    with pytest.raises(ValueError, match=_USE_ERR):  # a plain module detaches it, as PyTorch
        m.state_dict()


def test_optimizer_built_before_the_first_forward():
    """As in PyTorch, an optimizer accepts the uninitialized parameters; materializing keeps
    the objects, so the optimizer updates the real parameters."""
    ag.manual_seed(0)
    m = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    opt = optim.Adam(m.parameters(), lr=0.1)
    opt.step()  # nothing has a gradient yet: a no-op, as in PyTorch
    x = ag.randn(3, 5)
    m(x).sum().backward()
    before = [p.detach().numpy().copy() for p in m.parameters()]
    opt.step()
    after = [p.detach().numpy() for p in m.parameters()]
    assert [b.shape for b in before] == [(4, 5), (4,), (2, 4), (2,)]
    assert all(not np.array_equal(a, b) for a, b in zip(after, before))
    assert type(m[0]) is nn.Linear and type(m[2]) is nn.Linear


def test_dtype_conversion_before_the_first_forward():
    m = nn.LazyLinear(3).double()
    assert all(is_lazy(p) and p.dtype == ag.float64 for p in m.parameters())
    assert m(ag.randn(2, 4, dtype=ag.float64)).dtype == ag.float64
    assert nn.LazyLinear(3, dtype=ag.float64)(ag.randn(2, 4, dtype=ag.float64)).dtype == (
        ag.float64
    )


def test_deepcopy_and_errors_are_pytorchs():
    c = copy.deepcopy(nn.LazyLinear(3))
    assert type(c) is nn.LazyLinear and c.has_uninitialized_params()
    assert c(ag.randn(2, 4)).shape == (2, 3) and type(c) is nn.Linear
    with pytest.raises(ValueError, match=_USE_ERR):  # PyTorch cannot deepcopy the buffers
        copy.deepcopy(nn.LazyBatchNorm1d())
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(ag.randn(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        nn.LazyConv2d(4, 3)(ag.randn(5, 5))
    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented"):

        class Half(LazyModuleMixin, nn.Module):
            def forward(self, x):
                return x

        Half()(ag.randn(2))


def test_strict_false_partial_load_then_forward():
    # PyTorch's path: a load that materializes only the weight; the first forward then meets
    # a parameter that is no longer lazy
    m = nn.LazyLinear(3)
    e = nn.Linear(4, 3)
    r = m.load_state_dict({"weight": e.weight.detach()}, strict=False)
    assert r.missing_keys == ["bias"] and m.has_uninitialized_params()
    with pytest.raises(AttributeError, match="materialize"):
        m(ag.randn(2, 4))


def test_lazy_module_inside_a_container_and_its_state_dict():
    seq = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(2))
    keys = list(seq.state_dict())
    assert keys == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "3.weight",
        "3.bias",
    ]
    y = seq(ag.randn(2, 3, 6, 6))
    assert y.shape == (2, 2)
    assert [type(m).__name__ for m in seq] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]
    assert list(seq.state_dict()) == keys
    assert seq[3].in_features == 4 * 4 * 4
