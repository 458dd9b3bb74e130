"""The ``ops`` suite: forward, and forward + backward, of single ops over a few sizes.

At the tiny size (16 elements) the NumPy kernel takes well under a microsecond, so the time
is the engine's per-op overhead (dispatch, graph node, the backward walk); at the large size
(a million elements, or a 512x512 matmul) NumPy's kernels dominate and the ratio to the floor
shows whether the engine does avoidable passes over memory.

Each op is an :class:`OpSpec`: the ndgrad call, the PyTorch call, and a hand-written NumPy
forward and backward (the floor). ``fwd+bwd`` times ``out = op(*inputs);
out.backward(grad_out)`` with fresh ``.grad`` each call, against the floor's forward plus its
hand-written VJPs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._case import Case, require, torch_module

# Sizes: (label, shape) from tiny to large, per kind of op.
ELEMENTWISE_SIZES = [("16", (16,)), ("256x256", (256, 256)), ("1024x1024", (1024, 1024))]
ROWWISE_SIZES = [("4x16", (4, 16)), ("256x256", (256, 256)), ("1024x1024", (1024, 1024))]
MATMUL_SIZES = [("4x4", (4, 4)), ("64x64", (64, 64)), ("512x512", (512, 512))]
SMOKE_SIZES = {"elementwise": [("16", (16,))], "rowwise": [("4x16", (4, 16))]}
SMOKE_SIZES["matmul"] = [("4x4", (4, 4))]


# -- the NumPy floor of each op: forward, and forward + hand-written backward -------------------


def _np_add(g, a, b):
    out = a + b
    return out, None if g is None else (g, g)


def _np_mul(g, a, b):
    out = a * b
    return out, None if g is None else (g * b, g * a)


def _np_div(g, a, b):
    out = a / b
    if g is None:
        return out, None
    ga = g / b
    gb = -ga * out
    return out, (ga, gb)


def _np_exp(g, x):
    y = np.exp(x)
    return y, None if g is None else (g * y,)


def _np_log(g, x):
    return np.log(x), None if g is None else (g / x,)


def _np_tanh(g, x):
    y = np.tanh(x)
    if g is None:
        return y, None
    gx = y * y
    np.subtract(1.0, gx, out=gx)
    gx *= g
    return y, (gx,)


def _np_sigmoid(g, x):
    y = np.negative(x)
    np.exp(y, out=y)
    y += 1.0
    np.reciprocal(y, out=y)
    if g is None:
        return y, None
    gx = 1.0 - y
    gx *= y
    gx *= g
    return y, (gx,)


def _np_relu(g, x):
    if g is None:
        return np.maximum(x, 0), None
    mask = x > 0
    return x * mask, (g * mask,)


def _np_pow2(g, x):
    if g is None:
        return x * x, None
    gx = x * g
    gx *= 2.0
    return x * x, (gx,)


def _np_sum(g, x):
    return x.sum(), None if g is None else (np.full_like(x, g),)


def _np_mean(g, x):
    y = x.mean(axis=-1)
    if g is None:
        return y, None
    gx = np.empty_like(x)
    gx[...] = (g / x.shape[-1])[..., None]
    return y, (gx,)


def _np_softmax(g, x):
    y = x - x.max(axis=-1, keepdims=True)
    np.exp(y, out=y)
    y /= y.sum(axis=-1, keepdims=True)
    if g is None:
        return y, None
    gy = g * y
    gx = gy - y * gy.sum(axis=-1, keepdims=True)
    return y, (gx,)


def _np_log_softmax(g, x):
    s = x - x.max(axis=-1, keepdims=True)
    y = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
    if g is None:
        return y, None
    gx = g - np.exp(y) * g.sum(axis=-1, keepdims=True)
    return y, (gx,)


def _np_matmul(g, a, b):
    return a @ b, None if g is None else (g @ b.T, a.T @ g)


def _np_getitem(g, x):
    if g is None:
        return x[1:-1], None
    gx = np.zeros_like(x)
    gx[1:-1] = g
    return x[1:-1], (gx,)


def _np_cat(g, a, b):
    n = a.shape[0]
    return np.concatenate([a, b]), None if g is None else (g[:n], g[n:])


def _np_reshape(g, x):
    return x.reshape(-1), None if g is None else (g.reshape(x.shape),)


@dataclass
class OpSpec:
    """One op of the suite.

    ``ndgrad(A, *xs)`` and ``torch(T, *xs)`` call the op with ``A = autograd`` / ``T = torch``;
    ``floor(grad_out, *arrays)`` returns ``(out, grads)`` (``grads`` is None, and no backward
    arithmetic is done, when ``grad_out`` is None); ``n_inputs`` input arrays of the
    case's shape are drawn (positive when ``positive``); ``sizes`` is one of the size tables.
    """

    name: str
    ndgrad: Callable
    torch: Callable
    floor: Callable
    n_inputs: int = 1
    sizes: str = "elementwise"
    positive: bool = False


OPS = [
    OpSpec("add", lambda A, a, b: a + b, lambda T, a, b: a + b, _np_add, 2),
    OpSpec("mul", lambda A, a, b: a * b, lambda T, a, b: a * b, _np_mul, 2),
    OpSpec("div", lambda A, a, b: a / b, lambda T, a, b: a / b, _np_div, 2, positive=True),
    OpSpec("exp", lambda A, x: A.exp(x), lambda T, x: T.exp(x), _np_exp),
    OpSpec("log", lambda A, x: A.log(x), lambda T, x: T.log(x), _np_log, positive=True),
    OpSpec("tanh", lambda A, x: A.tanh(x), lambda T, x: T.tanh(x), _np_tanh),
    OpSpec("sigmoid", lambda A, x: A.sigmoid(x), lambda T, x: T.sigmoid(x), _np_sigmoid),
    OpSpec("relu", lambda A, x: A.relu(x), lambda T, x: T.relu(x), _np_relu),
    OpSpec("pow2", lambda A, x: x**2, lambda T, x: x**2, _np_pow2),
    OpSpec("sum", lambda A, x: A.sum(x), lambda T, x: T.sum(x), _np_sum),
    OpSpec(
        "mean-last", lambda A, x: A.mean(x, -1), lambda T, x: T.mean(x, -1), _np_mean, 1, "rowwise"
    ),
    OpSpec(
        "softmax",
        lambda A, x: A.softmax(x, -1),
        lambda T, x: T.softmax(x, -1),
        _np_softmax,
        1,
        "rowwise",
    ),
    OpSpec(
        "log_softmax",
        lambda A, x: A.log_softmax(x, -1),
        lambda T, x: T.log_softmax(x, -1),
        _np_log_softmax,
        1,
        "rowwise",
    ),
    OpSpec("matmul", lambda A, a, b: a @ b, lambda T, a, b: a @ b, _np_matmul, 2, "matmul"),
    OpSpec("getitem", lambda A, x: x[1:-1], lambda T, x: x[1:-1], _np_getitem),
    OpSpec(
        "cat", lambda A, a, b: A.cat([a, b]), lambda T, a, b: T.cat([a, b]), _np_cat, 2, "rowwise"
    ),
    OpSpec("reshape", lambda A, x: x.reshape(-1), lambda T, x: x.reshape(-1), _np_reshape, 1),
]

_SIZE_TABLES = {
    "elementwise": ELEMENTWISE_SIZES,
    "rowwise": ROWWISE_SIZES,
    "matmul": MATMUL_SIZES,
}


def _arrays(spec: OpSpec, shape, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = []
    for _ in range(spec.n_inputs):
        if spec.positive:
            a = rng.uniform(0.5, 2.0, size=shape)
        else:
            a = rng.standard_normal(shape)
        xs.append(a.astype(np.float32))
    return xs


def _grad_out(spec: OpSpec, xs):
    """A random gradient of the output's shape (fixed seed)."""
    out, _ = spec.floor(None, *xs)
    return np.random.default_rng(1).standard_normal(np.shape(out)).astype(np.float32)


