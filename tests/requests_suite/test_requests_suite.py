"""requests' own test suite, run with ``AuthAdapter`` mounted on every Session (issue 12).

Mounting the adapter must change nothing but authentication. This module fetches the source
distribution of the *installed* requests version (it ships ``tests/``), unpacks its tests into
a temp dir and runs them in subprocess pytests with ``requests_dav_suite_plugin``: once
without the adapter (the baseline), then with ``AuthAdapter`` on ``http://`` and ``https://``
of every Session and an empty store, the right credentials for every test server, or wrong
ones. Every test that passes in the baseline must pass in each mode, except the intended
differences the plugin names (``INTENDED_DIFFERENCES``, each with its reason; see "Differences
from HTTPAdapter" in docs/adapter.rst), and a listed difference that no longer differs fails
too, so the list stays true.

No test may reach anything but loopback: requests' ``TARPIT`` (a private address its
connect-timeout tests expect to time out) is rewritten in the unpacked source to a loopback
listener with a full accept queue, and the plugin refuses and reports every other connect.

The sdist is cached (``REQUESTS_DAV_SDIST_CACHE``, default ``~/.cache/requests-dav/sdists``),
so only the first run downloads. The modes run in parallel, each split in two shards (the tests
mostly wait on sockets and timers), so the whole check stays under two minutes on two cores.
Missing test requirements (the ``test`` extra) or no index skip the test locally and fail it
when ``CI=true``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest
from servers.common import in_ci

from requests_suite.requests_dav_suite_plugin import INTENDED_DIFFERENCES

PLUGIN_DIR = Path(__file__).resolve().parent
PLUGIN = "requests_dav_suite_plugin"
MODES = ("empty", "right", "wrong")
#: import name -> distribution, requests' test requirements (setup.py's ``test`` extra)
REQUIREMENTS = {
    "pytest_httpbin": "pytest-httpbin",
    "httpbin": "httpbin",
    "pytest_mock": "pytest-mock",
    "trustme": "trustme",
    "socks": "PySocks",
    "pytest_timeout": "pytest-timeout",
}
TARPIT_LINE = 'TARPIT = "http://10.255.255.1"'
TARPIT_ADDRESS = "10.255.255.1"
TARPIT_TESTS = (
    "tests/test_requests.py::TestTimeout::test_connect_timeout[timeout0]",
    "tests/test_requests.py::TestTimeout::test_connect_timeout[timeout1]",
    "tests/test_requests.py::TestTimeout::test_total_timeout_connect[timeout0]",
    "tests/test_requests.py::TestTimeout::test_total_timeout_connect[timeout1]",
)
PER_TEST_TIMEOUT = 10  # seconds; the slowest test of requests 2.34 takes about 6 s
#: a guard against a hang, not the target: on two idle cores the run takes about a minute; a
#: machine shared with other jobs can take twice that
WHOLE_RUN_TIMEOUT = 240
MIN_BASELINE_PASSES = 500  # requests 2.34.2 passes 617 here


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}; this is a failure when CI=true", pytrace=False)
    pytest.skip(reason)


def _cache_dir() -> Path:
    configured = os.environ.get("REQUESTS_DAV_SDIST_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "requests-dav" / "sdists"


def _sdist(version: str) -> Path:
    """requests' sdist for ``version``, from the cache or downloaded into it once."""
    cache = _cache_dir()
    wanted = cache / f"requests-{version}.tar.gz"
    if wanted.is_file():
        return wanted
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as partial:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--no-binary", ":all:", f"requests=={version}", "--dest", partial,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        got = Path(partial) / wanted.name
        if done.returncode != 0 or not got.is_file():
            _unavailable(
                f"could not download requests {version}'s sdist: {done.stderr.strip()[-500:]}"
            )
        os.replace(got, wanted)  # whole file or nothing: a cut download never looks cached
    return wanted


def _unpack(sdist: Path, version: str, into: Path) -> Path:
    """Extract the sdist's tests/ and pytest config (nothing else) under ``into``."""
    top = f"requests-{version}/"
    keep = (top + "tests/", top + "pyproject.toml", top + "requirements-dev.txt")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(keep)]
        for member in members:
            if not (member.isfile() or member.isdir()) or ".." in Path(member.name).parts:
                raise AssertionError(f"unexpected member in {sdist.name}: {member.name!r}")
        if hasattr(tarfile, "data_filter"):
            archive.extractall(into, members=members, filter="data")
        else:  # Python < 3.11.4: the members were checked above
            archive.extractall(into, members=members)  # noqa: S202
    return into / top


def _point_tarpit_at_loopback(root: Path) -> None:
    """Rewrite requests' TARPIT (a private address) to the plugin's loopback tarpit."""
    module = root / "tests" / "test_requests.py"
    source = module.read_text(encoding="utf-8")
    assert source.count(TARPIT_LINE) == 1, (
        f"requests' {module.name} no longer defines {TARPIT_LINE!r}: read its connect-timeout "
        "tests again and point them at a loopback tarpit before running them"
    )
    replacement = 'TARPIT = __import__("os").environ["REQUESTS_DAV_TARPIT"]'
    module.write_text(source.replace(TARPIT_LINE, replacement), encoding="utf-8")
    for path in (root / "tests").rglob("*.py"):
        assert TARPIT_ADDRESS not in path.read_text(encoding="utf-8"), path


