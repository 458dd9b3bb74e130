"""Run cases: set up each engine, time them side by side, collect results."""

from __future__ import annotations

import fnmatch
import sys
import time
import traceback
from dataclasses import dataclass, field

from ._case import ENGINES, Case, Unavailable
from ._timing import Measurement, measure_interleaved


@dataclass(frozen=True)
class Settings:
    """How long to time each case, and at which sizes.

    ``size`` is ``"full"`` (the sizes the issue names) or ``"smoke"`` (tiny sizes, for the test
    suite: it checks that every case runs, not how fast).
    """

    budget_s: dict
    warmup_s: float
    min_sample_s: float
    min_repeats: int
    size: str = "full"
    name: str = "full"
    rounds: int = 4
    switch_s: float = 0.02


FULL = Settings(
    budget_s={"ops": 0.25, "layers": 0.5, "steps": 2.0},
    warmup_s=0.05,
    min_sample_s=0.002,
    min_repeats=7,
    name="full",
)
QUICK = Settings(
    budget_s={"ops": 0.025, "layers": 0.05, "steps": 0.25},
    warmup_s=0.005,
    min_sample_s=0.001,
    min_repeats=3,
    name="quick",
    rounds=2,
    switch_s=0.005,
)
SMOKE = Settings(
    budget_s={"ops": 0.0, "layers": 0.0, "steps": 0.0},
    warmup_s=0.0,
    min_sample_s=0.0,
    min_repeats=1,
    size="smoke",
    name="smoke",
    rounds=1,
    switch_s=0.0,
)
PROFILES = {"full": FULL, "quick": QUICK, "smoke": SMOKE}


@dataclass
class Result:
    """The timings of one case: a :class:`Measurement` per engine that ran, a note per engine
    that did not (``skipped: ...`` or ``failed: ...``)."""

    suite: str
    name: str
    mode: str
    timings: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    target: float | None = None
    description: str = ""
    tracebacks: dict = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return f"{self.suite}/{self.name}/{self.mode}"

    def ratio(self, engine: str, of: str = "ndgrad") -> float | None:
        """``of``'s median (ndgrad's by default) over ``engine``'s (``None`` when either is
        missing)."""
        a, b = self.timings.get(of), self.timings.get(engine)
        if a is None or b is None or b.median <= 0:
            return None
        return a.median / b.median

    @property
    def failed(self) -> dict:
        return {e: n for e, n in self.notes.items() if n.startswith("failed")}

    def to_dict(self, with_times: bool = True) -> dict:
        return {
            "id": self.id,
            "suite": self.suite,
            "case": self.name,
            "mode": self.mode,
            "description": self.description,
            "target": self.target,
            "timings": {e: m.to_dict(with_times) for e, m in self.timings.items()},
            "notes": dict(self.notes),
            "ratios": {
                f"{o}/{e}": self.ratio(e, o)
                for o in ("ndgrad", "compiled")
                for e in ENGINES
                if e not in ("ndgrad", "compiled") and self.ratio(e, o)
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        return cls(
            suite=d["suite"],
            name=d["case"],
            mode=d["mode"],
            timings={e: Measurement.from_dict(m) for e, m in d.get("timings", {}).items()},
            notes=dict(d.get("notes", {})),
            target=d.get("target"),
            description=d.get("description", ""),
        )


def matches(case_id: str, patterns) -> bool:
    """Whether ``case_id`` matches one of the comma-separated ``--filter`` patterns: each is a
    shell-style pattern (``*``, ``?``, ``[ ]``) matched anywhere in the id, case-insensitively
    (``mlp`` matches ``steps/mlp-adam/b64/step``; ``ops/*/16/*`` matches the tiny ops)."""
    if not patterns:
        return True
    cid = case_id.lower()
    for p in patterns:
        p = p.strip().lower()
        if p and fnmatch.fnmatchcase(cid, f"*{p}*"):
            return True
    return False


class Progress:
    """A progress bar on stderr: tqdm's when it is installed, else a plain one drawn with
    carriage returns; nothing when stderr is not a terminal or when disabled."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0 and getattr(self.stream, "isatty", lambda: False)()
        self.total = total
        self.done = 0
        self._tqdm = None
        self._t0 = time.perf_counter()
        if self.enabled:
            try:
                from tqdm import tqdm

                self._tqdm = tqdm(total=total, file=self.stream, unit="case", leave=False)
            except ImportError:
                self._tqdm = None

    def update(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(label, refresh=False)
            self._tqdm.update(1)
            return
        width = 30
        filled = int(width * self.done / self.total)
        elapsed = time.perf_counter() - self._t0
        line = (
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{elapsed:5.1f}s {label[:60]:<60}"
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()


def run_case(case: Case, settings: Settings, engines=ENGINES) -> Result:
    """Set up every engine of ``case`` and time them side by side."""
    res = Result(
        case.suite,
        case.name,
        case.mode,
        notes=dict(case.notes),
        target=case.target,
        description=case.description,
    )
    fns = {}
    for engine in ENGINES:
        if engine not in engines:
            res.notes.setdefault(engine, "skipped: left out of this run")
    for engine in engines:
        setup = case.setups.get(engine)
        if setup is None:
            res.notes.setdefault(engine, "skipped: no implementation for this case")
            continue
        try:
            fns[engine] = setup()
        except Unavailable as exc:
            res.notes[engine] = f"skipped: {exc}"
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            res.notes[engine] = f"failed: {type(exc).__name__}: {exc}"
            res.tracebacks[engine] = traceback.format_exc()
    if not fns:
        return res
    # A function that raises when timed is dropped with a note, the others are still timed.
    for engine in list(fns):
        try:
            fns[engine]()
        except Exception as exc:  # noqa: BLE001
            res.notes[engine] = f"failed: {type(exc).__name__}: {exc}"
            res.tracebacks[engine] = traceback.format_exc()
            del fns[engine]
    if fns:
        res.timings = measure_interleaved(
            fns,
            budget_s=settings.budget_s.get(case.suite, 0.1),
            warmup_s=settings.warmup_s,
            min_sample_s=settings.min_sample_s,
            min_repeats=settings.min_repeats,
            rounds=settings.rounds,
            switch_s=settings.switch_s,
        )
    return res


def run_cases(cases, settings: Settings, progress: bool = True, engines=ENGINES) -> list:
    """Run every case in order, with a progress bar; returns the list of :class:`Result`."""
    bar = Progress(len(cases), enabled=progress)
    results = []
    try:
        for case in cases:
            results.append(run_case(case, settings, engines))
            bar.update(case.id)
    finally:
        bar.close()
    return results
