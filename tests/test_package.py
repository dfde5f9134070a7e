"""The package's public face: lazy exports, and a core that imports without requests.

DESIGN: protocol logic (challenges, Digest, credentials, body replay,
multistatus parsing) imports neither requests nor urllib3. The package
``__init__`` files export lazily (PEP 562) so that importing the core does not
pull the glue in through them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import requests_dav
import requests_dav.dav

CORE_MODULES = [
    "requests_dav.auth.challenge",
    "requests_dav.auth.credentials",
    "requests_dav.auth.body",
    "requests_dav.auth.flow",
    "requests_dav.auth.schemes.digest",
    "requests_dav.dav.multistatus",
    "requests_dav.dav.hrefs",
    "requests_dav.dav.properties",
    "requests_dav.dav.requestbodies",
    "requests_dav.dav.locks",
]


@pytest.mark.parametrize("package", [requests_dav, requests_dav.dav])
def test_all_matches_the_lazy_exports_and_every_name_resolves(package: object) -> None:
    exports = package._EXPORTS  # type: ignore[attr-defined]
    assert sorted(package.__all__) == sorted(exports)  # type: ignore[attr-defined]
    for name in package.__all__:  # type: ignore[attr-defined]
        assert getattr(package, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        requests_dav.Nope  # noqa: B018


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_without_requests_or_urllib3(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('requests', 'urllib3'))\n"
        "print(','.join(leaked))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
