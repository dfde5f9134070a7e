"""The requests-dav side of ``bench_tree.py``: one tree transfer, in a process of its own.

    python benchmarks/_tree_child.py up|down URL LOCAL JOBS

It imports nothing but requests-dav, so that its start costs what a script's does (the
benchmark's own modules pull in argparse, subprocess and the test bed), and prints the
transfer's own seconds for the benchmark to read.
"""

import sys
import time

from requests_dav import DAVSession


def transfer(direction: str, url: str, local: str, jobs: int) -> float:
    """``upload_tree`` (``up``) or ``download_tree`` (``down``) with ``workers=jobs``; seconds."""
    start = time.perf_counter()
    with DAVSession(url, pool_maxsize=max(10, jobs)) as dav:
        if direction == "up":
            result = dav.upload_tree(local, "", workers=jobs)
        else:
            result = dav.download_tree("", local, workers=jobs)
    result.raise_for_failures()
    return time.perf_counter() - start


if __name__ == "__main__":
    direction, url, local, jobs = sys.argv[1:5]
    print(f"transfer {transfer(direction, url, local, int(jobs)):.6f}")
