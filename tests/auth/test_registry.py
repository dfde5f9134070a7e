"""The scheme registry: strongest challenge first (RFC 7235 section 4.1), plugins by entry point."""

from __future__ import annotations

from typing import Any, ClassVar, List, Optional

import pytest

from requests_dav.auth import schemes as schemes_module
from requests_dav.auth.challenge import Challenge, parse_challenges
from requests_dav.auth.messages import AuthRequest
from requests_dav.auth.schemes import (
    ENTRY_POINT_GROUP,
    BasicScheme,
    DigestScheme,
    SchemeOptions,
    SchemeRegistry,
)
from requests_dav.auth.schemes.base import Authenticator
from requests_dav.auth.schemes.spnego import spnego_available
from requests_dav.auth.types import Credential

OPTIONS = SchemeOptions()


class TokenScheme(Authenticator):
    """A stand-in third-party scheme ("Bearer"-like) that outranks Digest."""

    scheme: ClassVar[str] = "token"
    strength: ClassVar[int] = 50

    def __init__(self, challenge: Challenge, credential: Credential) -> None:
        self.challenge = challenge
        self.credential = credential
        self.realm = challenge.realm

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        return challenge.scheme == "token"

    @classmethod
    def create(
        cls,
        challenge: Challenge,
        credential: Credential,
        *,
        url: str,
        options: SchemeOptions,
        attempt: int = 1,
    ) -> TokenScheme:
        return cls(challenge, credential)

    def authorize(self, request: AuthRequest) -> str:
        return "Token abc"

    def space_prefixes(self, url: str) -> List[str]:
        return [url]


class BrokenScheme(TokenScheme):
    scheme: ClassVar[str] = "broken"

    @classmethod
    def supports(cls, challenge: Challenge, options: SchemeOptions) -> bool:
        raise RuntimeError("plugin bug")


def names(candidates: List[Any]) -> List[str]:
    out = []
    for cls, challenge in candidates:
        algorithm = challenge.get("algorithm")
        out.append(cls.scheme + (f":{algorithm}" if algorithm else ""))
    return out


CHALLENGES = parse_challenges(
    [
        'Basic realm="r"',
        'Digest realm="r", nonce="1", qop="auth", algorithm=MD5',
        'Digest realm="r", nonce="2", qop="auth", algorithm=SHA-512-256',
        'Digest realm="r", nonce="3", qop="auth", algorithm=SHA-256-sess',
        'Digest realm="r", nonce="4", qop="auth", algorithm=SHA-256',
        'Digest realm="r", nonce="5", qop="auth", algorithm=SHA-1',
        "Negotiate",
        'Digest realm="r", nonce="6", qop="auth", algorithm=MD5-sess',
    ]
)


def test_strongest_first_several_digest_and_basic() -> None:
    registry = SchemeRegistry([BasicScheme, DigestScheme])
    assert names(registry.candidates(CHALLENGES, OPTIONS)) == [
        "digest:SHA-512-256",
        "digest:SHA-256",
        "digest:SHA-256-sess",
        "digest:MD5",
        "digest:MD5-sess",
        "basic",
    ]


def test_server_order_breaks_ties() -> None:
    registry = SchemeRegistry([BasicScheme, DigestScheme])
    challenges = parse_challenges(['Basic realm="b"', 'Basic realm="a"', "Basic"])
    assert [c.realm for _, c in registry.candidates(challenges, OPTIONS)] == ["b", "a", None]


def test_squid_style_digest_without_algorithm_beats_basic() -> None:
    registry = SchemeRegistry.default()
    challenges = parse_challenges(
        ['Basic realm="Squid proxy"', 'Digest realm="Squid proxy", nonce="x", qop="auth"'],
        "Proxy-Authenticate",
    )
    assert names(registry.candidates(challenges, OPTIONS)) == ["digest", "basic"]


def test_legacy_digest_only_when_allowed() -> None:
    registry = SchemeRegistry.default()
    challenges = parse_challenges(['Digest realm="r", nonce="n"', 'Basic realm="r"'])
    assert names(registry.candidates(challenges, OPTIONS)) == ["basic"]
    allowed = SchemeOptions(allow_legacy_digest=True)
    assert names(registry.candidates(challenges, allowed)) == ["digest", "basic"]


