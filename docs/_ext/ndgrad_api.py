"""Generate the API reference pages (one per namespace) from the live namespaces.

Each page lists every public name of its namespace (``__all__`` when the module defines it,
else every name not starting with ``_`` that is not a module), so a name added to a namespace
gets an entry without editing the docs; a name without a docstring fails the build (numpydoc's
``GL08`` check with warnings as errors). :func:`public_names` is also what the tests check the
built inventory against.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

import numpy as np
from sphinx.util import logging

logger = logging.getLogger(__name__)

# (module, one-line description). Optional namespaces (being built on other branches) are
# documented when they import.
NAMESPACES = [
    ("autograd", "Tensors, the ops, gradients and grad modes: the ``torch`` namespace."),
    ("autograd.autograd", "``torch.autograd`` under its own name: ``grad``, ``Function``, ..."),
    (
        "autograd.autograd.functional",
        "Jacobians, Hessians, VJPs, JVPs (``torch.autograd.functional``).",
    ),
    ("autograd.linalg", "Linear algebra (``torch.linalg``)."),
    ("autograd.testing", "The gradient-checking kit for your own layers."),
    ("autograd.profiler", "Where the time goes (``torch.autograd.profiler``)."),
    ("autograd.amp", "Mixed precision: ``autocast`` and ``GradScaler`` (``torch.amp``)."),
    ("autograd.distributions", "Probability distributions (``torch.distributions``)."),
    (
        "autograd.distributions.constraints",
        "Supports of the distributions' parameters and samples.",
    ),
    ("autograd.utils.checkpoint", "Activation checkpointing (``torch.utils.checkpoint``)."),
    ("autograd.viz", "Drawing the backward graph."),
    ("autograd.distributed", "Several processes or machines (``torch.distributed``)."),
    ("nn", "Layers and losses (``torch.nn``)."),
    ("nn.functional", "The functional form of the layers (``torch.nn.functional``)."),
    ("nn.init", "Parameter initialisation (``torch.nn.init``)."),
    ("nn.utils", "Gradient clipping, parameter vectors, ``summary`` (``torch.nn.utils``)."),
    ("nn.utils.rnn", "Packed and padded sequences (``torch.nn.utils.rnn``)."),
    ("nn.utils.parametrize", "Parametrizations of parameters (``torch.nn.utils.parametrize``)."),
    ("nn.utils.parametrizations", "Weight norm, orthogonal, spectral norm parametrizations."),
    ("nn.utils.recipe", "Checks of Karpathy's training recipe."),
    ("nn.parallel", "Data-parallel training (``torch.nn.parallel``)."),
    ("optim", "Optimizers (``torch.optim``)."),
    ("optim.lr_scheduler", "Learning-rate schedules (``torch.optim.lr_scheduler``)."),
    ("optim.swa_utils", "Stochastic weight averaging and EMA (``torch.optim.swa_utils``)."),
    ("data", "Datasets, samplers and ``DataLoader`` (``torch.utils.data``)."),
    ("data.datasets", "The bundled datasets and MNIST readers."),
    ("data.testing", "Statistical checks of samplers, for your own tests."),
    ("benchmarks", "Micro-benchmarks with honest statistics."),
]

# Classes whose methods are all part of the reference, documented or not (a missing docstring
# then fails the build). Other classes list their documented public methods.
ALL_MEMBERS = {"autograd.Tensor", "nn.Module", "optim.Optimizer"}


def namespaces() -> list[tuple[str, str]]:
    """The namespaces that import in this checkout."""
    out = []
    for mod, desc in NAMESPACES:
        try:
            importlib.import_module(mod)
        except ImportError:
            continue
        out.append((mod, desc))
    return out


def public_names(modname: str) -> list[str]:
    """Every public name of a namespace (``__all__``, else every name not starting with ``_``),
    less its submodules."""
    mod = importlib.import_module(modname)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in dir(mod) if not n.startswith("_")]
    # submodules (``data.datasets``, ``autograd.autograd.functional``) have pages of their own
    names = [n for n in names if not inspect.ismodule(getattr(mod, n))]
    return sorted(set(names), key=lambda n: (n.lower(), n))


def tensor_methods() -> list[str]:
    """Public attributes of ``autograd.Tensor`` (methods and properties)."""
    from autograd import Tensor

    return sorted(n for n in dir(Tensor) if not n.startswith("_"))


def _tensor_entries() -> list[str]:
    """``autograd.Tensor`` and each of its public attributes, listed one by one (autodoc's
    ``:members:`` skips the methods that are ``Op`` instances)."""
    from autograd import Tensor

    lines = [".. autoclass:: autograd.Tensor", ""]
    for n in tensor_methods():
        static = inspect.getattr_static(Tensor, n)
        if isinstance(static, property):
            lines += [f"    .. autoproperty:: {n}", ""]
        elif callable(static) or hasattr(static, "__get__") and callable(getattr(Tensor, n)):
            lines += [f"    .. automethod:: {n}", ""]
        else:
            lines += [f"    .. autoattribute:: {n}", ""]
    return lines


def _kind(obj) -> str:
    if obj is np.dtype or isinstance(obj, np.dtype):
        return "dtype"
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj):  # functions, and ops (which bind as methods)
        return "function"
    return "data"  # constants, and instances such as ``constraints.positive``


def _primary_names(mod, names) -> dict[str, str]:
    """``{alias: primary}`` for names bound to the same callable as another public name (or to
    wrappers of the same one): the primary is the callable's own name (a function's
    ``__name__``, an op's ``name``)."""
    by_obj: dict[int, list[str]] = {}
    for n in names:
        obj = getattr(mod, n)
        if callable(obj) and not inspect.isclass(obj):
            # ``autograd.<name>`` wraps its op for ``out=``, one wrapper per name
            by_obj.setdefault(id(getattr(obj, "__wrapped__", obj)), []).append(n)
    out = {}
    for group in by_obj.values():
        if len(group) < 2:
            continue
        obj = getattr(mod, group[0])
        obj = getattr(obj, "__wrapped__", obj)
        own = getattr(obj, "__name__", None) or getattr(obj, "name", None)
        primary = own if own in group else group[0]
        out.update({n: primary for n in group if n != primary})
    return out


