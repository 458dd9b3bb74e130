"""The ``layers`` suite: forward, and forward + backward, of single layers.

Every layer sees an input that requires grad (as inside a network), so the backward computes
the input's gradient as well as the parameters'. ``fwd`` is the forward with grad mode on (the
graph is recorded); ``fwd+bwd`` adds ``out.backward(grad_out)`` with fresh ``.grad``
attributes each call. The NumPy floor is the hand-written forward and backward of the same
layer (``benchmarks/floors.py``); parameters are drawn once with NumPy and copied into the
ndgrad and PyTorch layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from . import floors
from ._case import Case, require, torch_module


def _u(rng, bound, shape):
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def _n(rng, shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


@dataclass
class LayerSpec:
    """One layer case.

    ``config(size)`` -> cfg; ``label(cfg)``; ``params(cfg, rng)`` -> dict of arrays under the
    module's parameter names; ``inputs(cfg, rng)`` -> list of arrays (``grad_inputs`` says
    which require grad); ``module(lib, cfg)`` -> the module (``lib`` has ``A``, ``nn``,
    ``F``) or None for a function; ``call(lib, module, *xs)`` -> the output tensor;
    ``floor_fwd(cfg, p, *xs)`` -> ``(out, cache)``; ``floor_bwd(cfg, p, g, cache, *xs)``
    -> the gradients; ``needs``: the ``nn`` names the ndgrad side needs; ``scalar``: the
    output is a scalar loss (backward with no gradient argument).
    """

    key: str
    description: str
    config: Callable
    label: Callable
    params: Callable
    inputs: Callable
    module: Callable
    call: Callable
    floor_fwd: Callable
    floor_bwd: Callable
    needs: tuple = ()
    needs_f: tuple = ()
    grad_inputs: tuple = (True,)
    scalar: bool = False
    extra: dict = field(default_factory=dict)


def _call_module(lib, m, *xs):
    return m(*xs)


# Linear ----------------------------------------------------------------------------------------


def _linear_cfg(size):
    return {"n": 64, "i": 784, "o": 128} if size != "smoke" else {"n": 4, "i": 8, "o": 3}


LINEAR = LayerSpec(
    "linear",
    "nn.Linear(784, 128) on (64, 784)",
    _linear_cfg,
    lambda c: f"Linear/{c['i']}-{c['o']}/b{c['n']}",
    lambda c, rng: {
        "weight": _u(rng, 1 / math.sqrt(c["i"]), (c["o"], c["i"])),
        "bias": _u(rng, 1 / math.sqrt(c["i"]), (c["o"],)),
    },
    lambda c, rng: [_n(rng, (c["n"], c["i"]))],
    lambda lib, c: lib.nn.Linear(c["i"], c["o"]),
    _call_module,
    lambda c, p, x: (floors.linear(x, p["weight"], p["bias"]), None),
    lambda c, p, g, cache, x: floors.linear_backward(g, x, p["weight"]),
    needs=("Linear",),
)


# Conv2d ----------------------------------------------------------------------------------------


def _conv_cfg(size):
    if size == "smoke":
        return {"n": 2, "c": 3, "o": 4, "hw": 6}
    return {"n": 32, "c": 16, "o": 32, "hw": 14}


def _conv_fwd(c, p, x):
    return floors.conv2d(x, p["weight"], p["bias"], 1)


def _conv_bwd(c, p, g, cache, x):
    return floors.conv2d_backward(g, p["weight"], cache, 1)


CONV = LayerSpec(
    "conv2d",
    "nn.Conv2d(16, 32, 3, padding=1) on (32, 16, 14, 14)",
    _conv_cfg,
    lambda c: f"Conv2d/{c['c']}-{c['o']}k3@{c['hw']}x{c['hw']}/b{c['n']}",
    lambda c, rng: {
        "weight": _u(rng, 1 / math.sqrt(c["c"] * 9), (c["o"], c["c"], 3, 3)),
        "bias": _u(rng, 1 / math.sqrt(c["c"] * 9), (c["o"],)),
    },
    lambda c, rng: [_n(rng, (c["n"], c["c"], c["hw"], c["hw"]))],
    lambda lib, c: lib.nn.Conv2d(c["c"], c["o"], 3, padding=1),
    _call_module,
    _conv_fwd,
    _conv_bwd,
    needs=("Conv2d",),
)


# MaxPool2d -------------------------------------------------------------------------------------


def _pool_cfg(size):
    return {"n": 32, "c": 16, "hw": 28} if size != "smoke" else {"n": 2, "c": 3, "hw": 4}


POOL = LayerSpec(
    "maxpool2d",
    "nn.MaxPool2d(2) on (32, 16, 28, 28)",
    _pool_cfg,
    lambda c: f"MaxPool2d/2@{c['c']}x{c['hw']}x{c['hw']}/b{c['n']}",
    lambda c, rng: {},
    lambda c, rng: [_n(rng, (c["n"], c["c"], c["hw"], c["hw"]))],
    lambda lib, c: lib.nn.MaxPool2d(2),
    _call_module,
    lambda c, p, x: floors.max_pool2x2(x),
    lambda c, p, g, cache, x: (floors.max_pool2x2_backward(g, cache),),
    needs=("MaxPool2d",),
)


# BatchNorm2d -----------------------------------------------------------------------------------


def _bn_fwd(c, p, x):
    return floors.batch_norm2d_train(x, p["weight"], p["bias"], c["running_mean"], c["running_var"])


def _bn_cfg(size):
    shape = {"n": 32, "c": 16, "hw": 28} if size != "smoke" else {"n": 3, "c": 2, "hw": 3}
    shape["running_mean"] = np.zeros(shape["c"], np.float32)
    shape["running_var"] = np.ones(shape["c"], np.float32)
    return shape


BATCHNORM = LayerSpec(
    "batchnorm2d",
    "nn.BatchNorm2d(16) in training mode on (32, 16, 28, 28)",
    _bn_cfg,
    lambda c: f"BatchNorm2d/{c['c']}@{c['hw']}x{c['hw']}/b{c['n']}",
    lambda c, rng: {
        "weight": (1.0 + _n(rng, (c["c"],), 0.1)),
        "bias": _n(rng, (c["c"],), 0.1),
    },
    lambda c, rng: [_n(rng, (c["n"], c["c"], c["hw"], c["hw"]))],
    lambda lib, c: lib.nn.BatchNorm2d(c["c"]),
    _call_module,
    _bn_fwd,
    lambda c, p, g, cache, x: floors.batch_norm2d_train_backward(g, p["weight"], cache),
    needs=("BatchNorm2d",),
)


# LayerNorm -------------------------------------------------------------------------------------


def _ln_cfg(size):
    return {"n": 64, "d": 256} if size != "smoke" else {"n": 3, "d": 5}


LAYERNORM = LayerSpec(
    "layernorm",
    "nn.LayerNorm(256) on (64, 256)",
    _ln_cfg,
    lambda c: f"LayerNorm/{c['d']}/b{c['n']}",
    lambda c, rng: {
        "weight": (1.0 + _n(rng, (c["d"],), 0.1)),
        "bias": _n(rng, (c["d"],), 0.1),
    },
    lambda c, rng: [_n(rng, (c["n"], c["d"]))],
    lambda lib, c: lib.nn.LayerNorm(c["d"]),
    _call_module,
    lambda c, p, x: floors.layer_norm(x, p["weight"], p["bias"]),
    lambda c, p, g, cache, x: floors.layer_norm_backward(g, p["weight"], cache),
    needs=("LayerNorm",),
)


# LSTM ------------------------------------------------------------------------------------------


def _lstm_cfg(size):
    if size == "smoke":
        return {"i": 3, "h": 4, "t": 3, "b": 2}
    return {"i": 32, "h": 64, "t": 20, "b": 16}


def _lstm_params(c, rng):
    bound = 1 / math.sqrt(c["h"])
    h4 = 4 * c["h"]
    return {
        "weight_ih_l0": _u(rng, bound, (h4, c["i"])),
        "weight_hh_l0": _u(rng, bound, (h4, c["h"])),
        "bias_ih_l0": _u(rng, bound, (h4,)),
        "bias_hh_l0": _u(rng, bound, (h4,)),
    }


def _lstm_fwd(c, p, x):
    return floors.lstm_forward(x, *(p[k] for k in floors.LSTMStep.NAMES))


def _lstm_bwd(c, p, g, cache, x):
    return floors.lstm_backward(g, p["weight_ih_l0"], p["weight_hh_l0"], cache, need_x=True)


LSTM = LayerSpec(
    "lstm",
    "nn.LSTM(32, 64) over 20 time steps at batch 16 (the output sequence)",
    _lstm_cfg,
    lambda c: f"LSTM/{c['i']}-{c['h']}x{c['t']}/b{c['b']}",
    _lstm_params,
    lambda c, rng: [_n(rng, (c["t"], c["b"], c["i"]))],
    lambda lib, c: lib.nn.LSTM(c["i"], c["h"]),
    lambda lib, m, x: m(x)[0],
    _lstm_fwd,
    _lstm_bwd,
    needs=("LSTM",),
)


# MultiheadAttention ----------------------------------------------------------------------------


def _mha_cfg(size):
    if size == "smoke":
        return {"b": 2, "t": 3, "e": 8, "heads": 2}
    return {"b": 16, "t": 20, "e": 64, "heads": 4}


def _mha_params(c, rng):
    e = c["e"]
    return {
        "in_proj_weight": _u(rng, math.sqrt(6 / (4 * e)), (3 * e, e)),
        "in_proj_bias": _n(rng, (3 * e,), 0.02),
        "out_proj.weight": _u(rng, 1 / math.sqrt(e), (e, e)),
        "out_proj.bias": _n(rng, (e,), 0.02),
    }


def _mha_fwd(c, p, x):
    return floors.self_attention(
        x,
        p["in_proj_weight"],
        p["in_proj_bias"],
        p["out_proj.weight"],
        p["out_proj.bias"],
        c["heads"],
    )


def _mha_bwd(c, p, g, cache, x):
    return floors.self_attention_backward(
        g, p["in_proj_weight"], p["out_proj.weight"], cache, c["heads"]
    )


MHA = LayerSpec(
    "mha",
    "nn.MultiheadAttention(64, 4, batch_first=True), self-attention on (16, 20, 64), "
    "need_weights=False",
    _mha_cfg,
    lambda c: f"MultiheadAttention/{c['e']}h{c['heads']}x{c['t']}/b{c['b']}",
    _mha_params,
    lambda c, rng: [_n(rng, (c["b"], c["t"], c["e"]))],
    lambda lib, c: lib.nn.MultiheadAttention(c["e"], c["heads"], batch_first=True),
    lambda lib, m, x: m(x, x, x, need_weights=False)[0],
    _mha_fwd,
    _mha_bwd,
    needs=("MultiheadAttention",),
)


# cross_entropy ---------------------------------------------------------------------------------


def _ce_cfg_for(n, k):
    def config(size):  # smoke sizes differ per case so that the ids stay distinct
        return {"n": n, "k": k} if size != "smoke" else {"n": 4, "k": 3 + k // 500}

    return config


def _ce_fwd(c, p, z, y):
    loss, g = floors.cross_entropy(z, y)
    return loss, g


def _ce_inputs(c, rng):
    return [_n(rng, (c["n"], c["k"])), rng.integers(0, c["k"], size=c["n"]).astype(np.int64)]


def _ce_spec(n, k):
    return LayerSpec(
        "cross_entropy",
        f"F.cross_entropy on ({n}, {k}) logits and class indices (mean)",
        _ce_cfg_for(n, k),
        lambda c: f"cross_entropy/{c['n']}x{c['k']}",
        lambda c, rng: {},
        _ce_inputs,
        lambda lib, c: None,
        lambda lib, m, z, y: lib.F.cross_entropy(z, y),
        # The floor's forward is the fused log-softmax; its backward reuses the softmax it
        # computed (what an engine saves for the VJP), so the split is done in _floor_setup.
        _ce_fwd,
        lambda c, p, g, cache, z, y: (cache,),
        needs_f=("cross_entropy",),
        grad_inputs=(True, False),
        scalar=True,
    )


LAYERS = [
    LINEAR,
    CONV,
    POOL,
    BATCHNORM,
    LAYERNORM,
    LSTM,
    MHA,
    _ce_spec(64, 10),
    _ce_spec(256, 1000),
]


# -- set-ups --------------------------------------------------------------------------------------


def _make(spec: LayerSpec, size: str, seed: int = 0):
    cfg = spec.config(size)
    rng = np.random.default_rng(seed)
    params = spec.params(cfg, rng)
    xs = spec.inputs(cfg, rng)
    return cfg, params, xs


def _grad_out(spec, cfg, params, xs):
    if spec.scalar:
        return None
    out, _ = spec.floor_fwd(cfg, {k: v.copy() for k, v in params.items()}, *xs)
    return np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)


def _lib(engine: str, spec: LayerSpec):
    if engine == "torch":
        T = torch_module()
        return SimpleNamespace(A=T, nn=T.nn, F=T.nn.functional)
    A = require("autograd", "from_numpy", "no_grad")
    nn = require("nn", *spec.needs) if spec.needs else require("nn")
    F = require("nn.functional", *spec.needs_f) if spec.needs_f else require("nn.functional")
    return SimpleNamespace(A=A, nn=nn, F=F)


def build_model(spec: LayerSpec, engine: str, size: str = "full", seed: int = 0):
    """``(call, module, tensors, grad_out)`` for ``engine`` in ``ndgrad`` / ``torch``: the
    layer with the shared weights and its inputs as tensors."""
    lib = _lib(engine, spec)
    cfg, params, xs = _make(spec, size, seed)
    if engine == "torch":  # spec-specific configs (running stats) must not be shared
        cfg = spec.config(size)
    module = spec.module(lib, cfg)
    if module is not None:
        named = dict(module.named_parameters())
        missing = set(params) ^ set(named)
        if missing:
            raise RuntimeError(f"{spec.key}: parameter names differ: {sorted(missing)}")
        with lib.A.no_grad():
            for k, v in params.items():
                named[k].copy_(lib.A.from_numpy(np.array(v, copy=True)))
    tensors = []
    for a, rg in zip(xs, spec.grad_inputs):
        t = lib.A.from_numpy(np.array(a, copy=True))
        tensors.append(t.requires_grad_() if rg else t)
    g = _grad_out(spec, cfg, params, xs)
    g = None if g is None else lib.A.from_numpy(g)
    leaves = [t for t in tensors if t.requires_grad]
    if module is not None:
        leaves += list(module.parameters())

    def call():
        return spec.call(lib, module, *tensors)

    return call, leaves, g


def _model_setup(spec, engine, size, backward):
    def setup():
        call, leaves, g = build_model(spec, engine, size)
        if not backward:
            return call

        def fwd_bwd():
            for t in leaves:
                t.grad = None
            out = call()
            if g is None:
                out.backward()
            else:
                out.backward(g)

        return fwd_bwd

    return setup


def floor_grads(spec: LayerSpec, size: str = "full", seed: int = 0):
    """The floor's output and gradients (inputs first, then parameters in the floor's order):
    used by the tests to check the floor against ndgrad."""
    cfg, params, xs = _make(spec, size, seed)
    g = _grad_out(spec, cfg, params, xs)
    out, cache = spec.floor_fwd(cfg, params, *xs)
    return out, spec.floor_bwd(cfg, params, g, cache, *xs), g


def _floor_setup(spec, size, backward):
    def setup():
        cfg, params, xs = _make(spec, size)
        g = _grad_out(spec, cfg, params, xs)
        fwd, bwd = spec.floor_fwd, spec.floor_bwd
        if spec.key == "cross_entropy" and not backward:
            # forward alone: the loss without the gradient arithmetic
            z, y = xs
            rows = np.arange(z.shape[0])

            def ce_fwd():
                s = z - z.max(axis=1, keepdims=True)
                lse = np.log(np.exp(s).sum(axis=1))
                return float(lse.sum() - s[rows, y].sum()) / z.shape[0]

            return ce_fwd
        if not backward:
            return lambda: fwd(cfg, params, *xs)

        def fwd_bwd():
            out, cache = fwd(cfg, params, *xs)
            return bwd(cfg, params, g, cache, *xs)

        return fwd_bwd

    return setup


def cases(size: str = "full") -> list:
    out = []
    for spec in LAYERS:
        cfg = spec.config(size)
        for mode, backward in (("fwd", False), ("fwd+bwd", True)):
            out.append(
                Case(
                    suite="layers",
                    name=spec.label(cfg),
                    mode=mode,
                    setups={
                        "ndgrad": _model_setup(spec, "ndgrad", size, backward),
                        "numpy": _floor_setup(spec, size, backward),
                        "torch": _model_setup(spec, "torch", size, backward),
                    },
                    description=spec.description,
                )
            )
    return out
