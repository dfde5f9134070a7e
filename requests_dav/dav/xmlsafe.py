"""Defused, streaming XML parsing of WebDAV bodies (RFC 4918 section 20.6).

RFC 4918 section 20.6 warns that XML entities make a client open to
denial of service (entity expansion: "billion laughs", quadratic blowup) and
to disclosure (external entities). WebDAV never needs a document type
declaration, so every body passes through a prolog guard before any parser
sees it:

* the byte order mark and the XML declaration are checked (UTF-8, UTF-16 and
  a few ASCII-compatible single-byte encodings only: an encoding such as
  UTF-7 or EBCDIC could spell ``<!DOCTYPE`` in bytes the guard cannot see);
* the prolog (XML declaration, comments, processing instructions) is scanned
  up to the root element, across chunk boundaries; ``<!DOCTYPE`` or any
  other ``<!`` declaration there is refused with
  :class:`MultiStatusParseError`, before a single byte reaches the parser;
* the root element's start tag is checked against the expected root (such
  as ``{DAV:}multistatus``) as soon as it is complete.

Past the root start tag a declaration is no longer well-formed XML, so both
parsers reject one there themselves. The parsers are configured to refuse
entities anyway, as far as each lets itself be configured:

``lxml``
    ``XMLPullParser(resolve_entities=False, no_network=True, load_dtd=False,
    huge_tree=False)``. libxml2 without ``huge_tree`` also refuses nesting
    deeper than 256 elements whatever ``max_depth`` says.
``stdlib``
    :class:`xml.etree.ElementTree.XMLPullParser`, whose C parser does not
    expose its expat handle (so no ``EntityDeclHandler`` can be installed on
    it): expat's defaults apply (parameter entities never parsed, no external
    entity loading, an undefined entity is an error) and expat 2.4 or later
    bounds entity amplification. The pyexpat parser this module runs itself
    (on the root start tag) is defused explicitly.

Both backends behind one interface, :func:`iterparse_children`: the body is
fed in chunks as they arrive; each completed child of the root is yielded,
cleared once the caller asks for the next one, and the root's ended children
are removed after each feed: memory stays bounded by what one feed holds.
The backend is chosen by the ``backend`` argument, else by the environment
variable ``REQUESTS_DAV_XML_BACKEND`` (``lxml`` or ``stdlib``), else lxml
when it can be imported.
"""

from __future__ import annotations

import codecs
import collections
import os
import re
from typing import Any, Deque, Generator, Iterable, Iterator, Optional, Sequence, Tuple, Union
from xml.parsers import expat

from .xmltokens import TokenScanner

__all__ = [
    "BACKEND_ENV",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_TOKEN_BYTES",
    "FEED_SIZE",
    "HOLD_BYTES",
    "MAX_PROLOG_BYTES",
    "MultiStatusParseError",
    "available_backends",
    "iterparse_children",
    "select_backend",
]

BACKEND_ENV = "REQUESTS_DAV_XML_BACKEND"
"""Environment variable that forces a parser backend: ``lxml`` or ``stdlib``."""

DEFAULT_MAX_DEPTH = 256
"""Deepest element nesting accepted (the root element is at depth 1)."""

MAX_PROLOG_BYTES = 65536
"""Longest prolog (BOM, XML declaration, comments and the root start tag) accepted."""

FEED_SIZE = 1 << 20
"""Larger chunks are fed to the parser in slices of this size."""

DEFAULT_MAX_TOKEN_BYTES = 8 << 20
"""Most bytes accepted between two ``<`` of a body (see :mod:`~requests_dav.dav.xmltokens`).

Below libxml2's own limit without ``huge_tree`` (10,000,000 bytes for a text
node or an attribute value), so both backends refuse the same inputs.
"""

_LIBXML2_MAX_DEPTH = 256

Position = Tuple[int, int]


