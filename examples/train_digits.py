"""The main job: train an MLP and a small CNN on the bundled digits dataset.

The data is ``data.datasets.Digits``: 1,797 grey 8x8 images of handwritten digits (UCI,
shipped with ndgrad, so this runs offline), split 1,437 for training and 360 for testing.
Two models are trained with Adam and cross-entropy on mini-batches from a ``DataLoader``:

- the classic 3-layer MLP: ``Flatten - Linear(64, 128) - ReLU - Linear(128, 64) - ReLU -
  Linear(64, 10)``;
- a small CNN: two blocks of ``Conv2d(3x3, padding 1) - ReLU - MaxPool2d(2)`` (32 and 64
  channels), then ``Linear(256, 10)``.

Each epoch shows a progress bar (tqdm when installed, plain lines otherwise) with the running
loss and accuracy; the test loss and accuracy are measured after every epoch. At the end the
script prints the test accuracies, saves the learning curves (train and test loss and accuracy
per epoch) to ``OUT/learning_curves.png``, saves each model with ``autograd.save`` and loads it
back into a fresh model to check that it predicts exactly the same. Everything is seeded: the
same command prints the same numbers.

Usage::

    pip install -e '.[examples]'            # matplotlib and tqdm (both optional)
    python examples/train_digits.py [--epochs 20] [--model mlp|cnn|both] [--out out/]

The same code in PyTorch is the same code: only the imports differ (``import autograd as
torch``, ``import nn``, ``import optim``, ``from data import DataLoader``).
"""

from __future__ import annotations

import argparse
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
from data import DataLoader, Subset
from data.datasets import Digits

# -- the models ----------------------------------------------------------------------------------


def make_mlp() -> nn.Module:
    """The classic 3-layer MLP on the flattened 8x8 image."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def make_cnn() -> nn.Module:
    """Two conv + pool blocks and one linear layer: (1, 8, 8) -> (32, 4, 4) -> (64, 2, 2) -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 2 * 2, 10),
    )


MODELS = {"mlp": (make_mlp, 1e-3), "cnn": (make_cnn, 3e-3)}


# -- progress ------------------------------------------------------------------------------------


class EpochProgress:
    """A progress bar over one epoch's batches: tqdm's when it is installed, enabled and the
    output is a terminal, else one plain line at the end of the epoch."""

    def __init__(self, total: int, desc: str, enabled: bool = True):
        self.desc, self.total = desc, total
        self.bar = None
        self.postfix = ""
        if enabled and sys.stdout.isatty():
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=desc, leave=True, file=sys.stdout)
            except ImportError:
                self.bar = None

    def update(self, loss: float, acc: float) -> None:
        self.postfix = f"loss {loss:.4f}  acc {acc:6.2%}"
        if self.bar is not None:
            self.bar.set_postfix_str(self.postfix, refresh=False)
            self.bar.update(1)

    def close(self, extra: str = "") -> None:
        if self.bar is not None:
            if extra:
                self.bar.set_postfix_str(f"{self.postfix}  {extra}")
            self.bar.close()
        else:
            print(f"{self.desc}: {self.total} batches  {self.postfix}  {extra}", flush=True)


# -- training ------------------------------------------------------------------------------------


def evaluate(model: nn.Module, loader: DataLoader) -> tuple:
    """Mean loss and accuracy of ``model`` over ``loader``, in eval mode, without grad."""
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    with autograd.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            n += len(y)
    model.train()
    return total_loss / n, correct / n


def predict_logits(model: nn.Module, loader: DataLoader) -> np.ndarray:
    """The logits of every sample of ``loader`` as one array (eval mode, no grad)."""
    model.eval()
    with autograd.no_grad():
        out = np.concatenate([model(x).numpy() for x, _ in loader])
    model.train()
    return out


