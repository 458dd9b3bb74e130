"""The result of a gradient check: a report that is falsy on failure and prints a diagnosis.

NOTE [ Report ]
A check collects *mismatches* (an analytic gradient entry that disagrees with the numeric
estimate, after the kink and cross-checks of ``_numeric.py`` had their say), *invariant
violations* (backward mutated something, a gradient aliases another array, wrong shape or
dtype, a graph kept alive) and *notes* (things worth knowing that are not failures: entries
rescued at a kink or by the cross-check). ``bool(report)`` is False when any mismatch or
violation was found; ``str(report)`` is the diagnosis, worst entries first. The same text is
the message of the :class:`GradientCheckError` raised by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class GradientCheckError(AssertionError):
    """Raised by ``check_function`` / ``check_module`` when a check fails; ``.report`` holds
    the :class:`GradientCheckReport` (its text is the exception message)."""

    def __init__(self, report: GradientCheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class Mismatch:
    """One analytic gradient entry that disagrees with its numeric estimate."""

    name: str  # "parameter 'fc.weight'" or "input 0"
    element: tuple  # multi-index into the parameter / input
    analytic: float
    numeric: float
    tol: float  # atol + rtol * |numeric|
    output: int | None = None  # output element (Jacobian mode) or None (projected)
    value: float | None = None  # the parameter / input element's value
    kink_distance: float | None = None  # min |value - k| over the user's kinks
    one_sided: tuple | None = None  # (left, right) one-sided differences
    cross_check: tuple | None = None  # (method, estimate)
    what: str = "gradient"  # "gradient", "second-order gradient", "float32 gradient", ...
    reference: str = "central difference"  # what `numeric` is

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        den = max(abs(self.analytic), abs(self.numeric))
        return self.abs_error / den if den > 0 else (0.0 if self.abs_error == 0 else np.inf)

    @property
    def badness(self) -> float:
        return self.abs_error / self.tol if self.tol > 0 else np.inf

    def describe(self) -> str:
        el = ", ".join(str(int(i)) for i in self.element)
        out = "" if self.output is None else f", output element {self.output}"
        lines = [
            f"{self.what} of {self.name}[{el}]{out}: analytic {self.analytic:.10g}, "
            f"numeric {self.numeric:.10g} ({self.reference}); |difference| "
            f"{self.abs_error:.3g} > tolerance {self.tol:.3g}, relative error {self.rel_error:.3g}"
        ]
        extra = []
        if self.value is not None:
            extra.append(f"at value {self.value:.6g}")
        if self.kink_distance is not None:
            extra.append(f"distance from the nearest given kink {self.kink_distance:.3g}")
        if self.one_sided is not None:
            extra.append(
                f"one-sided differences {self.one_sided[0]:.6g} (left) and "
                f"{self.one_sided[1]:.6g} (right): the point is at a kink and the analytic "
                f"value is not between them (not a subgradient)"
            )
        if self.cross_check is not None:
            method, est = self.cross_check
            extra.append(f"{method} estimate {est:.10g} (confirms the mismatch)")
        if extra:
            lines.append("    " + "; ".join(extra))
        return "\n".join(lines)


@dataclass
class GradientCheckReport:
    """What a gradient check found. Falsy when it failed; ``str()`` gives the diagnosis.

    Attributes
    ----------
    subject : str
        What was checked (the function's or module's name).
    checked : list of (name, shape)
        Every parameter and input whose gradient was checked.
    mismatches : list of Mismatch
        Failing gradient entries, worst first (at most ``max_report`` per tensor kept).
    counts : dict
        For each failing tensor name, ``(failing entries, total entries)``.
    violations : list of str
        Broken invariants (mutation, aliasing, shape, dtype, graph not freed, exceptions).
    notes : list of str
        Informational lines: entries passed at a kink, finite-difference error ruled out.
    """

    subject: str = ""
    checked: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    violations: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    settings: str = ""
    max_report: int = 5

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.violations

    def __bool__(self) -> bool:
        return self.passed

    @property
    def invariant_failures(self) -> list:
        """Alias of ``violations``."""
        return self.violations

    @property
    def failing_names(self) -> list:
        """The names in :attr:`failing`, sorted."""
        return sorted(self.failing)

    @property
    def failing(self) -> list:
        """Names of the parameters / inputs with a mismatching gradient, worst first."""
        seen = []
        for m in sorted(self.mismatches, key=lambda m: -m.badness):
            if m.name not in seen:
                seen.append(m.name)
        return seen

    def __str__(self) -> str:
        head = "passed" if self.passed else "FAILED"
        lines = [f"gradient check of {self.subject}: {head}"]
        if self.settings:
            lines.append(f"  ({self.settings})")
        if self.checked:
            names = ", ".join(f"{n} {tuple(s)}" for n, s in self.checked)
            lines.append(f"  checked: {names}")
        if self.mismatches:
            lines.append("mismatches (worst first):")
            worst = sorted(self.mismatches, key=lambda m: -m.badness)[: self.max_report]
            for m in worst:
                lines.append("  " + m.describe().replace("\n", "\n  "))
            summary = ", ".join(
                f"{name}: {bad} of {tot} entries" for name, (bad, tot) in self.counts.items()
            )
            lines.append(f"  failing: {summary}")
        if self.violations:
            lines.append("invariants broken:")
            lines.extend("  " + v for v in self.violations)
        if self.notes:
            lines.append("notes:")
            lines.extend("  " + n for n in self.notes)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle) -> None:  # IPython / hypothesis pretty printer
        p.text(str(self))