def test_third_party_scheme_with_higher_strength_wins() -> None:
    registry = SchemeRegistry.default()
    registry.register(TokenScheme)
    found = registry.candidates(CHALLENGES + parse_challenges('Token realm="r"'), OPTIONS)
    assert found[0][0] is TokenScheme
    # Negotiate (strength 30, a default scheme since the adapter pins connections) answers
    # only with pyspnego installed
    expected = ["negotiate"] if spnego_available() else []
    assert names(found)[1 : 2 + len(expected)] == [*expected, "digest:SHA-512-256"]


def test_register_get_replace() -> None:
    registry = SchemeRegistry()
    assert registry.get("basic") is None
    registry.register(BasicScheme)
    assert registry.get("BASIC") is BasicScheme
    assert "Basic" in registry and "digest" not in registry

    class OtherBasic(BasicScheme):
        strength: ClassVar[int] = 11

    registry.register(OtherBasic)
    assert registry.get("basic") is OtherBasic
    registry.register(DigestScheme)
    assert registry.names() == ["digest", "basic"]


class Nameless(TokenScheme):
    scheme: ClassVar[str] = ""


class Weak(TokenScheme):
    strength: ClassVar[int] = "strong"  # type: ignore[assignment]


@pytest.mark.parametrize("bad", [object, int, "basic", 3, Nameless, Weak])
def test_register_refuses_non_authenticators(bad: Any) -> None:
    with pytest.raises(TypeError):
        SchemeRegistry().register(bad)


def test_a_scheme_raising_in_supports_is_skipped_with_a_warning() -> None:
    registry = SchemeRegistry([BasicScheme, BrokenScheme])
    challenges = parse_challenges(['Broken realm="x"', 'Basic realm="r"'])
    with pytest.warns(RuntimeWarning, match="BrokenScheme"):
        assert names(registry.candidates(challenges, OPTIONS)) == ["basic"]


def test_unknown_schemes_are_ignored() -> None:
    registry = SchemeRegistry.default()
    assert registry.candidates(parse_challenges(["Bearer", "Mutual realm=x"]), OPTIONS) == []
    assert registry.candidates([], OPTIONS) == []


# -- entry points ------------------------------------------------------------------------------


class FakeEntryPoint:
    def __init__(
        self, name: str, value: str, loaded: Any = None, error: Optional[Exception] = None
    ):
        self.name = name
        self.value = value
        self.group = ENTRY_POINT_GROUP
        self._loaded = loaded
        self._error = error

    def load(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._loaded


def test_default_has_basic_and_digest_from_this_package() -> None:
    registry = SchemeRegistry.default()
    assert registry.get("basic") is BasicScheme
    assert registry.get("digest") is DigestScheme
    # setup.py declares them as entry points too: the installed metadata lists them
    values = {ep.value for ep in schemes_module._entry_points(ENTRY_POINT_GROUP)}
    assert "requests_dav.auth.schemes.digest:DigestScheme" in values


def test_default_loads_plugins_and_skips_broken_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes = [
        FakeEntryPoint("digest", "requests_dav.auth.schemes.digest:DigestScheme", DigestScheme),
        FakeEntryPoint(
            "missing", "nowhere.module:Thing", error=ImportError("No module named nowhere")
        ),
        FakeEntryPoint("notascheme", "builtins:dict", loaded=dict),
        FakeEntryPoint("token", "plugin:TokenScheme", loaded=TokenScheme),
    ]
    monkeypatch.setattr(schemes_module, "_entry_points", lambda group: fakes)
    with pytest.warns(RuntimeWarning) as record:
        registry = SchemeRegistry.default()
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert any("missing = nowhere.module:Thing" in m and "ImportError" in m for m in messages)
    assert any("notascheme" in m and "TypeError" in m for m in messages)
    assert registry.get("token") is TokenScheme
    assert registry.get("digest") is DigestScheme
    assert registry.get("missing") is None


def test_default_survives_a_broken_metadata_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(group: str) -> List[Any]:
        raise OSError("unreadable site-packages")

    monkeypatch.setattr(schemes_module, "_entry_points", explode)
    with pytest.warns(RuntimeWarning, match="built-in schemes only"):
        registry = SchemeRegistry.default()
    assert registry.names() == ["digest", "basic"]


def test_default_returns_a_fresh_registry_each_time() -> None:
    first = SchemeRegistry.default()
    first.register(TokenScheme)
    assert SchemeRegistry.default().get("token") is None
