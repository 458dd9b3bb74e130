"""``backward`` and ``grad``: run the recorded graph in reverse.

The walk is iterative (no recursion, so chains of any length work): count, for every node
reachable from the roots, how many edges lead into it; start from the roots; run a node once all
its consumers have handed it their gradients (its count reaches zero). For each edge the VJP's
result is reduced to the input's shape (``sum_to``, itself an op, so this step is differentiable
too) and cast to the input's dtype, here and nowhere else.

VJPs run with grad mode set to ``create_graph``: a plain backward hands them arrays and records
nothing; ``create_graph=True`` hands them Tensors, so the gradients are differentiable.
"""

from __future__ import annotations

import threading
from heapq import heappop, heappush

import numpy as np

from .grad_mode import _state
from .ops._registry import Meta
from .ops.elementwise import cast
from .ops.shape import _sum_to_fwd, sum_to
from .tensor import Tensor

_ndarray = np.ndarray


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, (Tensor, np.ndarray)) or not isinstance(x, (list, tuple)):
        return [x]
    return list(x)


def _root_grads(outputs, grads, create_graph):
    """Check outputs/grad_outputs and produce the initial gradients (arrays or Tensors)."""
    out = []
    if grads is None:
        grads = [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs; got "
            f"{len(grads)} gradients for {len(outputs)} outputs"
        )
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not isinstance(o, Tensor):
            raise TypeError(f"outputs[{i}] must be a Tensor, got {type(o).__name__}")
        if not o._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if o._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has "
                    f"shape {tuple(o.shape)}); pass gradient= of that shape"
                )
            ga = np.ones_like(o._data)
            g = Tensor._wrap(ga) if create_graph else ga
        else:
            if not isinstance(g, Tensor):
                g = Tensor._wrap(np.asarray(g, dtype=o.dtype))
            if g.shape != o.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(o.shape)}."
                )
            if g.dtype != o.dtype:
                g = g.to(o.dtype)
            if not create_graph:
                g = g._data
        out.append(g)
    return out


