"""The stdlib backend's batched path gives exactly what its event-by-event path gives (issue 16).

After each feed the stdlib backend works out the depth the queued events reach and takes
the root's completed children in one slice, instead of walking the events one by one in
Python. A batch that ends in a parse error or goes deeper than ``max_depth`` falls back to
the event-by-event path. Documents are drawn with deep nesting, text, attributes, children
the caller did not ask for, and cut short or broken at any byte, fed in chunks of any size;
both paths must yield the same elements and end with the same error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, List
from unittest import mock

from hypothesis import example, given, settings
from hypothesis import strategies as st

from requests_dav.dav import xmlsafe

from .xml_documents import documents


def _outcome(document: bytes, chunk: int, max_depth: int, wanted: Any) -> List[Any]:
    chunks = iter([document[i : i + chunk] for i in range(0, len(document), chunk)])
    seen: List[Any] = []
    try:
        for element in xmlsafe._iter_stdlib(chunks, wanted, max_depth):
            seen.append(ET.tostring(element))
    except xmlsafe.MultiStatusParseError as err:
        seen.append(("error", str(err), err.position))
    return seen


@settings(max_examples=300, deadline=None)
@given(
    documents(max_children=6),
    st.integers(1, 200),
    st.integers(1, 40),
    st.sampled_from([None, ("{DAV:}response",), ("{DAV:}response", "{DAV:}responsedescription")]),
)
@example(b'<D:multistatus xmlns:D="DAV:"><D:response/><D:x>', 64, 30, None)  # cut: last held
@example(b'<D:multistatus xmlns:D="DAV:">' + b"<D:x>" * 5 + b"</D:x>" * 5, 7, 4, None)
def test_batched_path_matches_event_by_event(
    document: bytes, chunk: int, max_depth: int, wanted: Any
) -> None:
    batched = _outcome(document, chunk, max_depth, wanted)
    with mock.patch.object(xmlsafe, "_events_deque", return_value=None):
        by_event = _outcome(document, chunk, max_depth, wanted)
    assert batched == by_event


def test_the_batched_path_is_the_one_taken() -> None:
    """The comparison above is not between two runs of one path."""
    taken = []
    original = xmlsafe._pending_events

    def spy(parser: Any) -> Any:
        taken.append(parser)
        return original(parser)

    document = b'<D:multistatus xmlns:D="DAV:"><D:response/><D:response/></D:multistatus>'
    with mock.patch.object(xmlsafe, "_pending_events", spy):
        assert len(_outcome(document, 8, 30, None)) == 2
        assert taken == []  # no fault: the queue is never walked event by event
        with mock.patch.object(xmlsafe, "_events_deque", return_value=None):
            assert len(_outcome(document, 8, 30, None)) == 2
        assert taken
