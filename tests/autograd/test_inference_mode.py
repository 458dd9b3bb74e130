"""Inference tensors behave as PyTorch's (NOTE [ Inference tensors ] in tensor.py): made in
``inference_mode``, they cannot be saved for backward, modified in place or set to require grad
outside it. Messages are PyTorch 2.13's, checked by running the same lines there."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd as ag
from autograd import nn

SAVE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`."
)
INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
REQUIRES_GRAD = (
    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
)
INFERENCE_VIEW = (
    "A view was created in inference mode and is being modified inplace in normal mode. Given "
    "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the inference_mode block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace to "
    "be tracked)."
)


def raises(msg):
    return pytest.raises(RuntimeError, match="^" + __import__("re").escape(msg) + "$")


def test_what_is_an_inference_tensor():
    x = ag.ones(3, requires_grad=True)
    y = ag.ones(3)
    with ag.inference_mode():
        a = ag.ones(3)  # a factory
        b = a * 2  # an op
        c = x * 2  # an op on a tensor that requires grad: not recorded
        d = ag.tensor([1.0, 2.0])
        yv = y[:2]  # a view of a normal tensor stays normal
        yc = y * 1
    assert a.is_inference() and b.is_inference() and c.is_inference() and d.is_inference()
    assert not c.requires_grad and c.grad_fn is None
    assert not yv.is_inference() and yv._base is y
    assert yc.is_inference()
    assert a.view(3).is_inference() and a[0].is_inference() and a.detach().is_inference()
    assert a.data.is_inference()
    assert not a.clone().is_inference()  # made outside: normal
    assert not (a + 1).is_inference() and not ag.exp(a).is_inference()
    with ag.no_grad():
        assert not ag.ones(3).is_inference()
    assert not ag.ones(3).is_inference()


def test_saving_an_inference_tensor_for_backward_raises():
    with ag.inference_mode():
        a = ag.ones(3)
    x = ag.ones(3, requires_grad=True)
    with raises(SAVE):
        x * a
    with raises(SAVE):
        a * x
    with raises(SAVE):
        x @ a
    # not saved (add's VJP reads no value): allowed, as in PyTorch
    assert (x + a).grad_fn.name() == "AddBackward0"
    (x.exp() + a).sum().backward()
    with ag.no_grad():
        x * a  # nothing recorded


def test_requires_grad_on_an_inference_tensor():
    with ag.inference_mode():
        a = ag.ones(3)
        b = ag.ones(3)
        b.requires_grad_()  # inside: allowed
        c = ag.ones(2, requires_grad=True)
    assert b.requires_grad and c.requires_grad and c.is_inference()
    with raises(REQUIRES_GRAD):
        a.requires_grad_()
    with raises(REQUIRES_GRAD):
        a.requires_grad = True
    with raises(REQUIRES_GRAD):
        nn.Parameter(a)
    a.requires_grad_(False)


def test_in_place_update_of_an_inference_tensor():
    with ag.inference_mode():
        a = ag.ones(3)
    for update in (
        lambda: a.add_(1),
        lambda: a.mul_(ag.ones(3)),
        lambda: a.zero_(),
        lambda: a.fill_(2.0),
        lambda: a.copy_(ag.ones(3)),
        lambda: a.__setitem__(0, 5.0),
        lambda: a[1:].add_(1),
        lambda: a.normal_(),
    ):
        with raises(INPLACE):
            update()
        with ag.no_grad(), raises(INPLACE):  # no_grad does not help
            update()
    np.testing.assert_array_equal(a.numpy(), [1.0, 1.0, 1.0])
    with ag.inference_mode():
        a.add_(1)  # inside: allowed
        a[0] = 7.0
    np.testing.assert_array_equal(a.numpy(), [7.0, 2.0, 2.0])


def test_version_counter_of_an_inference_tensor():
    with ag.inference_mode():
        a = ag.ones(3)
    with raises("Inference tensors do not track version counter."):
        _ = a._version
    with raises("Inference tensors do not track version counter."):
        _ = a.view(3)._version


def test_data_of_an_inference_tensor():
    # PyTorch gives ``t.data`` a version counter of its own: it may be updated in place, but
    # it is still an inference tensor, which cannot be saved, and its views have no counter
    with ag.inference_mode():
        a = ag.ones(3)
    d = a.data
    assert d.is_inference() and d._version == 0
    d.add_(1)
    assert d._version == 1
    d.data.add_(1)
    d.detach().add_(1)
    np.testing.assert_array_equal(a.numpy(), [4.0, 4.0, 4.0])
    with raises(INPLACE):
        d[0].add_(1)
    with raises(SAVE):
        ag.ones(3, requires_grad=True) * d


def test_views_of_normal_tensors_made_in_inference_mode():
    y = ag.ones(3)
    x = ag.ones(2, 3, requires_grad=True)
    z = x * 1
    with ag.inference_mode():
        yv = y[:2]
        xv = x[0]
        zv = z[:1]
    yv.add_(1)  # nothing requires grad: allowed, and y sees it
    assert y._version == 1
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0, 1.0])
    with raises(INFERENCE_VIEW):
        zv.add_(1)
    with raises(INFERENCE_VIEW):
        xv.add_(1)
    with raises(INFERENCE_VIEW):
        yv.add_(ag.ones(2, requires_grad=True))
    with ag.no_grad():
        zv.add_(1)  # not recorded: allowed


def test_inference_mode_false_and_nesting():
    with ag.no_grad():
        with ag.inference_mode(False):
            assert ag.is_grad_enabled() and not ag.is_inference_mode_enabled()
    with ag.inference_mode():
        a = ag.ones(3)
        with ag.inference_mode(False):
            assert ag.is_grad_enabled() and not ag.is_inference_mode_enabled()
            x = ag.ones(3, requires_grad=True)
            e = x * 2
            assert not e.is_inference() and e.requires_grad
            with raises(SAVE):
                x * a
        assert ag.is_inference_mode_enabled() and not ag.is_grad_enabled()
        with ag.enable_grad():
            r = x * 2  # nothing is recorded in inference mode
            assert ag.is_grad_enabled() and not r.requires_grad and r.is_inference()
    assert ag.is_grad_enabled() and not ag.is_inference_mode_enabled()


def test_inference_mode_as_decorator_and_per_thread():
    @ag.inference_mode()
    def f():
        return ag.ones(2) * 3

    assert f().is_inference()
    seen = []
    with ag.inference_mode():
        t = threading.Thread(target=lambda: seen.append(ag.ones(1).is_inference()))
        t.start()
        t.join()
    assert seen == [False]


def test_profiler_and_anomaly_inside_inference_mode():
    with ag.autograd.profiler.profile() as prof, ag.inference_mode():
        a = ag.ones(3) * 2
    assert a.is_inference()
    assert any(e.name == "mul" for e in prof.function_events)
    with ag.detect_anomaly(), ag.inference_mode():
        b = ag.ones(3).exp()
    assert b.is_inference()
