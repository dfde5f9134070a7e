"""Parse and write authentication header fields (RFC 9110 section 11, RFC 7235).

``WWW-Authenticate`` and ``Proxy-Authenticate`` (RFC 9110 sections 11.6.1 and
11.7.1, RFC 7235 sections 4.1 and 4.3) carry a comma-separated list of
challenges, each ``auth-scheme [ 1*SP ( token68 / #auth-param ) ]``. A new
challenge starts where a list element is a token *not* followed by ``=``:
inside a parameter list, ``name=value`` continues the current challenge and
``Scheme`` / ``Scheme token68`` / ``Scheme name=value`` begins the next one.

``Authentication-Info`` and ``Proxy-Authentication-Info`` (RFC 7615) carry a
bare ``#auth-param`` list, read by :func:`parse_auth_info`.

Parameters whose name ends in ``*`` hold an RFC 8187 ``ext-value``: they are
decoded (:mod:`.rfc8187`) and stored, as text, under the starred name
(``title*``); the plain name is not filled in from it.

The grammar lives in :mod:`._abnf`; this module walks it left to right, once,
so the work is linear in the length of the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _abnf
from .errors import ChallengeParseError
from .rfc8187 import ExtValueError, decode_ext_value

__all__ = [
    "Challenge",
    "format_auth_params",
    "parse_auth_info",
    "parse_challenges",
    "parse_challenges_lenient",
    "quote_string",
]

_REPR_VALUE_MAX = 24
_REPR_PARAMS_MAX = 8


def _shorten(value: str) -> str:
    if len(value) <= _REPR_VALUE_MAX:
        return value
    return value[: _REPR_VALUE_MAX - 3] + "..."


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge, immutable and hashable.

    ``scheme`` is the lower-cased auth-scheme (``"basic"``, ``"digest"``).
    ``params`` is a read-only mapping of lower-cased parameter names to
    unquoted values (value case is kept). An RFC 8187 extended parameter
    (``title*=UTF-8''...``) is stored decoded under its starred name
    (``"title*"``). ``token68`` is set instead of ``params`` for schemes such
    as Negotiate. ``header`` is the field the challenge came from.

    The constructor normalises: names are lower-cased and ``params`` becomes
    a :class:`types.MappingProxyType`. It raises :class:`ValueError` for a
    scheme or parameter name that is not a token, two parameters whose names
    differ only in case, or a token68 that is malformed or given with params.
    """

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)
    token68: Optional[str] = None
    header: str = "WWW-Authenticate"

    def __post_init__(self) -> None:
        if _abnf.TOKEN_RE.fullmatch(self.scheme) is None:
            raise ValueError("auth-scheme must be a token")
        params: Dict[str, str] = {}
        for name, value in self.params.items():
            if _abnf.TOKEN_RE.fullmatch(name) is None:
                raise ValueError(f"parameter name {name!r} is not a token")
            key = name.lower()
            if key in params:
                raise ValueError(f"duplicate parameter {key!r}")
            params[key] = value
        if self.token68 is not None:
            if _abnf.TOKEN68_RE.fullmatch(self.token68) is None:
                raise ValueError("malformed token68")
            if params:
                raise ValueError("a challenge has either a token68 or parameters, not both")
        object.__setattr__(self, "scheme", self.scheme.lower())
        object.__setattr__(self, "params", MappingProxyType(params))

    def __hash__(self) -> int:
        return hash((self.scheme, frozenset(self.params.items()), self.token68, self.header))

    def __reduce__(self) -> Tuple[Any, ...]:
        # MappingProxyType cannot be pickled or deep-copied; rebuild from a dict.
        return (type(self), (self.scheme, dict(self.params), self.token68, self.header))

    def __repr__(self) -> str:
        parts = [repr(self.scheme)]
        if self.token68 is not None:
            parts.append(f"token68={_shorten(self.token68)!r}")
        items = list(self.params.items())
        for name, value in items[:_REPR_PARAMS_MAX]:
            parts.append(f"{name}={_shorten(value)!r}")
        if len(items) > _REPR_PARAMS_MAX:
            parts.append("...")
        if self.header != "WWW-Authenticate":
            parts.append(f"header={self.header!r}")
        return f"Challenge({', '.join(parts)})"

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The value of parameter *name* (case-insensitive), or *default*."""
        return self.params.get(name.lower(), default)

    @property
    def realm(self) -> Optional[str]:
        """The ``realm`` parameter, or None."""
        return self.params.get("realm")

    @property
    def is_proxy(self) -> bool:
        """True for a challenge from ``Proxy-Authenticate`` (header name starts with "proxy")."""
        return self.header.lower().startswith("proxy")


def _lines(values: Union[str, Iterable[str]]) -> List[str]:
    lines = [values] if isinstance(values, str) else list(values)
    for line in lines:
        if not isinstance(line, str):
            raise TypeError(f"header field values must be str, not {type(line).__name__}")
    return lines


def _unfold(line: str) -> str:
    # RFC 9112 section 5.2: each obs-fold becomes as many SP as it had characters.
    if "\n" not in line:
        return line
    return _abnf.OBS_FOLD_RE.sub(lambda m: " " * len(m.group()), line)


def _unquote(quoted: str) -> str:
    inner = quoted[1:-1]
    if "\\" not in inner:
        return inner
    return _abnf.QUOTED_PAIR_RE.sub(lambda m: m.group(1), inner)


class _Reader:
    """A cursor over one field line; every method raises ChallengeParseError."""

    def __init__(self, line: str, header: str) -> None:
        self.line = line
        self.header = header
        self.pos = 0
        self.end = len(line)

    def error(self, reason: str, position: Optional[int] = None) -> ChallengeParseError:
        where = self.pos if position is None else position
        return ChallengeParseError(self.header, where, reason, self.line)

    def at_end(self) -> bool:
        return self.pos >= self.end

    def skip_ows(self) -> int:
        """Skip OWS; return how many characters were skipped."""
        start = self.pos
        match = _abnf.OWS_RE.match(self.line, self.pos)
        assert match is not None  # OWS matches the empty string
        self.pos = match.end()
        return self.pos - start

    def skip_separators(self) -> None:
        """Skip OWS *( "," OWS ): list separators and empty list elements."""
        match = _abnf.LIST_SEPARATORS_RE.match(self.line, self.pos)
        assert match is not None
        self.pos = match.end()

    def at_param(self) -> bool:
        """True when an auth-param (``token BWS "="``) starts here."""
        return _abnf.AUTH_PARAM_NAME_RE.match(self.line, self.pos) is not None

    def read_param(self, params: Dict[str, str]) -> None:
        """Read ``token BWS "=" BWS ( token / quoted-string )`` into *params*."""
        name_start = self.pos
        match = _abnf.AUTH_PARAM_NAME_RE.match(self.line, self.pos)
        if match is None:
            raise self.error("expected an auth-param (name=value)")
        name = match.group("name").lower()
        if name in params:
            raise self.error(f"duplicate parameter {name!r}", name_start)
        self.pos = match.end()
        value_start = self.pos
        if self.line.startswith('"', self.pos):
            quoted = _abnf.QUOTED_STRING_RE.match(self.line, self.pos)
            if quoted is None:
                prefix = _abnf.QUOTED_STRING_PREFIX_RE.match(self.line, self.pos)
                assert prefix is not None
                stop = prefix.end()
                if stop >= self.end or (self.line[stop] == "\\" and stop + 1 >= self.end):
                    raise self.error("unterminated quoted-string", value_start)
                raise self.error("character not allowed in a quoted-string", stop)
            value = _unquote(quoted.group())
            self.pos = quoted.end()
        else:
            token = _abnf.TOKEN_RE.match(self.line, self.pos)
            if token is None:
                raise self.error(f"expected a token or quoted-string value for {name!r}")
            value = token.group()
            self.pos = token.end()
        if name.endswith("*"):
            # DEVIATION: RFC 8187 section 3.2 makes ext-value a token; a quoted
            # ext-value (seen from some servers) is unquoted and decoded too.
            try:
                value = decode_ext_value(value)
            except ExtValueError as exc:
                raise self.error(str(exc), value_start) from None
        params[name] = value

    def after_param(self) -> bool:
        """After a parameter value: True if another parameter of the same list follows.

        Leaves the cursor at the end, or at the start of the next list element.
        """
        skipped = self.skip_ows()
        if self.at_end():
            return False
        if self.line[self.pos] == ",":
            self.skip_separators()
            return not self.at_end() and self.at_param()
        # DEVIATION: some embedded servers omit the comma between parameters
        # (`realm="x" nonce="y"`). Where whitespace is followed by `name=`,
        # nothing else is possible, so the parameter is read as the next one.
        if skipped and self.at_param():
            return True
        raise self.error("expected ',' or the end of the field")


def _parse_challenge_line(line: str, header: str, out: List[Challenge]) -> None:
    """Parse one ``#challenge`` field line, appending each completed challenge to *out*."""
    reader = _Reader(_unfold(line), header)
    text = reader.line
    reader.skip_separators()
    while not reader.at_end():
        scheme = _abnf.TOKEN_RE.match(text, reader.pos)
        if scheme is None:
            raise reader.error("expected an auth-scheme")
        reader.pos = scheme.end()
        space = _abnf.RWS_RE.match(text, reader.pos)
        if space is not None:
            reader.pos = space.end()
        if reader.at_end() or text[reader.pos] == ",":
            out.append(Challenge(scheme.group(), header=header))
            reader.skip_separators()
            continue
        if space is None:
            raise reader.error("expected a space after the auth-scheme")
        # token68 first: "abc=" followed by "," or the end is a token68, while
        # "abc=" followed by a value is an auth-param (RFC 9110 section 11.2).
        token68 = _abnf.CHALLENGE_TOKEN68_RE.match(text, reader.pos)
        if token68 is not None:
            reader.pos = token68.end()
            out.append(Challenge(scheme.group(), token68=token68.group("token68"), header=header))
            reader.skip_separators()
            continue
        if not reader.at_param():
            raise reader.error("expected a token68 or an auth-param after the auth-scheme")
        params: Dict[str, str] = {}
        reader.read_param(params)
        while reader.after_param():
            reader.read_param(params)
        out.append(Challenge(scheme.group(), params, header=header))


