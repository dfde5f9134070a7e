"""Paths of the fsspec filesystem: ``host[:port]/path``, the host in the place of a bucket.

A full URL is ``dav://host[:port]/path`` (http) or ``davs://host[:port]/path`` (https).
Paths are *decoded* names, as everywhere in fsspec: ``"h/a b.csv"`` names the file
``a b.csv``; the percent-encoding for the request line (RFC 3986 section 2.1) is done by
:class:`~requests_dav.DAVSession`.
"""

from __future__ import annotations

from typing import Sequence, Tuple

PROTOCOLS = ("dav", "davs")


def strip_protocol(path: str, protocols: Sequence[str] = PROTOCOLS) -> str:
    """``dav://h:1/a/`` -> ``h:1/a`` for the given protocols; a path without one of them
    loses only slashes at its ends (so ``davs://`` given to the http filesystem stays a
    host that is no host, never a silent downgrade to http)."""
    for protocol in protocols:
        prefix = protocol + "://"
        if path[: len(prefix)].lower() == prefix:
            path = path[len(prefix) :]
            break
    return path.strip("/")


def split_host(path: str) -> Tuple[str, str]:
    """``host[:port]/rest`` -> ``("host[:port]", "rest")``; an IPv6 host is bracketed
    (``[::1]:8080/rest``)."""
    host, _slash, rest = path.partition("/")
    if host.startswith("[") and "]" not in host:
        raise ValueError(f"unterminated IPv6 host in {path!r}")
    if not host:
        raise ValueError(f"a dav path starts with its host: {path!r}")
    return host, rest.strip("/")


def host_of_url(url: str) -> str:
    """The ``host[:port]`` of a ``dav://``/``davs://`` URL or a stripped path."""
    return split_host(strip_protocol(url))[0]


def join(host: str, rest: str) -> str:
    """The fsspec path of ``rest`` (decoded, relative to the host's root)."""
    rest = rest.strip("/")
    return f"{host}/{rest}" if rest else host


def parent(path: str) -> str:
    """The parent of a stripped path; a host is its own parent."""
    return path.rsplit("/", 1)[0] if "/" in path else path