def train(
    name: str,
    train_set,
    test_set,
    epochs: int,
    batch_size: int = 32,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Train model ``name`` (``mlp`` or ``cnn``); returns the model and its history."""
    make, lr = MODELS[name]
    autograd.manual_seed(seed)  # the weights' initialisation
    model = make()
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    g = autograd.Generator().manual_seed(seed)  # the shuffling order
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(test_set, batch_size=256)
    hist = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc", "seconds")}
    n_params = sum(p.numel() for p in model.parameters())
    print(f"\n{name.upper()}: {n_params:,} parameters, Adam lr={lr}, batch {batch_size}")
    t_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = EpochProgress(len(train_loader), f"{name} epoch {epoch:2d}/{epochs}", progress)
        total_loss, correct, seen = 0.0, 0, 0
        for x, y in train_loader:
            opt.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
            bar.update(total_loss / seen, correct / seen)
        test_loss, test_acc = evaluate(model, test_loader)
        hist["train_loss"].append(total_loss / seen)
        hist["train_acc"].append(correct / seen)
        hist["test_loss"].append(test_loss)
        hist["test_acc"].append(test_acc)
        hist["seconds"].append(time.perf_counter() - t_start)
        bar.close(f"test loss {test_loss:.4f}  test acc {test_acc:6.2%}")
    return {"model": model, "history": hist, "test_loader": test_loader}


def save_and_reload(name: str, model: nn.Module, test_loader: DataLoader, out: str) -> dict:
    """Save ``model`` with ``autograd.save``, load it into a fresh model, and check that the
    reloaded model predicts exactly what the trained one does."""
    path = os.path.join(out, f"digits_{name}.safetensors")
    autograd.save(model.state_dict(), path)
    fresh = MODELS[name][0]()
    fresh.load_state_dict(autograd.load(path))
    before = predict_logits(model, test_loader)
    after = predict_logits(fresh, test_loader)
    same = bool(np.array_equal(before, after))
    print(
        f"{name}: saved to {path} ({os.path.getsize(path):,} bytes); reloaded model predicts "
        f"{'the same' if same else 'DIFFERENTLY'} (max |diff| {np.abs(before - after).max():.3g})"
    )
    return {"path": path, "same_predictions": same}


# -- the learning curves -------------------------------------------------------------------------


def plot_curves(histories: dict, path: str, title: str = "") -> bool:
    """Train and test loss (left) and accuracy (right) per epoch, one colour per model."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "note: learning curves not plotted: matplotlib is not installed "
            "(pip install -e '.[examples]')"
        )
        return False
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = {"mlp": "#1f77b4", "cnn": "#d62728"}
    for name, h in histories.items():
        ep = np.arange(1, len(h["train_loss"]) + 1)
        c = colors.get(name)
        ax_loss.plot(ep, h["train_loss"], "--", color=c, label=f"{name.upper()} train")
        ax_loss.plot(ep, h["test_loss"], "-", color=c, label=f"{name.upper()} test")
        ax_acc.plot(ep, h["train_acc"], "--", color=c, label=f"{name.upper()} train")
        ax_acc.plot(
            ep,
            h["test_acc"],
            "-",
            color=c,
            label=f"{name.upper()} test (final {h['test_acc'][-1]:.1%})",
        )
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy (log scale)")
    ax_loss.set_title("Loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title("Accuracy")
    ax_acc.set_ylim(
        max(0.0, min(min(h["train_acc"][0], h["test_acc"][0]) for h in histories.values()) - 0.02),
        1.0,
    )
    for ax in (ax_loss, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title or "ndgrad on the digits dataset (1,437 train / 360 test images)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# -- main ----------------------------------------------------------------------------------------


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="Train an MLP and a CNN on the digits dataset.")
    p.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out", help="folder for the plot and the saved models")
    p.add_argument(
        "--quick",
        action="store_true",
        help="3 epochs on half of the training set (for the tests)",
    )
    p.add_argument("--no-progress", action="store_true", help="plain lines, no progress bar")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)

    train_set, test_set = Digits(train=True), Digits(train=False)
    epochs = args.epochs
    if args.quick:
        epochs = 3
        train_set = Subset(train_set, list(range(0, len(train_set), 2)))
    os.makedirs(args.out, exist_ok=True)
    names = ["mlp", "cnn"] if args.model == "both" else [args.model]
    print(f"digits: {len(train_set)} training and {len(test_set)} test images of 8x8 pixels")

    t0 = time.perf_counter()
    results = {}
    for name in names:
        r = train(
            name,
            train_set,
            test_set,
            epochs,
            args.batch_size,
            args.seed,
            progress=not args.no_progress,
        )
        r["reload"] = save_and_reload(name, r["model"], r["test_loader"], args.out)
        results[name] = r
    elapsed = time.perf_counter() - t0

    print("\nTest accuracy after", epochs, "epochs:")
    for name, r in results.items():
        h = r["history"]
        print(
            f"  {name.upper():4s} {h['test_acc'][-1]:7.2%}   (test loss {h['test_loss'][-1]:.4f}, "
            f"{h['seconds'][-1]:.1f} s)"
        )
    print(f"total time {elapsed:.1f} s")
    histories = {n: r["history"] for n, r in results.items()}
    if not args.no_plot:
        path = os.path.join(args.out, "learning_curves.png")
        if plot_curves(histories, path):
            print(f"learning curves saved to {path}")
    return {
        n: {"history": r["history"], "reload": r["reload"], "model": r["model"]}
        for n, r in results.items()
    }


if __name__ == "__main__":
    main()