class MultiStatusParseError(ValueError):
    """A body could not be parsed as the WebDAV XML it should be.

    Raised for malformed or truncated XML, a document type declaration, an
    unsupported encoding, nesting deeper than allowed and a root element
    other than the one expected. ``position`` is ``(line, column)``, both
    counted from 1, when the parser reported one, else ``None``.
    """

    def __init__(self, message: str, position: Optional[Position] = None) -> None:
        self.message = message
        self.position = position
        where = f" (line {position[0]}, column {position[1]})" if position else ""
        super().__init__(f"{message}{where}")


# ---------------------------------------------------------------------------
# Backend selection


def available_backends() -> tuple[str, ...]:
    """The parser backends usable here, fastest first."""
    try:
        import lxml.etree  # noqa: F401
    except ImportError:
        return ("stdlib",)
    return ("lxml", "stdlib")


def select_backend(backend: Optional[str] = None) -> str:
    """Resolve a backend name: the argument, else ``$REQUESTS_DAV_XML_BACKEND``, else the fastest.

    Raises :class:`ValueError` for an unknown name and :class:`ImportError`
    when ``lxml`` is asked for but cannot be imported.
    """
    name = backend if backend is not None else (os.environ.get(BACKEND_ENV) or None)
    if name is None:
        return available_backends()[0]
    name = name.strip().lower()
    if name not in ("lxml", "stdlib"):
        raise ValueError(f"unknown XML backend {name!r}: use 'lxml' or 'stdlib'")
    if name == "lxml" and "lxml" not in available_backends():
        raise ImportError("the lxml XML backend was requested but lxml cannot be imported")
    return name


# ---------------------------------------------------------------------------
# The prolog guard

# Encodings the guard can scan byte for byte as ASCII (every ASCII character is
# itself, and no other byte sequence decodes to one).
_ASCII_COMPATIBLE_RE = re.compile(
    r"(?:utf-?8|(?:us-)?ascii|iso[-_]?8859[-_](?:[1-9]|1[013-6])|latin-?1|(?:windows|cp)-?125[0-8])\Z",
    re.I,
)
_XML_DECL_RE = re.compile(
    r"<\?xml\s+version\s*=\s*(?:\"[^\"]*\"|'[^']*')"
    r"(?:\s+encoding\s*=\s*(?:\"(?P<enc1>[^\"]*)\"|'(?P<enc2>[^']*)'))?",
)
_NAME_END_RE = re.compile(r"[\s/>]")


def _detect(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) from the first bytes (XML 1.0 appendix F)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise MultiStatusParseError("unsupported encoding: UTF-32")
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", 0
    if b"\x00" in head:
        raise MultiStatusParseError("unsupported encoding (not UTF-8 or UTF-16)")
    return "latin-1", 0  # ASCII-compatible: scanned byte for byte


def _position(text: str, index: int) -> Position:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _defused_expat() -> Any:
    """A namespace-aware pyexpat parser that refuses every entity declaration."""
    parser: Any = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: Any) -> None:
        raise MultiStatusParseError("document type declarations are not accepted")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


