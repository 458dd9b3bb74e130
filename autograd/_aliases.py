"""The ``torch`` namespace over ndgrad's packages: ``autograd.nn`` *is* ``nn``.

NOTE [ The torch namespace ]
``import autograd as torch`` is the only change a PyTorch script needs, so ``torch.nn``,
``torch.optim`` and ``torch.utils.data`` must reach the top-level packages ``nn``, ``optim`` and
``data`` -- as attributes (``torch.nn.Linear``) and as import paths (``import torch.nn as nn``,
``from torch.utils.data import DataLoader``, ``from torch.nn.modules.linear import Linear``) --
while ``import autograd`` imports none of them (they depend on ``autograd``, never the reverse).

Two pieces do it, both lazy:

* :data:`ALIASES` maps a name under ``autograd`` to the package it stands for. The meta-path
  :class:`_AliasFinder` answers an import of an alias (or of anything under it) with the real
  module object, so ``autograd.nn is nn`` and ``autograd.nn.functional is nn.functional``:
  classes keep one identity, ``isinstance`` works whichever path a script imported.
  ``sys.modules`` gets the alias name too, as for any import.
* PEP 562 ``__getattr__`` functions turn attribute access into those imports on first use: the
  one in ``autograd/__init__.py`` (``torch.nn``, ``torch.cuda``, ...) and the one this module
  adds to a package that only *contains* aliases (``autograd.utils``, whose ``data`` child is
  an alias). ``autograd.utils`` may be a real package (holding ``checkpoint``) or not exist at
  all; the finder handles both: it wraps the real package's loader, or makes an empty package.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from types import ModuleType

#: alias name -> the module it is (its submodules follow: ``autograd.nn.init`` is ``nn.init``).
ALIASES = {
    "autograd.nn": "nn",
    "autograd.optim": "optim",
    "autograd.utils.data": "data",
}

#: packages that hold aliases as children -> the children's short names.
_PARENTS = {"autograd.utils": ("data",)}


def _target(fullname: str) -> str | None:
    for alias, real in ALIASES.items():
        if fullname == alias:
            return real
        if fullname.startswith(alias + "."):
            return real + fullname[len(alias) :]
    return None


class _AliasLoader:
    """Loads an alias by importing the real module and returning that very object. (Loader and
    finder classes here follow the importlib protocols without subclassing ``importlib.abc``,
    whose import costs more than the rest of this module.)"""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        # The import system sets ``__spec__`` on whatever ``create_module`` returns; keep the
        # real one (``exec_module`` restores it) so the module stays what it was.
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._spec


class _ParentLoader:
    """Loads a package that holds aliases: the real one when it exists, else an empty one, and
    adds the ``__getattr__`` that reaches its children lazily."""

    def __init__(self, real: object | None) -> None:
        self.real = real

    def create_module(self, spec):
        return None if self.real is None else self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if self.real is not None:
            module.__loader__ = module.__spec__.loader = self.real
            self.real.exec_module(module)
        _add_child_getattr(module)


def _add_child_getattr(module: ModuleType) -> None:
    own = module.__dict__.get("__getattr__")
    name = module.__name__

    def __getattr__(attr: str):  # noqa: N807 - PEP 562
        if attr in _PARENTS.get(name, ()):
            return importlib.import_module(f"{name}.{attr}")
        if own is not None:
            return own(attr)
        if not attr.startswith("_"):  # ``torch.utils.checkpoint`` without importing it first
            try:
                return importlib.import_module(f"{name}.{attr}")
            except ModuleNotFoundError as e:
                if e.name != f"{name}.{attr}":
                    raise
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _AliasFinder:
    """Finds the aliases of :data:`ALIASES` and the packages of ``_PARENTS``."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("autograd."):
            return None
        real = _target(fullname)
        if real is not None:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real))
        if fullname in _PARENTS:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None:
                spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
                spec.submodule_search_locations = []
                spec.loader = _ParentLoader(None)
            else:
                spec.loader = _ParentLoader(spec.loader)
            return spec
        return None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
