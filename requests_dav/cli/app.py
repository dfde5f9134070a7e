"""The ``requests-dav`` click group: global options, credentials, sessions, error handling.

Global options work before or after the subcommand (``requests-dav --json ls URL``
and ``requests-dav ls URL --json`` are the same).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, TypeVar, Union
from urllib.parse import unquote, urlsplit, urlunsplit

import click

from .. import __version__
from .errors import (
    EXIT_AUTH,
    EXIT_CODES_HELP,
    EXIT_USAGE,
    CLIError,
    Failure,
    Scrubber,
    classify,
)
from .output import Output

PASSWORD_ENV = "REQUESTS_DAV_PASSWORD"  # noqa: S105 - a variable name
USER_ENV = "REQUESTS_DAV_USER"
DEFAULT_TIMEOUT = 60.0
LOGGERS = ("requests_dav", "urllib3")
"""Loggers shown with ``--debug``."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """The global options, merged from the group and the subcommand."""

    user: Optional[str] = None
    json: bool = False
    debug: bool = False
    insecure: bool = False
    ca_bundle: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT


class PasswordPrompt:
    """A password source for :class:`Credentials`: asks once, when a server first asks.

    The answer is kept for the next challenges of the same run; a second attempt
    in one exchange (the password was refused) gives up instead of asking again.
    """

    def __init__(self, user: str, scrub: Scrubber) -> None:
        self.user = user
        self.scrub = scrub
        self._password: Optional[str] = None
        self._lock = threading.Lock()

    def __call__(self, url: str, realm: Optional[str], attempt: int) -> Optional[str]:
        if attempt > 1:
            return None
        with self._lock:
            if self._password is None:
                where = urlsplit(url).netloc.rsplit("@", 1)[-1]
                if not _stdin_is_terminal():
                    raise CLIError(
                        f"{where} asks for the password of {self.user}, and stdin is not a "
                        f"terminal to prompt on: set ${PASSWORD_ENV} or use ~/.netrc",
                        EXIT_AUTH,
                    )
                space = f" (realm {realm!r})" if realm else ""
                try:
                    self._password = click.prompt(
                        f"Password for {self.user} at {where}{space}",
                        hide_input=True,
                        err=True,
                        default="",
                        show_default=False,
                    )
                except click.exceptions.Abort:  # Ctrl-C or end of input at the prompt
                    raise KeyboardInterrupt from None
                self.scrub.add(self._password)
            return self._password


def _stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    try:
        return bool(callable(isatty) and isatty())
    except ValueError:  # closed
        return False


@dataclass
class State:
    """What the commands share: settings, output, and the secrets to keep out of it."""

    settings: Settings = field(default_factory=Settings)
    scrub: Scrubber = field(default_factory=Scrubber)
    output: Output = field(default_factory=Output)
    had_credentials: bool = False
    cleanups: List[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.output.scrub = self.scrub

    def password_source(self) -> Union[str, PasswordPrompt]:
        password = os.environ.get(PASSWORD_ENV)
        if password is not None:
            self.scrub.add(password)
            return password
        assert self.settings.user is not None
        return PasswordPrompt(self.settings.user, self.scrub)

    def session(self, *urls: str, connections: int = 1) -> Any:
        """A :class:`DAVSession` for ``urls`` with the credentials and TLS options given.

        The user is ``--user``, else the userinfo of the first URL; its password comes from
        ``$REQUESTS_DAV_PASSWORD``, else a prompt when a server first asks. ``~/.netrc``
        (or ``$NETRC``) is the fallback. Proxies come from the environment (requests'
        ``trust_env``); their userinfo becomes proxy credentials (the adapter does that).
        """
        from requests.adapters import DEFAULT_POOLSIZE

        from ..auth.credentials import Credentials

        settings = self.settings
        user = settings.user
        if user is None:
            user = next((u for u in (userinfo_user(url) for url in urls) if u), None)
        credentials = Credentials(netrc=True)
        if user is None and os.environ.get(PASSWORD_ENV) is not None:
            raise CLIError(f"${PASSWORD_ENV} is set but no user name: add --user NAME", EXIT_USAGE)
        if user is not None:
            settings.user = user
            source = self.password_source()
            for url in urls:
                credentials.add(origin_of(url), user, source)
            self.had_credentials = True
        elif any(credentials.find(clean_url(url)) is not None for url in urls):
            self.had_credentials = True
        pool = max(DEFAULT_POOLSIZE, connections)
        session = _session_class()(
            origin_of(urls[0]),
            auth=credentials,
            default_timeout=settings.timeout,
            pool_connections=pool,
            pool_maxsize=pool,
        )
        if settings.ca_bundle:
            session.verify = session.explicit_verify = settings.ca_bundle
        elif settings.insecure:
            session.verify = session.explicit_verify = False
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            self.output.info("warning: TLS certificate verification is off (--insecure)")
        self.cleanups.append(session.close)
        return session


def _session_class() -> Any:
    from ..dav.session import DAVSession

    class CLISession(DAVSession):
        """A DAVSession whose requests time out after ``default_timeout`` seconds."""

        def __init__(self, *args: Any, default_timeout: float, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.default_timeout = default_timeout
            self.explicit_verify: Union[bool, str, None] = None

        def send(self, request: Any, **kwargs: Any) -> Any:
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self.default_timeout
            return super().send(request, **kwargs)

        def merge_environment_settings(
            self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> Any:
            # requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE override session.verify;
            # --ca-bundle and --insecure are explicit and must win
            if verify is None and self.explicit_verify is not None:
                verify = self.explicit_verify
            return super().merge_environment_settings(url, proxies, stream, verify, cert)

    return CLISession


def origin_of(url: str) -> str:
    """``scheme://host[:port]/`` of ``url`` (no userinfo); a usage error if it has none."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise CLIError(f"invalid URL {clean_url(url)}: {exc}", EXIT_USAGE) from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CLIError(f"not an http(s) URL: {clean_url(url)}", EXIT_USAGE)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme.lower(), netloc, "/", "", ""))


