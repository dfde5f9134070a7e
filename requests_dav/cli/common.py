"""What the subcommands share: the URL argument, sessions for URLs, names, progress bars,
``--lock-token`` (RFC 4918 section 10.4: the ``If`` header) and the one spelling of an ETag.
"""

from __future__ import annotations

import posixpath
from typing import Any, Callable, Optional, Tuple, TypeVar
from urllib.parse import unquote, urlsplit

import click

from ..dav.errors import DAVError
from ..dav.hrefs import resolve_href
from ..dav.locks import Lock, parent_url
from .app import State, clean_url, origin_of, prepare
from .errors import EXIT_USAGE, CLIError

F = TypeVar("F", bound=Callable[..., Any])

URL = click.argument("url", metavar="URL")
#: what ``ls`` asks for (not allprop: cheaper, and every server answers it)
LISTING_PROPS = ["resourcetype", "getcontentlength", "getlastmodified", "getetag", "getcontenttype"]
#: the value of ``type`` in JSON documents for a collection (and ``file`` for the rest)
COLLECTION = "collection"


def state() -> State:
    return prepare(click.get_current_context())


def url_path(url: str) -> str:
    """The decoded path of ``url`` (for names and listings)."""
    path = unquote(urlsplit(url).path, errors="surrogateescape")
    return path or "/"


def target(current: State, url: str, *more: str, connections: int = 1) -> Tuple[Any, str]:
    """A session for ``url`` (and ``more`` URLs on the same server) and ``url`` cleaned.

    ``connections`` is how many requests may run at once (``-j``): the pool keeps at least
    that many connections alive.

    A :class:`DAVSession` uses absolute URL strings verbatim, so every command passes the
    URL itself (without userinfo: that is taken as the user name by :meth:`State.session`).
    """
    origin = origin_of(url)
    for other in more:
        if origin_of(other) != origin:
            raise CLIError(
                f"source and destination must be on the same server: {origin} vs "
                f"{origin_of(other)}",
                EXIT_USAGE,
            )
    return current.session(url, *more, connections=connections), clean_url(url)


def name_of(url: str) -> str:
    return posixpath.basename(url_path(url).rstrip("/"))


def quoted_etag(etag: Optional[str]) -> Optional[str]:
    """An entity-tag as HTTP spells it (RFC 9110 section 8.8.3): in double quotes, ``W/``
    kept. Some servers report ``getetag`` without the quotes; every command prints this
    one form, which ``If-Match`` accepts as it is."""
    if etag is None:
        return None
    value = etag.strip()
    weak = value.startswith("W/")
    body = value[2:] if weak else value
    if not (len(body) >= 2 and body.startswith('"') and body.endswith('"')):
        body = f'"{body}"'
    return ("W/" if weak else "") + body


class BarProgress:
    """``progress(done, total)`` for DAVSession, drawn with a tqdm bar (or not at all)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, done: int, total: Optional[int]) -> None:
        bar = self.bar
        if total is not None and getattr(bar, "total", None) != total:
            bar.total = total
        if done < bar.n:  # the body is sent again after a 401: start over
            bar.reset(total)
        bar.update(done - bar.n)


def lock_token_option(function: F) -> F:
    """``--lock-token TOKEN``: submit a lock taken by an earlier ``requests-dav lock``."""
    return click.option(
        "--lock-token",
        "lock_tokens",
        multiple=True,
        metavar="TOKEN",
        help="Submit this lock token in the If header (repeatable), e.g. "
        '--lock-token "$(requests-dav lock URL)".',
    )(function)


def submit_lock_tokens(session: Any, tokens: Tuple[str, ...], *urls: str) -> None:
    """Put each token in the session's lock store, so every write names it in ``If``.

    The lock's root is looked up with lock discovery (RFC 4918 section 15.8) on the URLs and
    their parents: the ``If`` header tags each token with the resource it locks (section
    10.4.2). A token no discovery shows is submitted for the first URL itself.
    """
    for raw in tokens:
        token = raw.strip().strip("<>").strip()
        if not token:
            raise CLIError("--lock-token is empty", EXIT_USAGE)
        session.lock_store.add(_discover(session, token, urls))


def _discover(session: Any, token: str, urls: Tuple[str, ...]) -> Lock:
    probes = []
    for url in urls:
        probes += [url, parent_url(url)]
    for probe in dict.fromkeys(probes):
        try:
            active = session.locks(probe)
        except DAVError:
            continue
        for lock in active:
            if (lock.locktoken or "").strip().strip("<>") == token:
                root = resolve_href(lock.lockroot, probe) if lock.lockroot else probe
                return Lock(token, root=root, depth=lock.depth or "infinity")
    return Lock(token, root=urls[0], depth="infinity")


__all__ = [
    "COLLECTION",
    "LISTING_PROPS",
    "URL",
    "BarProgress",
    "lock_token_option",
    "name_of",
    "quoted_etag",
    "state",
    "submit_lock_tokens",
    "target",
    "url_path",
]