def parse_challenges(
    values: Union[str, Iterable[str]], header: str = "WWW-Authenticate"
) -> List[Challenge]:
    """Parse ``WWW-Authenticate`` / ``Proxy-Authenticate`` field lines into challenges.

    *values* is one field value or an iterable of field lines; lines joined
    with ``", "`` (as requests does for repeated fields) give the same result.
    *header* names the field, for error messages and :attr:`Challenge.is_proxy`.
    Scheme and parameter names are lower-cased; values are unquoted; extended
    parameters (``title*``) are decoded per RFC 8187 and stored under the
    starred name. Empty list elements are ignored, so an empty field yields [].

    Raises :class:`ChallengeParseError` (with the 0-based position in the
    offending line) on the first malformed line.
    """
    out: List[Challenge] = []
    for line in _lines(values):
        _parse_challenge_line(line, header, out)
    return out


def parse_challenges_lenient(
    values: Union[str, Iterable[str]], header: str = "WWW-Authenticate"
) -> Tuple[List[Challenge], List[ChallengeParseError]]:
    """Like :func:`parse_challenges`, but collect errors instead of raising.

    Returns the challenges of every well-formed line plus, from a malformed
    line, those completed before the error; and one error per malformed line.
    Parsing of a malformed line stops at its error: when several field lines
    were joined into one string, the lines after the error are lost with it.
    """
    out: List[Challenge] = []
    errors: List[ChallengeParseError] = []
    for line in _lines(values):
        try:
            _parse_challenge_line(line, header, out)
        except ChallengeParseError as exc:
            errors.append(exc)
    return out, errors


