"""Challenge parsing scales linearly with header length (no quadratic or worse regex paths).

A hostile server controls ``WWW-Authenticate``; parsing it must stay linear
(RFC 7235 section 4.1 lets one field carry any number of challenges). For each
adversarial shape this parses an input of size n and one of size 20n, three
times each, and prints the best times and their ratio: linear is about 20x,
quadratic about 400x.

Run: ``python benchmarks/bench_challenge_scaling.py [--n 2000]``
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Callable, List, Tuple

from requests_dav.auth.challenge import parse_challenges
from requests_dav.auth.errors import ChallengeParseError

SHAPES: List[Tuple[str, Callable[[int], str]]] = [
    (
        "many Digest challenges",
        lambda n: ", ".join(f'Digest realm="r{i}", nonce="{i}"' for i in range(n)),
    ),
    ("many parameters", lambda n: "Basic realm=x, " + ", ".join(f"p{i}=v" for i in range(n))),
    ("quoted-pairs, unterminated", lambda n: 'Basic realm="' + "\\a" * (n * 5)),
    ("long unterminated string", lambda n: 'Basic realm="' + "a" * (n * 10)),
    ("empty list elements", lambda n: "Basic " + "," * (n * 10) + "@"),
    ("token68 ambiguity", lambda n: "Foo " + "a" * (n * 10) + "=" * (n * 10) + "b"),
]


def best_time(text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(ChallengeParseError):
            parse_challenges(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="base size (default 2000)")
    args = parser.parse_args()
    print(f"{'shape':<28} {'n (ms)':>9} {'20n (ms)':>9} {'ratio':>7}  (linear ~20, quadratic ~400)")
    for name, make in SHAPES:
        small, large = best_time(make(args.n)), best_time(make(args.n * 20))
        ratio = large / max(small, 1e-9)
        print(f"{name:<28} {small * 1e3:>9.2f} {large * 1e3:>9.2f} {ratio:>7.1f}")


if __name__ == "__main__":
    main()
