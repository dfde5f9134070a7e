"""Hrefs of a multistatus and the paths of a DAV session (RFC 3986, RFC 4918 section 8.3).

Every place that turns a server's ``DAV:href`` into something a caller sees,
or a caller's path into a request URL, goes through this module, so that a
name read from a listing can be handed back to any method unchanged.

Three forms are used:

URL
    An absolute URL, percent-encoded (what goes on the wire).
href
    What a server wrote in ``DAV:href``: an absolute URL or a relative
    reference (usually an absolute path such as ``/dav/a%20b.txt``).
    RFC 4918 section 8.3 allows both; it is resolved against the request URL
    with the algorithm of RFC 3986 section 5.2.
decoded path
    A percent-decoded, normalised path: dot segments removed, duplicate
    slashes collapsed, a trailing slash kept when present. Bytes that are not
    UTF-8 survive as lone surrogates (``errors="surrogateescape"``), so names
    written by a server in another encoding still round-trip.

A DAV session treats its base URL as the root of its paths: in
:func:`join`, ``"/a"`` and ``"a"`` both name ``a`` directly under the base
URL's path, never under the host root, and ``..`` cannot climb above it.
:func:`relative_path` is the inverse and returns names without a leading
slash (``""`` for the base itself, ``"dir/"`` for a collection).
"""

from __future__ import annotations

import functools
import re
from binascii import a2b_qp as _a2b_qp
from typing import NamedTuple, Optional
from urllib.parse import quote

__all__ = [
    "href_to_path",
    "join",
    "normalize_path",
    "quote_path",
    "relative_path",
    "resolve_href",
    "same_path",
    "url_path",
]


class _URIParts(NamedTuple):
    scheme: Optional[str]
    authority: Optional[str]
    path: str
    query: Optional[str]
    fragment: Optional[str]


# RFC 3986 Appendix B:
#   ^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?
# Deviation: the scheme must be a scheme (section 3.1:
# ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), so a relative href such as
# "2024:report" that a careless server did not encode stays a path.
_URI_RE = re.compile(
    r"^(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?\Z", re.S
)

# RFC 3986 section 2: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
# Characters outside reserved / unreserved (space, controls, non-ASCII, ...)
# are percent-encoded when a server sent them raw; so is a "%" that does not
# start a valid pct-encoded triplet.
_UNSAFE_IN_URL_RE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")

# What quote_path leaves unencoded besides "/" and the unreserved set: the
# sub-delims except "+" and ";" (legal, but mangled by some servers: "+" read
# as a space, ";" as a path parameter), and "@". ":" is encoded too, so that
# a quoted relative path can never be read as a scheme.
_PATH_SAFE = "/!$&'()*,=@"


def _split(uri: str) -> _URIParts:
    match = _URI_RE.match(uri)
    assert match is not None  # the expression matches every string
    scheme, authority, path, query, fragment = match.groups()
    return _URIParts(scheme, authority, path, query, fragment)


