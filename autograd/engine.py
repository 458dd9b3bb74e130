"""``backward`` and ``grad``: run the recorded graph in reverse.

Both run one walk (:class:`_Walk`), in three steps and without recursion (chains of any length
work):

* **seed**: each output's gradient goes to the node that made it (or, for an output that is a
  leaf, to that leaf's sum);
* **run one node**: nodes come off a max-heap by creation number (NOTE [ Engine order ]), so a
  node runs once every node that can still send it a gradient has run. Its summed output
  gradients pass its tensor hooks, ``retain_grad`` and ``grad()``'s captures, then its VJPs
  (:meth:`~autograd.graph.Node.apply`), after which, without ``retain_graph``, the node drops
  its saved values. Each VJP result is reduced to its input's shape and cast to its dtype
  (``_reduce``, here and nowhere else; ``sum_to`` is an op, so this step is differentiable too);
* **deliver along one edge**: the gradient is added to the input node's buffer (which puts the
  node on the heap the first time), or to the leaf's sum.

A leaf's contributions are summed over the whole walk; at its end each sum passes the leaf's
hooks once and is added to ``.grad`` once (``_accumulate``, PyTorch's AccumulateGrad), so each
of several retained backward passes adds exactly the same value. Which gradients a walk hands
back is its ``inputs``: every leaf it reaches (``backward``), or only the given tensors
(``grad``, ``backward(inputs=...)``), a non-leaf one being captured when its node runs.

VJPs run with grad mode set to ``create_graph``: a plain backward hands them arrays and records
nothing; ``create_graph=True`` hands them Tensors, so the gradients are differentiable.
"""

from __future__ import annotations

import threading
from heapq import heappop, heappush

import numpy as np

from .grad_mode import _state
from .ops.elementwise import cast
from .ops.shape import sum_to
from .tensor import Tensor, _refresh

_ndarray = np.ndarray


_tensor = Tensor._wrap  # the engine's one way to make a Tensor (of a gradient array)


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
            g = np.ones_like(o._data)
            if create_graph:
                g = _tensor(g)
        else:
            if not isinstance(g, Tensor):
                g = _tensor(np.asarray(g, dtype=o.dtype))
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
    """Bring a VJP's result to its input's shape and dtype (a Tensor when ``create_graph``)."""
    if create_graph:
        if not isinstance(g, Tensor):
            g = _tensor(np.asarray(g))
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


# Whether a gradient array may become a ``.grad`` (or a ``grad()`` result) without a copy:
_SHARED = 0  # no: it may be another array in flight (an incoming gradient passed through by a
#              VJP, the user's root gradient, a hook's return value, a captured gradient)
_FRESH = 1  # a VJP's own result: yes, unless a second leaf got the same array (``given``)
_OWNED = 2  # a sum this walk allocated: yes, and later contributions are added in place


# NOTE [ Engine order ] Nodes run by decreasing creation sequence number: every consumer of a
# node was created after it, so when a node is popped from the max-heap every node that can
# still send it a gradient has already run. No separate dependency-counting walk.


