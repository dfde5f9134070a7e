"""Every WebDAV parser of server data scales linearly with its input (issue 11, point 5).

A hostile server controls every byte of a 207 body, an error body, an href, a status line,
a property value and a lock ``Timeout``. For each adversarial shape this parses an input
of size n and one of size 20n, three times each, and prints the best times and their
ratio: linear is about 20, quadratic about 400. The challenge parsers (``WWW-Authenticate``
and friends) are in ``bench_challenge_scaling.py``.

Run: ``python benchmarks/bench_parser_scaling.py [--n 2000 | --quick] [--only href,...]``
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from typing import Any, Callable, List, Optional, Tuple

from requests_dav.dav import hrefs, locks, properties
from requests_dav.dav.capabilities import Capabilities
from requests_dav.dav.multistatus import parse_error_body, parse_multistatus
from requests_dav.dav.xmlsafe import MultiStatusParseError, available_backends, iterparse_children

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_machine, print_table

BASE = "http://dav.example/dav/"


def _ms(inner: str) -> bytes:
    return (
        '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">' + inner + "</D:multistatus>"
    ).encode()


def _one(props: str, status: str = "HTTP/1.1 200 OK") -> bytes:
    return _ms(
        f"<D:response><D:href>/dav/a</D:href><D:propstat><D:prop>{props}</D:prop>"
        f"<D:status>{status}</D:status></D:propstat></D:response>"
    )


def _listing(
    backend: str, read: Callable[[Any], Any] = lambda r: r.props
) -> Callable[[bytes], Any]:
    def run(body: bytes) -> Any:
        for response in parse_multistatus(body, BASE, backend=backend):
            for name in read(response):
                response.props.raw(name)

    return run


def _file(i: int) -> str:
    return (
        f"<D:response><D:href>/dav/f{i}.txt</D:href><D:propstat><D:prop>"
        f"<D:getcontentlength>{i}</D:getcontentlength>"
        "<D:getlastmodified>Mon, 12 Jan 1998 09:25:56 GMT</D:getlastmodified>"
        "<D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status>"
        "</D:propstat></D:response>"
    )


def _activelock(i: int) -> str:
    return (
        "<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:shared/>"
        f"</D:lockscope><D:depth>0</D:depth><D:timeout>Second-{i}</D:timeout>"
        f"<D:locktoken><D:href>urn:uuid:{i}</D:href></D:locktoken></D:activelock>"
    )


def _typed(response: Any) -> List[str]:
    for name in response.props:
        response.props[name]  # the typed value
    return []


Shape = Tuple[str, str, Callable[[int], Any], Callable[[Any], Any]]


def shapes() -> List[Shape]:
    """(parser, shape, make input of size ~n, parse it)."""
    out: List[Shape] = [
        (
            "href",
            "dot segments a/../",
            lambda n: "/" + "a/" * (n * 5) + "../" * (n * 5),
            lambda h: hrefs.resolve_href(h, BASE),
        ),
        (
            "href",
            "relative ../ climbing",
            lambda n: "../" * (n * 10) + "x",
            lambda h: hrefs.resolve_href(h, BASE),
        ),
        (
            "href",
            "escapes to decode",
            lambda n: "/dav/" + "%C3%BC%2F" * (n * 2),
            lambda h: hrefs.href_to_path(h, BASE),
        ),
        (
            "href",
            "raw bytes to encode",
            lambda n: "/dav/" + " ü%" * (n * 3),
            lambda h: hrefs.resolve_href(h, BASE),
        ),
        (
            "href",
            "empty segments //",
            lambda n: "/" + "a//./" * (n * 2),
            lambda h: hrefs.url_path(hrefs.resolve_href(h, BASE)),
        ),
        (
            "capabilities",
            "DAV and Allow lists",
            lambda n: {"DAV": "1, 2, " * n + "<http://x/>", "Allow": "GET, " * n},
            lambda h: Capabilities.from_headers(h, 200),
        ),
        (
            "lock Timeout",
            "long header list",
            lambda n: "Second-x, " * (n * 2) + "Second-5",
            locks.parse_timeout,
        ),
        (
            "lock Timeout",
            "long property list",
            lambda n: "Second-x, " * (n * 2) + "Second-5",
            properties.parse_timeout,
        ),
        (
            "properties",
            "getcontentlength digits",
            lambda n: "9" * (n * 10),
            lambda v: properties.convert(properties.GETCONTENTLENGTH, v),
        ),
        (
            "properties",
            "getlastmodified junk",
            lambda n: "Mon, " * (n * 2),
            lambda v: properties.convert(properties.GETLASTMODIFIED, v),
        ),
    ]
    for backend in available_backends():
        out += [
            (
                f"multistatus {backend}",
                "status: inner whitespace",
                lambda n: _one("<D:x/>", "HTTP/1.1 404 a" + " " * (n * 10) + "b"),
                _listing(backend),
            ),
            (
                f"multistatus {backend}",
                "many responses",
                lambda n: _ms("".join(_file(i) for i in range(n // 4))),
                _listing(backend, _typed),
            ),
            (
                f"multistatus {backend}",
                "many propstats",
                lambda n: _ms(
                    "<D:response><D:href>/a</D:href>" + "<D:propstat><D:prop><D:x/></D:prop>"
                    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>" * n + "</D:response>"
                ),
                _listing(backend, _typed),
            ),
            (
                f"multistatus {backend}",
                "many hrefs in one response",
                lambda n: _ms(
                    "<D:response>"
                    + "".join(f"<D:href>/dav/{i}</D:href>" for i in range(n))
                    + "<D:status>HTTP/1.1 404 x</D:status></D:response>"
                ),
                _listing(backend),
            ),
            (
                f"multistatus {backend}",
                "attributes of one property",
                lambda n: _one("<D:x " + " ".join(f'a{i}="v"' for i in range(n)) + "/>"),
                _listing(backend),
            ),
            (
                f"multistatus {backend}",
                "children of one property",
                lambda n: _one("<D:x>" + "<D:y>t</D:y>text" * n + "</D:x>"),
                _listing(backend),
            ),
            (
                f"multistatus {backend}",
                "one long text node",
                lambda n: _one("<D:displayname>" + "t&amp;" * (n * 2) + "</D:displayname>"),
                _listing(backend, _typed),
            ),
            (
                f"properties {backend}",
                "lockdiscovery entries",
                lambda n: _one(
                    "<D:lockdiscovery>"
                    + "".join(_activelock(i) for i in range(n // 4))
                    + "</D:lockdiscovery>"
                ),
                _listing(backend, _typed),
            ),
            (
                f"properties {backend}",
                "resourcetype children",
                lambda n: _one(
                    "<D:resourcetype>"
                    + "".join(f"<D:t{i}/>" for i in range(n))
                    + "</D:resourcetype>"
                ),
                _listing(backend, _typed),
            ),
            (
                f"error body {backend}",
                "repeated condition",
                lambda n: b'<D:error xmlns:D="DAV:">' + b"<D:x/>" * (n * 2) + b"</D:error>",
                lambda body, b=backend: parse_error_body(body, backend=b),
            ),
            (
                f"error body {backend}",
                "distinct conditions with hrefs",
                lambda n: (
                    '<D:error xmlns:D="DAV:">'
                    + "".join(f"<D:c{i}><D:href>/{i}</D:href></D:c{i}>" for i in range(n))
                    + "</D:error>"
                ).encode(),
                lambda body, b=backend: parse_error_body(body, backend=b),
            ),
            (
                f"xmlsafe {backend}",
                "long prolog of comments",
                lambda n: b"<!-- c -->" * min(n, 6000) + b"<r/>",
                lambda body, b=backend: list(iterparse_children([body], root_tag=None, backend=b)),
            ),
            (
                f"xmlsafe {backend}",
                "comments and CDATA everywhere",
                lambda n: [
                    b"<r>" + b"<a>x<![CDATA[<y>]]></a><!-- <c> -->" * n + b"</r>",
                ],
                lambda chunks, b=backend: list(
                    iterparse_children(chunks, root_tag=None, backend=b)
                ),
            ),
            (
                f"xmlsafe {backend}",
                "one long attribute, 1 KiB chunks",
                lambda n: [b'<r><a x="'] + [b"v" * 1024] * (n // 10) + [b'"/></r>'],
                lambda chunks, b=backend: list(
                    iterparse_children(chunks, root_tag=None, backend=b)
                ),
            ),
        ]
    return out


def best_time(parse: Callable[[Any], Any], value: Any, repeat: int = 3) -> float:
    """The best of ``repeat`` CPU times, the garbage collector paused as :mod:`timeit` does
    (its full collections scale with every object alive, not with the parser)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            with contextlib.suppress(MultiStatusParseError):
                parse(value)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="base size (default 2000)")
    parser.add_argument("--quick", action="store_true", help="base size 400 unless --n")
    parser.add_argument("--only", default="", help="comma-separated parser names to run")
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = 400 if args.quick else 2000
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    print_machine()
    rows = []
    for name, shape, make, parse in shapes():
        if only and not any(name.startswith(w) for w in only):
            continue
        small, large = make(args.n), make(args.n * 20)
        t_small, t_large = best_time(parse, small), best_time(parse, large)
        rows.append((name, shape, t_small * 1e3, t_large * 1e3, t_large / max(t_small, 1e-9)))
    print_table(
        f"Parser scaling: n = {args.n:,} and 20n",
        ["parser", "shape", "n (ms)", "20n (ms)", "ratio"],
        rows,
        ["linear ~20, quadratic ~400; best CPU time of 3 runs each, garbage collector paused"],
    )


if __name__ == "__main__":
    main()
