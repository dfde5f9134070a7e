"""Sans-I/O views of the request and response the authentication flow sees.

The glue (adapter or ``auth=`` hook) builds these from requests' objects;
the core reads and writes only these. Header names are compared
case-insensitively (RFC 9110 section 5.1).

``repr()`` and ``str()`` of both mask the value of every header that carries
credentials or a session (:data:`SECRET_HEADERS`: ``Authorization``,
``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``), so logging a request or
a response never prints a password, a Digest response or a session cookie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Callable,
    Iterable,
    Iterator,
    List,
    MutableMapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)
from urllib.parse import urlsplit

__all__ = ["SECRET_HEADERS", "AuthRequest", "AuthResponse", "HeaderLines", "masked_headers"]

#: Header names (lower-case) whose values ``repr`` never shows: credentials and sessions.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def masked_headers(items: Iterable[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """``(name, value)`` pairs with the value of every :data:`SECRET_HEADERS` field hidden.

    The scheme of an ``Authorization`` / ``Proxy-Authorization`` value is kept
    (``"Digest <hidden>"``), since it says which scheme answered and holds no secret.
    """
    out: List[Tuple[str, str]] = []
    for name, value in items:
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if name.lower().endswith("authorization") else ""
            value = f"{scheme} <hidden>" if scheme and " " in value else "<hidden>"
        out.append((name, value))
    return out


if TYPE_CHECKING:
    from .body import ReplayableBody
    from .types import Credential


def _without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``<hidden>@``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://<hidden>@{authority.rsplit('@', 1)[1]}{slash}{tail}"


@dataclass
class AuthRequest:
    """A request as the authentication flow sees it.

    ``headers`` is the live, case-insensitive header mapping of the request
    being sent (the glue passes requests' ``CaseInsensitiveDict``): the flow
    sets ``Authorization`` / ``Proxy-Authorization`` on it directly.
    ``target`` is the request-target exactly as it goes on the wire
    (origin-form ``/path?query``, or absolute-form when sent to a forward
    proxy without a tunnel); Digest's ``uri`` parameter uses it verbatim
    (RFC 7616 section 3.4).
    ``proxy`` is the proxy URL the request goes through, if any.

    ``bound_side`` (``"origin"`` or ``"proxy"``) and ``bound_credential`` are set
    by the flow while a connection-bound authenticator (NTLM, Negotiate) is in
    use for this request: the driver must send it on the connection that
    carried the previous leg of the handshake (or that the handshake
    authenticated). ``None`` otherwise.

    ``withhold_body`` is set by the flow when the credentials this request
    carries can only be answered with a challenge (NTLM's type 1): the driver
    sends it with an empty body (``Content-Length: 0``), as curl does, and the
    body goes on the next leg.
    """

    method: str
    url: str
    headers: MutableMapping[str, str]
    body: Optional[ReplayableBody] = None
    target: str = ""
    proxy: Optional[str] = None
    bound_side: Optional[str] = None
    bound_credential: Optional[Credential] = None
    withhold_body: bool = False

    @property
    def connection_bound(self) -> bool:
        """A connection-bound authenticator is in use: keep this request on its connection."""
        return self.bound_side is not None

    def __post_init__(self) -> None:
        if not self.target:
            parts = urlsplit(self.url)
            self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def __repr__(self) -> str:
        headers = dict(masked_headers(self.headers.items()))
        proxy = _without_userinfo(self.proxy) if self.proxy is not None else None
        return (
            f"AuthRequest(method={self.method!r}, url={_without_userinfo(self.url)!r}, "
            f"headers={headers!r}, body={self.body!r}, target={self.target!r}, proxy={proxy!r}, "
            f"bound_side={self.bound_side!r}, bound_credential={self.bound_credential!r}, "
            f"withhold_body={self.withhold_body!r})"
        )

    __str__ = __repr__


class HeaderLines(Sequence[Tuple[str, str]]):
    """A response's header field lines, read from the driver's own store when first asked for.

    ``lines()`` gives every ``(name, value)`` line in order (read once, on the first use as a
    sequence); ``values_of(name)`` every value of one field, in order, as the lines filtered
    by name (case-insensitive) would give them. A response the flow only needs the status of
    (a success with nothing to verify) never has its lines copied.
    """

    def __init__(
        self,
        lines: Callable[[], Iterable[Tuple[str, str]]],
        values_of: Callable[[str], List[str]],
    ) -> None:
        self._read = lines
        self._values_of = values_of
        self._lines: Optional[List[Tuple[str, str]]] = None

    def _all(self) -> List[Tuple[str, str]]:
        if self._lines is None:
            self._lines = list(self._read())
        return self._lines

    @overload
    def __getitem__(self, index: int) -> Tuple[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Tuple[str, str]]: ...

    def __getitem__(
        self, index: Union[int, slice]
    ) -> Union[Tuple[str, str], Sequence[Tuple[str, str]]]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all())

    def values(self, name: str) -> List[str]:
        """Every value of the header ``name``, in order (case-insensitive)."""
        return list(self._values_of(name))


@dataclass
class AuthResponse:
    """A response as the authentication flow sees it: status and raw header lines.

    ``headers`` keeps every field line separately and in order, so several
    ``WWW-Authenticate`` lines stay several (RFC 7235 section 4.1).
    """

    status: int
    headers: Sequence[Tuple[str, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"AuthResponse(status={self.status!r}, headers={masked_headers(self.headers)!r})"

    __str__ = __repr__

    def get_all(self, name: str) -> List[str]:
        """Every value of the header ``name``, in order (case-insensitive)."""
        headers = self.headers
        if isinstance(headers, HeaderLines):
            return headers.values(name)
        wanted = name.lower()
        return [value for key, value in headers if key.lower() == wanted]

    def get(self, name: str) -> Optional[str]:
        """The values of ``name`` joined with ``", "``, or ``None`` when absent."""
        values = self.get_all(name)
        return ", ".join(values) if values else None
