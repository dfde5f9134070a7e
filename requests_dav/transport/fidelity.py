"""What keeps :class:`~requests_dav.AuthAdapter` a drop-in ``HTTPAdapter`` (issue 12).

* The same exception classes for bad input (:func:`check_urls`): a URL ``HTTPAdapter``
  rejects is rejected here first, with its class (:class:`~requests.exceptions.InvalidURL`,
  :class:`~requests.exceptions.InvalidProxyURL`), before the protection-space code parses it
  (RFC 3986 section 3.2.2 hosts and ports), so a server's redirect can never make a
  ``Session`` raise a bare ``ValueError``.
* The caller's own authentication wins (:func:`callers_own_auth`): a request that arrives
  with ``Authorization`` (RFC 9110 section 11.6.2), or with the response hook of a requests
  ``auth=`` object that answers challenges itself (``HTTPDigestAuth``), is the caller's
  choice; the adapter leaves its 401 to the caller. The same for ``Proxy-Authorization``
  (RFC 9110 section 11.7.2) to a forward proxy and its 407.
* Pickling (:func:`adapter_state`): configuration and the store travel, locks, pools and
  per-peer memory are rebuilt, as ``HTTPAdapter`` does.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from requests import auth as _auth
from requests import utils as _utils
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.exceptions import InvalidProxyURL, InvalidURL
from requests.models import PreparedRequest
from requests.utils import select_proxy
from urllib3.exceptions import LocationValueError
from urllib3.util import parse_url

from .send_state import header_value

__all__ = [
    "PROXY_URL_MESSAGE",
    "adapter_state",
    "callers_own_auth",
    "callers_own_proxy_auth",
    "check_urls",
]

# requests' helpers, typed (its stubs leave them untyped)
_prepend_scheme: Callable[[str, str], str] = _utils.prepend_scheme_if_needed
_get_netrc_auth: Callable[[str], Any] = _utils.get_netrc_auth
_get_auth_from_url: Callable[[str], Tuple[str, str]] = _utils.get_auth_from_url
_basic_auth_str: Callable[[str, str], str] = _auth._basic_auth_str

PROXY_URL_MESSAGE = "Please check proxy URL. It is malformed and could be missing the host."
"""requests' own message for a proxy URL without a host."""


#: requests' own pool key: the authorities it was worked out for without an error are remembered
_REQUESTS_POOL_KEY = HTTPAdapter.build_connection_pool_key_attributes
#: ``(scheme, netloc)`` of the URLs that passed :func:`check_urls`' pool-key check with
#: requests' own pool key (bounded)
_CHECKED_AUTHORITIES: Dict[Tuple[str, str], None] = {}
_CHECKED_AUTHORITIES_KEPT = 512


def check_urls(
    adapter: Any,
    request: PreparedRequest,
    proxies: Optional[Mapping[str, str]],
    verify: Any,
    cert: Any,
) -> None:
    """Raise what ``HTTPAdapter.send`` raises for ``request``'s URL and proxy, if anything.

    The checks of ``HTTPAdapter.get_connection_with_tls_context`` in the same order: the URL
    through ``build_connection_pool_key_attributes`` (``InvalidURL``), a host (urllib3's
    ``No host specified.``, ``InvalidURL``), then the proxy: unparsable is ``InvalidURL``,
    without a host ``InvalidProxyURL``. No pool is created.

    requests' own pool key reads the URL through ``urlparse`` and fails only on what that
    finds in its scheme and authority (a bracket or port it cannot parse, no host; ``verify``
    and ``cert`` only choose keywords), so a URL whose scheme and authority passed once
    passes again: the last :data:`_CHECKED_AUTHORITIES_KEPT` such pairs are not worked out
    anew (issue 16: the pool key cost each request as much as the rest of the check, and
    each new URL of a known origin paid it in full). An adapter with a pool key of its own
    is always asked.
    """
    url = str(request.url)
    own_key = type(adapter).build_connection_pool_key_attributes is not _REQUESTS_POOL_KEY
    authority = None if own_key else _authority(url)
    if authority is None or authority not in _CHECKED_AUTHORITIES:
        try:
            host_params, _ = adapter.build_connection_pool_key_attributes(request, verify, cert)
        except ValueError as exc:
            raise InvalidURL(exc, request=request) from exc
        if not host_params.get("host"):
            raise InvalidURL(LocationValueError("No host specified."), request=request)
        if authority is not None:
            if len(_CHECKED_AUTHORITIES) >= _CHECKED_AUTHORITIES_KEPT:
                _CHECKED_AUTHORITIES.clear()
            _CHECKED_AUTHORITIES[authority] = None
    if not proxies:  # the URL parsed above: select_proxy finds nothing in an empty mapping
        return
    proxy = select_proxy(url, proxies)
    if not proxy:
        return
    try:
        proxy_url = parse_url(_prepend_scheme(proxy, "http"))
    except LocationValueError as exc:
        raise InvalidURL(exc, request=request) from exc
    if not proxy_url.host:
        raise InvalidProxyURL(PROXY_URL_MESSAGE)


