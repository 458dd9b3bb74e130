"""``benchmarks``: micro-benchmarks of ndgrad's forward and backward passes.

From the command line, ``python -m benchmarks`` runs the suites (``ops``, ``layers``,
``steps``) side by side with a hand-written NumPy floor and PyTorch; see ``--help`` and
``docs/guides/benchmarking.md``.

From Python, :func:`time_module` times the forward and the backward of any ``nn.Module`` (your
own layers included) with the same statistics, in the spirit of
``torch.utils.benchmark.Timer``; :func:`measure` times any zero-argument function.

Examples
--------
>>> import autograd, nn, benchmarks                                      # doctest: +SKIP
>>> layer = nn.Linear(128, 64)                                           # doctest: +SKIP
>>> t = benchmarks.time_module(layer, autograd.randn(32, 128))           # doctest: +SKIP
>>> print(t)                                                             # doctest: +SKIP
Linear(in_features=128, out_features=64, bias=True)
  forward (grad on)   25.1 us ±2%   (81 samples x 100 calls)
  backward            31.0 us ±3%   ...
>>> t.backward.median                                                    # doctest: +SKIP
3.1e-05
"""

from __future__ import annotations

from dataclasses import dataclass

from ._case import Case, Unavailable
from ._timing import Measurement, format_time, measure, measure_interleaved

__all__ = [
    "Case",
    "Measurement",
    "ModuleTiming",
    "Unavailable",
    "format_time",
    "measure",
    "measure_interleaved",
    "time_module",
]


@dataclass
class ModuleTiming:
    """The result of :func:`time_module`: one :class:`Measurement` per phase, per call.

    Attributes
    ----------
    forward : Measurement
        The forward with grad mode on (the graph is recorded, as in training).
    backward : Measurement
        The backward alone: each call backpropagates a graph whose forward ran untimed.
    forward_backward : Measurement
        Forward and backward together, as in a training step without the loss and update.
    inference : Measurement or None
        The forward under ``autograd.no_grad()`` (None when not asked for).
    name : str
        The module's ``repr`` first line.
    """

    forward: Measurement
    backward: Measurement
    forward_backward: Measurement
    inference: Measurement | None
    name: str

    def to_dict(self) -> dict:
        phases = ("forward", "backward", "forward_backward", "inference")
        d = {p: getattr(self, p).to_dict(False) for p in phases if getattr(self, p) is not None}
        d["name"] = self.name
        return d

    def __str__(self) -> str:
        rows = [
            ("forward (grad on)", self.forward),
            ("backward", self.backward),
            ("forward+backward", self.forward_backward),
        ]
        if self.inference is not None:
            rows.append(("forward (no_grad)", self.inference))
        lines = [self.name]
        for label, m in rows:
            half = 50.0 * m.rel_iqr
            lines.append(
                f"  {label:18s} {format_time(m.median):>9s} ±{half:.0f}%   "
                f"({m.samples} samples x {m.number} calls)"
            )
        return "\n".join(lines)


def _tensors_in(obj, out: list) -> list:
    """The Tensors in a module's output, through nested tuples, lists and dicts."""
    from autograd import Tensor

    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _tensors_in(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors_in(o, out)
    return out


def time_module(
    module,
    *inputs,
    grad_outputs=None,
    budget_s: float = 0.5,
    warmup_s: float = 0.05,
    min_sample_s: float = 0.002,
    min_repeats: int = 5,
    inference: bool = True,
    **kwargs,
) -> ModuleTiming:
    """Time the forward and the backward of ``module(*inputs, **kwargs)``.

    Parameters
    ----------
    module : nn.Module or callable
        Anything callable on ``inputs`` that returns a Tensor or a nested tuple/list/dict of
        Tensors.
    *inputs : Tensor or any
        Passed to ``module`` as given: set ``requires_grad=True`` on an input to include its
        gradient in the backward.
    grad_outputs : Tensor or sequence of Tensors, optional
        The gradient fed to the backward for each output Tensor that requires grad, in the
        order they appear in the output; by default ones (as for ``out.sum().backward()``).
    budget_s, warmup_s, min_sample_s, min_repeats
        The timing budget of each phase; see ``NOTE [ How a case is timed ]`` in
        ``benchmarks/_timing.py``.
    inference : bool, default True
        Also time the forward under ``autograd.no_grad()``.
    **kwargs
        Keyword arguments for ``module``.

    Returns
    -------
    ModuleTiming

    Raises
    ------
    ValueError
        When no output requires grad (no parameter and no input needs a gradient), so there is
        nothing to backpropagate.

    Notes
    -----
    The backward alone is timed by running ``number`` forwards untimed, then the ``number``
    backwards of their graphs back to back. Gradients are set to ``None`` before each phase and
    accumulate within it, as in a loop without ``zero_grad``. The module stays in the
    mode it is in (``train()`` / ``eval()``); in training mode a layer with running statistics
    (BatchNorm) updates them on every call.
    """
    import autograd

    params = list(module.parameters()) if hasattr(module, "parameters") else []
    leaves = params + [x for x in inputs if isinstance(x, autograd.Tensor) and x.requires_grad]

    def grad_outputs_of(out):
        ts = [t for t in _tensors_in(out, []) if t.requires_grad]
        return ts

    ts = grad_outputs_of(module(*inputs, **kwargs))  # checks the output once, untimed
    if not ts:
        raise ValueError(
            f"time_module: no output of {type(module).__name__} requires grad: nothing to "
            "backpropagate (the module has no parameter that requires grad and no input "
            "has requires_grad=True)"
        )
    if grad_outputs is None:
        gs = [autograd.ones_like(t) for t in ts]
    elif isinstance(grad_outputs, autograd.Tensor):
        gs = [grad_outputs]
    else:
        gs = list(grad_outputs)
    if len(gs) != len(ts):
        raise ValueError(
            f"time_module: {len(gs)} grad_outputs given for {len(ts)} outputs that require grad"
        )
    del ts

    def clear_grads():
        for p in leaves:
            p.grad = None

    def forward():
        return module(*inputs, **kwargs)

    def forward_graph():
        return grad_outputs_of(module(*inputs, **kwargs))

    def backward(ts):
        autograd.backward(ts, gs)

    def forward_backward():
        autograd.backward(grad_outputs_of(module(*inputs, **kwargs)), gs)

    opts = dict(
        budget_s=budget_s, warmup_s=warmup_s, min_sample_s=min_sample_s, min_repeats=min_repeats
    )
    with autograd.enable_grad():
        m_fwd = measure(forward, **opts)
        clear_grads()
        m_bwd = measure(backward, setup=forward_graph, **opts)
        clear_grads()
        m_fb = measure(forward_backward, **opts)
        clear_grads()
    m_inf = None
    if inference:
        with autograd.no_grad():
            m_inf = measure(forward, **opts)
    name = repr(module).splitlines()[0] if module is not None else "?"
    if len(name) > 100:
        name = name[:97] + "..."
    return ModuleTiming(m_fwd, m_bwd, m_fb, m_inf, name)