def _unsplit(parts: _URIParts) -> str:
    # RFC 3986 section 5.3
    result = []
    if parts.scheme is not None:
        result.append(parts.scheme + ":")
    if parts.authority is not None:
        result.append("//" + parts.authority)
    result.append(parts.path)
    if parts.query is not None:
        result.append("?" + parts.query)
    if parts.fragment is not None:
        result.append("#" + parts.fragment)
    return "".join(result)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, step by step.

    The input buffer is an index into ``path``, not a string cut down at every
    step (which made a long path cost the square of its length).
    """
    if "/." not in path and not path.startswith("."):
        return path  # no dot segment: nothing to do
    output: list[str] = []
    i, n = 0, len(path)
    while i < n:
        rest = n - i
        # A: remove a prefix of "../" or "./"
        if path.startswith("../", i):
            i += 3
        # A: "./"; B: "/./" or "/." at the end -> "/"
        elif path.startswith(("./", "/./"), i):
            i += 2
        elif rest == 2 and path.startswith("/.", i):
            output.append("/")  # the "/" left in the input goes to the output by E
            i = n
        # C: "/../" or "/.." at the end -> "/", and drop the last output segment
        elif path.startswith("/../", i):
            i += 3
            if output:
                output.pop()
        elif rest == 3 and path.startswith("/..", i):
            if output:
                output.pop()
            output.append("/")
            i = n
        # D: "." or ".." alone
        elif (rest == 1 and path[i] == ".") or (rest == 2 and path.startswith("..", i)):
            i = n
        # E: move the first segment (with its leading "/", if any) to the output
        else:
            end = path.find("/", i + 1 if path[i] == "/" else i)
            if end == -1:
                end = n
            output.append(path[i:end])
            i = end
    return "".join(output)


def _merge(base: _URIParts, ref_path: str) -> str:
    # RFC 3986 section 5.2.3
    if base.authority is not None and base.path == "":
        return "/" + ref_path
    return base.path[: base.path.rfind("/") + 1] + ref_path


def _resolve(ref: str, b: _URIParts) -> _URIParts:
    """RFC 3986 section 5.2.2 (strict: a reference with a scheme is absolute)."""
    r = _split(ref)
    if r.scheme is not None:
        return _URIParts(r.scheme, r.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    if r.authority is not None:
        return _URIParts(b.scheme, r.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    if r.path == "":
        query = r.query if r.query is not None else b.query
        return _URIParts(b.scheme, b.authority, b.path, query, r.fragment)
    if r.path.startswith("/"):
        path = _remove_dot_segments(r.path)
    else:
        path = _remove_dot_segments(_merge(b, r.path))
    return _URIParts(b.scheme, b.authority, path, r.query, r.fragment)


def _requote(text: str) -> str:
    """Percent-encode what may not appear raw in a URL; keep valid escapes as they are."""

    def encode(match: re.Match[str]) -> str:
        return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))

    return _UNSAFE_IN_URL_RE.sub(encode, text)


@functools.lru_cache(maxsize=64)
def _absolute_base(base_url: str) -> _URIParts:
    parts = _split(base_url.strip())
    if parts.scheme is None or parts.authority is None:
        raise ValueError(f"base URL must be absolute (scheme://host/...): {base_url!r}")
    return parts


def resolve_href(href: str, base_url: str) -> str:
    """The absolute URL named by a multistatus ``href`` (RFC 3986 section 5.2).

    ``href`` may be absolute or relative; surrounding whitespace is ignored.
    ``base_url`` is the URL of the request whose answer carried the href.
    Dot segments are removed; characters that may not appear raw in a URL
    (a space, non-ASCII text, a lone ``%``) are percent-encoded, existing
    escapes are kept as sent. The scheme is lower-cased.
    """
    href = href.strip()
    base = _absolute_base(base_url)
    if (
        href.startswith("/")
        and not href.startswith("//")
        and "/." not in href
        and _UNSAFE_IN_URL_RE.search(href) is None
        and "?" not in href
        and "#" not in href
    ):
        # the common case, an absolute path with nothing to resolve or encode
        return f"{base.scheme.lower()}://{base.authority}{href}"  # type: ignore[union-attr]
    parts = _resolve(href, base)
    scheme = parts.scheme.lower() if parts.scheme is not None else None
    return _unsplit(
        _URIParts(
            scheme,
            parts.authority,
            _requote(parts.path),
            None if parts.query is None else _requote(parts.query),
            None if parts.fragment is None else _requote(parts.fragment),
        )
    )


def normalize_path(path: str) -> str:
    """A decoded path with dot segments removed and duplicate slashes collapsed.

    The result always starts with ``/``; a trailing slash is kept (also the
    one implied by a final ``.`` or ``..`` segment). ``..`` never climbs above
    the root.
    """
    if path[:1] == "/" and "//" not in path and "/." not in path:
        return path  # already normal
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    if not out:
        return "/"
    trailing = segments[-1] in ("", ".", "..")
    return "/" + "/".join(out) + ("/" if trailing else "")


_HEX_BYTE = {
    f"{a}{b}": bytes([int(a + b, 16)])
    for a in "0123456789ABCDEFabcdef"
    for b in "0123456789ABCDEFabcdef"
}


def _decode(path: str) -> str:
    """Percent-decode as UTF-8; bytes that are not UTF-8 become lone surrogates."""
    if "%" not in path:
        return path
    raw = path.encode("utf-8", "surrogateescape")
    if b"\\" not in raw:
        # the common case, every "%" starting an escape: "%XX" becomes the
        # escape "\xXX" that the codec turns into the byte in C (it refuses a
        # "\x" without two hex digits, and nothing else is an escape here)
        try:
            data = raw.replace(b"%", b"\\x").decode("unicode_escape").encode("latin-1")
        except UnicodeDecodeError:
            pass
        else:
            return data.decode("utf-8", "surrogateescape")
    return _decode_pieces(path)


def _decode_pieces(path: str) -> str:
    """:func:`_decode` one escape at a time, keeping a "%" that starts none."""
    pieces = path.split("%")
    out = [pieces[0].encode("utf-8", "surrogateescape")]
    for piece in pieces[1:]:
        byte = _HEX_BYTE.get(piece[:2])
        if byte is None:  # not an escape: keep the "%"
            out.append(b"%" + piece.encode("utf-8", "surrogateescape"))
        else:
            out.append(byte)
            out.append(piece[2:].encode("utf-8", "surrogateescape"))
    return b"".join(out).decode("utf-8", "surrogateescape")


def href_to_path(href: str, base_url: str) -> str:
    """The decoded, normalised path of a multistatus ``href``.

    The href is resolved against ``base_url`` first (see :func:`resolve_href`);
    the authority is not compared, so an absolute href naming another host
    (common behind reverse proxies) still yields its path. ``%2F`` decodes to
    ``/`` like any other escape.
    """
    href = href.strip()
    if (
        href[:1] == "/"
        and href[1:2] != "/"
        and "/." not in href
        and "?" not in href
        and "#" not in href
        and ((ascii := href.isascii()) or _encodable(href))
    ):
        # What servers send: an absolute path with no query, fragment, dot
        # segment or lone surrogate. It resolves to the base URL's origin and
        # this same path, and decoding undoes whatever resolve_href would
        # encode, so the URL need not be built and split again.
        _absolute_base(base_url)  # the same ValueError for a relative base URL
        if "%" not in href:
            return normalize_path(href) if "//" in href else href
        if ascii and "=" not in href and "\n" not in href and "\r" not in href:
            # _decode, in C: with "=" for "%", the quoted-printable decoder
            # (RFC 2045 section 6.7) turns every "%XX" into its byte. A "%"
            # that starts no escape comes out as "=" (or is dropped at the
            # very end), and so does a "%3D": then the general rule decodes.
            raw = _a2b_qp(href.replace("%", "="))
            if _EQUALS not in raw and href[-1] != "%":  # an int: b"=" in raw costs a TypeError
                path = raw.decode("utf-8", "surrogateescape")
            else:
                path = _decode(href)
        else:
            path = _decode(href)
        # normalize_path's own test (the path starts with "/"), without the call
        return normalize_path(path) if "//" in path or "/." in path else path
    return url_path(resolve_href(href, base_url))


_EQUALS = ord("=")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")  # refuses lone surrogates, and only them
    except UnicodeEncodeError:
        return False
    return True


def url_path(url: str) -> str:
    """The decoded, normalised path of an absolute URL (see :func:`href_to_path`)."""
    return normalize_path(_decode(_split(url).path))


def quote_path(path: str) -> str:
    """Percent-encode a decoded path for a request line (RFC 3986 section 2.1).

    ``/`` separates segments and is kept. Besides the unreserved characters,
    ``!$&'()*,=@`` stay as they are; everything else is encoded as UTF-8,
    including ``%``, ``#``, ``?``, space, ``+`` (``%2B``: some servers read a
    raw ``+`` as a space), ``;`` (``%3B``: some servers cut a path parameter
    there) and ``:`` (``%3A``: a relative reference must not look like a
    scheme). Lone surrogates from :func:`href_to_path` turn back
    into the bytes they stand for.
    """
    return quote(path.encode("utf-8", "surrogateescape"), safe=_PATH_SAFE)


def join(base_url: str, path: str) -> str:
    """The URL of a decoded ``path`` under ``base_url``.

    The base URL is the root of the session's paths: ``"/a b"`` and
    ``"a b"`` both give ``<base>/a%20b``; ``".."`` cannot leave the base. The
    path is normalised (see :func:`normalize_path`) and a trailing slash is
    kept. The base URL's query and fragment are dropped; ``""`` and ``"/"``
    give the base URL with a trailing slash.
    """
    base = _absolute_base(base_url)
    base_path = base.path if base.path.endswith("/") else base.path + "/"
    tail = normalize_path(path)[1:]
    return _unsplit(
        _URIParts(base.scheme, base.authority, base_path + quote_path(tail), None, None)
    )


def relative_path(url: str, base_url: str) -> str:
    """The decoded path of ``url`` relative to ``base_url``: the inverse of :func:`join`.

    ``url`` may be an absolute URL or an href (resolved against
    ``base_url``). The result has no leading slash, keeps a trailing slash,
    and is ``""`` for the base itself (with or without its trailing slash),
    so ``relative_path(join(base, name), base) == name`` for every
    normalised name. Only paths are compared (a reverse proxy may report
    another host name); a URL outside the base path raises :class:`ValueError`.
    """
    path = href_to_path(url, base_url)
    root = href_to_path(base_url, base_url)
    if not root.endswith("/"):
        root += "/"
    if path == root or path + "/" == root:
        return ""
    if not path.startswith(root):
        raise ValueError(f"{url!r} is not below the base URL {base_url!r}")
    return path[len(root) :]


def same_path(a: str, b: str) -> bool:
    """Whether two decoded paths name the same resource.

    Both are normalised (:func:`normalize_path`); a trailing slash is not
    significant, so ``/dav/dir`` and ``/dav/dir/`` are the same path.
    """
    return normalize_path(a).rstrip("/") == normalize_path(b).rstrip("/")
