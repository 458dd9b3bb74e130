"""One flat buffer per parameter group, so that an elementwise update is a handful of NumPy calls.

NOTE [ Flat parameter buffers ]
An elementwise optimizer (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta) makes the same dozen
array operations on every parameter. Made parameter by parameter, a step over a small model
costs a dozen NumPy calls per parameter, and for a model of a few hundred thousand weights the
per-call overhead is as large as the arithmetic. So, at the first step, each parameter group is
laid out in one contiguous buffer:

- ``flat`` holds every parameter's values back to back, and each parameter's ``_data`` is
  re-pointed at its slice of ``flat`` (``p._data = flat[o:o + n].reshape(p.shape)``), so the
  model reads and writes the same memory the optimizer updates;
- each state quantity (``exp_avg``, ``momentum_buffer``, ...) has one flat buffer too, and the
  per-parameter state tensors in ``optimizer.state[p]`` are views into it, so ``state_dict()``
  keeps PyTorch's per-parameter layout;
- a step gathers the gradients with one ``np.concatenate(..., out=)`` into a flat gradient
  buffer and runs the update once, on the flat arrays, with ``out=`` into two scratch buffers
  (so a group costs three parameter-sized buffers besides its state, as PyTorch's foreach
  intermediates do).

The layout covers the parameters that have a gradient (those without one are skipped, as
PyTorch skips them); it is used only while it is valid, which each step checks with a few
identity tests per parameter: the same parameters have gradients, and each ``p._data`` and each
state tensor is still the view the layout made (``p.data = ...``, ``module.to(...)``,
``load_state_dict`` or an assignment to ``optimizer.state[p][...]`` break that, and the step
lays the parameters out again from their current values -- one copy). When the parameters
can't share a buffer -- mixed dtypes, non-contiguous or read-only arrays, state present for
some of them only, step counts that differ -- the same update function runs once per
parameter on that parameter's own arrays. Both paths do the same arithmetic in the same order,
so they give the same numbers.

One consequence to know: an array obtained from a parameter before the first step
(``p.numpy()``, ``p.data``, a view made by indexing) keeps the old memory and no longer follows
the parameter. Take such references after the first step, or re-take them.
"""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor


class FlatGroup:
    """The flat layout of one parameter group (see NOTE [ Flat parameter buffers ])."""

    __slots__ = ("params", "views", "flat", "names", "bufs", "tensors", "sviews", "scratch")

    def __init__(self, params, views, flat, names, bufs, tensors, sviews, scratch):
        self.params = params
        self.views = views
        self.flat = flat
        self.names = names
        self.bufs = bufs
        self.tensors = tensors
        self.sviews = sviews
        self.scratch = scratch

    def valid(self, params, states, names) -> bool:
        """Whether the layout still describes ``params`` and their ``states``."""
        if names != self.names or len(params) != len(self.params):
            return False
        for p, q, v in zip(params, self.params, self.views):
            if p is not q or p._data is not v:
                return False
        for n, ts, vs in zip(names, self.tensors, self.sviews):
            if ts is None:
                for st in states:
                    if st.get(n) is not None:
                        return False
                continue
            for st, t, v in zip(states, ts, vs):
                if st.get(n) is not t or t._data is not v:
                    return False
        return True

    def adopt(self, i: int, arr: np.ndarray, states) -> None:
        """Register ``arr``, a state buffer the update created lazily, as state ``names[i]``."""
        views, tensors = _split(arr, self.views)
        self.bufs[i] = arr
        self.tensors[i] = tensors
        self.sviews[i] = views
        name = self.names[i]
        for st, t in zip(states, tensors):
            st[name] = t


def _split(flat: np.ndarray, like) -> tuple[list, list]:
    views, tensors, o = [], [], 0
    for a in like:
        v = flat[o : o + a.size].reshape(a.shape)
        o += a.size
        views.append(v)
        tensors.append(Tensor._wrap(v))
    return views, tensors


def build(params, states, names, fills) -> FlatGroup | None:
    """Lay ``params`` (and their state quantities ``names``) out in flat buffers.

    ``fills[i]`` is the initial value of state ``names[i]`` for parameters that have none yet,
    or None when the update creates that buffer itself (SGD's momentum buffer). Returns None,
    changing nothing, when the parameters can't share one buffer.
    """
    if not params:
        return None
    dt = params[0]._data.dtype
    if dt.kind != "f":
        return None
    for p in params:
        a = p._data
        if a.dtype != dt or not a.flags.c_contiguous or not a.flags.writeable:
            return None
    present = []
    for n in names:
        have = [isinstance(st.get(n), Tensor) for st in states]
        if all(have):
            for st, p in zip(states, params):
                if st[n]._data.shape != p._data.shape:
                    return None
            present.append(True)
        elif not any(have):
            present.append(False)
        else:
            return None

    total = sum(p._data.size for p in params)
    flat = np.empty(total, dt)
    olds = [p._data for p in params]
    views, _ = _split(flat, olds)
    for p, v, old in zip(params, views, olds):
        np.copyto(v, old)
        p._data = v
    bufs, tensors, sviews = [], [], []
    for n, fill, have in zip(names, fills, present):
        if have:
            buf = np.empty(total, dt)
            vs, _ = _split(buf, views)
            ts = [st[n] for st in states]
            for t, v in zip(ts, vs):
                np.copyto(v, t._data, casting="unsafe")
                t._data = v
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
    scratch = (np.empty(total, dt), np.empty(total, dt), np.empty(total, dt))
    return FlatGroup(list(params), views, flat, tuple(names), bufs, tensors, sviews, scratch)
