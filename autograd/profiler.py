"""``autograd.profiler``: where the time goes, with PyTorch's profiler API.

>>> with autograd.profiler.profile(record_shapes=True) as prof:
...     with autograd.profiler.record_function("step"):
...         loss = model(x).sum()
...         loss.backward()
>>> print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))
>>> prof.export_chrome_trace("trace.json")     # open in https://ui.perfetto.dev

What is recorded, as one :class:`FunctionEvent` each (start, end, parent and children):

* every op called on Tensors, named as the op is registered (``mul``, ``matmul``, ...);
* every node the backward runs, named as its ``grad_fn`` is (``MulBackward0``, ...). In a plain
  backward the VJPs run on arrays, so a node's event has no children; with
  ``create_graph=True`` the ops its VJP calls appear inside it;
* every :class:`record_function` range, and every ``nn.Module`` call (``nn.Module: Linear_0``:
  the class name and a per-profile index of the instance).

An event's *total* time runs from its start to its end; its *self* time is the total less the
totals of its children. With ``record_shapes=True`` an op event carries its inputs' shapes
(``[]`` for a non-tensor argument), a backward event the shapes of its incoming gradients. With
``profile_memory=True`` each event carries the bytes of the arrays it returned that it allocated
(outputs that are views of an input, and gradients passed through unchanged, count 0); frees are
not tracked, so, unlike PyTorch's, the figures never go negative.

Scope: the profiler records the thread that entered ``profile`` in the main process, as
PyTorch's does by default: not other threads and not ``DataLoader`` worker processes (a forked
worker forgets the profile; the time the main process waits for a batch is in the table, inside
whatever range encloses the loop).

Cost: with no profile active, ``Op.__call__`` tests one thread-local flag, ``_state.hooks``,
which it shares with anomaly mode (so recording a graph pays no more tests than before); the
engine tests ``_state.profiler`` once per backward and ``nn.Module.__call__`` the same flag once
per call (the hooks are marked ``HOOKS`` / ``PROFILER HOOK`` there). While profiling, each event
costs a few microseconds of Python, which the times include: read them as relative costs of the
ops of one model, not as absolute op times (``python -m benchmarks`` measures those).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from enum import Enum

from .grad_mode import _state

__all__ = [
    "EventList",
    "FunctionEvent",
    "FunctionEventAvg",
    "ProfilerActivity",
    "profile",
    "record_function",
]


class ProfilerActivity(Enum):
    """What ``torch.profiler.profile(activities=...)`` records. ndgrad runs on the CPU only;
    ``CUDA`` is accepted (so ported scripts run) and records nothing."""

    CPU = "CPU"
    CUDA = "CUDA"


class Interval:
    """A time range in microseconds since the profile started."""

    __slots__ = ("start", "end")

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end

    def elapsed_us(self) -> float:
        return self.end - self.start

    def __repr__(self) -> str:
        return f"Interval(start={self.start:.3f}, end={self.end:.3f})"


class FunctionEvent:
    """One recorded op call, backward node, ``record_function`` range or module call.

    Attributes
    ----------
    name : str
    id : int
        Order of the event's start within its profile.
    kind : {'op', 'backward', 'user_annotation', 'module'}
    time_range : Interval
        Start and end, in microseconds since the profile started.
    input_shapes : list of list of int
        Shapes of the inputs (``record_shapes=True``; ``[]`` for non-tensor inputs).
    cpu_memory_usage, self_cpu_memory_usage : int
        Bytes allocated by the event with its children / by the event alone
        (``profile_memory=True``).
    cpu_parent : FunctionEvent or None
    cpu_children : list of FunctionEvent
    thread : int
    sequence_nr : int
        The sequence number of the graph node an op created or a backward event ran (the same
        number links a forward op to its backward); -1 when there is none.
    """

    __slots__ = (
        "name",
        "id",
        "kind",
        "time_range",
        "input_shapes",
        "cpu_memory_usage",
        "self_cpu_memory_usage",
        "cpu_parent",
        "cpu_children",
        "thread",
        "sequence_nr",
    )

    def __init__(self, name, id, kind, start, parent, thread, input_shapes=None, seq=-1):
        self.name = name
        self.id = id
        self.kind = kind
        self.time_range = Interval(start, start)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.cpu_parent = parent
        self.cpu_children = []
        self.thread = thread
        self.sequence_nr = seq

    key = property(lambda self: self.name, doc="What ``key_averages`` groups by: the name.")
    count = property(lambda self: 1)
    is_user_annotation = property(lambda self: self.kind == "user_annotation")

    @property
    def cpu_time_total(self) -> float:
        """Start to end, in microseconds."""
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        """The total less the totals of the children, in microseconds."""
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    cpu_time = cpu_time_total

    def __repr__(self) -> str:
        return (
            f"<FunctionEvent id={self.id} name={self.name} "
            f"cpu_time={_format_time(self.cpu_time_total)} "
            f"self_cpu_time={_format_time(self.self_cpu_time_total)} "
            f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>"
        )


class FunctionEventAvg:
    """Events with the same key (and input shapes, when grouped by them), summed.

    Attributes
    ----------
    key : str
    count : int
    cpu_time_total, self_cpu_time_total : float
        Summed over the events, in microseconds.
    cpu_time : float
        ``cpu_time_total / count``.
    cpu_memory_usage, self_cpu_memory_usage : int
    input_shapes : list or None
        The shapes, when grouped by them.
    """

    def __init__(self, key: str, input_shapes=None) -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.is_user_annotation = False

    def add(self, ev) -> FunctionEventAvg:
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        self.cpu_memory_usage += ev.cpu_memory_usage
        self.self_cpu_memory_usage += ev.self_cpu_memory_usage
        self.is_user_annotation = ev.is_user_annotation
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key}"
            f" self_cpu_time={_format_time(self.self_cpu_time_total)}"
            f" cpu_time={_format_time(self.cpu_time_total)} count={self.count}"
            f" input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>"
        )


_SORT_KEYS = (
    "cpu_time",
    "cpu_time_total",
    "self_cpu_time_total",
    "cpu_memory_usage",
    "self_cpu_memory_usage",
    "count",
)


class EventList(list):
    """A list of :class:`FunctionEvent` (``prof.events()``) or :class:`FunctionEventAvg`
    (``prof.key_averages()``) that prints as a table."""

    def __init__(self, *args, profile_memory: bool = False, record_shapes: bool = False):
        super().__init__(*args)
        self._profile_memory = profile_memory
        self._record_shapes = record_shapes

    @property
    def self_cpu_time_total(self) -> float:
        """Sum of the self times, in microseconds: the time covered by the events."""
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """One :class:`FunctionEventAvg` per name (per name and input shapes when
        ``group_by_input_shape``), in order of first appearance."""
        groups: dict = {}
        for e in self:
            shapes = _shapes_key(e.input_shapes) if group_by_input_shape else None
            k = (e.key, shapes)
            avg = groups.get(k)
            if avg is None:
                avg = groups[k] = FunctionEventAvg(
                    e.key, e.input_shapes if group_by_input_shape else None
                )
            avg.add(e)
        return EventList(
            groups.values(),
            profile_memory=self._profile_memory,
            record_shapes=self._record_shapes and group_by_input_shape,
        )

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_name_column_width: int = 55,
        max_shapes_column_width: int = 80,
        header: str | None = None,
        top_level_events_only: bool = False,
    ) -> str:
        """The events as PyTorch prints them: name, self CPU % and time, CPU total % and time,
        CPU time average, memory (with ``profile_memory``), number of calls, input shapes
        (when grouped by them).

        Parameters
        ----------
        sort_by : str, optional
            An attribute to sort by, largest first: ``self_cpu_time_total``,
            ``cpu_time_total``, ``cpu_time``, ``cpu_memory_usage``, ``self_cpu_memory_usage``
            or ``count``. Default: the order of the list.
        row_limit : int
            At most this many rows (all with a negative value).
        top_level_events_only : bool
            Only events without a parent (events, not averages).
        """
        rows = list(self)
        if top_level_events_only:
            rows = [e for e in rows if getattr(e, "cpu_parent", None) is None]
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(
                    f"sort_by={sort_by!r} is not a valid key; use one of {', '.join(_SORT_KEYS)}"
                )
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        total_self = sum(e.self_cpu_time_total for e in self)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        names = [e.key for e in rows]
        name_w = min(max([len(n) for n in names] + [len("Name")]) + 4, max_name_column_width)
        cols = [
            ("Self CPU %", lambda e: _pct(e.self_cpu_time_total, total_self)),
            ("Self CPU", lambda e: _format_time(e.self_cpu_time_total)),
            ("CPU total %", lambda e: _pct(e.cpu_time_total, total_self)),
            ("CPU total", lambda e: _format_time(e.cpu_time_total)),
            ("CPU time avg", lambda e: _format_time(e.cpu_time_total / max(e.count, 1))),
        ]
        if self._profile_memory:
            cols.append(("CPU Mem", lambda e: _format_memory(e.cpu_memory_usage)))
            cols.append(("Self CPU Mem", lambda e: _format_memory(e.self_cpu_memory_usage)))
        cols.append(("# of Calls", lambda e: str(e.count)))
        shapes_w = 0
        if self._record_shapes:
            shown = [str(e.input_shapes) for e in rows]
            shapes_w = min(
                max([len(s) for s in shown] + [len("Input Shapes")]) + 4, max_shapes_column_width
            )
        widths = [name_w] + [12] * len(cols) + ([shapes_w] if shapes_w else [])
        line = "  ".join("-" * w for w in widths) + "  "
        heads = ["Name"] + [c[0] for c in cols] + (["Input Shapes"] if shapes_w else [])
        out = []
        if header:
            out.append("=" * len(line))
            out.append(header)
        out.append(line)
        out.append(_row(heads, widths))
        out.append(line)
        for e in rows:
            cells = [_clip(e.key, name_w)] + [f(e) for _, f in cols]
            if shapes_w:
                cells.append(_clip(str(e.input_shapes), shapes_w))
            out.append(_row(cells, widths))
        out.append(line)
        out.append(f"Self CPU time total: {_format_time(total_self)}")
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.table()


def _shapes_key(shapes):
    return tuple(tuple(s) if isinstance(s, list) else s for s in shapes)


def _row(cells, widths) -> str:
    return "  ".join(c.rjust(w) for c, w in zip(cells, widths)) + "  "


def _clip(s: str, w: int) -> str:
    return s if len(s) <= w else s[: w - 3] + "..."


def _pct(x: float, total: float) -> str:
    return f"{100.0 * x / total:.2f}%" if total > 0 else "0.00%"


def _format_time(us: float) -> str:
    """Microseconds as PyTorch prints them: ``12.345us``, ``1.234ms``, ``1.234s``."""
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_memory(nbytes: int) -> str:
    kb, mb, gb = 1024, 1024**2, 1024**3
    if abs(nbytes) >= gb:
        return f"{nbytes / gb:.2f} GB"
    if abs(nbytes) >= mb:
        return f"{nbytes / mb:.2f} MB"
    if abs(nbytes) >= kb:
        return f"{nbytes / kb:.2f} KB"
    return f"{nbytes} B"


# -- recording -----------------------------------------------------------------------------------


def _shape_of(a) -> list:
    d = getattr(a, "_data", None)
    if d is None:
        d = a
    s = getattr(d, "shape", None)
    return list(s) if s is not None else []


def _arrays(x):
    """The arrays in an op's or a VJP's result (a Tensor, an array, or a list/tuple of them)."""
    if x is None:
        return
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _arrays(y)
        return
    d = getattr(x, "_data", x)
    if hasattr(d, "nbytes"):
        yield d


def _allocated(result, inputs) -> int:
    """Bytes of the arrays in ``result`` that share no memory with the arrays in ``inputs``."""
    import numpy as np

    ins = list(_arrays(list(inputs)))
    total = 0
    for a in _arrays(result):
        if not any(a is b or np.may_share_memory(a, b) for b in ins):
            total += a.nbytes
    return total


class profile:  # noqa: N801 - PyTorch's name
    """Record ops, backward nodes, ``record_function`` ranges and module calls in a block.

    Parameters
    ----------
    enabled : bool
        When False, the block runs unprofiled and the result is empty.
    record_shapes : bool
        Record the input shapes of each event (``key_averages(group_by_input_shape=True)``).
    profile_memory : bool
        Record the bytes each event allocates (adds the memory columns to the table).
    activities : iterable of ProfilerActivity, optional
        ``torch.profiler.profile``'s argument, accepted so ported scripts run: CPU is what
        ndgrad has; CUDA records nothing (with a warning).

    Notes
    -----
    Profiles the thread that enters the block, in the main process (not ``DataLoader``
    workers); profiles do not nest. See the module docstring for what each event covers.

    Examples
    --------
    >>> with profile(record_shapes=True) as prof:
    ...     y = (x * w).sum()
    ...     y.backward()
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    """

    def __init__(
        self,
        enabled: bool = True,
        *,
        record_shapes: bool = False,
        profile_memory: bool = False,
        activities: Iterable[ProfilerActivity] | None = None,
        use_cuda: bool = False,
    ) -> None:
        self.enabled = bool(enabled)
        self.record_shapes = bool(record_shapes)
        self.profile_memory = bool(profile_memory)
        if activities is not None:
            acts = list(activities)
            for a in acts:
                if not isinstance(a, ProfilerActivity):
                    raise TypeError(
                        f"activities must hold ProfilerActivity values, got {type(a).__name__}"
                    )
            if ProfilerActivity.CUDA in acts or use_cuda:
                warnings.warn(
                    "ndgrad runs on the CPU only: CUDA activity records nothing",
                    UserWarning,
                    stacklevel=2,
                )
            if ProfilerActivity.CPU not in acts:
                self.enabled = False
        elif use_cuda:
            warnings.warn(
                "ndgrad runs on the CPU only: use_cuda records nothing", UserWarning, stacklevel=2
            )
        self._events: list[FunctionEvent] = []
        self._stack: list[FunctionEvent] = []
        self._modules: dict[int, tuple[object, str]] = {}
        self._per_class: dict[str, int] = {}
        self._t0 = 0
        self._thread = threading.get_native_id()
        self._running = False
        self._done = False
        self._pid = os.getpid()

    # -- the context ---------------------------------------------------------------------------
    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Start recording (``__enter__`` does this)."""
        if not self.enabled:
            return
        if _state.profiler is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        self._events.clear()
        self._stack.clear()
        self._thread = threading.get_native_id()
        self._pid = os.getpid()
        self._t0 = time.perf_counter_ns()
        self._running = True
        _state.profiler = self

    def stop(self) -> None:
        """Stop recording (``__exit__`` does this); ranges still open are closed now."""
        if not self._running:
            return
        if _state.profiler is self:
            _state.profiler = None
        now = self._now()
        while self._stack:
            self._close(self._stack[-1], now)
        self._running = False
        self._done = True

    def step(self) -> None:
        """``torch.profiler.profile.step``: ndgrad has no schedule, so this does nothing."""

    # -- results -------------------------------------------------------------------------------
    def _check_done(self):
        if self._running:
            raise RuntimeError("Profiler didn't finish running")

    def events(self) -> EventList:
        """Every recorded event, in order of start."""
        self._check_done()
        return EventList(
            self._events, profile_memory=self.profile_memory, record_shapes=self.record_shapes
        )

    function_events = property(events, doc="``events()`` (the legacy profiler's attribute).")

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """The events averaged by name (and input shapes when ``group_by_input_shape``; needs
        ``record_shapes=True``)."""
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError(
                "key_averages(group_by_input_shape=True) needs profile(record_shapes=True)"
            )
        return self.events().key_averages(group_by_input_shape)

    def table(self, *args, **kwargs) -> str:
        """``self.key_averages().table(...)``."""
        return self.key_averages().table(*args, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        """Sum of the self times of the events, in microseconds."""
        return self.events().self_cpu_time_total

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events as Chrome trace-event JSON (``{"traceEvents": [...]}``, complete
        events ``"ph": "X"`` with ``ts`` and ``dur`` in microseconds), which
        https://ui.perfetto.dev and ``chrome://tracing`` open."""
        self._check_done()
        pid, tid = self._pid, self._thread
        events: list[dict] = [
            {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "python"}},
            {
                "ph": "M",
                "name": "thread_name",
                "pid": pid,
                "tid": tid,
                "args": {"name": f"thread {tid} (python)"},
            },
        ]
        for e in self._events:
            args: dict = {"Ev Idx": e.id}
            if e.sequence_nr >= 0:
                args["Sequence number"] = e.sequence_nr
            if self.record_shapes and e.kind in ("op", "backward"):
                args["Input Dims"] = e.input_shapes
            if self.profile_memory:
                args["Self CPU Mem"] = e.self_cpu_memory_usage
            events.append(
                {
                    "ph": "X",
                    "cat": _CATEGORY[e.kind],
                    "name": e.name,
                    "pid": pid,
                    "tid": tid,
                    "ts": round(e.time_range.start, 3),
                    "dur": round(e.time_range.elapsed_us(), 3),
                    "args": args,
                }
            )
        doc = {
            "schemaVersion": 1,
            "displayTimeUnit": "ms",
            "traceName": os.fspath(path),
            "traceEvents": events,
        }
        with open(path, "w") as f:
            json.dump(doc, f)

    def __repr__(self) -> str:
        state = "running" if self._running else f"{len(self._events)} events"
        return f"<autograd.profiler.profile ({state})>"

    def __str__(self) -> str:
        return self.key_averages().table()

    # -- the hooks' side -----------------------------------------------------------------------
    def _now(self) -> float:
        return (time.perf_counter_ns() - self._t0) / 1e3

    def _open(self, name, kind, shapes=None, seq=-1) -> FunctionEvent:
        parent = self._stack[-1] if self._stack else None
        ev = FunctionEvent(
            name, len(self._events), kind, self._now(), parent, self._thread, shapes, seq
        )
        self._events.append(ev)
        if parent is not None:
            parent.cpu_children.append(ev)
        self._stack.append(ev)
        return ev

    def _close(self, ev: FunctionEvent, now: float | None = None) -> None:
        ev.time_range.end = self._now() if now is None else now
        # the innermost open event is normally ``ev``; anything opened inside and left open
        # (an exception through a range entered by hand) closes with it
        while self._stack:
            top = self._stack.pop()
            if top is ev:
                break
            top.time_range.end = ev.time_range.end
        p = ev.cpu_parent
        if p is not None:
            p.cpu_memory_usage += ev.cpu_memory_usage

    def _op(self, op, args, kwargs):
        """The op call as one event (from ``_hooked_call``)."""
        ev = self._open(op.name, "op", [_shape_of(a) for a in args] if self.record_shapes else None)
        try:
            out = op(*args, **kwargs)  # the hooks flag is off: the plain dispatch
        finally:
            self._close(ev)
        fn = getattr(out, "grad_fn", None)
        if fn is not None:  # links the forward to its backward event, as PyTorch's does
            ev.sequence_nr = fn.seq
        if self.profile_memory:
            n = _allocated(out, args)
            ev.self_cpu_memory_usage += n
            ev.cpu_memory_usage += n
            if ev.cpu_parent is not None:
                ev.cpu_parent.cpu_memory_usage += n
        return out

    def wrap_vjps(self, call_vjps: Callable) -> Callable:
        """PROFILER HOOK target in the engine: ``call_vjps(node, grads, create_graph)`` timed
        as one event per node, named as the node is."""

        def timed(node, grads, create_graph):
            shapes = [_shape_of(g) for g in grads] if self.record_shapes else None
            ev = self._open(node.name(), "backward", shapes, node.seq)
            try:
                out = call_vjps(node, grads, create_graph)
            finally:
                self._close(ev)
            if self.profile_memory and out is not None and not ev.cpu_children:
                # (with children, create_graph: the ops inside counted what they allocated)
                n = _allocated(out, grads)
                ev.self_cpu_memory_usage += n
                ev.cpu_memory_usage += n
                if ev.cpu_parent is not None:
                    ev.cpu_parent.cpu_memory_usage += n
            return out

        return timed

    def module_name(self, module) -> str:
        """``nn.Module: Linear_0``: the class name and the instance's index in this profile."""
        entry = self._modules.get(id(module))
        if entry is None or entry[0] is not module:
            cls = type(module).__name__
            k = self._per_class.get(cls, 0)
            self._per_class[cls] = k + 1
            entry = self._modules[id(module)] = (module, f"nn.Module: {cls}_{k}")
        return entry[1]

    def module_call(self, module, call: Callable, args, kwargs):
        """PROFILER HOOK target in ``nn.Module.__call__``: the call as one range."""
        ev = self._open(self.module_name(module), "module")
        try:
            return call(args, kwargs)
        finally:
            self._close(ev)


