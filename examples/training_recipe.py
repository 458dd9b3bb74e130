"""Karpathy's "A Recipe for Training Neural Networks", walked step by step on the digits.

Training fails silently: a bug rarely crashes, it only makes the model a bit worse. The recipe
builds confidence one step at a time, and ``nn.utils.recipe`` makes each check one call. This
script walks it on ``data.datasets.Digits`` (8x8 images; 1,437 training images split here into
1,149 for training and 288 for validation, and the 360 test images) with the MLP of
``examples/train_digits.py``:

1. **Fix the seed**; keep a validation set apart from the test set.
2. **Sanity checks before training**: the loss at init is ``-log(1/10)``
   (``check_loss_at_init``; the last bias set to the log class priors with
   ``init_output_bias_``), each sample's output depends on its own input only
   (``check_batch_independence``), one step updates every parameter
   (``check_parameters_update``), the model beats the same model trained on zeroed inputs
   (``input_independent_baseline``), and it can drive the loss of two examples to zero
   (``overfit_one_batch``); a planted bug (softmax before ``CrossEntropyLoss``) shows what a
   failure looks like.
3. **Train and watch**: learning curves on the full test set after every epoch, and the
   predicted class probabilities of a fixed batch of 16 test digits at several epochs (the
   dynamics the recipe asks to watch).
4. **Regularise**: on a smaller training set (400 images, where it matters), no regularisation
   against Dropout, weight decay, and early stopping on the validation loss with
   ``ReduceLROnPlateau``, compared in one plot.
5. **Tune**: a random search (not a grid) of learning rate x weight decay, both log-uniform,
   drawn as a scatter coloured by validation accuracy.

Every figure is written to ``OUT/`` (``recipe_sanity.png``, ``recipe_learning_curves.png``,
``recipe_predictions.png``, ``recipe_regularisation.png``, ``recipe_random_search.png``).
Seeded: the same command prints the same numbers.

Usage::

    pip install -e '.[examples]'            # matplotlib (optional: without it, no figures)
    python examples/training_recipe.py [--out out/] [--quick] [--no-plot]
"""

from __future__ import annotations

import argparse
import copy
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
from data.datasets import Digits
from nn.utils.recipe import (
    check_batch_independence,
    check_loss_at_init,
    check_parameters_update,
    init_output_bias_,
    input_independent_baseline,
    overfit_one_batch,
)

SEED = 0

# -- data and model ------------------------------------------------------------------------------


def load(seed: int = SEED, n_val: int = 288) -> dict:
    """The digits as tensors: a seeded train/validation split of the training images, and the
    whole test set. Images are ``(N, 1, 8, 8)`` in [0, 1]."""
    splits = {}
    train, test = Digits(train=True), Digits(train=False)
    x = train.data.numpy().astype(np.float32)[:, None] / 16.0
    y = train.targets.numpy()
    perm = np.random.default_rng(seed).permutation(len(y))
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    splits["train"] = (autograd.tensor(x[tr_idx]), autograd.tensor(y[tr_idx]))
    splits["val"] = (autograd.tensor(x[val_idx]), autograd.tensor(y[val_idx]))
    xt = test.data.numpy().astype(np.float32)[:, None] / 16.0
    splits["test"] = (autograd.tensor(xt), autograd.tensor(test.targets.numpy()))
    return splits


