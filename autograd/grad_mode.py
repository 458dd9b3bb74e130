"""Thread-local grad, inference and anomaly modes.

Each mode is a class usable as a context manager and as a decorator; leaving it restores the
previous value, so modes nest.
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    def __init__(self) -> None:
        self.grad = True
        self.inference = False
        self._anomaly = False
        self._profiler = None
        self._recorder = None
        # True while anomaly mode, the profiler or an ``autograd.compile`` recording is on: the
        # one flag ``Op.__call__`` tests (see autograd/profiler.py, ``_hooked_call``)
        self.hooks = False

    @property
    def anomaly(self):
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value) -> None:
        self._anomaly = value
        self.hooks = bool(value) or self._profiler is not None or self._recorder is not None

    @property
    def profiler(self):
        """The active ``autograd.profiler.profile`` of this thread, or None."""
        return self._profiler

    @profiler.setter
    def profiler(self, value) -> None:
        self._profiler = value
        self.hooks = bool(self._anomaly) or value is not None or self._recorder is not None

    @property
    def recorder(self):
        """The ``autograd.compile`` recording in progress on this thread, or None."""
        return self._recorder

    @recorder.setter
    def recorder(self, value) -> None:
        self._recorder = value
        self.hooks = bool(self._anomaly) or self._profiler is not None or value is not None


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

    Tensors made inside are ordinary tensors that do not require grad (PyTorch additionally
    forbids using them in autograd later; ndgrad does not need that restriction).
    """

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    def _args(self):
        return (self._mode,)

    def __enter__(self) -> None:
        self._prev = (_state.grad, _state.inference)
        if self._mode:
            _state.grad = False
            _state.inference = True

    def __exit__(self, *exc) -> None:
        _state.grad, _state.inference = self._prev
