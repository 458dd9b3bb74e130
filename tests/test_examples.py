"""The examples run in their quick mode: loss falls, accuracy beats chance by a wide margin,
outputs are written, the same seed gives the same numbers."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def test_epochs_and_batches(tmp_path, capsys):
    mod = _load("epochs_and_batches")
    res = mod.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    n, bs = 200, 32
    wo, wr = res["without replacement"], res["with replacement"]
    assert wo["batches"] == wo["len(loader)"] == math.ceil(n / bs)
    assert wr["batches"] == wr["len(loader)"] == math.ceil(n / bs)
    assert wo["draws"] == wr["draws"] == n
    assert wo["distinct"] == n and wo["max count"] == 1 and wo["never seen"] == 0
    np.testing.assert_array_equal(wo["counts"], np.ones(n))
    # with replacement: about n (1 - 1/e) distinct samples; some seen several times
    assert 0.5 * n < wr["distinct"] < 0.75 * n
    assert wr["max count"] >= 2
    assert wr["distinct"] + wr["never seen"] == n
    assert "distinct" in out and "max count" in out
    png = tmp_path / "epochs_and_batches.png"
    assert png.exists() == _has_matplotlib()
    if not _has_matplotlib():
        assert "matplotlib is not installed" in out
    # seeded
    again = mod.run(n, bs, seed=0)
    np.testing.assert_array_equal(again["with replacement"]["counts"], wr["counts"])


def test_train_digits_quick(tmp_path, capsys):
    mod = _load("train_digits")
    res = mod.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    for name in ("mlp", "cnn"):
        h = res[name]["history"]
        assert len(h["train_loss"]) == 3
        assert h["train_loss"][-1] < h["train_loss"][0], (name, h["train_loss"])
        assert h["test_loss"][-1] < h["test_loss"][0], (name, h["test_loss"])
        assert h["test_acc"][-1] > 0.6, (name, h["test_acc"])  # chance is 0.1
        assert res[name]["reload"]["same_predictions"]
        assert Path(res[name]["reload"]["path"]).exists()
    assert "Test accuracy" in out
    assert (tmp_path / "learning_curves.png").exists() == _has_matplotlib()


def test_train_digits_is_seeded(tmp_path, capsys):
    mod = _load("train_digits")
    args = ["--quick", "--model", "mlp", "--out", str(tmp_path), "--no-progress", "--no-plot"]
    a = mod.main(args)["mlp"]["history"]
    b = mod.main(args)["mlp"]["history"]
    capsys.readouterr()
    for k in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert a[k] == b[k], k


def test_fit_function_quick(tmp_path, capsys):
    mod = _load("fit_function")
    res = mod.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert len(res) == 2 * 16
    for key, r in res.items():
        assert len(r["losses"]) == 11  # before training, then 10 epochs
        assert min(r["losses"][1:]) < r["losses"][0], key
        assert np.all(np.isfinite(r["pred"])), key
    for target in ("sin", "plateaus"):
        runs = [r for k, r in res.items() if k[0] == target]
        var = float(np.var(mod.TARGETS[target](np.linspace(-3, 3, 1001))))
        # the best configuration already explains most of the variance after 10 epochs
        assert min(r["train_mse"] for r in runs) < 0.2 * var, target
    assert "MSE outside" in out
    if _has_matplotlib():
        assert (tmp_path / "fit_function.png").exists()
        assert (tmp_path / "fit_function_curves.png").exists()


def test_training_recipe_quick(tmp_path, capsys):
    mod = _load("training_recipe")
    res = mod.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    s = res["sanity"]
    for key in ("init", "independence", "update", "baseline", "overfit"):
        assert s[key], (key, str(s[key]))
    assert abs(s["init"].loss - math.log(10)) < 0.1
    assert s["baseline"].real_loss < 0.9 * s["baseline"].baseline_loss
    assert s["overfit"].losses[-1] <= 1e-3
    assert not s["overfit_bug"] and min(s["overfit_bug"].losses) > 1.0  # the planted bug
    w = res["watch"]
    assert w["test_loss"][-1] < w["test_loss"][0] and w["test_acc"][-1] > 0.6
    assert sorted(w["snapshots"]) == [0, 1, 2, 3]
    for p in w["snapshots"].values():
        assert p.shape == (16, 10)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert sorted(set(w["watch_labels"])) == list(range(10))
    assert len(res["regularisation"]) == 4
    trials = res["search"]
    assert len(trials) == 3
    for t in trials:
        assert 1e-4 <= t["lr"] <= 1e-1 and 1e-6 <= t["wd"] <= 1e-1 and 0 <= t["val_acc"] <= 1
    assert "FAILED" in out and "random search" in out.lower()
    names = ("sanity", "learning_curves", "predictions", "regularisation", "random_search")
    for name in names:
        assert (tmp_path / f"recipe_{name}.png").exists() == _has_matplotlib(), name
    # seeded
    again = mod.random_search(mod.load(), trials=3, epochs=1)
    capsys.readouterr()
    assert [t["val_acc"] for t in again] == [t["val_acc"] for t in trials]


def test_mnist_mlp_quick(tmp_path, capsys):
    import json

    mod = _load("mnist_mlp")
    res = mod.main(["--quick", "--profile-steps", "10", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    h = res["history"]
    assert len(h["train_loss"]) == 2
    assert h["train_loss"][1] < h["train_loss"][0]
    assert h["test_acc"][-1] > 0.85, h["test_acc"]  # chance is 0.1; 2 epochs on 4,000 images
    assert "Test accuracy" in out
    # the profiler's table: forward ops, backward nodes, the step's ranges and the modules
    assert "Self CPU time total" in out
    names = {a.key: a.count for a in res["profile"].key_averages()}
    assert names["AddmmBackward0"] == names["linear"] == 30  # 3 layers x 10 steps
    for rng in ("data", "forward", "backward", "optimizer.step", "nn.Module: Linear_0"):
        assert names[rng] == 10, rng
    trace = json.loads(open(res["trace"]).read())
    assert any(e.get("name") == "AddmmBackward0" for e in trace["traceEvents"])
    # the summary
    s = res["summary"]
    assert s.total_params == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    assert "├─Linear: 1-2" in out and "% of step" in out
    assert (tmp_path / "mnist_mlp.png").exists() == _has_matplotlib()


def test_mnist_mlp_is_seeded(tmp_path, capsys):
    mod = _load("mnist_mlp")
    args = ["--epochs", "1", "--out", str(tmp_path), "--no-progress", "--no-plot"]
    a = mod.main(args)["history"]
    b = mod.main(args)["history"]
    capsys.readouterr()
    assert a == b
