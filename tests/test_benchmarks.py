"""Tests of ``benchmarks``: statistics, the CLI in smoke mode and its JSON, ``--compare``, and
that every NumPy floor computes what ndgrad computes (so the floor is honest)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

import benchmarks
from benchmarks import _report, _runner, floors, suite_layers, suite_ops, suite_steps
from benchmarks.__main__ import collect_cases, main
from benchmarks._case import Unavailable
from benchmarks._timing import Measurement, measure, quantile, summarize

# -- statistics ------------------------------------------------------------------------------------


def test_quantile_matches_numpy():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 10, 33):
        v = sorted(rng.standard_normal(n).tolist())
        for q in (0.0, 0.25, 0.5, 0.75, 1.0):
            assert math.isclose(quantile(v, q), float(np.quantile(v, q)), abs_tol=1e-12)


def test_summarize_fields():
    m = summarize([4.0, 1.0, 3.0, 2.0, 5.0], number=10, total_s=1.5)
    assert (m.median, m.q1, m.q3, m.min, m.samples, m.number) == (3.0, 2.0, 4.0, 1.0, 5, 10)
    assert m.iqr == 2.0 and math.isclose(m.rel_iqr, 2 / 3)
    d = m.to_dict()
    assert Measurement.from_dict(d) == m
    assert set(d) >= {"median", "q1", "q3", "iqr", "min", "samples", "number", "total_s", "times"}


def test_measure_calls_and_repeats():
    calls = []
    m = measure(
        lambda: calls.append(1), budget_s=0.0, warmup_s=0.0, min_sample_s=0.0005, min_repeats=4
    )
    assert m.samples == 4
    assert m.number >= 1
    assert m.q1 <= m.median <= m.q3
    assert m.min <= m.q1
    # one warm-up call, the calibration runs, then 4 samples of `number` calls
    assert len(calls) >= 1 + 4 * m.number


def test_measure_budget_fills():
    m = measure(
        lambda: sum(range(100)), budget_s=0.02, warmup_s=0.0, min_sample_s=0.001, min_repeats=2
    )
    assert m.total_s >= 0.02
    assert m.samples >= 2


def test_measure_setup_states_are_untimed_inputs():
    made, used = [], []

    def setup():
        made.append(len(made))
        return made[-1]

    m = measure(
        used.append,
        setup=setup,
        budget_s=0.0,
        warmup_s=0.0,
        min_sample_s=0.0,
        min_repeats=3,
        number=2,
    )
    assert m.number == 2 and m.samples == 3
    assert used == made  # every state is used once, in order


def test_measure_rejects_bad_budgets():
    with pytest.raises(ValueError, match="budget_s"):
        measure(lambda: None, budget_s=-1)
    with pytest.raises(ValueError, match="min_repeats"):
        measure(lambda: None, min_repeats=0)


def test_measure_interleaved_keys():
    res = benchmarks.measure_interleaved(
        {"a": lambda: None, "b": lambda: sum(range(50))},
        budget_s=0.0,
        warmup_s=0.0,
        min_sample_s=0.0002,
        min_repeats=3,
    )
    assert set(res) == {"a", "b"}
    assert all(m.samples == 3 for m in res.values())


def test_format_time():
    assert benchmarks.format_time(1.234e-6) == "1.23 us"
    assert benchmarks.format_time(0.0123) == "12.3 ms"
    assert benchmarks.format_time(123e-9) == "123 ns"
    assert benchmarks.format_time(2.0) == "2.00 s"
    assert benchmarks.format_time(float("nan")) == "-"


# -- filter, progress -----------------------------------------------------------------------------


def test_filter_patterns():
    cid = "steps/mlp-adam/784-128-64-10/b64/step"
    assert _runner.matches(cid, None)
    assert _runner.matches(cid, ["mlp"])
    assert _runner.matches(cid, ["MLP-ADAM"])
    assert _runner.matches(cid, ["cnn", "adam"])
    assert _runner.matches(cid, ["steps/*/b64"])
    assert not _runner.matches(cid, ["cnn"])
    assert not _runner.matches("ops/tanh/16/fwd", ["ops/*/256x256/*"])
    assert _runner.matches("ops/tanh/16/fwd", ["ops/*/16/*"])


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_plain_progress_bar(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *a, **k):
        if name == "tqdm":
            raise ImportError("no tqdm here")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    s = _Tty()
    bar = _runner.Progress(3, stream=s)
    for i in range(3):
        bar.update(f"case{i}")
    bar.close()
    assert "3/3" in s.getvalue() and "case2" in s.getvalue()
    quiet = io.StringIO()  # not a terminal: no bar
    bar = _runner.Progress(3, stream=quiet)
    bar.update("x")
    bar.close()
    assert quiet.getvalue() == ""


# -- the CLI --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_json(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "smoke.json"
    code = main(["--smoke", "--suite", "all", "--no-progress", "--no-torch", "--json", str(path)])
    return code, path


def test_cli_smoke_runs_every_case(smoke_json):
    code, path = smoke_json
    doc = json.loads(path.read_text())
    failed = {
        r["id"]: r["notes"]
        for r in doc["results"]
        if any(n.startswith("failed") for n in r["notes"].values())
    }
    assert not failed
    assert code == 0
    ids = [r["id"] for r in doc["results"]]
    assert len(ids) == len(set(ids))
    assert {r["suite"] for r in doc["results"]} == {"ops", "layers", "steps"}
    # every case has a floor, and it ran
    assert all("numpy" in r["timings"] for r in doc["results"])


def test_cli_json_has_documented_fields(smoke_json):
    _, path = smoke_json
    doc = json.loads(path.read_text())
    assert doc["schema"] == "ndgrad-benchmarks/1"
    assert {"created", "argv", "environment", "settings", "results"} <= set(doc)
    env = doc["environment"]
    assert {"python", "numpy", "ndgrad", "torch", "blas", "blas_env", "cpu", "cpus"} <= set(env)
    assert "OPENBLAS_CORETYPE" in env["blas_env"]
    assert {"name", "version", "threads"} <= set(env["blas"])
    assert doc["settings"]["profile"] == "smoke"
    for r in doc["results"]:
        assert {"id", "suite", "case", "mode", "timings", "notes", "ratios", "target"} <= set(r)
        assert r["id"] == f"{r['suite']}/{r['case']}/{r['mode']}"
        assert r["mode"] in ("fwd", "fwd+bwd", "step")
        for m in r["timings"].values():
            assert {"median", "q1", "q3", "iqr", "min", "samples", "number", "times"} <= set(m)
            assert m["q1"] <= m["median"] <= m["q3"]
        if "ndgrad" in r["timings"]:
            assert r["ratios"]["ndgrad/numpy"] > 0
        if r["suite"] == "steps":
            assert r["ratios"]["compiled/numpy"] > 0
        assert "torch" in r["notes"]  # --no-torch: skipped with a note
    steps = [r for r in doc["results"] if r["suite"] == "steps"]
    assert len(steps) == 6 and all(r["target"] for r in steps)


def _plant(doc: dict, factors: dict) -> dict:
    new = json.loads(json.dumps(doc))
    for r in new["results"]:
        f = factors.get(r["id"])
        if f is None:
            continue
        m = r["timings"]["ndgrad"]
        for k in ("median", "q1", "q3", "min"):
            m[k] *= f
        m["times"] = [t * f for t in m["times"]]
    return new


def _tight_doc(doc: dict) -> dict:
    """The smoke run's results with a 3% spread around each median (the smoke run takes one
    sample, so its IQR is zero)."""
    d = json.loads(json.dumps(doc))
    for r in d["results"]:
        for m in r["timings"].values():
            m["q1"], m["q3"] = m["median"] * 0.985, m["median"] * 1.015
    return d


def test_compare_flags_2x_not_105x(smoke_json, tmp_path, capsys):
    _, path = smoke_json
    old = _tight_doc(json.loads(path.read_text()))
    with_nd = [r["id"] for r in old["results"] if "ndgrad" in r["timings"]]
    slow, slight = with_nd[0], with_nd[1]
    new = _plant(old, {slow: 2.0, slight: 1.05})
    po, pn = tmp_path / "old.json", tmp_path / "new.json"
    po.write_text(json.dumps(old))
    pn.write_text(json.dumps(new))
    code = main(["--compare", str(po), str(pn)])
    out = capsys.readouterr().out
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip() and "/" in ln.split()[0]}
    assert "REGRESSION" in lines[slow] and "2.00x" in lines[slow]
    assert "REGRESSION" not in lines[slight] and "1.05x" in lines[slight]
    assert sum("REGRESSION" in ln for ln in lines.values()) == 1
    assert code == 1
    # no regression: exit status 0
    assert main(["--compare", str(po), str(po)]) == 0


def test_classify_rules():
    def m(med, spread=0.03):
        return Measurement(med, med * (1 - spread / 2), med * (1 + spread / 2), med, 9, 1, 1.0)

    assert _report.classify(m(1.0), m(2.0)) == "regression"
    assert _report.classify(m(1.0), m(1.05)) == "same"
    assert _report.classify(m(1.0), m(0.5)) == "improvement"
    # large but inside the noise: not flagged
    assert _report.classify(m(1.0, 0.8), m(1.3, 0.8)) == "same"


def test_compare_rejects_other_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(ValueError, match="schema"):
        main(["--compare", str(p), str(p)])


def test_cli_list_and_filter(capsys):
    assert main(["--smoke", "--list", "--filter", "tanh"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out and all("tanh" in ln for ln in out)
    assert main(["--smoke", "--filter", "no-such-case", "--no-progress"]) == 2


def test_table_and_plot_note_without_matplotlib(monkeypatch, tmp_path):
    import builtins

    cases = collect_cases(["steps"], "smoke", ["chain"])
    results = _runner.run_cases(cases, _runner.SMOKE, progress=False, engines=("ndgrad", "numpy"))
    text = _report.table(results, ("ndgrad", "numpy"))
    assert "chain100" in text and "/floor" in text and "<=2x" in text
    real_import = builtins.__import__

    def no_mpl(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    err = io.StringIO()
    assert _report.plot(results, str(tmp_path / "p.png"), stream=err) is False
    assert "matplotlib is not installed" in err.getvalue()


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib", reason="optional plotting package (ndgrad[examples])")
    cases = collect_cases(["steps"], "smoke", ["chain"])
    results = _runner.run_cases(cases, _runner.SMOKE, progress=False, engines=("ndgrad", "numpy"))
    path = tmp_path / "p.png"
    assert _report.plot(results, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unavailable_engine_is_skipped_with_note():
    def unavailable():
        raise Unavailable("thing not written yet")

    def broken():
        raise RuntimeError("boom")

    case = benchmarks.Case(
        "ops", "x/1", "fwd", {"ndgrad": broken, "numpy": lambda: lambda: 1, "torch": unavailable}
    )
    res = _runner.run_case(case, _runner.SMOKE)
    assert "numpy" in res.timings
    assert res.notes["torch"] == "skipped: thing not written yet"
    assert res.notes["ndgrad"].startswith("failed: RuntimeError: boom")
    assert res.failed == {"ndgrad": res.notes["ndgrad"]}


# -- time_module ----------------------------------------------------------------------------------


def _small_module():
    import autograd
    import nn

    class Affine(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(autograd.randn(8, 4))

        def forward(self, x):
            return (x @ self.w).tanh()

    return Affine()


def test_time_module_fields():
    import autograd

    t = benchmarks.time_module(
        _small_module(),
        autograd.randn(5, 8),
        budget_s=0.0,
        warmup_s=0.0,
        min_sample_s=0.0005,
        min_repeats=3,
    )
    for m in (t.forward, t.backward, t.forward_backward, t.inference):
        assert m.samples == 3 and m.median > 0
    assert "Affine" in t.name
    assert "backward" in str(t)
    assert set(t.to_dict()) == {"forward", "backward", "forward_backward", "inference", "name"}


def test_time_module_multiple_outputs_and_grad_outputs():
    import autograd

    x = autograd.randn(3, 8, requires_grad=True)

    def two(x):
        return (x * 2.0, {"b": x.sum()})

    t = benchmarks.time_module(
        two,
        x,
        grad_outputs=[autograd.ones(3, 8), autograd.tensor(1.0)],
        budget_s=0.0,
        warmup_s=0.0,
        min_sample_s=0.0,
        min_repeats=1,
        inference=False,
    )
    assert t.inference is None and t.backward.samples == 1
    assert x.grad is None  # gradients are cleared after each phase


def test_time_module_nothing_to_backpropagate():
    import autograd

    with pytest.raises(ValueError, match="requires grad"):
        benchmarks.time_module(lambda x: x * 2.0, autograd.randn(3))
    with pytest.raises(ValueError, match="grad_outputs"):
        benchmarks.time_module(
            lambda x: x * 2.0,
            autograd.randn(3, requires_grad=True),
            grad_outputs=[autograd.ones(3), autograd.ones(3)],
        )


# -- the floors compute what ndgrad computes -----------------------------------------------------


def _close(a, b, rtol=1e-4, what=""):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape}"
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    err = float(np.abs(a - b).max()) if b.size else 0.0
    assert err <= rtol * scale, f"{what}: max abs diff {err:.3g} (scale {scale:.3g})"


@pytest.mark.parametrize("spec", suite_ops.OPS, ids=lambda s: s.name)
def test_op_floor_matches_ndgrad(spec):
    import autograd

    label, shape = suite_ops.SMOKE_SIZES[spec.sizes][0]
    xs = suite_ops._arrays(spec, shape)
    g = suite_ops._grad_out(spec, xs)
    out_f, grads_f = spec.floor(g, *xs)
    ts = [autograd.tensor(a, requires_grad=True) for a in xs]
    out = spec.ndgrad(autograd, *ts)
    out.backward(autograd.tensor(g))
    _close(out_f, out.detach().numpy(), what=f"{spec.name} forward")
    for i, (gf, t) in enumerate(zip(grads_f, ts)):
        _close(gf, t.grad.numpy(), what=f"{spec.name} grad {i}")


@pytest.mark.parametrize("key", list(suite_steps.SPECS))
def test_step_floor_matches_ndgrad(key):
    floor = suite_steps.build(key, "numpy", "smoke")
    nd = suite_steps.build(key, "ndgrad", "smoke")  # Unavailable here is a failure
    for _ in range(2):  # two steps: the optimizer state (momentum, Adam moments) is used too
        floor.step()
        nd.step()
    lf, gf, pf = floor.result()
    ln, gn, pn = nd.result()
    if lf is not None:
        assert math.isclose(lf, ln, rel_tol=1e-5, abs_tol=1e-6)
    assert set(gf) == set(gn)
    for k in gf:
        _close(gf[k], gn[k], what=f"{key} grad {k}")
        assert gn[k].shape == gf[k].shape
    for k in pf:
        _close(pf[k], pn[k], what=f"{key} param {k}")


@pytest.mark.parametrize("key", list(suite_steps.SPECS))
def test_step_compiled_matches_eager_bitwise(key):
    """The ``compiled`` column times the same step: bit-identical to eager over 5 steps (record,
    second recording, replays)."""
    nd = suite_steps.build(key, "ndgrad", "smoke")
    co = suite_steps.build(key, "compiled", "smoke")
    for _ in range(5):
        nd.step()
        co.step()
    ln, gn, pn = nd.result()
    lc, gc, pc = co.result()
    assert ln == lc
    for k in gn:
        assert np.array_equal(gn[k], gc[k]), k
    for k in pn:
        assert np.array_equal(pn[k], pc[k]), k
    info = co.forward.cache_info()
    assert info["hits"] == 3 and info["eager_fallback"] is None


@pytest.mark.parametrize("spec", suite_layers.LAYERS, ids=lambda s: s.key)
def test_layer_floor_matches_ndgrad(spec):
    out_f, grads_f, g = suite_layers.floor_grads(spec, "smoke")
    call, leaves, gt = suite_layers.build_model(spec, "ndgrad", "smoke")  # Unavailable: fails
    out = call()
    out.backward() if gt is None else out.backward(gt)
    _close(out_f, out.detach().numpy(), what=f"{spec.key} forward")
    assert len(grads_f) == len(leaves)
    for i, (a, t) in enumerate(zip(grads_f, leaves)):
        _close(a, t.grad.numpy(), what=f"{spec.key} grad {i}")


def test_floor_optimizers_follow_pytorch_formulas():
    # One Adam step from zero state moves each weight by lr * g / (|g| + eps') ~ lr * sign(g);
    # SGD with momentum: the first step uses the gradient, the second momentum * buf + g.
    p = {"w": np.array([1.0, -2.0, 3.0], np.float64)}
    g = {"w": np.array([0.5, -0.25, 0.0], np.float64)}
    adam = floors.Adam(p, lr=0.1)
    adam.step(g)
    expect = np.array([1.0, -2.0, 3.0]) - 0.1 * np.array([0.5, -0.25, 0.0]) / (
        np.abs([0.5, -0.25, 0.0]) + 1e-8
    )
    np.testing.assert_allclose(p["w"], expect, rtol=1e-6)
    q = {"w": np.array([1.0, 1.0])}
    sgd = floors.SGD(q, lr=0.1, momentum=0.9)
    sgd.step({"w": np.array([1.0, 2.0])})
    sgd.step({"w": np.array([1.0, 2.0])})
    np.testing.assert_allclose(q["w"], [1.0 - 0.1 - 0.19, 1.0 - 0.2 - 0.38])


def test_floor_max_pool_sends_ties_to_the_first_max():
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.5, 2.0, 2.0]]]], np.float32)  # two windows
    out, cache = floors.max_pool2x2(x)
    np.testing.assert_array_equal(out, [[[[1.0, 2.0]]]])
    g = np.array([[[[10.0, 20.0]]]], np.float32)
    gx = floors.max_pool2x2_backward(g, cache)
    np.testing.assert_array_equal(gx, [[[[10.0, 0.0, 0.0, 20.0], [0.0, 0.0, 0.0, 0.0]]]])
