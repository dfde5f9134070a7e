"""Lazy package exports (PEP 562), so that the sans-I/O core imports without requests.

``import requests_dav.auth.flow`` or ``requests_dav.dav.multistatus`` first runs
the package ``__init__`` files; with eager re-exports those would import the
adapter and the session, and with them requests and urllib3. Each name is
imported on first access instead.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict


def lazy_exports(package: str, exports: Dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a submodule) on first use."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return __getattr__
