"""Digest algorithms (RFC 7616 section 6.1; SHA-512/256 of FIPS 180-4).

MD5, SHA-256 and SHA-512-256, each with its ``-sess`` variant (RFC 7616 section 3.4.2).
``rank`` orders them for choosing among offered challenges (SHA-512-256 > SHA-256 > MD5, each
``-sess`` just below its base); ``grade`` says how strong they are for the no-downgrade rule
(a ``-sess`` variant is as strong as its base). When OpenSSL lacks SHA-512/256, a pure-Python
implementation is used.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from ..challenge import Challenge

__all__ = ["ALGORITHMS", "Algorithm", "HashFactory", "PureSHA512_256", "algorithm_of"]

HashFactory = Callable[[], Any]
"""A zero-argument constructor of a hashlib-style object (``update``, ``hexdigest``)."""


# -- SHA-512/256 (FIPS 180-4 section 5.3.6.2, section 6.7) ---------------------------------------


def _integer_root(value: int, power: int) -> int:
    """floor(value ** (1 / power)) for a non-negative integer, by Newton's method."""
    if value < 2:
        return value
    guess = 1 << ((value.bit_length() + power - 1) // power)
    while True:
        better = ((power - 1) * guess + value // guess ** (power - 1)) // power
        if better >= guess:
            return guess
        guess = better


def _first_primes(count: int) -> List[int]:
    primes: List[int] = []
    candidate = 2
    while len(primes) < count:
        if all(candidate % p for p in primes if p * p <= candidate):
            primes.append(candidate)
        candidate += 1
    return primes


_MASK64 = (1 << 64) - 1
# FIPS 180-4 section 4.2.3: the first 64 bits of the fractional parts of the cube roots of
# the first eighty primes.
_SHA512_K: Tuple[int, ...] = tuple(_integer_root(p << 192, 3) & _MASK64 for p in _first_primes(80))
# FIPS 180-4 section 5.3.6.2: the initial hash value of SHA-512/256.
_SHA512_256_IV: Tuple[int, ...] = (
    0x22312194FC2BF72C,
    0x9F555FA3C84C64C2,
    0x2393B86B6F53B151,
    0x963877195940EABD,
    0x96283EE2A88EFFE3,
    0xBE5E1E2553863992,
    0x2B0199FC2C85B8AA,
    0x0EB72DDC81C52CA2,
)


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (64 - n))) & _MASK64


class PureSHA512_256:
    """SHA-512/256 in pure Python (FIPS 180-4 sections 6.4 and 6.7).

    Used only when :func:`hashlib.new` has no ``sha512_256`` (OpenSSL builds
    without it). hashlib cannot start SHA-512 from other initial values, so the
    compression function is written out here; it is slow but exact.
    """

    name = "sha512_256"
    digest_size = 32
    block_size = 128

    def __init__(self, data: bytes = b"") -> None:
        self._state = list(_SHA512_256_IV)
        self._pending = b""
        self._length = 0
        if data:
            self.update(data)

    def update(self, data: bytes) -> None:
        """Feed more message bytes."""
        self._length += len(data)
        pending = self._pending + bytes(data)
        whole = len(pending) - len(pending) % 128
        for offset in range(0, whole, 128):
            self._compress(pending[offset : offset + 128])
        self._pending = pending[whole:]

    def copy(self) -> PureSHA512_256:
        """An independent copy of the current state."""
        other = PureSHA512_256()
        other._state = list(self._state)
        other._pending = self._pending
        other._length = self._length
        return other

    def digest(self) -> bytes:
        """The 32-byte digest of the bytes fed so far (the object stays usable)."""
        tail = self._pending + b"\x80"
        tail += b"\x00" * ((112 - len(tail)) % 128)
        tail += (self._length * 8).to_bytes(16, "big")
        state = list(self._state)
        for offset in range(0, len(tail), 128):
            state = self._rounds(state, tail[offset : offset + 128])
        return b"".join(word.to_bytes(8, "big") for word in state)[: self.digest_size]

    def hexdigest(self) -> str:
        """The digest as lower-case hex."""
        return self.digest().hex()

    def _compress(self, block: bytes) -> None:
        self._state = self._rounds(self._state, block)

    @staticmethod
    def _rounds(state: List[int], block: bytes) -> List[int]:
        w = list(struct.unpack(">16Q", block))
        for t in range(16, 80):
            s0 = _rotr(w[t - 15], 1) ^ _rotr(w[t - 15], 8) ^ (w[t - 15] >> 7)
            s1 = _rotr(w[t - 2], 19) ^ _rotr(w[t - 2], 61) ^ (w[t - 2] >> 6)
            w.append((w[t - 16] + s0 + w[t - 7] + s1) & _MASK64)
        a, b, c, d, e, f, g, h = state
        for t in range(80):
            t1 = (
                h
                + (_rotr(e, 14) ^ _rotr(e, 18) ^ _rotr(e, 41))
                + ((e & f) ^ (~e & g))
                + _SHA512_K[t]
                + w[t]
            ) & _MASK64
            t2 = ((_rotr(a, 28) ^ _rotr(a, 34) ^ _rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c))) & (
                _MASK64
            )
            h, g, f, e, d, c, b, a = g, f, e, (d + t1) & _MASK64, c, b, a, (t1 + t2) & _MASK64
        return [(x + y) & _MASK64 for x, y in zip(state, (a, b, c, d, e, f, g, h))]


