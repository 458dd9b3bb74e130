"""The ``steps`` suite: whole training steps, ndgrad against its NumPy floor and PyTorch.

A step is ``optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward();
optimizer.step()`` on a fixed batch; its floor (``benchmarks/floors.py``) computes the same
loss, gradients and update by hand. All three engines start from the same weights (PyTorch's
default initialisation, drawn once with NumPy) and see the same batch.

The cases and their targets (ratio to the floor) are those of the issue:

=================  ==========================================================  ======
case               what                                                         target
=================  ==========================================================  ======
mlp-adam           MLP 784-128-64-10 (ReLU), cross-entropy, Adam, batch 64        1.3x
mlp-sgd            MLP 784-1024-1024-10 (ReLU), cross-entropy, SGD momentum,      1.1x
                   batch 256 (BLAS-bound)
cnn                Conv(1,16,3)-ReLU-Pool-Conv(16,32,3)-ReLU-Pool-Linear(1568,    1.3x
                   10) on 1x28x28, cross-entropy, SGD momentum, batch 32
lstm               LSTM(32, 64) over 20 steps, batch 16, MSE on the outputs, Adam  1.3x
sin-fit            MLP 1-32-1 (tanh) fitting sin(x), MSE, SGD momentum, batch 64  2.0x
chain100           100 elementwise ops on a (16,) tensor, forward + backward      2.0x
=================  ==========================================================  ======
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import floors
from ._case import Case, require, torch_module

# -- shared set-up --------------------------------------------------------------------------------


def _uniform(rng, bound, shape):
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def linear_params(dims, rng, stride: int = 2, first: int = 0) -> dict:
    """PyTorch's default Linear initialisation, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for
    weight and bias, named as a Sequential with activations between the Linears names them."""
    p = {}
    for i, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:])):
        bound = 1.0 / math.sqrt(n_in)
        k = first + stride * i
        p[f"{k}.weight"] = _uniform(rng, bound, (n_out, n_in))
        p[f"{k}.bias"] = _uniform(rng, bound, (n_out,))
    return p


def _copy(params: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in params.items()}


class Runner:
    """One engine's step on its own copy of the weights: ``step()`` is what is timed;
    ``result()`` gives ``(loss, grads, params)`` as NumPy after the last step."""

    def step(self):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError


class FloorRunner(Runner):
    def __init__(self, impl, x, y):
        self.impl, self.x, self.y = impl, x, y

    def step(self):
        return self.impl.step(self.x, self.y)

    def result(self):
        return float(self.impl.loss), dict(self.impl.grads), _copy(self.impl.params)


class ModelRunner(Runner):
    """ndgrad or PyTorch: ``lib`` is ``autograd`` or ``torch``; ``loss_of(model, x, y)``."""

    def __init__(self, lib, model, opt, loss_of, x, y):
        self.lib, self.model, self.opt, self.loss_of = lib, model, opt, loss_of
        self.x, self.y = x, y
        self.loss = None
        self.forward = lambda x, y: loss_of(model, x, y)

    def compile(self):
        """Run the forward and the loss under ``autograd.compile`` (the ``compiled`` column)."""
        self.forward = self.lib.compile(self.forward)
        return self

    def step(self):
        opt = self.opt
        opt.zero_grad()
        loss = self.forward(self.x, self.y)
        loss.backward()
        opt.step()
        self.loss = loss
        return loss

    def result(self):
        grads = {
            k: np.array(p.grad.detach().numpy(), copy=True)
            for k, p in self.model.named_parameters()
        }
        params = {
            k: np.array(p.detach().numpy(), copy=True) for k, p in self.model.named_parameters()
        }
        return float(self.loss.item()), grads, params


def _load(model, params: dict, lib) -> None:
    model.load_state_dict({k: lib.from_numpy(np.array(v, copy=True)) for k, v in params.items()})


# -- the cases -----------------------------------------------------------------------------------


@dataclass
class StepSpec:
    """A step case: ``config(size)`` -> dict; ``params(cfg, rng)`` and ``data(cfg, rng)`` make
    the shared weights and batch; ``floor``, ``ndgrad``, ``torch`` build a :class:`Runner`
    from ``(cfg, params, data)``."""

    key: str
    label: Callable
    description: str
    target: float
    config: Callable
    params: Callable
    data: Callable
    floor: Callable
    ndgrad: Callable
    torch: Callable
    mode: str = "step"


def _cls_data(cfg, rng):
    x = rng.standard_normal((cfg["batch"], *cfg["in_shape"])).astype(np.float32)
    y = rng.integers(0, cfg["classes"], size=cfg["batch"]).astype(np.int64)
    return x, y


# MLP with cross-entropy ---------------------------------------------------------------------


def _mlp_ndgrad_model(nn, dims, act="relu"):
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(nn.ReLU() if act == "relu" else nn.Tanh())
    return nn.Sequential(*layers)


def _opt_ndgrad(optim, model, cfg):
    if cfg["opt"] == "adam":
        return optim.Adam(model.parameters(), lr=cfg["lr"])
    return optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])


def _opt_floor(params, cfg):
    if cfg["opt"] == "adam":
        return floors.Adam(params, lr=cfg["lr"])
    return floors.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"])


def _mlp_floor(cfg, params, data):
    p = _copy(params)
    return FloorRunner(
        floors.MLPStep(p, _opt_floor(p, cfg), act=cfg.get("act", "relu"), loss=cfg["loss"]),
        *data,
    )


def _ndgrad_libs(*extra):
    A = require("autograd", "from_numpy", "tensor")
    nn = require("nn", *extra)
    F = require("nn.functional", "cross_entropy", "mse_loss")
    optim = require("optim", "Adam", "SGD")
    return A, nn, F, optim


def _mlp_ndgrad(cfg, params, data):
    A, nn, F, optim = _ndgrad_libs("Sequential", "Linear", "ReLU", "Tanh")
    model = _mlp_ndgrad_model(nn, cfg["dims"], cfg.get("act", "relu"))
    _load(model, params, A)
    loss_fn = F.cross_entropy if cfg["loss"] == "ce" else F.mse_loss
    x, y = (A.from_numpy(np.array(d, copy=True)) for d in data)
    return ModelRunner(A, model, _opt_ndgrad(optim, model, cfg), _apply_loss(loss_fn), x, y)


def _apply_loss(loss_fn):
    def loss_of(model, x, y):
        return loss_fn(model(x), y)

    return loss_of


def _mlp_torch(cfg, params, data):
    T = torch_module()
    nn = T.nn
    model = _mlp_ndgrad_model(nn, cfg["dims"], cfg.get("act", "relu"))
    _load(model, params, T)
    loss_fn = nn.functional.cross_entropy if cfg["loss"] == "ce" else nn.functional.mse_loss
    x, y = (T.from_numpy(np.array(d, copy=True)) for d in data)
    return ModelRunner(T, model, _opt_ndgrad(T.optim, model, cfg), _apply_loss(loss_fn), x, y)


def _mlp_cfg(full_dims, smoke_dims, full_batch, smoke_batch, **kw):
    def config(size):
        dims = full_dims if size != "smoke" else smoke_dims
        batch = full_batch if size != "smoke" else smoke_batch
        return {"dims": dims, "batch": batch, "in_shape": (dims[0],), "classes": dims[-1], **kw}

    return config


def _mlp_params(cfg, rng):
    return linear_params(cfg["dims"], rng)


def _mlp_label(key):
    return lambda cfg: f"{key}/{'-'.join(map(str, cfg['dims']))}/b{cfg['batch']}"


# sin(x) fit ------------------------------------------------------------------------------------


def _sin_data(cfg, rng):
    x = rng.uniform(-3.0, 3.0, size=(cfg["batch"], 1)).astype(np.float32)
    return x, np.sin(x)


# CNN -----------------------------------------------------------------------------------------


def _cnn_cfg(size):
    if size == "smoke":
        return {
            "ch": (1, 4, 8),
            "hw": 8,
            "batch": 4,
            "classes": 10,
            "opt": "sgd",
            "lr": 0.01,
            "momentum": 0.9,
            "in_shape": (1, 8, 8),
        }
    return {
        "ch": (1, 16, 32),
        "hw": 28,
        "batch": 32,
        "classes": 10,
        "opt": "sgd",
        "lr": 0.01,
        "momentum": 0.9,
        "in_shape": (1, 28, 28),
    }


def _cnn_params(cfg, rng):
    c0, c1, c2 = cfg["ch"]
    p = {}
    for name, (o, i) in (("0", (c1, c0)), ("3", (c2, c1))):
        bound = 1.0 / math.sqrt(i * 9)
        p[f"{name}.weight"] = _uniform(rng, bound, (o, i, 3, 3))
        p[f"{name}.bias"] = _uniform(rng, bound, (o,))
    feat = c2 * (cfg["hw"] // 4) ** 2
    p.update(linear_params((feat, cfg["classes"]), rng, first=7))
    return p


def _cnn_model(nn, cfg):
    c0, c1, c2 = cfg["ch"]
    return nn.Sequential(
        nn.Conv2d(c0, c1, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(c2 * (cfg["hw"] // 4) ** 2, cfg["classes"]),
    )


def _cnn_floor(cfg, params, data):
    p = _copy(params)
    return FloorRunner(floors.CNNStep(p, _opt_floor(p, cfg)), *data)


def _cnn_ndgrad(cfg, params, data):
    A, nn, F, optim = _ndgrad_libs("Sequential", "Linear", "Conv2d", "ReLU", "MaxPool2d", "Flatten")
    model = _cnn_model(nn, cfg)
    _load(model, params, A)
    x, y = (A.from_numpy(np.array(d, copy=True)) for d in data)
    return ModelRunner(A, model, _opt_ndgrad(optim, model, cfg), _apply_loss(F.cross_entropy), x, y)


def _cnn_torch(cfg, params, data):
    T = torch_module()
    model = _cnn_model(T.nn, cfg)
    _load(model, params, T)
    x, y = (T.from_numpy(np.array(d, copy=True)) for d in data)
    return ModelRunner(
        T, model, _opt_ndgrad(T.optim, model, cfg), _apply_loss(T.nn.functional.cross_entropy), x, y
    )


# LSTM ------------------------------------------------------------------------------------------


def _lstm_cfg(size):
    if size == "smoke":
        return {"input": 4, "hidden": 8, "steps": 5, "batch": 3, "opt": "adam", "lr": 1e-3}
    return {"input": 32, "hidden": 64, "steps": 20, "batch": 16, "opt": "adam", "lr": 1e-3}


def _lstm_params(cfg, rng):
    h, i = cfg["hidden"], cfg["input"]
    bound = 1.0 / math.sqrt(h)
    return {
        "weight_ih_l0": _uniform(rng, bound, (4 * h, i)),
        "weight_hh_l0": _uniform(rng, bound, (4 * h, h)),
        "bias_ih_l0": _uniform(rng, bound, (4 * h,)),
        "bias_hh_l0": _uniform(rng, bound, (4 * h,)),
    }


def _lstm_data(cfg, rng):
    shape_x = (cfg["steps"], cfg["batch"], cfg["input"])
    shape_y = (cfg["steps"], cfg["batch"], cfg["hidden"])
    x = rng.standard_normal(shape_x).astype(np.float32)
    y = (0.5 * rng.standard_normal(shape_y)).astype(np.float32)
    return x, y


def _lstm_loss(mse):
    def loss_of(model, x, y):
        out, _ = model(x)
        return mse(out, y)

    return loss_of


def _lstm_floor(cfg, params, data):
    p = _copy(params)
    return FloorRunner(floors.LSTMStep(p, _opt_floor(p, cfg)), *data)


def _lstm_ndgrad(cfg, params, data):
    A, nn, F, optim = _ndgrad_libs("LSTM")
    model = nn.LSTM(cfg["input"], cfg["hidden"])
    _load(model, params, A)
    x, y = (A.from_numpy(np.array(d, copy=True)) for d in data)
    return ModelRunner(A, model, _opt_ndgrad(optim, model, cfg), _lstm_loss(F.mse_loss), x, y)


def _lstm_torch(cfg, params, data):
    T = torch_module()
    model = T.nn.LSTM(cfg["input"], cfg["hidden"])
    _load(model, params, T)
    x, y = (T.from_numpy(np.array(d, copy=True)) for d in data)
    return ModelRunner(
        T, model, _opt_ndgrad(T.optim, model, cfg), _lstm_loss(T.nn.functional.mse_loss), x, y
    )


# 100-op chain --------------------------------------------------------------------------------


def _chain_cfg(size):
    return {"n": 100, "len": 16}


def _chain_params(cfg, rng):
    a = rng.uniform(0.5, 1.5, size=cfg["len"]).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, size=cfg["len"]).astype(np.float32)
    return {"a": a, "b": b}


def _chain_data(cfg, rng):
    return (rng.standard_normal(cfg["len"]).astype(np.float32), None)


class ChainFloorRunner(Runner):
    def __init__(self, cfg, params, data):
        self.impl = floors.ChainStep(params["a"], params["b"], cfg["n"])
        self.x = data[0]

    def step(self):
        return self.impl.forward_backward(self.x)

    def result(self):
        return None, {"x": self.impl.grad}, {}


class ChainModelRunner(Runner):
    """``lib`` is ``autograd`` or ``torch``: the same Python loop over the same ops."""

    def __init__(self, lib, cfg, params, data):
        self.lib, self.n = lib, cfg["n"]
        self.a = lib.from_numpy(np.array(params["a"], copy=True))
        self.b = lib.from_numpy(np.array(params["b"], copy=True))
        self.x = lib.from_numpy(np.array(data[0], copy=True)).requires_grad_()
        self.g = lib.ones(cfg["len"])
        self.forward = self.chain

    def compile(self):
        self.forward = self.lib.compile(self.chain)
        return self

    def step(self):
        self.x.grad = None
        y = self.forward(self.x)
        y.backward(self.g)
        return y

    def chain(self, x):
        lib, a, b = self.lib, self.a, self.b
        tanh, sin = lib.tanh, lib.sin
        y = x
        for k in range(self.n):
            r = k % 4
            if r == 0:
                y = y * a
            elif r == 1:
                y = y + b
            elif r == 2:
                y = tanh(y)
            else:
                y = sin(y)
        return y

    def result(self):
        return None, {"x": np.array(self.x.grad.numpy(), copy=True)}, {}


def _chain_ndgrad(cfg, params, data):
    A = require("autograd", "from_numpy", "tanh", "sin", "ones")
    return ChainModelRunner(A, cfg, params, data)


def _chain_torch(cfg, params, data):
    return ChainModelRunner(torch_module(), cfg, params, data)


STEPS = [
    StepSpec(
        "mlp-adam",
        _mlp_label("mlp-adam"),
        "MLP 784-128-64-10 (ReLU), cross-entropy, Adam, batch 64",
        1.3,
        _mlp_cfg((784, 128, 64, 10), (64, 32, 16, 10), 64, 8, loss="ce", opt="adam", lr=1e-3),
        _mlp_params,
        _cls_data,
        _mlp_floor,
        _mlp_ndgrad,
        _mlp_torch,
    ),
    StepSpec(
        "mlp-sgd",
        _mlp_label("mlp-sgd"),
        "MLP 784-1024-1024-10 (ReLU), cross-entropy, SGD momentum 0.9, batch 256 (BLAS-bound)",
        1.1,
        _mlp_cfg(
            (784, 1024, 1024, 10),
            (64, 64, 64, 10),
            256,
            16,
            loss="ce",
            opt="sgd",
            lr=0.01,
            momentum=0.9,
        ),
        _mlp_params,
        _cls_data,
        _mlp_floor,
        _mlp_ndgrad,
        _mlp_torch,
    ),
    StepSpec(
        "cnn",
        lambda cfg: f"cnn/{cfg['ch'][1]}-{cfg['ch'][2]}@{cfg['hw']}x{cfg['hw']}/b{cfg['batch']}",
        "Conv(1,16,3,pad 1)-ReLU-MaxPool(2)-Conv(16,32,3,pad 1)-ReLU-MaxPool(2)-Linear(1568,10) "
        "on 1x28x28, cross-entropy, SGD momentum 0.9, batch 32",
        1.3,
        _cnn_cfg,
        _cnn_params,
        _cls_data,
        _cnn_floor,
        _cnn_ndgrad,
        _cnn_torch,
    ),
    StepSpec(
        "lstm",
        lambda cfg: f"lstm/{cfg['input']}-{cfg['hidden']}x{cfg['steps']}/b{cfg['batch']}",
        "LSTM(32, 64) over 20 time steps, batch 16, MSE on the output sequence, Adam",
        1.3,
        _lstm_cfg,
        _lstm_params,
        _lstm_data,
        _lstm_floor,
        _lstm_ndgrad,
        _lstm_torch,
    ),
    StepSpec(
        "sin-fit",
        _mlp_label("sin-fit"),
        "MLP 1-32-1 (tanh) fitting sin(x) on [-3, 3], MSE, SGD momentum 0.9, batch 64",
        2.0,
        _mlp_cfg(
            (1, 32, 1), (1, 32, 1), 64, 64, loss="mse", opt="sgd", lr=0.05, momentum=0.9, act="tanh"
        ),
        _mlp_params,
        _sin_data,
        _mlp_floor,
        _mlp_ndgrad,
        _mlp_torch,
    ),
    StepSpec(
        "chain100",
        lambda cfg: f"chain{cfg['n']}/{cfg['len']}",
        "100 elementwise ops (y*a, y+b, tanh, sin, repeated) on a (16,) tensor, forward + backward",
        2.0,
        _chain_cfg,
        _chain_params,
        _chain_data,
        ChainFloorRunner,
        _chain_ndgrad,
        _chain_torch,
        mode="fwd+bwd",
    ),
]

SPECS = {s.key: s for s in STEPS}


def build(key: str, engine: str, size: str = "full", seed: int = 0) -> Runner:
    """The :class:`Runner` of step ``key`` for ``engine`` (``ndgrad``, ``numpy`` or
    ``torch``); every engine built with the same ``seed`` starts from the same weights and
    sees the same batch."""
    spec = SPECS[key]
    cfg = spec.config(size)
    rng = np.random.default_rng(seed)
    params = spec.params(cfg, rng)
    data = spec.data(cfg, rng)
    if engine == "compiled":
        return spec.ndgrad(cfg, params, data).compile()
    maker = {"numpy": spec.floor, "ndgrad": spec.ndgrad, "torch": spec.torch}[engine]
    return maker(cfg, params, data)


def _setup(key, engine, size):
    def setup():
        return build(key, engine, size).step

    return setup


def cases(size: str = "full") -> list:
    out = []
    for spec in STEPS:
        cfg = spec.config(size)
        out.append(
            Case(
                suite="steps",
                name=spec.label(cfg),
                mode=spec.mode,
                setups={
                    e: _setup(spec.key, e, size) for e in ("ndgrad", "compiled", "numpy", "torch")
                },
                target=spec.target,
                description=spec.description,
            )
        )
    return out
