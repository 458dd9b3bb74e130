"""autograd.profiler: events, nesting, times, shapes, memory, tables and the Chrome trace."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import autograd
from autograd import profiler
from autograd.grad_mode import _state


def _names(prof):
    return [e.name for e in prof.events()]


def test_reachable_as_attribute_and_module():
    import importlib

    assert importlib.import_module("autograd.profiler") is autograd.profiler
    assert autograd.profiler.profile is profiler.profile


def test_forward_and_backward_events_named_as_pytorch():
    x = autograd.randn(3, 4, requires_grad=True)
    w = autograd.randn(3, 4, requires_grad=True)
    with profiler.profile() as prof:
        y = (x * w).exp().sum()
        y.backward()
    names = _names(prof)
    assert names == ["mul", "exp", "sum", "SumBackward0", "ExpBackward0", "MulBackward0"]
    assert _state.profiler is None
    # the sequence number links each op to its backward event
    ev = prof.events()
    assert [e.sequence_nr for e in ev[:3]] == [e.sequence_nr for e in ev[3:]][::-1]
    assert ev[0].sequence_nr == y.grad_fn.seq - 2 >= 0
    with profiler.profile() as prof:
        with autograd.no_grad():
            x * w
    assert prof.events()[0].sequence_nr == -1
    np.testing.assert_allclose(x.grad.numpy(), (w * (x * w).exp()).detach().numpy(), rtol=1e-5)


def test_ops_without_grad_are_recorded_and_arrays_are_not():
    x = autograd.randn(5)
    with profiler.profile() as prof:
        with autograd.no_grad():
            (x + 1).tanh()
        autograd.ops.elementwise.exp(np.ones(3))  # arrays only: NumPy's business, no event
    assert _names(prof) == ["add", "tanh"]


def test_nothing_recorded_outside_and_record_function_is_a_no_op():
    x = autograd.randn(3, requires_grad=True)
    with profiler.record_function("outside"):
        (x * 2).sum().backward()
    with profiler.profile() as prof:
        pass
    (x * 3).sum()
    assert prof.events() == []
    assert _state.profiler is None


def test_record_function_nests_and_times_include_children():
    x = autograd.randn(8, 8, requires_grad=True)
    with profiler.profile() as prof:
        with profiler.record_function("outer"):
            with profiler.record_function("inner"):
                y = x @ x
                time.sleep(0.01)
            loss = y.sum()
            loss.backward()
    ev = {e.name: e for e in prof.events()}
    outer, inner = ev["outer"], ev["inner"]
    assert outer.cpu_parent is None and inner.cpu_parent is outer
    assert ev["matmul"].cpu_parent is inner and ev["MmBackward0"].cpu_parent is outer
    assert [c.name for c in outer.cpu_children] == [
        "inner",
        "sum",
        "SumBackward0",
        "MmBackward0",
    ]
    assert inner.cpu_time_total >= 10_000  # the sleep, in microseconds
    assert inner.self_cpu_time_total >= 10_000 - 1e-6
    for e in prof.events():
        r = e.time_range
        assert r.end >= r.start
        assert e.self_cpu_time_total == pytest.approx(
            e.cpu_time_total - sum(c.cpu_time_total for c in e.cpu_children)
        )
        assert e.self_cpu_time_total >= -1e-6
        for c in e.cpu_children:
            assert r.start <= c.time_range.start <= c.time_range.end <= r.end
    total = prof.events().self_cpu_time_total
    assert total == pytest.approx(outer.cpu_time_total)  # everything happened inside "outer"
    assert prof.self_cpu_time_total == pytest.approx(total)


def test_record_function_as_decorator_and_exceptions_close_ranges():
    @profiler.record_function("my_loss")
    def loss_fn(a):
        return (a * a).mean()

    x = autograd.randn(4, requires_grad=True)
    with profiler.profile() as prof:
        loss_fn(x)
        loss_fn(x)
        with pytest.raises(RuntimeError):
            with profiler.record_function("fails"):
                x + autograd.randn(5)  # shapes do not broadcast: the op raises
    ka = {a.key: a for a in prof.key_averages()}
    assert ka["my_loss"].count == 2 and ka["mul"].count == 2 and ka["mean"].count == 2
    assert ka["my_loss"].is_user_annotation and not ka["mul"].is_user_annotation
    fails = [e for e in prof.events() if e.name == "fails"][0]
    assert [c.name for c in fails.cpu_children][-1] == "add"
    assert _state.profiler is None
    # the profiler survived the error in the op: the hook restored its flag
    with profiler.profile() as prof2:
        x * 2
    assert _names(prof2) == ["mul"]


def test_profiles_do_not_nest_and_results_wait_for_the_end():
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError, match="already enabled"):
            with profiler.profile():
                pass
        with pytest.raises(RuntimeError, match="didn't finish"):
            prof.events()
    assert _state.profiler is None


def test_disabled_profile_records_nothing():
    x = autograd.randn(3)
    with profiler.profile(enabled=False) as prof:
        x * 2
    assert prof.events() == []


def test_modules_record_a_range_each():
    import nn

    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = autograd.randn(5, 4)
    with profiler.profile() as prof:
        m(x).sum().backward()
        m(x)
    ev = prof.events()
    seq = [e for e in ev if e.name == "nn.Module: Sequential_0"]
    assert len(seq) == 2
    assert [c.name for c in seq[0].cpu_children] == [
        "nn.Module: Linear_0",
        "nn.Module: ReLU_0",
        "nn.Module: Linear_1",
    ]
    lin0 = seq[0].cpu_children[0]
    assert [c.name for c in lin0.cpu_children] == ["linear"]
    kinds = {a.key: a.count for a in prof.key_averages()}
    assert kinds["nn.Module: Linear_0"] == 2 and kinds["nn.Module: Linear_1"] == 2
    assert kinds["AddmmBackward0"] == 2  # one backward


def test_module_hooks_still_run_under_the_profiler():
    import nn

    m = nn.Linear(2, 2)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append("pre"))
    m.register_forward_hook(lambda mod, args, out: out * 0)
    with profiler.profile():
        out = m(autograd.ones(1, 2))
    assert seen == ["pre"] and float(out.abs().sum()) == 0.0


def test_record_shapes_and_group_by_input_shape():
    a = autograd.randn(2, 3, requires_grad=True)
    b = autograd.randn(3, 4)
    c = autograd.randn(5, 3)
    with profiler.profile(record_shapes=True) as prof:
        (a @ b).sum().backward()
        c @ b
        a * 2.0
    ev = prof.events()
    mm = [e for e in ev if e.name == "matmul"]
    assert mm[0].input_shapes == [[2, 3], [3, 4]] and mm[1].input_shapes == [[5, 3], [3, 4]]
    assert [e for e in ev if e.name == "mul"][0].input_shapes == [[2, 3], []]
    assert [e for e in ev if e.name == "MmBackward0"][0].input_shapes == [[2, 4]]
    by_name = prof.key_averages()
    assert [a.count for a in by_name if a.key == "matmul"] == [2]
    by_shape = prof.key_averages(group_by_input_shape=True)
    assert sorted(a.input_shapes for a in by_shape if a.key == "matmul") == [
        [[2, 3], [3, 4]],
        [[5, 3], [3, 4]],
    ]
    table = by_shape.table(row_limit=-1)
    assert "Input Shapes" in table and "[[5, 3], [3, 4]]" in table
    with profiler.profile() as p2:
        a * 2
    with pytest.raises(RuntimeError, match="record_shapes"):
        p2.key_averages(group_by_input_shape=True)


def test_profile_memory_counts_allocated_outputs():
    x = autograd.randn(10, 10, dtype=autograd.float64, requires_grad=True)
    with profiler.profile(profile_memory=True) as prof:
        with profiler.record_function("step"):
            y = x * 3.0  # 800 bytes
            v = y.reshape(100)  # a view: nothing allocated
            s = v.sum()  # 8 bytes
        s.backward()
    ev = {e.name: e for e in prof.events()}
    assert ev["mul"].self_cpu_memory_usage == 800
    assert ev["reshape"].self_cpu_memory_usage == 0
    assert ev["sum"].self_cpu_memory_usage == 8
    assert ev["step"].self_cpu_memory_usage == 0 and ev["step"].cpu_memory_usage == 808
    # MulBackward0 allocates the gradient (x's: 10x10 float64), ViewBackward0 returns a view
    assert ev["MulBackward0"].self_cpu_memory_usage == 800
    assert ev["ViewBackward0"].self_cpu_memory_usage == 0
    table = prof.key_averages().table()
    assert "CPU Mem" in table and "Self CPU Mem" in table and "800 B" in table


def test_create_graph_backward_records_the_vjps_ops_inside_nodes():
    x = autograd.randn(4, requires_grad=True)
    with profiler.profile() as prof:
        y = (x.sin()).sum()
        (g,) = autograd.grad(y, x, create_graph=True)
    node = [e for e in prof.events() if e.name == "SinBackward0"][0]
    assert "cos" in [c.name for c in node.cpu_children]
    np.testing.assert_allclose(g.detach().numpy(), np.cos(x.detach().numpy()), rtol=1e-6)


def test_custom_function_backward_is_an_event():
    class Square(autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = autograd.randn(3, requires_grad=True)
    with profiler.profile() as prof:
        Square.apply(x).sum().backward()
    assert "SquareBackward" in _names(prof)


def test_table_columns_sorting_and_limits():
    x = autograd.randn(64, 64, requires_grad=True)
    with profiler.profile() as prof:
        for _ in range(3):
            (x @ x).tanh().sum().backward()
    ka = prof.key_averages()
    table = ka.table(sort_by="self_cpu_time_total", row_limit=3)
    lines = table.splitlines()
    header = lines[1]
    for col in (
        "Name",
        "Self CPU %",
        "Self CPU",
        "CPU total %",
        "CPU total",
        "CPU time avg",
        "# of Calls",
    ):
        assert col in header
    assert "CPU Mem" not in header
    rows = lines[3:-2]
    assert len(rows) == 3
    assert lines[-1].startswith("Self CPU time total: ")
    order = sorted(ka, key=lambda a: a.self_cpu_time_total, reverse=True)[:3]
    assert [r.split()[0] for r in rows] == [a.key for a in order]
    # percentages of the self total add up to 100 over all rows
    full = ka.table(row_limit=-1).splitlines()[3:-2]
    assert sum(float(r.split()[1].rstrip("%")) for r in full) == pytest.approx(100, abs=0.1)
    by_count = ka.table(sort_by="count").splitlines()[3]
    assert by_count.split()[-1] == "3"
    with pytest.raises(ValueError, match="sort_by"):
        ka.table(sort_by="cuda_time_total_typo")
    assert prof.table(row_limit=1).count("\n") == 6
    avg = [a for a in ka if a.key == "matmul"][0]
    assert avg.count == 3 and avg.cpu_time == pytest.approx(avg.cpu_time_total / 3)


def test_format_helpers_match_pytorch():
    assert profiler._format_time(12.3456) == "12.346us"
    assert profiler._format_time(1234.0) == "1.234ms"
    assert profiler._format_time(2.5e6) == "2.500s"
    assert profiler._format_memory(100) == "100 B"
    assert profiler._format_memory(2048) == "2.00 KB"
    assert profiler._format_memory(3 * 1024**2) == "3.00 MB"


def test_new_api_activities():
    from autograd.profiler import ProfilerActivity

    x = autograd.randn(3)
    with profiler.profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        x * 2
        prof.step()
    assert _names(prof) == ["mul"]
    with pytest.warns(UserWarning, match="CPU only"):
        with profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]):
            pass
    with pytest.raises(TypeError, match="ProfilerActivity"):
        profiler.profile(activities=["cpu"])


def test_chrome_trace_schema(tmp_path):
    import nn

    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    with profiler.profile(record_shapes=True, profile_memory=True) as prof:
        with profiler.record_function("step"):
            m(autograd.randn(4, 3)).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    assert isinstance(doc, dict) and isinstance(doc["traceEvents"], list)
    assert doc["displayTimeUnit"] in ("ms", "ns")
    xs = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    meta = [e for e in doc["traceEvents"] if e["ph"] == "M"]
    assert {e["name"] for e in meta} >= {"process_name", "thread_name"}
    assert len(xs) == len(prof.events())
    for e, ev in zip(xs, prof.events()):
        assert set(e) >= {"ph", "cat", "name", "pid", "tid", "ts", "dur", "args"}
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
        assert e["dur"] >= 0 and e["name"] == ev.name
        assert e["ts"] == pytest.approx(ev.time_range.start, abs=1e-3)
    cats = {e["name"]: e["cat"] for e in xs}
    assert cats["step"] == "user_annotation" and cats["linear"] == "cpu_op"
    assert cats["AddmmBackward0"] == "cpu_op"
    assert cats["nn.Module: Linear_0"] == "python_function"
    lin = [e for e in xs if e["name"] == "linear"][0]
    assert lin["args"]["Input Dims"] == [[4, 3], [2, 3], [2]]
    # complete events nest: every event lies inside "step"
    step = [e for e in xs if e["name"] == "step"][0]
    for e in xs:
        assert (
            step["ts"] - 1e-3 <= e["ts"] and e["ts"] + e["dur"] <= step["ts"] + step["dur"] + 1e-3
        )


def test_one_hooks_flag_for_anomaly_mode_and_the_profiler():
    import warnings

    x = autograd.tensor([-1.0, 4.0], requires_grad=True)
    assert _state.hooks is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            assert _state.hooks is True
            with profiler.profile() as prof:
                y = x.sqrt()  # a method call
                z = x * 2  # an operator
            assert _state.hooks is True  # anomaly mode is still on
            with pytest.raises(RuntimeError, match="SqrtBackward0") as e:
                y.sum().backward()
    assert _state.hooks is False
    assert _names(prof) == ["sqrt", "mul"]
    # the stored stack ends at the user's line, not inside autograd
    for t, src in ((y, "y = x.sqrt()"), (z, "z = x * 2")):
        last = t.grad_fn.trace.strip().splitlines()[-1]
        assert src in last and "test_profiler.py" in t.grad_fn.trace
    assert "y = x.sqrt()" in str(e.value)
    with profiler.profile():
        assert _state.hooks is True
        w = x * 3
    assert _state.hooks is False and not getattr(w.grad_fn, "trace", None)


def test_dataloader_workers_are_not_profiled():
    import multiprocessing

    from data import DataLoader, Dataset

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")

    class Flags(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return autograd.tensor([float(_state.hooks), float(_state.profiler is not None)])

    with profiler.profile() as prof:
        flags = [
            b
            for b in DataLoader(
                Flags(), batch_size=2, num_workers=2, multiprocessing_context="fork"
            )
        ]
    assert all(float(b.sum()) == 0.0 for b in flags)  # the workers saw no profile
    assert "tensor" not in _names(prof)
    flags_main = list(DataLoader(Flags(), batch_size=2))
    assert all(float(b.sum()) == 0.0 for b in flags_main)  # outside a profile