def parse_auth_info(
    values: Union[str, Iterable[str]], header: str = "Authentication-Info"
) -> Dict[str, str]:
    """Parse ``Authentication-Info`` / ``Proxy-Authentication-Info`` (RFC 7615 section 3).

    The field is ``#auth-param`` with no scheme. Returns lower-cased names
    mapped to unquoted values (extended ``name*`` parameters decoded as in
    :func:`parse_challenges`). A name repeated, in one line or across lines,
    or any malformed line raises :class:`ChallengeParseError`.

    A single line of the usual shape (lower-case names, no ``name*``, no
    quoted-pair, commas between parameters, no name repeated: what servers
    send after every authenticated request) is read with two regular
    expression calls, one in its canonical form (``", "`` between parameters,
    no comma inside a quoted value: what Apache httpd sends) with one regular
    expression call and a split; anything else goes through the general
    parser, which gives the same result for such a line.
    """
    lines = _lines(values)
    if len(lines) == 1:
        line = lines[0]
        if _abnf.CANONICAL_AUTH_INFO_RE.fullmatch(line) is not None:
            parts = line.split(", ")
            canonical: Dict[str, str] = {}
            for part in parts:
                name, _, value = part.partition("=")
                canonical[name] = value[1:-1] if value[0] == '"' else value
            if len(canonical) == len(parts):
                return canonical
            # a name repeated: the general parser raises with its position
        elif _abnf.SIMPLE_AUTH_INFO_RE.fullmatch(line) is not None:
            found = _abnf.SIMPLE_PARAM_RE.findall(line)
            # A token value is never empty, so an empty one means the quoted-string.
            params = {name: token or quoted for name, token, quoted in found}
            if len(params) == len(found):
                return params
            # a name repeated: the general parser raises with its position
    return _parse_auth_info_lines(lines, header)