def clean_url(url: str) -> str:
    """``url`` without userinfo and fragment."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def userinfo_user(url: str) -> Optional[str]:
    """The user name in ``url``'s userinfo (``http://name@host/``), if any.

    A password in the URL is not used (it would be in the shell history); give it in
    ``$REQUESTS_DAV_PASSWORD`` or at the prompt.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return None
    return unquote(parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]) or None


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        state = ctx.find_object(State)
        if state is None:
            state = ctx.ensure_object(State)
        if value is not None and value is not False:
            setattr(state.settings, name, value)
        return value

    return callback


def global_options(function: F) -> F:
    """The options every command takes, before or after the subcommand name."""
    return some_global_options(*GLOBAL_OPTION_NAMES)(function)


GLOBAL_OPTION_NAMES = ("user", "json", "debug", "insecure", "ca_bundle", "timeout")


def some_global_options(*names: str) -> Callable[[F], F]:
    """Only the global options ``names`` (``demo`` has no use for TLS options, say)."""

    def apply(function: F) -> F:
        chosen = [o for name, o in zip(GLOBAL_OPTION_NAMES, _option_list()) if name in names]
        for option in reversed(chosen):
            function = option(function)
        return function

    return apply


def _option_list() -> List[Callable[[F], F]]:
    return [
        click.option(
            "-u",
            "--user",
            metavar="NAME",
            envvar=USER_ENV,
            callback=_store("user"),
            expose_value=False,
            help=f"User name; the password is prompted (never echoed), or read from "
            f"${PASSWORD_ENV}. Without it, ~/.netrc is used. Env: ${USER_ENV}.",
        ),
        click.option(
            "--json",
            "json_mode",
            is_flag=True,
            callback=_store("json"),
            expose_value=False,
            help="Print one JSON document (stable keys) instead of text.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            callback=_store("debug"),
            expose_value=False,
            help="Show tracebacks and the library's log (secrets masked).",
        ),
        click.option(
            "-k",
            "--insecure",
            is_flag=True,
            callback=_store("insecure"),
            expose_value=False,
            help="Do not verify TLS certificates.",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=True),
            callback=_store("ca_bundle"),
            expose_value=False,
            help="CA certificates (file or directory) to verify TLS servers with.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="SECONDS",
            callback=_store("timeout"),
            expose_value=False,
            help=f"Connect and read timeout in seconds (default {DEFAULT_TIMEOUT:g}).",
        ),
    ]


class _LogScrubber(logging.Filter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        return True


def enable_debug_logging(scrub: Scrubber) -> logging.Handler:
    """Log the library's loggers (and urllib3's) to stderr, secrets masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    handler.addFilter(_LogScrubber(scrub))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    return handler


class DAVGroup(click.Group):
    """A group that turns exceptions into one-line errors and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        state = ctx.ensure_object(State)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("requests-dav: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            quiet_broken_pipe()
        except Exception as exc:
            failure = classify(exc, had_credentials=state.had_credentials)
            if state.settings.debug:
                text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                click.echo(state.scrub(text).rstrip(), err=True)
            _report(state, failure)
            ctx.exit(failure.code)
        finally:
            for cleanup in state.cleanups:
                with contextlib.suppress(Exception):  # closing must not hide the error
                    cleanup()


#: exit status after a closed stdout (``requests-dav ls URL | head``): 128 + SIGPIPE, what a
#: shell reports for a tool the signal ended
EXIT_BROKEN_PIPE = 141


def quiet_broken_pipe() -> None:
    """The reader of stdout went away: exit at once, printing nothing (as ``ls | head`` does).

    stdout is pointed at /dev/null so that the interpreter's final flush does not complain.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(EXIT_BROKEN_PIPE)


def _report(state: State, failure: Failure) -> None:
    state.output.json_mode = state.settings.json
    state.output.error(failure)


EPILOG = (
    EXIT_CODES_HELP
    + """
\b
Credentials: --user NAME with a prompted password or $REQUESTS_DAV_PASSWORD,
else ~/.netrc ($NETRC). Proxies: $HTTPS_PROXY, $HTTP_PROXY, $NO_PROXY; proxy
credentials in the proxy URL (http://user:password@proxy:3128). Passwords and
Authorization headers are never printed, also not with --debug.
\b
Start here: requests-dav demo --serve
"""
)


@click.group(cls=DAVGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="requests-dav")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """WebDAV from the command line, with HTTP authentication done right.

    Every command takes full URLs (http:// or https://). Digest and Basic
    challenges are answered, uploads are replayed byte-identical after a 401,
    and locks taken in a command are submitted automatically.
    """
    ctx.ensure_object(State)


def prepare(ctx: click.Context) -> State:
    """The shared state, with output mode and debug logging set from the merged options."""
    state = ctx.ensure_object(State)
    state.output.json_mode = state.settings.json
    if state.settings.debug and not ctx.meta.get("requests_dav.debug_on"):
        ctx.meta["requests_dav.debug_on"] = True
        handler = enable_debug_logging(state.scrub)

        def remove() -> None:
            for name in LOGGERS:
                logging.getLogger(name).removeHandler(handler)

        state.cleanups.append(remove)
    return state


__all__ = [
    "DEFAULT_TIMEOUT",
    "PASSWORD_ENV",
    "USER_ENV",
    "State",
    "clean_url",
    "cli",
    "global_options",
    "origin_of",
    "prepare",
]
