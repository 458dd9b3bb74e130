"""Activation checkpointing (``torch.utils.checkpoint``): keep a segment's inputs, drop its
intermediate values, and recompute them during backward.

NOTE [ How checkpoint finds what to differentiate ]
The segment ``fn`` runs once in forward with grad on, so that its graph shows which tensors it
reads: the tensor arguments and the leaves (parameters) it closes over. That graph is dropped as
soon as ``checkpoint`` returns, so only the inputs stay alive; a :class:`~autograd.Function`
node takes their place. Its backward restores the random state of the forward (so dropout masks
match), reruns ``fn`` on detached copies of the arguments under ``enable_grad`` and differentiates
the recomputed outputs with :func:`autograd.grad` with respect to the arguments and those leaves.
Because the node lists the leaves as its inputs, ``autograd.grad(loss, params)`` works through a
checkpoint too (in both ``use_reentrant`` modes).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .. import graph as _graph
from ..engine import grad as _grad
from ..function import Function
from ..grad_mode import enable_grad, is_grad_enabled, no_grad
from ..random import default_generator
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _graph_inputs(outputs, args, first_seq):
    """Leaf tensors requiring grad that ``outputs`` were computed from, without going past the
    tensor arguments. Raises if the segment read a non-leaf tensor made before it started."""
    stop = set()
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            stop.add((id(a.grad_fn), a._oi) if a.grad_fn is not None else id(a))
    leaves, seen_leaves, seen_nodes = [], set(), set()
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        for edge in node.next:
            if edge is None:
                continue
            target, k = edge
            if isinstance(target, Tensor):  # a leaf accumulator
                if id(target) not in stop and id(target) not in seen_leaves:
                    seen_leaves.add(id(target))
                    leaves.append(target)
                continue
            if (id(target), k) in stop:
                continue
            if target.seq < first_seq:
                raise RuntimeError(
                    "checkpoint: the checkpointed function uses a tensor that requires grad and "
                    "was computed outside it (it is not a leaf); pass that tensor to checkpoint "
                    "as an argument so its gradient can be computed"
                )
            stack.append(target)
    return leaves


class _Run:
    """What the backward needs to rerun the segment."""

    __slots__ = ("fn", "args", "kwargs", "rng_state", "leaves", "cutting")

    def __init__(self, fn, args, kwargs, rng_state, leaves):
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.rng_state = rng_state
        self.leaves = leaves
        self.cutting = False


class _Cut(Function):
    """Identity on a checkpoint argument for the recompute. While the recomputed segment is
    differentiated (``run.cutting``) its backward passes nothing on, so that inner ``grad``
    stops here instead of walking the graph outside the segment; afterwards it passes
    gradients through, so a ``create_graph=True`` gradient still reaches what made the
    argument (double backward through a checkpoint)."""

    @staticmethod
    def forward(ctx, x, run):
        ctx.run = run
        return x

    @staticmethod
    def backward(ctx, grad):
        return (None if ctx.run.cutting else grad), None


class _CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run, outputs, *targets):
        ctx.run = run
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        run = ctx.run
        create_graph = is_grad_enabled()  # the engine runs backward in create_graph's mode
        current = default_generator.get_state()
        if run.rng_state is not None:
            default_generator.set_state(run.rng_state)
        try:
            with enable_grad():
                if create_graph:
                    inputs = [
                        _Cut.apply(a, run) if isinstance(a, Tensor) and a.requires_grad else a
                        for a in run.args
                    ]
                else:
                    inputs = [
                        a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                        for a in run.args
                    ]
                outs = run.fn(*inputs, **run.kwargs)
        finally:
            default_generator.set_state(current)
        outs = outs if isinstance(outs, tuple) else (outs,)
        arg_targets = [d for d in inputs if isinstance(d, Tensor) and d.requires_grad]
        targets = arg_targets + run.leaves
        sel_out, sel_grad = [], []
        for o, g in zip(outs, grads):
            if isinstance(o, Tensor) and o.requires_grad and g is not None:
                sel_out.append(o)
                sel_grad.append(g)
        if not sel_out or not targets:
            return (None, None) + (None,) * len(targets)
        run.cutting = True
        try:
            gs = _grad(sel_out, targets, sel_grad, allow_unused=True, create_graph=create_graph)
        finally:
            run.cutting = False
        return (None, None) + tuple(gs)


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    **kwargs: Any,
):
    """Run ``function(*args, **kwargs)`` without keeping its intermediate values; they are
    recomputed during backward (see NOTE [ How checkpoint finds what to differentiate ]).

    Parameters
    ----------
    function : callable
        The segment; returns a Tensor or a tuple (Tensors and other values).
    *args
        Its positional arguments (Tensors are differentiated, other values passed through).
    use_reentrant : bool, optional
        PyTorch's two implementations; pass it explicitly (``None`` warns as PyTorch does and
        means ``True``). ``True`` rejects keyword arguments for ``function`` and, as PyTorch,
        records nothing when no tensor argument requires grad. Both modes support
        ``autograd.grad``.
    preserve_rng_state : bool
        Restore the default generator's state for the recompute, so random ops (dropout) draw
        the same values as in forward.
    **kwargs
        Keyword arguments for ``function`` (``use_reentrant=False`` only).

    Returns
    -------
    What ``function`` returns, with gradients flowing to ``args`` and to the leaf tensors
    (parameters) that ``function`` uses.
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "use_reentrant=False is recommended, but if you need to preserve the current "
            "default behavior, you can pass use_reentrant=True. Refer to docs for more details "
            "on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None",
                stacklevel=2,
            )
            with no_grad():
                return function(*args)
    if not is_grad_enabled():
        return function(*args, **kwargs)
    rng_state = default_generator.get_state() if preserve_rng_state else None
    first_seq = next(_graph._sequence)
    outs = function(*args, **kwargs)
    single = not isinstance(outs, tuple)
    outs_t = (outs,) if single else outs
    leaves = _graph_inputs(outs_t, args, first_seq)
    detached = tuple(o.detach() if isinstance(o, Tensor) else o for o in outs_t)
    del outs, outs_t  # the segment's graph (its intermediate values) goes with them
    run = _Run(function, args, kwargs, rng_state, leaves)
    targets = [a for a in args if isinstance(a, Tensor) and a.requires_grad] + leaves
    return _CheckpointFunction.apply(run, detached[0] if single else detached, *targets)


def checkpoint_sequential(
    functions,
    segments: int,
    input: Tensor,  # noqa: A002
    use_reentrant: bool | None = None,
    **kwargs: Any,
):
    """Run a sequence of modules/functions in ``segments`` chunks, checkpointing every chunk
    but the last (whose activations backward needs at once anyway), as PyTorch does.

    Parameters
    ----------
    functions : Sequential, list of callables
        Applied in order, each to the previous output.
    segments : int
        Number of chunks.
    input : Tensor
        The first function's input.
    use_reentrant, **kwargs
        Passed to :func:`checkpoint` (``preserve_rng_state``).

    Returns
    -------
    Tensor
        The last function's output.
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. use_reentrant=False is recommended, but if you need to "
            "preserve the current default behavior, you can pass use_reentrant=True. Refer to "
            "docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)
    if not isinstance(segments, int) or segments < 1:
        raise ValueError(f"segments must be a positive int, got {segments!r}")

    def run_function(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(  # noqa: A001
            run_function(start, end),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_function(end + 1, len(functions) - 1)(input)