class _Walk:
    """One backward or ``grad()`` call: the gradients in flight and where they end up.

    Parameters
    ----------
    create_graph, retain_graph : bool
        As in :func:`backward`.
    inputs : sequence of Tensor or None
        The tensors whose gradient to collect; ``None`` collects every leaf reached.
    """

    __slots__ = (
        "create_graph",
        "retain_graph",
        "buffers",
        "heap",
        "leaf_sums",
        "keep",
        "captures",
        "captured",
        "sources",
        "timed",
    )

    def __init__(self, create_graph: bool, retain_graph: bool, inputs=None):
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.buffers = {}  # node -> its output gradients, summed so far
        self.heap = []  # (-seq, node): the nodes holding a gradient, latest-created first
        self.leaf_sums = {}  # leaf -> [its gradient summed over this walk, _SHARED/_FRESH/_OWNED]
        self.keep = None  # the leaves whose sum to collect; None: all
        self.captures = None  # node -> indices of its outputs whose gradient to capture
        self.captured = {}  # (node, index) -> captured gradient
        self.sources = {} if _state.anomaly else None  # node -> nodes that sent it a gradient
        prof = _state.profiler  # with autograd.profiler on, the VJP call that times each node
        self.timed = None if prof is None else prof.wrap_vjps(_apply)
        if inputs is not None:
            self.keep = {t for t in inputs if t.grad_fn is None}
            self.captures = {}
            for t in inputs:
                if t.grad_fn is not None:
                    self.captures.setdefault(t.grad_fn, []).append(t._oi)

    def seed(self, outputs, grads) -> None:
        """Hand each output's gradient to the node that made it, or to the leaf itself."""
        for o, g in zip(outputs, grads):
            edge = (o, -1) if o.grad_fn is None else (o.grad_fn, o._oi)
            self.deliver(edge, g, (g,))  # the user's gradient: never handed over as .grad

    def run(self) -> None:
        """Run the nodes in order until no gradient is left in flight (each: hooks, VJPs,
        release, then each input's gradient along its edge); then pass each leaf's sum
        through the leaf's hooks. One loop, no call per node but the node's own ``apply``
        and ``release`` (this loop is most of a small-op backward's own cost)."""
        heap = self.heap
        buffers = self.buffers
        create_graph = self.create_graph
        retain_graph = self.retain_graph
        captures = self.captures
        timed = self.timed
        sources = self.sources
        # NOTE [ The single pending node ] While exactly one node holds a gradient (a chain),
        # it is the next to run: it waits in ``single``/``single_grads`` instead of the heap
        # and ``buffers``, and moves there as soon as a second node receives a gradient.
        single = None
        single_grads = None
        while heap or single is not None:
            if single is not None:
                node = single
                grads = single_grads
                single = None
            else:
                node = heappop(heap)[1]
                grads = buffers.pop(node)
            if (
                node.pre_hooks is not None
                or node.retains is not None
                or (captures is not None and node in captures)
            ):
                self.before_vjps(node, grads)
            if timed is None:
                in_grads = node.apply(grads, create_graph)
            else:  # autograd.profiler is on: each node's VJPs are timed as one event
                in_grads = timed(node, grads, create_graph)
            if not retain_graph:
                node.release()
            if in_grads is None:
                continue
            if node.pre_hooks is not None and node.pre_hooks.get("post"):
                in_grads = _post_hooks(node, in_grads, grads, create_graph)
            if sources is not None:
                _check_anomaly(node, in_grads, sources)
            shapes = node.shapes
            dtypes = node.dtypes
            i = -1
            for edge in node.next:
                i += 1
                if edge is None:
                    continue
                g = in_grads[i]
                if g is None:
                    continue
                if create_graph or type(g) is not _ndarray or g.shape != shapes[i]:
                    g = _reduce(g, shapes[i], dtypes[i], create_graph)
                elif g.dtype is not dtypes[i] and g.dtype != dtypes[i]:
                    g = g.astype(dtypes[i])
                target, oi = edge
                if oi < 0:
                    self.deliver(edge, g, grads)
                    continue
                # ``deliver`` to a node, written out (the common case)
                if target is single:
                    buf = single_grads
                else:
                    buf = buffers.get(target)
                    if buf is None:
                        buf = [None] * target.nout if target.nout != 1 else [None]
                        if single is None and not heap:
                            single = target
                            single_grads = buf
                        else:
                            if single is not None:  # a second pending node: both queue
                                buffers[single] = single_grads
                                heappush(heap, (-single.seq, single))
                                single = None
                            buffers[target] = buf
                            heappush(heap, (-target.seq, target))
                prev = buf[oi]
                buf[oi] = g if prev is None else prev + g
        for leaf, entry in self.leaf_sums.items():
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, entry[0], self.create_graph)
                if g is not entry[0]:
                    entry[:] = (g, _SHARED)

    def deliver(self, edge, g, incoming) -> None:
        """Add ``g`` (already in the input's shape and dtype) to what flows along ``edge``.
        ``incoming`` are the sending node's own output gradients (which a VJP may pass on)."""
        target, oi = edge
        if oi >= 0:  # a node: into its buffer, and onto the heap the first time
            buf = self.buffers.get(target)
            if buf is None:
                buf = self.buffers[target] = [None] * target.nout
                heappush(self.heap, (-target.seq, target))
            prev = buf[oi]
            buf[oi] = g if prev is None else prev + g
            return
        if self.keep is not None and target not in self.keep:
            return
        entry = self.leaf_sums.get(target)
        if entry is None:
            state = _FRESH
            for x in incoming:
                if g is x:
                    state = _SHARED
                    break
            self.leaf_sums[target] = [g, state]
        elif entry[1] == _OWNED:
            np.add(entry[0], g, out=entry[0])
        else:
            s = entry[0] + g
            if type(s) is _ndarray:
                entry[:] = (s, _OWNED)
            elif isinstance(s, Tensor):
                entry[:] = (s, _SHARED)
            else:  # NumPy made a scalar of two 0-d arrays
                entry[:] = (np.asarray(s), _OWNED)

    def before_vjps(self, node, grads) -> None:
        """A node's tensor hooks, ``retain_grad`` and ``grad()``'s captures, in PyTorch's
        order; hooks may replace entries of ``grads``."""
        create_graph = self.create_graph
        if node.pre_hooks:
            for oi, hooks in node.pre_hooks.items():
                if type(oi) is int and grads[oi] is not None:
                    grads[oi] = _run_hooks(hooks, grads[oi], create_graph)
            if node.pre_hooks.get("pre"):  # NOTE [ Node hooks ] in graph.py
                for h in list(node.pre_hooks["pre"].values()):
                    r = h(tuple(_as_tensor(g) for g in grads))
                    if r is not None:
                        grads[:] = _hook_result(h, r, len(grads), create_graph)
        if node.retains:
            for oi, ref in node.retains.items():
                t = ref()
                g = grads[oi]
                if t is not None and g is not None:
                    if not create_graph:
                        g = _tensor(np.array(g)) if t.grad is None else _tensor(t.grad._data + g)
                    elif t.grad is not None:
                        g = t.grad + g
                    t.grad = g
        if self.captures is not None:
            for oi in self.captures.get(node, ()):
                if grads[oi] is not None:
                    self.captured[(node, oi)] = grads[oi]

    def gradient_of(self, t: Tensor):
        """``(gradient, _SHARED/_FRESH/_OWNED)`` collected for ``t``, or ``(None, _SHARED)``."""
        if t.grad_fn is None:
            entry = self.leaf_sums.get(t)
            return (None, _SHARED) if entry is None else entry
        return self.captured.get((t.grad_fn, t._oi)), _SHARED


