"""The ``requests-dav`` command line (needs the ``cli`` extra: click and tqdm).

``main()`` is the console script's entry point; ``python -m requests_dav``
runs it too. Exit codes are the ``EXIT_*`` constants of
:mod:`requests_dav.cli.errors`.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from .errors import (
    EXIT_AUTH,
    EXIT_CONFLICT,
    EXIT_FAILURE,
    EXIT_HTTP,
    EXIT_NETWORK,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_CONFLICT",
    "EXIT_FAILURE",
    "EXIT_HTTP",
    "EXIT_NETWORK",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "install_hint",
    "main",
]


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); exits the process."""
    try:
        from .commands import cli
    except ImportError as exc:
        if exc.name in ("click", "tqdm"):
            sys.stderr.write(
                f"requests-dav: the command line needs {exc.name}: {install_hint('cli')}\n"
            )
            sys.exit(EXIT_FAILURE)
        raise
    from .app import quiet_broken_pipe

    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="requests-dav")
    except BrokenPipeError:
        quiet_broken_pipe()


def install_hint(extra: str) -> str:
    """How to install an extra, from an index and from a checkout of the source."""
    return (
        f'pip install "requests-dav[{extra}]" (in a checkout of the source: '
        f'pip install -e ".[{extra}]")'
    )
