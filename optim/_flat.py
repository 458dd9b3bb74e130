"""One flat buffer per parameter group, so that an elementwise update is a handful of NumPy calls.

NOTE [ Flat parameter buffers ]
An elementwise optimizer (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, ...) makes the same
dozen array operations on every parameter. Made parameter by parameter, a step over a small
model costs a dozen NumPy calls per parameter, and for a model of a few hundred thousand weights
the per-call overhead is as large as the arithmetic. So each parameter group is laid out in one
contiguous buffer:

- ``flat`` holds every parameter's values back to back, and each parameter's ``_data`` is a view
  of its slice of ``flat`` (``flat[o:o + n].reshape(p.shape)``), so the model reads and writes
  the same memory the optimizer updates;
- each state quantity (``exp_avg``, ``momentum_buffer``, ...) has one flat buffer too, and the
  per-parameter state tensors in ``optimizer.state[p]`` are views into it, so ``state_dict()``
  keeps PyTorch's per-parameter layout;
- each scalar state quantity (``step``; NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) has
  one 1-d array with an entry per parameter, and each parameter's ``state[p]['step']`` is a 0-d
  tensor viewing its entry, so ``step += 1`` is one NumPy call for the whole group;
- a step gathers the gradients with one ``np.concatenate(..., out=)`` into a flat gradient
  buffer and runs the update once, on the flat arrays, with ``out=`` into two scratch buffers
  (so a group costs three parameter-sized buffers besides its state, as PyTorch's foreach
  intermediates do).

The layout covers the parameters that have a gradient (those without one are skipped, as
PyTorch skips them); it is used only while it is valid, which each step checks with a few
identity tests per parameter: the same parameters have gradients, and each ``p._data`` and each
state tensor is still the view the layout made (``p.data = ...``, ``module.to(...)``,
``load_state_dict`` or an assignment to ``optimizer.state[p][...]`` break that), and the scalar
state of the group holds one value (each parameter's step count is the same). When the
parameters can't share a buffer -- mixed dtypes, non-contiguous or read-only arrays, state
present for some of them only, step counts that differ, a parameter listed twice -- the same
update function runs once per parameter on that parameter's own arrays. Both paths do the same
arithmetic in the same order, so they give the same numbers.

NOTE [ Laying out without moving observed memory ]
Laying a group out means giving its parameters (and state) new memory, which PyTorch never
does: a NumPy array or a tensor that shares a parameter's memory (``p.numpy()``,
``p.detach()``, ``p.data``, ``p[0]``, ``np.asarray(p)``) taken before the layout would keep
the old memory and stop following the parameter. So :func:`build` moves an array only when
nothing but its own tensor can see it:

1. arrays that already lie back to back, in order, in one buffer (the group's previous layout,
   after a ``load_state_dict`` or a step where some parameter had no gradient) are *adopted*:
   ``flat`` becomes a view of that memory and nothing moves;
2. any other array is *moved* only if CPython's reference counts show no reference to it, or to
   the buffer it is a view of, besides the tensors of this group that hold it (and the other
   group arrays that view the same buffer, which must not overlap). Reference counts are exact:
   every array, view, tensor or ``memoryview`` sharing the memory holds a reference;
3. otherwise the group runs per parameter for that step (same numbers, no layout), and the
   layout is tried again at the next step.

So the layout is invisible: memory that anyone can observe is never replaced, and the flat
path is taken whenever nobody holds on to the old memory, which is the case in ordinary
training loops (the autograd graph drops the arrays it saved when ``backward`` runs).
"""

from __future__ import annotations

import sys

import numpy as np

from autograd.tensor import Tensor


