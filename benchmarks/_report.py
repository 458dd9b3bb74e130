"""Tables, the JSON file, ``--compare`` and ``--plot``."""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys

from ._case import ENGINE_TITLES, ENGINES
from ._runner import Result
from ._timing import Measurement, format_time

SCHEMA = "ndgrad-benchmarks/1"


def _cell(m: Measurement | None, note: str | None) -> str:
    """``12.3 us ±2%``: the median and half the IQR relative to it (so q1..q3 is roughly the
    median +- that); ``skip``/``FAIL`` when the engine did not run."""
    if m is None:
        if note and note.startswith("failed"):
            return "FAIL"
        return "-"
    half = 50.0 * m.rel_iqr
    return f"{format_time(m.median)} ±{half:.0f}%"


def _ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def _target_cell(res: Result) -> str:
    if res.target is None:
        return ""
    r = res.ratio("numpy")
    if r is None:
        return f"<={res.target:g}x ?"
    return f"<={res.target:g}x {'ok' if r <= res.target else 'MISSED'}"


def _ratio_columns(engines):
    """``(header, numerator, denominator)`` of the ratio columns: ndgrad over each other engine,
    then compiled over the floor and PyTorch."""
    out = [
        (f"/{'floor' if e == 'numpy' else e}", "ndgrad", e) for e in engines if e not in ("ndgrad",)
    ]
    if "compiled" in engines:
        out += [
            (f"compiled/{'floor' if e == 'numpy' else e}", "compiled", e)
            for e in engines
            if e in ("numpy", "torch")
        ]
    return out


def table(results: list, engines=ENGINES) -> str:
    """The results as a plain-text table, one block per suite, then the notes."""
    lines = []
    show_target = any(r.target is not None for r in results)
    headers = ["case", "mode"] + [ENGINE_TITLES[e] for e in engines]
    ratios = _ratio_columns(engines)
    headers += [h for h, _, _ in ratios]
    if show_target:
        headers.append("target")
    rows = []
    for res in results:
        row = [f"{res.suite}/{res.name}", res.mode]
        row += [_cell(res.timings.get(e), res.notes.get(e)) for e in engines]
        row += [_ratio(res.ratio(e, o)) for _, o, e in ratios]
        if show_target:
            row.append(_target_cell(res))
        rows.append(row)
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def fmt(row):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:])]
        return "  ".join(cells).rstrip()

    lines.append(fmt(headers))
    lines.append("  ".join("-" * w for w in widths))
    suite = None
    for res, row in zip(results, rows):
        if suite is not None and res.suite != suite:
            lines.append("")
        suite = res.suite
        lines.append(fmt(row))
    notes = _notes(results)
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines)


def _notes(results: list) -> list:
    """One line per distinct skip/fail note, with the cases it applies to (abridged)."""
    by_note: dict = {}
    for res in results:
        for engine, note in res.notes.items():
            by_note.setdefault((engine, note), []).append(res.id)
    out = []
    for (engine, note), ids in sorted(by_note.items()):
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        out.append(f"note: {ENGINE_TITLES.get(engine, engine)} {note} [{shown}]")
    return out


def legend() -> str:
    return (
        "Times are per call: the median over the samples, ± half the interquartile range as a "
        "percentage of the median.\n/floor = ndgrad / NumPy floor (hand-written NumPy forward, "
        "backward and update); /torch = ndgrad / PyTorch eager (CPU); /compiled = ndgrad eager / "
        "ndgrad under autograd.compile; compiled/floor, compiled/torch likewise for the "
        "compiled step. Below 1.00x ndgrad is faster."
    )


# -- JSON ----------------------------------------------------------------------------------------


def to_json(results: list, env: dict, settings, argv=None) -> dict:
    """The document ``--json`` writes (fields in ``docs/guides/benchmarking.md``)."""
    return {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": list(argv) if argv is not None else None,
        "environment": env,
        "settings": {
            "profile": settings.name,
            "size": settings.size,
            "budget_s": dict(settings.budget_s),
            "warmup_s": settings.warmup_s,
            "min_sample_s": settings.min_sample_s,
            "min_repeats": settings.min_repeats,
            "rounds": settings.rounds,
            "switch_s": settings.switch_s,
        },
        "results": [r.to_dict() for r in results],
    }


def write_json(doc: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, allow_nan=False, default=_json_default)
        f.write("\n")


def _json_default(o):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
    except ImportError:
        pass
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(
            f"{path}: not a benchmark file of schema {SCHEMA!r} (found "
            f"{doc.get('schema') if isinstance(doc, dict) else type(doc).__name__!r})"
        )
    return doc


def results_from_json(doc: dict) -> list:
    return [Result.from_dict(d) for d in doc["results"]]


# -- --compare -----------------------------------------------------------------------------------

DEFAULT_THRESHOLD = 0.10


