"""``out=`` on the public functions (NOTE [ out= ] in ``ops/_registry.py``) and ``grad_fn`` names
as PyTorch 2.13 shows them for the same operation (``Op(node_name=...)``)."""

from __future__ import annotations

import warnings

import autograd.nn as nn
import autograd.nn.functional as F
import numpy as np
import pytest

import autograd as torch


# -- out= ----------------------------------------------------------------------------------------
def test_out_is_written_in_place_and_returned():
    a, b = torch.randn(2, 3), torch.randn(3, 4)
    y = torch.empty(2, 4)
    assert torch.matmul(a, b, out=y) is y
    np.testing.assert_allclose(y.numpy(), a.numpy() @ b.numpy(), rtol=1e-6)
    z = torch.zeros(3)
    view = z[:2]
    assert torch.mul(torch.ones(3), 2, out=z) is z
    np.testing.assert_array_equal(view.numpy(), [2.0, 2.0])  # same memory, not a new array
    assert torch.add(torch.ones(3), torch.ones(3), alpha=3, out=z) is z
    np.testing.assert_array_equal(z.numpy(), [4.0, 4.0, 4.0])
    s = torch.zeros(())
    torch.sum(torch.ones(2, 3), out=s)
    assert s.item() == 6.0


def test_out_of_another_shape_is_resized_with_a_warning_unless_empty():
    z = torch.zeros(2)
    with pytest.warns(UserWarning, match="was resized"):
        torch.mul(torch.ones(3), 2, out=z)
    assert z.shape == (3,)
    e = torch.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.matmul(torch.ones(2, 3), torch.ones(3, 4), out=e)
    assert e.shape == (2, 4)


def test_out_dtype_rules():
    d = torch.zeros(3, dtype=torch.float64)
    torch.add(torch.ones(3), 1, out=d)  # float32 into float64: cast
    assert d.dtype == torch.float64 and d.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        torch.add(torch.ones(3), 1.5, out=torch.zeros(3, dtype=torch.int64))


