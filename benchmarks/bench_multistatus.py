"""Benchmark the multistatus parser (RFC 4918 section 13) against an expat floor and xmltodict.

Run ``python benchmarks/bench_multistatus.py [--sizes 1000,10000,100000]``.
For each size an Apache mod_dav_fs-style Depth 1 ``allprop`` PROPFIND body is
generated once and written to a temporary file; every case then runs in its
own subprocess on the same bytes, so memory peaks do not mix:

``expat-floor``
    pyexpat with no-op start, end and character-data handlers: the cost of
    merely seeing every element from Python.
``lxml`` / ``stdlib``
    :func:`requests_dav.dav.multistatus.iter_multistatus` over 64 KiB chunks,
    consuming every response, with the backend forced.
``lxml+props`` / ``stdlib+props``
    The same, also reading each response's path, size, date and type.
``xmltodict``
    ``xmltodict.parse`` of the whole document.
``xmltodict-stream``
    xmltodict's streaming mode (``item_depth=2``) over the same chunks.

The table gives the run with the least CPU time out of ``--repeat`` (CPU
time, not wall time, so that other processes on a shared machine disturb
the figures less; the wall time of that run is shown too), responses/s and
MB/s from that CPU time, the throughput relative to the expat floor, and the
peak memory growth: the rise of the process's peak RSS over its RSS before
parsing (it includes what C libraries such as libxml2 allocate; the peak is
reset through ``/proc/self/clear_refs`` first), and with ``--tracemalloc``
also the Python-level peak, measured in a separate run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List

CHUNK = 65536
BASE_URL = "http://127.0.0.1:8080/dav/listing/"
CASES = (
    "expat-floor",
    "lxml",
    "stdlib",
    "lxml+props",
    "stdlib+props",
    "xmltodict",
    "xmltodict-stream",
    "webdavclient3",
    "caldav",
    "webdav4",
)

_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:" xmlns:ns0="DAV:">\n'
_SUPPORTEDLOCK = (
    "<D:supportedlock>\n"
    "<D:lockentry>\n<D:lockscope><D:exclusive/></D:lockscope>\n"
    "<D:locktype><D:write/></D:locktype>\n</D:lockentry>\n"
    "<D:lockentry>\n<D:lockscope><D:shared/></D:lockscope>\n"
    "<D:locktype><D:write/></D:locktype>\n</D:lockentry>\n"
    "</D:supportedlock>\n"
    "<D:lockdiscovery/>\n"
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _response(href: str, collection: bool, size: int, etag: str, day: int) -> str:
    date = f"{_DAYS[day % 7]}, {1 + day % 28:02d} Jan 2024 10:{day % 60:02d}:00 GMT"
    created = f"2024-01-{1 + day % 28:02d}T10:{day % 60:02d}:00Z"
    if collection:
        body = (
            "<lp1:resourcetype><D:collection/></lp1:resourcetype>\n"
            f"<lp1:creationdate>{created}</lp1:creationdate>\n"
            f"<lp1:getlastmodified>{date}</lp1:getlastmodified>\n"
            f'<lp1:getetag>"{etag}"</lp1:getetag>\n'
            + _SUPPORTEDLOCK
            + "<D:getcontenttype>httpd/unix-directory</D:getcontenttype>\n"
        )
    else:
        body = (
            "<lp1:resourcetype/>\n"
            f"<lp1:creationdate>{created}</lp1:creationdate>\n"
            f"<lp1:getcontentlength>{size}</lp1:getcontentlength>\n"
            f"<lp1:getlastmodified>{date}</lp1:getlastmodified>\n"
            f'<lp1:getetag>"{etag}"</lp1:getetag>\n'
            "<lp2:executable>F</lp2:executable>\n"
            + _SUPPORTEDLOCK
            + "<D:getcontenttype>text/plain</D:getcontenttype>\n"
        )
    return (
        '<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">\n'
        f"<D:href>{href}</D:href>\n"
        "<D:propstat>\n<D:prop>\n"
        f"{body}"
        "</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n"
        "</D:response>\n"
    )


def generate_apache(count: int, seed: int = 4918) -> bytes:
    """An Apache-style Depth 1 allprop listing with ``count`` responses (the collection first)."""
    rnd = random.Random(seed)
    parts = [_HEAD, _response("/dav/listing/", True, 0, "1000-5f0e1d2c3b4a5", 0)]
    for i in range(1, count):
        collection = i % 20 == 0
        name = f"dir%20{i:06d}/" if collection else f"report%20{i:06d}%20caf%C3%A9.txt"
        etag = f"{rnd.randrange(1 << 24):x}-{rnd.randrange(1 << 52):x}"
        parts.append(_response("/dav/listing/" + name, collection, rnd.randrange(10**8), etag, i))
    parts.append("</D:multistatus>\n")
    return "".join(parts).encode("utf-8")


_NC_HEAD = (
    '<?xml version="1.0"?>\n<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"'
    ' xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">'
)
_NC_BASE = "/remote.php/dav/files/alice/Photos/"
_NC_TYPES = ("image/jpeg", "text/plain", "application/pdf", "video/mp4")
_NC_NAMES = (
    "caf%C3%A9",
    "%E6%97%A5%E8%A8%98",
    "r%C3%A9sum%C3%A9%20final",
    "%D0%BE%D1%82%D1%87%D0%B5%D1%82",
)


def _nc_response(href: str, collection: bool, size: int, etag: str, day: int, fileid: int) -> str:
    date = f"{_DAYS[day % 7]}, {1 + day % 28:02d} Mar 2025 {day % 24:02d}:{day % 60:02d}:17 GMT"
    if collection:
        props = (
            f"<d:getlastmodified>{date}</d:getlastmodified>"
            "<d:resourcetype><d:collection/></d:resourcetype>"
            f"<d:getetag>&quot;{etag}&quot;</d:getetag>"
            f"<d:quota-used-bytes>{size}</d:quota-used-bytes>"
        )
        missing = "<d:getcontentlength/><d:getcontenttype/>"
    else:
        props = (
            f"<d:getlastmodified>{date}</d:getlastmodified>"
            f"<d:getcontentlength>{size}</d:getcontentlength>"
            "<d:resourcetype/>"
            f"<d:getetag>&quot;{etag}&quot;</d:getetag>"
            f"<d:getcontenttype>{_NC_TYPES[day % len(_NC_TYPES)]}</d:getcontenttype>"
        )
        missing = "<d:quota-used-bytes/>"
    return (
        f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}"
        f"<oc:id>{fileid:08d}ocnca1b2c3d4</oc:id>"
        f"<oc:fileid>{fileid}</oc:fileid><oc:permissions>RGDNVW</oc:permissions>"
        f"<oc:size>{size}</oc:size></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
        f"<d:propstat><d:prop>{missing}</d:prop>"
        "<d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response>"
    )


def generate_nextcloud(count: int, seed: int = 4918) -> bytes:
    """A Nextcloud-style Depth 1 listing (``d:``/``oc:`` prefixes, one 404 propstat each)."""
    rnd = random.Random(seed)
    parts = [_NC_HEAD, _nc_response(_NC_BASE, True, 10**9, f"{rnd.getrandbits(52):x}", 0, 1)]
    for i in range(1, count):
        collection = i % 25 == 0
        stem = f"{_NC_NAMES[i % len(_NC_NAMES)]}%20{i:06d}"
        name = stem + "/" if collection else stem + ".jpg"
        etag = f"{rnd.getrandbits(52):x}"
        parts.append(
            _nc_response(_NC_BASE + name, collection, rnd.randrange(10**8), etag, i, 1000 + i)
        )
    parts.append("</d:multistatus>\n")
    return "".join(parts).encode("utf-8")


SHAPES: Dict[str, Callable[[int], bytes]] = {
    "nextcloud": generate_nextcloud,
    "apache": generate_apache,
}
BASES = {"nextcloud": "http://127.0.0.1:8080" + _NC_BASE, "apache": BASE_URL}
generate = generate_apache


# ---------------------------------------------------------------------------
# Cases (run inside a worker process)


def _chunks(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]


def _expat_floor(data: bytes, _base_url: str) -> int:
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")

    def start(_name: str, _attrs: Any) -> None:
        pass

    def end(_name: str) -> None:
        pass

    def chars(_data: str) -> None:
        pass

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    for chunk in _chunks(data):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return -1


def _ours(backend: str, props: bool) -> Callable[[bytes, str], int]:
    def run(data: bytes, base_url: str) -> int:
        from requests_dav.dav.multistatus import iter_multistatus

        count = 0
        for response in iter_multistatus(_chunks(data), base_url, backend=backend):
            count += 1
            if props:  # the five a listing is read for
                _ = (response.path, response.content_length, response.last_modified)
                _ = (response.is_collection, response.etag)
        return count

    return run


def _webdavclient3(data: bytes, _base_url: str) -> int:
    from webdav3.client import WebDavXmlUtils

    return len(WebDavXmlUtils.parse_get_list_info_response(data))


def _caldav(data: bytes, _base_url: str) -> int:
    import requests
    from caldav.davclient import DAVResponse as CalDAVResponse

    response = requests.Response()
    response.status_code = 207
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response._content = data
    return len(CalDAVResponse(response).find_objects_and_props())


def _webdav4(data: bytes, _base_url: str) -> int:
    from webdav4.multistatus import MultiStatusResponse

    count = 0
    for item in MultiStatusResponse(data.decode("utf-8")).responses.values():
        properties = item.properties
        _ = (properties.content_length, properties.modified, properties.collection)
        _ = properties.etag
        count += 1
    return count


def _xmltodict(data: bytes, _base_url: str) -> int:
    import xmltodict

    document = xmltodict.parse(data)
    root = next(value for key, value in document.items() if key.endswith("multistatus"))
    return len(next(value for key, value in root.items() if key.endswith("response")))


def _xmltodict_stream(data: bytes, _base_url: str) -> int:
    import xmltodict

    count = 0

    def item(_path: Any, _item: Any) -> bool:
        nonlocal count
        count += 1
        return True

    xmltodict.parse(_chunks(data), item_depth=2, item_callback=item)
    return count


_RUNNERS: Dict[str, Callable[[bytes, str], int]] = {
    "expat-floor": _expat_floor,
    "lxml": _ours("lxml", False),
    "stdlib": _ours("stdlib", False),
    "lxml+props": _ours("lxml", True),
    "stdlib+props": _ours("stdlib", True),
    "xmltodict": _xmltodict,
    "xmltodict-stream": _xmltodict_stream,
    "webdavclient3": _webdavclient3,
    "caldav": _caldav,
    "webdav4": _webdav4,
}
#: peers measured only when installed (never project dependencies)
PEERS = {"webdavclient3": "webdav3", "caldav": "caldav", "webdav4": "webdav4"}


_WARM_UP = {shape: make(3) for shape, make in SHAPES.items()}


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> bool:
    try:  # Linux 4.0+: "5" resets the peak RSS (VmHWM) to the current RSS
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _worker(case: str, path: str, shape: str, trace: bool) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    runner = _RUNNERS[case]
    base_url = BASES[shape]
    runner(_WARM_UP[shape], base_url)  # imports and first calls are not measured
    result: Dict[str, Any] = {}
    if trace:
        import tracemalloc

        tracemalloc.start()
        runner(data, base_url)
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        reset = _reset_peak_rss()
        before = _status_kib("VmRSS")
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        wall, cpu = time.perf_counter(), time.process_time()
        count = runner(data, base_url)
        result["cpu"] = time.process_time() - cpu
        result["wall"] = time.perf_counter() - wall
        if reset:
            result["rss_growth"] = (_status_kib("VmHWM") - before) * 1024
        else:  # the peak since start: only growth beyond the earlier peak shows
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            result["rss_growth"] = (peak - max(before, peak_before)) * 1024
        result["count"] = count
    print(json.dumps(result))


def _run(case: str, path: str, shape: str, trace: bool) -> Dict[str, Any]:
    command = [sys.executable, os.path.abspath(__file__), "--worker", case, path, shape]
    if trace:
        command.append("--trace")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _mb(value: float) -> str:
    return f"{value / 1e6:.1f}"


def _installed(case: str) -> bool:
    module = PEERS.get(case)
    if module is None:
        return True
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _shape_table(
    args: argparse.Namespace, shape: str, size: int, cases: List[str], tmp: str
) -> None:
    data = SHAPES[shape](size)
    path = os.path.join(tmp, f"{shape}-{size}.xml")
    with open(path, "wb") as handle:
        handle.write(data)
    print(f"\n{shape}: {size} responses, {_mb(len(data))} MB")
    header = f"{'case':<18}{'CPU s':>8}{'wall s':>8}{'resp/s':>11}{'MB/s':>7}"
    header += f"{'vs floor':>10}"
    header += f"{'RSS growth':>12}" + (f"{'traced':>10}" if args.tracemalloc else "")
    print(header)
    floor = None
    for case in cases:
        runs = [_run(case, path, shape, False) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["cpu"])
        seconds = best["cpu"]
        if case == "expat-floor":
            floor = seconds
        ratio = f"{floor / seconds:.2f}x" if floor else "-"
        line = (
            f"{case:<18}{seconds:>8.2f}{best['wall']:>8.2f}{size / seconds:>11,.0f}"
            f"{len(data) / seconds / 1e6:>7.1f}{ratio:>10}"
            f"{_mb(min(r['rss_growth'] for r in runs)) + ' MB':>12}"
        )
        if args.tracemalloc:
            traced = _run(case, path, shape, True)["traced_peak"]
            line += f"{_mb(traced) + ' MB':>10}"
        print(line, flush=True)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_MULTISTATUS_SIZES", "1000,10000,100000"),
        help="comma-separated counts (default: $BENCH_MULTISTATUS_SIZES or 1000,10000,100000)",
    )
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help=f"comma-separated, of {', '.join(SHAPES)}"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per case (best kept)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also measure the Python-level peak"
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], args.worker[1], args.worker[2], args.trace)
        return 0

    cases = [case for case in args.cases.split(",") if case]
    unknown = set(cases) - set(_RUNNERS)
    shapes = [shape for shape in args.shapes.split(",") if shape]
    if unknown or set(shapes) - set(SHAPES):
        parser.error(f"unknown cases or shapes: {', '.join(sorted(unknown))} {shapes}")
    missing = [case for case in cases if not _installed(case)]
    cases = [case for case in cases if case not in missing]
    if "expat-floor" not in cases:
        cases.insert(0, "expat-floor")
    print(f"Python {sys.version.split()[0]}, chunks of {CHUNK} bytes, best of {args.repeat}")
    if missing:
        print(f"not installed, rows left out: {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in shapes:
            for size in (int(s) for s in args.sizes.split(",") if s):
                _shape_table(args, shape, size, cases, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