def classify(old: Measurement, new: Measurement, threshold: float = DEFAULT_THRESHOLD) -> str:
    """``regression``, ``improvement`` or ``same``.

    NOTE [ Beyond noise ]
    A change counts only when it is both *large* (the ratio of medians is beyond
    ``1 +- threshold``, 10% by default) and *clear of the noise* (the two interquartile ranges
    do not overlap: new q1 > old q3 for a regression, new q3 < old q1 for an improvement). A
    planted 2x slowdown is flagged; a 1.05x one, or a 1.3x one whose samples overlap, is not.
    """
    ratio = new.median / old.median if old.median > 0 else math.inf
    if ratio > 1.0 + threshold and new.q1 > old.q3:
        return "regression"
    if ratio < 1.0 / (1.0 + threshold) and new.q3 < old.q1:
        return "improvement"
    return "same"


def compare(old_doc: dict, new_doc: dict, engine: str = "ndgrad", threshold=DEFAULT_THRESHOLD):
    """Pair the two runs' cases by id; returns ``(rows, only_old, only_new)`` where each row is
    ``(id, old Measurement, new Measurement, ratio new/old, verdict)``."""
    old = {r.id: r for r in results_from_json(old_doc)}
    new = {r.id: r for r in results_from_json(new_doc)}
    rows = []
    for cid, rn in new.items():
        ro = old.get(cid)
        if ro is None:
            continue
        mo, mn = ro.timings.get(engine), rn.timings.get(engine)
        if mo is None or mn is None:
            continue
        ratio = mn.median / mo.median if mo.median > 0 else math.inf
        rows.append((cid, mo, mn, ratio, classify(mo, mn, threshold)))
    only_old = sorted(set(old) - set(new))
    only_new = sorted(set(new) - set(old))
    return rows, only_old, only_new


def compare_table(rows, only_old=(), only_new=(), engine="ndgrad", threshold=DEFAULT_THRESHOLD):
    headers = ["case", "old", "new", "new/old", "verdict"]
    body = []
    for cid, mo, mn, ratio, verdict in rows:
        flag = {"regression": "REGRESSION", "improvement": "faster", "same": ""}[verdict]
        body.append([cid, _cell(mo, None), _cell(mn, None), f"{ratio:.2f}x", flag])
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    lines = [
        f"{ENGINE_TITLES.get(engine, engine)} times, new run against old; flagged when the "
        f"ratio is beyond {1 + threshold:.2f}x and the IQRs do not overlap",
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))
        ).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for r in body:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
            ).rstrip()
        )
    n_reg = sum(1 for r in rows if r[4] == "regression")
    n_imp = sum(1 for r in rows if r[4] == "improvement")
    lines.append("")
    lines.append(f"{len(rows)} cases compared: {n_reg} regressions, {n_imp} improvements")
    if only_old:
        lines.append(
            f"only in the old run: {', '.join(only_old[:5])}{' ...' if len(only_old) > 5 else ''}"
        )
    if only_new:
        lines.append(
            f"only in the new run: {', '.join(only_new[:5])}{' ...' if len(only_new) > 5 else ''}"
        )
    return "\n".join(lines)


# -- --plot --------------------------------------------------------------------------------------


def plot(results: list, path: str, title: str = "", stream=None) -> bool:
    """A horizontal bar chart of each case's time relative to the NumPy floor (ndgrad and
    PyTorch; the floor is the line at 1). Returns False, with a note on ``stream``, when
    matplotlib is not installed or nothing has a floor."""
    stream = stream if stream is not None else sys.stderr
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print(
            "note: --plot skipped: matplotlib is not installed (pip install matplotlib, "
            "or the 'examples' extra)",
            file=stream,
        )
        return False
    rows = [r for r in results if r.ratio("numpy") is not None]
    if not rows:
        print("note: --plot skipped: no case has both ndgrad and NumPy-floor times", file=stream)
        return False
    labels = [f"{r.suite}/{r.name} {r.mode}" for r in rows]
    nd = [r.ratio("numpy") for r in rows]
    co = [r.ratio("numpy", "compiled") or 0.0 for r in rows]
    th = [
        r.timings["torch"].median / r.timings["numpy"].median if "torch" in r.timings else 0.0
        for r in rows
    ]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(10.5, 1.4 + 0.32 * n))
    ys = list(range(n))
    h = 0.27
    ax.barh([y - h for y in ys], nd, height=h, label="ndgrad", color="#1f77b4")
    if any(co):
        ax.barh(ys, co, height=h, label="ndgrad compiled", color="#2ca02c")
    if any(th):
        ax.barh([y + h for y in ys], th, height=h, label="PyTorch eager", color="#ff7f0e")
    for y, r in zip(ys, rows):
        if r.target is not None:
            ax.plot([r.target, r.target], [y - 0.45, y + 0.45], color="red", lw=1.5)
    ax.axvline(1.0, color="black", lw=1, ls="--", label="NumPy floor")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    vals = [v for v in nd + co + th if v > 0]
    lo, hi = min(vals + [1.0]) / 1.15, max(vals + [1.0]) * 1.15
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200) if lo <= t <= hi]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}x" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("time / hand-written NumPy floor (log scale; lower is faster)")
    ax.set_title(title or "ndgrad and PyTorch against the NumPy floor")
    if any(r.target is not None for r in rows):
        ax.plot([], [], color="red", lw=1.5, label="target")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