def _authority(url: str) -> Optional[Tuple[str, str]]:
    """``(scheme, netloc)`` as ``urlparse`` (requests' pool key) reads them, or ``None``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None  # refused by the pool key too: the check says how
    return parts.scheme, parts.netloc


def invalid_url(exc: ValueError, request: PreparedRequest, *, proxy: bool) -> Exception:
    """A URL urllib3 accepted but protection spaces cannot name, as requests' exception."""
    if proxy:
        return InvalidProxyURL(f"{PROXY_URL_MESSAGE} ({exc})", request=request)
    return InvalidURL(exc, request=request)


def callers_own_auth(request: PreparedRequest) -> bool:
    """``request`` carries origin authentication the adapter did not make.

    An ``Authorization`` header (set by the caller or by ``HTTPBasicAuth``), or a
    response hook bound to a requests :class:`~requests.auth.AuthBase` (``HTTPDigestAuth``
    answers the 401 itself). requests-dav's own ``auth=`` classes register plain functions
    and are not counted: they and the adapter share the same negotiation. Nor is the Basic
    header requests builds from a netrc file when nothing else was chosen (``trust_env``): a
    store with ``netrc=True`` answers for those credentials itself, with the scheme the server
    asks for.

    The header is looked up without the ``KeyError`` requests' dict pays for a missing name
    (:func:`~requests_dav.transport.send_state.header_value`), and a request without response
    hooks is answered without looking for one (issue 16).
    """
    value = header_value(request.headers, "Authorization")
    if value is not None:
        return value != _netrc_basic(str(request.url))
    hooks = (request.hooks or {}).get("response", ())
    if type(hooks) is list and not hooks:
        return False
    return any(isinstance(getattr(hook, "__self__", None), AuthBase) for hook in hooks)


def callers_own_proxy_auth(request: PreparedRequest, proxy: str) -> bool:
    """``request`` carries a ``Proxy-Authorization`` for ``proxy`` the adapter did not make.

    Not counted: the Basic header requests' ``rebuild_proxies`` builds from the proxy URL's
    userinfo on a redirect; the adapter has those credentials in its store already and answers
    the proxy's own challenge with them.
    """
    value = header_value(request.headers, "Proxy-Authorization")
    if value is None:
        return False
    username, password = _get_auth_from_url(proxy)
    return not username or value != _basic_auth_str(username, password)


def _netrc_basic(url: str) -> Optional[str]:
    """The ``Authorization`` requests would put on ``url`` from a netrc file, if any."""
    found: Any = _get_netrc_auth(url)
    return _basic_auth_str(*found) if found else None


def adapter_state(adapter: Any, http_adapter_state: Dict[str, Any]) -> Dict[str, Any]:
    """What an :class:`~requests_dav.AuthAdapter` pickles: its configuration and its store."""
    negotiator = adapter.negotiator
    return {
        "http_adapter": http_adapter_state,
        "credentials": adapter.credentials,
        "registry": negotiator.registry,
        "options": negotiator.options,
        "max_replay_bytes": adapter.max_replay_bytes,
        "expect_continue": adapter.expect_continue,
        "expect_timeout": adapter.expect_timeout,
        "bound_connection_wait": adapter.bound_connection_wait,
        "replace_caller_auth": adapter.replace_caller_auth,
    }
