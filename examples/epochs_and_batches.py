"""One epoch, sampled without and with replacement: what a mini-batch loop actually sees.

An *epoch* usually means one pass over the dataset: ``DataLoader(dataset, shuffle=True)``
draws a random permutation (sampling **without** replacement), so every sample appears exactly
once and the epoch has ``ceil(N / batch_size)`` mini-batches. With
``RandomSampler(dataset, replacement=True)`` the loader instead draws ``N`` indices
independently: the epoch has the same number of mini-batches, but some samples appear several
times and about ``(1 - 1/N)^N ~ 1/e ~ 37%`` of them not at all.

This script runs one epoch of each over the same dataset, counts how often each sample is
seen, prints a small table and plots the per-sample counts.

Usage::

    python examples/epochs_and_batches.py [--n 1000] [--batch-size 32] [--seed 0] [--out out/]

Needs only ndgrad; the plot needs matplotlib (``pip install -e '.[examples]'``) and is skipped
with a note without it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

try:
    import autograd
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import autograd

import numpy as np

from data import DataLoader, RandomSampler, TensorDataset


def count_epoch(loader, n: int) -> dict:
    """Iterate once over ``loader`` (whose batches are ``(indices,)``) and count how often each
    of the ``n`` samples is seen."""
    counts = np.zeros(n, dtype=np.int64)
    batches = 0
    for (idx,) in loader:
        np.add.at(counts, idx.numpy(), 1)
        batches += 1
    return {
        "batches": batches,
        "len(loader)": len(loader),
        "draws": int(counts.sum()),
        "distinct": int((counts > 0).sum()),
        "never seen": int((counts == 0).sum()),
        "max count": int(counts.max()),
        "counts": counts,
    }


def run(n: int = 1000, batch_size: int = 32, seed: int = 0) -> dict:
    """One epoch without and one with replacement over ``TensorDataset(arange(n))``."""
    dataset = TensorDataset(autograd.arange(n))
    g = autograd.Generator().manual_seed(seed)
    without = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=g)
    g2 = autograd.Generator().manual_seed(seed)
    with_repl = DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=RandomSampler(dataset, replacement=True, generator=g2),
    )
    return {
        "without replacement": count_epoch(without, n),
        "with replacement": count_epoch(with_repl, n),
    }


def expected_with_replacement(n: int) -> dict:
    """What theory says for ``n`` independent uniform draws out of ``n``."""
    p_unseen = (1.0 - 1.0 / n) ** n
    return {"distinct": n * (1.0 - p_unseen), "never seen": n * p_unseen}


def table(results: dict, n: int, batch_size: int) -> str:
    rows = ["batches", "len(loader)", "draws", "distinct", "never seen", "max count"]
    exp = expected_with_replacement(n)
    cols = list(results)
    lines = [
        f"One epoch over {n} samples, batch_size={batch_size} "
        f"(ceil(N / batch_size) = {math.ceil(n / batch_size)})",
        "",
        f"{'':14s}" + "".join(f"{c:>22s}" for c in cols) + f"{'theory (with repl.)':>22s}",
    ]
    for r in rows:
        theory = f"{exp[r]:.1f}" if r in exp else ""
        lines.append(f"{r:14s}" + "".join(f"{results[c][r]:>22}" for c in cols) + f"{theory:>22s}")
    return "\n".join(lines)


def plot(results: dict, path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: plot skipped: matplotlib is not installed (pip install -e '.[examples]')")
        return False
    fig = plt.figure(figsize=(12, 4.6))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.5, 1))
    colors = ("#1f77b4", "#ff7f0e")
    top = max(int(r["counts"].max()) for r in results.values())
    for row, ((name, r), color) in enumerate(zip(results.items(), colors)):
        ax = fig.add_subplot(grid[row, 0])
        c = r["counts"]
        ax.bar(np.arange(len(c)), c, width=1.0, color=color)
        ax.set_ylim(0, top + 0.5)
        ax.set_ylabel("times seen")
        ax.set_title(
            f"{name}: {r['distinct']} distinct, {r['never seen']} never seen, "
            f"most-seen {r['max count']}x",
            fontsize=9,
        )
        if row == 1:
            ax.set_xlabel("sample index")
    ax = fig.add_subplot(grid[:, 1])
    bins = np.arange(top + 2) - 0.5
    for (name, r), color in zip(results.items(), colors):
        ax.hist(r["counts"], bins=bins, alpha=0.6, label=name, color=color)
    n = len(next(iter(results.values()))["counts"])
    k = np.arange(top + 1)
    poisson = n * np.exp(-1.0) / np.array([math.factorial(int(i)) for i in k])
    ax.plot(k, poisson, "k.--", label="Poisson(1) (large-N limit)")
    ax.set_xlabel("times seen")
    ax.set_ylabel("number of samples")
    ax.set_title("How many samples were seen k times")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="dataset size (default 1000)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out", help="folder for the plot (default out/)")
    p.add_argument("--quick", action="store_true", help="a small dataset (for the tests)")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    n = 200 if args.quick else args.n
    results = run(n, args.batch_size, args.seed)
    print(table(results, n, args.batch_size))
    if not args.no_plot:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, "epochs_and_batches.png")
        if plot(results, path):
            print(f"\nplot saved to {path}")
    return results


if __name__ == "__main__":
    main()
