"""Hypothesis strategies shared by the parser tests: small multistatus documents of nested
elements with text, tails, attributes and entity references, whole or cut short or broken at
any byte (the shortcuts of ``xmlsafe`` are compared with the rules they replace on them)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAMES = ("response", "href", "prop", "x", "responsedescription")


@st.composite
def elements(draw: Any, depth: int = 0) -> str:
    """One element: a leaf (text and tail drawn), a long chain past the smaller ``max_depth``
    values, or an element with up to four children, nested up to 12 deep."""
    name = draw(st.sampled_from(NAMES))
    attribute = draw(st.sampled_from(["", ' a="1"', ' b="&lt;"']))
    if depth > 12 or draw(st.integers(0, 3)) == 0:
        text = draw(st.sampled_from(["", "t", "a &amp; b", " \n"]))
        tail = draw(st.sampled_from(["", " ", "tail"]))
        element = f"<D:{name}{attribute}>{text}</D:{name}>" if text else f"<D:{name}{attribute}/>"
        return element + tail
    if draw(st.integers(0, 9)) == 0:
        levels = draw(st.integers(1, 30))
        return "<D:x>" * levels + "deep" + "</D:x>" * levels
    children = draw(st.lists(elements(depth + 1), max_size=4))
    return f"<D:{name}{attribute}>" + "".join(children) + f"</D:{name}>"


@st.composite
def documents(draw: Any, max_children: int = 8) -> bytes:
    """A ``DAV:multistatus`` of up to ``max_children`` elements: whole, cut at any byte, with
    junk inserted at any byte (``<``, an undefined entity, a stray end tag, text, an invalid
    UTF-8 byte), or with a mismatched end tag."""
    children = draw(st.lists(elements(), max_size=max_children))
    document = ('<D:multistatus xmlns:D="DAV:">' + "".join(children) + "</D:multistatus>").encode()
    fault = draw(st.sampled_from(["none", "cut", "junk", "mismatch"]))
    if fault == "cut":
        document = document[: draw(st.integers(0, len(document)))]
    elif fault == "junk":
        at = draw(st.integers(0, len(document)))
        junk = draw(st.sampled_from([b"<", b"&bogus;", b"</D:y>", b"x", b"\xff"]))
        document = document[:at] + junk + document[at:]
    elif fault == "mismatch":
        document = document.replace(b"</D:href>", b"</D:hre>", 1)
    return document
