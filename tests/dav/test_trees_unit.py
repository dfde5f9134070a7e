"""Tree transfers against a hostile listing (``responses``: no real server names ``..``), the
name check, and the CLI's tree progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import pytest
import responses

from requests_dav import DAVSession
from requests_dav.cli.transfer_commands import TreeBar
from requests_dav.dav.trees import TreeProgress, safe_relative

BASE = "http://127.0.0.1:9/dav/"


def _multistatus(hrefs: List[str]) -> str:
    items = "".join(
        f"<D:response><D:href>{href}</D:href><D:propstat><D:prop>"
        f"<D:resourcetype>{'<D:collection/>' if href.endswith('/') else ''}</D:resourcetype>"
        "<D:getcontentlength>1</D:getcontentlength>"
        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        for href in hrefs
    )
    return f'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">{items}</D:multistatus>'


@pytest.mark.parametrize("name", ["..", "a/../b", "a/./b", "", "a//b", "nul\x00.txt"])
def test_safe_relative_refuses_names_that_could_leave_the_directory(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe name"):
        safe_relative(name)


def test_safe_relative_keeps_awkward_but_harmless_names() -> None:
    assert safe_relative("d#ir?/ü €/emoji 😀.txt") == ("d#ir?", "ü €", "emoji 😀.txt")


@responses.activate
def test_download_tree_refuses_a_listing_that_climbs_out(tmp_path: Path) -> None:
    listing = _multistatus(
        ["/dav/", "/dav/ok.txt", "/dav/%2e%2e/evil.txt", "/dav/sub/", "/dav/sub/..%2f..%2fx"]
    )
    responses.add("PROPFIND", BASE, body=listing, status=207, content_type="application/xml")
    # the climbing member does not count as a second level, so sub/ is listed on its own
    sub = _multistatus(["/dav/sub/"])
    responses.add("PROPFIND", BASE + "sub/", body=sub, status=207, content_type="application/xml")
    responses.add("GET", BASE + "ok.txt", body=b"k")
    target = tmp_path / "inside"
    with DAVSession(BASE) as dav:
        result = dav.download_tree("", target)
    assert (target / "ok.txt").read_bytes() == b"k"
    assert result.files == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["inside", "ok.txt", "sub"]
    assert any("unsafe name" in f.message for f in result.failed), result.failed


def test_upload_tree_leaves_out_an_interrupted_downloads_leftovers(tmp_path: Path) -> None:
    from requests_dav.dav.trees import _scan

    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / ".b.txt.rdpart").write_bytes(b"partial")
    (tmp_path / ".b.txt.rdpart.rdpart-validator").write_text('"e"')
    _dirs, files = _scan(str(tmp_path))
    assert [name for name, _size, _mtime in files] == ["a.txt"]


class _Bar:
    def __init__(self) -> None:
        self.n = 0
        self.total: Optional[int] = None
        self.postfix = ""

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text


def test_tree_bar_shows_bytes_and_files_of_the_whole_tree() -> None:
    bar: Any = _Bar()
    progress = TreeBar(bar)
    progress(TreeProgress(0, 3, 100, 300, 0, 0, "a"))
    progress(TreeProgress(2, 3, 250, 300, 0, 0, "b"))
    assert (bar.n, bar.total, bar.postfix) == (250, 300, "2/3 files")
