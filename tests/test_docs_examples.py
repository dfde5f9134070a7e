"""Every code example in docs/examples/ and README.md runs against a live local WebDAV server.

The documentation includes these files verbatim (``literalinclude``), so a
passing test here means the examples a newcomer copies really work. Each
runs in a fresh interpreter with ``DAV_URL``, ``DAV_USER`` and
``DAV_PASSWORD`` pointing at an embedded Digest-protected WsgiDAV server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from requests_dav.demo.server import DemoServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.py"))
README_BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer(password="ex4mple-pässword") as server:
        yield server


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 3 and len(README_BLOCKS) >= 1


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example: Path, demo_server: DemoServer) -> None:
    run_example(example, demo_server)


@pytest.mark.parametrize("number", range(len(README_BLOCKS)))
def test_readme_example_runs(number: int, demo_server: DemoServer, tmp_path: Path) -> None:
    script = tmp_path / f"readme_{number}.py"
    script.write_text(README_BLOCKS[number], "utf-8")
    run_example(script, demo_server)


def run_example(example: Path, demo_server: DemoServer) -> None:
    env = dict(
        os.environ,
        DAV_URL=demo_server.url,
        DAV_USER=demo_server.username,
        DAV_PASSWORD=demo_server.password,
    )
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert demo_server.password not in done.stdout + done.stderr
