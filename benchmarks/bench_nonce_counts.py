"""Valid Digest credentials under concurrency on a server that checks nonce counts.

Run ``python benchmarks/bench_nonce_counts.py [--threads 8] [--per-thread 25] [--repeat 3]``.

The test bed's Apache (``tests/servers``, started for the run; skipped when ``apache2`` is
not installed) has two Digest shares: ``/digest-nc/`` with ``AuthDigestNcCheck On`` (a count
is accepted only when it is exactly the next one for its ``opaque``) and ``/digest/``
without. ``threads`` threads share one session with an ``AuthAdapter`` and send
``per-thread`` GETs each (N in all). For each share and run the table shows the requests
that failed (a final status other than 200), the requests on Apache's access log, their
ratio to N, and the bound: N + 1 (the physical limit: one challenge) on ``/digest/``, and
the issue's target N + threads + 1 on the count-checking share (the first challenge, then at
most one request per thread for the refusals of counts that were out on the first nonce
together and the challenges drawn for the pool of nonces). Counted on the server's log, so
nothing is estimated.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any, Dict, List

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_machine, print_table, ratio
from bench_roundtrips import start_apache, stop_bed_server

from requests_dav import AuthAdapter, Credentials


def run(server: Any, share: str, threads: int, per_thread: int) -> Dict[str, Any]:
    credentials = Credentials()
    credentials.add(server.base_url + "/", "alice", "s3cret")
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", AuthAdapter(credentials, pool_maxsize=threads))
    url = server.url(share)
    failures: List[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(per_thread):
            try:
                status = session.get(url, timeout=30).status_code
            except requests.RequestException:
                status = -1
            if status != 200:
                with lock:
                    failures.append(status)

    mark = server.mark()
    start = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
    elapsed = time.perf_counter() - start
    session.close()
    total = threads * per_thread
    records = server.requests_since(mark, at_least=total)
    return {
        "failures": len(failures),
        "wire": len(records),
        "challenges": sum(1 for r in records if r.status == 401 and r.authorization is None),
        "refused": sum(1 for r in records if r.status == 401 and r.authorization is not None),
        "s": elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print_machine()
    total = args.threads * args.per_thread
    title = f"Nonce counts: {args.threads} threads x {args.per_thread} GETs (N={total}), Apache"
    server, why = start_apache()
    if server is None:
        print(f"== {title} ==\n  skipped: {why}\n", flush=True)
        return 0
    rows = []
    try:
        for share in ("digest-nc", "digest"):
            for attempt in range(args.repeat):
                r = run(server, share, args.threads, args.per_thread)
                bound = total + args.threads + 1 if share == "digest-nc" else total + 1
                rows.append(
                    [
                        f"/{share}/" + (" (NcCheck On)" if share == "digest-nc" else ""),
                        attempt + 1,
                        r["failures"],
                        r["wire"],
                        ratio(r["wire"], total),
                        r["challenges"],
                        r["refused"],
                        bound,
                        "yes" if r["wire"] <= bound and not r["failures"] else "NO",
                        r["s"],
                    ]
                )
    finally:
        stop_bed_server(server)
    print_table(
        title,
        [
            "share",
            "run",
            "failed",
            "on the wire",
            "/ N",
            "challenges",
            "refused",
            "bound",
            "within bound",
            "s",
        ],
        rows,
        [
            "challenges: 401s to requests without credentials (the first one, and one per "
            "nonce drawn for the pool); refused: 401s to requests with credentials (counts "
            "that arrived out of order before the server showed it checks them)",
            "bound: N + threads + 1 on the count-checking share (the issue's target), N + 1 "
            "elsewhere",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
