"""The size of every token of an XML byte stream, checked before a parser buffers it.

XML 1.0 (section 2.4) allows no raw ``<`` in character data and none in an
attribute value (section 3.1), so every start tag with all its attributes,
every end tag and every run of character data lies between two ``<`` that
open markup. :class:`TokenScanner` measures that distance as the bytes arrive.

Comments, processing instructions and CDATA sections (sections 2.5, 2.6, 2.7)
are the exception: they may hold ``<``, and the text on either side of one
joins into one text node. Their ``<`` therefore does not end a run, and the
scanner follows them to their end (``-->``, ``?>``, ``]]>``), across chunk
boundaries. A chunk without ``<!`` or ``<?`` (every chunk of an ordinary
WebDAV body) costs a few ``find`` calls and a byte search each for ``!``
and ``?``, also when it ends in ``<`` or follows one that did (that ``<`` is
carried over until the next chunk shows what it opens); the others are
scanned ``<`` by ``<``, still in linear time.

Bytes are counted, so a UTF-16 body counts two per character; its comments
and CDATA sections are not followed (their markers are other bytes there), so
in UTF-16 text split by them is bounded piece by piece.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["TokenScanner"]

_OPENERS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
_LONGEST_OPENER = max(len(opener) for opener, _ in _OPENERS)
_BANG = ord("!")
_QUESTION = ord("?")


class TokenScanner:
    """Tells when more than ``limit`` bytes pass between two ``<`` that open markup.

    Feed every byte of a body, in order, to :meth:`check`; it returns False
    once a token has grown past ``limit`` (and keeps returning False). The
    check is exact for chunks of at most ``limit`` bytes.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._offset = 0  # bytes seen before the current chunk
        self._last = 0  # offset just past the last "<" that opened markup
        self._closer: Optional[bytes] = None  # inside a comment, PI or CDATA section: its end
        self._carry = b""  # the unfinished end of the previous chunk ("<!-", "]]", ...)
        self._exceeded = False

    def check(self, data: bytes) -> bool:
        if self._exceeded:
            return False
        gap = self._fast(data)
        if gap is None:
            gap = self._scan(data)
        self._exceeded = gap > self.limit
        return not self._exceeded

    def _fast(self, data: bytes) -> Optional[int]:
        """The longest gap by a few ``find`` calls, or ``None`` when :meth:`_scan` must decide.

        Taken outside comments, PIs and CDATA sections when ``data`` holds no
        ``<!`` or ``<?``. A trailing ``<`` is carried over (the next chunk
        tells whether it opens one of them); a carried ``<`` that the head of
        ``data`` shows to open ordinary markup counts as a ``<`` there. Only
        the first gap is measured: every other lies inside ``data``, shorter
        than ``data``, which is at most ``limit`` bytes.
        """
        if self._closer is not None:
            return None
        # "!" and "?" first: one memchr each (an int, so no TypeError is
        # raised and cleared in C), where the searches for "<!" and "<?"
        # cost about 2 instructions a byte; a listing's chunks hold neither
        if (_BANG in data and b"<!" in data) or (_QUESTION in data and b"<?" in data):
            return None
        base = self._offset
        gap = 0
        carry = self._carry
        if carry:
            head = carry + data[:_LONGEST_OPENER]
            if any(head.startswith(o) or o.startswith(head) for o, _ in _OPENERS):
                return None  # an opener, or still maybe one
            at = base - len(carry)  # the carried "<" opened markup
            gap = at - self._last
            self._last = at + 1
            self._carry = b""
        end = len(data) - 1 if data.endswith(b"<") else len(data)
        first = data.find(b"<", 0, end)
        if first < 0:
            gap = max(gap, base + end - self._last)
        else:
            gap = max(gap, base + first - self._last)
            self._last = base + data.rfind(b"<", 0, end) + 1
        if end < len(data):
            self._carry = b"<"  # maybe "<!--", "<![CDATA[" or "<?": the next chunk says
        self._offset = base + len(data)
        return gap

    def _scan(self, data: bytes) -> int:
        """The longest gap in ``data``, following comments, PIs and CDATA sections."""
        buf = self._carry + data
        base = self._offset - len(self._carry)
        self._offset += len(data)
        self._carry = b""
        longest = 0
        run_end = self._offset  # the open run reaches the end of the data ...
        i = 0
        while i < len(buf):
            closer = self._closer
            if closer is not None:
                end = buf.find(closer, i)
                if end < 0:
                    self._carry = buf[max(i, len(buf) - len(closer) + 1) :]
                    break
                self._closer = None
                i = end + len(closer)
                continue
            at = buf.find(b"<", i)
            if at < 0:
                break
            rest = buf[at : at + _LONGEST_OPENER]
            opened = next(((o, c) for o, c in _OPENERS if rest.startswith(o)), None)
            if opened is not None:
                self._closer = opened[1]
                i = at + len(opened[0])
                continue
            if len(rest) < _LONGEST_OPENER and any(o.startswith(rest) for o, _ in _OPENERS):
                self._carry = buf[at:]  # maybe an opener, cut by the chunk boundary
                run_end = base + at  # ... or its "<", which the next chunk decides
                break
            longest = max(longest, base + at - self._last)
            self._last = base + at + 1
            i = at + 1
        return max(longest, run_end - self._last)