def _ndgrad_setup(spec: OpSpec, shape, backward: bool):
    def setup():
        A = require("autograd", "tensor", "Tensor")
        xs = [A.tensor(a, requires_grad=backward) for a in _arrays(spec, shape)]
        if not backward:
            return lambda: spec.ndgrad(A, *xs)
        g = A.tensor(_grad_out(spec, _arrays(spec, shape)))
        f = spec.ndgrad

        def fwd_bwd():
            for x in xs:
                x.grad = None
            f(A, *xs).backward(g)

        return fwd_bwd

    return setup


def _torch_setup(spec: OpSpec, shape, backward: bool):
    def setup():
        T = torch_module()
        xs = [T.tensor(a, requires_grad=backward) for a in _arrays(spec, shape)]
        if not backward:
            return lambda: spec.torch(T, *xs)
        g = T.tensor(_grad_out(spec, _arrays(spec, shape)))
        f = spec.torch

        def fwd_bwd():
            for x in xs:
                x.grad = None
            f(T, *xs).backward(g)

        return fwd_bwd

    return setup


def _floor_setup(spec: OpSpec, shape, backward: bool):
    def setup():
        xs = _arrays(spec, shape)
        g = _grad_out(spec, xs) if backward else None
        f = spec.floor
        return lambda: f(g, *xs)

    return setup


def cases(size: str = "full") -> list:
    """The suite's cases; ``size="smoke"`` keeps only the tiny size of each op."""
    out = []
    for spec in OPS:
        sizes = SMOKE_SIZES[spec.sizes] if size == "smoke" else _SIZE_TABLES[spec.sizes]
        for label, shape in sizes:
            for mode, backward in (("fwd", False), ("fwd+bwd", True)):
                out.append(
                    Case(
                        suite="ops",
                        name=f"{spec.name}/{label}",
                        mode=mode,
                        setups={
                            "ndgrad": _ndgrad_setup(spec, shape, backward),
                            "numpy": _floor_setup(spec, shape, backward),
                            "torch": _torch_setup(spec, shape, backward),
                        },
                        description=f"{spec.name} on {label} float32",
                    )
                )
    return out
