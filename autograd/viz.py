"""``autograd.viz.make_dot``: the backward graph as Graphviz DOT (torchviz's habits).

>>> dot = autograd.viz.make_dot(loss, params=dict(model.named_parameters()))
>>> print(dot.source)                        # DOT text: needs nothing but ndgrad
>>> dot.render("graph", format="svg")        # needs the graphviz package and its dot program

The drawing reads as torchviz's: the output tensor in green at the bottom, one grey box per
backward node named as its ``grad_fn`` (``MulBackward0``, ...), ``AccumulateGrad`` above each
leaf that requires grad, the leaves in blue labelled with their parameter name (from
``params``) and shape, and, with ``show_saved=True``, the values a node saved for its backward
in orange, joined to it by dotted edges. Edges run in the forward direction (input to
consumer).
"""

from __future__ import annotations

import os
import shutil

from .graph import Node
from .tensor import Tensor

__all__ = ["Dot", "make_dot"]

_NODE_ATTR = (
    "node [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]"
)


def _shape(x) -> str:
    d = getattr(x, "_data", x)
    s = getattr(d, "shape", None)
    if s is None:
        return ""
    return "(" + ", ".join(str(n) for n in s) + ("," if len(s) == 1 else "") + ")"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Dot:
    """DOT source of a graph, and its rendering (what :func:`make_dot` returns).

    Attributes
    ----------
    source : str
        The DOT text.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<autograd.viz.Dot: {self.source.count(' -> ')} edges>"

    def render(
        self, filename: str | os.PathLike = "graph", format: str = "svg", cleanup: bool = False
    ) -> str:
        """Write the DOT text to ``filename`` and the drawing to ``filename.<format>``.

        Parameters
        ----------
        filename : str or path
            The DOT file; the picture gets the format as an extra suffix (as
            ``graphviz.Digraph.render`` does).
        format : str
            Any format ``dot`` writes: ``"svg"``, ``"png"``, ``"pdf"``, ...
        cleanup : bool
            Delete the DOT file after rendering.

        Returns
        -------
        str
            The path of the picture.

        Raises
        ------
        ImportError
            When the ``graphviz`` Python package is not installed.
        RuntimeError
            When the ``dot`` program (Graphviz itself) is not on ``PATH``.
        """
        try:
            import graphviz
        except ImportError:
            raise ImportError(
                "Dot.render needs the graphviz Python package and the Graphviz 'dot' program: "
                "pip install 'ndgrad[viz]' (or pip install graphviz), and install Graphviz "
                "(apt-get install graphviz, brew install graphviz, conda install graphviz or "
                "https://graphviz.org/download/). The DOT text itself is in .source."
            ) from None
        if shutil.which("dot") is None:
            raise RuntimeError(
                "Dot.render needs the Graphviz 'dot' program on PATH: install Graphviz "
                "(apt-get install graphviz, brew install graphviz, conda install graphviz or "
                "https://graphviz.org/download/). The DOT text itself is in .source."
            )
        src = graphviz.Source(self.source)
        return src.render(os.fspath(filename), format=format, cleanup=cleanup)

    def _repr_mimebundle_(self, include=None, exclude=None):  # pragma: no cover - notebooks
        try:
            import graphviz

            return graphviz.Source(self.source)._repr_mimebundle_(include, exclude)
        except Exception:
            return {"text/plain": self.source}


def make_dot(
    var,
    params: dict | None = None,
    show_attrs: bool = False,
    show_saved: bool = False,
    max_attr_chars: int = 50,
) -> Dot:
    """Draw the backward graph that produced ``var`` (torchviz's ``make_dot``).

    Parameters
    ----------
    var : Tensor or sequence of Tensor
        The output(s) whose graph is drawn.
    params : dict of str to Tensor, optional
        Names for leaves, e.g. ``dict(model.named_parameters())``; other leaves are labelled
        by their shape only.
    show_attrs : bool
        Also list each node's keyword arguments (``dim=1``, ...) under its name.
    show_saved : bool
        Also draw the tensors each node saved for its backward (orange, dotted edges).
    max_attr_chars : int
        Longest attribute value shown before it is cut.

    Returns
    -------
    Dot
        ``.source`` is the DOT text; ``.render(path, format="svg")`` draws it.
    """
    outputs = list(var) if isinstance(var, (list, tuple)) else [var]
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"make_dot: var[{i}] must be a Tensor, got {type(o).__name__}")
    names = {}
    if params is not None:
        for k, v in params.items():
            if not isinstance(v, Tensor):
                raise TypeError(f"make_dot: params[{k!r}] must be a Tensor, got {type(v).__name__}")
            names[id(v)] = k
    ids: dict[int, str] = {}
    keep = []  # the objects whose id() names a DOT node stay alive until the text is done

    def nid(obj) -> str:
        k = id(obj)
        if k not in ids:
            ids[k] = f"n{len(ids)}"
            keep.append(obj)
        return ids[k]

    lines = ["digraph {", '\tgraph [size="12,12"]', "\t" + _NODE_ATTR]
    edges: list[str] = []
    seen: set[int] = set()
    accumulators: dict[int, str] = {}  # id(leaf) -> its AccumulateGrad node

    def leaf_label(t) -> str:
        name = names.get(id(t))
        return (f"{name}\n " if name is not None else " ") + _shape(t)

    def saved_node(fn, key, label) -> None:
        sid = f"{nid(fn)}_{key}"
        lines.append(f"\t{sid} [label={_quote(label)} fillcolor=orange]")
        edges.append(f"\t{sid} -> {nid(fn)} [dir=none style=dotted]")

    def add_saved(fn) -> None:
        if fn.ctx is not None:  # a custom Function: what it passed to save_for_backward
            for i, s in enumerate(getattr(fn.ctx, "_saved", None) or ()):
                if _shape(s):
                    saved_node(fn, f"saved{i}", f"saved_tensors[{i}]\n " + _shape(s))
            return
        for i, s in enumerate(fn.saved or ()):
            if isinstance(s, Tensor):
                saved_node(fn, f"saved{i}", f"input {i}\n " + _shape(s))
        if fn.out is not None:
            saved_node(fn, "result", "result\n " + _shape(fn.out))

    def add_graph(root) -> None:
        """Add a backward node and everything it points at (iteratively: any depth)."""
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            label = fn.name()
            if show_attrs and fn.kw:
                label += "\n" + "\n".join(
                    f"{k}: {_cut(repr(v), max_attr_chars)}" for k, v in sorted(fn.kw.items())
                )
            lines.append(f"\t{nid(fn)} [label={_quote(label)}]")
            if show_saved:
                add_saved(fn)
            for e in fn.next:
                if e is None:
                    continue
                target = e[0]
                if isinstance(target, Node):
                    edges.append(f"\t{nid(target)} -> {nid(fn)}")
                    stack.append(target)
                    continue
                acc = accumulators.get(id(target))  # a leaf: AccumulateGrad, the tensor above
                if acc is None:
                    leaf = nid(target)
                    acc = accumulators[id(target)] = f"{leaf}_acc"
                    lines.append(f"\t{acc} [label=AccumulateGrad]")
                    lines.append(
                        f"\t{leaf} [label={_quote(leaf_label(target))} fillcolor=lightblue]"
                    )
                    edges.append(f"\t{leaf} -> {acc}")
                edges.append(f"\t{acc} -> {nid(fn)}")

    for o in outputs:
        oid = nid(o)
        if o.grad_fn is None:  # a leaf as the output: drawn as a leaf
            lines.append(f"\t{oid} [label={_quote(leaf_label(o))} fillcolor=lightblue]")
            continue
        lines.append(f"\t{oid} [label={_quote(' ' + _shape(o))} fillcolor=darkolivegreen1]")
        add_graph(o.grad_fn)
        edges.append(f"\t{nid(o.grad_fn)} -> {oid}")
    lines.extend(edges)
    lines.append("}")
    return Dot("\n".join(lines) + "\n")


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."
