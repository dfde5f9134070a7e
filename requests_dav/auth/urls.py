"""URL normalisation for protection spaces (RFC 7235 section 2.2; RFC 3986 sections 3, 5.2.4, 6.2).

A protection space is keyed by the *canonical root URL* (RFC 7235 section 2.2): scheme, host and
port, all compared after normalisation (RFC 3986 section 6.2.2 and 6.2.3):

* the scheme and host are lower-cased; an IPv6 literal is kept without its brackets; a non-ASCII
  host name is converted to its IDNA (punycode) form the way requests converts the host it
  connects to (IDNA 2008 with UTS #46 mapping, through the ``idna`` package requests depends on;
  Python's IDNA 2003 codec only if that package is missing), so that ``straße.de`` is
  ``xn--strae-oqa.de`` here as on the wire, not IDNA 2003's ``strasse.de``;
* the default port of the scheme (80 for ``http``, 443 for ``https``) is filled in;
* the path has its dot-segments removed (RFC 3986 section 5.2.4), percent-encodings upper-cased
  and percent-encoded unreserved characters decoded (section 6.2.2.2); characters that may not
  appear in a path (non-ASCII, spaces) are percent-encoded as UTF-8; an empty path is ``/``.

Path prefixes match on segment boundaries only (the mistake of bpo-46756, where ``/foo`` matched
``/foobar``): the prefix ``/foo`` covers ``/foo``, ``/foo/`` and ``/foo/x`` but never ``/foobar``.
A prefix ending in ``/`` (``/foo/``) covers ``/foo/x`` and, by convention, ``/foo`` itself: a
client asking for the collection without its trailing slash is in the same space (a WebDAV server
answers ``/foo`` and ``/foo/`` alike). :func:`canonical_prefix` therefore drops one trailing slash,
so ``/foo`` and ``/foo/`` are the same key.

Only ``http`` and ``https`` URLs are protection-space URLs here.

:func:`split_url`, :func:`canonical_prefix` and :func:`join_url` are pure functions of their
string arguments and keep their last results (:data:`CACHE_SIZE` of each): a request into a
known protection space asks the store about the same URL several times (the preemptive lookup,
the floor, what a success teaches), and the normalisation costs more than the lookups.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple
from urllib.parse import quote, urljoin, urlsplit

__all__ = [
    "CACHE_SIZE",
    "DEFAULT_PORTS",
    "Origin",
    "UnsupportedSchemeError",
    "canonical_prefix",
    "idna_host",
    "join_url",
    "normalize_path",
    "path_covers",
    "split_reference",
    "split_url",
    "written_plainly",
]

DEFAULT_PORTS: Dict[str, int] = {"http": 80, "https": 443}
"""The schemes a protection space can belong to, with their default ports (RFC 9110 4.2)."""

CACHE_SIZE = 512
"""How many results :func:`split_url`, :func:`canonical_prefix` and :func:`join_url` keep each."""

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters kept as they are when re-quoting a path: RFC 3986 pchar plus "/" and "%".
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


class UnsupportedSchemeError(ValueError):
    """An absolute URL whose scheme is not one protection spaces exist for (not http/https)."""


@dataclass(frozen=True)
class Origin:
    """The canonical root URL of a protection space (RFC 7235 section 2.2; RFC 6454 section 4).

    ``scheme`` and ``host`` are lower-case, ``port`` is always set (default port filled in),
    an IPv6 literal is stored without brackets.
    """

    scheme: str
    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> Origin:
        """The origin of an absolute ``http``/``https`` URL.

        Raises :class:`ValueError` for a relative URL, an unsupported scheme, a missing host or an
        invalid port. User information in the URL is ignored (and never echoed in a message).
        """
        return split_url(url)[0]

    @property
    def url(self) -> str:
        """``scheme://host:port`` with brackets around an IPv6 literal."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url


def idna_host(host: str) -> str:
    """The ASCII form of a host name: IDNA 2008 with UTS #46 mapping, as requests sends it.

    ASCII names are returned unchanged. Without the ``idna`` package (requests
    depends on it) Python's IDNA 2003 codec is used. A name neither can encode
    is returned as it is; it then matches nothing requests can send to.
    """
    if host.isascii():
        return host
    try:
        encoded = _idna_2008(host)
        return encoded if encoded is not None else host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return host


def _idna_2008(host: str) -> Optional[str]:
    """``host`` through the ``idna`` package (loaded on first use), ``None`` without it."""
    try:
        import idna
    except ImportError:
        return None
    return idna.encode(host, uts46=True).decode("ascii")


