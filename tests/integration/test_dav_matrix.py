"""The checked-in server matrix (docs/servers.rst) is consistent with itself.

Whether it matches what the servers do is checked at the end of every run that records
cells (tests/integration/conftest.py); this only guards the files between such runs.
"""

from __future__ import annotations

from integration import dav_matrix


def test_the_included_table_is_the_rendering_of_the_data() -> None:
    stored = dav_matrix.load()
    assert stored, f"{dav_matrix.MATRIX_JSON} is missing"
    assert dav_matrix.MATRIX_RST.read_text(encoding="utf-8") == dav_matrix.render(stored)


def test_every_cell_names_a_known_server_and_operation() -> None:
    stored = dav_matrix.load()
    assert set(stored) <= set(dav_matrix.OPERATIONS)
    for cells in stored.values():
        assert set(cells) <= set(dav_matrix.SERVERS)


def test_differences_name_each_changed_cell() -> None:
    stored = {"options": {"lighttpd": "a"}}
    seen = {("lighttpd", "options"): "b", ("sabredav", "options"): "c"}
    assert dav_matrix.differences(seen, stored) == [
        "lighttpd x options: suite saw 'b', docs say 'a'",
        "sabredav x options: suite saw 'c', docs say None",
    ]
    assert dav_matrix.differences({("lighttpd", "options"): "a"}, stored) == []
