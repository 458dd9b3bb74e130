"""What a check differentiates: a *target* is a forward computation plus the leaf tensors whose
gradients are checked, evaluated again and again at perturbed leaf values.

NOTE [ Repeatable evaluations ]
Finite differences compare evaluations that must differ only by the perturbation. A target
therefore (1) resets the default random generator to the same state before every forward, so a
Dropout layer draws the same mask each time, and (2) restores every buffer of a module (e.g.
BatchNorm running statistics, which a forward in training mode updates) before every forward.
The caller's generator state is saved on entry and put back on exit (``_RngGuard``).
"""

from __future__ import annotations

import copy

import numpy as np

from .. import random as _random
from ..grad_mode import enable_grad
from ..tensor import Tensor

# Mixed into every seed the kit draws from, so that its projections and directions are never the
# numbers a user's ``manual_seed(seed)`` produced for the inputs (a projection equal to the
# input can hide a wrong gradient: for RMSNorm, <x, d rmsnorm(x)> is exactly 0).
_SALT = 0x6E64_6772_6164


def kit_rng(seed: int, *stream: int) -> np.random.Generator:
    """The kit's own random generator for ``seed`` and a stream id."""
    return np.random.default_rng([int(seed) & (2**63 - 1), _SALT, *stream])


def float_outputs(raw, kinds: str = "f") -> list:
    """The floating tensors in a forward's result (a Tensor, or nested tuples, lists and
    dicts of them), in order."""
    out = []
    stack = [raw]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            if x._data.dtype.kind in kinds:
                out.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
    return out


class _RngGuard:
    """Save the default generator's state on entry, restore it on exit; ``reset()`` puts the
    generator back to the state of ``manual_seed(seed)`` (cheaply, by setting the state)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self):
        gen = _random.default_generator
        self._saved = gen.get_state()
        gen.manual_seed(self.seed)
        self._seeded = gen._rng.bit_generator.state
        return self

    def reset(self) -> None:
        _random.default_generator._rng.bit_generator.state = self._seeded

    def __exit__(self, *exc) -> None:
        _random.default_generator.set_state(self._saved)


class Target:
    """A computation ``run()`` of the leaves ``leaves`` (named ``names``).

    ``extra`` are further tensors (constant inputs, frozen parameters) that backward must not
    modify; ``buffers`` are ``(module, key, snapshot)`` triples restored before every forward.
    """

    def __init__(self, run, leaves, names, extra=(), buffers=(), subject="", rng=None):
        self._run = run
        self.leaves = list(leaves)
        self.names = list(names)
        self.extra = list(extra)
        self.buffers = list(buffers)
        self.subject = subject
        self.rng = rng

    def forward(self):
        for mod, key, snap in self.buffers:
            if mod._buffers.get(key) is not None:
                mod._buffers[key]._data = snap.copy()
        if self.rng is not None:
            self.rng.reset()
        return self._run()


def _copy_input(x, dtype, requires_grad):
    """A fresh leaf copy of a floating tensor input in ``dtype`` (other args pass through)."""
    if isinstance(x, Tensor) and x._data.dtype.kind == "f":
        c = Tensor._wrap(np.array(x._data, dtype=dtype or x._data.dtype, order="C"))
        c._rg = bool(requires_grad)
        return c
    return x


def checked_input_indices(inputs) -> list:
    """Floating tensor inputs that require grad; if none does, every floating tensor input."""
    floats = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.dtype.kind == "f"]
    rg = [i for i in floats if inputs[i].requires_grad]
    return rg or floats


def function_target(fn, inputs, dtype, rng) -> Target:
    """``fn(*inputs)`` with floating inputs copied to ``dtype`` (None keeps each one's)."""
    idx = checked_input_indices(inputs)
    args = [_copy_input(x, dtype, i in idx) for i, x in enumerate(inputs)]
    leaves = [args[i] for i in idx]
    names = [f"input {i}" for i in idx]
    extra = [a for i, a in enumerate(args) if isinstance(a, Tensor) and i not in idx]
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return Target(lambda: fn(*args), leaves, names, extra, subject=name, rng=rng)


def module_target(module, inputs, dtype, rng, train, check_inputs) -> Target:
    """A deep copy of ``module`` cast to ``dtype`` (None keeps it), called on copies of
    ``inputs``. The caller's module and tensors are never touched."""
    mod = copy.deepcopy(module)
    if dtype is not None:
        mod.to(dtype)
    if train is not None:
        mod.train(bool(train))
    for p in mod.parameters():
        p._data = np.ascontiguousarray(p._data)
    idx = checked_input_indices(inputs) if check_inputs else []
    args = [
        _copy_input(x, dtype, i in idx) if isinstance(x, Tensor) else x
        for i, x in enumerate(inputs)
    ]
    leaves = []
    names = []
    extra = []
    for n, p in mod.named_parameters():
        if p.requires_grad and p._data.dtype.kind == "f":
            leaves.append(p)
            names.append(f"parameter '{n}'")
        else:
            extra.append(p)
    for i in idx:
        leaves.append(args[i])
        names.append(f"input {i}")
    extra += [a for i, a in enumerate(args) if isinstance(a, Tensor) and i not in idx]
    buffers = []
    for m in mod.modules():
        for key, b in m._buffers.items():
            if b is not None:
                buffers.append((m, key, b._data.copy()))
    return Target(
        lambda: mod(*args), leaves, names, extra, buffers, subject=type(module).__name__, rng=rng
    )


def second_order_target(target: Target, seed: int) -> Target:
    """The map (leaves, grad_outputs) -> gradients of ``target`` (with ``create_graph``): a
    first-order check of it is a check of the second derivatives."""
    from ..engine import grad as _grad

    with enable_grad():
        outs = [o for o in float_outputs(target.forward()) if o.requires_grad]
    rng = kit_rng(seed, 2)
    gouts = []
    for o in outs:
        g = Tensor._wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype))
        g._rg = True
        gouts.append(g)
    leaves = list(target.leaves)

    def run():
        with enable_grad():
            outs = [o for o in float_outputs(target.forward()) if o.requires_grad]
            if not outs:
                return ()
            res = _grad(outs, leaves, grad_outputs=gouts, create_graph=True, allow_unused=True)
        return tuple(
            r if r is not None else Tensor._wrap(np.zeros_like(x._data))
            for r, x in zip(res, leaves)
        )

    names = list(target.names) + [f"grad_output {k}" for k in range(len(gouts))]
    return Target(
        run,
        leaves + gouts,
        names,
        target.extra,
        target.buffers,
        subject=f"second derivatives of {target.subject}",
        rng=target.rng,
    )