def make_mlp(dropout: float = 0.0) -> nn.Sequential:
    """The MLP of train_digits.py, with optional Dropout after each hidden layer."""
    layers = [nn.Flatten(), nn.Linear(64, 128), nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout else []
    layers += [nn.Linear(128, 64), nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout else []
    layers += [nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def loader(split: tuple, batch_size: int = 32, shuffle: bool = False, seed: int = SEED):
    g = autograd.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(*split), batch_size=batch_size, shuffle=shuffle, generator=g)


def evaluate(model: nn.Module, split: tuple) -> tuple:
    """Loss and accuracy over a whole split, in eval mode, without grad (one batch: the digits
    are small)."""
    model.eval()
    with autograd.no_grad():
        logits = model(split[0])
        loss = F.cross_entropy(logits, split[1]).item()
        acc = (logits.argmax(dim=1) == split[1]).float().mean().item()
    model.train()
    return loss, acc


def probabilities(model: nn.Module, x) -> np.ndarray:
    model.eval()
    with autograd.no_grad():
        p = F.softmax(model(x), dim=1).numpy()
    model.train()
    return p


# -- step 2: sanity checks -----------------------------------------------------------------------


def sanity_checks(data: dict, quick: bool) -> dict:
    """The checks before any real training; each prints its report (and raises if it fails)."""
    loss_fn = nn.CrossEntropyLoss()
    xtr, ytr = data["train"]
    autograd.manual_seed(SEED)
    model = make_mlp()
    init_output_bias_(model[-1], ytr)  # the log class priors (the digits are nearly balanced)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    res = {}
    print("\n== 2. Sanity checks before training")
    res["init"] = check_loss_at_init(model, (xtr[:512], ytr[:512]), loss_fn, num_classes=10)
    print(res["init"])
    model.eval()
    res["independence"] = check_batch_independence(model, data["test"][0][:8])
    model.train()
    print(res["independence"])
    res["update"] = check_parameters_update(model, (xtr[:32], ytr[:32]), loss_fn, opt)
    print(res["update"])
    res["baseline"] = input_independent_baseline(
        make_mlp,
        loader(data["train"], shuffle=True),
        loss_fn,
        lambda p: optim.Adam(p, lr=1e-3),
        epochs=1 if quick else 3,
        eval_loader=loader(data["val"], batch_size=512),
    )
    print(res["baseline"])
    two = (xtr[:2], ytr[:2])
    res["overfit"] = overfit_one_batch(model, two, loss_fn, opt, steps=300, tol=1e-3)
    print(res["overfit"])
    # what a bug looks like: probabilities fed to CrossEntropyLoss (a softmax too many)
    autograd.manual_seed(SEED)
    buggy = nn.Sequential(make_mlp(), nn.Softmax(dim=1))
    res["overfit_bug"] = overfit_one_batch(
        buggy,
        two,
        loss_fn,
        optim.Adam(buggy.parameters(), lr=1e-3),
        steps=300,
        tol=1e-3,
        raise_exception=False,
    )
    print("-- the same check on a model with a planted bug (softmax before CrossEntropyLoss):")
    print(res["overfit_bug"])
    return res


# -- step 3: train and watch ---------------------------------------------------------------------


def fixed_batch(test: tuple, n: int = 16, seed: int = SEED) -> np.ndarray:
    """Indices of ``n`` test digits: one of each class, then random ones, sorted by label."""
    y = test[1].numpy()
    first = [int(np.flatnonzero(y == c)[0]) for c in range(10)]
    rest = np.random.default_rng(seed).choice(np.setdiff1d(np.arange(len(y)), first), n - 10)
    idx = np.array(first + list(rest))
    return idx[np.argsort(y[idx], kind="stable")]


def fit(
    model: nn.Module,
    opt,
    data: dict,
    train: tuple,
    epochs: int,
    scheduler=None,
    patience: int | None = None,
    watch: tuple | None = None,
    watch_epochs: tuple = (),
    curves: bool = True,
) -> dict:
    """Train with mini-batches of 32; after every epoch measure the validation and the full
    test set. With ``patience``, stop when the validation loss has not improved for that many
    epochs and keep the best weights (early stopping). ``watch = (x, idx)``: the class
    probabilities of ``x`` are stored at ``watch_epochs`` (0 is before training). With
    ``curves=False`` only the last epoch is evaluated."""
    keys = ("train_loss", "val_loss", "val_acc", "test_loss", "test_acc", "lr")
    hist = {k: [] for k in keys}
    hist["snapshots"] = {}
    if watch is not None and 0 in watch_epochs:
        hist["snapshots"][0] = probabilities(model, watch)
    train_loader = loader(train, shuffle=True)
    best, best_state, since = np.inf, None, 0
    for epoch in range(1, epochs + 1):
        total, n = 0.0, 0
        for x, y in train_loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            n += len(y)
        if not (curves or patience is not None or scheduler is not None or epoch == epochs):
            continue
        val_loss, val_acc = evaluate(model, data["val"])
        test_loss, test_acc = evaluate(model, data["test"])
        for k, v in zip(keys, (total / n, val_loss, val_acc, test_loss, test_acc)):
            hist[k].append(v)
        hist["lr"].append(opt.param_groups[0]["lr"])
        if watch is not None and epoch in watch_epochs:
            hist["snapshots"][epoch] = probabilities(model, watch)
        if scheduler is not None:
            scheduler.step(val_loss)
        if patience is not None:
            if val_loss < best:
                best, best_state, since = val_loss, copy.deepcopy(model.state_dict()), 0
                hist["best_epoch"] = epoch
            else:
                since += 1
                if since >= patience:
                    hist["stopped_at"] = epoch
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    hist["final_test"] = evaluate(model, data["test"])
    hist["final_val"] = evaluate(model, data["val"])
    return hist


def train_and_watch(data: dict, epochs: int) -> dict:
    print(f"\n== 3. Train for {epochs} epochs; learning curves on the full test set")
    autograd.manual_seed(SEED)
    model = make_mlp()
    init_output_bias_(model[-1], data["train"][1])
    opt = optim.Adam(model.parameters(), lr=1e-3)
    idx = fixed_batch(data["test"])
    watch_epochs = tuple(sorted({0, 1, 2, epochs // 3, epochs}))
    h = fit(model, opt, data, data["train"], epochs, watch=data["test"][0][idx],
            watch_epochs=watch_epochs)  # fmt: skip
    h["watch_idx"] = idx
    h["watch_labels"] = data["test"][1].numpy()[idx]
    h["watch_images"] = data["test"][0].numpy()[idx, 0]
    for e in (1, epochs):
        print(
            f"  epoch {e:2d}: train loss {h['train_loss'][e - 1]:.4f}  test loss "
            f"{h['test_loss'][e - 1]:.4f}  test acc {h['test_acc'][e - 1]:.2%}"
        )
    for e, p in h["snapshots"].items():
        right = int((p.argmax(1) == h["watch_labels"]).sum())
        print(f"  fixed batch at epoch {e:2d}: {right}/16 right")
    return h


# -- step 4: regularise --------------------------------------------------------------------------


def regularise(data: dict, epochs: int, n_small: int = 200, lr: float = 1e-2) -> dict:
    """The same MLP on a small training set with a large learning rate (so that it overfits):
    no regularisation, Dropout, weight decay, early stopping."""
    print(f"\n== 4. Regularise: {n_small} training images, Adam lr={lr}, up to {epochs} epochs")
    small = (data["train"][0][:n_small], data["train"][1][:n_small])
    configs = {
        "none": {},
        "Dropout(0.5)": {"dropout": 0.5},
        "weight decay 1e-3": {"wd": 1e-3},
        "early stopping + ReduceLROnPlateau": {"early": True},
    }
    out = {}
    for name, c in configs.items():
        autograd.manual_seed(SEED)
        model = make_mlp(c.get("dropout", 0.0))
        init_output_bias_(model[-1], small[1])
        opt = optim.Adam(model.parameters(), lr=lr, weight_decay=c.get("wd", 0.0))
        sched, patience = None, None
        if c.get("early"):
            sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=3)
            patience = 8
        h = fit(model, opt, data, small, epochs, scheduler=sched, patience=patience)
        out[name] = h
        stop = f", stopped at epoch {h['stopped_at']}" if "stopped_at" in h else ""
        best = f", best epoch {h['best_epoch']}" if "best_epoch" in h else ""
        print(
            f"  {name:36s} val loss: min {min(h['val_loss']):.4f}, last {h['val_loss'][-1]:.4f};"
            f"  test acc {h['final_test'][1]:.2%}{best}{stop}"
        )
    return out


# -- step 5: tune --------------------------------------------------------------------------------


def random_search(
    data: dict, trials: int, epochs: int, seed: int = SEED, n_train: int | None = None
) -> list:
    """``trials`` draws of (lr, weight decay), both log-uniform; Adam for ``epochs`` epochs;
    the validation accuracy of each."""
    print(f"\n== 5. Random search: {trials} trials of lr x weight decay, {epochs} epochs each")
    rng = np.random.default_rng([seed, 5])
    train = data["train"] if n_train is None else tuple(t[:n_train] for t in data["train"])
    results = []
    for t in range(trials):
        lr = float(10 ** rng.uniform(-4, -1))
        wd = float(10 ** rng.uniform(-6, -1))
        autograd.manual_seed(SEED + t)
        model = make_mlp()
        init_output_bias_(model[-1], train[1])
        opt = optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
        h = fit(model, opt, data, train, epochs, curves=False)
        results.append({"lr": lr, "wd": wd, "val_loss": h["val_loss"][-1],
                        "val_acc": h["val_acc"][-1], "test_acc": h["test_acc"][-1]})  # fmt: skip
    best = max(results, key=lambda r: r["val_acc"])
    print(
        f"  best of {trials}: lr {best['lr']:.2g}, weight decay {best['wd']:.2g}: validation "
        f"accuracy {best['val_acc']:.2%} (test {best['test_acc']:.2%}); worst "
        f"{min(r['val_acc'] for r in results):.2%}"
    )
    return results


# -- figures -------------------------------------------------------------------------------------


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: no figures: matplotlib is not installed (pip install -e '.[examples]')")
        return None
    return plt


def plot_sanity(res: dict, path: str, plt) -> None:
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.plot(res["overfit"].losses, label="MLP (correct)")
    a.plot(res["overfit_bug"].losses, label="softmax before CrossEntropyLoss (bug)")
    a.axhline(1e-3, color="grey", ls=":", lw=1, label="tolerance")
    a.set_yscale("log")
    a.set_xlabel("step")
    a.set_ylabel("loss on the two examples")
    a.set_title("Overfit two examples")
    a.legend(fontsize=8)
    r = res["baseline"]
    ep = np.arange(len(r.real_curve))
    b.plot(ep, r.real_curve, "o-", label="real inputs")
    b.plot(ep, r.baseline_curve, "s--", label="inputs set to zero")
    b.set_xlabel("epoch")
    b.set_ylabel("validation loss")
    b.set_title("Input-independent baseline")
    b.xaxis.get_major_locator().set_params(integer=True)
    b.legend(fontsize=8)
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_learning_curves(h: dict, path: str, plt) -> None:
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    ep = np.arange(1, len(h["train_loss"]) + 1)
    a.plot(ep, h["train_loss"], "--", label="train (running mean over the epoch)")
    a.plot(ep, h["val_loss"], "-", label="validation (288 images)")
    a.plot(ep, h["test_loss"], "-", label="test (all 360 images)")
    a.set_yscale("log")
    a.set_ylabel("cross-entropy (log scale)")
    a.set_title("Loss")
    b.plot(ep, h["val_acc"], label="validation")
    b.plot(ep, h["test_acc"], label=f"test (final {h['test_acc'][-1]:.1%})")
    b.set_ylabel("accuracy")
    b.set_title("Accuracy")
    for ax in (a, b):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_predictions(h: dict, path: str, plt, dpi: int = 100) -> None:
    """One column of digit images, then one heat map per snapshot: rows the 16 digits, columns
    the 10 classes, shade the predicted probability; the true class is outlined in red."""
    snaps = h["snapshots"]
    labels, images = h["watch_labels"], h["watch_images"]
    n = len(labels)
    fig, axes = plt.subplots(
        1, len(snaps) + 1, figsize=(1.2 + 1.9 * len(snaps), 5.2),
        gridspec_kw={"width_ratios": [0.3] + [1.0] * len(snaps)},
    )  # fmt: skip
    strip = np.concatenate([np.pad(im, 1, constant_values=1.0) for im in images], axis=0)
    axes[0].imshow(
        1.0 - strip, cmap="gray", vmin=0, vmax=1, extent=(-0.5, 0.5, n - 0.5, -0.5), aspect="auto"
    )
    axes[0].set_xticks([])
    axes[0].set_yticks(range(n), [str(v) for v in labels], fontsize=7)
    axes[0].set_title("digit", fontsize=9)
    for ax, (epoch, p) in zip(axes[1:], snaps.items()):
        im = ax.imshow(p, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.scatter(labels, np.arange(n), s=45, facecolors="none", edgecolors="red", lw=1)
        right = int((p.argmax(1) == labels).sum())
        ax.set_title(f"epoch {epoch}: {right}/{n} right", fontsize=9)
        ax.set_xticks(range(10), [str(c) for c in range(10)], fontsize=7)
        ax.set_yticks([])
        ax.set_xlabel("predicted class", fontsize=8)
    fig.colorbar(im, ax=axes[1:], fraction=0.02, pad=0.01, label="probability")
    fig.suptitle("Predictions on a fixed batch of 16 test digits during training", fontsize=10)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def plot_regularisation(runs: dict, path: str, plt, len_small: int = 200) -> None:
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, h in runs.items():
        ep = np.arange(1, len(h["val_loss"]) + 1)
        (line,) = a.plot(ep, h["train_loss"], lw=1, label=name)
        col = line.get_color()
        b.plot(ep, h["val_loss"], color=col, label=f"{name} (min {min(h['val_loss']):.3f})")
        c.plot(ep, h["val_acc"], color=col, label=f"{name} (test {h['final_test'][1]:.1%})")
        if "best_epoch" in h:
            e = h["best_epoch"]
            b.plot(e, h["val_loss"][e - 1], "*", ms=13, color=col)
            c.plot(e, h["val_acc"][e - 1], "*", ms=13, color=col)
    a.set_yscale("log")
    a.set_title("Training loss (log scale)")
    b.set_ylim(0.2, 0.8)
    b.set_title("Validation loss (star: early stopping's pick)")
    c.set_ylim(0.8, 0.97)
    c.set_title("Validation accuracy (legend: test accuracy)")
    for ax in (a, b, c):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Regularisation on {len_small} training images", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_search(results: list, path: str, plt) -> None:
    fig, ax = plt.subplots(figsize=(6, 4.5))
    lr = [r["lr"] for r in results]
    wd = [r["wd"] for r in results]
    acc = [r["val_acc"] for r in results]
    sc = ax.scatter(lr, wd, c=acc, cmap="viridis", s=70, edgecolors="k", lw=0.5)
    best = max(results, key=lambda r: r["val_acc"])
    ax.scatter([best["lr"]], [best["wd"]], marker="*", s=300, facecolors="none",
               edgecolors="red", lw=1.5, label=f"best: {best['val_acc']:.1%}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log-uniform)")
    ax.set_ylabel("weight decay (Adam, log-uniform)")
    ax.set_title(f"Random search: {len(results)} trials")
    fig.colorbar(sc, ax=ax, label="validation accuracy")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- main ----------------------------------------------------------------------------------------


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="The training recipe walked on the digits.")
    p.add_argument("--out", default="out", help="folder for the figures")
    p.add_argument("--quick", action="store_true", help="a few epochs and trials (for the tests)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--docs-figure", default=None, help="also save the predictions figure here")
    args = p.parse_args(argv)
    epochs, reg_epochs, trials, search_epochs = (3, 4, 3, 1) if args.quick else (20, 40, 20, 4)
    os.makedirs(args.out, exist_ok=True)

    t0 = time.perf_counter()
    print(f"== 1. Seed fixed ({SEED}); validation split apart from the test set")
    autograd.manual_seed(SEED)
    data = load()
    print(
        f"  digits: {len(data['train'][1])} train, {len(data['val'][1])} validation, "
        f"{len(data['test'][1])} test images"
    )
    res = {"sanity": sanity_checks(data, args.quick)}
    res["watch"] = train_and_watch(data, epochs)
    res["regularisation"] = regularise(data, reg_epochs)
    res["search"] = random_search(data, trials, search_epochs)
    res["seconds"] = time.perf_counter() - t0
    print(f"\ntotal time {res['seconds']:.1f} s")

    plt = None if args.no_plot else _pyplot()
    if plt is not None:
        figs = {
            "recipe_sanity.png": lambda f: plot_sanity(res["sanity"], f, plt),
            "recipe_learning_curves.png": lambda f: plot_learning_curves(res["watch"], f, plt),
            "recipe_predictions.png": lambda f: plot_predictions(res["watch"], f, plt),
            "recipe_regularisation.png": lambda f: plot_regularisation(
                res["regularisation"], f, plt
            ),
            "recipe_random_search.png": lambda f: plot_search(res["search"], f, plt),
        }
        for name, draw in figs.items():
            draw(os.path.join(args.out, name))
        print(f"figures saved to {args.out}/: " + ", ".join(figs))
        if args.docs_figure:
            plot_predictions(res["watch"], args.docs_figure, plt, dpi=70)
    res["figures"] = plt is not None
    return res


if __name__ == "__main__":
    main()
