"""Rendering for the command line: human text or one JSON document, and progress bars.

In ``--json`` mode every command writes exactly one JSON document to stdout
(keys sorted, dates in ISO 8601); errors go to stderr as one line, and a JSON
document ``{"error": {...}}`` to stdout. Progress bars (tqdm) are drawn on
stderr only when it is a terminal and never in ``--json`` mode.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import sys
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Sequence

import click

from .errors import Failure, Scrubber, one_line


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: datetimes in ISO 8601, bytes as text, tuples as lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.repr and not f.name.startswith("_")
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return str(value)


def format_size(size: Optional[int], human: bool = False) -> str:
    """A byte count for listings: exact, or with ``human`` in K/M/G/T (powers of 1024)."""
    if size is None:
        return "-"
    if not human or size < 1024:
        return str(size)
    value = float(size)
    for unit in "KMGTP":
        value /= 1024
        if value < 1024 or unit == "P":
            return f"{value:.1f}{unit}"
    return str(size)  # pragma: no cover


def format_date(value: Any) -> str:
    """A modification date for listings (local time, minutes); ``-`` when unknown."""
    if isinstance(value, _dt.datetime):
        moment: _dt.datetime = value.astimezone() if value.tzinfo is not None else value
        return moment.strftime("%Y-%m-%d %H:%M")
    return "-" if value is None else str(value)


def table(rows: Sequence[Sequence[str]], align: str) -> List[str]:
    """Rows as aligned text columns; ``align`` has one ``<`` or ``>`` per column."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(align))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if how == ">" else cell.ljust(width)
            for cell, width, how in zip(row, widths, align)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


class _NoProgress:
    """Stands in for a tqdm bar when none is drawn."""

    n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def reset(self, total: Optional[int] = None) -> None:
        self.n = 0

    def close(self) -> None:
        return None

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Output:
    """Where a command's results, messages and errors go."""

    def __init__(
        self,
        *,
        json_mode: bool = False,
        scrub: Optional[Scrubber] = None,
        stdout: Optional[IO[str]] = None,
        stderr: Optional[IO[str]] = None,
    ) -> None:
        self.json_mode = json_mode
        self.scrub = scrub if scrub is not None else Scrubber()
        self._stdout = stdout
        self._stderr = stderr
        self.emitted = False

    # streams are looked up late: click's CliRunner swaps sys.stdout/sys.stderr
    @property
    def stdout(self) -> IO[str]:
        return self._stdout if self._stdout is not None else sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self._stderr if self._stderr is not None else sys.stderr

    def emit(self, document: Mapping[str, Any], human: Callable[[], Any]) -> None:
        """The command's result: ``document`` as JSON, or whatever ``human()`` prints."""
        self.emitted = True
        if self.json_mode:
            text = json.dumps(jsonable(document), indent=2, sort_keys=True, ensure_ascii=False)
            click.echo(self.scrub(text), file=self.stdout)
        else:
            human()

    def line(self, text: str = "") -> None:
        """A line of human output (stdout)."""
        click.echo(self.scrub(text), file=self.stdout)

    def info(self, text: str) -> None:
        """A note for the human on stderr, never in ``--json`` mode."""
        if not self.json_mode:
            click.echo(self.scrub(text), file=self.stderr)

    def error(self, failure: Failure) -> None:
        """The one-line error on stderr (and the JSON error document in ``--json`` mode)."""
        message = one_line(self.scrub(failure.message))
        click.echo(f"requests-dav: error: {message}", file=self.stderr)
        if self.json_mode and not self.emitted:
            document: Dict[str, Any] = {
                "error": {
                    "exit_code": failure.code,
                    "kind": failure.kind,
                    "message": message,
                    "status": failure.status,
                }
            }
            click.echo(json.dumps(document, indent=2, sort_keys=True), file=self.stdout)

    def progress_enabled(self) -> bool:
        if self.json_mode:
            return False
        isatty = getattr(self.stderr, "isatty", None)
        return bool(callable(isatty) and isatty())

    def progress(self, total: Optional[int], description: str) -> Any:
        """A tqdm bar in bytes on stderr when it is a terminal, else a silent stand-in."""
        if not self.progress_enabled():
            return _NoProgress()
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=description,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=self.stderr,
            leave=False,
            dynamic_ncols=True,
        )


__all__ = ["Output", "format_date", "format_size", "jsonable", "table"]
