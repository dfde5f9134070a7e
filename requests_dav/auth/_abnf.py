"""The authentication grammar as regular expressions, rule by rule.

Each pattern sits directly under the ABNF it implements (RFC 9110 section 5.6
and section 11, RFC 8187 section 3.2), in the manner of h11's ``_abnf.py``.
Patterns are strings so they compose; the compiled objects at the bottom are
what :mod:`.challenge` and :mod:`.rfc8187` use. Every pattern is linear: no
nested quantifier can match the same text two ways.

Deliberate deviations from the RFCs are marked "DEVIATION" with the reason.
"""

from __future__ import annotations

import re

# RFC 5234 appendix B.1 core rules used below:
#   ALPHA = %x41-5A / %x61-7A ; DIGIT = %x30-39 ; HTAB = %x09 ; SP = %x20
#   VCHAR = %x21-7E ; DQUOTE = %x22 ; HEXDIG = DIGIT / "A" / "B" / "C" / "D" / "E" / "F"

# RFC 9110 section 5.6.3
#   OWS            = *( SP / HTAB )
#   RWS            = 1*( SP / HTAB )
#   BWS            = OWS
OWS = r"[ \t]*"
RWS = r"[ \t]+"
BWS = OWS

# RFC 9110 section 5.6.2
#   token          = 1*tchar
#   tchar          = "!" / "#" / "$" / "%" / "&" / "'" / "*"
#                  / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
#                  / DIGIT / ALPHA
#                  ; any VCHAR, except delimiters
tchar = r"[-!#$%&'*+.^_`|~0-9A-Za-z]"
token = tchar + r"+"

# RFC 9110 section 5.6.4
#   quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
#   qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
#   quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
#   obs-text       = %x80-FF
#
# DEVIATION: obs-text is an octet range; we receive field values as ``str``.
# http.client decodes them as ISO-8859-1 (so obs-text is U+0080-U+00FF), but
# other stacks hand over UTF-8-decoded text. Any code point from U+0080 up is
# accepted as obs-text rather than refusing a header for how it was decoded.
#
# Each class is written as the complement of what it leaves out (obs-text: every code point
# from U+0080; qdtext: HTAB, SP to "~" but DQUOTE and "\", and obs-text; the character of a
# quoted-pair: HTAB, SP, VCHAR and obs-text): the same sets, but ``re`` compiles a negated
# class of a few small ranges at once, where a range up to U+10FFFF costs it a bitmap of the
# whole BMP, about a fifth of the package's import time (tests/auth/test_abnf_classes.py
# compares the two forms on every code point).
obs_text = r"[^\x00-\x7f]"
qdtext = r'[^\x00-\x08\x0a-\x1f"\\\x7f]'
quoted_pair = r"\\[^\x00-\x08\x0a-\x1f\x7f]"
# The two alternatives start with different characters (a backslash is never
# qdtext), so the repetition cannot backtrack quadratically.
quoted_string_body = rf"(?:{qdtext}|{quoted_pair})*"
quoted_string = rf'"{quoted_string_body}"'

# RFC 9110 section 5.6.1 (lists)
#   #element       => [ element ] *( OWS "," OWS [ element ] )
# A recipient must accept empty list elements ("a, , b" and ", a,"). The
# parser consumes separators with this pattern: OWS *( "," OWS ).
list_separators = rf"{OWS}(?:,{OWS})*"

# RFC 9110 section 11.2
#   auth-scheme    = token
#   token68        = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
#   auth-param     = token BWS "=" BWS ( token / quoted-string )
auth_scheme = token
token68 = r"[-._~+/0-9A-Za-z]+=*"
auth_param_name = rf"(?P<name>{token}){BWS}={BWS}"
auth_param = rf"{auth_param_name}(?:{token}|{quoted_string})"

# RFC 9110 section 11.6.1
#   WWW-Authenticate = #challenge
#   challenge      = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
#
# A token68 is told from an auth-param by what follows it: token68 is the
# whole element (OWS then "," or the end of the field), while an auth-param
# continues after "=" with a value. So "Foo abc=" is token68 "abc=" and
# "Foo a=b" is the parameter a=b.
#
# DEVIATION: 1*SP after the scheme also accepts HTAB (RWS); some servers
# align folded challenges with tabs and nothing else can follow a scheme.
challenge_token68 = rf"(?P<token68>{token68})(?={OWS}(?:,|\Z))"