def _apply(node, grads, create_graph):
    return node.apply(grads, create_graph)


def _check_anomaly(node, in_grads, sources) -> None:
    from .anomaly import check_vjp_outputs

    check_vjp_outputs(node, in_grads, sources)
    for edge, g in zip(node.next, in_grads):
        if edge is not None and g is not None and edge[1] >= 0:
            sources.setdefault(edge[0], []).append(node)


def _as_tensor(g):
    return g if g is None or isinstance(g, Tensor) else _tensor(g)


def _hook_result(h, r, n, create_graph) -> list:
    """A node hook's returned tuple, checked as PyTorch checks it, as gradients."""
    if not isinstance(r, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != n:
        raise RuntimeError(
            f"hook '{getattr(h, '__name__', h)}' has returned an incorrect number of values "
            f"(got {len(r)}, but expected {n})"
        )
    out = []
    for g in r:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"a hook must return Tensors or None, got {type(g).__name__}")
        out.append(g if g is None or create_graph else g._data)
    return out


def _post_hooks(node, in_grads, grads, create_graph) -> list:
    """Run ``grad_fn.register_hook`` hooks on the node's input gradients, each in its
    input's shape and dtype (NOTE [ Node hooks ] in graph.py)."""
    gi = list(in_grads)
    for i, edge in enumerate(node.next):
        g = gi[i] if i < len(gi) else None
        if edge is None or g is None:
            gi[i] = None
        else:
            gi[i] = _reduce(g, node.shapes[i], node.dtypes[i], create_graph)
    go = tuple(_as_tensor(g) for g in grads)
    for h in list(node.pre_hooks["post"].values()):
        r = h(tuple(_as_tensor(g) for g in gi), go)
        if r is not None:
            gi = _hook_result(h, r, len(gi), create_graph)
    return gi


def _run_hooks(hooks, g, create_graph):
    for h in list(hooks.values()):
        r = h(g if isinstance(g, Tensor) else _tensor(g))
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(f"a hook must return a Tensor or None, got {type(r).__name__}")
            g = r if create_graph else r._data
    return g


def _handover(g, state, given: set):
    """``g`` itself, or a copy where handing it out could alias another gradient, a view or
    the user's array: a fresh, writable, C-ordered array (a Fortran-order gradient slows every
    optimizer update). ``given`` holds the ids of arrays already handed out by this call
    (alive, so their ids are not reused meanwhile)."""
    if (
        state == _SHARED
        or g.base is not None
        or not g.flags.c_contiguous
        or not g.flags.writeable
        or id(g) in given
    ):
        g = np.array(g, order="C")
    given.add(id(g))
    return g


