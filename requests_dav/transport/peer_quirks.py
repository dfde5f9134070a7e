"""What the adapter remembers about peers: HTTP/1.0 speakers and peers without ``Expect``.

RFC 2145 section 2.3: no chunked body to a peer known to speak HTTP/1.0 (the body goes again
with ``Content-Length`` from the replay buffer, RFC 9112 section 6.2); RFC 9110 section
10.1.1: no ``Expect: 100-continue`` to a peer that refused it (417) or let the wait time out.
"""

from __future__ import annotations

import logging
import threading
from typing import (
    Optional,
    Set,
    Union,
)

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest

from ..auth.urls import Origin
from .expect import URLLIB3_FUTURE
from .send_state import SendState
from .wire import HTTP10_CHUNKED_REFUSALS, with_content_length

#: peer notes are logged as the adapter's own
logger = logging.getLogger("requests_dav.transport.adapter")


class PeerQuirks(HTTPAdapter):
    """The peer-memory half of :class:`~requests_dav.transport.adapter.AuthAdapter`."""

    expect_continue: Union[bool, int, None]
    max_replay_bytes: int
    _state_lock: threading.Lock
    _http10_peers: Set[Origin]
    _no_expect_peers: Set[Origin]

    def _expects(self, length: Optional[int]) -> bool:
        """A body of ``length`` bytes (``None``: unknown) waits for ``100 Continue``."""
        option = self.expect_continue
        if option is False or URLLIB3_FUTURE:
            return False
        threshold = 0 if option is True else self.max_replay_bytes if option is None else option
        return length is None or length > max(threshold, 0)

    def _remember_no_expect(self, peer: Origin, why: str) -> None:
        self._remember(
            self._no_expect_peers, peer, f"{why}: no Expect: 100-continue to it from now on"
        )

    def _remember(self, peers: Set[Origin], peer: Origin, what: str) -> None:
        """Add ``peer`` to ``peers`` (under the state lock), logging ``what`` the first time."""
        with self._state_lock:
            if peer not in peers:
                logger.debug("%s %s", peer, what)
            peers.add(peer)

    def _refuses_expect(self, peer: Origin) -> bool:
        """An HTTP/1.0 peer ignores ``Expect`` (RFC 9110 10.1.1); a 417 peer refused it.

        With both memos empty (the usual case) the answer is no without the lock or a hash of
        ``peer``: a peer another thread adds at that moment is seen by the next request, as it
        would be had this one taken the lock first.
        """
        if not self._http10_peers and not self._no_expect_peers:
            return False
        with self._state_lock:
            return peer in self._http10_peers or peer in self._no_expect_peers

    @staticmethod
    def _can_replay(state: SendState) -> bool:
        return state.body is None or state.body.kind == "bytes" or state.body.replayable

    def _send_with_length(self, state: SendState, wire: PreparedRequest) -> None:
        """Replace a chunked body by the buffered bytes and ``Content-Length`` (RFC 9112 6.2)."""
        assert state.body is not None
        response = state.history[-1] if state.history else None
        with_content_length(wire, state.body, state.peer, state.request, response)

    def _is_http10(self, peer: Origin) -> bool:
        """``peer`` answered in HTTP/1.0; an empty memo is read without the lock (as above)."""
        if not self._http10_peers:
            return False
        with self._state_lock:
            return peer in self._http10_peers

    def _remember_http10(self, peer: Origin) -> None:
        self._remember(
            self._http10_peers, peer, "speaks HTTP/1.0: no chunked bodies to it (RFC 2145)"
        )


__all__ = ["HTTP10_CHUNKED_REFUSALS", "PeerQuirks"]
