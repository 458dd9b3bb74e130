"""``nn.utils.summary``: a model's layers, shapes, parameters and measured cost (torchinfo's
habits, plus the forward *and* backward time of each layer).

>>> print(nn.utils.summary(model, input_size=(64, 1, 28, 28)))

The forward and backward passes are run under :mod:`autograd.profiler`: a layer's forward time is
its ``nn.Module`` range, its backward time the sum of the backward nodes of the ops called inside
it (the profiler links each op to its node by sequence number). Memory is measured the same way:
the bytes the forward ops allocate (activations) and the bytes the backward allocates
(gradients).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from autograd import dtypes as _dt
from autograd import profiler as _profiler
from autograd.tensor import Tensor

__all__ = ["ModelSummary", "SummaryRow", "summary"]

_WIDE = 110


@dataclass
class SummaryRow:
    """One layer of a :class:`ModelSummary` (times in microseconds, per pass).

    Attributes
    ----------
    name : str
        The qualified name in the model (``""`` for the model itself, ``"0"``, ``"encoder.1"``).
    class_name : str
    depth : int
        0 for the model, 1 for its children, ...
    depth_index : str
        torchinfo's ``depth-idx`` (``"1-1"``: the first row at depth 1).
    output_shape : list
        The output's shape; a list of shapes (nested as the output is) for tuple outputs; ``[]``
        when the layer was not called.
    num_params : int
        Parameters counted on this row: its own, plus those of descendants not shown (deeper
        than ``depth``).
    trainable_params : int
        Of ``num_params``, those with ``requires_grad``.
    calls : int
        Times the layer ran in one pass.
    forward_us, backward_us : float
        Median over the timed passes.
    share : float
        ``(forward_us + backward_us)`` over the whole model's forward plus backward.
    activation_bytes : int
        Bytes the forward ops inside the layer allocated.
    """

    name: str
    class_name: str
    depth: int
    depth_index: str
    output_shape: list
    num_params: int
    trainable_params: int
    calls: int = 0
    forward_us: float = 0.0
    backward_us: float = 0.0
    share: float = 0.0
    activation_bytes: int = 0
    is_last: bool = field(default=False, repr=False)
    tree: str = field(default="", repr=False)


@dataclass
class ModelSummary:
    """What :func:`summary` returns: ``str()`` is the table, ``rows`` the data.

    Attributes
    ----------
    rows : list of SummaryRow
    total_params, trainable_params, non_trainable_params : int
    param_bytes, buffer_bytes : int
    input_bytes : int
    activation_bytes : int
        Bytes the forward pass allocates (the outputs of every op, views excluded).
    gradient_bytes : int
        Bytes the backward pass allocates.
    forward_us, backward_us : float
        The whole model's forward and backward, median per pass, in microseconds.
    runs : int
        The timed passes.
    """

    rows: list
    total_params: int
    trainable_params: int
    non_trainable_params: int
    param_bytes: int
    buffer_bytes: int
    input_bytes: int
    activation_bytes: int
    gradient_bytes: int
    forward_us: float
    backward_us: float
    runs: int

    def __str__(self) -> str:
        return _format(self)

    def __repr__(self) -> str:
        return _format(self)


def _flatten(x) -> list:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for y in x for t in _flatten(y)]
    if isinstance(x, dict):
        return [t for y in x.values() for t in _flatten(y)]
    return []


def _shape_of(x):
    if isinstance(x, Tensor):
        return list(x.shape)
    if isinstance(x, (list, tuple)):
        return [_shape_of(y) for y in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return []


def _make_inputs(input_size, dtypes):
    """torchinfo's ``input_size``: one shape, or a list of shapes for several inputs."""
    if not isinstance(input_size, (list, tuple)) or not input_size:
        raise TypeError(f"input_size must be a shape or a list of shapes, got {input_size!r}")
    sizes = [input_size] if all(isinstance(n, int) for n in input_size) else list(input_size)
    for s in sizes:
        if not isinstance(s, (list, tuple)) or not all(isinstance(n, int) and n >= 0 for n in s):
            raise TypeError(f"input_size: each shape must be a sequence of sizes, got {s!r}")
    if dtypes is None:
        dtypes = [_dt.get_default_dtype()] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"dtypes has {len(dtypes)} entries for {len(sizes)} inputs")
    rng = np.random.default_rng(0)
    out = []
    for s, dt in zip(sizes, dtypes):
        dt = np.dtype(dt)
        if dt.kind == "f":
            a = rng.random(tuple(s)).astype(dt)
        else:  # integer inputs (indices for an Embedding): zeros, as torchinfo's
            a = np.zeros(tuple(s), dtype=dt)
        out.append(Tensor._wrap(a))
    return out