_AUTOGRAD_DIR = os.path.dirname(os.path.abspath(__file__))


def _forget_in_child() -> None:
    # a forked process (a DataLoader worker) inherits the forking thread's profile: it records
    # nothing (its events could never reach the parent's table)
    if _state._profiler is not None:
        _state.profiler = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _hooked_call(op, args, kwargs):
    """``Op.__call__`` when ``_state.hooks`` is set (anomaly mode or a profile is on).

    The call itself runs through the plain dispatch with the flag off; around it, the profiler
    records the op as one event, and anomaly mode stores the user's stack on the node it made.
    """
    st = _state
    if st._recorder is not None:  # an autograd.compile recording (anomaly and profiler are off)
        return st._recorder.op_call(op, args, kwargs)
    prof = st._profiler
    st.hooks = False
    try:
        out = op(*args, **kwargs) if prof is None else prof._op(op, args, kwargs)
    finally:
        st.hooks = True
    if st._anomaly:
        node = getattr(out, "grad_fn", None)
        if node is not None:
            node.trace = _user_stack()
    return out


def _user_stack() -> str:
    """The current stack, formatted, without the innermost frames inside ``autograd``."""
    import traceback

    frames = traceback.extract_stack()
    while frames and os.path.abspath(frames[-1].filename).startswith(_AUTOGRAD_DIR + os.sep):
        frames.pop()
    return "".join(traceback.format_list(frames))


