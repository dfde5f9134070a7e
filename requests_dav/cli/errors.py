"""Exit codes of the command line, and one-line messages for the errors behind them.

Every failure is classified once, by :func:`classify`, into an exit code and a
short message with no traceback and no secret in it (userinfo in URLs and any
password the command knows are masked by :class:`Scrubber`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional
from urllib.parse import urlsplit

import requests

from .. import exceptions

EXIT_OK = 0
"""Success."""
EXIT_FAILURE = 1
"""Anything else: a local file error, a demo check that did not hold, an unexpected error."""
EXIT_USAGE = 2
"""Bad command line (click's own code), including a malformed URL."""
EXIT_NOT_FOUND = 3
"""The resource does not exist (404, 410)."""
EXIT_AUTH = 4
"""Authentication failed: 401/407 after credentials were sent, or none were available."""
EXIT_CONFLICT = 5
"""Conflict, precondition failed or locked (409, 412, 423)."""
EXIT_NETWORK = 6
"""Network error: connection refused or reset, DNS, timeout, TLS."""
EXIT_HTTP = 7
"""Any other HTTP error status (403, 405, 424, 5xx, a 207 reporting failures ...)."""

EXIT_CODES_HELP = f"""\b
Exit codes:
  {EXIT_OK}  success
  {EXIT_FAILURE}  other error (local file, failed demo check)
  {EXIT_USAGE}  usage error
  {EXIT_NOT_FOUND}  not found (404, 410)
  {EXIT_AUTH}  authentication failed or no credentials (401, 407)
  {EXIT_CONFLICT}  conflict, precondition failed or locked (409, 412, 423)
  {EXIT_NETWORK}  network error (connection, timeout, TLS)
  {EXIT_HTTP}  other HTTP error
"""

#: stable names of the exit codes, used in ``--json`` error documents
KINDS = {
    EXIT_FAILURE: "error",
    EXIT_USAGE: "usage",
    EXIT_NOT_FOUND: "not-found",
    EXIT_AUTH: "authentication",
    EXIT_CONFLICT: "conflict",
    EXIT_NETWORK: "network",
    EXIT_HTTP: "http",
}


class CLIError(Exception):
    """An error the command line reports as is, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE, status: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Failure:
    """What the user is told: exit ``code``, one-line ``message``, HTTP ``status`` if any."""

    code: int
    message: str
    status: Optional[int] = None

    @property
    def kind(self) -> str:
        return KINDS.get(self.code, "error")


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s'\"]+@")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_TLS_REASON = re.compile(r"(certificate verify failed[^'\"]*?|[A-Z_]+ alert[^'\"]*?)\s*\(_ssl")


class Scrubber:
    """Masks secrets in text: URL userinfo, the known passwords, Authorization values."""

    _AUTH_HEADER = re.compile(r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n]+)")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: List[str] = [s for s in secrets if s]

    def add(self, secret: Optional[str]) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def __call__(self, text: str) -> str:
        text = _USERINFO.sub(r"\1***@", text)
        text = self._AUTH_HEADER.sub(r"\1***", text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _status(exc: BaseException) -> Optional[int]:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return int(code) if isinstance(code, int) else None


def _host(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if not url:
        return ""
    try:
        parts = urlsplit(str(url))
        return parts.netloc.rsplit("@", 1)[-1]
    except ValueError:
        return ""


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout)):
        return "timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        match = _TLS_REASON.search(text)
        return f"TLS error: {match.group(1).strip()}" if match else "TLS error"
    match = _ERRNO.search(text)
    if match:
        return match.group(1).strip()
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "proxy error"
    return "connection failed"


def _auth_hint(status: Optional[int]) -> str:
    if status == 407:
        return "give proxy credentials in the proxy URL (http://user:password@proxy:port)"
    return "use --user NAME (password prompted or from REQUESTS_DAV_PASSWORD) or ~/.netrc"


def classify(exc: BaseException, *, had_credentials: bool = False) -> Failure:
    """The exit code and one-line message for ``exc`` (without secrets; scrub anyway)."""
    from ..transport.proxy import tunnel_error

    if isinstance(exc, CLIError):
        return Failure(exc.code, exc.message, exc.status)
    status = _status(exc)
    if isinstance(exc, requests.exceptions.ConnectionError):
        tunnel = tunnel_error(exc)
        if tunnel is not None:
            return Failure(EXIT_AUTH, f"proxy authentication failed: {tunnel}", 407)
    if isinstance(exc, exceptions.AuthenticationError) or status in (401, 407):
        if status in (401, 407) and not isinstance(exc, exceptions.AuthenticationError):
            what = "proxy authentication" if status == 407 else "authentication"
            if had_credentials:
                message = f"{what} failed ({status}): credentials refused"
            else:
                message = f"{what} required ({status}): {_auth_hint(status)}"
        else:
            message = f"authentication failed: {exc}"
            outcome = getattr(exc, "outcome", None)
            if outcome == "no-credentials":
                message += f" ({_auth_hint(status)})"
        return Failure(EXIT_AUTH, message, status)
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        host = _host(exc)
        where = f" to {host}" if host else ""
        return Failure(EXIT_NETWORK, f"network error{where}: {_network_reason(exc)}")
    if isinstance(
        exc,
        (
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
        ),
    ):
        return Failure(EXIT_USAGE, f"invalid URL: {exc}")
    if status in (404, 410):
        return Failure(EXIT_NOT_FOUND, f"not found: {exc}", status)
    if status in (409, 412, 423):
        return Failure(EXIT_CONFLICT, str(exc), status)
    if status is not None or isinstance(exc, requests.exceptions.HTTPError):
        return Failure(EXIT_HTTP, str(exc) or f"HTTP error {status}", status)
    if isinstance(exc, OSError) and not isinstance(exc, requests.exceptions.RequestException):
        name = f"{exc.filename}: " if exc.filename else ""
        return Failure(EXIT_FAILURE, f"{name}{exc.strerror or exc}")
    # never a class name: the user did not write the code that raised it
    return Failure(EXIT_FAILURE, str(exc).strip() or "unexpected error (--debug shows where)")


def one_line(text: str) -> str:
    """``text`` on one line (an error message must not spill over several)."""
    return " ".join(text.split())


__all__ = [
    "EXIT_AUTH",
    "EXIT_CODES_HELP",
    "EXIT_CONFLICT",
    "EXIT_FAILURE",
    "EXIT_HTTP",
    "EXIT_NETWORK",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "CLIError",
    "Failure",
    "Scrubber",
    "classify",
    "one_line",
]