def _normalize_host(host: str) -> str:
    return idna_host(host.lower())


def _fix_percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for an absolute path."""
    output: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def normalize_path(path: str) -> str:
    """The normalised form of a URL path (RFC 3986 sections 5.2.4 and 6.2.2); ``""`` -> ``"/"``."""
    if not path:
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    path = quote(path, safe=_PATH_SAFE, encoding="utf-8", errors="strict")
    path = _PCT.sub(_fix_percent, path)
    return _remove_dot_segments(path)


@functools.lru_cache(maxsize=CACHE_SIZE)
def canonical_prefix(path: str) -> str:
    """The key form of a path prefix: normalised, one trailing ``/`` dropped (root stays ``/``)."""
    path = normalize_path(path)
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def path_covers(prefix: str, path: str) -> bool:
    """Whether the canonical ``prefix`` covers the normalised ``path`` on segment boundaries.

    ``prefix`` must come from :func:`canonical_prefix` and ``path`` from :func:`normalize_path`.
    ``/foo`` covers ``/foo``, ``/foo/`` and ``/foo/x``, never ``/foobar``; ``/`` covers all.
    """
    if prefix == "/":
        return True
    return path == prefix or path.startswith(prefix + "/")


def split_url(url: str, *, strict: bool = False) -> Tuple[Origin, str]:
    """Split an absolute URL into its :class:`Origin` and normalised path.

    The query is ignored. With ``strict`` (URLs given to the credential store as keys), a URL
    carrying user information, a query or a fragment is refused too. Every :class:`ValueError`
    message names the URL's origin at most, never its user information.
    """
    if not isinstance(url, str):
        raise TypeError(f"a URL must be a str, not {type(url).__name__}")
    if strict:
        return _split(url, strict=True)
    return _split_cached(url)


def _split(url: str, *, strict: bool) -> Tuple[Origin, str]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        raise ValueError("an absolute URL (scheme://host/...) is required, got a relative URL")
    if scheme not in DEFAULT_PORTS:
        raise UnsupportedSchemeError(
            f"unsupported URL scheme {scheme!r}: protection spaces exist for http and https only"
        )
    host = parts.hostname
    if not host:
        raise ValueError(f"the {scheme} URL has no host")
    host = _normalize_host(host)
    port = parts.port
    origin = Origin(scheme, host, DEFAULT_PORTS[scheme] if port is None else port)
    if strict:
        if "@" in parts.netloc:
            raise ValueError(
                f"the URL for {origin} contains user information (user:password@host); "
                "pass the username and password as arguments instead"
            )
        if parts.fragment or url.rstrip().endswith("#"):
            raise ValueError(f"the URL for {origin} has a fragment; give a path prefix only")
        if parts.query or url.rstrip().endswith("?"):
            raise ValueError(f"the URL for {origin} has a query; give a path prefix only")
    return origin, normalize_path(parts.path)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _split_cached(url: str) -> Tuple[Origin, str]:
    """:func:`split_url` of a URL that is not a store key (the common case), remembered."""
    return _split(url, strict=False)


@functools.lru_cache(maxsize=CACHE_SIZE)
def join_url(base: str, reference: str) -> str:
    """``urljoin(base, reference)`` (RFC 3986 section 5.2), remembered."""
    return urljoin(base, reference)


def written_plainly(url: str) -> bool:
    """``url`` has no space and no control character: nothing the URL parsers drop (tabs,
    newlines) or strip (leading and trailing spaces), so its text is what they read."""
    return " " not in url and url.isprintable()


def split_reference(base: str, reference: str) -> Tuple[Origin, str]:
    """``split_url(join_url(base, reference))`` for an absolute ``base``.

    A reference with ``base``'s scheme and an authority is its own target (RFC 3986 section
    5.2.2: ``urljoin`` gives it back, re-assembled from its parts, which drops an empty
    ``;`` parameter, query or fragment and any tab or newline, so a reference with a ``;``,
    a space or a control character is joined): it is split as it is,
    without the join, whose cost a new ``base`` pays in full (issue 16: a success at each new
    URL of a protection space joined the space's own prefix to it). A reference that does
    not split (no authority once tabs and newlines are dropped, ...) is joined as well.
    """
    scheme = split_url(base)[0].scheme
    if (
        reference.startswith(scheme)
        and reference[len(scheme) : len(scheme) + 3] == "://"
        and ";" not in reference
        and written_plainly(reference)
    ):
        try:
            return split_url(reference)
        except ValueError:
            pass  # urljoin may still find the base's authority
    return split_url(join_url(base, reference))
