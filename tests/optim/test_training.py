"""End to end: a small MLP on a fixed synthetic dataset, trained with SGD+momentum, Adam and
AdamW, reaches a low loss."""

import numpy as np
import pytest

import autograd
import optim


def spirals(n=300, seed=0):
    """Three interleaved spiral arms in 2-D (float32 inputs, int labels)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, n)
    label = rng.integers(0, 3, n)
    angle = label * 2 * np.pi / 3 + 3.0 * t + rng.normal(0, 0.1, n)
    x = np.stack([2 * t * np.cos(angle), 2 * t * np.sin(angle)], 1).astype(np.float32)
    return x, label


def mlp_params(seed=0):
    """A 2-32-32-3 MLP: weights (out, in) scaled by 1/sqrt(fan_in), zero biases."""
    gen = autograd.Generator().manual_seed(seed)
    params = []
    for fan_in, fan_out in [(2, 32), (32, 32), (32, 3)]:
        w = autograd.randn(fan_out, fan_in, generator=gen) * (1.0 / np.sqrt(fan_in))
        params += [w.requires_grad_(), autograd.zeros(fan_out, requires_grad=True)]
    return params


def forward(params, x):
    w1, b1, w2, b2, w3, b3 = params
    h = (x @ w1.T + b1).tanh()
    h = (h @ w2.T + b2).tanh()
    return h @ w3.T + b3


def cross_entropy(logits, onehot):
    return -(onehot * autograd.log_softmax(logits, 1)).sum(1).mean()


RUNS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adam, dict(lr=0.01)),
    (optim.AdamW, dict(lr=0.01, weight_decay=1e-2)),
]


@pytest.mark.parametrize("cls,kw", RUNS, ids=[r[0].__name__ for r in RUNS])
def test_mlp_reaches_low_loss(cls, kw):
    x, label = spirals()
    inputs = autograd.tensor(x)
    onehot = autograd.tensor(np.eye(3, dtype=np.float32)[label])
    params = mlp_params()
    opt = cls(params, **kw)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = cross_entropy(forward(params, inputs), onehot)
        loss.backward()
        opt.step()
        first = float(loss) if first is None else first
    with autograd.no_grad():
        logits = forward(params, inputs)
        final = float(cross_entropy(logits, onehot))
    assert first > 1.0
    assert final < 0.03, final
    assert (logits.numpy().argmax(1) == label).mean() >= 0.99
    assert all(p.dtype == autograd.float32 for p in params)


def test_mlp_with_a_scheduler_and_nn_parameters():
    """Parameters as ``nn.Parameter`` (a Tensor subclass), Adam under OneCycleLR."""
    import nn

    x, label = spirals()
    inputs = autograd.tensor(x)
    onehot = autograd.tensor(np.eye(3, dtype=np.float32)[label])
    params = [nn.Parameter(p.detach()) for p in mlp_params(1)]
    opt = optim.Adam(params, lr=0.01)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.03, total_steps=300)
    for _ in range(300):
        opt.zero_grad()
        loss = cross_entropy(forward(params, inputs), onehot)
        loss.backward()
        opt.step()
        sched.step()
    assert float(loss) < 0.03
    assert all(type(p) is nn.Parameter for p in opt.param_groups[0]["params"])