def _reduce(g, shape, dtype, create_graph):
    """Bring a VJP's result to its input's shape and dtype."""
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g))
        if g._data.shape != shape:
            g = sum_to(g, shape=shape)
        if g._data.dtype != dtype:
            g = cast(g, dtype=dtype)
        return g
    if type(g) is not _ndarray:
        g = g._data if isinstance(g, Tensor) else np.asarray(g)
    if g.shape != shape:
        g = sum_to(g, shape=shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _add(a, b):
    if a is None:
        return b
    return a + b


def _run_hooks(hooks, g, create_graph):
    for h in list(hooks):
        gt = g if isinstance(g, Tensor) else Tensor._wrap(g)
        r = h(gt)
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(f"a hook must return a Tensor or None, got {type(r).__name__}")
            g = r if create_graph else r._data
    return g


def _accumulate(leaf, g, create_graph, shared, given=None):
    """Add ``g`` into ``leaf.grad`` (the AccumulateGrad step)."""
    if leaf._hooks:
        g = _run_hooks(leaf._hooks, g, create_graph)
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._wrap(np.array(g))
        if leaf.grad is None:
            leaf.grad = g
        else:
            leaf.grad = leaf.grad + g
        return
    if isinstance(g, Tensor):
        g = g._data
    old = leaf.grad
    if old is None:
        # Hand back a fresh, writable array in the parameter's memory order: a gradient that
        # is the incoming gradient passed through (add, clone), a view of one, or the user's
        # root gradient would alias; a Fortran-order gradient slows every optimizer update.
        if (
            shared
            or g.base is not None
            or not g.flags.c_contiguous
            or not g.flags.writeable
            or (given is not None and id(g) in given)
        ):
            g = np.array(g, order="C")
        if given is not None:
            given.add(id(g))  # alive as leaf.grad, so its id is not reused in this backward
        leaf.grad = Tensor._wrap(g)
    else:
        od = old._data
        if od.shape != g.shape:
            raise RuntimeError(
                f"accumulating gradient of shape {g.shape} into .grad of shape {od.shape}"
            )
        if old.grad_fn is None and od.flags.writeable:
            np.add(od, g, out=od, casting="unsafe")
        else:
            leaf.grad = Tensor._wrap(od + g)


def _post_accumulate(leaf):
    """Run ``leaf``'s post-accumulate-grad hooks (``hook(leaf)``, after ``.grad`` was updated)."""
    hooks = getattr(leaf, "_post_acc_hooks", None)  # an unset slot: no hooks
    if hooks:
        for h in list(hooks):
            h(leaf)


# NOTE [ Final callbacks ]
# ``queue_callback(fn)`` (PyTorch: ``Variable._execution_engine.queue_callback``), called while a
# backward runs (from a hook), makes ``fn()`` run once that backward has walked its whole graph,
# before it returns. Each running backward has its own list (a thread-local stack, since a hook
# may itself run a backward); callbacks run in the order queued, and a callback may queue more.
# Distributed data parallel waits for its outstanding all-reduces there.
_callbacks = threading.local()


def queue_callback(callback) -> None:
    """Run ``callback()`` when the backward now running finishes (see NOTE [ Final callbacks ]).

    Raises
    ------
    RuntimeError
        When no backward is running on this thread.
    """
    stack = getattr(_callbacks, "stack", None)
    if not stack:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    stack[-1].append(callback)


def _execute(
    outputs, root_grads, retain_graph, create_graph, capture=None, accumulate=True, only_leaves=None
):
    """The engine proper. ``capture`` maps (node_or_leaf, index) keys to slots for ``grad()``."""
    stack = getattr(_callbacks, "stack", None)
    if stack is None:
        stack = _callbacks.stack = []
    queued = []
    stack.append(queued)
    try:
        _walk(outputs, root_grads, retain_graph, create_graph, capture, accumulate, only_leaves)
        while queued:
            queued.pop(0)()
    finally:
        stack.pop()


def _walk(outputs, root_grads, retain_graph, create_graph, capture, accumulate, only_leaves):
    from .anomaly import check_vjp_outputs

    buffers = {}
    roots = []
    given = set()  # ids of arrays handed to leaves as .grad in this backward
    for o, g in zip(outputs, root_grads):
        if o.grad_fn is None:  # a leaf as the root
            key = (o, -1)
            if capture is not None and key in capture:
                capture[key] = _add(capture[key], g)
            elif accumulate and (only_leaves is None or id(o) in only_leaves):
                _accumulate(o, g, create_graph, True, given)
                _post_accumulate(o)
            continue
        n = o.grad_fn
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * n.nout
        buf[o._oi] = _add(buf[o._oi], g)
        roots.append(n)
    # NOTE [ Engine order ] Nodes run by decreasing creation sequence number: every consumer of
    # a node was created after it, so when a node is popped from the max-heap every node that
    # can still send it a gradient has already run. No separate dependency-counting walk.
    roots_set = set(roots)  # their incoming gradient may be the user's own array
    heap = []
    queued = set()
    for n in roots:
        if n not in queued:
            queued.add(n)
            heappush(heap, (-n.seq, n))
    anomaly = _state.anomaly
    sources = {}
    special = capture is not None
    prev_grad = _state.grad
    _state.grad = create_graph
    try:
        while heap:
            node = heappop(heap)[1]
            grads = buffers.pop(node)
            if special or node.pre_hooks or node.retains:
                _node_extras(node, grads, create_graph, capture)
            in_grads = _call_vjps(node, grads, create_graph)
            if in_grads is None:
                if not retain_graph:
                    node.release()
                continue
            if anomaly:
                check_vjp_outputs(node, in_grads, sources)
            shapes = node.shapes
            dtypes = node.dtypes
            i = -1
            for e in node.next:
                i += 1
                if e is None:
                    continue
                g = in_grads[i]
                if g is None:
                    continue
                if create_graph:
                    g = _reduce(g, shapes[i], dtypes[i], True)
                else:
                    if type(g) is not _ndarray:
                        g = g._data if isinstance(g, Tensor) else np.asarray(g)
                    if g.shape != shapes[i]:
                        g = _sum_to_fwd(g, shapes[i])
                    if g.dtype != dtypes[i]:
                        g = g.astype(dtypes[i])
                target, oi = e
                if oi < 0:  # a leaf
                    if special:
                        key = (target, -1)
                        if key in capture:
                            capture[key] = _add(capture[key], g)
                            continue
                    if accumulate and (only_leaves is None or id(target) in only_leaves):
                        shared = any(g is x for x in grads) or node in roots_set
                        _accumulate(target, g, create_graph, shared, given)
                        _post_accumulate(target)
                    continue
                if anomaly:
                    sources.setdefault(target, []).append(node)
                buf = buffers.get(target)
                if buf is None:
                    buf = buffers[target] = [None] * target.nout
                    heappush(heap, (-target.seq, target))
                prev = buf[oi]
                if prev is None:
                    buf[oi] = g
                else:
                    buf[oi] = prev + g
            if not retain_graph:
                node.release()
    finally:
        _state.grad = prev_grad


def _node_extras(node, grads, create_graph, capture):
    """Hooks on non-leaf tensors, retain_grad, and grad()'s captures for this node."""
    if node.pre_hooks:
        for oi, hooks in node.pre_hooks.items():
            if grads[oi] is not None:
                grads[oi] = _run_hooks(hooks, grads[oi], create_graph)
    if node.retains:
        for oi, ref in node.retains.items():
            t = ref()
            if t is not None and grads[oi] is not None:
                gi = grads[oi]
                t.grad = gi if isinstance(gi, Tensor) else Tensor._wrap(np.array(gi))
    if capture is not None:
        for oi in range(node.nout):
            key = (node, oi)
            if key in capture and grads[oi] is not None:
                capture[key] = _add(capture[key], grads[oi])


def _call_vjps(node, grads, create_graph):
    """Each input's gradient (``None`` where no gradient flows), or None for all."""
    ctx = node.ctx
    if ctx is not None:  # a user autograd.Function
        return ctx._backward(grads, create_graph)
    g = grads[0]
    if g is None:
        return None
    if create_graph or node.freed or node.vcs:
        ans, args = node.unpack(create_graph)
    else:  # nothing to check: the common case of a plain backward, inlined
        ans = node.out
        args = []
        i = 0
        for s in node.saved:
            if s is None:
                args.append(Meta(node.shapes[i], node.dtypes[i]))
            elif isinstance(s, Tensor):
                args.append(s._data)
            else:
                args.append(s)
            i += 1
    op = node.op
    kw = node.kw
    if op.vjp_all is not None:
        return op.vjp_all(g, ans, *args, **kw)
    return [None if e is None else vjp(g, ans, *args, **kw) for e, vjp in zip(node.next, op.vjps)]


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph=False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Compute the gradient of ``tensors`` and accumulate it into the leaves' ``.grad``.

    Parameters
    ----------
    tensors : Tensor or sequence of Tensor
        The outputs to differentiate.
    grad_tensors : Tensor or sequence, optional
        The gradient with respect to each output; may be omitted for scalar outputs.
    retain_graph : bool, optional
        Keep the saved values so the graph can be walked again (defaults to ``create_graph``).
    create_graph : bool
        Record the backward itself, for higher-order derivatives.
    inputs : sequence of Tensor, optional
        Accumulate only into these leaves.
    """
    outputs = _as_list(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _root_grads(outputs, _as_list(grad_tensors), create_graph)
    only = None
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = {id(t) for t in inputs}
    _execute(outputs, grads, retain_graph, create_graph, only_leaves=only)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Return the gradients of ``outputs`` with respect to ``inputs`` (nothing accumulates
    into ``.grad``).

    Returns
    -------
    tuple of Tensor or None
        One per input; ``None`` for an input the outputs do not depend on (which is an error
        unless ``allow_unused=True``).
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t._rg:
            raise RuntimeError(
                f"One of the differentiated Tensors (inputs[{i}]) does not require grad"
            )
    grads = _root_grads(outs, _as_list(grad_outputs), create_graph)
    keys = [(t, -1) if t.grad_fn is None else (t.grad_fn, t._oi) for t in ins]
    capture = dict.fromkeys(keys)
    _execute(outs, grads, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, (t, k) in enumerate(zip(ins, keys)):
        g = capture[k]
        if g is None:
            if materialize_grads:
                result.append(Tensor._wrap(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}]) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
            continue
        if not isinstance(g, Tensor):
            g = Tensor._wrap(np.array(g) if id(g) else g)
        result.append(g)
    return tuple(result)
