"""``autograd.onnx``: there is no ONNX exporter.

``import torch.onnx`` is common at the top of training scripts that export only when asked to,
so the module exists: :func:`is_in_onnx_export` answers ``False`` (model code branches on it)
and :func:`export` raises, naming the reason.
"""

from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export"]


def is_in_onnx_export() -> bool:
    """Always ``False``: nothing is ever being exported."""
    return False


def export(model: Any, args: Any = (), f: Any = None, *a: Any, **k: Any) -> None:
    """Raise: ndgrad cannot trace a model into an ONNX graph.

    Raises
    ------
    RuntimeError
        Always; save the ``state_dict()`` with ``autograd.save`` instead.
    """
    raise RuntimeError(
        "autograd.onnx.export: ndgrad has no ONNX exporter (it runs eagerly on NumPy); "
        "save model.state_dict() with autograd.save instead"
    )