class _PrologGuard:
    """Holds bytes back until the root element's start tag has been seen and checked.

    ``feed`` returns the bytes that may go to the parser (``b""`` while the
    prolog is still incomplete); ``close`` raises if the document ended
    before its root element.
    """

    def __init__(self, root_tag: Optional[str]) -> None:
        self.root_tag = root_tag
        self.passed = False
        self._raw = bytearray()
        self._codec: Optional[str] = None
        self._decoder: Any = None
        self._text = ""
        self._pos = 0  # start of the construct being scanned
        self._search = 0  # where the search for its end resumes
        self._quote = ""  # inside the root start tag: the open quote, if any
        self._fed = 0  # how many raw bytes have been decoded
        self._bom = 0
        self._encoding = "utf-8"  # what the bytes really are, for a byte-scanned prolog

    def feed(self, data: bytes) -> bytes:
        if self.passed:
            return data
        self._raw += data
        if self._scan(final=False):
            self.passed = True
            out = bytes(self._raw)
            self._raw = bytearray()
            self._text = ""
            return out
        if len(self._raw) > MAX_PROLOG_BYTES:
            raise MultiStatusParseError(
                f"no root element within the first {MAX_PROLOG_BYTES} bytes"
            )
        return b""

    def close(self) -> bytes:
        if self.passed:
            return b""
        if self._scan(final=True):
            self.passed = True
            return bytes(self._raw)
        raise MultiStatusParseError(
            "empty document"
            if not self._text.strip()
            else "document ended before its root element",
            _position(self._text, len(self._text)) if self._text.strip() else None,
        )

    def _scan(self, final: bool) -> bool:
        if self._codec is None:
            if len(self._raw) < 4 and not final:
                return False
            self._codec, self._bom = _detect(bytes(self._raw[:4]))
            self._decoder = codecs.getincrementaldecoder(self._codec)(errors="replace")
            self._text = self._decoder.decode(bytes(self._raw[self._bom :]), final)
        else:
            self._text += self._decoder.decode(bytes(self._raw[self._fed :]), final)
        self._fed = len(self._raw)
        return self._scan_text()

    def _scan_text(self) -> bool:
        text = self._text
        end = len(text)
        while True:
            pos = self._pos
            while pos < end and text[pos] in " \t\r\n":
                pos += 1
            if pos != self._pos:
                self._pos = self._search = pos
            if pos >= end:
                return False
            if text[pos] != "<":
                raise MultiStatusParseError(
                    "content before the root element (not XML, or an unsupported encoding)",
                    _position(text, pos),
                )
            if text.startswith("<?", pos):
                close = text.find("?>", max(self._search, pos + 2))
                if close < 0:
                    self._search = max(pos + 2, end - 1)
                    return False
                if pos == 0 and text.startswith("<?xml", pos) and text[pos + 5 : pos + 6].isspace():
                    self._check_declaration(text[pos : close + 2])
                self._pos = self._search = close + 2
                continue
            if end - pos < 4 and "<!--".startswith(text[pos:]):
                return False  # "<", "<!" or "<!-": a comment or a declaration
            if text.startswith("<!--", pos):
                close = text.find("-->", max(self._search, pos + 4))
                if close < 0:
                    self._search = max(pos + 4, end - 2)
                    return False
                self._pos = self._search = close + 3
                continue
            if text.startswith("<!", pos):
                raise MultiStatusParseError(
                    "document type declarations (<!DOCTYPE ...>) are not accepted",
                    _position(text, pos),
                )
            return self._root_start_tag(text, pos)

    def _check_declaration(self, decl: str) -> None:
        match = _XML_DECL_RE.match(decl)
        if match is None:
            return  # malformed: the parser reports it
        encoding = match.group("enc1") or match.group("enc2")
        if encoding is None:
            return
        if self._codec in ("utf-16-le", "utf-16-be"):
            ok = encoding.lower().replace("_", "-") in ("utf-16", "utf-16le", "utf-16be")
        elif self._raw.startswith(codecs.BOM_UTF8):
            ok = re.fullmatch(r"utf-?8", encoding, re.I) is not None
        else:
            ok = _ASCII_COMPATIBLE_RE.match(encoding) is not None
        if not ok:
            raise MultiStatusParseError(f"unsupported encoding {encoding!r}")
        self._encoding = encoding

    def _root_start_tag(self, text: str, pos: int) -> bool:
        i = max(self._search, pos + 1)
        quote = self._quote
        end = len(text)
        while i < end:
            char = text[i]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == ">":
                self._check_root(text[pos : i + 1], pos)
                return True
            i += 1
        self._search = i
        self._quote = quote
        return False

    def _check_root(self, start_tag: str, pos: int) -> None:
        if self.root_tag is None:
            return
        if self._codec == "latin-1":  # scanned byte for byte: decode the tag for real
            raw = bytes(self._raw[self._bom + pos : self._bom + pos + len(start_tag)])
            try:
                start_tag = raw.decode(self._encoding, errors="replace")
            except LookupError:
                raise MultiStatusParseError(f"unsupported encoding {self._encoding!r}") from None
        match = _NAME_END_RE.search(start_tag, 1)
        qname = start_tag[1 : match.start() if match else len(start_tag)]
        document = start_tag if start_tag.endswith("/>") else f"{start_tag}</{qname}>"
        names: list[str] = []
        parser = _defused_expat()
        parser.StartElementHandler = lambda name, _attrs: names.append(name)
        try:
            parser.Parse(document, True)
        except expat.ExpatError as err:
            raise MultiStatusParseError(
                f"malformed root element: {expat.ErrorString(err.code)}", _position(self._text, pos)
            ) from None
        tag = names[0]
        clark = "{" + tag if "}" in tag else tag
        if clark != self.root_tag:
            raise MultiStatusParseError(
                f"expected a {self.root_tag} document, got {clark}", _position(self._text, pos)
            )


