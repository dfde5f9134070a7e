"""Run every benchmark in ``benchmarks/`` and print all their tables.

Run ``python benchmarks/run_all.py [--quick] [--rst] [--only NAME,...]``.

Each benchmark runs as its own process, one after the other (so they do not
compete for the CPU), with its output passed through as it comes:
``bench_roundtrips.py``, ``bench_replay_memory.py`` (with the 1 GiB body
unless ``--quick``), ``bench_overhead.py``, then every other
``bench_*.py`` in this directory (``bench_multistatus.py`` with its two
smaller sizes and one run under ``--quick``). ``--quick`` uses smaller sizes and fewer
repetitions (the whole run takes about five minutes on a 2-core machine, most of it
the callgrind glance of ``bench_instructions.py``);
``--rst`` prints the tables as reStructuredText grids for ``docs/``.
The exit status is 1 if any benchmark failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_machine

HERE = os.path.dirname(os.path.abspath(__file__))

#: benchmark -> (arguments for a full run, arguments for --quick)
OWN: Dict[str, tuple[List[str], List[str]]] = {
    "bench_roundtrips.py": (["--requests", "50"], ["--requests", "50"]),
    "bench_replay_memory.py": ([], ["--quick"]),
    "bench_overhead.py": (
        ["--requests", "100", "--repeat", "15", "--auth"],
        ["--requests", "100", "--repeat", "5", "--auth", "--auth-repeat", "3"],
    ),
}


def other_args(path: str, quick: bool) -> List[str]:
    """Arguments for another developer's benchmark: its options are probed, not assumed."""
    if not quick:
        return []
    with open(path, encoding="utf-8") as source:
        text = source.read()
    if '"--quick"' in text:
        return ["--quick"]
    args = []
    if '"--sizes"' in text:  # bench_multistatus.py: the two smaller listings
        args += ["--sizes", "1000,10000"]
    if '"--repeat"' in text:
        args += ["--repeat", "1"]
    return args


def plan(quick: bool, only: Optional[List[str]]) -> List[List[str]]:
    """The command lines to run, in order: ours first, then every other ``bench_*.py``."""
    commands = []
    for name, (full, fast) in OWN.items():
        commands.append([name, "--no-machine", *(fast if quick else full)])
    for name in sorted(os.listdir(HERE)):
        if name.startswith("bench_") and name.endswith(".py") and name not in OWN:
            commands.append([name, *other_args(os.path.join(HERE, name), quick)])
    if only:
        wanted = {n if n.endswith(".py") else f"bench_{n}.py" for n in only}
        wanted |= {n if n.endswith(".py") else f"{n}.py" for n in only}
        commands = [c for c in commands if c[0] in wanted]
    return commands


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about five minutes")
    parser.add_argument("--rst", action="store_true", help="tables as reStructuredText grids")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument(
        "--timeout", type=float, default=0, help="seconds per benchmark (default 300 / 1200)"
    )
    args = parser.parse_args(argv)
    timeout = args.timeout or (300 if args.quick else 1200)
    env = dict(os.environ)
    if args.rst:
        env["BENCH_TABLE_FORMAT"] = "rst"
    print_machine()
    failed = []
    started = time.perf_counter()
    for command in plan(args.quick, [n for n in args.only.split(",") if n]):
        print(f"### {' '.join(command)}", flush=True)
        begin = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, os.path.join(HERE, command[0]), *command[1:]],
                env=env,
                timeout=timeout,
                check=False,
            )
            status = done.returncode
        except subprocess.TimeoutExpired:
            status = -1
            print(f"!!! {command[0]} did not finish within {timeout:.0f} s", flush=True)
        if status != 0:
            failed.append(command[0])
            print(f"!!! {command[0]} failed (exit status {status})", flush=True)
        print(f"### {command[0]}: {time.perf_counter() - begin:.1f} s\n", flush=True)
    print(f"### all benchmarks: {time.perf_counter() - started:.1f} s", flush=True)
    if failed:
        print(f"### failed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