def _openssl_sha512_256(data: bytes = b"") -> Any:
    """hashlib's SHA-512/256 object, fed ``data``."""
    return hashlib.new("sha512_256", data)


def _sha512_256_factory() -> Callable[..., Any]:
    """hashlib's SHA-512/256 when OpenSSL provides it, else :class:`PureSHA512_256`.

    Either is called with no argument or with the first data.
    """
    try:
        hashlib.new("sha512_256")
    except ValueError:
        return PureSHA512_256
    return _openssl_sha512_256


# -- algorithms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Algorithm:
    """One Digest algorithm (RFC 7616 section 6.1 registry)."""

    name: str  # canonical spelling, e.g. "SHA-256-sess"
    factory: HashFactory
    sess: bool
    rank: int
    grade: int = 0  # strength for the no-downgrade rule: a -sess variant equals its base
    #: ``factory`` taking the data (as hashlib's constructors do): one call fewer per hash
    new: Optional[Callable[[bytes], Any]] = field(default=None, compare=False, repr=False)

    def hash(self, data: bytes) -> str:
        """``H(data)``: the lower-case hex digest."""
        if self.new is not None:
            hexdigest: str = self.new(data).hexdigest()
            return hexdigest
        hasher = self.factory()
        hasher.update(data)
        digest: str = hasher.hexdigest()
        return digest


def _make_algorithms() -> Dict[str, Algorithm]:
    # each factory here also takes the data (hashlib's constructors, PureSHA512_256)
    bases: Sequence[Tuple[str, Callable[..., Any], int]] = (
        # MD5 is what the server demands here, not our choice: allowed even under FIPS policy
        ("MD5", functools.partial(hashlib.md5, usedforsecurity=False), 100),
        ("SHA-256", hashlib.sha256, 200),
        ("SHA-512-256", _sha512_256_factory(), 300),
    )
    table: Dict[str, Algorithm] = {}
    for name, factory, rank in bases:
        table[name.lower()] = Algorithm(name, factory, False, rank, rank, new=factory)
        # The -sess variant is preferred right below its base: no stronger, one more round trip
        # of state; it is as strong as its base.
        table[f"{name}-sess".lower()] = Algorithm(
            f"{name}-sess", factory, True, rank - 5, rank, new=factory
        )
    return table


#: The supported algorithms, keyed by lower-cased name (RFC 7616 section 3.3 compares them
#: case-insensitively).
ALGORITHMS: Mapping[str, Algorithm] = _make_algorithms()


def algorithm_of(challenge: Challenge) -> Optional[Algorithm]:
    """The algorithm a challenge names (absent: MD5), or None when it is not supported."""
    name = challenge.get("algorithm")
    if name is None:
        return ALGORITHMS["md5"]
    return ALGORITHMS.get(name.strip().lower())
