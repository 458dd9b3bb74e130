"""Approximate a function of one variable with small MLPs, and see what the choices change.

Two targets on the training interval [-3, 3]:

- ``sin``: ``sin(x)``, smooth;
- ``plateaus``: ``2 * clip(|x| - 1, 0, 1) - 1``, flat at -1 on [-1, 1] and at 1 beyond
  |x| = 2, with straight ramps between: wide plateaus and four sharp bends.

For each target, every combination of

- depth: 1 or 2 hidden layers of 32 units,
- activation: ReLU or tanh,
- initialisation: Glorot (``nn.init.xavier_uniform_``) or He (``nn.init.kaiming_uniform_``),
- optimizer: plain SGD or SGD with momentum 0.9,

is trained with MSE on 256 points, mini-batches of 32 from a ``DataLoader``. The script prints
the final training error and the error *outside* the training interval (on [-5, -3] and
[3, 5], where the network never saw data), and plots the fits over [-5, 5] and the learning
curves. Seeded: the same command gives the same numbers.

Usage::

    python examples/fit_function.py [--epochs 200] [--out out/]

What to look for: outside [-3, 3] ReLU nets go on in straight lines (a ReLU net is piecewise
linear) while tanh nets level off (tanh saturates), and neither continues sin's oscillation:
nothing in the data says it should. With the same number of steps, momentum gets much further
than plain SGD. Two hidden ReLU layers with momentum reproduce the plateaus and bends almost
exactly; one hidden layer of 32 units cannot, and a tanh net rounds the bends off. He
initialisation (scaled for ReLU) makes tanh units start nearer saturation, which slows plain
SGD down.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

try:
    import autograd
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import autograd

import numpy as np

import nn
import nn.functional as F
import optim
from data import DataLoader, TensorDataset


def sin(x):
    return np.sin(x)


def plateaus(x):
    return 2.0 * np.clip(np.abs(x) - 1.0, 0.0, 1.0) - 1.0


TARGETS = {"sin": sin, "plateaus": plateaus}
TRAIN_RANGE = (-3.0, 3.0)
PLOT_RANGE = (-5.0, 5.0)


def make_net(depth: int, act: str, init: str, width: int = 32) -> nn.Module:
    """``1 -> width (-> width) -> 1`` with ``act`` between the layers; weights drawn with
    Glorot or He uniform initialisation (gain for the activation), biases zero."""
    layers = []
    sizes = [1] + [width] * depth + [1]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        if init == "glorot":
            nn.init.xavier_uniform_(lin.weight, gain=nn.init.calculate_gain(act))
        else:
            nn.init.kaiming_uniform_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < depth:
            layers.append(nn.ReLU() if act == "relu" else nn.Tanh())
    return nn.Sequential(*layers)


def fit(
    target: str,
    depth: int,
    act: str,
    init: str,
    opt_name: str,
    epochs: int,
    n_points: int = 256,
    batch_size: int = 32,
    lr: float = 0.01,
    seed: int = 0,
) -> dict:
    """Train one configuration; returns its loss per epoch and its predictions on a grid."""
    rng = np.random.default_rng(seed)
    f = TARGETS[target]
    x = rng.uniform(*TRAIN_RANGE, size=(n_points, 1)).astype(np.float32)
    y = f(x).astype(np.float32)
    autograd.manual_seed(seed)
    model = make_net(depth, act, init)
    momentum = 0.9 if opt_name == "momentum" else 0.0
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader(
        TensorDataset(autograd.from_numpy(x), autograd.from_numpy(y)),
        batch_size=batch_size,
        shuffle=True,
        generator=autograd.Generator().manual_seed(seed),
    )
    xs_all, ys_all = autograd.from_numpy(x), autograd.from_numpy(y)
    with autograd.no_grad():  # losses[0] is before training, losses[e] after epoch e
        losses = [F.mse_loss(model(xs_all), ys_all).item()]
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
        with autograd.no_grad():
            losses.append(F.mse_loss(model(xs_all), ys_all).item())
    grid = np.linspace(*PLOT_RANGE, 401, dtype=np.float32)[:, None]
    with autograd.no_grad():
        pred = model(autograd.from_numpy(grid)).numpy()[:, 0]
    outside = (grid[:, 0] < TRAIN_RANGE[0]) | (grid[:, 0] > TRAIN_RANGE[1])
    truth = f(grid[:, 0])
    return {
        "losses": losses,
        "grid": grid[:, 0],
        "pred": pred,
        "train_mse": losses[-1],
        "outside_mse": float(np.mean((pred[outside] - truth[outside]) ** 2)),
    }


CONFIGS = list(itertools.product((1, 2), ("relu", "tanh"), ("glorot", "he"), ("sgd", "momentum")))


def run(targets, epochs: int, seed: int = 0, progress: bool = True) -> dict:
    results = {}
    t0 = time.perf_counter()
    total = len(targets) * len(CONFIGS)
    for k, (target, cfg) in enumerate(itertools.product(targets, CONFIGS), 1):
        results[(target, *cfg)] = fit(target, *cfg, epochs=epochs, seed=seed)
        if progress:
            r = results[(target, *cfg)]
            print(
                f"[{k:2d}/{total}] {target:8s} depth {cfg[0]} {cfg[1]:4s} {cfg[2]:6s} "
                f"{cfg[3]:8s}  train MSE {r['train_mse']:.5f}  "
                f"({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
    return results


def table(results: dict) -> str:
    lines = [
        f"{'target':9s} {'depth':>5s} {'act':5s} {'init':7s} {'optimizer':9s} "
        f"{'initial MSE':>11s} {'final MSE':>10s} {'MSE outside':>12s}",
    ]
    for (target, depth, act, init, opt), r in results.items():
        lines.append(
            f"{target:9s} {depth:5d} {act:5s} {init:7s} {opt:9s} {r['losses'][0]:11.5f} "
            f"{r['train_mse']:10.5f} {r['outside_mse']:12.4f}"
        )
    return "\n".join(lines)


def _mpl():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        return plt
    except ImportError:
        print("note: plots skipped: matplotlib is not installed (pip install -e '.[examples]')")
        return None


STYLE = {
    ("glorot", "sgd"): ("#1f77b4", ":"),
    ("glorot", "momentum"): ("#1f77b4", "-"),
    ("he", "sgd"): ("#d62728", ":"),
    ("he", "momentum"): ("#d62728", "-"),
}


def _grid_axes(plt, targets, title):
    rows = [(t, d) for t in targets for d in (1, 2)]
    fig, axes = plt.subplots(
        len(rows), 2, figsize=(11, 2.4 * len(rows) + 0.6), squeeze=False, sharex=True
    )
    fig.suptitle(title)
    return fig, axes, rows


def plot_fits(results: dict, targets, path: str) -> bool:
    plt = _mpl()
    if plt is None:
        return False
    fig, axes, rows = _grid_axes(
        plt, targets, "Fits on [-5, 5]; trained on [-3, 3] only (the grey band is unseen)"
    )
    for r_i, (target, depth) in enumerate(rows):
        for c_i, act in enumerate(("relu", "tanh")):
            ax = axes[r_i, c_i]
            grid = np.linspace(*PLOT_RANGE, 401)
            ax.axvspan(PLOT_RANGE[0], TRAIN_RANGE[0], color="0.9")
            ax.axvspan(TRAIN_RANGE[1], PLOT_RANGE[1], color="0.9")
            ax.plot(grid, TARGETS[target](grid), color="black", lw=2.5, alpha=0.35, label="target")
            for (init, opt), (color, ls) in STYLE.items():
                r = results.get((target, depth, act, init, opt))
                if r is not None:
                    ax.plot(
                        r["grid"], r["pred"], color=color, ls=ls, lw=1.3, label=f"{init}, {opt}"
                    )
            ax.set_ylim(-2.0, 2.0)
            ax.set_title(
                f"{target}: {depth} hidden layer{'s' if depth > 1 else ''}, {act}", fontsize=9
            )
            if r_i == 0 and c_i == 0:
                ax.legend(fontsize=7, loc="lower left")
    for ax in axes[-1]:
        ax.set_xlabel("x")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_curves(results: dict, targets, path: str) -> bool:
    plt = _mpl()
    if plt is None:
        return False
    fig, axes, rows = _grid_axes(plt, targets, "Training MSE per epoch (log scale)")
    for r_i, (target, depth) in enumerate(rows):
        for c_i, act in enumerate(("relu", "tanh")):
            ax = axes[r_i, c_i]
            for (init, opt), (color, ls) in STYLE.items():
                r = results.get((target, depth, act, init, opt))
                if r is not None:
                    ep = np.arange(len(r["losses"]))
                    ax.plot(ep, r["losses"], color=color, ls=ls, label=f"{init}, {opt}")
            ax.set_yscale("log")
            ax.grid(alpha=0.3)
            ax.set_title(
                f"{target}: {depth} hidden layer{'s' if depth > 1 else ''}, {act}", fontsize=9
            )
            if r_i == 0 and c_i == 0:
                ax.legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="Fit sin(x) and a plateau function with small MLPs.")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--target", choices=[*TARGETS, "both"], default="both")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true", help="10 epochs (for the tests)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    targets = list(TARGETS) if args.target == "both" else [args.target]
    epochs = 10 if args.quick else args.epochs
    results = run(targets, epochs, args.seed, progress=not args.no_progress)
    print()
    print(table(results))
    if not args.no_plot:
        os.makedirs(args.out, exist_ok=True)
        fits = os.path.join(args.out, "fit_function.png")
        curves = os.path.join(args.out, "fit_function_curves.png")
        if plot_fits(results, targets, fits) and plot_curves(results, targets, curves):
            print(f"\nplots saved to {fits} and {curves}")
    return results


if __name__ == "__main__":
    main()
