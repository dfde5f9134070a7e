"""End to end: list a large collection on Apache mod_dav_fs, against the bare fetch.

Run ``python benchmarks/bench_listing.py [--files 10000] [--repeat 3]``.

The test bed's Apache (``tests/servers/apache.py``) is started in a fresh
directory and ``--files`` small files are made in a collection of its open
share. Each client then lists that collection with one Depth 1 PROPFIND,
``--repeat`` times, in turn (so a burst of load on a shared machine hits
every client alike); the table gives the median wall time and the ratio to
the floor that sent the same request body (the ``request`` column):

``curl (the floor)``
    ``curl`` sending the ``allprop`` PROPFIND ``ls()`` sends by default (the
    very body ``DAVSession`` sends) and discarding the 207: the server's
    time and the transfer, no parsing.
``curl, named props (the floor)``
    the same with the PROPFIND ``ls(props=NAMED)`` sends, ``NAMED`` being
    the five properties of a listing (``resourcetype``,
    ``getcontentlength``, ``getlastmodified``, ``getetag``,
    ``getcontenttype``): Apache then skips ``supportedlock`` and
    ``lockdiscovery`` (a lock database lookup) for every member, and the
    body is half the size.
``iter_propfind + 5 props``
    :meth:`DAVSession.iter_propfind`, reading ``path``, ``content_length``,
    ``last_modified``, ``is_collection`` and ``etag`` of every response.
``ls()``
    :meth:`DAVSession.ls`: the members as :class:`DAVResponse` objects.
``ls() + 5 props``
    the same, then the five properties read.
``ls(props=NAMED) + 5 props``
    ``ls()`` asking for the named properties only, then the five read;
    compared with the named-props floor.
``webdavclient3 list(get_info=True)``, ``webdav4 ls(detail=True)``
    the peers, when installed (never dependencies of this project).
``expat no-op parse of the same 207 (CPU)``
    no HTTP at all: the ``allprop`` 207 as curl saved it, parsed by pyexpat with
    no-op Python handlers (``bench_multistatus.py``'s ceiling), the least CPU time
    of ``--repeat`` runs. What any parser that hands each element to Python costs
    before it builds anything: the bound on how close to the floor a listing
    parsed in Python can get.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_machine, print_table
from bench_roundtrips import start_apache, stop_bed_server

from requests_dav import DAVSession
from requests_dav.dav import requestbodies

COLLECTION = "listing"
NAMED = ["resourcetype", "getcontentlength", "getlastmodified", "getetag", "getcontenttype"]


def _populate(root: str, count: int) -> None:
    directory = os.path.join(root, COLLECTION)
    os.makedirs(directory, exist_ok=True)
    for index in range(count):
        name = f"caf\u00e9 report {index:06d}.txt" if index % 3 == 0 else f"file-{index:06d}.bin"
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(b"x" * (index % 97))


def _curl(url: str, body_path: str, save_to: str = os.devnull) -> Callable[[], int]:
    command = [
        "curl", "-sS", "-o", save_to, "-w", "%{http_code}", "-X", "PROPFIND",
        "-H", "Depth: 1", "-H", "Content-Type: application/xml; charset=utf-8",
        "--data-binary", "@" + body_path, url,
    ]  # fmt: skip

    def run() -> int:
        status = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        if status.strip() != "207":
            raise RuntimeError(f"curl got {status!r}")
        return -1

    return run


def _expat_cpu(path: str, repeat: int) -> float:
    """The least CPU time of ``repeat`` no-op pyexpat parses of the file at ``path``."""
    from bench_multistatus import _expat_floor

    with open(path, "rb") as handle:
        data = handle.read()
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.process_time()
        _expat_floor(data, "")
        best = min(best, time.process_time() - start)
    return best


def _five(items: Any) -> int:
    count = 0
    for item in items:
        _ = (item.path, item.content_length, item.last_modified, item.is_collection, item.etag)
        count += 1
    return count


def _ours(url: str, how: str) -> Callable[[], int]:
    session = DAVSession(url)

    def run() -> int:
        if how == "iter_propfind":
            with session.iter_propfind("", depth=1) as stream:
                return _five(stream)
        items = session.ls("", props=NAMED if how == "named+5" else None)
        return _five(items) if how in ("ls+5", "named+5") else len(items)

    return run


def _webdavclient3(url: str) -> Callable[[], int]:
    from webdav3.client import Client

    client = Client({"webdav_hostname": url.rsplit("/" + COLLECTION, 1)[0]})

    def run() -> int:
        return len(client.list(COLLECTION + "/", get_info=True))

    return run


def _webdav4(url: str) -> Callable[[], int]:
    from webdav4.client import Client

    client = Client(url.rsplit("/" + COLLECTION, 1)[0])

    def run() -> int:
        return len(client.ls(COLLECTION, detail=True))

    return run


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10000, help="files in the collection")
    parser.add_argument("--repeat", type=int, default=3, help="listings per client (median)")
    args = parser.parse_args(argv)
    print_machine()
    if shutil.which("curl") is None:
        print("curl is not installed: no floor, nothing measured")
        return 0
    server, why = start_apache()
    if server is None:
        print(f"Apache not available: {why}")
        return 0
    tmp = tempfile.mkdtemp(prefix="requests-dav-bench-listing-")
    try:
        _populate(str(server.root("open")), args.files)
        url = server.url("open", COLLECTION + "/")
        body_path = os.path.join(tmp, "propfind.xml")
        with open(body_path, "wb") as handle:
            handle.write(requestbodies.propfind(None, None))
        named_path = os.path.join(tmp, "propfind-named.xml")
        with open(named_path, "wb") as handle:
            handle.write(requestbodies.propfind(NAMED, None))
        clients: List[Tuple[str, Callable[[], int]]] = [
            ("curl (the floor)", _curl(url, body_path)),
            ("iter_propfind + 5 props", _ours(url, "iter_propfind")),
            ("ls()", _ours(url, "ls")),
            ("ls() + 5 props", _ours(url, "ls+5")),
            ("curl, named props (the floor)", _curl(url, named_path)),
            ("ls(props=NAMED) + 5 props", _ours(url, "named+5")),
        ]
        missing = []
        for label, module, make in (
            ("webdavclient3 list(get_info=True)", "webdav3", _webdavclient3),
            ("webdav4 ls(detail=True)", "webdav4", _webdav4),
        ):
            if _installed(module):
                clients.append((label, make(url)))
            else:
                missing.append(module)
        times: Dict[str, List[float]] = {label: [] for label, _ in clients}
        counts: Dict[str, int] = {}
        for _, run in clients:
            run()  # warm-up: imports, connections, the server's caches
        for _ in range(args.repeat):
            for label, run in clients:
                start = time.perf_counter()
                counts[label] = run()
                times[label].append(time.perf_counter() - start)
        floors = {
            "allprop": statistics.median(times["curl (the floor)"]),
            "named": statistics.median(times["curl, named props (the floor)"]),
        }
        rows = []
        for label, _ in clients:
            median = statistics.median(times[label])
            count = counts[label]
            request = "named" if "named" in label.lower() else "allprop"
            rows.append(
                [
                    label,
                    f"{median:.3f}",
                    f"{median / floors[request]:.2f}x",
                    "-" if count < 0 else f"{count:,}",
                    "its own (vs allprop)" if label.startswith("webdav") else request,
                ]
            )
        saved = os.path.join(tmp, "allprop-207.xml")
        _curl(url, body_path, saved)()
        parse_cpu = _expat_cpu(saved, args.repeat)
        rows.append(
            [
                "expat no-op parse of the same 207 (CPU)",
                f"{parse_cpu:.3f}",
                f"{parse_cpu / floors['allprop']:.2f}x",
                "-",
                "allprop",
            ]
        )
        notes = [f"not installed, rows left out: {', '.join(missing)}"] if missing else []
        print_table(
            f"Listing {args.files:,} files on Apache mod_dav_fs (Depth 1), median of {args.repeat}",
            ["client", "seconds", "vs curl", "entries", "request"],
            rows,
            notes,
        )
    finally:
        stop_bed_server(server)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
