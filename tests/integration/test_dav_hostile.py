"""DAVSession against a hostile server (issue 11, points 3 and 6).

A tiny loopback server (tests/servers/hostile.py) answers what no real server would:
listings whose members live on a second loopback listener, redirects there, decompression
bombs and endless bodies. The second listener only records: it must receive nothing, and
above all no ``Authorization``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import requests
from requests.auth import HTTPBasicAuth
from servers.hostile import (
    Handler,
    HostileServer,
    Recorder,
    endless,
    gzip_bomb,
    multistatus,
    response,
    send,
    send_chunked,
)

from requests_dav import DAVSession
from requests_dav.dav import CrossOriginHrefError, CrossOriginHrefWarning, ResponseTooLargeError
from requests_dav.dav.errors import ForbiddenError

XML = {"Content-Type": 'application/xml; charset="utf-8"'}


@pytest.fixture
def pair() -> Iterator[Tuple[HostileServer, Recorder]]:
    with HostileServer() as server, Recorder() as other:
        yield server, other


def _session(server: HostileServer) -> DAVSession:
    return DAVSession(server.url + "dav/", auth=HTTPBasicAuth("alice", "s3cret"))


def _listing_pointing_at(other: Recorder, refuse_infinity: bool) -> object:
    def respond(handler: Handler) -> None:
        infinity = handler.command == "PROPFIND" and handler.headers.get("Depth") == "infinity"
        if infinity and refuse_infinity:
            finite = b'<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>'
            send(handler, 403, XML, finite)
            return
        body = multistatus(
            response("/dav/", collection=True),
            response("/dav/local.txt"),
            response(f"{other.url}stolen/", collection=True),
            response(f"{other.url}file.txt"),
        )
        send(handler, 207, XML, body)

    return respond


# -- point 3: no request to another origin --------------------------------------------------


@pytest.mark.parametrize("how", ["walk", "ls-recursive-refused", "ls-recursive"])
def test_listing_members_on_another_origin_get_no_request(
    pair: Tuple[HostileServer, Recorder], how: str
) -> None:
    server, other = pair
    server.respond = _listing_pointing_at(other, refuse_infinity=how != "ls-recursive")  # type: ignore[assignment]
    with _session(server) as dav, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = list(dav.walk("")) if how == "walk" else dav.ls("", recursive=True)
    urls = [item.url for item in items]
    assert f"{other.url}stolen/" in urls  # reported as listed ...
    if how != "ls-recursive":  # ... but not descended into
        assert any(issubclass(w.category, CrossOriginHrefWarning) for w in caught)
    assert other.connections == 0 and other.received == b""
    assert all(path.startswith("/dav/") for _m, path, _h in server.requests)


def test_a_member_on_another_origin_is_refused_as_a_target(
    pair: Tuple[HostileServer, Recorder],
) -> None:
    server, other = pair
    server.respond = _listing_pointing_at(other, refuse_infinity=False)  # type: ignore[assignment]
    with _session(server) as dav:
        foreign = [item for item in dav.ls("") if item.url.startswith(other.url)]
        assert len(foreign) == 2
        for call in (
            lambda item: dav.info(item),
            lambda item: dav.download(item, Path("/dev/null")),
            lambda item: dav.copy("local.txt", item),
            lambda item: dav.move(item, "x"),
            lambda item: list(dav.walk(item)),
        ):
            for item in foreign:
                with pytest.raises(CrossOriginHrefError) as info:
                    call(item)
                assert isinstance(info.value, requests.RequestException)
                assert "s3cret" not in str(info.value)
    assert other.connections == 0 and other.received == b""


@pytest.mark.parametrize("method", ["download", "options"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_not_followed(
    pair: Tuple[HostileServer, Recorder], method: str, status: int
) -> None:
    server, other = pair

    def respond(handler: Handler) -> None:
        if handler.path.startswith("/dav/moved"):
            send(handler, status, {"Location": "/dav/here"}, b"")  # same origin: followed
        elif handler.path.startswith("/dav/here"):
            send(handler, status, {"Location": f"{other.url}away"}, b"")
        else:
            send(handler, 200, {}, b"ok")

    server.respond = respond  # type: ignore[assignment]
    with _session(server) as dav, pytest.raises(CrossOriginHrefError, match="Location"):
        if method == "download":
            dav.download("moved", Path("/dev/null"))
        else:
            dav.options("moved")
    assert [path for _m, path, _h in server.requests] == ["/dav/moved", "/dav/here"]
    assert other.connections == 0 and other.received == b""


# -- point 6: bounded reads -----------------------------------------------------------------


def _endless_listing(handler: Handler) -> None:
    head = b'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">'
    send_chunked(handler, 207, XML, endless(response("/dav/x").encode() * 64, head))


@pytest.mark.timeout(60)
def test_an_endless_chunked_listing_stops_at_max_response_bytes(
    pair: Tuple[HostileServer, Recorder],
) -> None:
    server, _ = pair
    server.respond = _endless_listing
    with DAVSession(server.url + "dav/", max_response_bytes=1 << 20) as dav:
        for call in (
            lambda: dav.propfind("", depth=1),
            lambda: dav.info(""),
            lambda: dav.exists(""),
        ):
            with pytest.raises(ResponseTooLargeError) as info:
                call()
            assert info.value.limit == 1 << 20
            assert "max_response_bytes" in str(info.value)
        with pytest.raises(ResponseTooLargeError):
            dav.report("", b'<D:sync-collection xmlns:D="DAV:"/>', max_response_bytes=4096)
        with pytest.raises(ResponseTooLargeError):
            dav.sync_collection("", max_response_bytes=4096)
    with DAVSession(server.url + "dav/") as dav, pytest.raises(ResponseTooLargeError) as info:
        dav.propfind("", depth=1)  # the default: 64 MiB
    assert info.value.limit == 64 << 20


@pytest.mark.timeout(60)
def test_an_endless_error_body_is_cut_and_the_status_error_raised(
    pair: Tuple[HostileServer, Recorder],
) -> None:
    server, _ = pair

    def respond(handler: Handler) -> None:
        send_chunked(handler, 403, XML, endless(b" " * 65536, b'<D:error xmlns:D="DAV:">'))

    server.respond = respond  # type: ignore[assignment]
    with DAVSession(server.url + "dav/") as dav:
        for call in (
            lambda: dav.propfind(""),
            lambda: dav.iter_propfind(""),
            lambda: dav.mkcol("x"),
        ):
            with pytest.raises(ForbiddenError) as info:
                call()
            assert info.value.response is not None
            assert len(info.value.response.content) <= 1 << 20


def test_a_download_is_not_limited(pair: Tuple[HostileServer, Recorder], tmp_path: Path) -> None:
    server, _ = pair
    data = bytes(range(256)) * 8192  # 2 MiB
    server.respond = lambda handler: send(handler, 200, {}, data)  # type: ignore[assignment]
    with DAVSession(server.url + "dav/", max_response_bytes=1 << 16) as dav:
        assert dav.download("big", tmp_path / "big") == len(data)
    assert (tmp_path / "big").read_bytes() == data


CLIENT = textwrap.dedent(
    """
    import json, resource, sys, time
    from requests_dav import DAVSession

    def rss_kib(field):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])

    # a hard ceiling, so that a regression fails here instead of taking the machine down
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    dav = DAVSession(sys.argv[1])
    dav.options("")  # warm up: imports, the connection pool
    before = rss_kib("VmRSS:")
    start = time.monotonic()
    try:
        dav.propfind("", depth=1)
        outcome = "returned"
    except Exception as exc:
        outcome = type(exc).__name__
    print(json.dumps({"outcome": outcome, "seconds": time.monotonic() - start,
                      "growth_mib": (rss_kib("VmHWM:") - before) / 1024}))
    """
)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("body", ["gzip-bomb", "endless-chunked"])
def test_a_bomb_or_an_endless_body_ends_with_less_than_512_mib_growth(
    pair: Tuple[HostileServer, Recorder], body: str
) -> None:
    server, _ = pair
    bomb = gzip_bomb(10)
    assert len(bomb) < 32 << 10  # about 24 KiB inflating to 10 GiB

    def respond(handler: Handler) -> None:
        if handler.command == "OPTIONS":
            send(handler, 200, {"DAV": "1"}, b"")
        elif body == "gzip-bomb":
            send(handler, 207, {**XML, "Content-Encoding": "gzip, gzip"}, bomb)
        else:
            _endless_listing(handler)

    server.respond = respond  # type: ignore[assignment]
    run = subprocess.run(
        [sys.executable, "-c", CLIENT, server.url + "dav/"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["outcome"] == "ResponseTooLargeError"
    assert result["growth_mib"] < 512
