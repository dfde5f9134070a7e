"""pytest plugin for running requests' own test suite with ``AuthAdapter`` on every Session.

Loaded into a *subprocess* pytest (``-p requests_dav_suite_plugin``) by
``test_requests_suite.py``; never imported by this project's own test session.

``--requests-dav-mode``:

* ``none``: requests as it is (the baseline: which tests pass here at all);
* ``empty``: ``AuthAdapter(credentials=Credentials())`` mounted on ``http://`` and
  ``https://`` of every :class:`requests.Session` (one adapter on both prefixes);
* ``right``: the same with a store that has the right credentials (``user``/``pass``,
  what requests' tests use with httpbin's ``/basic-auth/user/pass`` and
  ``/digest-auth/auth/user/pass`` and with their own socket servers) for every loopback
  origin and proxy;
* ``wrong``: the same with ``user``/``wrongpass`` everywhere.

Network guard (all modes, the baseline included): these machines never contact anything
but loopback. A connect to any other address is refused *and* recorded; the test that tried
it fails (loudly, whatever it expected) and the outer test fails on the record. Name lookups
of anything but ``localhost`` fail as unresolvable without asking a resolver (recorded, not a
failure: requests' tests of bad host names expect exactly that error).

Tarpit: requests' ``TARPIT`` (a private address whose connects are expected to time out) is
replaced, before collection, by the URL in ``REQUESTS_DAV_TARPIT``: a loopback listener made
here with ``listen(0)`` whose accept queue is full, so connects to it still time out.

``--requests-dav-results FILE``: a JSON report (``outcomes``: nodeid -> passed / failed /
skipped / xfailed / xpassed, ``failures``: nodeid -> shortened traceback, ``violations``,
``refused_names``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest

from requests_dav import Credential, Credentials

TARPIT_ENV = "REQUESTS_DAV_TARPIT"
MODES = ("none", "empty", "right", "wrong")
USER, RIGHT_PASSWORD, WRONG_PASSWORD = "user", "pass", "wrongpass"

#: nodeid (relative to requests' source root) -> (modes it differs in, why). Every test
#: that passes without the adapter must pass with it in every mode, except these.
INTENDED_DIFFERENCES: Dict[str, Tuple[Tuple[str, ...], str]] = {
    "tests/test_requests.py::TestRequests::test_BASICAUTH_TUPLE_HTTP_200_OK_GET": (
        ("right",),
        "after a request with auth=, it sends one without and expects 401: with the right "
        "credentials in the store the adapter answers the challenge (its whole purpose)",
    ),
    "tests/test_requests.py::TestRequests::test_DIGESTAUTH_WRONG_HTTP_401_GET": (
        ("right",),
        "between its wrong-password requests it sends one without auth= and expects 401; the "
        "store's right credentials answer that one",
    ),
    "tests/test_requests.py::TestRequests::test_DIGEST_HTTP_200_OK_GET": (
        ("right",),
        "the same for Digest: a request without auth= is expected to get 401; the store "
        "has the right credentials, so the adapter authenticates it",
    ),
}

_LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


# -- network guard ----------------------------------------------------------------------------


class NonLoopbackConnect(OSError):
    """A test tried to reach something other than loopback (refused before any packet)."""


_state: Dict[str, Any] = {"current": None, "violations": [], "refused_names": []}
_state_lock = threading.Lock()


def _is_loopback_host(host: str) -> Optional[bool]:
    """True/False for an IP literal (loopback or not), None for a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return None


def _record(kind: str, what: str) -> None:
    with _state_lock:
        _state[kind].append({"test": _state["current"], "target": what})


def _guard_address(family: int, address: Any) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) else str(address)
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if str(host).lower() not in _LOCAL_NAMES and _is_loopback_host(str(host)) is not True:
        _record("violations", f"connect to {address!r}")
        raise NonLoopbackConnect(
            f"requests-dav suite guard: refused a connect to {address!r} (loopback only)"
        )