def _page(modname: str, desc: str, seen: dict[int, str]) -> str:
    """The page of one namespace. ``seen`` maps the objects documented on earlier pages to
    their full names: a re-export (``autograd.autograd.grad`` is ``autograd.grad``) links there
    instead of documenting the object twice."""
    mod = importlib.import_module(modname)
    title = f"``{modname}``"
    lines = [f".. _api-{modname}:", "", title, "=" * len(title), "", desc, ""]
    lines += [f".. py:module:: {modname}", "    :no-index:", ""]
    lines += [f".. currentmodule:: {modname}", ""]
    groups: dict[str, list[str]] = {"class": [], "function": [], "dtype": [], "data": []}
    aliases = _primary_names(mod, public_names(modname))
    for n in public_names(modname):
        groups[_kind(getattr(mod, n))].append(n)
    heads = {"class": "Classes", "function": "Functions", "dtype": "Dtypes", "data": "Objects"}
    for kind in ("class", "function", "dtype", "data"):
        if not groups[kind]:
            continue
        lines += [heads[kind], "-" * len(heads[kind]), ""]
        for n in groups[kind]:
            obj = getattr(mod, n)
            full = f"{modname}.{n}"
            key = id(getattr(obj, "__wrapped__", obj))
            if kind in ("class", "function") and n not in aliases:
                if seen.setdefault(key, full) != full:
                    role = "class" if kind == "class" else "func"
                    sig = "" if kind == "class" else "(*args, **kwargs)"
                    lines += [
                        f".. py:{'class' if kind == 'class' else 'function'}:: {n}{sig}",
                        "",
                        f"    The same as :{role}:`{seen[key]}`.",
                        "",
                    ]
                    continue
            if kind == "class" and full == "autograd.Tensor":
                lines += _tensor_entries()
            elif kind == "class" and obj.__name__.startswith("_"):
                # a private class under a public name (``constraints.greater_than``)
                doc = (obj.__doc__ or "").strip().split("\n")[0]
                if not doc:
                    logger.warning("class %s has no docstring", full, type="ndgrad")
                lines += [f".. py:class:: {n}", "", f"    {doc}", ""]
            elif kind == "class":
                lines.append(f".. autoclass:: {full}")
                if not issubclass(obj, BaseException):
                    lines.append("    :members:")
                    if full in ALL_MEMBERS or f"{obj.__module__.split('.')[0]}.{n}" in ALL_MEMBERS:
                        lines.append("    :undoc-members:")
                lines.append("")
            elif kind == "function" and n in aliases:
                lines += [
                    f".. py:function:: {n}(*args, **kwargs)",
                    "",
                    f"    Alias of :func:`{aliases[n]}`.",
                    "",
                ]
            elif kind == "function":
                lines += [f".. autofunction:: {full}", ""]
            elif kind == "dtype" and obj is np.dtype:
                lines += [
                    f".. py:data:: {n}",
                    "",
                    "    ``numpy.dtype``, the class of the dtypes.",
                    "",
                ]
            elif kind == "dtype":
                lines += [f".. py:data:: {n}", "", f"    ``numpy.{obj!r}``.", ""]
            elif isinstance(obj, (int, float, type(None))):
                lines += [f".. py:data:: {n}", "", f"    ``{obj!r}``.", ""]
            else:
                doc = obj.__doc__ if obj.__doc__ is not type(obj).__doc__ else None
                text = (doc or type(obj).__doc__ or "").strip().split("\n")[0]
                lines += [f".. py:data:: {n}", "", f"    A ``{type(obj).__name__}``. {text}", ""]
    return "\n".join(lines) + "\n"


