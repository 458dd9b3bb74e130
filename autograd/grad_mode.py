"""Thread-local grad, inference and anomaly modes.

Each mode is a class usable as a context manager and as a decorator; leaving it restores the
previous value, so modes nest.
"""

from __future__ import annotations

import functools
import threading


class _Modes:
    """Process-wide: how many threads have a mode other than the default (grad on, no hooks).

    NOTE [ The dispatch's mode check ] Reading a thread-local attribute costs about five
    plain attribute reads; ``Op.__call__`` needs two modes per op. While no thread has left
    the defaults (``nondefault == 0``, the common case in training), it reads this one
    counter instead. Each thread counts itself once when it leaves the defaults and uncounts
    itself when it returns (under a lock), so the counter is exact; a thread that ends
    outside the defaults leaves it positive, which only sends every thread down the
    thread-local path.
    """

    __slots__ = ("nondefault",)

    def __init__(self) -> None:
        self.nondefault = 0


_modes = _Modes()
_modes_lock = threading.Lock()


class _State(threading.local):
    def __init__(self) -> None:
        self._grad = True
        self._inference = False
        self._anomaly = False
        self._profiler = None
        self._recorder = None
        # True while anomaly mode, the profiler, an ``autograd.compile`` recording or inference
        # mode is on: the one flag ``Op.__call__`` tests (see ``_hooked_call`` in
        # autograd/ops/_registry.py and autograd/profiler.py)
        self.hooks = False
        self._counted = False  # whether this thread is counted in ``_modes.nondefault``

    def _sync(self) -> None:
        self.hooks = (
            bool(self._anomaly)
            or self._profiler is not None
            or self._recorder is not None
            or self._inference
        )
        off = self.hooks or not self._grad
        if off is not self._counted:
            with _modes_lock:
                _modes.nondefault += 1 if off else -1
            self._counted = off

    @property
    def grad(self):
        """Whether grad mode is on in this thread."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        self._grad = bool(value)
        self._sync()

    @property
    def inference(self):
        """Whether inference mode is on in this thread (NOTE [ Inference tensors ] in
        tensor.py)."""
        return self._inference

    @inference.setter
    def inference(self, value) -> None:
        self._inference = bool(value)
        self._sync()

    @property
    def anomaly(self):
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value) -> None:
        self._anomaly = value
        self._sync()

    @property
    def profiler(self):
        """The active ``autograd.profiler.profile`` of this thread, or None."""
        return self._profiler

    @profiler.setter
    def profiler(self, value) -> None:
        self._profiler = value
        self._sync()

    @property
    def recorder(self):
        """The ``autograd.compile`` recording in progress on this thread, or None."""
        return self._recorder

    @recorder.setter
    def recorder(self, value) -> None:
        self._recorder = value
        self._sync()


_state = _State()


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for backward."""
    return _state.grad


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _Mode:
    """Base: a context manager that sets a flag and restores it; also a decorator."""

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return func(*args, **kwargs)

        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class no_grad(_Mode):
    """Disable gradient recording inside the block (``with no_grad():`` or ``@no_grad()``)."""

    def __enter__(self) -> None:
        self._prev = _state.grad
        _state.grad = False

    def __exit__(self, *exc) -> None:
        _state.grad = self._prev


class enable_grad(_Mode):
    """Enable gradient recording inside the block, e.g. within ``no_grad``."""

    def __enter__(self) -> None:
        self._prev = _state.grad
        _state.grad = True

    def __exit__(self, *exc) -> None:
        _state.grad = self._prev


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode``. Like PyTorch, it takes effect as soon as it is constructed,
    so it also works as a plain function call; as a context manager it restores the previous
    value on exit."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = _state.grad
        _state.grad = self._mode

    def _args(self):
        return (self._mode,)

    def __call__(self, func):
        _state.grad = self._prev  # used as a decorator: do not leave the mode set
        return super().__call__(func)

    def __enter__(self) -> None:
        _state.grad = self._mode

    def __exit__(self, *exc) -> None:
        _state.grad = self._prev


class inference_mode(_Mode):
    """Like :class:`no_grad`, and marks the block as inference (``is_inference_mode_enabled``).

    As in PyTorch, tensors made inside (factory results, results of ops that are not views of a
    normal tensor) are *inference tensors* (``t.is_inference()``): outside inference mode they
    cannot be saved for backward, modified in place, nor set to require grad (NOTE
    [ Inference tensors ] in tensor.py). Nothing is recorded inside, even under
    ``enable_grad``. ``inference_mode(False)`` turns inference mode off and grad mode on
    inside the block, as PyTorch's does.
    """

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    def _args(self):
        return (self._mode,)

    def __enter__(self) -> None:
        self._prev = (_state.grad, _state.inference)
        _state.grad = not self._mode
        _state.inference = self._mode

    def __exit__(self, *exc) -> None:
        _state.grad, _state.inference = self._prev
