"""Sphinx configuration: ``python -m sphinx -W docs docs/_build/html`` (offline)."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

project = "ndgrad"
author = "the ndgrad authors"
copyright = "ndgrad authors, MIT licence"  # noqa: A001
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "ndgrad_api",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "README.md", "_ext"]
root_doc = "index"
html_theme = "alabaster"
html_static_path: list[str] = []

# autodoc: signatures from the first docstring line where the object has none of its own
autodoc_docstring_signature = True
autodoc_member_order = "alphabetical"
autodoc_typehints = "none"
add_module_names = False

# numpydoc: no member tables (the pages list members themselves). A public name without a
# docstring of its own fails the build: see ndgrad_api.check_docstring.
numpydoc_show_class_members = False

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# Every cross-reference must resolve (-W turns a broken one into an error), except to the
# standard library's and NumPy's objects: the build is offline, so no intersphinx.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(numpy|np|os|builtins)\..*")]