def write_pages(app) -> None:
    """``builder-inited``: write ``api/<namespace>.rst`` and ``api/index.rst``."""
    out = pathlib.Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    spaces = namespaces()
    index = [
        "API reference",
        "=============",
        "",
        "One page per namespace, generated from the docstrings.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    keep = {"index.rst"} | {f"{mod}.rst" for mod, _ in spaces}
    for stale in out.glob("*.rst"):  # a namespace that no longer imports
        if stale.name not in keep:
            stale.unlink()
    seen: dict[int, str] = {}
    for mod, desc in spaces:
        text = _page(mod, desc, seen)
        path = out / f"{mod}.rst"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        index.append(f"   {mod}")
    text = "\n".join(index) + "\n"
    path = out / "index.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _borrowed_doc(obj) -> bool:
    """True when ``obj`` only has its class's docstring (an ``Op`` instance without its own)."""
    if inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, property):
        return False
    return obj.__doc__ is type(obj).__doc__


def check_docstring(app, what, name, obj, options, lines) -> None:
    """``autodoc-process-docstring``: a documented public object must have its own docstring."""
    if what in ("module", "data", "attribute"):
        return
    if not any(line.strip() for line in lines) or _borrowed_doc(obj):
        logger.warning("%s %s has no docstring", what, name, type="ndgrad", subtype="nodoc")


def _cache_numpydoc_template() -> None:
    """numpydoc compiles its Jinja template for every docstring (about half of this site's
    build time); compile it once. Same template, same output."""
    import os

    from jinja2 import FileSystemLoader
    from jinja2.sandbox import SandboxedEnvironment
    from numpydoc import docscrape_sphinx as ds
    from numpydoc import numpydoc as nd

    if not all(hasattr(ds, a) for a in ("get_doc_object_orig", "SphinxObjDoc")) or not hasattr(
        nd, "get_doc_object"
    ):
        return  # another numpydoc: keep its own (slower) path
    dirs = [os.path.join(os.path.dirname(ds.__file__), "templates")]
    template = SandboxedEnvironment(loader=FileSystemLoader(dirs)).get_template(
        "numpydoc_docstring.rst"
    )

    def get_doc_object(obj, what=None, doc=None, config=None, builder=None):
        config = {} if config is None else config
        config["template"] = template
        return ds.get_doc_object_orig(
            obj,
            what=what,
            doc=doc,
            config=config,
            class_doc=ds.SphinxClassDoc,
            func_doc=ds.SphinxFunctionDoc,
            obj_doc=ds.SphinxObjDoc,
        )

    nd.get_doc_object = get_doc_object


def setup(app):
    _cache_numpydoc_template()
    app.connect("builder-inited", write_pages)
    # before numpydoc's handler (priority 500) rewrites the lines
    app.connect("autodoc-process-docstring", check_docstring, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