class FlatGroup:
    """The flat layout of one parameter group (see NOTE [ Flat parameter buffers ])."""

    __slots__ = (
        "params",
        "views",
        "flat",
        "names",
        "bufs",
        "tensors",
        "sviews",
        "snames",
        "sbufs",
        "stensors",
        "ssviews",
        "scratch",
        "rows",
        "snapshot",
    )

    def __init__(self, params, views, flat, names, bufs, tensors, sviews, snames, sbufs,
                 stensors, ssviews, scratch):  # fmt: skip
        self.params = params
        self.views = views
        self.flat = flat
        self.names = names
        self.bufs = bufs
        self.tensors = tensors
        self.sviews = sviews
        self.snames = snames
        self.sbufs = sbufs
        self.stensors = stensors
        self.ssviews = ssviews
        self.scratch = scratch
        self.snapshot = None  # the scalar state's bytes after the last flat step
        self._rows()

    def _rows(self) -> None:
        """Per parameter, what :meth:`valid` checks: the parameter, its view, and each state
        entry's tensor and view (None, None for state the update has not created yet)."""
        entries = list(zip(self.names, self.tensors, self.sviews))
        entries += zip(self.snames, self.stensors, self.ssviews)
        self.rows = [
            (p, v, tuple((n, None, None) if ts is None else (n, ts[i], vs[i])
                         for n, ts, vs in entries))
            for i, (p, v) in enumerate(zip(self.params, self.views))
        ]  # fmt: skip

    def valid(self, params, states, names, snames) -> bool:
        """Whether the layout still describes ``params`` and their ``states`` (a few identity
        tests per parameter)."""
        if names != self.names or snames != self.snames or len(params) != len(self.params):
            return False
        if not states:
            for p, (q, v, _) in zip(params, self.rows):
                if p is not q or p._data is not v:
                    return False
            return True
        for p, st, (q, v, checks) in zip(params, states, self.rows):
            if p is not q or p._data is not v:
                return False
            for n, t, tv in checks:
                if st.get(n) is not t or (t is not None and t._data is not tv):
                    return False
        return True

    def uniform(self) -> bool:
        """Whether every parameter holds the same scalar state (as the last flat step left it,
        or checked value by value)."""
        if not self.sbufs:
            return True
        snap = [sb.tobytes() for sb in self.sbufs]
        if snap == self.snapshot:
            return True
        return all(sb.size < 2 or bool((sb == sb[0]).all()) for sb in self.sbufs)

    def adopt(self, i: int, arr: np.ndarray, states) -> None:
        """Register ``arr``, a state buffer the update created lazily, as state ``names[i]``."""
        views, tensors = _split(arr, self.views)
        self.bufs[i] = arr
        self.tensors[i] = tensors
        self.sviews[i] = views
        name = self.names[i]
        for st, t in zip(states, tensors):
            st[name] = t
        self._rows()


def _split(flat: np.ndarray, like) -> tuple[list, list]:
    views, tensors, o = [], [], 0
    for a in like:
        v = flat[o : o + a.size].reshape(a.shape)
        o += a.size
        views.append(v)
        tensors.append(Tensor._wrap(v))
    return views, tensors


# -- where an array lies ------------------------------------------------------------------------


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _bounds(a: np.ndarray) -> tuple[int, int]:
    """The byte range ``[low, high)`` that ``a`` can touch."""
    low = high = _address(a)
    for n, s in zip(a.shape, a.strides):
        if n == 0:
            return low, low
        if s < 0:
            low += (n - 1) * s
        else:
            high += (n - 1) * s
    return low, high + a.itemsize


