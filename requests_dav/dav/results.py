"""What the WebDAV methods of :class:`~requests_dav.dav.session.DAVSession` return.

:class:`WriteResult` (PUT, MKCOL, COPY, MOVE: RFC 4918 sections 9.3, 9.7-9.9),
:class:`PropPatchResult` (RFC 4918 section 9.2), :class:`SyncResult` (RFC 6578 section 3.5)
and :class:`PropfindStream`, a PROPFIND's responses parsed as the body arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    Iterator,
    List,
    Mapping,
    Optional,
    cast,
)

import requests

from . import errors, requestbodies
from .client import CHUNK_SIZE
from .multistatus import (
    DAVResponse,
    MultiStatus,
    MultiStatusParseError,
    iter_multistatus,
)


@dataclass(frozen=True)
class WriteResult:
    """The outcome of PUT, MKCOL, COPY or MOVE: ``created`` is True for 201 Created, False
    when an existing resource was replaced (204/200, RFC 4918 sections 9.8.5, 9.9.4).

    Some servers answer 200 whatever the destination held (lighttpd 1.4 for a COPY or MOVE
    of a collection), so ``created`` False after a 200 only means the server did not say.
    A COPY or MOVE with ``overwrite=False`` that succeeds is always ``created``.
    """

    status: int
    url: str
    created: bool
    etag: Optional[str] = None
    location: Optional[str] = None
    response: Optional[requests.Response] = field(default=None, repr=False, compare=False)

    @property
    def replaced(self) -> bool:
        return not self.created


@dataclass(frozen=True)
class PropPatchResult:
    """Every property's status after a successful PROPPATCH (RFC 4918 section 9.2.1)."""

    statuses: Mapping[str, int]
    multistatus: Optional[MultiStatus] = field(default=None, repr=False, compare=False)

    def __getitem__(self, name: str) -> int:
        key = requestbodies.clark(name) if not name.startswith("{") else name
        try:
            return self.statuses[key]
        except KeyError:
            raise KeyError(
                f"no PROPPATCH status for {key}; statuses: {sorted(self.statuses)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.statuses)

    def __len__(self) -> int:
        return len(self.statuses)


@dataclass(frozen=True)
class SyncResult:
    """The answer to a ``sync-collection`` REPORT (RFC 6578 section 3.5).

    ``changed`` are the members created or modified since the token (with the requested
    properties), ``removed`` those reported with status 404 (section 3.5.2), ``sync_token``
    the token to send next time, and ``truncated`` is True when the server stopped early
    (a 507 response for the collection itself, section 3.6): call again with the new token.
    """

    sync_token: Optional[str]
    changed: List[DAVResponse]
    removed: List[DAVResponse]
    truncated: bool = False
    multistatus: Optional[MultiStatus] = field(default=None, repr=False, compare=False)


class PropfindStream:
    """The responses of a PROPFIND, parsed as the body arrives (bounded memory).

    Iterate it once; it closes the HTTP response when the iteration ends, when
    :meth:`close` is called, or at the end of a ``with`` block, so stopping early is safe.
    ``sync_token`` and ``description`` are set once the whole body was read.
    """

    def __init__(self, response: requests.Response, base_url: str) -> None:
        self.response = response
        self._stream = iter_multistatus(response.iter_content(CHUNK_SIZE), base_url)
        self._iterator: Iterator[DAVResponse] = iter(self._stream)
        self._closed = False

    def __iter__(self) -> PropfindStream:
        return self

    def __next__(self) -> DAVResponse:
        if self._closed:
            raise StopIteration
        try:
            return next(self._iterator)
        except StopIteration:
            self.close()
            raise
        except MultiStatusParseError as exc:
            self.close()
            raise errors.from_parse_error(exc, self.response) from exc
        except BaseException:
            self.close()
            raise

    @property
    def sync_token(self) -> Optional[str]:
        return cast(Optional[str], getattr(self._stream, "sync_token", None))

    @property
    def description(self) -> Optional[str]:
        return cast(Optional[str], getattr(self._stream, "description", None))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.response.close()

    def __enter__(self) -> PropfindStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def write_result(response: requests.Response, url: Optional[str] = None) -> WriteResult:
    return WriteResult(
        status=response.status_code,
        url=url or response.url,
        created=response.status_code == 201,
        etag=response.headers.get("ETag"),
        location=response.headers.get("Location"),
        response=response,
    )


__all__ = ["PropPatchResult", "PropfindStream", "SyncResult", "WriteResult", "write_result"]
