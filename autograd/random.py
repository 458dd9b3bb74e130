"""Random number generation: :class:`Generator`, :func:`manual_seed` and the default generator.

Every random draw in ``autograd``, ``nn``, ``optim`` and ``data`` goes through a
:class:`Generator`: the one passed as ``generator=``, or else :data:`default_generator`, so one
``manual_seed(n)`` makes a whole program reproducible.
"""

from __future__ import annotations

import numpy as np

from .grad_mode import _state

_DEFAULT_SEED = 67280421310721


class Generator:
    """A random generator (NumPy's PCG64 underneath) with PyTorch's seeding interface."""

    __slots__ = ("_seed", "_rng")

    def __init__(self, device: str = "cpu") -> None:
        from .devices import _check_device

        _check_device(device, "Generator()")
        self._seed = _DEFAULT_SEED
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reseed from an integer; returns ``self``."""
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}") from None
        _reseeded("manual_seed()")
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & ((1 << 128) - 1)))
        return self

    def seed(self) -> int:
        """Reseed from OS entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's full state as a plain (JSON-serialisable) dict."""
        return {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, state: dict) -> Generator:
        _reseeded("set_rng_state()")
        self._seed = state["seed"]
        self._rng.bit_generator.state = state["bit_generator"]
        return self

    @property
    def numpy_rng(self) -> np.random.Generator:
        """The underlying :class:`numpy.random.Generator`."""
        return self._rng

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed})"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, from which every unseeded random draw comes."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def _reseeded(what: str) -> None:
    """A generator reseeded inside an ``autograd.compile`` recording: a replay would not
    reseed it, so the recording is unusable (the function runs eagerly)."""
    if _state.hooks and _state._recorder is not None:
        _state._recorder.untraceable(None, what)


def _rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the default one's.

    A draw made this way inside an ``autograd.compile`` recording cannot be replayed (the
    recording falls back to eager); draws that should replay go through :func:`draw`."""
    if _state.hooks and _state._recorder is not None:
        _state._recorder.untraceable(None, "a random draw outside autograd.random.draw")
    return _raw_rng(generator)


def _raw_rng(generator):
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an autograd.Generator, got {type(generator).__name__}")
    return generator._rng


def draw(generator: Generator | None, fn):
    """``fn(numpy_generator)``: a random array drawn from ``generator`` (or the default one).

    Inside an ``autograd.compile`` recording the draw is recorded as a step that each replay
    makes again, from the same generator, so compiled and eager runs draw the same numbers.
    ``fn`` must depend only on the generator and on values fixed by the compile guards
    (shapes, dtypes, constants).
    """
    arr = fn(_raw_rng(generator))
    rec = _state._recorder
    if rec is not None:
        rec.draw_step(generator, fn, arr)
    return arr
