"""Session hook of the integration tests: check the server matrix docs/servers.rst shows."""

from __future__ import annotations

import pytest

from integration import dav_matrix


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a recorded server behaviour differs from the checked-in matrix."""
    problems = dav_matrix.finish()
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = (
            "the server matrix in docs/_generated/ differs from what the suite saw "
            f"(regenerate: {dav_matrix.WRITE_ENV}=1, see tests/integration/dav_matrix.py):\n"
            + "\n".join(problems)
        )
        if reporter is not None:
            reporter.write_line(text, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