def _install_guard() -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        _guard_address(self.family, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _guard_address(self.family, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> List[Any]:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if name is not None:
            loopback = _is_loopback_host(str(name))
            if loopback is False:
                _record("violations", f"resolve {name!r}")
                raise NonLoopbackConnect(
                    f"requests-dav suite guard: refused the address {name!r} (loopback only)"
                )
            if loopback is None and str(name).lower() not in _LOCAL_NAMES:
                _record("refused_names", str(name))
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        results = real_getaddrinfo(host, *args, **kwargs)
        return [r for r in results if _is_loopback_host(str(r[4][0])) is True]

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


# -- tarpit -----------------------------------------------------------------------------------


class Tarpit:
    """A loopback listener with a full accept queue: connects to it time out."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers: List[socket.socket] = []
        for _ in range(64):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.3)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                filler.close()
                break
            self.fillers.append(filler)
        else:
            raise RuntimeError("the tarpit's accept queue never filled")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.listener.close()


# -- a threaded httpbin -----------------------------------------------------------------------


def _thread_httpbin() -> None:
    """Serve pytest-httpbin from one thread per connection (in every mode, the baseline too).

    Its server is single-threaded: after requests' read-timeout tests (``/delay/10`` read
    with a 0.1 s timeout) every later test waits up to 20 s for the server to finish those
    delays. Threads only remove that wait; what each test sees from the server is unchanged.
    """
    import socketserver

    from pytest_httpbin import serve

    real_make_server = serve.make_server

    def make_server(*args: Any, **kwargs: Any) -> Any:
        base = kwargs.get("server_class", serve.WSGIServer)
        kwargs["server_class"] = type(
            "Threaded" + base.__name__,
            (socketserver.ThreadingMixIn, base),
            {"daemon_threads": True, "block_on_close": False},
        )
        return real_make_server(*args, **kwargs)

    serve.make_server = make_server


# -- the adapter on every Session -------------------------------------------------------------


class EveryLoopbackServer(Credentials):
    """A store with one credential for every loopback origin and proxy (the ports of
    requests' test servers are only known once they start); pickles like ``Credentials``."""

    def __init__(self, credential: Credential) -> None:
        super().__init__()
        self.credential = credential

    def __getstate__(self) -> Dict[str, Any]:
        return {"store": super().__getstate__(), "credential": self.credential}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state["store"])
        self.credential = state["credential"]

    def find(
        self, url: str, *, realm: Optional[str] = None, proxy: bool = False
    ) -> Optional[Credential]:
        host = urlsplit(url).hostname or ""
        if host in _LOCAL_NAMES or _is_loopback_host(host):
            return self.credential
        return super().find(url, realm=realm, proxy=proxy)

    def knows(self, url: str) -> bool:
        return self.find(url) is not None or super().knows(url)


def _store(mode: str) -> Credentials:
    if mode == "empty":
        return Credentials()
    password = RIGHT_PASSWORD if mode == "right" else WRONG_PASSWORD
    return EveryLoopbackServer(Credential(USER, password))


def _mount_everywhere(mode: str) -> None:
    import requests

    from requests_dav import AuthAdapter

    original = requests.sessions.Session.__init__

    def __init__(self: requests.Session, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        adapter = AuthAdapter(credentials=_store(mode))
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    requests.sessions.Session.__init__ = __init__  # type: ignore[method-assign]


# -- pytest hooks -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("requests-dav")
    group.addoption("--requests-dav-mode", choices=MODES, default="none")
    group.addoption("--requests-dav-results", default=None)


_outcomes: Dict[str, str] = {}
_failures: Dict[str, str] = {}
_tarpit: List[Tarpit] = []


def pytest_configure(config: pytest.Config) -> None:
    _install_guard()
    tarpit = Tarpit()
    _tarpit.append(tarpit)
    os.environ[TARPIT_ENV] = tarpit.url
    _thread_httpbin()
    mode = config.getoption("--requests-dav-mode")
    if mode != "none":
        _mount_everywhere(mode)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    with _state_lock:
        _state["current"] = item.nodeid


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    with _state_lock:
        tried = [v["target"] for v in _state["violations"] if v["test"] == item.nodeid]
    if tried and report.when == "call":
        report.outcome = "failed"
        report.longrepr = "requests-dav suite guard: non-loopback network access: " + ", ".join(
            tried
        )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    nodeid = report.nodeid
    if report.failed:
        _outcomes[nodeid] = "failed"
        _failures.setdefault(nodeid, str(report.longrepr)[-3000:])
    elif report.when == "call" or (report.when == "setup" and report.skipped):
        if hasattr(report, "wasxfail"):
            _outcomes[nodeid] = "xpassed" if report.passed else "xfailed"
        else:
            _outcomes.setdefault(nodeid, report.outcome)


def pytest_unconfigure(config: pytest.Config) -> None:
    for tarpit in _tarpit:
        tarpit.close()
    path = config.getoption("--requests-dav-results")
    if path:
        with _state_lock:
            report = {
                "mode": config.getoption("--requests-dav-mode"),
                "outcomes": _outcomes,
                "failures": _failures,
                "violations": list(_state["violations"]),
                "refused_names": sorted({v["target"] for v in _state["refused_names"]}),
            }
        with open(path, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=1, sort_keys=True)
