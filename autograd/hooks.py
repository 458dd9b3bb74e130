"""``RemovableHandle``: what every ``register_*_hook`` returns (``torch.utils.hooks``).

Hooks live in dicts keyed by their handle's id, in registration order; ``remove()`` pops that
id from every dict the hook was put in. Tensors, modules and optimizers all use this one class.
"""

from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """A handle that unregisters a hook: ``handle.remove()``, or use it as a context manager.

    Parameters
    ----------
    *hooks_dicts : dict
        The dicts that hold the hook under :attr:`id` (the caller stores it there).
    """

    _next_id = itertools.count()

    def __init__(self, *hooks_dicts: dict) -> None:
        self.hooks_dicts = hooks_dicts
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for d in self.hooks_dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"
