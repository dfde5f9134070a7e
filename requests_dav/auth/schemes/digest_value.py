"""The text of Digest credentials (RFC 7616 section 3.4), written with few calls per request.

:func:`credential_params` gives the parameters in the order they are sent; the general
writer is :func:`~requests_dav.auth.challenge.format_auth_params`. What stays the same for
every request on one nonce (user name, realm, algorithm, nonce, opaque, userhash) is checked
and written once, as a :data:`Frame` (:func:`make_frame`); :func:`fill_frame` then checks
only the per-request ``uri``, ``cnonce`` and ``response`` (quotable without an escape: what
the usual path of ``format_auth_params`` writes as it is; no parameter needs another to be
checked with it, names are fixed) and fills them in. Anything that needs an escape, or is
wrong, goes to ``format_auth_params`` itself, so the text (or the error) is always its own.
"""

from __future__ import annotations

from typing import FrozenSet, List, Optional, Tuple

from .._abnf import QUOTABLE_RE, TOKEN_RE
from ..challenge import format_auth_params

__all__ = ["Frame", "credential_params", "credentials_value", "make_frame"]

Param = Tuple[str, str, bool]
#: the text before ``uri``, between ``uri`` and the per-request parameters, and after them
Frame = Tuple[str, str, str]

_QOPS: FrozenSet[str] = frozenset({"auth", "auth-int"})


def credential_params(
    username: Param,
    realm: str,
    userhash: bool,
    algorithm_token: Optional[str],
    nonce: str,
    opaque: Optional[str],
    uri: str,
    nc: int,
    cnonce: str,
    qop: Optional[str],
    response: str,
) -> List[Param]:
    """The parameters of the credentials (RFC 7616 section 3.4), in the order sent."""
    params: List[Param] = [username, ("realm", realm, True), ("uri", uri, True)]
    if algorithm_token is not None:
        params += [("algorithm", algorithm_token.strip(), False)]
    params += [("nonce", nonce, True)]
    if qop is not None:
        params += [("nc", f"{nc:08x}", False), ("cnonce", cnonce, True), ("qop", qop, False)]
    params += [("response", response, True)]
    if opaque is not None:
        params += [("opaque", opaque, True)]
    if userhash:
        params += [("userhash", "true", False)]
    return params


def make_frame(
    username: Param,
    realm: str,
    userhash: bool,
    algorithm_token: Optional[str],
    nonce: str,
    opaque: Optional[str],
) -> Optional[Frame]:
    """The :data:`Frame` of these parameters, or ``None`` when one of them needs an escape or
    is not valid (then every request takes the general path)."""
    fixed: List[Param] = [username, ("realm", realm, True)]
    before: List[Param] = []
    if algorithm_token is not None:
        before.append(("algorithm", algorithm_token.strip(), False))
    before.append(("nonce", nonce, True))
    after: List[Param] = []
    if opaque is not None:
        after.append(("opaque", opaque, True))
    if userhash:
        after.append(("userhash", "true", False))
    for _, value, quote in fixed + before + after:
        if quote:
            if '"' in value or "\\" in value or QUOTABLE_RE.fullmatch(value) is None:
                return None
        elif TOKEN_RE.fullmatch(value) is None:
            return None
    return "Digest " + _written(fixed)[2:], _written(before), _written(after)


def _written(params: List[Param]) -> str:
    return "".join(
        f', {name}="{value}"' if quote else f", {name}={value}" for name, value, quote in params
    )


def credentials_value(
    frame: Optional[Frame],
    username: Param,
    realm: str,
    userhash: bool,
    algorithm_token: Optional[str],
    nonce: str,
    opaque: Optional[str],
    uri: str,
    nc: int,
    cnonce: str,
    qop: Optional[str],
    response: str,
) -> str:
    """``format_auth_params("Digest", credential_params(...))``, the same text, from ``frame``
    (:func:`make_frame` of the same parameters) when the per-request ones allow it."""
    if frame is not None and (qop is None or qop in _QOPS):
        quoted = uri + response if qop is None else uri + cnonce + response
        if '"' not in quoted and "\\" not in quoted and QUOTABLE_RE.fullmatch(quoted):
            head, middle, tail = frame
            if qop is None:
                return f'{head}, uri="{uri}"{middle}, response="{response}"{tail}'
            return (
                f'{head}, uri="{uri}"{middle}, nc={nc:08x}, cnonce="{cnonce}", qop={qop}, '
                f'response="{response}"{tail}'
            )
    params = credential_params(
        username, realm, userhash, algorithm_token, nonce, opaque, uri, nc, cnonce, qop, response
    )
    return format_auth_params("Digest", params)