# ---------------------------------------------------------------------------
# Streaming


def _chunks_checked(chunks: Iterable[bytes], guard: _PrologGuard) -> Iterator[bytes]:
    for chunk in chunks:
        if isinstance(chunk, str):
            raise TypeError("XML bodies must be bytes, not str")
        if not chunk:
            continue
        data = guard.feed(bytes(chunk))
        if len(data) <= FEED_SIZE:
            if data:
                yield data
        else:  # libxml2 refuses a single feed of more than 10 MB without huge_tree
            view = memoryview(data)
            for start in range(0, len(view), FEED_SIZE):
                yield bytes(view[start : start + FEED_SIZE])
    data = guard.close()
    if data:
        yield data


HOLD_BYTES = 65536
"""An unfinished tag is held back until it ends, or until at least this many bytes of it
(and as many as were fed of it already) have arrived."""


def _token_bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """The chunks, each token checked (:mod:`~requests_dav.dav.xmltokens`), cut after
    their last ``>``.

    expat scans an unfinished start tag again from its beginning on every feed, so a
    tag trickling in by small chunks (a server's one-byte HTTP chunks) cost the square
    of its length. What follows the last ``>`` waits for more data: until it is at
    least :data:`HOLD_BYTES` long and as long as what was fed of the same tag already,
    so the re-scans of one tag add up to a few times its length. Every complete
    element still reaches the parser at once.
    """
    scanner = TokenScanner(limit)
    size = max(1, min(FEED_SIZE, limit))  # slices of at most limit: the check is exact
    held = bytearray()  # no ">" in here
    unfinished = 0  # bytes fed since the last ">"
    for data in chunks:
        view = memoryview(data)
        for start in range(0, len(view), size):
            piece = bytes(view[start : start + size]) if len(data) > size else data
            if not scanner.check(piece):
                raise MultiStatusParseError(
                    f"a tag or a run of character data longer than {limit} bytes"
                )
            cut = piece.rfind(b">") + 1
            if cut:
                if held:  # the held tail and the piece up to its last ">", copied once
                    yield b"".join((held, memoryview(piece)[:cut]))
                    held.clear()
                else:
                    yield piece if cut == len(piece) else piece[:cut]
                unfinished = 0
            held += memoryview(piece)[cut:]  # what follows the last ">" (all, without one)
            if len(held) >= max(HOLD_BYTES, unfinished):
                yield bytes(held)
                unfinished += len(held)
                held.clear()
    if held:
        yield bytes(held)


def _depth_exceeded(max_depth: int, position: Optional[Position] = None) -> MultiStatusParseError:
    return MultiStatusParseError(f"elements nested deeper than {max_depth} levels", position)


def _check_depth(element: Any, depth: int, max_depth: int) -> None:
    if depth > max_depth:
        raise _depth_exceeded(max_depth, _sourceline(element))
    for child in element:
        _check_depth(child, depth + 1, max_depth)


def _sourceline(element: Any) -> Optional[Position]:
    line = getattr(element, "sourceline", None)
    return (line, 1) if isinstance(line, int) else None


def _from_parser_error(err: Any) -> MultiStatusParseError:
    position = getattr(err, "position", None)
    message = getattr(err, "msg", None) or str(err)
    message = re.sub(r",? line \d+, column \d+.*\Z", "", str(message), flags=re.S) or str(err)
    if isinstance(position, tuple) and len(position) == 2:
        return MultiStatusParseError(message, (int(position[0]), int(position[1])))
    return MultiStatusParseError(message)