def _parse_auth_info_lines(lines: List[str], header: str) -> Dict[str, str]:
    """The general ``#auth-param`` parser behind :func:`parse_auth_info`."""
    params: Dict[str, str] = {}
    for line in lines:
        reader = _Reader(_unfold(line), header)
        reader.skip_separators()
        if reader.at_end():
            continue
        reader.read_param(params)
        while reader.after_param():
            reader.read_param(params)
        if not reader.at_end():
            raise reader.error("expected an auth-param (name=value)")
    return params


def quote_string(value: str) -> str:
    """Return *value* as an RFC 9110 section 5.6.4 quoted-string.

    ``"`` and ``\\`` are escaped with a quoted-pair. Raises :class:`ValueError`
    for characters a quoted-string cannot carry: control characters other
    than HTAB (CR, LF and NUL would let a value inject header lines), DEL, and
    anything beyond U+00FF (a field line is ISO-8859-1; use an RFC 8187
    ``name*`` parameter for such text). The message never repeats the value.
    """
    if _abnf.QUOTABLE_RE.fullmatch(value) is None:
        bad = _abnf.QUOTABLE_RE.match(value)
        assert bad is not None
        position = bad.end()
        raise ValueError(
            f"character U+{ord(value[position]):04X} at position {position} "
            "cannot appear in a quoted-string"
        )
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_auth_params(scheme: str, params: Sequence[Tuple[str, str, bool]]) -> str:
    """Build ``scheme name=value, name="value", ...`` (credentials or a challenge).

    Each item of *params* is ``(name, value, quote)``: with *quote* true the
    value is written with :func:`quote_string`, otherwise it must be a token
    (e.g. ``algorithm=MD5``, ``nc=00000001``, an RFC 8187 ``ext-value``).
    Raises :class:`ValueError` when the scheme or a name is not a token, an
    unquoted value is not a token, a name repeats (case-insensitively), or a
    quoted value cannot be quoted. Messages never repeat a value.

    The usual case (valid, no quoted value with ``"`` or ``\\`` to escape) is
    checked with a constant number of calls, whatever the number of
    parameters; anything else, errors included, takes the parameter by
    parameter path, which writes the same text.
    """
    if not isinstance(params, (list, tuple)):
        params = list(params)
    try:
        fast = _format_usual(scheme, params)
    except TypeError:  # not a str somewhere: the general path raises its own error
        fast = None
    if fast is not None:
        return fast
    return _format_general(scheme, params)


def _format_usual(scheme: str, params: Sequence[Tuple[str, str, bool]]) -> Optional[str]:
    """:func:`format_auth_params` when nothing needs escaping and nothing is wrong, else None.

    Joined with commas, names (and unquoted values) are all tokens exactly
    when the text is a token list with one comma fewer than items (a comma is
    never part of a token, so a comma inside an item shows as one too many);
    joined quoted values are quotable exactly when each is (a character class
    repeated).
    """
    names = ",".join([scheme] + [name for name, _, _ in params])
    if _abnf.TOKEN_LIST_RE.fullmatch(names) is None:
        return None
    keys = names.lower().split(",")
    del keys[0]  # the scheme
    if len(keys) != len(params) or len(set(keys)) != len(keys):
        return None
    if not params:
        return scheme
    plain = [value for _, value, quote in params if not quote]
    if plain:
        tokens = ",".join(plain)
        if tokens.count(",") != len(plain) - 1 or _abnf.TOKEN_LIST_RE.fullmatch(tokens) is None:
            return None
    quoted = "".join([value for _, value, quote in params if quote])
    if '"' in quoted or "\\" in quoted or _abnf.QUOTABLE_RE.fullmatch(quoted) is None:
        return None
    text = ", ".join(
        [f'{name}="{value}"' if quote else f"{name}={value}" for name, value, quote in params]
    )
    return f"{scheme} {text}"


def _format_general(scheme: str, params: Sequence[Tuple[str, str, bool]]) -> str:
    """:func:`format_auth_params` parameter by parameter (escapes, and every error)."""
    if _abnf.TOKEN_RE.fullmatch(scheme) is None:
        raise ValueError("auth-scheme must be a token")
    seen = set()
    parts: List[str] = []
    for name, value, quote in params:
        if _abnf.TOKEN_RE.fullmatch(name) is None:
            raise ValueError(f"parameter name {name!r} is not a token")
        if name.lower() in seen:
            raise ValueError(f"duplicate parameter {name!r}")
        seen.add(name.lower())
        if quote:
            parts.append(f"{name}={quote_string(value)}")
        elif _abnf.TOKEN_RE.fullmatch(value) is not None:
            parts.append(f"{name}={value}")
        else:
            raise ValueError(f"value of {name!r} is not a token: it must be quoted")
    if not parts:
        return scheme
    return f"{scheme} {', '.join(parts)}"