def summary(
    model,
    input_size: Sequence | None = None,
    input_data=None,
    dtypes: Sequence | None = None,
    depth: int = 3,
    mode: str = "eval",
    runs: int = 3,
    verbose: int = 0,
) -> ModelSummary:
    """Summarize ``model``: layers, output shapes, parameters, and measured time and memory.

    Parameters
    ----------
    model : nn.Module
    input_size : tuple of int, or list of tuples
        The shape of the input, batch dimension included (``(64, 1, 28, 28)``), or one shape
        per positional input. Float inputs are uniform in [0, 1), integer inputs zeros.
    input_data : Tensor, or sequence of Tensor, optional
        The inputs themselves (instead of ``input_size``).
    dtypes : list of dtype, optional
        One per input (default: the default float dtype).
    depth : int
        Show layers down to this depth; deeper layers count in their parents' rows.
    mode : {'eval', 'train'}
        The mode the passes run in (the model's own mode is restored afterwards).
    runs : int
        Timed forward-and-backward passes (after one warm-up pass); the times are medians.
    verbose : int
        1 prints the table too (torchinfo's default when not in a notebook).

    Returns
    -------
    ModelSummary
        ``str()`` is the table; ``.rows`` holds one ``SummaryRow`` per shown layer.

    Notes
    -----
    The backward pass is run on the sum of every floating-point output that requires grad; the
    parameters' ``.grad`` are restored afterwards. Times include the profiler's own overhead
    (a few microseconds per op), so read them as shares of the step.
    """
    from ..modules.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"summary expects an nn.Module, got {type(model).__name__}")
    if mode not in ("eval", "train"):
        raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
    if not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be a non-negative int, got {depth!r}")
    if not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive int, got {runs!r}")
    if input_data is not None:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    elif input_size is not None:
        inputs = _make_inputs(input_size, dtypes)
    else:
        raise ValueError("summary needs input_size or input_data")

    modules = list(model.named_modules())
    params = list(model.parameters())
    saved_grads = [p.grad for p in params]
    for p in params:  # the backward accumulates in place: keep the user's .grad out of reach
        p.grad = None
    was_training = model.training
    model.train(mode == "train")
    shapes: dict[int, list] = {}
    calls: dict[int, int] = {}

    def hook(mod, args, out):
        shapes.setdefault(id(mod), _shape_of(out))
        calls[id(mod)] = calls.get(id(mod), 0) + 1

    handles = [m.register_forward_hook(hook) for _, m in modules]
    per_run = []
    try:
        for r in range(runs + 1):
            with _profiler.profile(profile_memory=True) as prof:
                out = model(*inputs)
                roots = [t for t in _flatten(out) if t.requires_grad and t.dtype.kind == "f"]
                if roots:
                    loss = roots[0].sum()
                    for t in roots[1:]:
                        loss = loss + t.sum()
                    loss.backward()
            for p in params:
                p.grad = None
            if r == 0:
                for h in handles:
                    h.remove()
                handles = []
                continue
            per_run.append(_attribute(prof, modules))
    finally:
        for h in handles:
            h.remove()
        for p, g in zip(params, saved_grads):
            p.grad = g
        model.train(was_training)

    result = _build(model, modules, per_run, shapes, calls, inputs, depth)
    if verbose:
        print(result)
    return result


def _attribute(prof, modules):
    """Per module id: (forward us, backward us, forward bytes) in one profiled pass; plus the
    totals of the backward."""
    events = prof.events()
    names = {name: mod for mod, name in prof._modules.values()}
    bwd = {}
    bwd_bytes = 0
    for e in events:
        if e.kind == "backward":
            bwd[e.sequence_nr] = bwd.get(e.sequence_nr, 0.0) + e.cpu_time_total
            bwd_bytes += e.self_cpu_memory_usage
    stats: dict[int, list] = {}
    for e in events:
        if e.kind != "module":
            continue
        mod = names.get(e.name)
        if mod is None:
            continue
        seqs = set()
        stack = list(e.cpu_children)
        while stack:
            c = stack.pop()
            if c.kind == "op" and c.sequence_nr >= 0:
                seqs.add(c.sequence_nr)
            stack.extend(c.cpu_children)
        b = sum(bwd.get(s, 0.0) for s in seqs)
        st = stats.setdefault(id(mod), [0.0, 0.0, 0])
        st[0] += e.cpu_time_total
        st[1] += b
        st[2] += e.cpu_memory_usage
    return stats, bwd_bytes