def _iter_lxml(
    chunks: Iterator[bytes], child_tags: Optional[Sequence[str]], max_depth: int
) -> Generator[Any, None, None]:
    """The root's children, each cleared once the next is asked for; after each feed all
    but the root's last child (the only one that can still be open) are removed at once, or
    one by one before each child where the depth is checked here (``max_depth`` < 256)."""
    from lxml import etree

    parser = etree.XMLPullParser(
        events=("end",),
        tag=list(child_tags) if child_tags is not None else None,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        attribute_defaults=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    check_depth = max_depth < _LIBXML2_MAX_DEPTH
    etree.clear_error_log()  # this thread's log: what _logged_cause reads belongs to this parse

    def syntax_error(err: Any) -> MultiStatusParseError:
        if "Excessive depth" in str(err):
            return _depth_exceeded(min(max_depth, _LIBXML2_MAX_DEPTH), _position_of(err))
        cause = _logged_cause(err)
        if cause is not None:
            return cause
        return _from_parser_error(err)

    root: Any = None
    done = False
    while not done:
        data = next(chunks, None)
        try:
            if data is None:
                done = True
                root = parser.close()
            else:
                parser.feed(data)
            for _event, element in parser.read_events():
                parent = element.getparent()
                # one proxy per node while it lives; the root's own end may come first
                if parent is not root or parent is None:
                    if parent is None or parent.getparent() is not None:
                        continue  # the root itself, or an element deeper down
                    root = parent
                if check_depth:
                    for sibling in parent:
                        if sibling is element:
                            break
                        _check_depth(sibling, 2, max_depth)
                    _check_depth(element, 2, max_depth)
                yield element
                element.clear(keep_tail=False)
                if check_depth:  # the siblings before it have been checked: let them go
                    while element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as err:
            raise syntax_error(err) from None
        if not check_depth and root is not None:
            del root[:-1]  # the children that have ended, those not asked for included
    if check_depth and root is not None:
        _check_depth(root, 1, max_depth)


def _logged_cause(err: Any) -> Optional[MultiStatusParseError]:
    """libxml2's own error when lxml reports only "no element found" at (0, 0).

    With ``resolve_entities=False`` a fatal error inside the document (an
    undefined entity such as ``&foo;``) stops the pull parser silently, and
    lxml then says the document had no element. The real error is the last
    fatal entry of the thread's error log (cleared when the parser was made).
    """
    if "no element found" not in str(err):
        return None
    entries = [e for e in getattr(err, "error_log", ()) if getattr(e, "level_name", "") == "FATAL"]
    if not entries:
        return None
    last = entries[-1]
    message = str(getattr(last, "message", "") or "").strip()
    if not message or "no element found" in message:
        return None
    line, column = getattr(last, "line", 0), getattr(last, "column", 0)
    if isinstance(line, int) and isinstance(column, int) and line > 0:
        return MultiStatusParseError(message, (line, column))
    return MultiStatusParseError(message)


def _position_of(err: Any) -> Optional[Position]:
    position = getattr(err, "position", None)
    if isinstance(position, tuple) and len(position) == 2:
        return int(position[0]), int(position[1])
    return None


def _iter_stdlib(
    chunks: Iterator[bytes], child_tags: Optional[Sequence[str]], max_depth: int
) -> Generator[Any, None, None]:
    import xml.etree.ElementTree as ET

    wanted = frozenset(child_tags) if child_tags is not None else None
    parser: Any = ET.XMLPullParser(events=("start", "end"))
    queue = _events_deque(parser)
    depth = 0
    root: Any = None

    def events() -> Iterator[Any]:
        nonlocal depth, root
        try:
            for item in _pending_events(parser):
                if type(item) is not tuple:
                    raise item  # a parse error, queued where it happened
                event, element = item
                if event == "start":
                    depth += 1
                    if depth > max_depth:
                        raise _depth_exceeded(max_depth)
                    if depth == 1:
                        root = element
                    continue
                depth -= 1
                if depth == 1:
                    if wanted is None or element.tag in wanted:
                        yield element
                    del root[:]
        except ET.ParseError as err:
            raise _from_stdlib_error(err) from None

    def batch() -> Iterator[Any]:
        """The events of one feed at once: the depth they reach, then the root's children
        they complete, taken and removed in one slice each. A batch ending in a parse error
        or going too deep takes the event by event path, which yields what precedes the
        fault and then raises at it."""
        nonlocal depth, root
        assert queue is not None
        if not queue:
            return
        if type(queue[-1]) is not tuple:
            yield from events()
            return
        level = peak = depth
        for event, _element in queue:
            if event == "start":
                level += 1
                if level > peak:
                    peak = level
            else:
                level -= 1
        if peak > max_depth:
            yield from events()
            return
        if root is None:
            root = queue[0][1]  # the first event of a document is its root's start
        depth = level
        queue.clear()
        complete = len(root) - (depth > 1)  # all but one still open
        if complete > 0:
            children = root[:complete]
            del root[:complete]
            for element in children:
                if wanted is None or element.tag in wanted:
                    yield element

    pending = batch if queue is not None else events
    for data in chunks:
        try:
            parser.feed(data)
        except ET.ParseError as err:
            raise _from_stdlib_error(err) from None
        yield from pending()
    try:
        parser.close()
    except ET.ParseError as err:
        raise _from_stdlib_error(err) from None
    yield from pending()


def _events_deque(parser: Any) -> Optional[Deque[Any]]:
    """The queue CPython's ``XMLPullParser`` keeps its events in, where it can be seen."""
    queue = getattr(parser, "_events_queue", None)
    return queue if isinstance(queue, collections.deque) else None


def _pending_events(parser: Any) -> Iterable[Any]:
    """The events an ``XMLPullParser`` has queued, taken at once where its queue can be seen.

    ``read_events`` is a Python generator resumed once per event (two per
    element); CPython's parser keeps the events in a deque, which is emptied
    here in one call, parse errors left in place for the caller to raise in
    order. Elsewhere ``read_events`` serves (it raises those errors itself).
    """
    queue = _events_deque(parser)
    if queue is None:
        return parser.read_events()  # type: ignore[no-any-return]
    pending = list(queue)
    queue.clear()
    return pending


def _from_stdlib_error(err: Any) -> MultiStatusParseError:
    message = re.sub(r": line \d+, column \d+\Z", "", str(err))
    position = _position_of(err)
    if position is None:
        return MultiStatusParseError(message)
    return MultiStatusParseError(message, (position[0], position[1] + 1))  # expat counts from 0


def iterparse_children(
    chunks: Iterable[Union[bytes, bytearray, memoryview]],
    *,
    root_tag: Optional[str],
    child_tags: Optional[Sequence[str]] = None,
    backend: Optional[str] = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
) -> Generator[Any, None, None]:
    """Parse a body chunk by chunk, yielding each completed child of its root element.

    ``root_tag`` is the Clark name (``{DAV:}multistatus``) the root must
    have (``None``: any). ``child_tags`` limits the children yielded (others
    are skipped and discarded). The elements are lxml or
    :mod:`xml.etree.ElementTree` elements (``tag``, ``text``, ``tail``,
    ``attrib``, iteration, ``len``); each one is valid until the next is
    requested, then it is cleared. Comments and processing instructions are
    not included. ``max_token_bytes`` bounds the bytes between two ``<``:
    every tag with its attributes and every run of character data (see
    :data:`DEFAULT_MAX_TOKEN_BYTES`).

    Raises :class:`MultiStatusParseError` (also for truncated input, found
    when the chunks run out, and for a token over ``max_token_bytes``) and
    :class:`TypeError` for a ``str`` chunk.
    """
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    if max_token_bytes < 1:
        raise ValueError("max_token_bytes must be at least 1")
    name = select_backend(backend)
    guarded = _token_bounded(
        _chunks_checked(chunks, _PrologGuard(root_tag)),  # type: ignore[arg-type]
        max_token_bytes,
    )
    if name == "lxml":
        return _iter_lxml(guarded, child_tags, max_depth)
    return _iter_stdlib(guarded, child_tags, max_depth)
