"""Every parser of server data in ``auth/`` scales linearly (no quadratic or worse paths).

A hostile server controls ``WWW-Authenticate`` / ``Proxy-Authenticate`` (RFC 7235 section
4.1 lets one field carry any number of challenges), ``Authentication-Info`` /
``Proxy-Authentication-Info`` (RFC 7615) and the RFC 8187 ``ext-value`` parameters inside
them. For each adversarial shape this parses an input of size n and one of size 20n, three
times each, and prints the best times and their ratio: linear is about 20x, quadratic about
400x. The flow's own reading of a challenge (lenient parsing, choosing a scheme) is measured
too, on a 401 with many lines.

Run: ``python benchmarks/bench_challenge_scaling.py [--n 2000] [--max-ratio 60]``; with
``--max-ratio`` the exit status is 1 when a ratio is above it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import Callable, List, Tuple

from requests_dav.auth.challenge import parse_auth_info, parse_challenges, parse_challenges_lenient
from requests_dav.auth.credentials import Credentials
from requests_dav.auth.errors import ChallengeParseError
from requests_dav.auth.flow import Negotiator
from requests_dav.auth.messages import AuthRequest, AuthResponse
from requests_dav.auth.rfc8187 import ExtValueError, decode_ext_value

Parser = Callable[[str], object]


def _challenges(text: str) -> object:
    return parse_challenges(text)


def _lenient_lines(text: str) -> object:
    return parse_challenges_lenient(text.split("\n"))


def _auth_info(text: str) -> object:
    return parse_auth_info(text)


def _ext_value(text: str) -> object:
    return decode_ext_value(text)


def _flow(text: str) -> object:
    """One 401 with these ``WWW-Authenticate`` lines through the negotiation."""
    credentials = Credentials()
    credentials.add("http://h.example/", "alice", "s3cret")
    flow = Negotiator(credentials).auth_flow(
        AuthRequest(method="GET", url="http://h.example/a", headers={})
    )
    next(flow)
    lines = [("WWW-Authenticate", line) for line in text.split("\n")]
    with contextlib.suppress(StopIteration):
        return flow.send(AuthResponse(401, lines))
    return None


SHAPES: List[Tuple[str, Parser, Callable[[int], str]]] = [
    (
        "many Digest challenges",
        _challenges,
        lambda n: ", ".join(f'Digest realm="r{i}", nonce="{i}"' for i in range(n)),
    ),
    (
        "many parameters",
        _challenges,
        lambda n: "Basic realm=x, " + ", ".join(f"p{i}=v" for i in range(n)),
    ),
    ("quoted-pairs, unterminated", _challenges, lambda n: 'Basic realm="' + "\\a" * n),
    ("long unterminated string", _challenges, lambda n: 'Basic realm="' + "a" * (n * 2)),
    ("empty list elements", _challenges, lambda n: "Basic " + "," * (n * 2) + "@"),
    ("token68 ambiguity", _challenges, lambda n: "Foo " + "a" * (n * 2) + "=" * (n * 2) + "b"),
    ("obs-fold lines", _challenges, lambda n: "Basic realm=x" + ",\r\n a=b" * n),
    ("wide characters", _challenges, lambda n: 'Digest realm="' + "\u20ac" * (n * 2) + '"'),
    (
        "missing commas",
        _challenges,
        lambda n: "Digest " + " ".join(f'p{i}="v"' for i in range(n)),
    ),
    (
        "many lines, one bad each",
        _lenient_lines,
        lambda n: "\n".join('Basic realm="r", x' for _ in range(n)),
    ),
    (
        "Authentication-Info params",
        _auth_info,
        lambda n: ", ".join(f'p{i}="{"v" * 5}"' for i in range(n)),
    ),
    (
        "Authentication-Info unterminated",
        _auth_info,
        lambda n: 'nextnonce="' + "\\x" * n,
    ),
    (
        "Authentication-Info long values",
        _auth_info,
        lambda n: f'rspauth="{"a" * n}", cnonce="{"c" * n}", nc={"1" * n}, qop=auth',
    ),
    (
        "Authentication-Info bad end",
        _auth_info,
        lambda n: ", ".join(f"p{i}=v" for i in range(n)) + ', q="' + "v" * n,
    ),
    (
        "Authentication-Info duplicate",
        _auth_info,
        lambda n: ", ".join(f'p{i}="v"' for i in range(n)) + ", p0=v",
    ),
    ("RFC 8187 long value", _ext_value, lambda n: "UTF-8''" + "%e2%82%ac" * n),
    ("RFC 8187 bad tail", _ext_value, lambda n: "UTF-8''" + "a" * (n * 2) + "%"),
    ("RFC 8187 long language", _ext_value, lambda n: "UTF-8'" + "a-" * n + "'x"),
    (
        "flow: many challenge lines",
        _flow,
        lambda n: "\n".join(f'Digest realm="r{i}", nonce="{i}", qop="auth"' for i in range(n)),
    ),
]


def best_time(parse: Parser, text: str, repeat: int = 3, floor: float = 0.05) -> float:
    """Seconds per call, the best of ``repeat`` batches; a batch repeats the call until it
    has run ``floor`` seconds, so that sub-millisecond inputs are not timer noise."""
    best = float("inf")
    for _ in range(repeat):
        calls = 0
        start = time.perf_counter()
        while True:
            with contextlib.suppress(ChallengeParseError, ExtValueError):
                parse(text)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= floor:
                break
        best = min(best, elapsed / calls)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="base size (default 2000)")
    parser.add_argument(
        "--max-ratio", type=float, default=None, help="fail when a 20n/n ratio is above this"
    )
    args = parser.parse_args()
    print(f"== Parser scaling: n={args.n} and 20n")
    print(f"{'shape':<34} {'n (ms)':>9} {'20n (ms)':>9} {'ratio':>7}  (linear ~20, quadratic ~400)")
    worst = 0.0
    for name, parse, make in SHAPES:
        small, large = best_time(parse, make(args.n)), best_time(parse, make(args.n * 20))
        ratio = large / max(small, 1e-9)
        worst = max(worst, ratio)
        print(f"{name:<34} {small * 1e3:>9.2f} {large * 1e3:>9.2f} {ratio:>7.1f}")
    if args.max_ratio is not None and worst > args.max_ratio:
        print(f"worst ratio {worst:.1f} is above {args.max_ratio}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
