"""Anomaly detection: a backward that produces NaN or inf raises, naming the op.

In this mode every node also records the stack of the forward call that created it, and
``where``/``masked_fill`` warn when the branch they discarded in the forward pass carries a
non-finite gradient into its inputs (the ``where(x > 0, sqrt(x), 0)`` trap: the discarded branch
receives a zero gradient, and ``0 * inf`` in its backward is NaN).
"""

from __future__ import annotations

import warnings

import numpy as np

from .grad_mode import _Mode, _state


def is_anomaly_enabled() -> bool:
    return _state.anomaly


class detect_anomaly(_Mode):
    """Context manager / decorator enabling anomaly detection in its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def _args(self):
        return (self.check_nan,)

    def __enter__(self) -> None:
        self._prev = _state.anomaly
        _state.anomaly = self.check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime "
            "and should only be enabled for debugging.",
            stacklevel=2,
        )

    def __exit__(self, *exc) -> None:
        _state.anomaly = self._prev


class set_detect_anomaly(_Mode):
    """Turn anomaly detection on or off (takes effect on construction, like PyTorch's)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._mode = bool(mode)
        self._prev = _state.anomaly
        _state.anomaly = self._mode

    def _args(self):
        return (self._mode,)

    def __enter__(self) -> None:
        _state.anomaly = self._mode

    def __exit__(self, *exc) -> None:
        _state.anomaly = self._prev


_DISCARDING = ("where", "masked_fill")


def _nonfinite(a) -> bool:
    return a.dtype.kind == "f" and not np.all(np.isfinite(a))


def check_vjp_outputs(node, in_grads, sources) -> None:
    """Raise if a VJP of ``node`` produced NaN/inf; first warn when a where/masked_fill
    downstream had zeroed the incoming gradient there (the discarded-branch trap)."""
    for i, g in enumerate(in_grads):
        if g is None:
            continue
        a = g._data if hasattr(g, "_data") else np.asarray(g)
        if not _nonfinite(a):
            continue
        bad = "nan" if np.isnan(a).any() else "inf"
        for src in sources.get(node, ()):
            if src.op.name in _DISCARDING:
                warnings.warn(
                    f"{src.op.name} ({src.name()}) discarded a branch in the forward pass, but "
                    f"the backward of that branch, {node.op.name} ({node.name()}), produced "
                    f"{bad} gradients, which flow into the inputs even where the branch was not "
                    f"selected. Make the discarded branch finite (e.g. apply {src.op.name} to "
                    f"the input of {node.op.name} too).",
                    RuntimeWarning,
                    stacklevel=4,
                )
        trace = getattr(node, "trace", None)
        where = f"\nThe forward call that created it:\n{trace}" if trace else ""
        raise RuntimeError(
            f"Function '{node.name()}' (the backward of op '{node.op.name}') returned {bad} "
            f"values in its {i}th output.{where}"
        )
