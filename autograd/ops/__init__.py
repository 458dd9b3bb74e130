"""Every public op of ndgrad, re-exported from the op families.

Each family file (``elementwise``, ``reduction``, ``shape``, ``indexing``, ``linalg``,
``sorting``, ``sampling`` (reparameterised gamma and Dirichlet draws), and the fused layer
primitives ``nn``, ``nn_conv``, ``nn_norm``, ``nn_rnn``) declares beside each op how it is
exposed (NOTE [ How ops are exposed ] in ``_registry.py``).
This module imports the families, re-exports the declared functions and makes the Tensor
methods; it keeps no list of names of its own.
"""

from __future__ import annotations

from . import (
    elementwise,
    indexing,
    linalg,
    nn,
    nn_conv,
    nn_norm,
    nn_rnn,
    reduction,
    sampling,
    shape,
    sorting,
)
from ._registry import PUBLIC, REGISTRY, Op, install_methods, public, with_out

# each function takes ``out=`` (NOTE [ out= ] in _registry.py); the methods are the bare ops
globals().update({name: with_out(name, p.fn) for name, p in PUBLIC.items() if p.function})
__all__ = sorted(name for name, p in PUBLIC.items() if p.function)

install_methods()