@dataclass
class Run:
    mode: str
    shard: int
    process: subprocess.Popen[bytes]
    results: Path
    log: Path


def _environment() -> Dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")
        and key not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PYTEST_ADDOPTS", "NETRC")
    }
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PLUGIN_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _start(root: Path, mode: str, shard: int, paths: List[str], out: Path) -> Run:
    results = out / f"{mode}-{shard}.json"
    log = out / f"{mode}-{shard}.log"
    command = [
        sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
        "-p", PLUGIN, "--requests-dav-mode", mode, "--requests-dav-results", str(results),
        "--timeout", str(PER_TEST_TIMEOUT),
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=root, env=_environment(), stdout=sink, stderr=subprocess.STDOUT
        )
    return Run(mode, shard, process, results, log)


@dataclass
class SuiteResults:
    version: str
    outcomes: Dict[str, Dict[str, str]]  # mode -> nodeid -> outcome
    failures: Dict[str, Dict[str, str]]
    violations: Dict[str, List[Dict[str, Any]]]
    seconds: float

    def passed(self, mode: str) -> Set[str]:
        return {test for test, outcome in self.outcomes[mode].items() if outcome == "passed"}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteResults]:
    missing = [dist for name, dist in REQUIREMENTS.items() if not importlib.util.find_spec(name)]
    if missing:
        _unavailable(f"requests' test requirements are not installed: {', '.join(missing)}")
    version = importlib.metadata.version("requests")
    base = tmp_path_factory.mktemp("requests-suite")
    root = _unpack(_sdist(version), version, base)
    _point_tarpit_at_loopback(root)
    files = sorted(p.relative_to(root).as_posix() for p in (root / "tests").glob("test_*.py"))
    shards = [["tests/test_requests.py"], [f for f in files if f != "tests/test_requests.py"]]
    out = base / "results"
    out.mkdir()
    started = time.monotonic()
    runs = [
        _start(root, mode, index, paths, out)
        for mode in ("none", *MODES)
        for index, paths in enumerate(shards)
    ]
    try:
        for run in runs:
            left = WHOLE_RUN_TIMEOUT - (time.monotonic() - started)
            try:
                run.process.wait(timeout=max(left, 0.1))
            except subprocess.TimeoutExpired:
                pytest.fail(f"requests' suite ({run.mode}) took over {WHOLE_RUN_TIMEOUT} s")
    finally:
        for run in runs:
            if run.process.poll() is None:
                run.process.kill()
                run.process.wait()
    seconds = time.monotonic() - started
    outcomes: Dict[str, Dict[str, str]] = {}
    failures: Dict[str, Dict[str, str]] = {}
    violations: Dict[str, List[Dict[str, Any]]] = {}
    for run in runs:
        log_tail = run.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        assert run.process.returncode in (0, 1), (
            f"pytest for mode {run.mode} (shard {run.shard}) exited with "
            f"{run.process.returncode}:\n{log_tail}"
        )
        assert run.results.is_file(), f"no results from mode {run.mode}:\n{log_tail}"
        report = json.loads(run.results.read_text(encoding="utf-8"))
        outcomes.setdefault(run.mode, {}).update(report["outcomes"])
        failures.setdefault(run.mode, {}).update(report["failures"])
        violations.setdefault(run.mode, []).extend(report["violations"])
    yield SuiteResults(version, outcomes, failures, violations, seconds)
    shutil.rmtree(root, ignore_errors=True)


def test_baseline_runs_the_suite(suite: SuiteResults) -> None:
    """Without the adapter requests' suite passes (so the comparison below means something),
    its connect-timeout tests included: they time out on the loopback tarpit."""
    passed = suite.passed("none")
    assert len(passed) >= MIN_BASELINE_PASSES, sorted(suite.failures["none"])
    assert set(TARPIT_TESTS) <= passed, {t: suite.failures["none"].get(t) for t in TARPIT_TESTS}


@pytest.mark.parametrize("mode", ("none", *MODES))
def test_never_leaves_loopback(suite: SuiteResults, mode: str) -> None:
    assert suite.violations[mode] == []


@pytest.mark.parametrize("mode", MODES)
def test_adapter_changes_nothing_but_authentication(suite: SuiteResults, mode: str) -> None:
    """Every baseline pass passes with AuthAdapter mounted, but the intended differences."""
    baseline = suite.passed("none")
    passed = suite.passed(mode)
    intended = {test for test, (modes, _) in INTENDED_DIFFERENCES.items() if mode in modes}
    regressions = sorted(baseline - passed - intended)
    details = "\n\n".join(
        f"{test}: {suite.outcomes[mode].get(test, 'not run')}\n"
        f"{suite.failures[mode].get(test, '')[-1500:]}"
        for test in regressions
    )
    assert not regressions, f"{len(regressions)} tests of requests {suite.version} fail:\n{details}"
    stale = sorted(test for test in intended & baseline if test in passed)
    assert not stale, f"listed as intended differences in mode {mode} but pass: {stale}"
