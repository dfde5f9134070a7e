"""What an ``auth=`` object remembers per URL (issue 16) changes nothing it does."""

from __future__ import annotations

from typing import Any, List

import pytest

from requests_dav import DigestAuth
from requests_dav.transport import auth_base


def test_each_origin_gets_the_user_once_whatever_urls_came_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = DigestAuth("alice", "s3cret")
    added: List[str] = []
    real = auth.credentials.add

    def add(url: str, *args: Any, **kwargs: Any) -> Any:
        added.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(auth.credentials, "add", add)
    for index in range(auth_base._ADDED_URLS_KEPT * 2 + 3):
        auth._add_user(f"http://a.test/f{index}")
        assert len(auth._added_urls) <= auth_base._ADDED_URLS_KEPT
    auth._add_user("http://b.test/x")
    auth._add_user("http://A.test:80/again")
    auth._add_user("https://a.test/")
    assert added == ["http://a.test:80/", "http://b.test:80/", "https://a.test:443/"]
    assert auth.credentials.find("http://b.test/y") is not None
