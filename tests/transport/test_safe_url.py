"""``safe_url`` gives what requests' ``urldefragauth`` gives, shortcut or not (issue 16)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from requests.utils import urldefragauth

from requests_dav.transport import results

_URL = st.builds(
    lambda scheme, rest: scheme + rest,
    st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:", "", " http://"]),
    st.text(alphabet=st.sampled_from(list("hA9.:/?#@;[]%= \t\n\x00é\\")), max_size=14),
)


def _slow(url: str) -> str:
    if not url:
        return ""
    try:
        return str(urldefragauth(url))
    except ValueError:
        return "<unparsable URL>"


@settings(max_examples=2000)
@given(_URL)
def test_safe_url_is_urldefragauth(url: str) -> None:
    """Worked out (the shortcut for a plain URL, or requests' own) and then remembered."""
    results._defragauth.cache_clear()
    assert results.safe_url(url) == _slow(url)
    assert results.safe_url(url) == _slow(url)


def test_a_plain_url_is_its_own_safe_url_and_userinfo_never_stays() -> None:
    plain = "http://h.test:8080/a/b%20c?x=1&y=/z"
    assert results.safe_url(plain) is plain  # remembered as it is
    assert results.safe_url("http://user:secret@h.test/a") == "http://h.test/a"
    assert results.safe_url("https://h.test/a#frag") == "https://h.test/a"


def test_what_the_shortcut_leaves_to_urldefragauth_is_re_written_by_it() -> None:
    """Each case the plain-URL pattern leaves out comes back different or is refused."""
    for url, expected in [
        ("http://h.test/a?", "http://h.test/a"),  # an empty query is dropped
        ("http://h.test/a;", "http://h.test/a"),  # an empty parameter is dropped
        ("http://u@h.test/", "http://h.test/"),
        ("http://h.test/a#", "http://h.test/a"),
        ("HTTP://h.test/", "http://h.test/"),
        ("http://h.test/a\tb", "http://h.test/ab"),
        ("http://[::1/", "<unparsable URL>"),
        ("http://h]/", "<unparsable URL>"),
    ]:
        results._defragauth.cache_clear()
        assert results.safe_url(url) == expected == _slow(url), url
