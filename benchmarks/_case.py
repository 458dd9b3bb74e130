"""A benchmark case: one thing timed on up to three engines side by side.

NOTE [ Engines ]
``ndgrad`` is this project. ``numpy`` is the *floor*: the same computation (forward, backward
and, for a training step, the update) written out by hand in NumPy, with no graph, no
dispatch and no per-op Python objects; no engine built on NumPy can be faster than this in
principle, so ``ndgrad / numpy`` is the engine's overhead factor. ``compiled`` is ndgrad under
``autograd.compile`` (the training step's forward and loss recorded once and replayed; the
``steps`` suite). ``torch`` is PyTorch eager on the CPU, when it is importable, set to as many
threads as NumPy's BLAS uses.

Each engine of a case is a *setup* function: it builds the inputs, the model and the optimizer
and returns the zero-argument function that is timed. Setup runs untimed and lazily, so a case
whose engine is not available (PyTorch not installed, a layer not written yet) is skipped with
a note instead of breaking the run: the setup raises :class:`Unavailable`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

ENGINES = ("ndgrad", "compiled", "numpy", "torch")
ENGINE_TITLES = {
    "ndgrad": "ndgrad",
    "compiled": "ndgrad compiled",
    "numpy": "NumPy floor",
    "torch": "PyTorch",
}
SUITES = ("ops", "layers", "steps")


class Unavailable(Exception):
    """Raised by a setup whose engine cannot run this case here (reported as skipped)."""


def require(module: str, *names: str):
    """Import ``module`` and check that it has ``names``; raise :class:`Unavailable` otherwise.

    Returns the module.
    """
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} not importable ({exc})") from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise Unavailable(f"{module} has no {', '.join(missing)} yet")
    return mod


def torch_module():
    """``torch``, or :class:`Unavailable` with a note."""
    try:
        import torch
    except ImportError:
        raise Unavailable("torch not importable (install PyTorch for this column)") from None
    return torch


@dataclass
class Case:
    """One benchmark case.

    Attributes
    ----------
    suite : str
        ``ops``, ``layers`` or ``steps``.
    name : str
        What is timed and at which size, e.g. ``tanh/256x256`` or ``mlp-adam/b64``.
    mode : str
        ``fwd`` (forward only, graph recorded), ``fwd+bwd`` or ``step`` (a whole training step).
    setups : dict
        Engine name -> setup function returning the zero-argument function to time.
    target : float, optional
        The speed target as a ratio to the NumPy floor (``steps`` only).
    description : str
        One line for the docs and ``--list``.
    """

    suite: str
    name: str
    mode: str
    setups: dict[str, Callable[[], Callable[[], object]]]
    target: float | None = None
    description: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.suite}/{self.name}/{self.mode}"
