"""The documentation site: every guide's code runs, and the site builds with warnings as errors,
with a reference entry for every public name.

A python block of a guide runs unless the line right above it is a marker comment:

- ``<!-- docs-test: skip (reason) -->``: never run (it needs ``mpirun``, or is a fragment);
- ``<!-- docs-test: requires MODULE.NAME -->``: run only when ``hasattr(MODULE, NAME)``
  (for features being built on other branches: ``autograd.nn``, ``autograd.compile``,
  ``data.DistributedSampler``).

The blocks of one guide run in order in one namespace, in a temporary directory, as a reader
would run them.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDES = sorted((DOCS / "guides").glob("*.md"))

_BLOCK = re.compile(
    r"(?:<!-- docs-test: (?P<marker>[^\n]*?) -->\n)?^```python\n(?P<code>.*?)^```", re.S | re.M
)


def python_blocks(text: str) -> list[tuple[str | None, str, int]]:
    """``(marker, code, line)`` for each python block of a Markdown text."""
    return [
        (m["marker"], m["code"], text.count("\n", 0, m.start("code")) + 1)
        for m in _BLOCK.finditer(text)
    ]


def _should_run(marker: str | None) -> bool:
    if marker is None:
        return True
    if m := re.fullmatch(r"skip \(.+\)", marker):
        return False
    if m := re.fullmatch(r"requires ([\w.]+)\.(\w+)", marker):
        return hasattr(importlib.import_module(m[1]), m[2])
    raise AssertionError(f"unknown docs-test marker {marker!r}")


def test_markers_parse():
    text = (
        "<!-- docs-test: skip (needs mpirun) -->\n```python\nraise SystemExit\n```\n\n"
        "```python\nx = 1\n```\n<!-- docs-test: requires autograd.no_such_thing -->\n"
        "```python\nraise SystemExit\n```\n"
    )
    blocks = python_blocks(text)
    assert [b[0] for b in blocks] == [
        "skip (needs mpirun)",
        None,
        "requires autograd.no_such_thing",
    ]
    assert [_should_run(b[0]) for b in blocks] == [False, True, False]
    with pytest.raises(AssertionError, match="unknown"):
        _should_run("skip")  # a skip must give its reason


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_guide_code_runs(guide, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    import autograd

    state = autograd.get_rng_state()
    namespace: dict = {"__name__": f"docs_{guide.stem}"}
    ran = 0
    try:
        for marker, code, line in python_blocks(guide.read_text()):
            if not _should_run(marker):
                continue
            code = "\n" * (line - 1) + code  # tracebacks point at the guide's own lines
            exec(compile(code, str(guide), "exec"), namespace)  # noqa: S102
            ran += 1
    finally:
        autograd.set_rng_state(state)
    assert ran or guide.stem in ("compile",), f"{guide.name} has no python block that runs"


def test_no_redundant_op_docstrings():
    """``autograd/_docs.py`` holds no docstring for an object that has its own (one copy)."""
    from autograd import _docs

    assert _docs.REDUNDANT == []


def test_site_builds_with_every_public_name(tmp_path):
    """``python -m sphinx -W`` (the README's command) succeeds offline, and its inventory has
    an entry for every public name of every namespace and every ``Tensor`` method."""
    pytest.importorskip("sphinx", reason="pip install 'ndgrad[docs]'")
    out = tmp_path / "html"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-6000:]
    from sphinx.util.inventory import InventoryFile

    with open(out / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", lambda base, uri: uri)
    inv = getattr(inv, "data", inv)  # a dict in Sphinx >= 8
    entries = {name for kind, items in inv.items() if kind.startswith("py:") for name in items}
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import ndgrad_api
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    missing = [
        f"{mod}.{n}"
        for mod, _ in ndgrad_api.namespaces()
        for n in ndgrad_api.public_names(mod)
        if f"{mod}.{n}" not in entries
    ]
    import autograd.ops

    # the ops generated from the registry are in ``autograd``'s page
    missing += [f"autograd.{n}" for n in autograd.ops.__all__ if f"autograd.{n}" not in entries]
    missing += [
        f"autograd.Tensor.{n}"
        for n in ndgrad_api.tensor_methods()
        if f"autograd.Tensor.{n}" not in entries
    ]
    assert not missing, f"no reference entry for {missing}"


def test_readme_links_into_the_site():
    """The README is short and its relative links (guides, pictures) point at files that exist."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 150
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)
    assert any(link.startswith("docs/guides/") for link in links)
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"
