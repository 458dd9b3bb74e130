"""A graph lets go of its activations once backward has run (issue 11, memory).

After ``loss.backward()`` without ``retain_graph``, every node whose VJP ran has dropped its saved
values, its output and any array argument, even while the user still holds ``loss`` (as in
``losses.append(loss)``); the nodes themselves stay, so ``grad_fn`` and ``next_functions`` can
still be inspected, as in PyTorch.
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

MiB = 1 << 20


class _Scale(ag.Function):
    """A custom Function that saves an intermediate (its input) and its own output."""

    @staticmethod
    def forward(ctx, x):
        y = x * 0.5
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * 0.5 + 0 * x + 0 * y


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_backward_frees_activations_while_loss_is_held():
    ag.manual_seed(0)
    # Activations: four (4096, 1024) float32 arrays of 16 MiB (Linear, Tanh, the dropout mask and
    # its product, ReLU, the custom Function's output) -- over 50 MB; parameters are small.
    model = nn.Sequential(
        nn.Linear(32, 1024), nn.Tanh(), nn.Dropout(0.1), nn.ReLU(), nn.Linear(1024, 10)
    )
    x = ag.randn(4096, 32)
    y = ag.randint(0, 10, (4096,))
    params = list(model.parameters())
    tracemalloc.start()
    try:
        before = _traced()
        h = model[0](x)
        h = _Scale.apply(h)
        loss = F.cross_entropy(model[1:](h), y)
        del h
        during = _traced() - before
        loss.backward()
        losses = [loss]  # the user keeps the loss (and so its whole node graph)
        after = _traced() - before
    finally:
        tracemalloc.stop()
    grads = sum(p.grad.numpy().nbytes for p in params)
    assert during > 50e6, during  # the test measures what it claims
    assert after <= grads + MiB, (
        f"{(after - grads) / MiB:.1f} MiB still held after backward (forward held "
        f"{during / MiB:.1f} MiB)"
    )
    # The node graph itself is still there to inspect, as in PyTorch.
    fn = losses[0].grad_fn
    assert fn is not None and fn.name()
    names = []
    while fn is not None:
        names.append(fn.name())
        nxt = [f for f, _ in fn.next_functions if f is not None and f.name() != "AccumulateGrad"]
        fn = nxt[0] if nxt else None
    assert "_ScaleBackward" in names and "TanhBackward0" in names
    assert any(f.name() == "AccumulateGrad" for f, _ in model_first_node(loss).next_functions if f)


def model_first_node(loss):
    """The first Linear's node: the last one reached walking down the first inputs."""
    fn = loss.grad_fn
    while True:
        nxt = [f for f, _ in fn.next_functions if f is not None and f.name() != "AccumulateGrad"]
        if not nxt:
            return fn
        fn = nxt[0]


def test_array_arguments_are_released_and_reuse_raises():
    """An index array held by a node (no saved tensor) is dropped too; walking the node again
    then raises the freed-graph error, as PyTorch's IndexBackward does."""
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[np.array([0, 2, 2])].sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 2.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_nodes_that_hold_nothing_can_run_again():
    """As in PyTorch, a graph whose nodes saved nothing can be walked twice."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_custom_function_saved_tensors_are_freed():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = _Scale.apply(x * 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.5])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_retain_graph_keeps_everything():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x)[np.array([1, 0])].sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)
