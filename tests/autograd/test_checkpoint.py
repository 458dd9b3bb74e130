"""autograd.utils.checkpoint: same gradients as without it, same dropout masks in the
recompute, intermediate values not kept."""

from __future__ import annotations

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd.utils.checkpoint import checkpoint, checkpoint_sequential


def _params(n_layers, width, seed=0):
    rng = np.random.default_rng(seed)
    return [
        ag.tensor(rng.standard_normal((width, width)) / np.sqrt(width), requires_grad=True)
        for _ in range(n_layers)
    ]


def _block(ws):
    def f(x):
        for w in ws:
            x = ag.tanh(x @ w)
        return x

    return f


def _layer(w):
    return lambda h: ag.tanh(h @ w)


def _grads(loss, tensors):
    return [g.numpy().copy() for g in ag.grad(loss, tensors)]


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradients_equal_plain(use_reentrant):
    ws = _params(3, 4)
    x = ag.tensor(np.random.default_rng(1).standard_normal((5, 4)), requires_grad=True)
    f = _block(ws)
    ref = _grads((f(x) ** 2).sum(), [x, *ws])
    y = checkpoint(f, x, use_reentrant=use_reentrant)
    assert y.grad_fn is not None
    got = _grads((y**2).sum(), [x, *ws])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # .backward() accumulates into the parameters the segment closes over
    for w in ws:
        w.grad = None
    (checkpoint(f, x, use_reentrant=use_reentrant) ** 2).sum().backward()
    for w, b in zip(ws, ref[1:]):
        np.testing.assert_allclose(w.grad.numpy(), b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("leaf", [True, False])
def test_second_order_through_checkpoint(leaf):
    ws = _params(2, 3)
    x0 = ag.tensor(np.random.default_rng(2).standard_normal((2, 3)), requires_grad=True)
    x = x0 if leaf else x0 * 1.5  # a non-leaf argument: the second order must reach x0
    f = _block(ws)
    (gx,) = ag.grad(f(x).sum(), [x], create_graph=True)
    ref = _grads((gx**2).sum(), [x0, ws[0]])
    (gx,) = ag.grad(checkpoint(f, x, use_reentrant=False).sum(), [x], create_graph=True)
    got = _grads((gx**2).sum(), [x0, ws[0]])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_tuple_outputs_kwargs_and_non_tensor_args():
    w = _params(1, 3)[0]
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)

    def f(a, scale, *, shift):
        h = a @ w
        return h * scale + shift, h.sum(), "tag"

    out = checkpoint(f, x, 2.0, use_reentrant=False, shift=1.0)
    assert out[2] == "tag"
    gx, gw = ag.grad(out[0].sum() + out[1], [x, w])
    h = x @ w
    rgx, rgw = ag.grad((h * 2.0 + 1.0).sum() + h.sum(), [x, w])
    np.testing.assert_allclose(gx.numpy(), rgx.numpy())
    np.testing.assert_allclose(gw.numpy(), rgw.numpy())
    with pytest.raises(ValueError, match="Unexpected keyword arguments: shift"):
        checkpoint(f, x, 2.0, use_reentrant=True, shift=1.0)


def _dropout_block(w):
    def f(x):
        h = ag.tanh(x @ w)
        mask = (ag.rand(*h.shape, dtype=h.dtype) > 0.5).to(h.dtype)
        return h * mask * 2.0

    return f


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_dropout_masks_match_in_the_recompute(use_reentrant):
    w = _params(1, 6)[0]
    x = ag.tensor(np.random.default_rng(3).standard_normal((4, 6)), requires_grad=True)
    f = _dropout_block(w)
    ag.manual_seed(11)
    ref = _grads((f(x) ** 2).sum(), [x, w])
    ag.manual_seed(11)
    y = checkpoint(f, x, use_reentrant=use_reentrant)
    after_forward = ag.get_rng_state()
    got = _grads((y**2).sum(), [x, w])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # backward leaves the generator where the forward left it
    assert ag.get_rng_state() == after_forward


def test_without_preserved_rng_state_the_masks_differ():
    w = _params(1, 6)[0]
    x = ag.tensor(np.random.default_rng(3).standard_normal((4, 6)), requires_grad=True)
    f = _dropout_block(w)
    ag.manual_seed(11)
    ref = _grads((f(x) ** 2).sum(), [x, w])
    ag.manual_seed(11)
    y = checkpoint(f, x, use_reentrant=False, preserve_rng_state=False)
    got = _grads((y**2).sum(), [x, w])
    assert not np.allclose(got[0], ref[0])


def test_warnings_and_modes():
    x = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(ag.sin, x)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(ag.sin, x.detach(), use_reentrant=True)
    assert not y.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ag.no_grad():
            assert checkpoint(ag.sin, x, use_reentrant=False).grad_fn is None


def test_non_leaf_tensor_from_outside_is_an_error():
    w = ag.tensor(np.ones((2, 2)), requires_grad=True)
    h = w * 2  # non-leaf, made before the segment
    x = ag.tensor(np.ones((1, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="pass that tensor to checkpoint as an argument"):
        checkpoint(lambda a: a @ h, x, use_reentrant=False)
    # as an argument it works
    y = checkpoint(lambda a, b: a @ b, x, h, use_reentrant=False)
    (gw,) = ag.grad(y.sum(), [w])
    np.testing.assert_allclose(gw.numpy(), np.full((2, 2), 2.0))


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_sequential_matches(use_reentrant):
    ws = _params(6, 4)
    layers = [_layer(w) for w in ws]
    x = ag.tensor(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    ref = _grads(_block(ws)(x).sum(), [x, *ws])
    y = checkpoint_sequential(layers, 3, x, use_reentrant=use_reentrant)
    got = _grads(y.sum(), [x, *ws])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def _retained_after_forward(run):
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = run()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return kept, out


def test_intermediates_are_not_kept():
    n_layers, segments, width, batch = 32, 6, 64, 256  # each activation: 128 KiB in float64
    ws = _params(n_layers, width)
    x = ag.tensor(np.random.default_rng(5).standard_normal((batch, width)), requires_grad=True)
    plain, y_plain = _retained_after_forward(lambda: _block(ws)(x))
    ckpt, y_ckpt = _retained_after_forward(
        lambda: checkpoint_sequential([_layer(w) for w in ws], segments, x, use_reentrant=False)
    )
    act = batch * width * 8
    # plain keeps at least one activation per layer (what tanh's and matmul's VJPs read)
    assert plain > 0.95 * n_layers * act
    # checkpointed: the 5 segment outputs, plus the last, un-checkpointed segment's 7 layers
    kept = (segments - 1) + (n_layers - (segments - 1) * (n_layers // segments))
    assert ckpt < (kept + 1) * act, (ckpt / act, plain / act)
    ref = _grads(y_plain.sum(), [x, *ws])
    got = _grads(y_ckpt.sum(), [x, *ws])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