def test_out_refuses_autograd_in_grad_mode():
    a = torch.ones(3, requires_grad=True)
    y = torch.empty(3)
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments"):
        torch.add(a, 1, out=y)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        torch.add(torch.ones(3), 1, out=torch.zeros(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        torch.cat([a, a], out=torch.empty(6))
    with torch.no_grad():
        torch.add(a, 1, out=y)
    assert y.tolist() == [2.0, 2.0, 2.0]


def test_tuple_results_take_a_tuple_of_outs():
    v, i = torch.zeros(2), torch.zeros(2, dtype=torch.int64)
    torch.sort(torch.tensor([3.0, 1.0]), out=(v, i))
    assert v.tolist() == [1.0, 3.0] and i.tolist() == [1, 0]
    with pytest.raises(TypeError, match="tuple of 2 Tensors"):
        torch.sort(torch.tensor([3.0, 1.0]), out=torch.zeros(2))
    with pytest.raises(TypeError, match="must be Tensor"):
        torch.exp(torch.ones(2), out=np.zeros(2))


def test_methods_and_operators_take_no_out_path():
    from autograd.ops._registry import PUBLIC

    # methods are the declared ops themselves (no wrapper on their hot path)
    assert torch.Tensor.add is PUBLIC["add"].fn and torch.Tensor.exp is PUBLIC["exp"].fn
    assert torch.add.__wrapped__ is PUBLIC["add"].fn


# -- grad_fn names ---------------------------------------------------------------------------------
def _x(*shape):
    return torch.randn(*shape, requires_grad=True)


NAMES = [
    (lambda: _x(4, 3) + _x(4, 3), "AddBackward0"),
    (lambda: _x(4, 3) * _x(4, 3), "MulBackward0"),
    (lambda: _x(4, 3) - 1, "SubBackward0"),
    (lambda: 1 - _x(4, 3), "RsubBackward1"),
    (lambda: _x(4, 3) @ _x(3, 5), "MmBackward0"),
    (lambda: torch.mm(_x(4, 3), _x(3, 5)), "MmBackward0"),
    (lambda: _x(4, 3) @ _x(3), "MvBackward0"),
    (lambda: _x(3) @ _x(3), "DotBackward0"),
    (lambda: torch.bmm(_x(2, 4, 3), _x(2, 3, 5)), "BmmBackward0"),
    (lambda: _x(4, 3).sum(), "SumBackward0"),
    (lambda: _x(4, 3).sum(1), "SumBackward1"),
    (lambda: _x(4, 3).mean(), "MeanBackward0"),
    (lambda: _x(4, 3).mean(0), "MeanBackward1"),
    (lambda: ((_x(4, 3) - 1) ** 2).mean(), "MeanBackward0"),
    (lambda: torch.relu(_x(4, 3)), "ReluBackward0"),
    (lambda: F.relu(_x(4, 3)), "ReluBackward0"),
    (lambda: nn.Linear(3, 2)(_x(4, 3)), "AddmmBackward0"),
    (lambda: nn.Linear(3, 2, bias=False)(_x(4, 3)), "MmBackward0"),
    (lambda: F.cross_entropy(_x(4, 3), torch.tensor([0, 2, 1, 1])), "NllLossBackward0"),
    (
        lambda: F.cross_entropy(_x(4, 3), torch.tensor([0, 2, 1, 1]), reduction="sum"),
        "NllLossBackward0",
    ),
    (lambda: _x(4, 3) ** 2, "PowBackward0"),
    (lambda: torch.pow(_x(4, 3), _x(4, 3)), "PowBackward1"),
    (lambda: 2 ** _x(4, 3), "PowBackward2"),
    (lambda: _x(4, 3).view(12), "ViewBackward0"),
    (lambda: _x(4, 3).reshape(12), "ViewBackward0"),
    (lambda: _x(2, 3, 4).flatten(1), "ViewBackward0"),
    (lambda: _x(4, 3).unsqueeze(0), "UnsqueezeBackward0"),
    (lambda: _x(4, 3).transpose(0, 1), "TransposeBackward0"),
    (lambda: _x(2, 3, 4).transpose(1, 2), "TransposeBackward0"),
    (lambda: _x(2, 3, 4).permute(2, 0, 1), "PermuteBackward0"),
    (lambda: _x(4, 3)[0], "SelectBackward0"),
    (lambda: _x(4, 3)[:, 1:], "SliceBackward0"),
    (lambda: _x(2, 3, 4)[0, 1:], "SliceBackward0"),
    (lambda: _x(2, 3, 4)[..., 0], "SelectBackward0"),
    (lambda: _x(4, 3)[None], "UnsqueezeBackward0"),
    (lambda: _x(4, 3)[torch.tensor([0, 2])], "IndexBackward0"),
    (lambda: _x(3).expand(4, 3), "ExpandBackward0"),
    (lambda: _x(4, 3).to(torch.float64), "ToCopyBackward0"),
    (lambda: _x(4, 3).clamp(0, 1), "ClampBackward1"),
    (lambda: _x(4, 3).norm(), "LinalgVectorNormBackward0"),
    (lambda: nn.Conv2d(3, 4, 3)(_x(2, 3, 8, 8)), "ConvolutionBackward0"),
    (lambda: F.avg_pool2d(_x(2, 3, 8, 8), 2), "AvgPool2DBackward0"),
    (lambda: F.softmax(_x(4, 3), 1), "SoftmaxBackward0"),
    (lambda: F.log_softmax(_x(4, 3), 1), "LogSoftmaxBackward0"),
    (lambda: _x(4, 3).exp(), "ExpBackward0"),
    (lambda: _x(4, 3).tanh(), "TanhBackward0"),
    (lambda: _x(4, 3).sigmoid(), "SigmoidBackward0"),
    (lambda: torch.cat([_x(4, 3), _x(4, 3)]), "CatBackward0"),
    (lambda: torch.stack([_x(4, 3), _x(4, 3)]), "StackBackward0"),
    (lambda: _x(4, 3).clone(), "CloneBackward0"),
]


@pytest.mark.parametrize(("make", "name"), NAMES, ids=[n for _, n in NAMES])
def test_grad_fn_names_match_pytorch(make, name):
    t = make()
    assert t.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(t)


def test_cross_entropy_values_and_gradients_are_unchanged_by_the_fused_reduction():
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0, 3, -100, 1, 1])
    w = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)
    for kw in ({}, {"weight": w}, {"label_smoothing": 0.2}, {"weight": w, "reduction": "sum"}):
        loss = F.cross_entropy(x, t, **kw)
        per = F.cross_entropy(x, t, **{**kw, "reduction": "none"})
        keep = (t != -100).numpy()
        if kw.get("reduction") == "sum":
            ref = per.sum()
        else:
            tw = w.numpy()[np.where(keep, t.numpy(), 0)] if "weight" in kw else np.ones(5)
            ref = per.sum() / float(tw[keep].sum())
        np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12)
        (g,) = torch.grad(loss, x)
        (g_ref,) = torch.grad(ref, x)
        np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=1e-12, atol=1e-15)
        assert torch.gradcheck(lambda a, kw=kw: F.cross_entropy(a, t, **kw), (x,))
        assert torch.gradgradcheck(lambda a, kw=kw: F.cross_entropy(a, t, **kw), (x,))