def _owner(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory (NumPy collapses chains of views to it)."""
    return a if a.base is None else a.base


def _run(arrays, dt) -> np.ndarray | None:
    """A 1-d view spanning ``arrays`` when they lie back to back, in order, C-contiguous and
    writeable, in one buffer of dtype ``dt``; else None."""
    first = arrays[0]
    base = _owner(first)
    if not isinstance(base, np.ndarray) or base.dtype != dt or not base.flags.c_contiguous:
        return None
    start = addr = _address(first)
    for a in arrays:
        if (
            a.dtype != dt
            or not a.flags.c_contiguous
            or not a.flags.writeable
            or _owner(a) is not base
            or _address(a) != addr
        ):
            return None
        addr += a.nbytes
    o = (start - _address(base)) // dt.itemsize
    n = (addr - start) // dt.itemsize
    return base.reshape(-1)[o : o + n]


# -- who can see an array ------------------------------------------------------------------------


def _excess_refs(arrays: list) -> list[int]:
    """For each array in ``arrays`` (distinct objects), the number of references to it besides
    the list and this call's own (measured against a fresh array held the same way)."""
    arrays.append(np.empty(0))
    counts = [sys.getrefcount(a) for a in arrays]
    arrays.pop()
    base = counts.pop()
    return [c - base for c in counts]


def _unobserved(moving: list, holders: list, runs: list) -> bool:
    """Whether the arrays in ``moving`` can be given new memory unseen.

    ``holders`` lists the array of every tensor of the group (parameters and state), ``runs``
    the adopted flat views (NOTE [ Laying out without moving observed memory ]). Each moving
    array must be held by exactly one tensor and nothing else; the buffer it views, if any, only
    by arrays of ``holders`` or ``runs``, whose byte ranges must not overlap.
    """
    occurrences: dict[int, int] = {}
    for a in moving:
        occurrences[id(a)] = occurrences.get(id(a), 0) + 1
    held: dict[int, int] = {}
    for a in holders:
        held[id(a)] = held.get(id(a), 0) + 1
    bases: dict[int, np.ndarray] = {}
    for a in moving:
        if held.get(id(a)) != 1:
            return False  # one array held by two tensors: tied memory
        b = a.base
        if b is not None:
            if type(b) is not np.ndarray or b.base is not None:
                return False  # memory owned by something else (a memmap, a buffer): keep it
            bases[id(b)] = b
    nviews = dict.fromkeys(bases, 0)
    spans: dict[int, list] = {k: [] for k in bases}
    counted = set()
    for a in holders:
        k = id(a)
        if k in bases:
            return False  # a buffer that is itself a tensor's array: its views are tied memory
        if k not in counted:
            counted.add(k)
            if a.base is not None and id(a.base) in bases:
                nviews[id(a.base)] += 1
                spans[id(a.base)].append(_bounds(a))
    for r in runs:
        if r is not None and id(r.base) in bases:
            nviews[id(r.base)] += 1
            spans[id(r.base)].append(_bounds(r))
    for s in spans.values():
        s.sort()
        for (_, hi), (lo, _) in zip(s, s[1:]):
            if lo < hi:
                return False
    # Expected references besides the measuring list: a moving array, its tensor, its entries
    # in ``moving`` and its one entry in ``holders``; a buffer, ``bases`` and each view of it.
    keys = list(occurrences)
    want = [1 + occurrences[k] + 1 for k in keys] + [1 + nviews[k] for k in bases]
    arrays = [a for a in moving if occurrences.pop(id(a), None) is not None]
    arrays += bases.values()
    a = b = r = None
    return _excess_refs(arrays) == want


# -- building a layout ---------------------------------------------------------------------------


def _plan(params, states, names, snames):
    """The checks of :func:`build`: None when the group can't be laid out, else ``(present,
    run, sruns, ssruns, moving)``: which state exists, the adopted flat views (None where the
    arrays must move) and the arrays to move."""
    dt = params[0]._data.dtype
    if dt.kind != "f":
        return None
    if len({id(p) for p in params}) != len(params):
        return None  # a parameter listed twice runs twice, per parameter
    for p in params:
        if p._data.dtype != dt or not p._data.flags.c_contiguous or not p._data.flags.writeable:
            return None
    present = []
    for n in names:
        have = [isinstance(st.get(n), Tensor) for st in states]
        if all(have):
            if any(st[n]._data.shape != p._data.shape for st, p in zip(states, params)):
                return None
            present.append(True)
        elif not any(have):
            present.append(False)
        else:
            return None
    moving = []
    run = _run([p._data for p in params], dt)
    if run is None:
        moving += [p._data for p in params]
    sruns = []
    for n, have in zip(names, present):
        srun = None
        if have:
            srun = _run([st[n]._data for st in states], dt)
            if srun is None:
                moving += [st[n]._data for st in states]
        sruns.append(srun)
    ssruns = []
    for n in snames:
        sdt = states[0][n]._data.dtype
        if any(st[n]._data.ndim != 0 or st[n]._data.dtype != sdt for st in states):
            return None
        srun = _run([st[n]._data for st in states], sdt)
        if srun is None:
            moving += [st[n]._data for st in states]
        ssruns.append(srun)
    return present, run, sruns, ssruns, moving


def build(params, states, names, fills, snames, holders) -> FlatGroup | None:
    """Lay ``params`` (and their state) out in flat buffers, moving no observed memory (NOTE
    [ Laying out without moving observed memory ]).

    ``fills[i]`` is the initial value of state ``names[i]`` for parameters that have none yet,
    or None when the update creates that buffer itself (SGD's momentum buffer). ``snames`` name
    the 0-d state, present for every parameter with one dtype across the group. ``holders`` are
    the arrays of every tensor of the group (parameters, with or without a gradient, and
    state). Returns None, changing nothing, when the parameters can't share one buffer.
    """
    if not params:
        return None
    plan = _plan(params, states, names, snames)
    if plan is None:
        return None
    present, flat, sruns, ssruns, moving = plan
    del plan
    if moving and not _unobserved(moving, holders, [flat, *sruns, *ssruns]):
        return None
    del moving

    dt = params[0]._data.dtype
    total = sum(p._data.size for p in params)
    if flat is None:
        flat = np.empty(total, dt)
        views, _ = _split(flat, [p._data for p in params])
        for p, v in zip(params, views):
            np.copyto(v, p._data)
            p._data = v
    else:
        views = [p._data for p in params]
    bufs, tensors, sviews = [], [], []
    for n, fill, have, run in zip(names, fills, present, sruns):
        if have:
            ts = [st[n] for st in states]
            if run is None:
                run = np.empty(total, dt)
                for t, v in zip(ts, _split(run, views)[0]):
                    np.copyto(v, t._data, casting="unsafe")
                    t._data = v
            buf, vs = run, [t._data for t in ts]
        elif fill is None:
            buf, ts, vs = None, None, None
        else:
            buf = np.full(total, fill, dt)
            vs, ts = _split(buf, views)
            for st, t in zip(states, ts):
                st[n] = t
        bufs.append(buf)
        tensors.append(ts)
        sviews.append(vs)
    sbufs, stensors, ssviews = [], [], []
    for n, run in zip(snames, ssruns):
        ts = [st[n] for st in states]
        if run is None:
            run = np.array([t._data for t in ts], dtype=ts[0]._data.dtype)
            for i, t in enumerate(ts):
                t._data = run[i : i + 1].reshape(())
        sbufs.append(run)
        stensors.append(ts)
        ssviews.append([t._data for t in ts])
    scratch = (np.empty(total, dt), np.empty(total, dt), np.empty(total, dt))
    return FlatGroup(
        list(params), views, flat, tuple(names), bufs, tensors, sviews, tuple(snames), sbufs,
        stensors, ssviews, scratch,
    )  # fmt: skip
