"""autograd.viz.make_dot: the DOT text's structure always; a rendered file when Graphviz is
installed."""

from __future__ import annotations

import re
import shutil
import sys

import pytest

import autograd
from autograd.viz import Dot, make_dot


def _parse(source: str):
    """Nodes {id: attrs} and edges [(a, b, attrs)] of the DOT text make_dot writes."""
    nodes, edges = {}, []
    for line in source.splitlines()[3:-1]:
        line = line.strip()
        m = re.fullmatch(r"(\w+) -> (\w+)(?: \[(.*)\])?", line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = re.fullmatch(r"(\w+) \[(.*)\]", line)
        assert m, line
        nodes[m.group(1)] = m.group(2)
    return nodes, edges


def _label(attrs: str) -> str:
    m = re.search(r'label=("(?:[^"\\]|\\.)*"|\w+)', attrs)
    return m.group(1).strip('"').replace("\\n", "\n")


def _mlp():
    import nn

    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def test_dot_structure_of_an_mlp():
    m = _mlp()
    x = autograd.randn(5, 4)
    y = m(x).sum()
    dot = make_dot(y, params=dict(m.named_parameters()))
    assert isinstance(dot, Dot) and str(dot) == dot.source
    src = dot.source
    assert src.startswith("digraph {\n") and src.endswith("}\n")
    nodes, edges = _parse(src)
    labels = {k: _label(v) for k, v in nodes.items()}
    by_label = {v: k for k, v in labels.items()}
    # the output, the backward nodes, one AccumulateGrad per parameter, the named leaves
    assert sorted(v for v in labels.values() if "Backward" in v) == [
        "AddmmBackward0",
        "AddmmBackward0",
        "ReluBackward0",
        "SumBackward0",
    ]
    assert list(labels.values()).count("AccumulateGrad") == 4
    for name, p in m.named_parameters():
        label = f"{name}\n {tuple(p.shape)}".replace(",)", ",)")
        assert label in by_label, label
        leaf = by_label[label]
        assert "lightblue" in nodes[leaf]
        # leaf -> AccumulateGrad -> AddmmBackward0
        (acc,) = [b for a, b, _ in edges if a == leaf]
        assert labels[acc] == "AccumulateGrad"
        (consumer,) = [b for a, b, _ in edges if a == acc]
        assert labels[consumer] == "AddmmBackward0"
    out = [k for k, v in nodes.items() if "darkolivegreen1" in v]
    assert len(out) == 1 and labels[out[0]] == " ()"
    # the output is fed by SumBackward0, and every edge joins declared nodes
    assert [labels[a] for a, b, _ in edges if b == out[0]] == ["SumBackward0"]
    assert all(a in nodes and b in nodes for a, b, _ in edges)
    # the chain Linear -> Relu -> Linear -> Sum
    relu = by_label["ReluBackward0"]
    assert [labels[b] for a, b, _ in edges if a == relu] == ["AddmmBackward0"]
    assert "orange" not in src  # no saved tensors unless asked


def test_dot_shows_saved_tensors_and_attributes():
    a = autograd.randn(2, 3, requires_grad=True)
    b = autograd.randn(2, 3)
    y = (a * b).exp().sum(dim=1)
    src = make_dot(y, show_saved=True, show_attrs=True).source
    nodes, edges = _parse(src)
    labels = {k: _label(v) for k, v in nodes.items()}
    saved = {k for k, v in nodes.items() if "orange" in v}
    assert {labels[k] for k in saved} == {"input 1\n (2, 3)", "result\n (2, 3)"}
    for k in saved:
        (e,) = [e for e in edges if e[0] == k]
        assert "dotted" in e[2]
    assert any(v.startswith("SumBackward1\n") and "axis: (1,)" in v for v in labels.values())
    # an unnamed leaf is labelled by its shape
    assert " (2, 3)" in labels.values()


def test_shared_leaf_and_repeated_input():
    x = autograd.randn(3, requires_grad=True)
    y = x * x + x
    nodes, edges = _parse(make_dot(y, params={"x": x}).source)
    labels = {k: _label(v) for k, v in nodes.items()}
    assert list(labels.values()).count("x\n (3,)") == 1
    assert list(labels.values()).count("AccumulateGrad") == 1
    (acc,) = [k for k, v in labels.items() if v == "AccumulateGrad"]
    consumers = sorted(labels[b] for a, b, _ in edges if a == acc)
    assert consumers == ["AddBackward0", "MulBackward0", "MulBackward0"]


def test_deep_graph_and_bad_input():
    x = autograd.randn(2, requires_grad=True)
    y = x
    for _ in range(3000):  # deeper than Python's recursion limit
        y = y * 1.0
    nodes, edges = _parse(make_dot(y).source)
    assert sum("MulBackward0" in v for v in nodes.values()) == 3000
    with pytest.raises(TypeError, match="Tensor"):
        make_dot(x.detach().numpy())
    with pytest.raises(TypeError, match="params"):
        make_dot(y, params={"w": 3})
    # a leaf as the output is drawn as a leaf
    nodes, edges = _parse(make_dot(x, params={"x": x}).source)
    assert len(nodes) == 1 and edges == []


def _has_graphviz() -> bool:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


@pytest.mark.skipif(not _has_graphviz(), reason="needs the graphviz package and the dot program")
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_render(tmp_path, fmt):
    m = _mlp()
    y = m(autograd.randn(1, 4)).sum()
    path = make_dot(y, params=dict(m.named_parameters())).render(tmp_path / "g", format=fmt)
    data = open(path, "rb").read()
    assert path.endswith(f"g.{fmt}")
    if fmt == "svg":
        assert b"<svg" in data and b"AddmmBackward0" in data and b"0.weight" in data
    else:
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_render_without_graphviz_says_how_to_install(monkeypatch, tmp_path):
    y = (autograd.randn(2, requires_grad=True) * 2).sum()
    dot = make_dot(y)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
    with pytest.raises(ImportError, match="pip install") as e:
        dot.render(tmp_path / "g")
    assert "apt-get install graphviz" in str(e.value)
    monkeypatch.delitem(sys.modules, "graphviz")
    pytest.importorskip("graphviz")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="'dot' program"):
        dot.render(tmp_path / "g")