_CATEGORY = {
    "op": "cpu_op",
    "backward": "cpu_op",
    "user_annotation": "user_annotation",
    "module": "python_function",
}


class record_function:  # noqa: N801 - PyTorch's name
    """A named range in the profile: a context manager, or a decorator.

    Ranges nest, and the ops, nodes and modules inside them become their children. Outside a
    profile it does nothing.

    Parameters
    ----------
    name : str
    args : str, optional
        Accepted for PyTorch compatibility (not recorded).

    Examples
    --------
    >>> with record_function("data"):
    ...     x, y = next(it)
    >>> @record_function("loss")
    ... def loss_fn(out, y): ...
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"record_function name must be a str, got {type(name).__name__}")
        self.name = name
        self.args = args
        self._prof = None
        self._ev = None

    def __enter__(self) -> record_function:
        prof = _state.profiler
        if prof is not None:
            self._prof = prof
            self._ev = prof._open(self.name, "user_annotation")
        return self

    def __exit__(self, *exc) -> None:
        if self._ev is not None:
            prof, ev = self._prof, self._ev
            self._prof = self._ev = None
            if prof._running:
                prof._close(ev)

    def __call__(self, func: Callable) -> Callable:
        name = self.name

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with record_function(name):
                return func(*args, **kwargs)

        return wrapper
