"""Named tuples that ops return (``values, indices = x.max(0)``), as ``torch.return_types``.

Each is a :func:`collections.namedtuple` printed as PyTorch prints its structseqs::

    autograd.return_types.max(
    values=tensor(3.),
    indices=tensor(1))
"""

from __future__ import annotations

from collections import namedtuple

__all__ = ["kthvalue", "max", "min", "mode", "sort", "topk", "return_type"]


def _repr(self) -> str:
    body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
    return f"autograd.return_types.{type(self).__name__}(\n{body})"


def return_type(name: str, fields: tuple[str, ...]) -> type:
    """A named tuple class ``autograd.return_types.<name>`` with ``fields``."""
    base = namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__repr__": _repr, "__module__": __name__})


max = return_type("max", ("values", "indices"))  # noqa: A001
min = return_type("min", ("values", "indices"))  # noqa: A001
sort = return_type("sort", ("values", "indices"))
topk = return_type("topk", ("values", "indices"))
kthvalue = return_type("kthvalue", ("values", "indices"))
mode = return_type("mode", ("values", "indices"))