# RFC 8187 section 3.2.1
#   ext-value     = charset  "'" [ language ] "'" value-chars
#                   ; like RFC 2231's <extended-initial-value>
#                   ; (see [RFC2231], Section 7)
#   charset       = "UTF-8" / "ISO-8859-1" / mime-charset
#   mime-charset  = 1*mime-charsetc
#   mime-charsetc = ALPHA / DIGIT
#                   / "!" / "#" / "$" / "%" / "&"
#                   / "+" / "-" / "^" / "_" / "`"
#                   / "{" / "}" / "~"
#                   ; as <mime-charset> in Section 2.3 of [RFC2978]
#                   ; except that the single quote is not included
#                   ; SHOULD be registered in the IANA charset registry
#   language      = <Language-Tag, see [RFC5646], Section 2.1>
#   value-chars   = *( pct-encoded / attr-char )
#   pct-encoded   = "%" HEXDIG HEXDIG
#                   ; see [RFC3986], Section 2.1
#   attr-char     = ALPHA / DIGIT
#                   / "!" / "#" / "$" / "&" / "+" / "-" / "."
#                   / "^" / "_" / "`" / "|" / "~"
#                   ; token except ( "*" / "'" / "%" )
#
# DEVIATION: the language tag is matched loosely (alphanumerics and "-", the
# characters a RFC 5646 Language-Tag is made of) instead of by the full
# RFC 5646 grammar: RFC 8187 lets recipients ignore it, and we do.
mime_charsetc = r"[-!#$%&+^_`{}~0-9A-Za-z]"
mime_charset = mime_charsetc + r"+"
language = r"[-0-9A-Za-z]*"
attr_char = r"[-!#$&+.^_`|~0-9A-Za-z]"
pct_encoded = r"%[0-9A-Fa-f]{2}"
value_chars = rf"(?:{pct_encoded}|{attr_char})*"
ext_value = rf"(?P<charset>{mime_charset})'(?P<language>{language})'(?P<value>{value_chars})"

# RFC 9112 section 5.2
#   obs-fold       = OWS CRLF RWS
#                  ; obsolete line folding
# A recipient may replace each obs-fold with one or more SP before
# interpreting the field value. We replace it with as many spaces as it has
# characters, which keeps every reported error position true.
obs_fold = r"\r?\n(?=[ \t])"

# The usual shape of an Authentication-Info line (RFC 7615 section 3), for the fast path of
# challenge.parse_auth_info: #auth-param where every name is a lower-case token without "*"
# (no RFC 8187 ext-value to decode, nothing to lower-case), every value a token or a
# quoted-string without quoted-pair (nothing to unescape), and every separator a comma (no
# DEVIATION for a missing one). Anything else is left to the general parser, which gives the
# same result for these lines. No part can match the text of the part after it (a name never
# starts with OWS, ",", "=" or DQUOTE), so matching is linear.
simple_name = r"[-!#$%&'+.^_`|~0-9a-z]+"
simple_param = rf'{simple_name}{BWS}={BWS}(?:{token}|"{qdtext}*")'
simple_auth_info = (
    rf"{list_separators}"
    rf"(?:{simple_param}(?:{OWS},{list_separators}{simple_param})*{list_separators})?"
)
# One parameter of such a line: (name, token value, quoted-string content), one of the two
# values empty (a token is never empty; an empty quoted-string is "").
simple_param_groups = rf'({simple_name}){BWS}={BWS}(?:({token})|"({qdtext}*)")'
# The canonical form of that shape, as Apache httpd writes it after every authenticated
# request: every separator exactly ", ", nothing before the first parameter or after the last,
# no BWS around "=", and no "," inside a quoted-string. Such a line splits into its parameters
# at each ", " and each parameter at its first "=" (a name holds no "="); a value that starts
# with DQUOTE is the quoted-string. Linear for the same reason as above (a token holds neither
# "," nor SP, a quoted-string starts with DQUOTE).
qdtext_no_comma = r'[^\x00-\x08\x0a-\x1f"\\\x7f,]'
canonical_param = rf'{simple_name}=(?:{token}|"{qdtext_no_comma}*")'
canonical_auth_info = rf"{canonical_param}(?:, {canonical_param})*"

# Compiled forms. ``match(value, pos)`` anchors at pos; ``fullmatch`` checks a
# whole string.
OWS_RE = re.compile(OWS)
RWS_RE = re.compile(RWS)
TOKEN_RE = re.compile(token)
QUOTED_STRING_RE = re.compile(quoted_string)
# The longest well-formed prefix of a quoted-string, to locate an error.
QUOTED_STRING_PREFIX_RE = re.compile(rf'"{quoted_string_body}')
QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)
LIST_SEPARATORS_RE = re.compile(list_separators)
AUTH_PARAM_NAME_RE = re.compile(auth_param_name)
CHALLENGE_TOKEN68_RE = re.compile(challenge_token68)
TOKEN68_RE = re.compile(token68)
EXT_VALUE_RE = re.compile(ext_value)
SIMPLE_AUTH_INFO_RE = re.compile(simple_auth_info)
SIMPLE_PARAM_RE = re.compile(simple_param_groups)
CANONICAL_AUTH_INFO_RE = re.compile(canonical_auth_info)
# A comma-separated list of tokens: the names (and the unquoted values) of format_auth_params
# checked in one call; a token never contains ",".
TOKEN_LIST_RE = re.compile(rf"{token}(?:,{token})*")
OBS_FOLD_RE = re.compile(obs_fold)
# What quote_string may put between the quotes: qdtext and the characters it
# escapes, restricted to what an ISO-8859-1 encoded field line can carry.
QUOTABLE_RE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
