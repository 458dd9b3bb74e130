"""The statistics every figure in ``benchmarks`` goes through.

NOTE [ How a case is timed ]
One *call* is one run of the timed function (an op's forward, a forward + backward, one whole
training step). Calls are timed in *samples*: ``number`` calls back to back between two
``time.perf_counter()`` readings, with ``number`` chosen once per case (calibration) so that one
sample lasts at least ``min_sample_s``; the clock's resolution and the loop's own cost are then
negligible. Before any sample counts, the case is *warmed up* for ``warmup_s`` (caches, lazy
imports, NumPy's allocator, the optimizer's state). Then samples are taken until ``budget_s`` is
spent, with at least ``min_repeats`` and at most ``max_repeats`` of them. The figure reported is
the **median** per-call time over the samples, with the **interquartile range** (q1 to q3) as
the spread: both are robust to the odd slow sample a shared machine produces, where the mean and
standard deviation are not. The garbage collector stays on (a training loop runs with it on),
but a full collection is run before each case so that one case does not pay for another's
garbage.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

# Defaults for a full run; ``--quick`` and the smoke mode of the tests pass smaller ones.
DEFAULT_BUDGET_S = 0.4
DEFAULT_WARMUP_S = 0.05
DEFAULT_MIN_SAMPLE_S = 0.002


@dataclass
class Measurement:
    """Per-call timings of one function, in seconds.

    Attributes
    ----------
    median, q1, q3 : float
        Median and quartiles of the per-call time over the samples.
    min : float
        The fastest sample's per-call time.
    samples : int
        Number of timed samples (after warm-up).
    number : int
        Calls per sample.
    total_s : float
        Wall time spent in the timed samples.
    times : list of float
        The per-call time of every sample, in order (kept for ``--json``; ``repr`` hides it).
    """

    median: float
    q1: float
    q3: float
    min: float
    samples: int
    number: int
    total_s: float
    times: list = field(default_factory=list, repr=False)

    @property
    def iqr(self) -> float:
        """The interquartile range ``q3 - q1``."""
        return self.q3 - self.q1

    @property
    def rel_iqr(self) -> float:
        """The interquartile range relative to the median (0.05 means a 5% spread)."""
        return self.iqr / self.median if self.median > 0 else math.inf

    def to_dict(self, with_times: bool = True) -> dict:
        """A JSON-ready dict (the fields documented in ``docs/guides/benchmarking.md``)."""
        d = asdict(self)
        if not with_times:
            d.pop("times")
        d["iqr"] = self.iqr
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Measurement:
        """Inverse of :meth:`to_dict` (extra keys are ignored)."""
        return cls(
            median=float(d["median"]),
            q1=float(d["q1"]),
            q3=float(d["q3"]),
            min=float(d.get("min", d["median"])),
            samples=int(d.get("samples", 0)),
            number=int(d.get("number", 1)),
            total_s=float(d.get("total_s", 0.0)),
            times=list(d.get("times", [])),
        )

    def __str__(self) -> str:
        return (
            f"{format_time(self.median)} (IQR {format_time(self.iqr)}, "
            f"{self.samples} samples x {self.number} calls)"
        )


def quantile(sorted_values: list, q: float) -> float:
    """The ``q``-quantile of already sorted values, linear interpolation (NumPy's default)."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("quantile: no values")
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return sorted_values[lo] * (1.0 - frac) + sorted_values[hi] * frac


def summarize(per_call: list, number: int, total_s: float) -> Measurement:
    """Median, quartiles and minimum of per-call sample times."""
    s = sorted(per_call)
    return Measurement(
        median=quantile(s, 0.5),
        q1=quantile(s, 0.25),
        q3=quantile(s, 0.75),
        min=s[0],
        samples=len(s),
        number=number,
        total_s=total_s,
        times=list(per_call),
    )


def _run(fn: Callable, number: int, setup: Callable | None = None) -> float:
    """Seconds taken by ``number`` back-to-back calls of ``fn``; with ``setup``, ``number``
    states are made first, untimed, and ``fn(state)`` is timed on each."""
    if setup is None:
        r = range(number)
        t0 = time.perf_counter()
        for _ in r:
            fn()
        return time.perf_counter() - t0
    states = [setup() for _ in range(number)]
    t0 = time.perf_counter()
    for s in states:
        fn(s)
    dt = time.perf_counter() - t0
    del states
    return dt


def calibrate(
    fn: Callable,
    min_sample_s: float,
    max_number: int = 1_000_000,
    setup: Callable | None = None,
) -> int:
    """The smallest ``number`` in 1, 2, 5, 10, 20, 50, ... for which one sample lasts at least
    ``min_sample_s`` (like ``timeit.Timer.autorange``)."""
    number = 1
    while True:
        for mult in (1, 2, 5):
            n = number * mult
            if n >= max_number or _run(fn, n, setup) >= min_sample_s:
                return min(n, max_number)
        number *= 10


def measure(
    fn: Callable,
    *,
    setup: Callable | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    warmup_s: float = DEFAULT_WARMUP_S,
    min_sample_s: float = DEFAULT_MIN_SAMPLE_S,
    min_repeats: int = 5,
    max_repeats: int = 10_000,
    number: int | None = None,
) -> Measurement:
    """Time ``fn()`` as described in ``NOTE [ How a case is timed ]``.

    Parameters
    ----------
    fn : callable
        Called with no arguments (or, with ``setup``, with one state); its result is discarded.
    setup : callable, optional
        Makes one state for one call of ``fn``, outside the timed region: to time a backward
        alone, ``setup`` runs the forward and ``fn`` the backward of its graph. ``number``
        states are made before each sample, so they must fit in memory together.
    budget_s : float
        Seconds of timed samples to aim for (at least ``min_repeats`` samples are taken even
        when one sample is longer than the budget).
    warmup_s : float
        Seconds of untimed calls first (at least one call).
    min_sample_s : float
        The shortest sample: ``number`` is calibrated so that ``number`` calls take this long.
    min_repeats, max_repeats : int
        Bounds on the number of samples.
    number : int, optional
        Calls per sample; calibrated when not given.

    Returns
    -------
    Measurement
    """
    if budget_s < 0 or warmup_s < 0 or min_sample_s < 0:
        raise ValueError(
            f"measure: budgets must be >= 0, got budget_s={budget_s}, warmup_s={warmup_s}, "
            f"min_sample_s={min_sample_s}"
        )
    if min_repeats < 1 or max_repeats < min_repeats:
        raise ValueError(
            f"measure: need 1 <= min_repeats <= max_repeats, got {min_repeats}, {max_repeats}"
        )
    gc.collect()
    # Warm-up: at least one call, then until warmup_s is spent.
    t_end = time.perf_counter() + warmup_s
    _run(fn, 1, setup)
    while time.perf_counter() < t_end:
        _run(fn, 1, setup)
    if number is None:
        number = calibrate(fn, min_sample_s, setup=setup)
    per_call = []
    spent = 0.0
    while len(per_call) < max_repeats and (len(per_call) < min_repeats or spent < budget_s):
        dt = _run(fn, number, setup)
        spent += dt
        per_call.append(dt / number)
    return summarize(per_call, number, spent)


_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns"))


def format_time(seconds: float) -> str:
    """``1.23 ms``, ``45.6 us``, ``789 ns``: three significant figures in the largest unit that
    keeps the number >= 1."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for scale, unit in _UNITS:
        if abs(seconds) >= scale or unit == "ns":
            v = seconds / scale
            if abs(v) >= 100:
                return f"{v:.0f} {unit}"
            if abs(v) >= 10:
                return f"{v:.1f} {unit}"
            return f"{v:.2f} {unit}"
    raise AssertionError("unreachable")


def measure_interleaved(
    fns: dict,
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    warmup_s: float = DEFAULT_WARMUP_S,
    min_sample_s: float = DEFAULT_MIN_SAMPLE_S,
    min_repeats: int = 5,
    max_repeats: int = 10_000,
    rounds: int = 4,
    switch_s: float = 0.01,
) -> dict:
    """:func:`measure` for several functions at once, taken in turn in ``rounds`` blocks
    (A B C A B C ...), so that a change in the machine's load during the run (other processes
    on a shared machine) affects all of them alike and their *ratios* stay honest. Each
    function gets its own warm-up, calibration and ``budget_s``.

    NOTE [ Blocks, not single samples ]
    Alternating single samples would be the most robust against drift, but the libraries
    keep their worker threads spinning for a while after a call (OpenBLAS's, PyTorch's OpenMP
    pool): a PyTorch sample taken right after a NumPy one shares the cores with NumPy's
    spinning threads and measured up to 4x slower here. So each function runs a block of
    samples at a time, after ``switch_s`` of untimed calls that let the previous library's
    threads go to sleep.

    Returns a dict with the same keys as ``fns`` and :class:`Measurement` values.
    """
    if min_repeats < 1 or max_repeats < min_repeats or rounds < 1:
        raise ValueError(
            f"measure_interleaved: need 1 <= min_repeats <= max_repeats and rounds >= 1, got "
            f"{min_repeats}, {max_repeats}, {rounds}"
        )
    gc.collect()
    numbers = {}
    for key, fn in fns.items():
        t_end = time.perf_counter() + warmup_s
        fn()
        while time.perf_counter() < t_end:
            fn()
        numbers[key] = calibrate(fn, min_sample_s)
    per_call = {k: [] for k in fns}
    spent = dict.fromkeys(fns, 0.0)
    if len(fns) == 1:
        rounds = 1
    for r in range(1, rounds + 1):
        round_budget = budget_s * r / rounds
        round_min = math.ceil(min_repeats * r / rounds)
        round_max = math.ceil(max_repeats * r / rounds)
        for k, fn in fns.items():
            if len(fns) > 1 and switch_s > 0:
                t_end = time.perf_counter() + switch_s
                fn()
                while time.perf_counter() < t_end:
                    fn()
            while len(per_call[k]) < round_max and (
                len(per_call[k]) < round_min or spent[k] < round_budget
            ):
                dt = _run(fn, numbers[k])
                spent[k] += dt
                per_call[k].append(dt / numbers[k])
    return {k: summarize(per_call[k], numbers[k], spent[k]) for k in fns}