def _build(model, modules, per_run, shapes, calls, inputs, depth) -> ModelSummary:
    def med(i, key):
        vals = [run[0].get(key, [0.0, 0.0, 0])[i] for run in per_run]
        return float(np.median(vals))

    root_id = id(model)
    step = med(0, root_id) + med(1, root_id)
    depths = {id(m): (0 if n == "" else n.count(".") + 1) for n, m in modules}
    rows = []
    counters: dict[int, int] = {}
    for name, mod in modules:
        d = depths[id(mod)]
        if d > depth:
            continue
        # a row counts its own parameters; the last shown depth also those below it
        ps = list(mod.parameters()) if d == depth else list(mod._parameters.values())
        ps = [p for p in ps if p is not None]
        counters[d] = counters.get(d, 0) + 1
        f, b = med(0, id(mod)), med(1, id(mod))
        rows.append(
            SummaryRow(
                name=name,
                class_name=type(mod).__name__,
                depth=d,
                depth_index=f"{d}-{counters[d]}",
                output_shape=shapes.get(id(mod), []),
                num_params=sum(int(p._data.size) for p in ps),
                trainable_params=sum(int(p._data.size) for p in ps if p.requires_grad),
                calls=calls.get(id(mod), 0),
                forward_us=f,
                backward_us=b,
                share=(f + b) / step if step > 0 else 0.0,
                activation_bytes=int(med(2, id(mod))),
            )
        )
    _tree(rows)
    params = list(model.parameters())
    total = sum(int(p._data.size) for p in params)
    trainable = sum(int(p._data.size) for p in params if p.requires_grad)
    return ModelSummary(
        rows=rows,
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        param_bytes=sum(int(p._data.nbytes) for p in params),
        buffer_bytes=sum(int(b._data.nbytes) for b in model.buffers()),
        input_bytes=sum(int(t._data.nbytes) for t in inputs if isinstance(t, Tensor)),
        activation_bytes=rows[0].activation_bytes if rows else 0,
        gradient_bytes=int(np.median([run[1] for run in per_run])),
        forward_us=med(0, root_id),
        backward_us=med(1, root_id),
        runs=len(per_run),
    )


def _tree(rows) -> None:
    """torchinfo's tree prefixes: ``├─`` and ``└─``, with ``│`` for open parents."""
    for i, r in enumerate(rows):
        later = [s.depth for s in rows[i + 1 :]]
        nxt = next((d for d in later if d <= r.depth), None)
        r.is_last = nxt is None or nxt < r.depth
    open_at: dict[int, bool] = {}
    for r in rows:
        if r.depth == 0:
            r.tree = ""
            continue
        prefix = "".join("│    " if open_at.get(k) else "     " for k in range(1, r.depth))
        r.tree = prefix + ("└─" if r.is_last else "├─")
        open_at[r.depth] = not r.is_last


def _fmt_shape(s) -> str:
    if s == []:
        return "--"
    return str(s)


def _fmt_us(us: float) -> str:
    if us <= 0:
        return "--"
    return _profiler._format_time(us)


def _fmt_count(n: int) -> str:
    return f"{n:,}" if n else "--"


def _fmt_trainable(r) -> str:
    if r.num_params == 0:
        return "--"
    if r.trainable_params == r.num_params:
        return "True"
    return "False" if r.trainable_params == 0 else "Partial"


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f}"


def _format(s: ModelSummary) -> str:
    heads = [
        "Layer (type:depth-idx)",
        "Output Shape",
        "Param #",
        "Trainable",
        "Forward",
        "Backward",
        "% of step",
    ]
    cells = []
    for r in s.rows:
        label = r.class_name if r.depth == 0 else f"{r.tree}{r.class_name}: {r.depth_index}"
        cells.append(
            [
                label,
                _fmt_shape(r.output_shape),
                _fmt_count(r.num_params),
                _fmt_trainable(r),
                _fmt_us(r.forward_us),
                _fmt_us(r.backward_us),
                f"{100 * r.share:.1f}%" if r.forward_us > 0 else "--",
            ]
        )
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    lines = []

    def row(cs):
        out = []
        for i, (c, w) in enumerate(zip(cs, widths)):
            out.append(c.ljust(w) if i < 2 else c.rjust(w))
        return "   ".join(out).rstrip()

    body_head = row(heads)
    rule = "=" * max(len(body_head), 60)
    lines += [rule, body_head, rule]
    lines += [row(c) for c in cells]
    lines.append(rule)
    lines.append(f"Total params: {s.total_params:,}")
    lines.append(f"Trainable params: {s.trainable_params:,}")
    lines.append(f"Non-trainable params: {s.non_trainable_params:,}")
    lines.append(
        f"Forward: {_profiler._format_time(s.forward_us)}, backward: "
        f"{_profiler._format_time(s.backward_us)} per pass (median of {s.runs}, profiled)"
    )
    lines.append(rule)
    lines.append(f"Input size (MB): {_mb(s.input_bytes)}")
    lines.append(f"Forward pass activations (MB): {_mb(s.activation_bytes)}")
    lines.append(f"Backward pass gradients (MB): {_mb(s.gradient_bytes)}")
    lines.append(f"Params size (MB): {_mb(s.param_bytes)}")
    if s.buffer_bytes:
        lines.append(f"Buffers size (MB): {_mb(s.buffer_bytes)}")
    total = s.input_bytes + s.activation_bytes + s.gradient_bytes + s.param_bytes + s.buffer_bytes
    lines.append(f"Estimated Total Size (MB): {_mb(total)}")
    lines.append(rule)
    return "\n".join(lines)