def _accumulate(t: Tensor, g, state, create_graph: bool, given: set) -> None:
    """Add one walk's gradient ``g`` into ``t.grad`` (PyTorch's AccumulateGrad), then run the
    post-accumulate-grad hooks."""
    old = t.grad
    if create_graph:
        if not isinstance(g, Tensor):
            g = _tensor(np.array(g))
        t.grad = g if old is None else old + g
    else:
        if isinstance(g, Tensor):
            g = g._data
        if old is None:
            t.grad = _tensor(_handover(g, state, given))
        else:
            od = old._data
            if od.shape != g.shape:
                raise RuntimeError(
                    f"accumulating gradient of shape {g.shape} into .grad of shape {od.shape}"
                )
            if old.grad_fn is None and od.flags.writeable:
                np.add(od, g, out=od, casting="unsafe")
            else:
                t.grad = _tensor(od + g)
    if t._hooks is not None:  # set on a leaf with any hook (see register_post_accumulate_grad_hook)
        for h in list((getattr(t, "_post_hooks", None) or {}).values()):
            h(t)


# NOTE [ Final callbacks ]
# ``queue_callback(fn)`` (PyTorch: ``Variable._execution_engine.queue_callback``), called while a
# backward runs (from a hook), makes ``fn()`` run once that backward has walked its whole graph
# and accumulated into the leaves, before it returns. Each running backward has its own list (a
# thread-local stack, since a hook may itself run a backward); callbacks run in the order queued,
# and a callback may queue more. Distributed data parallel waits for its all-reduces there.
_callbacks = threading.local()


def queue_callback(callback) -> None:
    """Run ``callback()`` when the backward now running finishes (NOTE [ Final callbacks ]).

    Raises
    ------
    RuntimeError
        When no backward is running on this thread.
    """
    stack = getattr(_callbacks, "stack", None)
    if not stack:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    stack[-1].append(callback)


class _final_callbacks:  # noqa: N801 - used as a context manager, like a function
    """The queue of final callbacks of one backward (a plain class, not a generator-based
    context manager: this runs at every backward)."""

    __slots__ = ("stack", "queued")

    def __enter__(self):
        stack = getattr(_callbacks, "stack", None)
        if stack is None:
            stack = _callbacks.stack = []
        self.stack = stack
        self.queued = []
        stack.append(self.queued)

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                queued = self.queued
                while queued:
                    queued.pop(0)()
        finally:
            self.stack.pop()


# NOTE [ Engine order ] Nodes run by decreasing creation sequence number: every consumer of a
# node was created after it, so when a node is popped from the max-heap every node that can
# still send it a gradient has already run. No separate dependency-counting walk.


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
        Accumulate only into these tensors' ``.grad`` (leaves or not).
    """
    outputs = _as_list(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _refresh_views(outputs)
    grads = _root_grads(outputs, _as_list(grad_tensors), create_graph)
    if inputs is not None:
        inputs = _as_list(inputs)
        _refresh_views(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        _check_inputs(inputs)
        inputs = list(dict.fromkeys(inputs))  # each once (by identity)
    walk = _Walk(create_graph, retain_graph, inputs)
    prev = _state.grad
    _state.grad = create_graph
    try:
        with _final_callbacks():
            walk.seed(outputs, grads)
            walk.run()
            given = set()
            if inputs is None:
                for t, (g, state) in walk.leaf_sums.items():
                    _accumulate(t, g, state, create_graph, given)
            else:
                for t in inputs:
                    g, state = walk.gradient_of(t)
                    if g is not None:
                        _accumulate(t, g, state, create_graph, given)
    finally:
        _state.grad = prev


def _refresh_views(tensors) -> None:
    """Bring the history of views among ``tensors`` up to date (NOTE [ In-place on views ] in
    tensor.py)."""
    for t in tensors:
        if isinstance(t, Tensor) and t._base is not None:
            _refresh(t)


def _check_inputs(inputs) -> None:
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t._rg:
            raise RuntimeError(
                f"One of the differentiated Tensors (inputs[{i}]) does not require grad"
            )


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
    _refresh_views(outs)
    _refresh_views(ins)
    _check_inputs(ins)
    grads = _root_grads(outs, _as_list(grad_outputs), create_graph)
    walk = _Walk(create_graph, retain_graph, ins)
    prev = _state.grad
    _state.grad = create_graph
    try:
        with _final_callbacks():
            walk.seed(outs, grads)
            walk.run()
    finally:
        _state.grad = prev
    result = []
    given = set()
    for i, t in enumerate(ins):
        g, state = walk.gradient_of(t)
        if g is None:
            if materialize_grads:
                result.append(_tensor(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}]) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(_tensor(_handover(g, state, given)))
    return tuple(result)
