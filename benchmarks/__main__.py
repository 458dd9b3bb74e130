"""``python -m benchmarks``: run the suites and print a table.

Examples
--------
::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks --suite steps
    python -m benchmarks --quick --json new.json
    python -m benchmarks --compare old.json new.json
    python -m benchmarks --suite ops --filter 'tanh,matmul' --plot ops.png
"""

from __future__ import annotations

import argparse
import os
import sys

from ._case import ENGINES, SUITES
from ._env import blas_threads, environment, header_lines
from ._report import (
    DEFAULT_THRESHOLD,
    compare,
    compare_table,
    legend,
    plot,
    read_json,
    table,
    to_json,
    write_json,
)
from ._runner import PROFILES, matches, run_cases


def collect_cases(suites, size: str = "full", patterns=None) -> list:
    """The cases of ``suites`` (names from ``SUITES``), filtered by ``patterns``."""
    from . import suite_layers, suite_ops, suite_steps

    modules = {"ops": suite_ops, "layers": suite_layers, "steps": suite_steps}
    out = []
    for s in suites:
        out.extend(c for c in modules[s].cases(size) if matches(c.id, patterns))
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Micro-benchmarks of ndgrad's forward and backward passes, side by side "
        "with a hand-written NumPy floor and PyTorch eager (when importable).",
        epilog="Run with OPENBLAS_CORETYPE unset for representative NumPy figures: "
        "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks ...",
    )
    p.add_argument(
        "--suite",
        choices=[*SUITES, "all"],
        default="all",
        help="which suite to run (default: all)",
    )
    p.add_argument("--quick", action="store_true", help="short budgets: a whole run under 60 s")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes and one sample per case: checks that every case runs (for tests)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("OLD", "NEW"),
        help="compare two --json files (no benchmark is run); exit status 1 on a regression",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="--compare: smallest relative change flagged (default 0.10 = 10%%)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="ndgrad",
        help="--compare: whose times to compare (default ndgrad)",
    )
    p.add_argument(
        "--filter",
        metavar="PATTERN",
        help="comma-separated shell patterns matched anywhere in the case id "
        "(suite/case/size/mode), e.g. 'mlp' or 'ops/*/16/*'",
    )
    p.add_argument("--plot", metavar="FILE.png", help="bar chart of the ratios (matplotlib)")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-torch", action="store_true", help="leave PyTorch out even when it is importable"
    )
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout

    if args.compare:
        old_doc, new_doc = (read_json(p) for p in args.compare)
        rows, only_old, only_new = compare(old_doc, new_doc, args.engine, args.threshold)
        print(compare_table(rows, only_old, only_new, args.engine, args.threshold), file=out)
        return 1 if any(r[4] == "regression" for r in rows) else 0

    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    settings = PROFILES[profile]
    suites = list(SUITES) if args.suite == "all" else [args.suite]
    patterns = [p for p in args.filter.split(",") if p.strip()] if args.filter else None
    cases = collect_cases(suites, settings.size, patterns)
    if args.list:
        for c in cases:
            print(f"{c.id:45s} {c.description}", file=out)
        return 0
    if not cases:
        print(f"no case matches --filter {args.filter!r}", file=sys.stderr)
        return 2

    engines = tuple(e for e in ENGINES if not (args.no_torch and e == "torch"))
    threads = blas_threads()
    if "torch" in engines:
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:
            pass
    env = environment()
    for line in header_lines(env):
        print(line, file=out)
    print(f"profile : {settings.name}, {len(cases)} cases, suites {', '.join(suites)}", file=out)
    out.flush()

    results = run_cases(cases, settings, progress=not args.no_progress, engines=engines)
    print("", file=out)
    print(table(results, engines), file=out)
    print("", file=out)
    print(legend(), file=out)
    if args.json:
        write_json(to_json(results, env, settings, sys.argv if argv is None else argv), args.json)
        print(f"results written to {os.path.abspath(args.json)}", file=out)
    if args.plot:
        if plot(results, args.plot, title=f"ndgrad benchmarks ({', '.join(suites)})"):
            print(f"plot written to {os.path.abspath(args.plot)}", file=out)
    failures = [(r.id, e, n) for r in results for e, n in r.failed.items()]
    if failures:
        print("", file=sys.stderr)
        for cid, e, n in failures:
            print(f"{cid} [{e}] {n}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
