"""Sphinx configuration for the requests-dav documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "requests-dav"
author = "The requests-dav developers"
copyright = "2026, The requests-dav developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext"}
exclude_patterns = ["_build", "contract-auth.md"]
html_theme = "alabaster"
html_static_path: list[str] = []
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
